"""Hostile files benchmark: the long fuzz of the three readers, and ingest memory against size.

Two measurements, figures for the reliability report:

* ``fuzz``: each reader (listing, BibTeX, Atom) gets ``--cases`` hypothesis cases (10,000 by
  default) from the strategies of ``tests/test_hostile_files.py`` (``FUZZ_TARGETS``: mutated
  real files, near-valid files built from each grammar, raw bytes), through the same check as
  the tests: only ParseError may come out, and records must be well-formed. Every case runs
  (nothing stops at a failure); a case that breaks the check is counted as an unexpected error,
  and its input saved to ``out/fuzz-failures/``. The count must be 0.
* ``memory``: listings of growing size from ``generate_listing.py`` (cached in ``out/``; about
  1,340 bytes an entry, so 750,000 entries make 1 GB), each read in a fresh child process whose
  peak RSS comes from ``os.wait4``:

  - ``map``: ``pipeline.map_file`` alone, parse and map, each N-Triples line dropped;
  - ``ingest``: ``scholarkg ingest --store NEWDIR --no-validate FILE``, into a new on-disk store,
    deleted afterwards;
  - ``validated``: ``scholarkg ingest --store NEWDIR FILE``, with SHACL validation, at smaller
    sizes (``--validated-sizes``): validation costs about 6 ms an entry here, 75 minutes at 1 GB.

  Flat memory means the peak at the largest size is about the peak at the smallest.

    python benchmarks/bench_hostile_files.py                   # 10,000 cases, 13 MB to 1 GB
    python benchmarks/bench_hostile_files.py --quick           # 500 cases, 1.3 to 27 MB
    python benchmarks/bench_hostile_files.py --stages fuzz --cases 20000

The tables go to stdout, progress to stderr; the figures to ``out/hostile-files.json``.
``run(quick)`` returns the same dict (for ``benchmarks/reliability.py``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path[:0] = [str(HERE), str(ROOT)]  # generate_listing, and the tests' fuzz targets

from generate_listing import SUBJECT, write_listing  # noqa: E402

STAGES = ("fuzz", "map", "ingest", "validated")
CASES = 10_000
SIZES = (10_000, 75_000, 225_000, 750_000)
VALIDATED_SIZES = (2_000, 10_000, 30_000)
QUICK_CASES = 500
QUICK_SIZES = (1_000, 5_000, 20_000)
QUICK_VALIDATED_SIZES = (1_000, 3_000)
SEED = 1


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- fuzz ---------------------------------------------------------------------------------------


def fuzz(cases: int, out: Path) -> dict[str, Any]:
    """Run ``cases`` cases per reader; count outcomes and unexpected errors."""
    # imported here, not at the top: the map child must not carry hypothesis and pytest
    from tests.test_hostile_files import FUZZ_TARGETS  # noqa: PLC0415

    parsers = {name: fuzz_target(name, target, cases, out) for name, target in FUZZ_TARGETS.items()}
    return {
        "cases_per_parser": cases,
        "parsers": parsers,
        "cases_total": sum(p["cases"] for p in parsers.values()),
        "unexpected_errors_total": sum(p["unexpected_errors"] for p in parsers.values()),
    }


def fuzz_target(name: str, target: Any, cases: int, out: Path) -> dict[str, Any]:
    """``cases`` cases of one reader, every one run: outcomes, and the failures saved."""
    from hypothesis import Phase, given  # noqa: PLC0415
    from tests.test_hostile_files import fuzz_settings  # noqa: PLC0415

    failures_dir = out / "fuzz-failures"
    counts = {"cases": 0, "refused": 0, "with_records": 0, "with_entry_errors": 0}
    failures: list[dict[str, str]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scholarkg-fuzz-") as folder:

        @fuzz_settings(cases, database=None, phases=[Phase.generate])
        @given(data=target.inputs)
        def case(data: bytes) -> None:
            counts["cases"] += 1
            try:
                outcome = target.check(data, Path(folder))
            except Exception as exc:  # the finding: anything but ParseError, or a bad record
                failures_dir.mkdir(parents=True, exist_ok=True)
                saved = failures_dir / f"{name}-{len(failures)}{target.suffix}"
                saved.write_bytes(data)
                failures.append(
                    {"error": f"{type(exc).__name__}: {exc}"[:500], "input": saved.name}
                )
                return
            counts["refused"] += outcome.refused
            counts["with_records"] += outcome.records > 0
            counts["with_entry_errors"] += outcome.errors > 0
            if counts["cases"] % 1000 == 0:
                _log(f"  fuzz {name}: {counts['cases']:,} cases")

        case()
    _log(f"fuzz {name}: {counts['cases']:,} cases, {len(failures)} unexpected errors")
    return {
        **counts,
        "unexpected_errors": len(failures),
        "failures": failures[:20],
        "seconds": round(time.perf_counter() - start, 1),
    }


# -- memory -------------------------------------------------------------------------------------


def listing_path(entries: int, out: Path, seed: int = SEED) -> Path:
    """The generated listing of ``entries`` entries (cached; same name as bench_ingest's)."""
    path = out / f"listing-{entries}-seed{seed}.txt"
    if not path.exists():
        _log(f"generating {path.name}")
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as handle:
            write_listing(handle, entries, seed)
        partial.rename(path)
    return path


def own_peak_mb() -> float | None:
    """This process's own peak RSS (VmHWM, Linux), None where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def measure(argv: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a child to its end: exit code, wall seconds, peak RSS, output tail.

    Two peaks: ``wait4_maxrss_mb`` is the child's ru_maxrss from os.wait4, which on Linux is at
    least this process's RSS when it spawned the child (exec keeps the old memory's high-water
    mark), so it is only the child's own when this process is small; ``peak_rss_mb`` is the
    child's own VmHWM, which it writes at exit to the file named by BENCH_PEAK_FILE.
    """
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scholarkg-measure-") as folder:
        peak_file = Path(folder) / "peak"
        stdout, stderr = Path(folder) / "out", Path(folder) / "err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            env = {**os.environ, "BENCH_PEAK_FILE": str(peak_file)}
            child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT, env=env)
            deadline = None if timeout is None else start + timeout
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    child.kill()
                    pid, status, usage = os.wait4(child.pid, 0)
                    break
                time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        own = float(peak_file.read_text()) if peak_file.exists() else None
        output = stdout.read_text(errors="replace"), stderr.read_text(errors="replace")
    wait4_mb = round(usage.ru_maxrss / 1024, 1)  # KiB on Linux
    return {
        "exit_code": child.returncode,
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": own if own is not None else wait4_mb,
        "wait4_maxrss_mb": wait4_mb,
        "parent_rss_mb": own_peak_mb(),
        "stdout": output[0][-2000:],
        "stderr": output[1][-2000:],
    }


def _report_peak_at_exit() -> None:
    """In a child: write the own peak RSS to BENCH_PEAK_FILE when the process ends."""
    target = os.environ.get("BENCH_PEAK_FILE")
    if target:
        atexit.register(lambda: Path(target).write_text(str(own_peak_mb() or "")))


def _folder_mb(folder: Path) -> float:
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return round(total / (1 << 20), 1)


def measure_size(stage: str, entries: int, out: Path, subject: bool = False) -> dict[str, Any]:
    """One stage on one listing, in a child process; ``subject``: the listing subject given, as
    ``--subject`` does, instead of detected."""
    path = listing_path(entries, out)
    named = ["--subject", SUBJECT] if subject else []
    row: dict[str, Any] = {
        "stage": stage,
        "subject_given": subject,
        "entries": entries,
        "file_mb": round(path.stat().st_size / (1 << 20), 1),
    }
    _log(f"{stage} {entries:,} entries ({row['file_mb']:,} MB) ...")
    if stage == "map":
        flag = ["--subject"] if subject else []  # the child's flag: SUBJECT
        result = measure([sys.executable, str(Path(__file__)), *flag, "--child-map", str(path)])
        if result["exit_code"] == 0:
            row.update(json.loads(result["stdout"].strip().splitlines()[-1]))
    else:
        with tempfile.TemporaryDirectory(prefix="scholarkg-hostile-", dir=out) as folder:
            store = Path(folder) / "store"
            options = ["--no-validate"] if stage == "ingest" else []
            # `scholarkg ingest ...`: the CLI's main in a child that reports its own peak
            argv = [sys.executable, str(Path(__file__)), "--child-cli", "ingest"]
            argv += ["--store", str(store), *options, *named, str(path)]
            result = measure(argv)
            row["store_mb"] = _folder_mb(store) if store.exists() else None
    keys = ("exit_code", "seconds", "peak_rss_mb", "wait4_maxrss_mb", "parent_rss_mb")
    row.update({k: result[k] for k in keys})
    if result["exit_code"] != 0:
        row["error"] = result["stderr"][-600:]
    _log(f"  peak RSS {row['peak_rss_mb']:,} MB, {row['seconds']:,} s, exit {row['exit_code']}")
    return row


def child_map(path: Path, subject: str | None = None) -> None:
    """The map stage in this process: parse and map the listing, dropping every line."""
    # imported in the child only: the parent stays small (see measure)
    from scholarkg.concepts import ConceptTagger  # noqa: PLC0415
    from scholarkg.pipeline import IngestOptions, map_file  # noqa: PLC0415
    from scholarkg.vocab import DEFAULT_BASE  # noqa: PLC0415

    _report_peak_at_exit()
    tagger = ConceptTagger.from_file()
    start = time.perf_counter()
    report = map_file(
        path,
        IngestOptions(base=DEFAULT_BASE, subject=subject, validate_data=False),
        tagger=tagger,
        write=len,
    )
    seconds = time.perf_counter() - start
    print(json.dumps({"triples": report.triples, "map_seconds": round(seconds, 2)}))


def flatness(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per stage: the peak at the largest size over the peak at the smallest."""
    summary: dict[str, Any] = {}
    for stage in dict.fromkeys(row["stage"] for row in rows):
        done = [r for r in rows if r["stage"] == stage and r["exit_code"] == 0]
        if len(done) < 2:
            continue
        small, large = min(done, key=lambda r: r["entries"]), max(done, key=lambda r: r["entries"])
        summary[stage] = {
            "smallest_entries": small["entries"],
            "largest_entries": large["entries"],
            "size_ratio": round(large["file_mb"] / small["file_mb"], 1),
            "peak_rss_mb_smallest": small["peak_rss_mb"],
            "peak_rss_mb_largest": large["peak_rss_mb"],
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in done),
            "rss_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 2),
            "mb_per_100k_entries": round(
                (large["peak_rss_mb"] - small["peak_rss_mb"])
                / (large["entries"] - small["entries"])
                * 100_000,
                1,
            ),
        }
    return summary


# -- the run ------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(pages / (1 << 30), 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run(
    quick: bool = False,
    *,
    cases: int | None = None,
    sizes: Sequence[int] | None = None,
    validated_sizes: Sequence[int] | None = None,
    stages: Sequence[str] = STAGES,
    subject: bool = False,
    out: Path = OUT,
) -> dict[str, Any]:
    """Every measurement; the figures as a dict (the JSON file's content)."""
    from bench_ingest import _checkout  # noqa: PLC0415  (not in the map child: rdflib, scholarkg)

    out.mkdir(parents=True, exist_ok=True)
    cases = cases or (QUICK_CASES if quick else CASES)
    sizes = sizes or (QUICK_SIZES if quick else SIZES)
    validated_sizes = validated_sizes or (QUICK_VALIDATED_SIZES if quick else VALIDATED_SIZES)
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": _machine(),
        **_checkout(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    rows: list[dict[str, Any]] = []
    for stage in ("map", "ingest", "validated"):
        if stage in stages:
            for entries in validated_sizes if stage == "validated" else sizes:
                rows.append(measure_size(stage, entries, out, subject))
                rows[-1]["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if rows:
        result["memory"] = {"rows": rows, "flatness": flatness(rows)}
    if "fuzz" in stages:  # last: hypothesis grows this process
        result["fuzz"] = fuzz(cases, out)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result["figures"] = figures(result)
    return result


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The few numbers a reliability table shows."""
    found: dict[str, Any] = {}
    if "fuzz" in result:
        found["fuzz_cases_run"] = result["fuzz"]["cases_total"]
        found["fuzz_unexpected_errors"] = result["fuzz"]["unexpected_errors_total"]
    for stage, flat in result.get("memory", {}).get("flatness", {}).items():
        found[f"{stage}_peak_rss_mb"] = [flat["peak_rss_mb_smallest"], flat["peak_rss_mb_largest"]]
        found[f"{stage}_rss_ratio"] = flat["rss_ratio"]
    return found


# -- the table ----------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join(lines)


def render(result: dict[str, Any]) -> str:
    """The tables of a run."""
    parts = [
        f"commit {result['commit']} (src changed: {result['src_dirty']}), "
        f"load average {result['load_average_start']} -> {result['load_average_end']}"
    ]
    if "fuzz" in result:
        header = [
            "parser",
            "cases",
            "refused",
            "with records",
            "with entry errors",
            "unexpected",
            "seconds",
        ]
        rows = [
            [
                name,
                f"{p['cases']:,}",
                f"{p['refused']:,}",
                f"{p['with_records']:,}",
                f"{p['with_entry_errors']:,}",
                f"{p['unexpected_errors']:,}",
                f"{p['seconds']:,}",
            ]
            for name, p in result["fuzz"]["parsers"].items()
        ]
        parts.append(_table(header, rows))
        for name, p in result["fuzz"]["parsers"].items():
            parts += [f"  {name}: {f['error']} ({f['input']})" for f in p["failures"][:5]]
    if "memory" in result:
        header = [
            "stage",
            "entries",
            "file MB",
            "peak RSS MB",
            "seconds",
            "triples",
            "store MB",
            "exit",
        ]
        rows = [
            [
                r["stage"],
                f"{r['entries']:,}",
                f"{r['file_mb']:,}",
                f"{r['peak_rss_mb']:,}",
                f"{r['seconds']:,}",
                f"{r['triples']:,}" if r.get("triples") else "-",
                f"{r['store_mb']:,}" if r.get("store_mb") else "-",
                str(r["exit_code"]),
            ]
            for r in result["memory"]["rows"]
        ]
        parts.append(_table(header, rows))
        header = ["stage", "sizes", "file x", "peak RSS MB", "RSS x", "MB per 100k entries"]
        rows = [
            [
                stage,
                f"{f['smallest_entries']:,} -> {f['largest_entries']:,}",
                f"{f['size_ratio']}",
                f"{f['peak_rss_mb_smallest']:,} -> {f['peak_rss_mb_largest']:,}",
                f"{f['rss_ratio']}",
                f"{f['mb_per_100k_entries']}",
            ]
            for stage, f in result["memory"]["flatness"].items()
        ]
        parts.append(_table(header, rows))
    return "\n\n".join(parts)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected entry counts such as 10000, not {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("entry counts must be positive")
    return sizes


def _stages(text: str) -> list[str]:
    stages = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(STAGES)}; not {unknown}")
    return stages


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run, print the tables, write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 cases, small listings")
    parser.add_argument("--cases", type=int, help=f"fuzz cases per parser (default {CASES:,})")
    parser.add_argument("--sizes", type=_sizes, help="listing sizes in entries, comma-separated")
    parser.add_argument("--validated-sizes", type=_sizes, help="sizes of the validated ingest")
    parser.add_argument("--stages", type=_stages, default=list(STAGES), help=", ".join(STAGES))
    parser.add_argument(
        "--subject",
        action="store_true",
        help="give the listing subject (--subject) to map and ingest",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="cache and results folder")
    parser.add_argument("--output", type=Path, help="JSON file (default OUT/hostile-files.json)")
    parser.add_argument("--child-map", type=Path, help=argparse.SUPPRESS)  # internal: the child
    parser.add_argument("--child-cli", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_cli:
        from scholarkg.cli import main as cli  # noqa: PLC0415

        _report_peak_at_exit()
        return cli(args.child_cli)
    if args.child_map:
        child_map(args.child_map, SUBJECT if args.subject else None)
        return 0
    result = run(
        args.quick,
        cases=args.cases,
        sizes=args.sizes,
        validated_sizes=args.validated_sizes,
        stages=args.stages,
        subject=args.subject,
        out=args.out,
    )
    output = args.output or args.out / "hostile-files.json"
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(render(result))
    print(f"\nfigures: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

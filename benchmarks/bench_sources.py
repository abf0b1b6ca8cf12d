"""Source formats benchmark: BibTeX and arXiv Atom ingest against the arXiv-listing path.

For each size (``--entries``), ``generate_sources.py`` writes the same works three times (cached
in ``benchmarks/out/``): the web-format arXiv listing of ``generate_listing.py`` (seed and size
as given), a BibTeX file and an arXiv API Atom feed. Each format then goes through each phase,
every measurement in its own subprocess so that its peak memory (the child's ``ru_maxrss``) is
its own:

* ``parse``: the format's reader alone (``iter_listing``, ``bibtex.iter_records``,
  ``arxiv_atom.iter_records``), strict: a malformed entry stops the run;
* ``map``: ``pipeline.map_file``, parse and map, each N-Triples line handed to a writer that
  discards it;
* ``load``: ``pipeline.ingest_file`` with ``validate_data=False`` into a fresh on-disk store;
* ``ingest``: ``pipeline.ingest_file`` with default options (SHACL validation on), as ``scholarkg
  ingest FILE`` runs it, into a fresh on-disk store.

The listing is the baseline: each row gives its entries/s over the listing's for the same size
and phase, measured in the same run. The concept tagger is built, and the arXiv category index
read, before the clock starts. The dblp exports in ``tests/data/dblp`` are parsed and mapped too
(best of ``--repeat`` runs), real BibTeX next to the synthetic one.

    python benchmarks/bench_sources.py                         # 10,000 entries
    python benchmarks/bench_sources.py --entries 10000,100000 --phases parse,map,ingest
    python benchmarks/bench_sources.py --profile --entries 1000 --formats bibtex --phases parse

The table goes to stdout; the results, with the machine and the load averages at the start and
the end, to ``benchmarks/out/sources.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.metadata
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from generate_listing import SUBJECT
from generate_sources import write_sources
from scholarkg.concepts import ConceptTagger, concepts_path
from scholarkg.errors import ParseError
from scholarkg.pipeline import IngestOptions, ingest_file, iter_listing, map_file
from scholarkg.sources import arxiv_atom, bibtex
from scholarkg.store import open_store
from scholarkg.vocab import DEFAULT_BASE

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FORMATS = ("listing", "bibtex", "atom")
PHASES = ("parse", "map", "load", "ingest")
BASELINE = "listing"
SUFFIXES = {"listing": ".txt", "bibtex": ".bib", "atom": ".atom"}
GENERATORS = (HERE / "generate_listing.py", HERE / "generate_sources.py")
REAL_FILES = (
    HERE.parent / "tests" / "data" / "dblp" / "conf_semweb.bib",
    HERE.parent / "tests" / "data" / "dblp" / "journals_semweb.bib",
)
REAL_PHASES = ("parse", "map")


# -- the child: one measured run --------------------------------------------------------------


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def _format_of(path: Path) -> str:
    return {".txt": "listing", ".bib": "bibtex", ".atom": "atom"}[path.suffix]


def _discard(_line: str) -> None:
    """The writer of the map phase: the N-Triples line is made, then dropped."""


def _options(synthetic: bool, *, validate: bool = True) -> IngestOptions:
    """The synthetic works are the listing subject's, as ``--subject`` would say; dblp's not."""
    subject = SUBJECT if synthetic else None
    return IngestOptions(base=DEFAULT_BASE, subject=subject, validate_data=validate)


def _parse(path: Path, _tagger: ConceptTagger, synthetic: bool) -> dict[str, Any]:
    fmt = _format_of(path)
    entries = names = 0
    start = time.perf_counter()
    if fmt == "listing":
        for entry in iter_listing(path, lenient=False):
            entries += 1
            names += len(entry.authors)
    else:
        read = bibtex.iter_records if fmt == "bibtex" else arxiv_atom.iter_records
        for record in read(path):
            if isinstance(record, ParseError):
                raise record
            entries += 1
            names += len(record.authors)
    seconds = time.perf_counter() - start
    return {"entries": entries, "names": names, "triples": None, "seconds": seconds}


def _map(path: Path, tagger: ConceptTagger, synthetic: bool) -> dict[str, Any]:
    start = time.perf_counter()
    report = map_file(path, _options(synthetic), tagger=tagger, write=_discard)
    seconds = time.perf_counter() - start
    return {
        "entries": report.entries,
        "triples": report.triples,
        "seconds": seconds,
        "notes": len(report.notes),
    }


def _ingest(
    path: Path, tagger: ConceptTagger, synthetic: bool, *, validate: bool = True
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scholarkg-bench-") as tmp:
        start = time.perf_counter()
        store = open_store(Path(tmp) / "store")
        report = ingest_file(path, store, _options(synthetic, validate=validate), tagger=tagger)
        seconds = time.perf_counter() - start
        quads = len(store)
        store.close()
    checked = report.validation
    return {
        "entries": report.entries,
        "triples": report.triples,
        "seconds": seconds,
        "quads": quads,
        "notes": len(report.notes),
        "validated": checked is not None,
        "violations": len(checked.violations) if checked is not None else None,
        "warnings": len(checked.warnings) if checked is not None else None,
    }


def _load(path: Path, tagger: ConceptTagger, synthetic: bool) -> dict[str, Any]:
    return _ingest(path, tagger, synthetic, validate=False)


RUNNERS: dict[str, Callable[[Path, ConceptTagger, bool], dict[str, Any]]] = {
    "parse": _parse,
    "map": _map,
    "load": _load,
    "ingest": _ingest,
}


def run_child(phase: str, path: Path, *, synthetic: bool, repeat: int) -> dict[str, Any]:
    """One measurement in this process (the best of ``repeat``); the caller runs it in a fresh
    subprocess."""
    tagger = ConceptTagger.from_file(concepts_path())
    arxiv_atom.category_iri("cs.LG")  # the category index is read once per process: not timed
    start_rss = _peak_rss_mb()
    results = [RUNNERS[phase](path, tagger, synthetic) for _ in range(max(1, repeat))]
    result = min(results, key=lambda r: r["seconds"])
    result.update(
        phase=phase,
        status="ok",
        runs=len(results),
        peak_rss_mb=_peak_rss_mb(),
        start_rss_mb=start_rss,
    )
    return result


# -- the parent: files, subprocesses, table ---------------------------------------------------


def source_paths(entries: int, seed: int, atom_authors: str, out: Path) -> dict[str, Path]:
    """Where the cached files of one size live."""
    tail = "" if atom_authors == "all" else f"-atom-{atom_authors}"
    stem = f"sources-{entries}-seed{seed}{tail}"
    return {fmt: out / f"{stem}{suffix}" for fmt, suffix in SUFFIXES.items()}


def ensure_sources(
    entries: int, seed: int, atom_authors: str, out: Path
) -> tuple[dict[str, Path], dict[str, Any]]:
    """The three files of a size, generated unless cached and newer than both generators; what
    they hold (entries, author names written per format) and how long generation took."""
    paths = source_paths(entries, seed, atom_authors, out)
    meta_path = paths["listing"].with_suffix(".json")
    newest = max(g.stat().st_mtime for g in GENERATORS)
    cached = [*paths.values(), meta_path]
    if all(p.is_file() and p.stat().st_mtime >= newest for p in cached):
        return paths, json.loads(meta_path.read_text(encoding="utf-8")) | {"generation_s": None}
    start = time.perf_counter()
    parts = {fmt: path.with_name(path.name + ".part") for fmt, path in paths.items()}
    handles = {fmt: p.open("w", encoding="utf-8", newline="\n") for fmt, p in parts.items()}
    try:
        counts = write_sources(entries, seed, atom_authors=atom_authors, **handles)
    finally:
        for handle in handles.values():
            handle.close()
    for fmt, part in parts.items():
        part.replace(paths[fmt])
    meta = counts | {"atom_authors": atom_authors}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return paths, meta | {"generation_s": time.perf_counter() - start}


def measure(
    phase: str, path: Path, *, synthetic: bool, repeat: int, timeout: float
) -> dict[str, Any]:
    """Run one phase on one file in a subprocess; a timeout or a crash becomes a status."""
    command = [sys.executable, str(Path(__file__).resolve()), "--run", phase, "--file", str(path)]
    command += ["--repeat", str(repeat)] + ([] if synthetic else ["--dblp"])
    base: dict[str, Any] = {
        "phase": phase,
        "format": _format_of(path),
        "file": path.name,
        "bytes": path.stat().st_size,
        "load_avg_1m": os.getloadavg()[0],
    }
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return base | {"status": "timeout", "note": f"over {timeout:g} s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return base | {"status": "failed", "note": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = result["seconds"]
    result.update(base, entries_per_s=result["entries"] / seconds)
    result["triples_per_s"] = result["triples"] / seconds if result.get("triples") else None
    return result


def add_ratios(runs: list[dict[str, Any]]) -> None:
    """Each run's entries/s over the listing's, same size and phase (``vs_listing``)."""
    ok = [r for r in runs if r["status"] == "ok"]
    baseline = {(r["size"], r["phase"]): r for r in ok if r["format"] == BASELINE}
    for run in ok:
        theirs = baseline.get((run["size"], run["phase"]))
        run["vs_listing"] = run["entries_per_s"] / theirs["entries_per_s"] if theirs else None


def breakdown(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Milliseconds per entry of each step, as differences of the phases: parse, mapping
    (map - parse), store load (load - map), validation (ingest - load)."""
    ok = {(r["size"], r["format"], r["phase"]): r for r in runs if r["status"] == "ok"}
    steps = (
        ("parse", "parse", None),
        ("mapping", "map", "parse"),
        ("store load", "load", "map"),
        ("validation", "ingest", "load"),
    )
    out = []
    for size, fmt in dict.fromkeys((r["size"], r["format"]) for r in runs):
        row: dict[str, Any] = {"size": size, "format": fmt}
        for name, phase, before in steps:
            total, prior = (
                ok.get((size, fmt, phase)),
                ok.get((size, fmt, before)) if before else None,
            )
            if total is None or (before and prior is None):
                row[name] = None
                continue
            seconds = total["seconds"] - (prior["seconds"] if prior else 0.0)
            row[name] = 1000 * seconds / total["entries"]
        out.append(row)
    return out


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]], left: Sequence[int] = (1, 2)) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])


def render_runs(runs: list[dict[str, Any]]) -> str:
    """A row per size, format and phase: throughput, the ratio to the listing, memory."""
    header = ["entries", "format", "phase", "seconds", "entries/s", "x listing", "triples"]
    header += ["triples/s", "peak MB"]
    rows = []
    for run in runs:
        size = f"{run['size']:,}" if isinstance(run["size"], int) else run["size"]
        if run["status"] != "ok":
            note = f"{run['status']}: {run.get('note', '')}"
            rows.append([size, run["format"], run["phase"], note, *[""] * 5])
            continue
        rows.append(
            [
                size,
                run["format"],
                run["phase"],
                _num(run["seconds"], 2),
                _num(run["entries_per_s"]),
                _num(run.get("vs_listing"), 2),
                _num(run.get("triples")),
                _num(run.get("triples_per_s")),
                _num(run["peak_rss_mb"]),
            ]
        )
    return _table(header, rows)


def render_breakdown(rows: list[dict[str, Any]]) -> str:
    header = ["entries", "format", "parse", "mapping", "store load", "validation", "(ms/entry)"]
    body = [
        [
            f"{row['size']:,}",
            row["format"],
            *(_num(row[k], 3) for k in ("parse", "mapping", "store load", "validation")),
            "",
        ]
        for row in rows
    ]
    return _table(header, body, left=(1,))


def render_files(files: list[dict[str, Any]]) -> str:
    header = ["entries", "format", "file", "MB", "author names"]
    body = [
        [f"{f['size']:,}", f["format"], f["file"], _num(f["bytes"] / 1e6, 1), _num(f["names"])]
        for f in files
    ]
    return _table(header, body, left=(1, 2))


def _checkout() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes (None outside git)."""

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *argv], cwd=HERE.parent, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    changes = git("status", "--porcelain", "--", "src")
    commit = git("rev-parse", "--short", "HEAD")
    return {"commit": commit, "src_dirty": None if changes is None else bool(changes)}


def _versions() -> dict[str, str]:
    names = ("scholarkg", "pyoxigraph", "rdflib", "pydantic", "bibtexparser", "pylatexenc")
    names += ("defusedxml",)
    return {name: importlib.metadata.version(name) for name in names}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) the files, measure every size, format and phase."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    progress = sys.stderr.isatty()
    files: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for size in args.entries:
        paths, meta = ensure_sources(size, args.seed, args.atom_authors, out)
        for fmt in args.formats:
            names = meta[f"{fmt}_names"]
            path = paths[fmt]
            files.append(
                {
                    "size": size,
                    "format": fmt,
                    "file": path.name,
                    "bytes": path.stat().st_size,
                    "names": names,
                    "generation_s": meta["generation_s"],
                }
            )
        for phase in args.phases:
            for fmt in args.formats:
                if phase == "ingest" and size > args.validate_max:
                    note = f"over --validate-max {args.validate_max:,}"
                    skipped = {"status": "skipped", "note": note}
                    runs.append({"size": size, "format": fmt, "phase": phase} | skipped)
                    continue
                if progress:
                    print(f"{size:>9,} entries: {fmt} {phase} ...", file=sys.stderr, flush=True)
                run = measure(phase, paths[fmt], synthetic=True, repeat=1, timeout=args.timeout)
                runs.append(run | {"size": size})
    real: list[dict[str, Any]] = []
    if args.real:
        for path in REAL_FILES:
            for phase in REAL_PHASES:
                if progress:
                    print(f"dblp {path.name}: {phase} ...", file=sys.stderr, flush=True)
                run = measure(
                    phase, path, synthetic=False, repeat=args.repeat, timeout=args.timeout
                )
                real.append(run | {"size": "dblp", "format": path.stem})
    add_ratios(runs)
    return {
        "benchmark": "sources",
        "seed": args.seed,
        "atom_authors": args.atom_authors,
        "baseline": "the same works as an arXiv listing (web format), same size and phase",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "versions": _versions(),
        },
        "checkout": _checkout(),
        "load_avg_start": load_start,
        "load_avg_end": os.getloadavg(),
        "files": files,
        "runs": runs,
        "breakdown": breakdown(runs),
        "real": real,
    }


def profile(size: int, fmt: str, phase: str, args: argparse.Namespace) -> str:
    """cProfile of one phase on one format, in this process: top functions by own time, then
    by cumulative time."""
    args.out.mkdir(parents=True, exist_ok=True)
    paths, _ = ensure_sources(size, args.seed, args.atom_authors, args.out)
    tagger = ConceptTagger.from_file(concepts_path())
    arxiv_atom.category_iri("cs.LG")
    profiler = cProfile.Profile()
    profiler.enable()
    RUNNERS[phase](paths[fmt], tagger, True)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(args.profile_top)
    stats.sort_stats("cumulative").print_stats(args.profile_top)
    report = text.getvalue()
    (args.out / f"profile-sources-{size}-{fmt}-{phase}.txt").write_text(report, encoding="utf-8")
    return report


def _choices(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        picked = [part.strip() for part in text.split(",") if part.strip()]
        unknown = sorted(set(picked) - set(allowed))
        if unknown or not picked:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}; not {unknown}")
        return [a for a in allowed if a in picked]  # in the table's order

    return parse


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 10000, not {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive counts")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--entries", type=_sizes, default=[10_000], help="entry counts, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--formats", type=_choices(FORMATS), default=list(FORMATS), help="default: all three"
    )
    parser.add_argument(
        "--phases", type=_choices(PHASES), default=list(PHASES), help="default: all four"
    )
    parser.add_argument(
        "--atom-authors",
        choices=("all", "shown"),
        default="all",
        help="the feed names every author, as the API does (default), or only the listing's",
    )
    parser.add_argument(
        "--validate-max",
        type=int,
        default=100_000,
        help="largest size the ingest phase (with validation) runs at (default 100000)",
    )
    parser.add_argument("--no-real", dest="real", action="store_false", help="skip the dblp files")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per dblp measurement, best kept (default 3)"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds per run (default 3600)"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="cache and results folder")
    parser.add_argument(
        "--output", type=Path, help="results file (default: sources.json in the --out folder)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of measuring, cProfile each format and phase at each size",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="functions shown (default 25)")
    parser.add_argument("--run", choices=PHASES, help=argparse.SUPPRESS)  # internal: the child
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dblp", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        synthetic = not args.dblp
        print(json.dumps(run_child(args.run, args.file, synthetic=synthetic, repeat=args.repeat)))
        return 0
    if args.profile:
        for size in args.entries:
            for fmt in args.formats:
                for phase in args.phases:
                    print(f"profile of {fmt} {phase} at {size:,} entries")
                    print(profile(size, fmt, phase, args))
        return 0
    results = run_benchmark(args)
    print(render_files(results["files"]))
    print()
    print(render_runs(results["runs"] + results["real"]))
    print()
    print(render_breakdown(results["breakdown"]))
    start, end = results["load_avg_start"], results["load_avg_end"]
    print(
        f"(seed {results['seed']}; Atom authors: {results['atom_authors']}; load average "
        f"{' '.join(f'{x:.2f}' for x in start)} at the start, "
        f"{' '.join(f'{x:.2f}' for x in end)} at the end)"
    )
    target = args.output or args.out / "sources.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Validation benchmark: the SPARQL engine (scholarkg.validation) against pySHACL on the same data.

For each size (papers), a listing is generated with ``generate_listing.py`` and ingested without
validation into an on-disk store under ``benchmarks/out/`` (both cached between runs). Then, each
measurement in its own subprocess (so that a time budget can stop it):

* ``full``: ``validate_store`` over the whole store (the shapes are compiled before the clock
  starts; the compile time is reported on its own);
* ``incremental``: a second, small listing (``--new`` papers, another seed) is ingested into the
  big store as its own named graph, and only its focus nodes are validated with
  ``validate_store(..., focus_graph=...)``; the graph is dropped again afterwards;
* ``pyshacl``: the baseline, ``scholarkg.shapes.validate_graph`` (pySHACL, as ``scholarkg
  ingest`` runs it) on an rdflib graph holding the whole store. It runs only up to
  ``--baseline-max`` papers and within ``--baseline-timeout`` seconds; where it finishes, its
  results are compared with the engine's (``same``).

Both engine measurements run with the shipped shapes and with the shipped shapes plus the
rewrites proposed in ``shape_rewrites.py`` (same results, planned well by Oxigraph). Full
validation with the shipped shapes is quadratic in the store (see ``shape_rewrites.py``) and is
skipped above ``--shipped-full-max`` papers.

    python benchmarks/bench_validate.py                      # 1k, 10k and 100k papers
    python benchmarks/bench_validate.py --sizes 1000 --timeout 300

The table goes to stdout, the same results with the machine's description to
``benchmarks/out/validate.json``. The targets of issue 3 are printed next to the results; nothing
is asserted. Other processes on the machine slow every measurement alike; the 1-minute load
average at the start of each run is recorded.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import rdflib

from bench_ingest import ensure_listing, parse_sizes
from generate_listing import SUBJECT
from scholarkg.iris import IriMinter, source_id_for
from scholarkg.pipeline import IngestOptions, ingest_listing
from scholarkg.reports import ValidationReport
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.terms import IRI
from scholarkg.validation import compile_shapes, validate_store
from scholarkg.vocab import DEFAULT_BASE
from shape_rewrites import apply_rewrites

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SHAPES = ("shipped", "rewrites")
TARGET_PAPERS = 100_000
TARGET_INCREMENTAL_S = 2.0
TARGET_FULL_S = 35.0  # Apache Jena's SHACL engine, extrapolated from its 3.5 s at 10k papers


# -- cached inputs ----------------------------------------------------------------------------


def _options() -> IngestOptions:
    return IngestOptions(base=DEFAULT_BASE, subject=SUBJECT, validate_data=False)


def ensure_store(entries: int, seed: int, out: Path) -> tuple[Path, float]:
    """An on-disk store holding the listing of a size, cached; the ingest time (0 if cached)."""
    listing, _ = ensure_listing(entries, seed, False, out)
    folder = out / f"store-{entries}-seed{seed}"
    marker = folder / "ingested.json"
    stamp = {"listing": listing.name, "bytes": listing.stat().st_size}
    stamp["mtime"] = int(listing.stat().st_mtime)
    if marker.is_file() and json.loads(marker.read_text("utf-8")) == stamp:
        return folder, 0.0
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    store = open_store(folder)
    try:
        ingest_listing(listing, store, _options())
    finally:
        store.close()
    marker.write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    return folder, time.perf_counter() - start


def graph_of(listing: Path) -> IRI:
    """The named graph a listing is ingested into."""
    return IriMinter(DEFAULT_BASE).graph(source_id_for(listing.name))


# -- the child: one measured run --------------------------------------------------------------


def _shapes(kind: str) -> rdflib.Graph:
    shapes = load_shapes()
    return apply_rewrites(shapes) if kind == "rewrites" else shapes


def _rows(report: ValidationReport) -> list[list[str]]:
    """The results as sorted rows, blank node labels left out (they differ between engines)."""
    rows = [
        [re.sub(r"_:\w+", "_:", str(getattr(r, field) or "")) for field in type(r).model_fields]
        for r in report.results
    ]
    return sorted(rows)


def _summary(report: ValidationReport, seconds: float, rows_file: Path | None) -> dict[str, Any]:
    if rows_file is not None:
        rows_file.write_text(json.dumps(_rows(report)), encoding="utf-8")
    return {
        "seconds": seconds,
        "results": len(report.results),
        "violations": len(report.violations),
        "warnings": len(report.warnings),
    }


def _open_clean(folder: Path, new_graph: IRI) -> EmbeddedStore:
    """The cached store, without the new listing's graph a stopped run may have left."""
    store = open_store(folder)
    store.drop_graph(new_graph)
    return store


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this process; the parent runs it in a fresh subprocess."""
    new_listing: Path = args.new_listing
    new_graph = graph_of(new_listing)
    rows_file: Path | None = args.rows
    store = _open_clean(args.store, new_graph)
    try:
        quads = len(store)
        if args.run == "pyshacl":
            start = time.perf_counter()
            data = rdflib.Graph().parse(data=store.dump_ntriples(), format="nt")
            loaded = time.perf_counter() - start
            start = time.perf_counter()
            report = validate_graph(data)
            return _summary(report, time.perf_counter() - start, rows_file) | {
                "quads": quads,
                "load_s": loaded,
            }
        start = time.perf_counter()
        compiled = compile_shapes(_shapes(args.shapes))
        compile_s = time.perf_counter() - start
        if args.run == "full":
            start = time.perf_counter()
            report = validate_store(store, compiled)
            seconds = time.perf_counter() - start
            return _summary(report, seconds, rows_file) | {"quads": quads, "compile_s": compile_s}
        start = time.perf_counter()
        ingested = ingest_listing(new_listing, store, _options())
        ingest_s = time.perf_counter() - start
        try:
            start = time.perf_counter()
            report = validate_store(store, compiled, focus_graph=ingested.graph)
            seconds = time.perf_counter() - start
        finally:
            store.drop_graph(new_graph)
        return _summary(report, seconds, rows_file) | {
            "quads": quads,
            "compile_s": compile_s,
            "ingest_s": ingest_s,
            "new_papers": ingested.entries,
            "new_triples": ingested.triples,
        }
    finally:
        store.close()


# -- the parent: inputs, subprocesses, table --------------------------------------------------


def measure(
    mode: str, shapes: str, size: int, store: Path, new_listing: Path, timeout: float, out: Path
) -> dict[str, Any]:
    """One mode in a subprocess; a timeout or a crash becomes a status, not an exception."""
    rows = out / f"rows-{size}-{mode}-{shapes}.json"
    rows.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--run", mode, "--shapes", shapes]
    command += ["--store", str(store), "--new-listing", str(new_listing), "--rows", str(rows)]
    base: dict[str, Any] = {"mode": mode, "shapes": shapes, "size": size}
    base["load_avg_1m"] = os.getloadavg()[0]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return base | {"status": "timeout", "note": f"over {timeout:.0f} s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return base | {"status": "failed", "note": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return base | result | {"status": "ok", "rows_file": str(rows)}


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    if not a or not b or a["status"] != "ok" or b["status"] != "ok":
        return None
    rows_a = json.loads(Path(a["rows_file"]).read_text("utf-8"))
    return bool(rows_a == json.loads(Path(b["rows_file"]).read_text("utf-8")))


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per size and shapes: seconds, ratios against pySHACL and result equality."""
    by_key = {(r["size"], r["mode"], r["shapes"]): r for r in runs}
    table = []
    for size in sorted({r["size"] for r in runs}):
        baseline = by_key.get((size, "pyshacl", "shipped"))
        for shapes in SHAPES:
            full = by_key.get((size, "full", shapes))
            incremental = by_key.get((size, "incremental", shapes))
            row: dict[str, Any] = {"size": size, "shapes": shapes}
            for name, run in (("full", full), ("incremental", incremental), ("pyshacl", baseline)):
                ok = run is not None and run["status"] == "ok"
                row[name] = run["seconds"] if ok and run else None
                row[f"{name}_status"] = run["status"] if run else "not run"
                row[f"{name}_note"] = run.get("note", "") if run else ""
            row["quads"] = next(
                (r["quads"] for r in (full, incremental) if r and "quads" in r), None
            )
            row["results"] = full["results"] if full and full["status"] == "ok" else None
            row["speedup_vs_pyshacl"] = (
                row["pyshacl"] / row["full"] if row["pyshacl"] and row["full"] else None
            )
            row["incremental_vs_full"] = (
                row["full"] / row["incremental"] if row["full"] and row["incremental"] else None
            )
            row["same_as_pyshacl"] = _same(full, baseline)
            table.append(row)
    return table


def targets(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 3's targets at 100k papers, per shapes, with the measured value or None."""
    out = []
    for row in table:
        if row["size"] != TARGET_PAPERS:
            continue
        for name, goal in (("incremental", TARGET_INCREMENTAL_S), ("full", TARGET_FULL_S)):
            value = row[name]
            met = None if value is None else value < goal
            out.append({"shapes": row["shapes"], "target": name, "goal_s": goal, "value": value})
            out[-1]["met"] = met
            out[-1]["status"] = row[f"{name}_status"]
    return out


def _cell(row: dict[str, Any], name: str) -> str:
    if row[name] is not None:
        return f"{row[name]:,.2f}"
    status = row[f"{name}_status"]
    return f"{status} ({row[f'{name}_note']})" if row[f"{name}_note"] else status


def render_table(table: list[dict[str, Any]]) -> str:
    """An aligned text table, one row per size and shapes."""
    header = ["papers", "quads", "shapes", "full s", "incremental s", "pySHACL s"]
    header += ["pySHACL/full", "full/incr.", "same results"]
    rows = []
    for row in table:
        ratio = row["speedup_vs_pyshacl"]
        incremental = row["incremental_vs_full"]
        same = {True: "yes", False: "NO", None: "-"}[row["same_as_pyshacl"]]
        rows.append(
            [
                f"{row['size']:,}",
                f"{row['quads']:,}" if row["quads"] else "-",
                row["shapes"],
                _cell(row, "full"),
                _cell(row, "incremental"),
                _cell(row, "pyshacl") if row["shapes"] == "shipped" else "",
                f"{ratio:,.1f}x" if ratio else "-",
                f"{incremental:,.0f}x" if incremental else "-",
                same,
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def render_targets(rows: list[dict[str, Any]]) -> str:
    """The issue's targets with the measured values (informative, never asserted)."""
    out = [f"Targets of issue 3 at {TARGET_PAPERS:,} papers (reported, not asserted):"]
    for row in rows:
        value = f"{row['value']:,.2f} s" if row["value"] is not None else row["status"]
        verdict = {True: "met", False: "NOT met", None: "-"}[row["met"]]
        name = f"{row['target']} ({row['shapes']} shapes)"
        out.append(f"  {name:<30} < {row['goal_s']:>5.1f} s   {value:>14}   {verdict}")
    return "\n".join(out)


def _versions() -> dict[str, str]:
    names = ("scholarkg", "pyoxigraph", "rdflib", "pyshacl")
    return {name: importlib.metadata.version(name) for name in names}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) listings and stores, measure every size and mode, return results."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty()
    new_listing, _ = ensure_listing(args.new, args.new_seed, False, out)
    stores: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for size in args.sizes:
        if progress:
            print(f"{size:>9,} papers: store ...", file=sys.stderr, flush=True)
        folder, ingest_s = ensure_store(size, args.seed, out)
        stores.append({"size": size, "path": str(folder), "ingest_s": ingest_s or None})
        plan: list[tuple[str, str, float]] = []
        for shapes in SHAPES:
            if shapes == "shipped" and size > args.shipped_full_max:
                note = f"over --shipped-full-max {args.shipped_full_max:,}"
                runs.append({"mode": "full", "shapes": shapes, "size": size, "status": "skipped"})
                runs[-1]["note"] = note
            else:
                plan.append(("full", shapes, args.timeout))
            plan.append(("incremental", shapes, args.timeout))
        if size <= args.baseline_max:
            plan.append(("pyshacl", "shipped", args.baseline_timeout))
        else:
            note = f"over --baseline-max {args.baseline_max:,}"
            runs.append({"mode": "pyshacl", "shapes": "shipped", "size": size, "status": "skipped"})
            runs[-1]["note"] = note
        for mode, shapes, timeout in plan:
            if progress:
                print(f"{size:>9,} papers: {mode} ({shapes}) ...", file=sys.stderr, flush=True)
            runs.append(measure(mode, shapes, size, folder, new_listing, timeout, out))
    table = summarise(runs)
    return {
        "benchmark": "validate",
        "seed": args.seed,
        "new_listing": {"path": str(new_listing), "papers": args.new, "seed": args.new_seed},
        "baseline": "pySHACL (scholarkg.shapes.validate_graph) on an rdflib graph of the store",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "versions": _versions(),
        },
        "stores": stores,
        "runs": runs,
        "table": table,
        "targets": targets(table),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=parse_sizes, default=[1000, 10_000, 100_000], help="papers, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--new", type=int, default=100, help="papers of the new listing (100)")
    parser.add_argument("--new-seed", type=int, default=2, help="its generator seed (default 2)")
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=1000,
        help="largest size pySHACL runs at (default 1000); above it: skipped",
    )
    parser.add_argument(
        "--baseline-timeout",
        type=float,
        default=600,
        help="seconds pySHACL may take before 'timeout' (default 600)",
    )
    parser.add_argument(
        "--shipped-full-max",
        type=int,
        default=10_000,
        help="largest size full validation with the shipped shapes runs at (default 10000)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200,
        help="seconds per engine run before 'timeout' (default 1200)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="cache and results folder")
    parser.add_argument("--run", choices=("full", "incremental", "pyshacl"), help=argparse.SUPPRESS)
    parser.add_argument("--shapes", choices=SHAPES, default="shipped", help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--new-listing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_child(args)))
        return 0
    results = run_benchmark(args)
    print(render_table(results["table"]))
    print()
    print(render_targets(results["targets"]))
    print(
        f"(new listing: {args.new} papers, seed {args.new_seed}; "
        f"pySHACL up to {args.baseline_max:,} papers within {args.baseline_timeout:.0f} s)"
    )
    target = args.out / "validate.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

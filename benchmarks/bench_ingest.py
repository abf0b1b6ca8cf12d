"""Ingest benchmark: scholarkg's whole pipeline against an rdflib baseline doing the same mapping.

For each size (entries), a listing is generated with ``generate_listing.py`` (cached in
``benchmarks/out/``), then each measurement runs in its own subprocess, so that peak memory
(the child's own ``ru_maxrss``) belongs to that run alone:

* ``scholarkg``: ``scholarkg.pipeline.ingest_listing`` with default options, as ``scholarkg
  ingest`` runs it, into a fresh on-disk store in a temporary folder: parse, map, stage to a
  temporary file, validate against the SHACL shapes, bulk-load into pyoxigraph, commit.
* ``no-shacl``: the same with ``validate_data=False`` (``scholarkg ingest --no-validate``).
* ``rdflib``: the baseline. The same parse and the same mapping (``ListingMapper``), each triple
  converted to rdflib terms and added to an in-memory ``rdflib.Graph``.
* ``map-only`` (not a competitor, a breakdown): parse, map and serialise into ``os.devnull``;
  the difference to ``no-shacl`` is the cost of the staged file and the store load.

The concept tagger (built from ``ontology/concepts.ttl``, or from a small fallback scheme written
to ``benchmarks/out/`` while the shipped one does not exist) is built before the clock starts,
the same for every mode. Timings are wall-clock seconds of the measured part only.

    python benchmarks/bench_ingest.py                          # 1k, 10k and 100k entries
    python benchmarks/bench_ingest.py --sizes 1000,10000 --baseline-max 10000 --timeout 600
    python benchmarks/bench_ingest.py --profile --sizes 10000 --modes no-shacl

The table goes to stdout; the same results, with the machine's description, to
``benchmarks/out/ingest.json``. The targets of issue 2 are printed next to the results; nothing is
asserted.
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

import rdflib

from generate_listing import SUBJECT, write_listing
from scholarkg import pipeline
from scholarkg.concepts import ConceptTagger, concepts_path
from scholarkg.iris import IriMinter, source_id_for
from scholarkg.mapping import ListingMapper
from scholarkg.pipeline import LISTING_FORMAT, IngestOptions, iter_listing, map_listing, sha256_of
from scholarkg.records import SourceInfo
from scholarkg.resources import ontology_dir
from scholarkg.store import open_store
from scholarkg.terms import IRI, XSD_STRING, Literal, Term
from scholarkg.vocab import DEFAULT_BASE

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MODES = ("scholarkg", "no-shacl", "rdflib", "map-only")
OURS = ("scholarkg", "no-shacl")
TARGET_ENTRIES = 100_000
TARGET_TRIPLES_PER_S = 100_000
TARGET_PEAK_MB = 1024
TARGET_RATIO = 5.0

FALLBACK_CONCEPTS = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix c: <https://w3id.org/scholarkg/concepts/> .

# A small stand-in for ontology/concepts.ttl, used only while the shipped scheme does not exist.
c:scheme a skos:ConceptScheme .
c:machine-learning a skos:Concept ; skos:prefLabel "machine learning"@en ; skos:altLabel "ML" .
c:rl a skos:Concept ; skos:broader c:machine-learning ;
    skos:prefLabel "reinforcement learning"@en ; skos:altLabel "RL", "deep reinforcement learning" .
c:offline-rl a skos:Concept ; skos:broader c:rl ; skos:prefLabel "offline reinforcement learning" .
c:credit a skos:Concept ; skos:broader c:rl ; skos:prefLabel "credit assignment" .
c:exploration a skos:Concept ; skos:broader c:rl ;
    skos:prefLabel "exploration" ; skos:altLabel "intrinsic motivation" .
c:imitation a skos:Concept ; skos:broader c:rl ; skos:prefLabel "imitation learning" ;
    skos:altLabel "learning from demonstrations", "behavioral cloning", "behavioural cloning" .
c:actor-critic a skos:Concept ; skos:broader c:rl ; skos:prefLabel "actor-critic" .
c:policy-gradient a skos:Concept ; skos:broader c:rl ; skos:prefLabel "policy gradient" .
c:q-learning a skos:Concept ; skos:broader c:rl ;
    skos:prefLabel "Q-learning" ; skos:altLabel "temporal difference learning" .
c:rlhf a skos:Concept ; skos:broader c:rl, c:alignment ;
    skos:prefLabel "reinforcement learning from human feedback" ; skos:altLabel "RLHF" .
c:reward-modelling a skos:Concept ; skos:broader c:rlhf ; skos:prefLabel "reward modelling"@en ;
    skos:altLabel "reward modeling", "reward model", "reward hacking" .
c:preference-optimization a skos:Concept ; skos:broader c:rlhf ;
    skos:prefLabel "preference optimization" ;
    skos:altLabel "DPO", "direct preference optimization" .
c:language-models a skos:Concept ; skos:broader c:machine-learning ;
    skos:prefLabel "language model" ; skos:altLabel "large language model", "LLM" .
c:alignment a skos:Concept ; skos:broader c:language-models ;
    skos:prefLabel "alignment" ; skos:altLabel "AI safety" .
c:distillation a skos:Concept ; skos:broader c:machine-learning ;
    skos:prefLabel "knowledge distillation" ; skos:altLabel "distillation" .
c:model-merging a skos:Concept ; skos:broader c:machine-learning ; skos:prefLabel "model merging" ;
    skos:altLabel "weight averaging", "model soup" .
c:multimodality a skos:Concept ; skos:broader c:machine-learning ;
    skos:prefLabel "multimodality" ; skos:altLabel "multimodal", "vision-language model" .
c:evaluation a skos:Concept ; skos:broader c:machine-learning ;
    skos:prefLabel "evaluation" ; skos:altLabel "benchmark" .
c:summarisation a skos:Concept ; skos:broader c:language-models ;
    skos:prefLabel "summarisation"@en ; skos:altLabel "summarization" .
c:transformers a skos:Concept ; skos:broader c:machine-learning ; skos:prefLabel "transformer" .
c:diffusion a skos:Concept ; skos:broader c:machine-learning ; skos:prefLabel "diffusion model" .
c:world-models a skos:Concept ; skos:broader c:rl ; skos:prefLabel "world model" .
c:moe a skos:Concept ; skos:broader c:transformers ;
    skos:prefLabel "mixture of experts" ; skos:altLabel "MoE" .
c:in-context a skos:Concept ; skos:broader c:language-models ;
    skos:prefLabel "in-context learning" ; skos:altLabel "chain-of-thought" .
"""


# -- the child: one measured run --------------------------------------------------------------


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def _vocabularies_present() -> bool:
    return concepts_path().is_file() and (ontology_dir() / "scholarkg.ttl").is_file()


def _ingest_options(*, validate: bool | None) -> IngestOptions:
    """Options as the CLI gives them; ``validate`` False turns SHACL validation off if it exists."""
    if validate is None or "validate_data" not in IngestOptions.model_fields:
        return IngestOptions(base=DEFAULT_BASE, subject=SUBJECT)
    return IngestOptions(base=DEFAULT_BASE, subject=SUBJECT, validate_data=validate)


def _run_scholarkg(
    listing: Path, tagger: ConceptTagger, *, validate: bool | None = None
) -> dict[str, Any]:
    options = _ingest_options(validate=validate)
    with tempfile.TemporaryDirectory(prefix="scholarkg-bench-") as tmp:
        start = time.perf_counter()
        store = open_store(Path(tmp) / "store")
        report = pipeline.ingest_listing(listing, store, options, tagger=tagger)
        seconds = time.perf_counter() - start
        quads = len(store)
        store.close()
    return {
        "entries": report.entries,
        "triples": report.triples,
        "seconds": seconds,
        "quads": quads,
        "validated": getattr(report, "validation", None) is not None,
    }


def _run_no_shacl(listing: Path, tagger: ConceptTagger) -> dict[str, Any]:
    return _run_scholarkg(listing, tagger, validate=False)


def _to_rdflib(term: Term) -> rdflib.term.Identifier:
    if isinstance(term, IRI):
        return rdflib.URIRef(term)
    assert isinstance(term, Literal)
    if term.lang:
        return rdflib.Literal(term.lexical, lang=term.lang)
    if term.datatype == XSD_STRING:
        return rdflib.Literal(term.lexical)
    return rdflib.Literal(term.lexical, datatype=rdflib.URIRef(term.datatype))


def _run_rdflib(listing: Path, tagger: ConceptTagger) -> dict[str, Any]:
    graph = rdflib.Graph()
    start = time.perf_counter()
    info = SourceInfo(
        source_id=source_id_for(listing.name),
        file_name=listing.name,
        source_format=LISTING_FORMAT,
        sha256=sha256_of(listing),
        subject=SUBJECT,
    )
    mapper = ListingMapper(info, IriMinter(DEFAULT_BASE), tagger)
    add = graph.add
    count = 0
    for triple in mapper.map_all(iter_listing(listing, lenient=False)):
        add(
            (
                rdflib.URIRef(triple.subject),
                rdflib.URIRef(triple.predicate),
                _to_rdflib(triple.object),
            )
        )
        count += 1
    seconds = time.perf_counter() - start
    return {"entries": mapper.entries, "triples": count, "seconds": seconds, "quads": len(graph)}


def _run_map_only(listing: Path, tagger: ConceptTagger) -> dict[str, Any]:
    options = IngestOptions(base=DEFAULT_BASE, subject=SUBJECT)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        start = time.perf_counter()
        report = map_listing(listing, options, tagger=tagger, write=sink.write)
        seconds = time.perf_counter() - start
    return {"entries": report.entries, "triples": report.triples, "seconds": seconds, "quads": None}


RUNNERS: dict[str, Callable[[Path, ConceptTagger], dict[str, Any]]] = {
    "scholarkg": _run_scholarkg,
    "no-shacl": _run_no_shacl,
    "rdflib": _run_rdflib,
    "map-only": _run_map_only,
}


def run_child(mode: str, listing: Path, concepts: Path) -> dict[str, Any]:
    """One measurement in this process; the caller runs it in a fresh subprocess."""
    tagger = ConceptTagger.from_file(concepts)
    vocabularies = _vocabularies_present()
    if not vocabularies:
        # ingest_listing also loads ontology/concepts.ttl and ontology/scholarkg.ttl into their
        # own graphs (a small constant cost); while they do not exist, that step is skipped
        pipeline.load_vocabularies = lambda store, base: None  # type: ignore[assignment]
    start_rss = _peak_rss_mb()
    result = RUNNERS[mode](listing, tagger)
    result.update(
        mode=mode,
        status="ok",
        peak_rss_mb=_peak_rss_mb(),
        start_rss_mb=start_rss,
        vocabularies_loaded=vocabularies if mode in OURS else None,
    )
    return result


# -- the parent: listings, subprocesses, table ------------------------------------------------


def ensure_listing(entries: int, seed: int, web_format: bool, out: Path) -> tuple[Path, float]:
    """The cached listing for a size (regenerated when the generator changed); generation time."""
    suffix = "-web" if web_format else ""
    path = out / f"listing-{entries}-seed{seed}{suffix}.txt"
    generator = HERE / "generate_listing.py"
    if path.is_file() and path.stat().st_mtime >= generator.stat().st_mtime:
        return path, 0.0
    start = time.perf_counter()
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8", newline="\n") as handle:
        write_listing(handle, entries, seed, web_format=web_format)
    partial.replace(path)
    return path, time.perf_counter() - start


def concepts_file(out: Path) -> tuple[Path, str]:
    """The shipped concept scheme if it exists, else the fallback written to ``out``."""
    shipped = concepts_path()
    if shipped.is_file():
        return shipped, "shipped"
    fallback = out / "fallback-concepts.ttl"
    fallback.write_text(FALLBACK_CONCEPTS, encoding="utf-8")
    return fallback, "fallback"


def measure(
    mode: str, entries: int, listing: Path, concepts: Path, timeout: float
) -> dict[str, Any]:
    """Run one mode in a subprocess; a timeout or a crash becomes a status, not an exception."""
    command = [sys.executable, str(Path(__file__).resolve()), "--run", mode]
    command += ["--listing", str(listing), "--concepts", str(concepts)]
    base: dict[str, Any] = {"mode": mode, "size": entries, "load_avg_1m": os.getloadavg()[0]}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return base | {"status": "timeout", "note": f"over {timeout:g} s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return base | {"status": "failed", "note": f"exit {done.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = result["seconds"]
    result.update(
        base,
        papers_per_s=result["entries"] / seconds,
        triples_per_s=result["triples"] / seconds,
    )
    return result


def ratios(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per size and scholarkg mode (key "size/mode"): ratio to rdflib of throughput and memory."""
    by_key = {(r["size"], r["mode"]): r for r in runs if r["status"] == "ok"}
    out: dict[str, dict[str, float]] = {}
    for size in sorted({r["size"] for r in runs}):
        theirs = by_key.get((size, "rdflib"))
        for mode in OURS:
            ours = by_key.get((size, mode))
            if ours and theirs:
                out[f"{size}/{mode}"] = {
                    "throughput": ours["triples_per_s"] / theirs["triples_per_s"],
                    "memory": ours["peak_rss_mb"] / theirs["peak_rss_mb"],
                }
    return out


def targets(runs: list[dict[str, Any]], ratio: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Issue 2's targets at 100k entries per scholarkg mode, with the measured value or None."""
    out = []
    for mode in OURS:
        ours = next((r for r in runs if r["mode"] == mode and r["size"] == TARGET_ENTRIES), None)
        ok = ours is not None and ours["status"] == "ok"
        speed = ratio.get(f"{TARGET_ENTRIES}/{mode}", {}).get("throughput")
        rows = [
            ("triples/s", ">=", TARGET_TRIPLES_PER_S, ours["triples_per_s"] if ok else None),
            ("peak memory MB", "<", TARGET_PEAK_MB, ours["peak_rss_mb"] if ok else None),
            ("speed vs rdflib", ">=", TARGET_RATIO, speed),
        ]
        for name, op, goal, value in rows:
            met = None if value is None else (value >= goal if op == ">=" else value < goal)
            row = {"mode": mode, "target": name, "op": op, "goal": goal, "value": value, "met": met}
            out.append(row)
    return out


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render_table(runs: list[dict[str, Any]], ratio: dict[str, dict[str, float]]) -> str:
    """One aligned text table: a row per size and mode, the ratios on the scholarkg rows."""
    header = ["entries", "mode", "triples", "seconds", "papers/s", "triples/s", "peak MB"]
    header += ["speed x", "memory x"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for run in runs:
        if run["status"] != "ok":
            rows.append([f"{run['size']:,}", run["mode"], run["status"], *[""] * 6])
            notes.append(run.get("note", ""))
            continue
        r = ratio.get(f"{run['size']}/{run['mode']}", {})
        rows.append(
            [
                f"{run['size']:,}",
                run["mode"],
                _num(run["triples"]),
                _num(run["seconds"], 2),
                _num(run["papers_per_s"]),
                _num(run["triples_per_s"]),
                _num(run["peak_rss_mb"], 0),
                _num(r.get("throughput"), 2) if r else "",
                _num(r.get("memory"), 2) if r else "",
            ]
        )
        notes.append("")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str], note: str = "") -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [cell.ljust(w) if i == 1 else cell.rjust(w) for i, (cell, w) in pairs]
        return ("  ".join(cells) + ("  " + note if note else "")).rstrip()

    body = [line(row, note) for row, note in zip(rows, notes, strict=True)]
    return "\n".join([line(header), *body])


def render_targets(rows: list[dict[str, Any]]) -> str:
    """The issue's targets with the measured values (informative, never asserted)."""
    out = [f"Targets of issue 2 at {TARGET_ENTRIES:,} entries (reported, not asserted):"]
    for row in rows:
        value = "not measured" if row["value"] is None else _num(row["value"], 1)
        verdict = {True: "met", False: "NOT met", None: "-"}[row["met"]]
        target = f"{row['mode']} {row['target']}"
        out.append(f"  {target:<27} {row['op']:>2} {row['goal']:>9,}   {value:>12}   {verdict}")
    return "\n".join(out)


def _checkout() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes (None outside git)."""
    root = HERE.parent

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *argv], cwd=root, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    changes = git("status", "--porcelain", "--", "src")
    return {"commit": commit, "src_dirty": None if changes is None else bool(changes)}


def _versions() -> dict[str, str]:
    names = ("scholarkg", "pyoxigraph", "rdflib", "pydantic")
    return {name: importlib.metadata.version(name) for name in names}


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) the listings, measure every size and mode, return the results."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    concepts, tagger_kind = concepts_file(out)
    progress = sys.stderr.isatty()
    listings: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for size in args.sizes:
        listing, generated = ensure_listing(size, args.seed, args.web_format, out)
        listings.append(
            {
                "size": size,
                "path": str(listing),
                "bytes": listing.stat().st_size,
                "generation_s": generated or None,
            }
        )
        for mode in args.modes:
            limit = {"rdflib": ("--baseline-max", args.baseline_max)}
            limit["scholarkg"] = ("--shacl-max", args.shacl_max)
            if mode in limit and size > limit[mode][1]:
                note = f"over {limit[mode][0]} {limit[mode][1]:,}"
                runs.append({"mode": mode, "size": size, "status": "skipped", "note": note})
                continue
            if progress:
                print(f"{size:>9,} entries: {mode} ...", file=sys.stderr, flush=True)
            runs.append(measure(mode, size, listing, concepts, args.timeout))
    ratio = ratios(runs)
    return {
        "benchmark": "ingest",
        "seed": args.seed,
        "format": "web" if args.web_format else "shipped",
        "concepts": tagger_kind,
        "vocabularies_loaded": _vocabularies_present(),
        "baseline": "same parse and ListingMapper mapping into an in-memory rdflib.Graph",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "versions": _versions(),
        },
        "checkout": _checkout(),
        "listings": listings,
        "runs": runs,
        "ratios": ratio,
        "targets": targets(runs, ratio),
    }


def profile_ingest(size: int, mode: str, args: argparse.Namespace) -> str:
    """cProfile of one scholarkg ingest, in this process; the top functions by own time."""
    args.out.mkdir(parents=True, exist_ok=True)
    listing, _ = ensure_listing(size, args.seed, args.web_format, args.out)
    concepts, _ = concepts_file(args.out)
    tagger = ConceptTagger.from_file(concepts)
    profiler = cProfile.Profile()
    profiler.enable()
    RUNNERS[mode](listing, tagger)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("tottime")
    stats.print_stats(args.profile_top)
    report = text.getvalue()
    (args.out / f"profile-{size}-{mode}.txt").write_text(report, encoding="utf-8")
    return report


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes such as 1000,10000, not {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive counts")
    return sizes


def _modes(text: str) -> list[str]:
    modes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if unknown or not modes:
        raise argparse.ArgumentTypeError(f"modes are {', '.join(MODES)}; not {unknown}")
    return modes


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1000, 10_000, 100_000],
        help="entry counts, comma-separated",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--web-format", action="store_true", help="listings in arXiv's web format")
    parser.add_argument(
        "--modes", type=_modes, default=list(MODES), help=f"what to run (default {','.join(MODES)})"
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="largest size the rdflib baseline runs at (default 100000); above it: skipped",
    )
    parser.add_argument(
        "--shacl-max",
        type=int,
        default=10_000,
        help="largest size the default ingest (with SHACL validation) runs at (default 10000)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds per run before 'timeout' (default 1800)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="cache and results folder")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of measuring, cProfile each mode at each size (in this process)",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="functions shown (default 25)")
    parser.add_argument("--run", choices=MODES, help=argparse.SUPPRESS)  # internal: the child
    parser.add_argument("--listing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--concepts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_child(args.run, args.listing, args.concepts)))
        return 0
    if args.profile:
        for size in args.sizes:
            for mode in args.modes:
                print(f"profile of {mode} at {size:,} entries")
                print(profile_ingest(size, mode, args))
        return 0
    results = run_benchmark(args)
    print(render_table(results["runs"], results["ratios"]))
    print()
    print(render_targets(results["targets"]))
    notes = [f"listings: {results['format']} format, seed {results['seed']}"]
    notes.append(f"concept scheme: {results['concepts']}")
    if not results["vocabularies_loaded"]:
        notes.append("ontology/ incomplete: the vocabulary graphs were not loaded")
    print("(" + "; ".join(notes) + ")")
    target = args.out / "ingest.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

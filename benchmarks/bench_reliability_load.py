"""Reliability under faults and load: SIGKILL at random points of ingest, export, release and a
remote ingest, and 16 clients querying a server while a source is replaced in a loop.

    python benchmarks/bench_reliability_load.py [--quick] [--seed N] [--load-seconds S]

Kill points: the real CLI runs in a fresh process (``tests.kill_runner``) with one kill point
armed at a random N within each place's range (places and ranges per phase below); a point
survived is one where the state after the kill is exactly the old one (or, past the commit, the
new one), nothing is left over, and the next run succeeds with the same result as a clean run.
A random N past the calls a run makes is counted as not reached, not as survived. The remote
phase needs ``oxigraph`` (``pip install oxigraph``) and is skipped without it.

Load: ``tests.test_concurrency.run_load``: 16 clients, writes by SPARQL Update through the
server's token, every answer checked against the versions it may see.

Prints one table and writes ``benchmarks/out/bench_reliability_load.json`` (``run(quick)``
returns the same dictionary). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kill_runner import KillServer  # noqa: E402
from tests.remote_servers import OxigraphServer, find_oxigraph  # noqa: E402
from tests.test_concurrency import CLIENTS, run_load, served  # noqa: E402
from tests.test_crash_safety import (  # noqa: E402
    BIBTEX,
    LISTING,
    RemoteWorld,
    bundle,
    canonical,
    changed_listing,
    quads,
)

from bench_ingest import _checkout  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "bench_reliability_load.json"
S, M, V = "scholarkg.store:", "scholarkg.mapping:", "scholarkg.validation:"
#: (phase, target, when, highest N) for the embedded ingest: the changed listing has 25
#: entries and about 3,200 triples; validation runs about 20 queries, the view a few updates
INGEST_PLACES = [
    ("parse", "scholarkg.pipeline:iter_entries", "item", 25),
    ("parse", "scholarkg.pipeline:sha256_of", "before", 1),
    ("map", M + "ListingMapper.map_entry", "before", 25),
    ("map", M + "ListingMapper.map_entry", "after", 25),
    ("map", M + "ListingMapper.finish", "after", 1),
    ("load", S + "GraphWriter.write", "before", 3200),
    ("load", "loader", "after", 1),
    ("load", S + "GraphWriter.close", "after", 1),
    ("load", S + "EmbeddedStore.load_file", "after", 2),
    ("validate", V + "_run", "before", 20),
    ("validate", V + "_run", "after", 20),
    ("merge", "scholarkg.pipeline:rebuild_view", "before", 1),
    ("merge", S + "EmbeddedStore.update", "after", 4),
    ("commit", S + "EmbeddedStore._discard", "before", 1),
    ("commit", S + "EmbeddedStore._discard", "after", 1),  # committed: the new state
]
EXPORT_PLACES = [
    ("scholarkg.export:_Chunked.flush", "after", 2),
    ("scholarkg.export:_write_lines", "after", 1),
    ("os:fsync", "after", 1),
    ("os:replace", "after", 1),  # the new file in place
]
RELEASE_PLACES = [
    ("scholarkg.release:export_store", "after", 3),
    ("scholarkg.release:_write", "after", 12),
    ("scholarkg.release:_sync_tree", "after", 1),
    ("pathlib:Path.rename", "after", 2),  # the old bundle aside; the new one in (new state)
]
REMOTE_REQUESTS = 16


def _tally(results: dict[str, dict[str, int]], phase: str, outcome: str) -> None:
    row = results.setdefault(phase, {"tried": 0, "survived": 0, "failed": 0, "not_reached": 0})
    row[outcome] += 1


def kill_ingest(runner: KillServer, work: Path, rng: random.Random, rounds: int) -> dict[str, Any]:
    """Random kill points of an embedded ingest of a changed listing over a store holding the
    listing and a BibTeX file."""
    work.mkdir(parents=True, exist_ok=True)
    base, clean = work / "base", work / "clean"
    for source in (LISTING, BIBTEX):
        runner.run(["ingest", str(source), "--store", str(base)])
    changed = changed_listing(work / "changed.txt")
    argv = ["ingest", str(changed), "--source-id", "arxiv-listing-ferret"]
    shutil.copytree(base, clean)
    runner.run([*argv, "--store", str(clean)])
    old, new = quads(base), canonical(quads(clean))
    results: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    for _ in range(rounds):
        for phase, target, when, top in INGEST_PLACES:
            n = rng.randint(1, top)
            store = work / "store"
            shutil.rmtree(store, ignore_errors=True)
            shutil.copytree(base, store)
            run = [*argv, "--store", str(store)]
            ended = runner.run(run, {"target": target, "n": n, "when": when})
            if ended != {"signal": 9}:
                _tally(results, phase, "not_reached")
                continue
            after = quads(store)
            good = after == old or (target.endswith("_discard") and canonical(after) == new)
            good = good and sorted(p.name for p in store.iterdir()) == ["oxigraph"]
            good = good and runner.run(run) == {"code": 0} and canonical(quads(store)) == new
            _tally(results, phase, "survived" if good else "failed")
            if not good:
                failures.append(f"ingest {target} {when} {n}")
    for row in results.values():
        row["tried"] = row["survived"] + row["failed"]
    return {"phases": results, "failures": failures, "base": base, "clean": clean}


def kill_writes(
    runner: KillServer, work: Path, rng: random.Random, rounds: int, stores: dict[str, Any]
) -> dict[str, Any]:
    """Random kill points of an export (N-Quads) and of a release (--overwrite) over the
    previous file or bundle."""
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    old_nq, new_nq = work / "old.nq", work / "new.nq"
    runner.run(["export", "-o", str(old_nq), "--store", str(stores["base"])])
    runner.run(["export", "-o", str(new_nq), "--store", str(stores["clean"])])
    old_rel, new_rel = work / "old-release", work / "new-release"
    runner.run(["release", str(old_rel), "--store", str(stores["base"])])
    runner.run(["release", str(new_rel), "--store", str(stores["clean"])])
    versions = {"nq": (old_nq.read_bytes(), new_nq.read_bytes())}
    bundles = (bundle(old_rel), bundle(new_rel))
    for _ in range(rounds):
        for target, when, top in EXPORT_PLACES:
            out = work / "exports"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            dump = out / "dataset.nq"
            dump.write_bytes(versions["nq"][0])
            run = ["export", "-o", str(dump), "--store", str(stores["clean"])]
            n = rng.randint(1, top)
            if runner.run(run, {"target": target, "n": n, "when": when}) != {"signal": 9}:
                _tally(results, "export", "not_reached")
                continue
            good = dump.read_bytes() in versions["nq"]
            good = good and runner.run(run) == {"code": 0}
            good = good and dump.read_bytes() == versions["nq"][1]
            good = good and [p.name for p in out.iterdir()] == ["dataset.nq"]
            _tally(results, "export", "survived" if good else "failed")
            if not good:
                failures.append(f"export {target} {when} {n}")
        for target, when, top in RELEASE_PLACES:
            parent = work / "releases"
            shutil.rmtree(parent, ignore_errors=True)
            shutil.copytree(old_rel, parent / "latest")
            run = ["release", str(parent / "latest"), "--overwrite"]
            run += ["--store", str(stores["clean"])]
            n = rng.randint(1, top)
            if runner.run(run, {"target": target, "n": n, "when": when}) != {"signal": 9}:
                _tally(results, "release", "not_reached")
                continue
            target_dir = parent / "latest"
            good = not target_dir.exists() or bundle(target_dir) in bundles
            good = good and runner.run(run) == {"code": 0}
            good = good and bundle(target_dir) == bundles[1]
            good = good and [p.name for p in parent.iterdir()] == ["latest"]
            _tally(results, "release", "survived" if good else "failed")
            if not good:
                failures.append(f"release {target} {when} {n}")
    for row in results.values():
        row["tried"] = row["survived"] + row["failed"]
    return {"phases": results, "failures": failures}


def kill_remote(runner: KillServer, work: Path, rng: random.Random, rounds: int) -> dict[str, Any]:
    """Random kill points (the Nth HTTP request) of a remote ingest into an Oxigraph server."""
    if find_oxigraph() is None:
        return {"phases": {}, "failures": [], "skipped": "no oxigraph binary"}
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    files = {"v1": LISTING, "v2": changed_listing(work / "remote-changed.txt")}
    with OxigraphServer(work / "oxigraph") as server:
        world = RemoteWorld(server, files, {})
        for version in ("v2", "v1"):
            runner.run(world.argv(version))
            world.seen[version] = world.view()
        for _ in range(rounds * 4):
            new = "v2" if world.current == "v1" else "v1"
            n = rng.randint(1, REMOTE_REQUESTS)
            if runner.run(world.argv(new), {"target": "http", "n": n}) != {"signal": 9}:
                _tally(results, "remote", "not_reached")
                world.current = new
                continue
            good = world.view() in (world.seen["v1"], world.seen["v2"])
            good = good and runner.run(world.argv(new)) == {"code": 0}
            good = good and world.view() == world.seen[new]
            world.current = new
            _tally(results, "remote", "survived" if good else "failed")
            if not good:
                failures.append(f"remote http {n}")
    for row in results.values():
        row["tried"] = row["survived"] + row["failed"]
    return {"phases": results, "failures": failures}


def load_average() -> str:
    """The machine's load average now."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(quick: bool, *, seed: int = 1, load_seconds: float | None = None) -> dict[str, Any]:
    """Run every measurement; the figures as one dictionary (see the README for the keys)."""
    rng = random.Random(seed)
    rounds = 1 if quick else 4
    seconds = load_seconds or (20.0 if quick else 120.0)
    started = time.monotonic()
    figures: dict[str, Any] = {
        "benchmark": "bench_reliability_load",
        "quick": quick,
        "seed": seed,
        "date": time.strftime("%Y-%m-%d"),
        **_checkout(),
        "load_average_before": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as folder:
        work = Path(folder)
        with KillServer(work) as runner:
            ingest = kill_ingest(runner, work / "ingest", rng, rounds)
            writes = kill_writes(runner, work / "writes", rng, rounds, ingest)
            remote = kill_remote(runner, work / "remote", rng, rounds)
        phases = {**ingest["phases"], **writes["phases"], **remote["phases"]}
        figures["kill_points"] = phases
        figures["kill_points_tried"] = sum(p["tried"] for p in phases.values())
        figures["kill_points_survived"] = sum(p["survived"] for p in phases.values())
        figures["kill_failures"] = ingest["failures"] + writes["failures"] + remote["failures"]
        if "skipped" in remote:
            figures["remote_skipped"] = remote["skipped"]
        # the source replaced by one SPARQL Update at a time ("load"), then by whole remote
        # ingests into the server itself ("load_ingest")
        for key, writer in (("load", "update"), ("load_ingest", "ingest")):
            (work / key).mkdir()
            with served(work / key, writer=writer) as (url, expected, write):
                report = run_load(url, expected, write, seconds, CLIENTS)
            figures[key] = report.figures()
            figures[key]["inconsistent_examples"] = report.inconsistent[:5]
    figures["load_average_after"] = load_average()
    figures["seconds"] = round(time.monotonic() - started, 1)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    """The figures as one table."""
    rows: list[tuple[str, str]] = []
    for phase, row in figures["kill_points"].items():
        rows.append(
            (
                f"kill points: {phase}",
                f"{row['survived']}/{row['tried']} survived"
                + (f" ({row['not_reached']} not reached)" if row["not_reached"] else ""),
            )
        )
    rows.append(
        (
            "kill points: all",
            f"{figures['kill_points_survived']}/{figures['kill_points_tried']} survived",
        )
    )
    for key, label in (("load", "load"), ("load_ingest", "load, ingests")):
        rows += _load_rows(label, figures[key])
    width = max(len(name) for name, _ in rows)
    print(
        f"reliability ({'quick' if figures['quick'] else 'full'}, seed {figures['seed']}, "
        f"commit {figures['commit']}, load {figures['load_average_before']})"
    )
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def _load_rows(label: str, load: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            f"{label}: clients x seconds",
            f"{load['clients']} x {load['seconds']} s, {load['writes']} writes "
            f"({load['failed_writes']} failed)",
        ),
        (f"{label}: requests served", f"{load['answered']} of {load['requests']}"),
        (f"{label}: back-pressure (503/429)", json.dumps(load["back_pressure"])),
        (f"{label}: errors by kind", json.dumps(load["errors"])),
        (f"{label}: inconsistent answers", str(load["inconsistent"])),
        (f"{label}: answers old / new", f"{load['answers_old']} / {load['answers_new']}"),
        (f"{label}: final state is the last write", str(load["final_state_ok"])),
        (f"{label}: throughput", f"{load['throughput_rps']} requests/s"),
        (
            f"{label}: latency p50 / p95 / p99",
            f"{load['p50_ms']} / {load['p95_ms']} / {load['p99_ms']} ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, a 20 s load run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random kill points")
    parser.add_argument("--load-seconds", type=float, help="length of the load run")
    args = parser.parse_args()
    figures = run(args.quick, seed=args.seed, load_seconds=args.load_seconds)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print_table(figures)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

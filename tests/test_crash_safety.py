"""Crash safety: the real CLI killed with SIGKILL at chosen points (``tests.kill_runner``).

- An ingest killed anywhere in parse, map, load, validate, the merged view's rebuild or the
  commit leaves the embedded store exactly as it was before (every quad the same, no folder left
  over), except once the commit is done, when it is exactly the new state; the next ingest
  succeeds and gives the same store as an ingest that was never interrupted. A kill while the
  next process rolls the first one back is survived too.
- An export or a release killed while it writes leaves the previous complete file (or bundle)
  at the target, or the new one, never a part; what it left beside the target is cleaned up by
  the next run, which succeeds.
- A remote ingest (an Oxigraph server) killed at any of its HTTP requests leaves the source's
  graph, as scholarkg sees it, the old one or the new one; the next ingest succeeds.

The store holds the shipped listing and a BibTeX file that shares papers with it (so there is
a merged view); the ingest under test loads a changed version of the listing over it.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import rdflib
from rdflib.compare import to_canonical_graph

from scholarkg.remote import Endpoints, RemoteStore
from scholarkg.store import EmbeddedStore, split_nquads
from scholarkg.terms import IRI
from scholarkg.vocab import DEFAULT_BASE
from tests.kill_runner import KillServer

if TYPE_CHECKING:
    from tests.remote_servers import RemoteServer

pytest_plugins = ["tests.remote_servers"]

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT / "data" / "arxiv-listing-ferret.txt"
BIBTEX = ROOT / "tests" / "data" / "bibtex" / "ferret.bib"
KILLED = {"signal": 9}
OK = {"code": 0}
OLD, NEW = "old", "new"


def point(
    target: str, n: int, when: str = "before", expect: str = OLD, *, slow: bool = False
) -> dict[str, Any]:
    """A kill point and the state the store must be in after it; ``slow`` ones run with the
    slow tests only (the CI-sized run keeps 20 ingest points)."""
    return {"target": target, "n": n, "when": when, "expect": expect, "slow": slow}


S, M, V = "scholarkg.store:", "scholarkg.mapping:", "scholarkg.validation:"
#: ingest kill points, by phase (CI-sized); the changed listing has 25 entries
INGEST_POINTS: dict[str, list[dict[str, Any]]] = {
    "parse": [
        point("scholarkg.pipeline:sha256_of", 1),
        point("scholarkg.pipeline:iter_entries", 1, "item"),
        point("scholarkg.pipeline:iter_entries", 9, "item"),
        point("scholarkg.pipeline:iter_entries", 25, "item", slow=True),
    ],
    "map": [
        point(M + "ListingMapper.map_entry", 1),
        point(M + "ListingMapper.map_entry", 13),
        point(M + "ListingMapper.map_entry", 25, "after", slow=True),
        point(M + "ListingMapper.finish", 1, "after"),
    ],
    "load": [
        point(S + "GraphWriter.write", 1),
        point(S + "GraphWriter.write", 1500),
        point("loader", 1),  # in the loader thread, once the graph holds the new triples
        point(S + "GraphWriter.close", 1, "after", slow=True),
        point(S + "EmbeddedStore.load_file", 1, "after"),  # concept scheme reloaded
        point(S + "EmbeddedStore.load_file", 2, "after"),  # ontology reloaded
    ],
    "validate": [
        point(V + "_run", 1),
        point(V + "_run", 6),
        point(V + "_run", 12, "after", slow=True),
        point("scholarkg.pipeline:validate_source", 1, "after"),
    ],
    "merge": [
        point("scholarkg.pipeline:rebuild_view", 1),
        point(S + "EmbeddedStore.update", 1, "after"),  # the view copied from the sources
        point(S + "EmbeddedStore.update", 2, "after"),  # preferences applied
        point("scholarkg.pipeline:rebuild_view", 1, "after"),
    ],
    "commit": [
        point(S + "EmbeddedStore._discard", 1),  # flushed, not yet committed
        point(S + "EmbeddedStore._discard", 1, "after", expect=NEW),  # committed
    ],
}


@dataclass
class World:
    """The stores and files every test starts from."""

    folder: Path
    runner: KillServer
    base_store: Path  # the listing and the BibTeX file
    changed: Path  # the changed listing, same source id
    old: list[bytes]  # the base store's quads, sorted
    new: list[bytes]  # the same after an uninterrupted ingest of the changed listing

    def copy_store(self, name: str) -> Path:
        target = self.folder / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.base_store, target)
        return target

    def ingest_argv(self, store: Path) -> list[str]:
        return ["ingest", str(self.changed), "--source-id", "arxiv-listing-ferret"]


def quads(store: Path) -> list[bytes]:
    """The store's quads, sorted: opening it rolls back an interrupted write, as any next
    process would. Blank node labels are the store's own (a rolled-back store keeps them)."""
    db = EmbeddedStore(store)
    try:
        return sorted(db.dump_nquads().splitlines())
    finally:
        db.close()


def canonical(lines: list[bytes]) -> list[bytes]:
    """Quads with the blank nodes of each graph labelled canonically (an ingest reloads the
    ontology, whose blank nodes get new labels each time)."""
    graphs: dict[str, list[str]] = {}
    for graph, triple in split_nquads(b"\n".join(lines).decode("utf-8") + "\n"):
        graphs.setdefault(graph, []).append(triple)
    result: list[bytes] = []
    for graph, lines_of_graph in graphs.items():
        triples = lines_of_graph
        if any("_:" in t for t in triples):
            parsed = rdflib.Graph().parse(data="".join(triples), format="nt")
            text = to_canonical_graph(parsed).serialize(format="nt")
            triples = [line + "\n" for line in text.splitlines() if line.strip()]
        result += [f"{t.rstrip().removesuffix('.').rstrip()} {graph} .".encode() for t in triples]
    return sorted(result)


def changed_listing(target: Path) -> Path:
    """The shipped listing without its first entry and with one title changed."""
    lines = LISTING.read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(lines) if line == "-"]
    lines = lines[starts[1] :]  # the first entry dropped
    lines[1] = lines[1] + " (revised)"  # the title of the new first entry
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def store_argv(store: Path, *argv: str) -> list[str]:
    return [*argv, "--store", str(store)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("crash")
    with KillServer(folder) as runner:
        base = folder / "base-store"
        for source in (LISTING, BIBTEX):
            assert runner.run(store_argv(base, "ingest", str(source))) == OK
        changed = changed_listing(folder / "arxiv-listing-ferret-changed.txt")
        clean = folder / "clean-store"
        shutil.copytree(base, clean)
        argv = ["ingest", str(changed), "--source-id", "arxiv-listing-ferret"]
        assert runner.run(store_argv(clean, *argv)) == OK
        old, new = quads(base), quads(clean)
        assert old != new and len(new) > 1000
        yield World(folder, runner, base, changed, old, canonical(new))


def as_param(p: dict[str, Any], *values: Any) -> Any:
    name = f"{p['target'].rsplit(':', 1)[-1]}-{p['when']}-{p['n']}"
    marks = [pytest.mark.slow] if p["slow"] else []
    return pytest.param(*values, p, id=name, marks=marks)


def all_points(points: dict[str, list[dict[str, Any]]]) -> list[Any]:
    return [as_param(p, phase) for phase, listed in points.items() for p in listed]


@pytest.mark.parametrize(("phase", "spec"), all_points(INGEST_POINTS))
def test_an_ingest_killed_leaves_the_store_as_it_was(
    world: World, phase: str, spec: dict[str, Any]
) -> None:
    store = world.copy_store("store")
    argv = store_argv(store, *world.ingest_argv(store))
    log = world.folder / f"ingest-{phase}.log"
    assert world.runner.run(argv, spec, log=log) == KILLED, log.read_text()
    if spec["expect"] == OLD:
        assert quads(store) == world.old  # exactly: the same quads, the same blank nodes
    else:
        assert canonical(quads(store)) == world.new
    assert sorted(p.name for p in store.iterdir()) == ["oxigraph"]  # nothing left over
    assert world.runner.run(argv, log=log) == OK, log.read_text()
    assert canonical(quads(store)) == world.new


def test_a_kill_while_rolling_back_is_rolled_back_too(world: World) -> None:
    """Killed mid-ingest, then the next process killed mid-recovery (after it moved the broken
    database aside, before it put the checkpoint in its place): the third still finds the old
    store."""
    store = world.copy_store("store")
    argv = store_argv(store, *world.ingest_argv(store))
    middle = point(M + "ListingMapper.map_entry", 13)
    assert world.runner.run(argv, middle) == KILLED
    assert (store / "checkpoint").is_dir()
    in_recovery = point("pathlib:Path.rename", 1, "after")  # the recovery's first rename
    assert world.runner.run(argv, in_recovery) == KILLED
    assert not (store / "oxigraph").exists()  # killed half-way through the rollback
    assert quads(store) == world.old
    assert world.runner.run(argv) == OK
    assert canonical(quads(store)) == world.new


@pytest.mark.slow
def test_a_kill_point_that_is_never_reached_is_noticed(world: World) -> None:
    """The runner's own check: a point past the end lets the CLI finish (so a kill counted
    above really happened where it was armed)."""
    store = world.copy_store("store")
    spec = point(M + "ListingMapper.map_entry", 26)
    assert world.runner.run(store_argv(store, *world.ingest_argv(store)), spec) == OK
    assert canonical(quads(store)) == world.new


# --- export and release ------------------------------------------------------------------

EXPORT_POINTS = [
    point("scholarkg.export:_Chunked.flush", 1, "after"),
    point("scholarkg.export:_write_lines", 1, "after"),  # all written, not yet renamed
    point("os:fsync", 1, "after", slow=True),
    point("os:replace", 1, "after", expect=NEW, slow=True),
    point("scholarkg.export:convert_rdf", 1, "after"),  # Turtle: the sorted input converted
]


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture(scope="module")
def exported(world: World) -> dict[str, Any]:
    """The changed store, and exports of the old and the new store in N-Quads and Turtle."""
    store = world.folder / "export-store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(world.folder / "clean-store", store)
    files: dict[str, Any] = {"store": store}
    for name, source in (("old", world.base_store), ("new", store)):
        for ext in ("nq", "ttl"):
            target = world.folder / f"{name}.{ext}"
            argv = store_argv(source, "export", "-o", str(target))
            assert world.runner.run(argv) == OK
            files[f"{name}.{ext}"] = target.read_bytes()
    assert files["old.nq"] != files["new.nq"]
    return files


@pytest.mark.parametrize("spec", [as_param(p) for p in EXPORT_POINTS])
def test_an_export_killed_leaves_the_previous_file(
    world: World, exported: dict[str, Any], spec: dict[str, Any]
) -> None:
    ext = "ttl" if spec["target"].endswith("convert_rdf") else "nq"
    out = world.folder / "exports"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    target = out / f"dataset.{ext}"
    target.write_bytes(exported[f"old.{ext}"])  # the previous export
    argv = store_argv(exported["store"], "export", "-o", str(target))
    assert world.runner.run(argv, spec) == KILLED
    assert target.read_bytes() == exported[f"{spec['expect']}.{ext}"]  # whole, old or new
    assert world.runner.run(argv) == OK
    assert target.read_bytes() == exported[f"new.{ext}"]
    assert leftovers(out, {target.name}) == []  # the killed run's temporaries are gone


RELEASE_POINTS = [
    point("scholarkg.release:export_store", 1, "after", slow=True),  # the first dump
    point("scholarkg.release:_write", 3, "after", slow=True),
    point("scholarkg.release:_sync_tree", 1, "after"),  # complete, not yet moved into place
    point("pathlib:Path.rename", 1, "after"),  # the old bundle moved aside, the new one not in
    point(
        "pathlib:Path.rename", 2, "after", expect=NEW, slow=True
    ),  # the new one in, the old not removed
]


def bundle(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def nquads_of(files: dict[str, bytes]) -> bytes:
    return gzip.decompress(files["dataset.nq.gz"])


@pytest.fixture(scope="module")
def released(world: World, exported: dict[str, Any]) -> dict[str, Any]:
    """Release bundles of the old and of the new store."""
    bundles: dict[str, Any] = {}
    for name, source in (("old", world.base_store), ("new", exported["store"])):
        target = world.folder / f"release-{name}"
        assert world.runner.run(store_argv(source, "release", str(target))) == OK
        bundles[name] = bundle(target)
    assert nquads_of(bundles["old"]) != nquads_of(bundles["new"])
    return bundles


@pytest.mark.parametrize("spec", [as_param(p) for p in RELEASE_POINTS])
def test_a_release_killed_leaves_the_previous_bundle(
    world: World, exported: dict[str, Any], released: dict[str, Any], spec: dict[str, Any]
) -> None:
    parent = world.folder / "releases"
    shutil.rmtree(parent, ignore_errors=True)
    target = parent / "latest"
    target.mkdir(parents=True)
    for name, data in released["old"].items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    argv = store_argv(exported["store"], "release", str(target), "--overwrite")
    assert world.runner.run(argv, spec) == KILLED
    if target.exists():  # whole: the previous bundle or the new one
        assert bundle(target) == released[spec["expect"]]
    else:  # moved aside, to be put back by the next run
        assert spec["target"] == "pathlib:Path.rename"
    assert world.runner.run(argv) == OK
    assert bundle(target) == released["new"]
    assert leftovers(parent, {"latest"}) == []


# --- the remote backend --------------------------------------------------------------------

REMOTE_CI_POINTS = (2, 7, 12, 15)  # of the 16 requests a replacing ingest sends (Oxigraph)
REMOTE_POINTS = [
    pytest.param(n, id=f"http-{n}", marks=[] if n in REMOTE_CI_POINTS else [pytest.mark.slow])
    for n in range(1, 17)
]
SOURCE_GRAPH = f"{DEFAULT_BASE}graph/arxiv-listing-ferret"


@dataclass
class RemoteWorld:
    """The server, the two versions of the source and what scholarkg sees of each."""

    server: RemoteServer
    files: dict[str, Path]
    seen: dict[str, tuple[frozenset[bytes], int]]
    current: str = "v1"

    def argv(self, version: str) -> list[str]:
        s = self.server
        endpoints = ["--endpoint", s.query_url, "--update-endpoint", s.update_url]
        ingest = ["ingest", str(self.files[version]), "--source-id", "arxiv-listing-ferret"]
        return [*endpoints, "--gsp-endpoint", s.gsp_url, *ingest]

    def view(self) -> tuple[frozenset[bytes], int]:
        """The source's graph as a fresh scholarkg client sees it, and its total of triples."""
        s = self.server
        remote = RemoteStore(
            Endpoints(query=s.query_url, update=s.update_url, gsp=s.gsp_url), DEFAULT_BASE
        )
        try:
            assert SOURCE_GRAPH in remote.named_graphs()
            lines = frozenset(remote.dump_ntriples(IRI(SOURCE_GRAPH)).splitlines())
            return lines, len(remote)
        finally:
            remote.close()


@pytest.fixture(scope="module")
def remote_world(world: World, oxigraph_server: RemoteServer) -> RemoteWorld:
    oxigraph_server.clear()
    files = {"v1": LISTING, "v2": world.changed}
    seen = {}
    for version in ("v2", "v1"):
        assert world.runner.run(RemoteWorld(oxigraph_server, files, {}).argv(version)) == OK
        seen[version] = RemoteWorld(oxigraph_server, files, {}).view()
    assert seen["v1"] != seen["v2"]
    return RemoteWorld(oxigraph_server, files, seen)


@pytest.mark.parametrize("n", REMOTE_POINTS)
def test_a_remote_ingest_killed_leaves_the_old_or_the_new_graph(
    world: World, remote_world: RemoteWorld, n: int
) -> None:
    rw = remote_world
    old, new = rw.current, "v2" if rw.current == "v1" else "v1"
    log = world.folder / "remote.log"
    assert world.runner.run(rw.argv(new), {"target": "http", "n": n}, log=log) == KILLED
    assert rw.view() in (rw.seen[old], rw.seen[new])  # never a mix
    assert world.runner.run(rw.argv(new), log=log) == OK, log.read_text()
    assert rw.view() == rw.seen[new]
    rw.current = new

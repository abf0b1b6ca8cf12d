"""The embedded store: persistence, one graph per source, atomic replacement, crash safety."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scholarkg import pipeline
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import ParseError, QueryError, StoreError
from scholarkg.stats import collect_stats
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.terms import IRI

from .conftest import LISTING, ingest


def quads(store: EmbeddedStore) -> tuple[int, set[bytes]]:
    """The store's content: its size and its quads (blank-node quads, whose labels change when
    the ontology is reloaded, only counted)."""
    lines = store.dump_nquads().splitlines()
    return len(lines), {line for line in lines if b"_:" not in line}


def test_store_persists_on_disk(tmp_path: Path, tagger: ConceptTagger) -> None:
    store = open_store(tmp_path / "kg")
    ingest(store, LISTING, tagger)
    before = quads(store)
    store.close()
    reopened = open_store(tmp_path / "kg")
    assert quads(reopened) == before
    assert collect_stats(reopened).papers == 26
    reopened.close()


def test_reingest_replaces_the_graph(disk_store: EmbeddedStore, tagger: ConceptTagger) -> None:
    ingest(disk_store, LISTING, tagger)
    first = quads(disk_store)
    ingest(disk_store, LISTING, tagger)
    assert quads(disk_store) == first


def test_changed_listing_replaces_its_graph(
    disk_store: EmbeddedStore, tagger: ConceptTagger, tmp_path: Path
) -> None:
    ingest(disk_store, LISTING, tagger)
    text = LISTING.read_text(encoding="utf-8")
    shorter = tmp_path / "arxiv-listing-ferret.txt"
    shorter.write_text(text[: text.index("-\nMedGemma")], encoding="utf-8")
    ingest(disk_store, shorter, tagger)
    stats = collect_stats(disk_store)
    assert (stats.papers, stats.sources) == (1, 1)


def test_two_sources_two_graphs(disk_store: EmbeddedStore, tagger: ConceptTagger) -> None:
    ingest(disk_store, LISTING, tagger)
    ingest(disk_store, LISTING, tagger, source_id="copy")
    graphs = disk_store.named_graphs()
    assert "https://w3id.org/scholarkg/id/graph/copy" in graphs
    assert "https://w3id.org/scholarkg/id/graph/arxiv-listing-ferret" in graphs
    stats = collect_stats(disk_store)
    assert (stats.papers, stats.sources) == (26, 2)  # the same papers, said twice


def test_failed_ingest_in_the_middle_changes_nothing(
    disk_store: EmbeddedStore,
    tagger: ConceptTagger,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(disk_store, LISTING, tagger)
    before = quads(disk_store)
    text = LISTING.read_text(encoding="utf-8")
    changed = tmp_path / "arxiv-listing-ferret.txt"
    changed.write_text(text[: text.index("-\nMedGemma")], encoding="utf-8")

    def fail(*_: object) -> None:  # after the source graph was replaced, before commit
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "load_vocabularies", fail)
    with pytest.raises(OSError, match="disk full"):
        ingest(disk_store, changed, tagger)
    assert quads(disk_store) == before
    monkeypatch.undo()
    ingest(disk_store, changed, tagger)  # and the store still works
    assert collect_stats(disk_store).papers == 1


def test_failed_ingest_in_memory_changes_nothing(
    tagger: ConceptTagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(None)
    ingest(store, LISTING, tagger)
    before = quads(store)
    monkeypatch.setattr(pipeline, "load_vocabularies", lambda *_: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ingest(store, LISTING, tagger, source_id="other")
    assert quads(store) == before


def test_malformed_listing_leaves_store_as_it_was(
    disk_store: EmbeddedStore, tagger: ConceptTagger, tmp_path: Path
) -> None:
    ingest(disk_store, LISTING, tagger)
    before = quads(disk_store)
    broken = tmp_path / "arxiv-listing-ferret.txt"
    text = LISTING.read_text(encoding="utf-8")
    broken.write_text(text.replace("Submitted 16 March, 2022;", "Submitted 16 Marchy, 2022;"))
    with pytest.raises(ParseError, match=r"arxiv-listing-ferret\.txt:539: unknown month"):
        ingest(disk_store, broken, tagger)
    assert quads(disk_store) == before


KILL_MID_INGEST = """
import os, signal, sys
from pathlib import Path
from scholarkg import pipeline
from scholarkg.pipeline import IngestOptions, ingest_listing
from scholarkg.store import open_store

def die(*_):
    os.kill(os.getpid(), signal.SIGKILL)  # the source graph is already replaced

pipeline.load_vocabularies = die
store = open_store(Path(sys.argv[1]))
ingest_listing(Path(sys.argv[2]), store, IngestOptions(base="https://w3id.org/scholarkg/id/"))
"""


def test_killed_ingest_rolls_back_on_next_open(tagger: ConceptTagger, tmp_path: Path) -> None:
    location = tmp_path / "kg"
    store = open_store(location)
    ingest(store, LISTING, tagger)
    before = quads(store)
    store.close()
    text = LISTING.read_text(encoding="utf-8")
    changed = tmp_path / "arxiv-listing-ferret.txt"
    changed.write_text(text[: text.index("-\nMedGemma")], encoding="utf-8")
    script = tmp_path / "kill.py"
    script.write_text(textwrap.dedent(KILL_MID_INGEST))
    done = subprocess.run(
        [sys.executable, str(script), str(location), str(changed)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()
    assert (location / "checkpoint").exists()  # the interrupted write left its checkpoint
    reopened = open_store(location)
    assert quads(reopened) == before
    assert not (location / "checkpoint").exists()
    ingest(reopened, changed, tagger)
    assert collect_stats(reopened).papers == 1
    reopened.close()


def test_store_folder_in_use_is_a_clear_error(tmp_path: Path) -> None:
    first = open_store(tmp_path / "kg")
    code = (
        "import sys; from scholarkg.store import open_store; from scholarkg.errors import "
        "StoreError\ntry:\n    open_store(sys.argv[1])\nexcept StoreError as e:\n"
        "    print(e.message); sys.exit(3)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "kg")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ},
    )
    first.close()
    assert done.returncode == 3, done.stderr
    assert "cannot open the store" in done.stdout


def test_bad_query_is_a_query_error(ferret_store: EmbeddedStore) -> None:
    with pytest.raises(QueryError, match="does not parse"):
        ferret_store.query("SELECT WHERE {")


def test_graph_writer_loads_in_chunks_and_rolls_back_on_bad_data(tmp_path: Path) -> None:
    store = open_store(tmp_path / "kg")
    graph = IRI("https://example.org/g")
    lines = [f'<https://example.org/s{i}> <https://example.org/p> "{i}" .\n' for i in range(7)]
    with store.replacing_graph(graph, chunk=2) as writer:
        for line in lines:
            writer.write(line)
    assert len(store) == 7
    bad = [*lines[:3], "<not a triple\n", *lines[3:]]
    with (
        pytest.raises(StoreError, match="loading into the store failed"),
        store.replacing_graph(graph, chunk=2) as writer,
    ):
        for line in bad:
            writer.write(line)
    assert len(store) == 7  # the old graph, whole
    store.close()

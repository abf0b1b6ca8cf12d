"""Shared fixtures: the shipped listing, and stores that hold it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarkg.concepts import ConceptTagger
from scholarkg.pipeline import IngestOptions, IngestReport, ingest_listing
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.vocab import DEFAULT_BASE
from tests.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT / "data" / "arxiv-listing-ferret.txt"
LISTINGS = Path(__file__).parent / "data" / "listings"


@pytest.fixture(scope="session")
def tagger() -> ConceptTagger:
    """The shipped concept scheme's tagger (built once)."""
    return ConceptTagger.from_file()


def ingest(
    store: EmbeddedStore, path: Path, tagger: ConceptTagger, **options: object
) -> IngestReport:
    """Ingest one listing; validation is off unless asked for (tests of validation ask)."""
    options.setdefault("validate_data", False)
    return ingest_listing(path, store, IngestOptions(base=DEFAULT_BASE, **options), tagger=tagger)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def ferret_store(tagger: ConceptTagger) -> Iterator[EmbeddedStore]:
    """An in-memory store holding the shipped listing (read-only use)."""
    store = open_store(None)
    ingest(store, LISTING, tagger, validate_data=True)
    yield store
    store.close()


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """An empty on-disk store in a temporary folder."""
    store = open_store(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture(scope="session")
def ferret_store_dir(tmp_path_factory: pytest.TempPathFactory, tagger: ConceptTagger) -> Path:
    """A store folder on disk holding the shipped listing, closed (for servers to open)."""
    folder = tmp_path_factory.mktemp("ferret") / "store"
    store = open_store(folder)
    try:
        ingest(store, LISTING, tagger, validate_data=True)
    finally:
        store.close()
    return folder


@pytest.fixture(scope="session")
def ferret_server(ferret_store_dir: Path) -> Iterator[LiveServer]:
    """``scholarkg serve`` over the shipped listing, read-only, on a loopback port."""
    server = LiveServer(ferret_store_dir)
    yield server
    server.stop()

"""Which store a command works on: the embedded store on disk, or a SPARQL server.

Code that only reads (queries, validation, counts) takes any ``GraphStore``; ingest knows both
kinds; export, describe and release read a remote store through a local mirror.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from scholarkg.config import Settings
from scholarkg.errors import UsageError
from scholarkg.remote import RemoteStore
from scholarkg.remote_endpoints import Credentials
from scholarkg.store import MEMORY, EmbeddedStore, QueryResult, open_store
from scholarkg.terms import IRI, AnyTerm


class GraphStore(Protocol):
    """What reading code needs of a store, embedded or remote."""

    @property
    def location(self) -> str:
        """Where the store is, for messages."""
        ...

    def query(self, sparql: str, substitutions: dict[str, AnyTerm] | None = None) -> QueryResult:
        """A query over the union of the store's graphs."""
        ...

    @property
    def dialect(self) -> str | None:
        """The engine whose own texts of stored queries run here (``queries/dialects/``), if
        any; None for standard SPARQL."""
        ...

    def named_graphs(self) -> list[str]:
        """The store's named graphs, sorted."""
        ...

    def dump_ntriples(self, graph: IRI | None = None) -> bytes:
        """One graph, or the union, as N-Triples."""
        ...

    def close(self) -> None:
        """Let go of the store."""
        ...

    def __len__(self) -> int:
        """The number of triples (in the union of the graphs)."""
        ...


def remote_from(settings: Settings) -> RemoteStore | None:
    """The remote store the settings name, None when they name none."""
    if not settings.endpoint:
        return None
    return RemoteStore.connect(
        settings.endpoint,
        settings.base,
        update=settings.update_endpoint,
        gsp=settings.gsp_endpoint,
        credentials=Credentials.from_environment(),
    )


def open_backend(settings: Settings) -> EmbeddedStore | RemoteStore:
    """The store to work on: the remote one if an endpoint is set, else the embedded one."""
    remote = remote_from(settings)
    return remote if remote is not None else open_store(settings.store)


class MirroredStore(EmbeddedStore):
    """A temporary embedded copy of a remote store's graphs; closing it deletes it."""

    def __init__(self, remote: RemoteStore) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix=".scholarkg-mirror-"))
        super().__init__(self._folder / "store")
        try:
            for graph in remote.named_graphs():
                dump = self._folder / "graph.nt"
                dump.write_bytes(remote.dump_ntriples(IRI(graph)))
                self.load_file(IRI(graph), dump, "application/n-triples")
            self.remote_location = remote.location
        except BaseException:
            self.close()
            raise
        finally:
            remote.close()

    def close(self) -> None:
        """Delete the copy."""
        super().close()
        shutil.rmtree(self._folder, ignore_errors=True)


def open_for_reading(settings: Settings) -> EmbeddedStore:
    """A store to export or describe: the embedded one read-only (a server may be using it),
    or a local mirror of the remote one."""
    remote = remote_from(settings)
    if remote is not None:
        return MirroredStore(remote)
    if settings.store == MEMORY:
        return open_store(None)
    folder = Path(settings.store)
    if not folder.is_dir():
        raise UsageError(f"no store at {folder}: build one first (scholarkg build)")
    return EmbeddedStore.read_only(folder)

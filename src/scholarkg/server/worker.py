"""What runs in a query worker process: one task at a time, answered as a finished HTTP body.

Queries run in worker processes so that a query past the time limit can be stopped for good (the
pool kills its process); pyoxigraph cannot interrupt a query from inside. Readers open the store
read-only and reopen it when it changes; the one writer (updates, when enabled) opens it for
writing.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from scholarkg.errors import NotAcceptableError, NotFoundError, ScholarkgError, StoreError
from scholarkg.formats import (
    GRAPH_MEDIA_TYPES,
    MEDIA_TYPES,
    GraphFormat,
    ResultFormat,
    render_graph,
    render_result,
)
from scholarkg.queries import load_catalogue, run_stored
from scholarkg.server.conneg import negotiate
from scholarkg.store import EmbeddedStore, QueryKind, QueryResult
from scholarkg.void import describe_dataset

#: What /sparql offers, in order of preference (the first is the default).
TABLE_OFFERS = {
    "application/sparql-results+json": ResultFormat.SPARQL_JSON,
    "application/sparql-results+xml": ResultFormat.SPARQL_XML,
    "text/csv": ResultFormat.CSV,
    "text/tab-separated-values": ResultFormat.TSV,
    "application/json": ResultFormat.SPARQL_JSON,
    "application/xml": ResultFormat.SPARQL_XML,
}
BOOLEAN_OFFERS = {
    "application/sparql-results+json": ResultFormat.SPARQL_JSON,
    "application/sparql-results+xml": ResultFormat.SPARQL_XML,
    "application/json": ResultFormat.SPARQL_JSON,
    "application/xml": ResultFormat.SPARQL_XML,
}
GRAPH_OFFERS = {
    "text/turtle": GraphFormat.TURTLE,
    "application/n-triples": GraphFormat.NTRIPLES,
    "application/ld+json": GraphFormat.JSONLD,
    "application/rdf+xml": GraphFormat.RDFXML,
    "text/plain": GraphFormat.NTRIPLES,
}
#: Stored queries answer scripts first: plain JSON rows, then everything /sparql offers.
STORED_TABLE_OFFERS = {
    "application/json": ResultFormat.JSON,
    **{k: v for k, v in TABLE_OFFERS.items() if k != "application/json"},
    "text/plain": ResultFormat.TABLE,
}


_VANISHED = re.compile(r"IO error|Corruption|No such file")


@dataclass(frozen=True)
class QueryTask:
    """A SPARQL query from the protocol endpoint."""

    query: str
    accept: str | None
    max_rows: int
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    union: bool = True
    base_iri: str | None = None


@dataclass(frozen=True)
class StoredTask:
    """A stored query of the catalogue, with its raw parameter values."""

    name: str
    params: dict[str, str]
    accept: str | None
    max_rows: int


@dataclass(frozen=True)
class UpdateTask:
    """A SPARQL update (only the writer process takes these), then a snapshot for readers."""

    update: str
    base_iri: str | None = None
    snapshot: str | None = None


@dataclass(frozen=True)
class SnapshotTask:
    """Take a snapshot of the store for readers (only the writer process takes these)."""

    snapshot: str


@dataclass(frozen=True)
class DescribeTask:
    """The VoID/DCAT description of the dataset, computed from the store."""

    endpoint_url: str
    media_type: str


Task = QueryTask | StoredTask | UpdateTask | SnapshotTask | DescribeTask


@dataclass(frozen=True)
class View:
    """Which state of the store a task must see: readers reopen when it changes.

    ``snapshot`` is set when the server takes updates: readers then read the writer's latest
    snapshot, never the store the writer holds open.
    """

    generation: int = 0
    snapshot: str | None = None


@dataclass(frozen=True)
class Reply:
    """A finished response: status, media type, body and extra headers."""

    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(error: ScholarkgError) -> Reply:
    """The one JSON error shape as a reply."""
    body = json.dumps(error.to_dict(), ensure_ascii=False).encode("utf-8")
    return Reply(error.http_status, "application/json", body)


STORED_BOOLEAN_OFFERS = {
    "application/json": ResultFormat.JSON,
    **{k: v for k, v in BOOLEAN_OFFERS.items() if k != "application/json"},
}


def offers_for(kind: QueryKind, *, stored: bool) -> dict[str, ResultFormat | GraphFormat]:
    """The media types a result of this kind can be sent as, in order of preference."""
    if kind is QueryKind.GRAPH:
        return dict(GRAPH_OFFERS)
    if kind is QueryKind.ASK:
        return dict(STORED_BOOLEAN_OFFERS if stored else BOOLEAN_OFFERS)
    return dict(STORED_TABLE_OFFERS if stored else TABLE_OFFERS)


def render(result: QueryResult, more: bool, accept: str | None, *, stored: bool) -> Reply:
    """A result in the representation the client prefers; 406 if it accepts none."""
    offers = offers_for(result.kind, stored=stored)
    chosen = negotiate(accept, list(offers))
    if chosen is None:
        raise NotAcceptableError(
            f"no acceptable representation for Accept: {accept!r}; "
            f"this result is available as {', '.join(offers)}"
        )
    fmt = offers[chosen]
    if isinstance(fmt, GraphFormat):
        text = render_graph(result, fmt)
        media_type = GRAPH_MEDIA_TYPES[fmt]
    else:
        text = render_result(result, fmt)
        media_type = MEDIA_TYPES[fmt]
    if chosen == "text/plain":
        media_type = "text/plain; charset=utf-8"
    headers = {"Scholarkg-Truncated": "true"} if more else {}
    return Reply(200, media_type, text.encode("utf-8"), headers)


class WorkerState:
    """A worker's store, reopened when the store on disk has changed since it was opened."""

    def __init__(self, path: Path, base: str, writable: bool) -> None:
        self.path = path
        self.base = base
        self.writable = writable
        self.store: EmbeddedStore | None = None
        self.stamp: tuple[int, View] | None = None
        self.catalogue = load_catalogue()

    def open(self, view: View) -> EmbeddedStore:
        """The store, fresh for this task."""
        if self.writable:
            if self.store is None:
                self.store = EmbeddedStore(self.path)
            return self.store
        # every write by another process renames a checkpoint folder in the store's folder
        # (store.transaction), which changes the folder's mtime
        stamp = (os.stat(self.path).st_mtime_ns, view)
        if self.store is None or stamp != self.stamp:
            self.close()
            snapshot = Path(view.snapshot) if view.snapshot else None
            self.store = EmbeddedStore.read_only(self.path, snapshot)
            self.stamp = stamp
        return self.store

    def run(self, task: Task, view: View) -> Reply:
        """Answer one task; errors become the JSON error shape with their HTTP status.

        A reader whose files a writer compacted away under it reopens the store and tries again.
        """
        reply = self._run(task, view)
        if reply.status >= 400 and not self.writable and _VANISHED.search(reply.body.decode()):
            self.close()
            reply = self._run(task, view)
        return reply

    def close(self) -> None:
        """Let go of the store."""
        if self.store is not None:
            self.store.close()
        self.store = None

    def _run(self, task: Task, view: View) -> Reply:
        try:
            store = self.open(view)
            if isinstance(task, UpdateTask):
                store.update(task.update, base_iri=task.base_iri)
                if task.snapshot:
                    store.snapshot(Path(task.snapshot))
                return Reply(204, "text/plain", b"")
            if isinstance(task, SnapshotTask):
                store.snapshot(Path(task.snapshot))
                return Reply(204, "text/plain", b"")
            if isinstance(task, DescribeTask):
                graph = describe_dataset(store, base=self.base, endpoint_url=task.endpoint_url)
                fmt = {"application/rdf+xml": "xml", "application/ld+json": "json-ld"}.get(
                    task.media_type, "turtle" if task.media_type == "text/turtle" else "nt"
                )
                return Reply(200, task.media_type, graph.serialize(format=fmt, encoding="utf-8"))
            if isinstance(task, QueryTask):
                result, more = store.query_dataset(
                    task.query,
                    default_graphs=task.default_graphs,
                    named_graphs=task.named_graphs,
                    union=task.union,
                    base_iri=task.base_iri,
                    limit=task.max_rows,
                )
                return render(result, more, task.accept, stored=False)
            return self.run_stored(store, task)
        except ScholarkgError as error:
            return error_reply(error)
        except (OSError, RuntimeError) as exc:
            return error_reply(StoreError(f"reading the store failed: {exc}"))

    def run_stored(self, store: EmbeddedStore, task: StoredTask) -> Reply:
        """A stored query with the CLI's typed binding and validation."""
        stored = self.catalogue.get(task.name)
        if stored is None:
            raise NotFoundError(f"no stored query named {task.name!r}")
        result = run_stored(store, stored, task.params, base=self.base)
        more = False
        if result.kind is QueryKind.SELECT:
            more = len(result.rows) > task.max_rows
            result = result.model_copy(update={"rows": result.rows[: task.max_rows]})
        elif result.kind is QueryKind.GRAPH:
            more = len(result.triples) > task.max_rows
            result = result.model_copy(update={"triples": result.triples[: task.max_rows]})
        return render(result, more, task.accept, stored=True)


def worker_main(conn: Connection, path: str, base: str, writable: bool) -> None:
    """The loop of a worker process: receive (task, view), send a Reply, until EOF."""
    state = WorkerState(Path(path), base, writable)
    while True:
        try:
            task, view = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = state.run(task, view)
        except Exception as exc:  # a bug: report it to the client, keep serving
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            body = {"error": "internal-error", "message": detail, "status": 500}
            reply = Reply(500, "application/json", json.dumps(body).encode("utf-8"))
        conn.send(reply)

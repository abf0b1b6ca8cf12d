"""The embedded store: pyoxigraph on disk (RocksDB) or in memory. The only module importing it.

Each source lives in its own named graph; queries see the union of all named graphs as their
default graph, unless the store holds a merged view over several sources (a graph typed
``skg:MergedView`` in itself, see ``merging``): then the default graph is that view and the
graphs it names with ``skg:viewIncludes`` (the vocabularies), and the sources' own graphs stay
reachable as named graphs.

Writes are atomic per call, even across a crash: before a write, the store takes a checkpoint
(RocksDB hard-links its files, so this is cheap); a write that fails, or a process killed in the
middle, rolls back to that checkpoint the next time the store is opened.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict

from scholarkg.errors import QueryError, StoreError, UsageError
from scholarkg.terms import IRI, RDF_LANG_STRING, XSD_STRING, AnyTerm, BNode, Literal
from scholarkg.vocab import MERGED_VIEW, SD_NAMED_GRAPH, STAGING_GRAPH, TYPE, VIEW_INCLUDES

MEMORY = ":memory:"
CHUNK_TRIPLES = 250_000  # per load: bounds memory (a few chunks in flight), keeps loads big
_DB = "oxigraph"
_CHECKPOINT = "checkpoint"
_READ_ONLY_ATTEMPTS = 20
_VIEW_QUERY = f"""SELECT ?view ?graph WHERE {{
  GRAPH ?view {{ ?view <{TYPE}> <{MERGED_VIEW}> OPTIONAL {{ ?view <{VIEW_INCLUDES}> ?graph }} }}
}}"""
#: The remote backend's index graph (when a remote ingest wrote here through ``scholarkg serve``)
#: and the graphs it marks as staging.
_INDEX_QUERY = f"""SELECT DISTINCT ?index ?g ?kind WHERE {{
  VALUES ?kind {{ <{SD_NAMED_GRAPH}> <{STAGING_GRAPH}> }} GRAPH ?index {{ ?g <{TYPE}> ?kind }}
}}"""


class QueryKind(StrEnum):
    """What a SPARQL query returns."""

    SELECT = "select"
    ASK = "ask"
    GRAPH = "graph"


class QueryResult(BaseModel):
    """A query's answer, independent of the engine that computed it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    kind: QueryKind
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[AnyTerm | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[tuple[AnyTerm, IRI, AnyTerm], ...] = ()


def _to_term(term: object) -> AnyTerm:
    if isinstance(term, ox.NamedNode):
        return IRI(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, RDF_LANG_STRING, term.language)
        return Literal(term.value, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(str(term))


def _to_ox(term: AnyTerm) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    if isinstance(term, IRI):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if term.lang:
        return ox.Literal(term.lexical, language=term.lang)
    if term.datatype == XSD_STRING:
        return ox.Literal(term.lexical)
    return ox.Literal(term.lexical, datatype=ox.NamedNode(term.datatype))


class EmbeddedStore:
    """A pyoxigraph store on disk (a folder) or in memory (``path=None``)."""

    dialect: str | None = None  # standard SPARQL: no engine-specific query texts

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._in_transaction = False
        self._view: list[ox.NamedNode] | None = None
        if path is None:
            self._db = ox.Store()
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._recover()
            self._db = ox.Store(str(path / _DB))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {path}: {exc} (is another scholarkg process using it?)"
            ) from None

    @classmethod
    def read_only(cls, path: Path, snapshot: Path | None = None) -> EmbeddedStore:
        """The store at ``path`` opened for reading only, beside a process that may write it.

        While a write is under way (or after a crash, until the next writer recovers), this
        opens the checkpoint taken before the write: a reader sees the store as it was before
        the write or after it, never half of it. Given a ``snapshot`` (see ``snapshot``), it
        opens that instead: nobody writes a snapshot, so a long-running writer cannot compact
        files away under the reader.
        """
        self = cls.__new__(cls)
        self.path = path
        self._in_transaction = False
        self._view = None
        folders = (snapshot,) if snapshot is not None else (path / _CHECKPOINT, path / _DB)
        for attempt in range(_READ_ONLY_ATTEMPTS):
            for folder in folders:
                try:
                    self._db = ox.Store.read_only(str(folder))
                    return self
                except (OSError, RuntimeError):
                    # no write under way, or a write committed (or compacted files away)
                    # while we opened: look again
                    continue
            time.sleep(0.01 * (attempt + 1))
        raise StoreError(f"cannot open the store at {path} for reading: is it a scholarkg store?")

    @property
    def location(self) -> str:
        """Where the store lives, for messages."""
        return str(self.path) if self.path else MEMORY

    # -- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def replacing_graph(self, graph: IRI, chunk: int = CHUNK_TRIPLES) -> Iterator[GraphWriter]:
        """Replace a named graph by the N-Triples lines written to the yielded writer.

        Lines are loaded in chunks by a background thread while the caller produces the next
        ones (pyoxigraph's loader releases the GIL), so memory stays at a few chunks whatever
        the size of the source. The whole replacement is one transaction.
        """
        with self.transaction():
            self._db.remove_graph(ox.NamedNode(graph))
            # no local reference to the store's methods: a rollback must be able to close it
            writer = GraphWriter(
                self._db.load if self.path is None else self._db.bulk_load,
                ox.NamedNode(graph),
                chunk,
            )
            try:
                yield writer
            except BaseException:
                writer.abandon()
                raise
            writer.close()

    def snapshot(self, target: Path) -> None:
        """Write a read-only copy of the store as it is now to ``target`` (hard links: cheap)."""
        pending = target.with_name(f"{target.name}.tmp")
        shutil.rmtree(pending, ignore_errors=True)
        self._db.flush()
        self._db.backup(str(pending))
        pending.rename(target)

    def load_file(self, graph: IRI, path: Path, media_type: str) -> None:
        """Replace a named graph by the content of an RDF file (Turtle, N-Triples, ...)."""
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is None:
            raise StoreError(f"unsupported RDF media type {media_type!r}")
        with self.transaction():
            self._db.remove_graph(ox.NamedNode(graph))
            self._db.load(path=str(path), format=fmt, to_graph=ox.NamedNode(graph))

    def drop_graph(self, graph: IRI) -> bool:
        """Remove a named graph; False if there was none."""
        g = ox.NamedNode(graph)
        if not self._db.contains_named_graph(g):
            return False
        with self.transaction():
            self._db.remove_graph(g)
        return True

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen, or none does (also if the process dies midway).

        Nested transactions join the outermost one.
        """
        self._view = None  # what is written may change the view
        if self._in_transaction:
            try:
                yield
            finally:
                self._view = None
            return
        self._in_transaction = True
        try:
            with self._outermost_transaction():
                yield
        finally:
            self._in_transaction = False
            self._view = None

    @contextlib.contextmanager
    def _outermost_transaction(self) -> Iterator[None]:
        if self.path is None:
            snapshot = list(self._db)
            try:
                yield
            except BaseException:
                self._db.clear()
                self._db.extend(snapshot)
                raise
            return
        pending = self.path / f"{_CHECKPOINT}.tmp"
        shutil.rmtree(pending, ignore_errors=True)
        self._db.backup(str(pending))
        pending.rename(self.path / _CHECKPOINT)  # from here, reopening rolls back to it
        try:
            yield
            self._db.flush()
        except BaseException:
            self._reopen_from_checkpoint()
            raise
        self._discard(self.path / _CHECKPOINT)

    def _reopen_from_checkpoint(self) -> None:
        assert self.path is not None
        del self._db
        gc.collect()  # the RocksDB lock goes with the last reference
        self._recover()
        self._db = ox.Store(str(self.path / _DB))

    def _recover(self) -> None:
        """Roll back an interrupted write; each step is safe to repeat after a crash."""
        assert self.path is not None
        checkpoint = self.path / _CHECKPOINT
        db = self.path / _DB
        if checkpoint.exists():
            if db.exists():
                db.rename(self.path / f"{_DB}.rolled-back")
            checkpoint.rename(db)
        for leftover in (f"{_DB}.rolled-back", f"{_CHECKPOINT}.tmp", f"{_CHECKPOINT}.done"):
            shutil.rmtree(self.path / leftover, ignore_errors=True)

    @staticmethod
    def _discard(checkpoint: Path) -> None:
        done = checkpoint.with_name(f"{_CHECKPOINT}.done")
        checkpoint.rename(done)  # atomic: the write is now committed
        shutil.rmtree(done, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------

    def query(self, sparql: str, substitutions: dict[str, AnyTerm] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of the named graphs; parameters bound as terms."""
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): _to_ox(t) for k, t in (substitutions or {}).items()
        }
        try:
            view = self._default_view()
            answer = self._db.query(
                sparql,
                substitutions=subs,
                use_default_graph_as_union=view is None,
                default_graph=view,  # type: ignore[arg-type]
            )
        except SyntaxError as exc:
            raise QueryError(f"the query does not parse: {exc}") from None
        except (OSError, RuntimeError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        # the answer is built here from the engine's own terms, so pydantic's validation of
        # every cell (a tenth of the time of a large answer) is skipped: model_construct
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult.model_construct(kind=QueryKind.ASK, boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            names = tuple(var.value for var in answer.variables)
            rows = tuple(
                tuple(None if term is None else _to_term(term) for term in solution)
                for solution in answer
            )
            return QueryResult.model_construct(kind=QueryKind.SELECT, variables=names, rows=rows)
        triples = tuple(
            (_to_term(t.subject), IRI(t.predicate.value), _to_term(t.object)) for t in answer
        )
        return QueryResult.model_construct(kind=QueryKind.GRAPH, triples=triples)

    def query_dataset(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        union: bool = True,
        base_iri: str | None = None,
        limit: int | None = None,
    ) -> tuple[QueryResult, bool]:
        """A query over an explicit dataset, as the SPARQL protocol asks; at most ``limit`` rows
        (or triples) are read, and the flag says whether more were left.

        Without ``default_graphs`` the default graph is the union of the named graphs when
        ``union`` is set, else the store's default graph (and the query's own FROM clauses).
        """
        options: dict[str, object] = {"base_iri": base_iri}
        try:
            if default_graphs is not None:
                options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            if named_graphs is not None:
                options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        except ValueError as exc:
            raise UsageError(f"graphs of a dataset are named by absolute IRIs: {exc}") from None
        if default_graphs is None and union:
            view = self._default_view()
            options["use_default_graph_as_union"] = view is None
            options["default_graph"] = view
        try:
            answer = self._db.query(sparql, **options)  # type: ignore[arg-type]
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult(kind=QueryKind.ASK, boolean=bool(answer)), False
            items = list(itertools.islice(answer, None if limit is None else limit + 1))
        except SyntaxError as exc:
            raise QueryError(f"the query does not parse: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        more = limit is not None and len(items) > limit
        items = items[:limit]
        if isinstance(answer, ox.QuerySolutions):
            names = tuple(var.value for var in answer.variables)
            rows = tuple(
                tuple(None if term is None else _to_term(term) for term in solution)
                for solution in items
            )
            return QueryResult(kind=QueryKind.SELECT, variables=names, rows=rows), more
        triples = tuple(
            (_to_term(t.subject), IRI(t.predicate.value), _to_term(t.object)) for t in items
        )
        return QueryResult(kind=QueryKind.GRAPH, triples=triples), more

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update; all of it happens or none does."""
        try:
            with self.transaction():
                self._db.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QueryError(f"the update does not parse: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"the update failed: {exc}") from None

    def default_graphs(self) -> list[str] | None:
        """The graphs whose union is the default graph of queries: the merged view and what it
        includes; None when it is the union of all named graphs (no merged view).

        A remote ingest into this store (through ``scholarkg serve``) keeps an index graph and
        marks there the graphs it is still writing: both are left out.
        """
        if self._view is None:
            hidden: set[str] = set()
            for row in self._solutions(_INDEX_QUERY):
                hidden.add(row["index"].value)
                if row["kind"].value == STAGING_GRAPH:
                    hidden.add(row["g"].value)
            view: dict[str, None] = {}
            for row in self._solutions(_VIEW_QUERY):
                if row["view"].value in hidden:
                    continue
                for term in (row["view"], row["graph"]):
                    if isinstance(term, ox.NamedNode):
                        view[term.value] = None
            if not view and hidden:  # all but those; nothing (a graph no one has) if no other
                others = [g for g in self.named_graphs() if g not in hidden]
                view = dict.fromkeys(others or ["urn:scholarkg:no-graph"])
            self._view = [ox.NamedNode(g) for g in sorted(view)]
        return [g.value for g in self._view] or None

    def _solutions(self, sparql: str) -> ox.QuerySolutions:
        found = self._db.query(sparql)
        assert isinstance(found, ox.QuerySolutions)
        return found

    @contextlib.contextmanager
    def seeing(self, graphs: list[str]) -> Iterator[None]:
        """Queries inside see the union of these graphs as their default graph."""
        self._view = [ox.NamedNode(g) for g in graphs]
        try:
            yield
        finally:
            self._view = None

    def _default_view(self) -> list[ox.NamedNode] | None:
        return self._view if self.default_graphs() is not None else None

    def named_graphs(self) -> list[str]:
        """The named graphs, sorted."""
        return sorted(g.value for g in self._db.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self._db)

    def dump_ntriples(self, graph: IRI | None = None) -> bytes:
        """The triples of one named graph, or of the union of all, as N-Triples."""
        if graph is not None:
            if not self._db.contains_named_graph(ox.NamedNode(graph)):
                raise StoreError(f"the store has no graph <{graph}>")
            dumped = self._db.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            return bytes(dumped or b"")
        view = self._default_view()
        union = self._db.query(
            "CONSTRUCT WHERE { ?s ?p ?o }",
            use_default_graph_as_union=view is None,
            default_graph=view,  # type: ignore[arg-type]
        )
        assert isinstance(union, ox.QueryTriples)
        return bytes(union.serialize(format=ox.RdfFormat.N_TRIPLES) or b"")

    def dump_nquads(self) -> bytes:
        """Every quad of the store as N-Quads (unordered)."""
        return bytes(self._db.dump(format=ox.RdfFormat.N_QUADS) or b"")

    def write_ntriples(self, output: BinaryIO, graph: IRI | None = None) -> None:
        """Stream the triples of one named graph (None: the default graph) as N-Triples into a
        binary file, in no particular order; nothing for an unknown graph."""
        source = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        self._db.dump(output, format=ox.RdfFormat.N_TRIPLES, from_graph=source)

    def close(self) -> None:
        """Release the store (its lock on disk)."""
        if hasattr(self, "_db"):
            del self._db
            gc.collect()


class GraphWriter:
    """Collects N-Triples lines and hands full chunks to one loader thread (see replacing_graph)."""

    def __init__(self, load: Callable[..., None], graph: ox.NamedNode, chunk: int) -> None:
        self._load: Callable[..., None] | None = load
        self._graph = graph
        self._chunk = chunk
        self._lines: list[str] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=1)  # back-pressure
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="scholarkg-loader", daemon=True)
        self._thread.start()

    def write(self, line: str) -> None:
        """Add one N-Triples line (with its newline)."""
        self._lines.append(line)
        if len(self._lines) >= self._chunk:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._failure is not None:
            raise StoreError(f"loading into the store failed: {self._failure}")
        if self._lines:
            self._queue.put("".join(self._lines).encode("utf-8"))
            self._lines = []

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._failure is None and self._load is not None:
                try:
                    self._load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=self._graph)
                except BaseException as exc:  # re-raised in the writing thread
                    self._failure = exc

    def close(self) -> None:
        """Load what is left and wait for the loader; raise what it met."""
        try:
            if self._failure is None and self._lines:
                self._queue.put("".join(self._lines).encode("utf-8"))
        finally:
            self._lines = []
            self._queue.put(None)
            self._thread.join()
            self._load = None
        if self._failure is not None:
            raise StoreError(f"loading into the store failed: {self._failure}")

    def abandon(self) -> None:
        """Stop the loader without loading what is left (the transaction rolls back)."""
        self._lines = []
        self._failure = self._failure or StoreError("abandoned")
        self._queue.put(None)
        self._thread.join()
        self._load = None


def open_store(location: str | Path | None) -> EmbeddedStore:
    """The store at a folder, or an in-memory store for ``:memory:`` / None."""
    if location is None or str(location) == MEMORY:
        return EmbeddedStore(None)
    return EmbeddedStore(Path(location))


def _rdf_format(media_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise StoreError(f"unsupported RDF media type {media_type!r}")
    return fmt


def convert_rdf(
    source: bytes | Path,
    source_type: str,
    output: BinaryIO,
    target_type: str,
    *,
    prefixes: Mapping[str, str] | None = None,
) -> None:
    """Re-serialise RDF from one syntax to another (given by media type), streamed, statements
    in the order of the input; blank node labels are kept."""
    try:
        if isinstance(source, Path):
            parsed = ox.parse(path=str(source), format=_rdf_format(source_type))
        else:
            parsed = ox.parse(source, format=_rdf_format(source_type))
        ox.serialize(parsed, output, _rdf_format(target_type), prefixes=dict(prefixes or {}))
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"cannot write {target_type}: {exc}") from None


def ntriples_lines(data: bytes, media_type: str) -> set[str]:
    """The triples of an RDF document as N-Triples lines (newline included), blank node labels
    kept as the document writes them."""
    try:
        return {f"{q.triple} .\n" for q in ox.parse(data, format=_rdf_format(media_type))}
    except SyntaxError as exc:
        raise StoreError(f"not valid {media_type}: {exc}") from None


def split_nquads(data: str) -> list[tuple[str, str]]:
    """Each quad of an N-Quads text as (graph name in N-Triples syntax, '' for the default
    graph; the triple as one N-Triples line, newline included), in the order of the text."""
    try:
        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise StoreError(f"not valid N-Quads: {exc}") from None
    return [
        ("" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name), f"{q.triple} .\n")
        for q in quads
    ]

"""The remote backend: any SPARQL 1.1 server, through standard protocols only.

Queries go to the query endpoint (SPARQL 1.1 Protocol, via SPARQLWrapper), writes to the update
endpoint (SPARQL 1.1 Update) and, where the server has one, data to the Graph Store endpoint
(Graph Store HTTP Protocol). Nothing depends on a server's configuration:

- The dataset is explicit. scholarkg keeps a list of its graphs in an index graph
  (``<base>graph/index``) and sends them with every query as ``default-graph-uri`` and
  ``named-graph-uri``, so the default graph is the union of scholarkg's graphs whatever the
  server's own default is, and other data on the server stays out of the answers.
- Parameters are bound with a ``VALUES`` block (``queries.bind_values``), never by the server.
- A graph is replaced atomically from a reader's point of view (``RemoteStore.replacing``): its
  new content streams to the server in chunks, into the graph itself while the server has no
  such graph (unregistered, so no scholarkg query sees it), else into a staging graph; then one
  update request moves staging graphs over the old ones and records the graphs in the index. If
  anything fails before that request, what was written is dropped and the old graphs are
  untouched.

Transient failures (connection errors, 502/503/504, 429) are retried with exponential backoff.
Where the endpoints are and the credentials: ``remote_endpoints``.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import rdflib

from scholarkg.errors import QueryError, StoreError
from scholarkg.queries import bind_values
from scholarkg.remote_endpoints import Credentials, Endpoints, discover_endpoints
from scholarkg.sparql_text import tokens
from scholarkg.store import QueryKind, QueryResult, ntriples_lines
from scholarkg.terms import IRI, RDF_LANG_STRING, XSD_STRING, AnyTerm, BNode, Literal
from scholarkg.vocab import MERGED_VIEW, SD_NAMED_GRAPH, STAGING_GRAPH, VIEW_INCLUDES

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_VIEW_QUERY = f"""SELECT ?view ?graph WHERE {{
  GRAPH ?view {{ ?view a <{MERGED_VIEW}> OPTIONAL {{ ?view <{VIEW_INCLUDES}> ?graph }} }}
}}"""

T = TypeVar("T")
INDEX = "graph/index"
#: Triples per INSERT DATA (Virtuoso refuses more than about 1,400 in one operation).
INSERT_CHUNK_TRIPLES = 1_000
#: Bytes per Graph Store POST.
GSP_CHUNK_BYTES = 8 << 20
_TRANSIENT = {429, 502, 503, 504}
_KEYWORD = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_HEX = "0123456789abcdef"
#: How deep a graph that a server cuts short is split (16**4 parts at most).
MAX_SPLIT_DIGITS = 4


def _term(binding: dict[str, Any]) -> AnyTerm:
    """A term of SPARQL JSON results, in the form the embedded store gives it.

    Servers differ in details that are not differences of meaning: Virtuoso writes typed
    literals as "typed-literal", booleans as 1/0 and blank nodes as nodeID://; language tags
    come back lower-cased.
    """
    kind = binding["type"]
    value = binding["value"]
    if kind == "uri":
        return IRI(value)
    if kind == "bnode":
        return BNode(value.removeprefix("nodeID://"))
    lang = binding.get("xml:lang")
    if lang:
        return Literal(value, RDF_LANG_STRING, lang.lower())
    datatype = binding.get("datatype", XSD_STRING)
    if datatype == XSD_BOOLEAN and value in {"0", "1"}:
        value = "true" if value == "1" else "false"
    return Literal(value, datatype)


def _from_rdflib(node: rdflib.term.Node) -> AnyTerm:
    if isinstance(node, rdflib.URIRef):
        return IRI(str(node))
    if isinstance(node, rdflib.BNode):
        return BNode(str(node))
    assert isinstance(node, rdflib.Literal)
    if node.language:
        return Literal(str(node), RDF_LANG_STRING, node.language.lower())
    return Literal(str(node), str(node.datatype or XSD_STRING))


def query_kind(sparql: str) -> QueryKind:
    """SELECT, ASK or a graph query, from the first keyword after the prologue."""
    for token in tokens(sparql):
        word = token.text.upper()
        if token.kind == "name" and word in _KEYWORD:
            return {"SELECT": QueryKind.SELECT, "ASK": QueryKind.ASK}.get(word, QueryKind.GRAPH)
    raise QueryError("the query is not a SELECT, ASK, CONSTRUCT or DESCRIBE query")


class RemoteStore:
    """scholarkg's graphs on a SPARQL 1.1 server."""

    path: Path | None = None

    def __init__(
        self,
        endpoints: Endpoints,
        base: str,
        *,
        credentials: Credentials | None = None,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.endpoints = endpoints
        self.base = base
        self.index = IRI(base + INDEX)
        self.retries = retries
        self.backoff = backoff
        self._client = httpx.Client(
            timeout=timeout, auth=credentials.httpx_auth() if credentials else None
        )
        self._secrets = credentials.secrets() if credentials else []
        self._graphs: list[str] | None = None
        self._view: list[str] | None = None
        self._server: str | None = None  # the Server header of the last answer

    @classmethod
    def connect(
        cls,
        url: str,
        base: str,
        *,
        update: str | None = None,
        gsp: str | None = None,
        credentials: Credentials | None = None,
    ) -> RemoteStore:
        """The store on the server at ``url`` (its query endpoint or its root), with the update
        and Graph Store endpoints found below it unless given."""
        auth = credentials.httpx_auth() if credentials else None
        with httpx.Client(timeout=30.0, auth=auth) as client:
            endpoints = discover_endpoints(url, client, update=update, gsp=gsp)
        return cls(endpoints, base, credentials=credentials)

    @property
    def location(self) -> str:
        """Where the store is, for messages."""
        return self.endpoints.query

    @property
    def dialect(self) -> str | None:
        """ "virtuoso" when the server says it is Virtuoso (its Server header), else None."""
        if self._server is None:
            self._select("ASK {}", dataset=False)
        return "virtuoso" if (self._server or "").startswith("Virtuoso/") else None

    # -- HTTP ------------------------------------------------------------------------------

    def _send(
        self, what: str, request: Callable[[], httpx.Response], *, resend: bool = True
    ) -> httpx.Response:
        """A request, retried with backoff on transient failures; errors say what failed.

        With ``resend`` false (a request that must not run twice), it is sent again only when it
        cannot have reached the server: a refused connection, 429 or 503.
        """
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                response = request()
                self._server = response.headers.get("server", "")
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                if not resend and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    raise StoreError(
                        f"{what} at {self.endpoints.query} got no answer ({failure}); the server "
                        "may have run it or not, so it was not sent again: look at the store "
                        "before ingesting again"
                    ) from None
            else:
                if not resend and response.status_code not in {429, 503}:
                    return self._check(what, response)
                if response.status_code not in _TRANSIENT:
                    return self._check(what, response)
                failure = f"HTTP {response.status_code}"
            if attempt < self.retries:
                time.sleep(delay)
                delay *= 2
        raise StoreError(
            f"{what} at {self.endpoints.query} failed after {self.retries + 1} attempts "
            f"({failure}); the server may be down"
        )

    def _check(self, what: str, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        detail = " ".join(response.text.split())
        for secret in self._secrets:  # a server or proxy that echoes the request
            detail = detail.replace(secret, "***")
        detail = detail[:500]
        if response.status_code in {401, 403}:
            raise StoreError(
                f"{what}: the server refused access (HTTP {response.status_code}); check "
                "SCHOLARKG_ENDPOINT_USER/_PASSWORD/_AUTH or _TOKEN"
            )
        if response.status_code in {400, 404, 405, 406, 415, 500}:
            raise QueryError(f"{what}: the server answered HTTP {response.status_code}: {detail}")
        raise StoreError(f"{what}: the server answered HTTP {response.status_code}: {detail}")

    def _update_url(self) -> str:
        return self.endpoints.update or self.endpoints.query

    def update(self, sparql: str, *, base_iri: str | None = None, once: bool = False) -> None:
        """Run a SPARQL 1.1 Update on the server; ``once``: an update that must not run twice
        (never resent after it may have reached the server, and waited for without limit)."""
        del base_iri  # the server resolves relative IRIs against its own base
        what = (
            "the update"
            if self.endpoints.update
            else (
                "the update (sent to the query endpoint: give --update-endpoint if the server has "
                "its own)"
            )
        )
        timeout = httpx.Timeout(30.0, read=None) if once else httpx.USE_CLIENT_DEFAULT
        self._send(
            what,
            lambda: self._client.post(
                self._update_url(),
                data={"update": sparql},
                headers={"Accept": "*/*"},
                timeout=timeout,
            ),
            resend=not once,
        )

    # -- reading ---------------------------------------------------------------------------

    def named_graphs(self) -> list[str]:
        """scholarkg's graphs on the server (from the index), sorted."""
        if self._graphs is None:
            answer = self._select(
                f"SELECT ?g WHERE {{ GRAPH <{self.index}> {{ ?g a <{SD_NAMED_GRAPH}> }} }}",
                dataset=False,
            )
            self._graphs = sorted(str(row[0]) for row in answer.rows if row[0] is not None)
        return list(self._graphs)

    def default_graphs(self) -> list[str] | None:
        """The merged view and the graphs it includes, when there is one (see ``merging``);
        None when the default graph is the union of scholarkg's graphs."""
        if self._view is None:
            named = [("named-graph-uri", g) for g in self.named_graphs()]
            answer = self._select(_VIEW_QUERY, dataset=named) if named else None
            found = {str(t) for row in (answer.rows if answer else ()) for t in row if t}
            self._view = sorted(found)
        return list(self._view) or None

    def _dataset(self) -> list[tuple[str, str]]:
        graphs = self.named_graphs() or [str(self.index)]
        default = self.default_graphs() or graphs
        return [("default-graph-uri", g) for g in default] + [
            ("named-graph-uri", g) for g in graphs
        ]

    def _post_query(
        self, sparql: str, accept: str, *, dataset: bool | list[tuple[str, str]] = True
    ) -> httpx.Response:
        """POST a query; ``dataset``: scholarkg's (True), the server's (False), or these
        default-graph-uri and named-graph-uri parameters."""
        if dataset is True:
            dataset = self._dataset()
        # form-encoded POST: every server takes it (Virtuoso hangs on a direct POST body)
        form = urlencode([("query", sparql), *(dataset or [])])
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        return self._send(
            "the query",
            lambda: self._client.post(self.endpoints.query, content=form, headers=headers),
        )

    def _select(self, sparql: str, *, dataset: bool | list[tuple[str, str]] = True) -> QueryResult:
        response = self._post_query(sparql, "application/sparql-results+json", dataset=dataset)
        cap = response.headers.get("x-sparql-maxrows")
        if cap is not None:
            raise QueryError(
                f"the server cut the answer at {cap} rows (its result limit; Virtuoso: "
                "ResultSetMaxRows in [SPARQL] of virtuoso.ini); ask for fewer rows with LIMIT, or "
                "raise the server's limit"
            )
        try:
            body = json.loads(response.content)
        except ValueError:
            raise QueryError(
                f"the server's answer is not SPARQL JSON: {response.text[:200]}"
            ) from None
        if "boolean" in body:
            return QueryResult(kind=QueryKind.ASK, boolean=bool(body["boolean"]))
        names = tuple(body.get("head", {}).get("vars", []))
        rows = tuple(
            tuple(_term(b[name]) if name in b else None for name in names)
            for b in body.get("results", {}).get("bindings", [])
        )
        return QueryResult(kind=QueryKind.SELECT, variables=names, rows=rows)

    def query(self, sparql: str, substitutions: dict[str, AnyTerm] | None = None) -> QueryResult:
        """A query over the union of scholarkg's graphs; parameters bound with VALUES."""
        if substitutions:
            if any(isinstance(t, BNode) for t in substitutions.values()):
                raise QueryError("a blank node cannot be bound as a parameter on a remote store")
            sparql = bind_values(sparql, substitutions)
        if query_kind(sparql) is not QueryKind.GRAPH:
            return self._select(sparql)
        response = self._post_query(sparql, "application/n-triples, text/turtle;q=0.9")
        graph = _parse(response)
        triples = tuple((_from_rdflib(s), IRI(str(p)), _from_rdflib(o)) for s, p, o in graph)
        return QueryResult(kind=QueryKind.GRAPH, triples=triples)

    def __len__(self) -> int:
        return self._count("?s ?p ?o")

    def dump_ntriples(self, graph: IRI | None = None) -> bytes:
        """One graph, or the union of scholarkg's graphs, as N-Triples (sorted lines)."""
        if graph is not None and graph not in self.named_graphs():
            raise StoreError(f"the store has no graph <{graph}>")
        graphs = [IRI(g) for g in self.named_graphs()] if graph is None else [graph]
        lines: set[str] = set()
        for name in graphs:
            lines |= self._graph_lines(name)
        return "".join(sorted(lines)).encode("utf-8")

    def _graph_lines(self, graph: IRI, part: str = "") -> set[str]:
        """The triples of a graph, or of one part of it, as N-Triples lines.

        Some servers cut answers short without saying so (Virtuoso's ``ResultSetMaxRows`` applies
        to CONSTRUCT and Graph Store reads too, with no header). So the triples are counted as
        well, and a graph that comes back short is read in parts: blank-node subjects apart,
        IRI subjects split by the leading hex digits of their MD5, deeper until each part comes
        whole. No sorting, no OFFSET: Virtuoso refuses to sort past its limit.
        """
        if part == "":
            where = "?s ?p ?o"
        elif part == "_":
            where = "?s ?p ?o FILTER (isBlank(?s))"
        else:
            where = f'?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(MD5(STR(?s)), "{part}"))'
        pattern = f"GRAPH <{graph}> {{ {where} }}"
        response = self._post_query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", "application/n-triples"
        )
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            lines = ntriples_lines(response.content, media or "application/n-triples")
        except StoreError as exc:
            raise QueryError(f"the server's answer for <{graph}> does not parse: {exc}") from None
        expected = self._count(pattern)
        if len(lines) >= expected:
            return lines
        if part == "_" or len(part) >= MAX_SPLIT_DIGITS:
            raise StoreError(
                f"<{graph}>: the server gave {len(lines)} of the {expected} triples "
                f"{'with blank-node subjects' if part == '_' else 'even in parts'}; raise its "
                "result limit (Virtuoso: ResultSetMaxRows in [SPARQL] of virtuoso.ini)"
            )
        parts = ["_", *_HEX] if part == "" else [part + digit for digit in _HEX]
        out: set[str] = set()
        for sub in parts:
            out |= self._graph_lines(graph, sub)
        return out

    def holds(self, graph: str) -> bool:
        """Whether the server has a graph of this name with anything in it, in scholarkg's index
        or not."""
        answer = self._select(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", dataset=False)
        return bool(answer.boolean)

    def _count(self, pattern: str) -> int:
        answer = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        first = answer.rows[0][0] if answer.rows else None
        return int(first.lexical) if isinstance(first, Literal) else 0

    def dump_nquads(self) -> bytes:
        """Every graph of scholarkg's as N-Quads."""
        out = []
        for graph in self.named_graphs():
            for line in self.dump_ntriples(IRI(graph)).decode("utf-8").splitlines():
                out.append(f"{line[:-1].rstrip()} <{graph}> .\n")
        return "".join(out).encode("utf-8")

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Remote writes are atomic per ``replacing`` batch; this only groups code."""
        yield

    @contextlib.contextmanager
    def replacing(self) -> Iterator[Replacement]:
        """A batch of graphs to replace: write each through ``batch.writer(graph)``; readers see
        the old graphs until one final update request puts all the new ones in place. If
        anything fails before that request, what was written is dropped and the old graphs are
        untouched."""
        self._drop_leftover_staging()
        batch = Replacement(self)
        try:
            yield batch
            batch.commit()
        except BaseException:
            with contextlib.suppress(StoreError, QueryError):
                self._drop_staging(batch.targets)
            raise
        finally:
            self._graphs = self._view = None

    def rebuild_graphs(self, fills: dict[str, Callable[[str], bool]]) -> None:
        """Replace each named graph by what its function writes into the graph it is given (True
        if it wrote anything), in one batch (``replacing``)."""
        with self.replacing() as batch:
            for graph, fill in fills.items():
                if fill(batch.target(graph)):
                    batch.filled.add(graph)

    def _bulk_loads(self) -> bool:
        """Whether the server is an Oxigraph server, whose Graph Store POSTs take
        ``no_transaction`` (its bulk loader: fast, not atomic; used on unregistered graphs only)."""
        return (self._server or "").startswith("Oxigraph/")

    def _post_lines(self, target: str, lines: list[str]) -> None:
        """Add N-Triples lines to a graph, by the Graph Store protocol, else INSERT DATA."""
        if self.endpoints.gsp:
            params = {"graph": target}
            if self._bulk_loads():
                params["no_transaction"] = ""
            body = "".join(lines).encode("utf-8")
            self._send(
                f"loading into <{target}>",
                lambda: self._client.post(
                    str(self.endpoints.gsp),
                    params=params,
                    content=body,
                    headers={"Content-Type": "application/n-triples"},
                ),
            )
        elif any("_:" in line for line in lines):
            # a template, not INSERT DATA (Virtuoso refuses blank nodes there)
            self.update(f"INSERT {{ GRAPH <{target}> {{ {''.join(lines)} }} }} WHERE {{}}")
        else:
            self.update(f"INSERT DATA {{ GRAPH <{target}> {{ {''.join(lines)} }} }}")

    def _drop_staging(self, graphs: list[str]) -> None:
        if not graphs:
            return
        marks = " ".join(f"<{g}> a <{STAGING_GRAPH}> ." for g in graphs)
        drops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
        self.update(" ;\n".join([*drops, f"DELETE DATA {{ GRAPH <{self.index}> {{ {marks} }} }}"]))

    def _drop_leftover_staging(self) -> None:
        """Drop the staging graphs an earlier ingest left behind."""
        answer = self._select(
            f"SELECT ?g WHERE {{ GRAPH <{self.index}> {{ ?g a <{STAGING_GRAPH}> }} }}",
            dataset=False,
        )
        self._drop_staging([str(row[0]) for row in answer.rows if row[0] is not None])

    def drop_graph(self, graph: IRI) -> bool:
        """Remove one of scholarkg's graphs; False if there was none."""
        if graph not in self.named_graphs():
            return False
        self.update(
            f"DROP SILENT GRAPH <{graph}> ; "
            f"DELETE DATA {{ GRAPH <{self.index}> {{ <{graph}> a <{SD_NAMED_GRAPH}> }} }}"
        )
        self._graphs = self._view = None
        return True

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _parse(response: httpx.Response) -> rdflib.Graph:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml"}.get(media, "nt")
    try:
        return rdflib.Graph().parse(data=response.content.decode("utf-8"), format=fmt)
    except Exception as exc:  # rdflib raises many kinds
        raise QueryError(f"the server's RDF answer ({media}) does not parse: {exc}") from None


def _staging_name(base: str, graph: str) -> str:
    return f"{base}graph/staging/{uuid.uuid4().hex}/{graph.rsplit('/', 1)[-1]}"


class Replacement:
    """The graphs of one ``RemoteStore.replacing`` batch."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self.existing = set(store.named_graphs())
        self.staged: dict[str, str] = {}  # graph -> where its new content goes
        self.filled: set[str] = set()

    @property
    def targets(self) -> list[str]:
        """The graphs this batch writes into."""
        return list(self.staged.values())

    def target(self, graph: str) -> str:
        """Where the new content of ``graph`` goes, emptied: the graph itself while the server
        has no such graph (no reader sees it before the commit registers it), else a staging
        graph (also for a graph scholarkg's index does not list: readers that take the server's
        own dataset may see it).

        It is marked as staging in the index first, so what a failed ingest leaves behind is
        dropped by the next.
        """
        if graph not in self.staged:
            new = graph not in self.existing and not self.store.holds(graph)
            target = graph if new else _staging_name(self.store.base, graph)
            self.store.update(
                f"INSERT DATA {{ GRAPH <{self.store.index}> {{ <{target}> a <{STAGING_GRAPH}> }} }}"
                f" ;\nDROP SILENT GRAPH <{target}>"
            )
            self.staged[graph] = target
        return self.staged[graph]

    @contextlib.contextmanager
    def writer(self, graph: str) -> Iterator[GraphWriter]:
        """A writer of N-Triples lines for the new content of ``graph``."""
        out = GraphWriter(self.store, self.target(graph))
        try:
            yield out
        except BaseException:
            out.abort()
            raise
        if out.close():
            self.filled.add(graph)

    def commit(self) -> None:
        """Put every graph of the batch in place in one update request: atomic as a whole on
        Oxigraph; each operation atomic on Virtuoso, which runs them one by one
        (docs/remote-stores.md). Sent once: a resent MOVE SILENT of a graph a first run already
        moved would empty it."""
        if not self.staged:
            return
        operations = []
        for graph, target in self.staged.items():
            if graph in self.filled:
                if target != graph:
                    operations.append(f"MOVE SILENT <{target}> TO <{graph}>")
                continue
            operations.append(f"DROP SILENT GRAPH <{graph}>")
            if target != graph:
                operations.append(f"DROP SILENT GRAPH <{target}>")
        index = self.store.index
        marks = " ".join(f"<{t}> a <{STAGING_GRAPH}> ." for t in self.staged.values())
        operations.append(f"DELETE DATA {{ GRAPH <{index}> {{ {marks} }} }}")
        emptied = [g for g in self.staged if g not in self.filled and g in self.existing]
        if emptied:
            gone = " ".join(f"<{g}> a <{SD_NAMED_GRAPH}> ." for g in emptied)
            operations.append(f"DELETE DATA {{ GRAPH <{index}> {{ {gone} }} }}")
        if self.filled:
            named = " ".join(f"<{g}> a <{SD_NAMED_GRAPH}> ." for g in sorted(self.filled))
            operations.append(f"INSERT DATA {{ GRAPH <{index}> {{ {named} }} }}")
        self.store.update(" ;\n".join(operations), once=True)


class GraphWriter:
    """Streams N-Triples lines into a graph on the server, in chunks (``GSP_CHUNK_BYTES`` by the
    Graph Store protocol, else ``INSERT_CHUNK_TRIPLES`` per INSERT DATA) that a background thread
    sends while the caller makes the next ones. Lines with blank nodes go in one last request,
    as a blank node's label holds within one request only."""

    def __init__(self, store: RemoteStore, target: str) -> None:
        self.store = store
        self.target = target
        self.lines = 0
        self._by_bytes = bool(store.endpoints.gsp)
        self._size = GSP_CHUNK_BYTES if self._by_bytes else INSERT_CHUNK_TRIPLES
        self._chunk: list[str] = []
        self._filled = 0
        self._blanks: list[str] = []
        self._queue: queue.Queue[list[str] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._send_chunks, daemon=True)
        self._thread.start()

    def write(self, line: str) -> None:
        """Add one N-Triples line."""
        if not line.endswith("\n"):
            line += "\n"
        self.lines += 1
        if line.startswith("_:") or "> _:" in line:
            self._blanks.append(line)
            return
        self._chunk.append(line)
        self._filled += len(line) if self._by_bytes else 1
        if self._filled >= self._size:
            self._put(self._chunk)
            self._chunk, self._filled = [], 0

    def _put(self, chunk: list[str]) -> None:
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue

    def _send_chunks(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None and not self._stopped:
                try:
                    self.store._post_lines(self.target, chunk)
                except BaseException as exc:  # handed to the writing thread
                    self._error = exc

    def close(self) -> bool:
        """Send what is left and wait for it; whether any line was written."""
        for rest in (self._chunk, self._blanks):
            if rest:
                self._put(rest)
        self._chunk, self._blanks = [], []
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.lines > 0

    def abort(self) -> None:
        """Stop sending (what was sent is dropped with the batch)."""
        self._stopped = True
        self._queue.put(None)
        self._thread.join()

"""The remote backend: any SPARQL 1.1 server, through standard protocols only.

Queries go to the query endpoint (SPARQL 1.1 Protocol, via SPARQLWrapper), writes to the update
endpoint (SPARQL 1.1 Update) and, where the server has one, data to the Graph Store endpoint
(Graph Store HTTP Protocol). Nothing depends on a server's configuration:

- The dataset is explicit. scholarkg keeps a list of its graphs in an index graph
  (``<base>graph/index``) and sends them with every query as ``default-graph-uri`` and
  ``named-graph-uri``, so the default graph is the union of scholarkg's graphs whatever the
  server's own default is, and other data on the server stays out of the answers.
- Parameters are bound with a ``VALUES`` block (``queries.bind_values``), never by the server.
- A graph is replaced atomically from a reader's point of view: its new content goes to a
  staging graph first (in chunks), then one update request moves it over the old one and
  records it in the index. If anything fails before that request, the staging graph is dropped
  and the old graph is untouched.

Transient failures (connection errors, 502/503/504, 429) are retried with exponential backoff.
Credentials come from the environment only (``SCHOLARKG_ENDPOINT_USER``/``_PASSWORD`` with
``SCHOLARKG_ENDPOINT_AUTH`` basic or digest, or ``SCHOLARKG_ENDPOINT_TOKEN`` for a bearer token).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import rdflib

from scholarkg.errors import QueryError, StoreError, UsageError
from scholarkg.queries import bind_values
from scholarkg.records import Record
from scholarkg.sparql_text import tokens
from scholarkg.store import QueryKind, QueryResult, ntriples_lines
from scholarkg.terms import IRI, RDF_LANG_STRING, XSD_STRING, AnyTerm, BNode, Literal
from scholarkg.vocab import MERGED_VIEW, VIEW_INCLUDES

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_VIEW_QUERY = f"""SELECT ?view ?graph WHERE {{
  GRAPH ?view {{ ?view a <{MERGED_VIEW}> OPTIONAL {{ ?view <{VIEW_INCLUDES}> ?graph }} }}
}}"""

T = TypeVar("T")
INDEX = "graph/index"
SD_NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#NamedGraph"
#: How the index marks a graph that holds data on its way in (not yet one of scholarkg's).
STAGING_GRAPH = "urn:scholarkg:StagingGraph"
#: Triples per INSERT DATA (Virtuoso refuses more than about 1,400 in one operation).
INSERT_CHUNK_TRIPLES = 1_000
#: Bytes per Graph Store POST.
GSP_CHUNK_BYTES = 8 << 20
_TRANSIENT = {429, 502, 503, 504}
_KEYWORD = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_HEX = "0123456789abcdef"
#: How deep a graph that a server cuts short is split (16**4 parts at most).
MAX_SPLIT_DIGITS = 4


class Endpoints(Record):
    """Where a remote store is: query URL, and update and Graph Store URLs where they differ."""

    query: str
    update: str | None = None
    gsp: str | None = None


class Credentials(Record):
    """How to authenticate: basic or digest with a user and password, or a bearer token."""

    scheme: str = "basic"
    user: str | None = None
    password: str | None = None
    token: str | None = None

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> Credentials | None:
        """The credentials in SCHOLARKG_ENDPOINT_*; None when there are none."""
        env = dict(os.environ if env is None else env)
        token = env.get("SCHOLARKG_ENDPOINT_TOKEN")
        user = env.get("SCHOLARKG_ENDPOINT_USER")
        scheme = env.get("SCHOLARKG_ENDPOINT_AUTH", "bearer" if token else "basic").lower()
        if scheme not in {"basic", "digest", "bearer"}:
            raise UsageError(
                f"SCHOLARKG_ENDPOINT_AUTH must be basic, digest or bearer, not {scheme!r}"
            )
        if not token and not user:
            return None
        return cls(
            scheme=scheme, user=user, password=env.get("SCHOLARKG_ENDPOINT_PASSWORD"), token=token
        )

    def httpx_auth(self) -> httpx.Auth | None:
        """The credentials as an httpx authentication."""
        if self.scheme == "bearer":
            return _Bearer(self.token or "")
        if self.user is None:
            return None
        if self.scheme == "digest":
            return httpx.DigestAuth(self.user, self.password or "")
        return httpx.BasicAuth(self.user, self.password or "")

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(scheme={self.scheme!r}, user={self.user!r})"


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


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


#: Where servers put their endpoints below a root URL: query, update and Graph Store paths
#: (Oxigraph server: query, update, store; Fuseki dataset: sparql or query, update, data;
#: Virtuoso: sparql, sparql-auth). Virtuoso's Graph Store route is not found this way (it
#: answers no probe without side effects); without one, data goes by INSERT DATA.
QUERY_PATHS = ("", "query", "sparql")
UPDATE_PATHS = ("update", "sparql-auth")
GSP_PATHS = ("store", "data")


def discover_endpoints(
    url: str, client: httpx.Client, *, update: str | None = None, gsp: str | None = None
) -> Endpoints:
    """The endpoints of the server at ``url``: a query endpoint, or a root below which one of
    the usual layouts answers. Probes write nothing: ``ASK {}``, an empty update, ``HEAD``."""
    root = url.rstrip("/")
    tried = []
    for path in QUERY_PATHS:
        candidate = f"{root}/{path}" if path else url
        tried.append(candidate)
        if _answers_queries(client, candidate):
            query = candidate
            break
    else:
        raise UsageError(
            f"no SPARQL query endpoint answers at {url} (tried {', '.join(tried)}); give the "
            "query endpoint's URL with --endpoint"
        )
    base = query.rstrip("/")
    if base.rsplit("/", 1)[-1] in QUERY_PATHS[1:]:
        base = base.rsplit("/", 1)[0]
    if update is None:
        update = next((u for u in _below(base, UPDATE_PATHS) if _takes_updates(client, u)), None)
    if gsp is None:
        gsp = next((g for g in _below(base, GSP_PATHS) if _has_default_graph(client, g)), None)
    return Endpoints(query=query, update=update, gsp=gsp)


def _below(base: str, paths: Iterable[str]) -> Iterator[str]:
    return (f"{base}/{path}" for path in paths)


def _probe(client: httpx.Client, method: str, url: str, **options: Any) -> httpx.Response:
    try:
        return client.request(method, url, **options)
    except httpx.TransportError as exc:
        raise StoreError(f"cannot reach {url} ({type(exc).__name__}: {exc})") from None


def _answers_queries(client: httpx.Client, url: str) -> bool:
    accept = {"Accept": "application/sparql-results+json"}
    response = _probe(client, "POST", url, data={"query": "ASK {}"}, headers=accept)
    if response.status_code != 200:
        return False
    try:
        return "boolean" in json.loads(response.content)
    except ValueError:
        return False


def _takes_updates(client: httpx.Client, url: str) -> bool:
    response = _probe(client, "POST", url, data={"update": ""}, headers={"Accept": "*/*"})
    return response.status_code < 300


def _has_default_graph(client: httpx.Client, url: str) -> bool:
    # HEAD on the default graph only: Oxigraph's 404 to a HEAD carries a body that breaks the
    # connection
    response = _probe(client, "HEAD", f"{url}?default")
    return response.status_code == 200


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
        self._graphs: list[str] | None = None
        self._view: list[str] | None = None

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

    @staticmethod
    def _check(what: str, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        detail = " ".join(response.text.split())[:500]
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
        """Remote writes are atomic per ``replace_graphs`` call; this only groups code."""
        yield

    def _staging(self, graph: str) -> str:
        return f"{self.base}graph/staging/{uuid.uuid4().hex}/{graph.rsplit('/', 1)[-1]}"

    def _upload(self, target: str, lines: Iterable[str]) -> int:
        """Add N-Triples lines to a graph (by the Graph Store protocol, else INSERT DATA); the
        number of chunks sent."""
        sent = 0
        if self.endpoints.gsp:
            gsp = self.endpoints.gsp
            for chunk in _chunks(lines, GSP_CHUNK_BYTES, by_bytes=True):
                sent += 1
                body = "".join(chunk).encode("utf-8")
                self._send(
                    f"loading into <{target}>",
                    lambda body=body: self._client.post(  # type: ignore[misc]
                        gsp,
                        params={"graph": target},
                        content=body,
                        headers={"Content-Type": "application/n-triples"},
                    ),
                )
            return sent
        # blank nodes: a template, not INSERT DATA (Virtuoso refuses them there), and all in
        # one request, as a blank node's label only holds within one request
        with_blanks: list[str] = []

        def without_blanks() -> Iterator[str]:
            for line in lines:
                if "_:" in line:
                    with_blanks.append(line)
                else:
                    yield line

        for chunk in _chunks(without_blanks(), INSERT_CHUNK_TRIPLES):
            sent += 1
            self.update(f"INSERT DATA {{ GRAPH <{target}> {{ {''.join(chunk)} }} }}")
        if with_blanks:
            sent += 1
            self.update(f"INSERT {{ GRAPH <{target}> {{ {''.join(with_blanks)} }} }} WHERE {{}}")
        return sent

    def replace_graphs(self, sources: dict[str, Path]) -> None:
        """Replace each named graph by the N-Triples file given for it; readers see the old
        graphs until one final update request moves all the new ones in."""

        def loader(path: Path) -> Callable[[str], bool]:
            def fill(staging: str) -> bool:
                with path.open(encoding="utf-8") as handle:
                    return bool(self._upload(staging, (line for line in handle if line.strip())))

            return fill

        self.rebuild_graphs({graph: loader(path) for graph, path in sources.items()})

    def rebuild_graphs(self, fills: dict[str, Callable[[str], bool]]) -> None:
        """Replace each named graph by what its function writes into the staging graph it is
        given (True if it wrote anything); readers see the old graphs until one final update
        request moves all the new ones in.

        Staging graphs are recorded in the index before anything is loaded into them, so those
        of an ingest that could not clean up (the server went away) are dropped by the next.
        """
        self._drop_leftover_staging()
        staged = {graph: self._staging(graph) for graph in fills}
        marks = " ".join(f"<{s}> a <{STAGING_GRAPH}> ." for s in staged.values())
        filled: set[str] = set()
        try:
            self.update(f"INSERT DATA {{ GRAPH <{self.index}> {{ {marks} }} }}")
            for graph, fill in fills.items():
                if fill(staged[graph]):
                    filled.add(graph)
            # one request: atomic as a whole on Oxigraph; each MOVE atomic on Virtuoso, which
            # runs the operations of a request one by one (docs/remote-stores.md)
            moves = [
                f"MOVE SILENT <{staging}> TO <{graph}>"
                if graph in filled
                else f"DROP SILENT GRAPH <{graph}>"
                for graph, staging in staged.items()
            ]
            registered = " ".join(f"<{g}> a <{SD_NAMED_GRAPH}> ." for g in staged)
            moves.append(f"DELETE DATA {{ GRAPH <{self.index}> {{ {marks} }} }}")
            moves.append(f"INSERT DATA {{ GRAPH <{self.index}> {{ {registered} }} }}")
            # not resent: MOVE SILENT from a staging graph a first run already moved would
            # empty the graph
            self.update(" ;\n".join(moves), once=True)
        except BaseException:
            with contextlib.suppress(StoreError, QueryError):
                self._drop_staging(list(staged.values()))
            raise
        finally:
            self._graphs = self._view = None

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


def _chunks(lines: Iterable[str], size: int, *, by_bytes: bool = False) -> Iterator[list[str]]:
    chunk: list[str] = []
    filled = 0
    for line in lines:
        chunk.append(line if line.endswith("\n") else line + "\n")
        filled += len(line) if by_bytes else 1
        if filled >= size:
            yield chunk
            chunk, filled = [], 0
    if chunk:
        yield chunk

"""The web application of ``scholarkg serve``: the SPARQL 1.1 Protocol endpoint, the stored-query
API with its OpenAPI document, and the browser UI.

Every error, whatever the route, is answered in the one JSON shape of ``ScholarkgError.to_dict``.
Queries run in worker processes (``pool.py``) so that the time limit really stops them.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import shutil
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import anyio.to_thread
from pydantic import BaseModel, ConfigDict
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from scholarkg import __version__, sparql_text
from scholarkg.errors import (
    AccessError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    QueryError,
    ScholarkgError,
    UnauthenticatedError,
    UnsupportedMediaTypeError,
    UsageError,
)
from scholarkg.queries import StoredQuery, load_catalogue
from scholarkg.server import description, openapi
from scholarkg.server.conneg import accept_header
from scholarkg.server.pool import WorkerPool
from scholarkg.server.worker import (
    QueryTask,
    Reply,
    SnapshotTask,
    StoredTask,
    Task,
    UpdateTask,
)

SNAPSHOTS = "snapshots"
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
#: Short names for ``format=`` (browsers cannot set Accept from a link). ``json`` and ``xml`` name
#: the JSON or XML form of whatever the result is (SPARQLWrapper sends ``format=xml`` for RDF/XML).
FORMAT_NAMES = {
    "json": "application/sparql-results+json, application/ld+json",
    "xml": "application/sparql-results+xml, application/rdf+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "n3": "text/turtle",  # Turtle is N3
    "rows": "application/json",
    "table": "text/plain",
}


class ServerOptions(BaseModel):
    """How ``scholarkg serve`` runs; every limit is reported to clients when it applies."""

    model_config = ConfigDict(frozen=True)

    store: Path
    base: str
    update_token: str | None = None  # updates are enabled exactly when a token is set
    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1_048_576
    cors_origins: tuple[str, ...] = ()
    allow_service: bool = False
    workers: int = 2
    queue_wait: float = 10.0


class AppContext:
    """What routes share: options, catalogue and the worker pools."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.catalogue: dict[str, StoredQuery] = load_catalogue()
        self.readers: WorkerPool | None = None
        self.writer: WorkerPool | None = None
        self._update_lock = threading.Lock()
        self._snapshot_count = 0

    def start(self) -> None:
        """Start the worker processes (and, taking updates, the readers' first snapshot)."""
        o = self.options
        self.readers = WorkerPool(o.store, o.base, size=o.workers, queue_wait=o.queue_wait)
        if not o.update_token:
            return
        self.writer = WorkerPool(o.store, o.base, size=1, queue_wait=o.queue_wait, writable=True)
        shutil.rmtree(self.snapshots, ignore_errors=True)  # left by a server that crashed
        self.snapshots.mkdir()
        first = self._next_snapshot()
        raise_for(self.writer.run(SnapshotTask(str(first)), o.timeout))
        self.readers.bump(first)

    @property
    def snapshots(self) -> Path:
        """Where the writer leaves snapshots of the store for the readers."""
        return self.options.store / SNAPSHOTS

    def _next_snapshot(self) -> Path:
        self._snapshot_count += 1
        return self.snapshots / str(self._snapshot_count)

    def stop(self) -> None:
        """Stop the worker processes."""
        for pool in (self.readers, self.writer):
            if pool is not None:
                pool.close()
        if self.writer is not None:
            shutil.rmtree(self.snapshots, ignore_errors=True)

    def _update(self, task: UpdateTask) -> Reply:
        """Run an update in the writer; once it is committed, readers move to its snapshot."""
        assert self.writer is not None and self.readers is not None
        with self._update_lock:
            target = self._next_snapshot()
            reply = self.writer.run(replace(task, snapshot=str(target)), self.options.timeout)
            if reply.status < 400:
                self.readers.bump(target)
                self._drop_old_snapshots()
            return reply

    def _drop_old_snapshots(self) -> None:
        """Remove snapshots no task can still be about to open: all but the last three, once
        older than a task may wait and run (a task given a snapshot opens it when a worker takes
        it; a reader that has it open keeps its files)."""
        o = self.options
        settled = time.time() - (o.queue_wait + o.timeout)
        for old in sorted(self.snapshots.iterdir(), key=lambda p: int(p.name))[:-3]:
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < settled:
                    shutil.rmtree(old, ignore_errors=True)

    async def run(self, task: Task) -> Reply:
        """Run a task in a worker without blocking the event loop."""
        if isinstance(task, UpdateTask):
            return await anyio.to_thread.run_sync(self._update, task)
        assert self.readers is not None
        return await anyio.to_thread.run_sync(self.readers.run, task, self.options.timeout)

    async def rows(self, name: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """A stored SELECT query's rows as plain JSON objects (for pages); errors raise."""
        reply = await self.run(StoredTask(name, params, "application/json", self.options.max_rows))
        return list(json.loads(raise_for(reply).body))

    async def select(self, sparql: str) -> dict[str, Any]:
        """Any SELECT/ASK query's SPARQL JSON results over the union of the graphs."""
        task = QueryTask(sparql, "application/sparql-results+json", self.options.max_rows)
        return dict(json.loads(raise_for(await self.run(task)).body))


def raise_for(reply: Reply) -> Reply:
    """The reply if it succeeded, else its error raised again."""
    if reply.status < 400:
        return reply
    body = json.loads(reply.body)
    error = ScholarkgError(body.get("message", "error"))
    error.http_status = reply.status
    error.kind = body.get("error", "error")
    raise error


def to_response(reply: Reply) -> Response:
    """A worker's reply as an HTTP response."""
    headers = dict(reply.headers)
    if reply.status == 204:
        return Response(status_code=204, headers=headers)
    return Response(
        reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers
    )


def error_response(error: ScholarkgError) -> JSONResponse:
    """The one JSON error shape, with the headers its status calls for."""
    headers = {}
    if isinstance(error, UnauthenticatedError):
        headers["WWW-Authenticate"] = 'Bearer realm="scholarkg"'
    if error.http_status == 503:
        headers["Retry-After"] = "1" if error.kind == "busy" else "10"
    return JSONResponse(error.to_dict(), status_code=error.http_status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes without reading all of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the request body is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode(body: bytes, charset: str | None, what: str) -> str:
    """A request body as text: the protocol takes UTF-8 only."""
    if charset and charset.lower().replace("-", "") != "utf8":
        raise UsageError(f"the {what} must be UTF-8, not {charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the {what} is not valid UTF-8 (byte {exc.start})") from None


def content_type(request: Request) -> tuple[str | None, str | None]:
    """The request's media type and charset."""
    raw = request.headers.get("content-type")
    if raw is None:
        return None, None
    media, *params = (p.strip() for p in raw.split(";"))
    charset = next(
        (v.strip('"') for k, _, v in (p.partition("=") for p in params) if k.lower() == "charset"),
        None,
    )
    return media.lower(), charset


def single(fields: list[tuple[str, str]], name: str) -> str | None:
    """The one value of a protocol parameter; more than one is a client error."""
    values = [v for k, v in fields if k == name]
    if len(values) > 1:
        raise UsageError(f"the request has {len(values)} '{name}' parameters; give one")
    return values[0] if values else None


class Operation(BaseModel):
    """A parsed protocol request."""

    kind: str  # "query", "update" or "describe-service"
    text: str = ""
    fields: list[tuple[str, str]] = []

    def graphs(self, name: str) -> list[str] | None:
        """The IRIs given for a dataset parameter, None if there is none."""
        values = [v for k, v in self.fields if k == name]
        return values or None


async def parse_operation(request: Request, limit: int) -> Operation:
    """The SPARQL 1.1 Protocol's three ways to send a query, and two to send an update."""
    url_fields = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "GET":
        if single(url_fields, "update") is not None:
            raise MethodNotAllowedError("updates must be sent with POST, not GET")
        query = single(url_fields, "query")
        if query is None:
            return Operation(kind="describe-service")
        return Operation(kind="query", text=query, fields=url_fields)
    media, charset = content_type(request)
    body = await read_body(request, limit)
    if media == FORM:
        form = parse_qsl(decode(body, charset, "form"), keep_blank_values=True)
        query, update = single(form, "query"), single(form, "update")
        if (query is None) == (update is None):
            raise UsageError("a form-encoded POST needs exactly one 'query' or 'update' field")
        kind = "query" if query is not None else "update"
        return Operation(kind=kind, text=query or update or "", fields=url_fields + form)
    if media == QUERY_TYPE:
        return Operation(kind="query", text=decode(body, charset, "query"), fields=url_fields)
    if media == UPDATE_TYPE:
        return Operation(kind="update", text=decode(body, charset, "update"), fields=url_fields)
    if media is None:
        raise UsageError(
            f"a POST to the SPARQL endpoint needs a Content-Type: {FORM}, {QUERY_TYPE} "
            f"or {UPDATE_TYPE}"
        )
    raise UnsupportedMediaTypeError(
        f"the SPARQL endpoint does not take {media}; send {FORM}, {QUERY_TYPE} or {UPDATE_TYPE}"
    )


def check_token(ctx: AppContext, request: Request) -> None:
    """Updates need the server's bearer token (compared in constant time)."""
    token = ctx.options.update_token
    if not token:
        raise AccessError(
            "updates are disabled: start the server with --enable-update and a token in "
            "SCHOLARKG_UPDATE_TOKEN"
        )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise UnauthenticatedError("updates need 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise AccessError("the bearer token is not the server's update token")


#: A backslash and the character after it: an escape in a string, an IRI or a prefixed name.
_ESCAPE = re.compile(r"\\[^\n]")
#: The keywords that make the engine fetch a URL.
_CALLS = {"SERVICE", "LOAD"}
#: A SERVICE an IRI-looking run can hide when its '<' is a less-than: ``FILTER(1<2)SERVICE#>``,
#: then the endpoint on the next line (no whitespace can separate SERVICE from its endpoint).
_SERVICE_GLUED = re.compile(r"(?<!\w)SERVICE(?=[?$#])", re.IGNORECASE)
#: How deep brackets may nest: the engine's parser overflows its stack (and the worker dies)
#: a few thousand deep; no query written by a person or a tool comes near this.
MAX_NESTING = 256


class RequestText(NamedTuple):
    """What the server checks in a query or update before a worker runs it."""

    calls: list[str]  # SERVICE and LOAD
    depth: int  # the deepest nesting of (), {} and []


def _hides_service(iri: str) -> bool:
    closed = iri.find(")")  # where an expression could end
    return closed >= 0 and _SERVICE_GLUED.search(iri, closed) is not None


def read_text(text: str) -> RequestText:
    """The SERVICE and LOAD calls of a request's text, read as the engine reads it, and how
    deep its brackets nest.

    The lexer knows neither that a carriage return ends a comment, nor escapes outside strings
    (``ex:a\\#`` is a name, not a comment; ``<http://x/\\u0041>`` an IRI), nor that a dot ends
    ``true``, nor that '<' can be a less-than: each hid a SERVICE from the check, and the server
    called it.
    """
    calls: set[str] = set()
    depth = deepest = 0
    for token in sparql_text.tokens(_ESCAPE.sub("xx", text.replace("\r", "\n"))):
        if token.kind == "other":
            if token.text in "({[":
                depth += 1
                deepest = max(deepest, depth)
            elif token.text in ")}]":
                depth -= 1
        elif token.kind == "name":
            # the lexer reads ``true.SERVICE`` and ``ex:.SERVICE`` as one name; the engine
            # ends the first at the dot
            first, *after_dots = token.text.upper().split(".")
            calls.update({first if ":" not in first else "", *after_dots} & _CALLS)
        elif token.kind == "iri" and _hides_service(token.text):
            calls.add("SERVICE")
    return RequestText(sorted(calls), deepest)


def check_text(ctx: AppContext, text: str) -> None:
    """Refuse what would crash a worker, and SERVICE and LOAD (the server would fetch URLs for
    the client) unless allowed."""
    read = read_text(text)
    if read.depth > MAX_NESTING:
        raise QueryError(f"brackets nest {read.depth} deep; the server takes at most {MAX_NESTING}")
    if read.calls and not ctx.options.allow_service:
        raise AccessError(
            f"{' and '.join(read.calls)} refused: this server makes no requests on a client's "
            "behalf (scholarkg serve --allow-service)"
        )


def endpoint_url(request: Request) -> str:
    """The endpoint's own URL, as the client reached it (also the base IRI of requests)."""
    return str(request.url.replace(query="", fragment=""))


def accept_of(request: Request, fields: list[tuple[str, str]]) -> str | None:
    """The Accept header, or the media types named by ``format`` parameters.

    Several ``format`` values are alternatives and empty ones are ignored: SPARQLWrapper sends a
    short name and a media type (``format=tsv&format=text/tab-separated-values``), or an empty
    value, besides its Accept header.
    """
    values = [v.strip() for k, v in fields if k == "format" and v.strip()]
    if not values:
        return accept_header(request)
    ranges = []
    for fmt in values:
        if "/" not in fmt and fmt.lower() not in FORMAT_NAMES:
            raise UsageError(f"parameter 'format': {fmt!r} is not one of {', '.join(FORMAT_NAMES)}")
        ranges.append(fmt if "/" in fmt else FORMAT_NAMES[fmt.lower()])
    return ", ".join(ranges)


async def sparql_endpoint(request: Request) -> Response:
    """The SPARQL 1.1 Protocol endpoint (GET, POST form, POST direct) and its description."""
    ctx: AppContext = request.app.state.ctx
    operation = await parse_operation(request, ctx.options.max_body)
    if operation.kind == "describe-service":
        return await description.respond(ctx, request, endpoint_url(request))
    check_text(ctx, operation.text)
    if operation.kind == "update":
        check_token(ctx, request)
        return await run_update(ctx, operation, endpoint_url(request))
    if operation.graphs("using-graph-uri") or operation.graphs("using-named-graph-uri"):
        raise UsageError("using-graph-uri and using-named-graph-uri are for updates, not queries")
    default_graphs = operation.graphs("default-graph-uri")
    named_graphs = operation.graphs("named-graph-uri")
    protocol_dataset = default_graphs is not None or named_graphs is not None
    task = QueryTask(
        query=operation.text,
        accept=accept_of(request, operation.fields),
        max_rows=ctx.options.max_rows,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        # the default graph is the union of the named graphs, unless someone named the dataset
        union=not protocol_dataset and not sparql_text.names_dataset(operation.text),
        base_iri=endpoint_url(request),
    )
    return finish(ctx, await ctx.run(task))


async def run_update(ctx: AppContext, operation: Operation, base_iri: str) -> Response:
    """An update, with the protocol's USING graphs added to it."""
    using = operation.graphs("using-graph-uri") or []
    using_named = operation.graphs("using-named-graph-uri") or []
    if (using or using_named) and sparql_text.names_graphs(operation.text):
        raise QueryError(
            "the update names its own graphs (USING or WITH) and the request gives "
            "using-graph-uri/using-named-graph-uri: give one or the other"
        )
    text = sparql_text.add_using(operation.text, using, using_named)
    return finish(ctx, await ctx.run(UpdateTask(text, base_iri)))


def finish(ctx: AppContext, reply: Reply) -> Response:
    """A reply as a response, with the row cap reported when it cut the result."""
    response = to_response(raise_for(reply))
    response.headers["Vary"] = "Accept"
    if reply.headers.get("Scholarkg-Truncated"):
        response.headers["Scholarkg-Row-Cap"] = str(ctx.options.max_rows)
    return response


async def list_queries(request: Request) -> Response:
    """The stored-query catalogue as JSON."""
    ctx: AppContext = request.app.state.ctx
    return JSONResponse([openapi.describe_query(q) for q in ctx.catalogue.values()])


async def run_query(request: Request) -> Response:
    """One stored query, parameters from the query string, in any result format."""
    ctx: AppContext = request.app.state.ctx
    name = request.path_params["name"]
    stored = ctx.catalogue.get(name)
    if stored is None:
        raise NotFoundError(
            f"no stored query named {name!r}; GET /queries lists the {len(ctx.catalogue)} there are"
        )
    fields = parse_qsl(request.url.query, keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in fields:
        if key == "format" and "format" not in stored.params:
            continue
        if key in params:
            raise UsageError(f"parameter {key!r} is given more than once")
        params[key] = value
    # a query with a parameter named "format" leaves the choice to the Accept header
    formats = [] if "format" in stored.params else [f for f in fields if f[0] == "format"]
    accept = accept_of(request, formats)
    return finish(ctx, await ctx.run(StoredTask(name, params, accept, ctx.options.max_rows)))


async def openapi_json(request: Request) -> Response:
    """The OpenAPI 3 document of this server, generated from the query headers."""
    ctx: AppContext = request.app.state.ctx
    return JSONResponse(openapi.document(ctx.catalogue, str(request.base_url).rstrip("/")))


def _ui_routes(ctx: AppContext) -> list[BaseRoute]:
    from scholarkg.server import ui  # noqa: PLC0415  (the UI is optional for API-only tests)

    return ui.routes(ctx)


async def handle_error(request: Request, exc: Exception) -> Response:
    """Every error as the one JSON shape."""
    if isinstance(exc, ScholarkgError):
        return error_response(exc)
    assert isinstance(exc, HTTPException)
    kinds = {404: NotFoundError, 405: MethodNotAllowedError}
    error = kinds.get(exc.status_code, ScholarkgError)(
        f"{request.method} {request.url.path}: {exc.detail}"
    )
    error.http_status = exc.status_code
    return error_response(error)


def create_app(options: ServerOptions, *, start_workers: bool = True) -> Starlette:
    """The ASGI application; workers start with the application and stop with it."""
    ctx = AppContext(options)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start_workers:
            await anyio.to_thread.run_sync(ctx.start)
        try:
            yield
        finally:
            ctx.stop()

    routes: list[BaseRoute] = [
        Route("/sparql", sparql_endpoint, methods=["GET", "POST"]),
        Route("/queries", list_queries, methods=["GET"]),
        Route("/queries/{name}", run_query, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *_ui_routes(ctx),
    ]
    middleware = []
    if options.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(options.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Content-Type", "Authorization"],
                expose_headers=["Scholarkg-Row-Cap", "Scholarkg-Truncated"],
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={ScholarkgError: handle_error, HTTPException: handle_error},
    )
    app.state.ctx = ctx
    app.state.version = __version__
    return app

"""Hostile HTTP input against ``scholarkg serve`` as a real process on loopback.

Two parts. Schemathesis generates requests from the server's own ``/openapi.json`` (valid and
invalid parameters) and checks each answer: no 5xx, a documented status, the documented media
type and body schema. Then hand-written cases, one per kind of attack: oversized bodies (declared
and chunked), deeply nested and endlessly chained queries, a query that would run forever, results
past the row cap, SERVICE to loopback and private addresses (with a loopback listener that must
get no connection), path traversal in the resource and static routes, CR/LF in values that could
end up in headers, and CORS. After every case the server must still answer a normal query.

The cases are data (``HOSTILE_CASES``) so that ``benchmarks/bench_hostile_http.py`` replays and
counts the same ones; ``run_schemathesis`` is shared the same way.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from scholarkg.server.app import MAX_NESTING, read_text
from tests.live_server import LiveServer

SKG = "https://w3id.org/scholarkg/ontology#"
COUNT_PAPERS = f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{SKG}Paper> }}"
FOREVER = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ORIGIN = "https://app.example"
#: The options of the server under attack: small limits, so that every limit is reached.
SERVER_ARGS = (
    "--timeout",
    "2",
    "--max-rows",
    "5",
    "--max-body",
    "65536",
    "--workers",
    "2",
    "--cors-origin",
    ORIGIN,
)
MAX_BODY = 65536
#: Text of files outside what the server may serve: none may appear in any answer.
SECRET_FILE_MARKERS = (b"root:x:0:0", b"def create_app", b"[build-system]", b"import ")


# -- raw HTTP ---------------------------------------------------------------------------------


@dataclass
class RawResponse:
    """An answer read off the socket: status (0 when the server closed without one), headers
    as sent (names lower-cased), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header."""
        return next((v for k, v in self.headers if k == name.lower()), None)


def raw_request(
    url: str,
    target: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | list[bytes] = b"",
    timeout: float = 60.0,
) -> RawResponse:
    """Send a request exactly as given (no client normalises the path); a list body is sent
    chunked. Reads the whole answer (the request asks the server to close)."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if isinstance(body, list):
        lines.append("Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in body) + b"0\r\n\r\n"
    else:
        if body and not any(k.lower() == "content-length" for k in headers or {}):
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    data = b""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        # the server may answer (and close) before it has read all of it
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + payload)
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> RawResponse:
    """Status, headers and (de-chunked) body of a raw HTTP/1.1 answer."""
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/"):
        return RawResponse(0, [], data)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [
        (k.strip().lower(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)
    ]
    response = RawResponse(int(status_line.split()[1]), headers, body)
    if (response.header("transfer-encoding") or "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        response.body = out
    return response


# -- a listener that must never be called ------------------------------------------------------


class Listener:
    """A TCP listener on loopback (IPv4 and, where there is one, IPv6) that records every
    connection made to it."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self._sockets = []
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        self.port = int(v4.getsockname()[1])
        self._sockets.append(v4)
        try:
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", self.port))
            self._sockets.append(v6)
        except OSError:
            pass  # no IPv6 loopback here: [::1] cannot be reached at all
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,)) for s in self._sockets]
        for sock, thread in zip(self._sockets, self._threads, strict=True):
            sock.listen(16)
            sock.settimeout(0.1)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(str(peer))
            conn.close()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for sock in self._sockets:
            sock.close()


# -- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a case is sent to: the server's URL, and a port where a listener waits."""

    url: str
    listener_port: int


@dataclass(frozen=True)
class HostileCase:
    """One hostile request: how to send it, the statuses that count as refused (or handled)
    as expected, and what else the answer must (not) hold."""

    name: str
    kind: str
    send: Callable[[Target], RawResponse]
    expect: frozenset[int]
    check: Callable[[RawResponse], str | None] = lambda response: None

    def verdict(self, response: RawResponse) -> str | None:
        """None if the answer is what the case expects, else what is wrong with it."""
        if response.status not in self.expect:
            shown = response.body[:300].decode("utf-8", "replace")
            return f"status {response.status} not in {sorted(self.expect)}: {shown}"
        for marker in SECRET_FILE_MARKERS:
            if marker in response.body:
                return f"the answer holds {marker!r}: a file outside the server's was read"
        if response.status >= 400 and response.status not in {431} and response.body:
            kind = response.header("content-type") or ""
            if not kind.startswith(("application/json", "text/html", "text/plain")):
                return f"an error answered as {kind!r}"
        return self.check(response)


def get(target: str, **headers: str) -> Callable[[Target], RawResponse]:
    """A GET of a raw request target."""
    return lambda t: raw_request(t.url, target, headers=headers)


def sparql_get(query: str, **headers: str) -> Callable[[Target], RawResponse]:
    """A SPARQL query by GET (the query percent-encoded)."""
    return get("/sparql?query=" + quote(query, safe=""), **headers)


def sparql_post(
    query: str, kind: str = "application/sparql-query"
) -> Callable[[Target], RawResponse]:
    """A SPARQL query or update sent directly in the body."""
    return lambda t: raw_request(
        t.url, "/sparql", method="POST", headers={"Content-Type": kind}, body=query.encode()
    )


def on_listener(make: Callable[[str], str]) -> Callable[[Target], RawResponse]:
    """A query by POST whose text names the listener's port (``make`` gets the port)."""
    return lambda t: sparql_post(make(str(t.listener_port)))(t)


def error_kind(*kinds: str) -> Callable[[RawResponse], str | None]:
    """The answer is the JSON error shape with one of these kinds."""

    def check(response: RawResponse) -> str | None:
        text = response.body.decode("utf-8", "replace")
        if not any(f'"error":"{kind}"' in text.replace(" ", "") for kind in kinds):
            return f"expected an error of kind {kinds}, got {text[:200]}"
        return None

    return check


def no_header_from_value(response: RawResponse) -> str | None:
    """No header the client tried to inject."""
    names = {name for name, _ in response.headers}
    if {"set-cookie", "x-injected"} & names:
        return f"an injected header came back: {response.headers}"
    if any("\r" in v or "\n" in v or "x-injected" in v.lower() for _, v in response.headers):
        return f"a header value holds the injected text: {response.headers}"
    return None


def capped_rows(response: RawResponse) -> str | None:
    """Exactly the row cap's rows, and headers that say the answer was cut."""
    if response.header("scholarkg-truncated") != "true":
        return "no Scholarkg-Truncated header"
    if response.header("scholarkg-row-cap") != "5":
        return "no Scholarkg-Row-Cap: 5 header"
    lines = [line for line in response.body.decode().splitlines() if line.strip()]
    if len(lines) != 6:  # the CSV header and five rows, or five N-Triples lines and a header
        return f"{len(lines) - 1} rows, not 5"
    return None


def capped_triples(response: RawResponse) -> str | None:
    """Exactly the row cap's triples, and headers that say so."""
    lines = [line for line in response.body.decode().splitlines() if line.strip()]
    if response.header("scholarkg-truncated") != "true" or len(lines) != 5:
        return f"{len(lines)} triples, truncated={response.header('scholarkg-truncated')}"
    return None


def cors(allowed: bool) -> Callable[[RawResponse], str | None]:
    """The CORS headers are there for the configured origin only, never with credentials."""

    def check(response: RawResponse) -> str | None:
        origin = response.header("access-control-allow-origin")
        if response.header("access-control-allow-credentials"):
            return "credentials allowed cross-origin"
        if allowed and origin != ORIGIN:
            return f"allowed origin not echoed: {response.headers}"
        if not allowed and origin is not None:
            return f"another origin got Access-Control-Allow-Origin: {origin}"
        return None

    return check


def service_to(template: str) -> Callable[[str], str]:
    """A query with a SERVICE to the address ``template`` names (given the listener's port)."""
    return lambda port: (
        f"SELECT * WHERE {{ SERVICE <{template.format(port=port)}> {{ ?s ?p ?o }} }}"
    )


def hidden_service(template: str) -> Callable[[str], str]:
    """An evasion of ``SERVICE_EVASIONS`` aimed at the listener."""
    return lambda port: template.format(t=f"http://127.0.0.1:{port}/sparql")


def sent_as(
    method: str, headers: dict[str, str], body: bytes = b""
) -> Callable[[Target], RawResponse]:
    """A request to /sparql with this method, headers and body."""
    return lambda t: raw_request(t.url, "/sparql", method=method, headers=headers, body=body)


def nest(depth: int, open_: str, close: str, inner: str = "") -> str:
    """Brackets nested ``depth`` deep."""
    return open_ * depth + inner + close * depth


FORBIDDEN = frozenset({403})
PROTOCOL_REFUSALS = frozenset({400, 413, 414, 431})
#: Addresses a SERVICE may name to reach what a client cannot: loopback, private, link-local
#: (cloud metadata) and names of loopback.
SERVICE_TARGETS = (
    "http://127.0.0.1:{port}/sparql",
    "http://localhost:{port}/sparql",
    "http://[::1]:{port}/sparql",
    "http://127.1:{port}/sparql",
    "http://2130706433:{port}/sparql",
    "http://0.0.0.0:{port}/sparql",
    "http://10.0.0.1/sparql",
    "http://192.168.1.1/sparql",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00::1]/sparql",
    "http://metadata.google.internal/computeMetadata/v1/",
)
#: Texts that hide a SERVICE from a lexer that reads SPARQL differently from the engine
#: (each made the server call the listener before it was fixed).
SERVICE_EVASIONS = {
    "carriage return ends a comment": "SELECT * WHERE {{ # c\rSERVICE <{t}> {{ ?s ?p ?o }}\n}}",
    "escaped # in a prefixed name": (
        "PREFIX ex: <http://e/> "
        "SELECT * WHERE {{ BIND(ex:a\\# AS ?x) SERVICE <{t}> {{ ?s ?p ?o }} }}"
    ),
    "escape in an IRI": (
        "SELECT * WHERE {{ BIND(<http://x/\\u0041#> AS ?x) SERVICE <{t}> {{ ?s ?p ?o }} }}"
    ),
    "less-than read as an IRI": "SELECT * WHERE {{ FILTER(1<2)SERVICE#>\n<{t}> {{ ?s ?p ?o }} }}",
    "a dot after true": "SELECT * WHERE {{ ?s ?p true.SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "a dot after a prefix": (
        "PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ?p ex:.SERVICE <{t}> {{ ?s ?p ?o }} }}"
    ),
    "lower case and SILENT": "select * where {{ service silent <{t}> {{ ?s ?p ?o }} }}",
    "SERVICE with a variable": (
        "SELECT * WHERE {{ VALUES ?e {{ <{t}> }} SERVICE ?e {{ ?s ?p ?o }} }}"
    ),
}
TRAVERSALS = (
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2f..%2fpyproject.toml",
    "/static/..%5capp.py",
    "/static/....//app.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%252e%252e/app.py",
    "/static/%c0%ae%c0%ae/app.py",
    "/static/style.css%00../app.py",
    "/id/../../etc/passwd",
    "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/..%2f..%2fetc%2fpasswd",
    "/id//etc/passwd",
    "/concepts/..%2f..%2fetc%2fpasswd",
    "/queries/..%2f..%2fetc%2fpasswd",
    "/forms/..%2f..%2fetc%2fpasswd",
    "/../../etc/passwd",
    "http://127.0.0.1/../../etc/passwd",
)
INJECTIONS = (
    ("/id/person/x%0d%0aSet-Cookie:%20a=b", "text/turtle"),
    ("/id/person/x%0d%0aX-Injected:%201", "text/html"),
    ("/id/person/%C3%A9%0d%0aX-Injected:%201?format=ttl", ""),
    ("/concepts/x%0d%0aX-Injected:%201", "text/turtle"),
    ("/ontology?format=ttl%0d%0aX-Injected:%201", ""),
    ("/queries/papers_of?person=Ferret&format=csv%0d%0aX-Injected:%201", ""),
    ("/sparql?query=ASK%7B%7D&format=text/csv%0d%0aX-Injected:%201", ""),
    ("/sparql?x=%0d%0aX-Injected:%201", "text/html"),
    ("/forms/papers_of?person=x%0d%0aSet-Cookie:%20a=b", "text/html"),
)


def build_cases() -> list[HostileCase]:
    """Every hand-written hostile case."""
    cases: list[HostileCase] = []
    add = cases.append
    too_big = b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * (MAX_BODY + 10)
    # -- oversized bodies
    add(
        HostileCase(
            "body over the limit, declared",
            "oversized body",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={
                    "Content-Type": "application/sparql-query",
                    "Content-Length": "1000000000",
                },
                body=b"SELECT * WHERE { ?s ?p ?o }",
            ),
            frozenset({413}),
            error_kind("payload-too-large"),
        )
    )
    add(
        HostileCase(
            "body over the limit, chunked (no length)",
            "oversized body",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/sparql-query"},
                body=[too_big[i : i + 4096] for i in range(0, len(too_big), 4096)],
            ),
            frozenset({413}),
            error_kind("payload-too-large"),
        )
    )
    add(
        HostileCase(
            "form body over the limit",
            "oversized body",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=b"query=" + too_big,
            ),
            frozenset({413}),
            error_kind("payload-too-large"),
        )
    )
    add(
        HostileCase(
            "update body over the limit",
            "oversized body",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/sparql-update"},
                body=[b"INSERT DATA { <x:a> <x:b> " + b'"' + b"y" * 70000 + b'" }'],
            ),
            frozenset({413}),
        )
    )
    add(
        HostileCase(
            "query string of 200 kB",
            "oversized body",
            get("/sparql?query=" + "x" * 200_000),
            PROTOCOL_REFUSALS,
        )
    )
    add(
        HostileCase(
            "header of 200 kB",
            "oversized body",
            get("/queries", **{"X-Big": "y" * 200_000}),
            PROTOCOL_REFUSALS,
        )
    )
    add(
        HostileCase(
            "1000 query parameters",
            "oversized body",
            get("/sparql?" + "&".join(["query=ASK%7B%7D"] * 1000)),
            frozenset({400}),
            error_kind("usage-error"),
        )
    )
    add(
        HostileCase(
            "both Content-Length and chunked (smuggling)",
            "oversized body",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={
                    "Content-Type": "application/sparql-query",
                    "Content-Length": "4",
                    "Transfer-Encoding": "chunked",
                },
                body=b"0\r\n\r\nGET /etc/passwd HTTP/1.1\r\n\r\n",
            ),
            frozenset({400, 413}),
        )
    )
    # -- deep nesting and long chains: refused up front, or the crashed worker is reported
    # as the query's fault and replaced
    deep = frozenset({400})
    too_deep = error_kind("query-error")
    add(
        HostileCase(
            "10,000 nested parentheses",
            "nested query",
            sparql_post(f"SELECT * WHERE {{ FILTER({nest(10_000, '(', ')', '1')}) }}"),
            deep,
            too_deep,
        )
    )
    add(
        HostileCase(
            "10,000 nested groups",
            "nested query",
            sparql_post(f"SELECT * WHERE {nest(10_000, '{', '}')}"),
            deep,
            too_deep,
        )
    )
    add(
        HostileCase(
            "3,000 nested groups by GET",
            "nested query",
            sparql_get(f"SELECT * WHERE {nest(3_000, '{', '}')}"),
            deep | PROTOCOL_REFUSALS,
        )
    )
    add(
        HostileCase(
            "10,000 nested blank-node brackets",
            "nested query",
            sparql_post(f"SELECT * WHERE {{ ?s ?p {nest(10_000, '[ ?p ', ']')} }}"),
            deep,
            too_deep,
        )
    )
    add(
        HostileCase(
            "10,000 nested groups in an update",
            "nested query",
            sparql_post(
                f"DELETE {{ ?s ?p ?o }} WHERE {nest(10_000, '{', '}')}", "application/sparql-update"
            ),
            deep,
            too_deep,
        )
    )
    add(
        HostileCase(
            "30,000 negations in a row",
            "nested query",
            sparql_post("SELECT * WHERE { FILTER(" + "!" * 30_000 + "true) }"),
            deep,
            too_deep,
        )
    )
    add(
        HostileCase(
            "20,000 additions in a row",
            "nested query",
            sparql_post("SELECT (" + "+".join(["1"] * 20_000) + " AS ?x) WHERE {}"),
            deep | frozenset({503}),
            error_kind("query-error", "query-timeout"),
        )
    )
    # -- time and size limits
    add(
        HostileCase(
            "a query that would run forever (GET)",
            "runaway query",
            sparql_get(FOREVER),
            frozenset({503}),
            error_kind("query-timeout"),
        )
    )
    add(
        HostileCase(
            "a CONSTRUCT that would run forever (POST form)",
            "runaway query",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=b"query="
                + quote(
                    "CONSTRUCT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
                ).encode(),
            ),
            frozenset({503}),
            error_kind("query-timeout"),
        )
    )
    add(
        HostileCase(
            "every triple as CSV past the row cap",
            "row cap",
            sparql_get("SELECT * WHERE { ?s ?p ?o }", Accept="text/csv"),
            frozenset({200}),
            capped_rows,
        )
    )
    add(
        HostileCase(
            "every triple as N-Triples past the row cap",
            "row cap",
            sparql_get("CONSTRUCT WHERE { ?s ?p ?o }", Accept="application/n-triples"),
            frozenset({200}),
            capped_triples,
        )
    )
    add(
        HostileCase(
            "a cross product past the row cap",
            "row cap",
            sparql_get(
                "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ",
                Accept="text/csv",
            ),
            frozenset({200}),
            capped_rows,
        )
    )
    # -- SERVICE and LOAD
    for template in SERVICE_TARGETS:
        add(
            HostileCase(
                f"SERVICE <{template.format(port='PORT')}>",
                "SERVICE",
                on_listener(service_to(template)),
                FORBIDDEN,
                error_kind("forbidden"),
            )
        )
    for name, template in SERVICE_EVASIONS.items():
        add(
            HostileCase(
                f"SERVICE hidden: {name}",
                "SERVICE",
                on_listener(hidden_service(template)),
                FORBIDDEN,
                error_kind("forbidden"),
            )
        )
    add(
        HostileCase(
            "LOAD from loopback",
            "SERVICE",
            on_listener(lambda port: f"LOAD <http://127.0.0.1:{port}/x.ttl>"),
            FORBIDDEN,
        )
    )
    # -- path traversal
    for target in TRAVERSALS:
        add(
            HostileCase(
                f"traversal {target}",
                "path traversal",
                get(target, Accept="text/turtle"),
                frozenset({400, 404}),
            )
        )
    # -- header injection
    for target, accept in INJECTIONS:
        add(
            HostileCase(
                f"CR/LF in {target}",
                "header injection",
                get(target, **({"Accept": accept} if accept else {})),
                frozenset({200, 303, 400, 404, 406}),
                no_header_from_value,
            )
        )
    # -- CORS
    query = "/sparql?query=" + quote("ASK {}")
    for origin, allowed in (
        (ORIGIN, True),
        ("https://evil.example", False),
        ("null", False),
        (ORIGIN + ".evil.example", False),
        ("https://evil.example/" + ORIGIN, False),
        (ORIGIN.upper(), False),
    ):
        add(
            HostileCase(
                f"CORS GET from {origin}",
                "CORS",
                get(query, Origin=origin),
                frozenset({200}),
                cors(allowed),
            )
        )
    for origin, method, headers, allowed in (
        (ORIGIN, "POST", "content-type, authorization", True),
        ("https://evil.example", "POST", "content-type", False),
        (ORIGIN, "PUT", "", False),
        (ORIGIN, "DELETE", "", False),
        (ORIGIN, "POST", "x-evil", False),
    ):
        extra = {"Access-Control-Request-Headers": headers} if headers else {}
        add(
            HostileCase(
                f"CORS preflight {method} [{headers}] from {origin}",
                "CORS",
                sent_as(
                    "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": method, **extra}
                ),
                frozenset({200}) if allowed else frozenset({400}),
                cors(allowed) if allowed else lambda r: None,
            )
        )
    # -- odd requests
    for method in ("PUT", "DELETE", "PATCH", "TRACE"):
        add(
            HostileCase(
                f"{method} /sparql",
                "method",
                sent_as(method, {}, b"DROP ALL"),
                frozenset({405}),
            )
        )
    add(
        HostileCase(
            "query that is not UTF-8",
            "encoding",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/sparql-query"},
                body=b"SELECT * WHERE { ?s ?p \xff\xfe }",
            ),
            frozenset({400}),
        )
    )
    add(
        HostileCase(
            "query with a NUL and lone surrogates",
            "encoding",
            get("/sparql?query=ASK%20%7B%00%ED%A0%80%7D"),
            frozenset({400}),
        )
    )
    add(
        HostileCase(
            "form charset UTF-7",
            "encoding",
            lambda t: raw_request(
                t.url,
                "/sparql",
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-7"},
                body=b"query=ASK+%7B%7D",
            ),
            frozenset({400}),
        )
    )
    add(
        HostileCase(
            "Accept header of 10,000 ranges",
            "encoding",
            sparql_get("ASK {}", Accept=", ".join(f"x/y{i};q=0.{i % 10}" for i in range(10_000))),
            frozenset({406, 400, 431}),
        )
    )
    add(
        HostileCase(
            "graph parameter that is no IRI",
            "encoding",
            get("/sparql?query=ASK%7B%7D&default-graph-uri=%0F%18"),
            frozenset({400}),
            error_kind("usage-error"),
        )
    )
    return cases


HOSTILE_CASES = build_cases()


def normal_answer(url: str) -> int:
    """The number of papers, by a normal query (26 on the shipped listing)."""
    response = httpx.get(f"{url}/sparql", params={"query": COUNT_PAPERS}, timeout=60)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- schemathesis -----------------------------------------------------------------------------


@dataclass
class SchemaRun:
    """What a schemathesis run sent and found."""

    sent: int = 0
    server_errors: int = 0
    violations: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def run_schemathesis(url: str, max_examples: int, seed: int = 1) -> SchemaRun:
    """Generate requests for every operation of the server's OpenAPI document, valid and
    invalid, and check each answer against the document (no 5xx, documented status, media
    type, headers and body schema)."""
    import schemathesis  # noqa: PLC0415  (only these runs need it)
    from hypothesis.errors import Unsatisfiable  # noqa: PLC0415
    from schemathesis.core.result import Ok  # noqa: PLC0415

    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    run = SchemaRun()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            run.violations += 1
            run.failures.append(f"the document has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            # an operation without parameters has no invalid requests
            with contextlib.suppress(Unsatisfiable):
                _schema_test(url, operation, mode, run, max_examples, seed)()
    return run


def _schema_test(
    url: str, operation: Any, mode: Any, run: SchemaRun, max_examples: int, seed: int
) -> Callable[[], None]:
    """One operation's property test in one generation mode, recording into ``run``."""
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from hypothesis import seed as with_seed  # noqa: PLC0415
    from schemathesis.checks import positive_data_acceptance  # noqa: PLC0415

    label = f"{operation.label} ({mode.value})"

    @with_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        response = case.call(base_url=url, timeout=60)
        run.sent += 1
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        try:
            # a valid name of nobody is refused with 400, as it should be: not a failure
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
        except Exception as exc:
            if response.status_code >= 500:
                run.server_errors += 1
            else:
                run.violations += 1
            run.failures.append(f"{label}: {' '.join(str(exc).split())[:400]}")

    return call


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(ferret_store_dir: Path) -> Iterator[LiveServer]:
    """A read-only server with small limits and one CORS origin."""
    live = LiveServer(ferret_store_dir, *SERVER_ARGS)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """A loopback listener nobody may call."""
    found = Listener()
    yield found
    found.close()


# -- the tests --------------------------------------------------------------------------------


def test_schemathesis_finds_no_5xx_and_no_schema_violation(server: LiveServer) -> None:
    run = run_schemathesis(server.url, max_examples=8)
    assert run.sent > 200
    assert run.failures == []
    assert normal_answer(server.url) == 26


@pytest.mark.slow
def test_schemathesis_long_run(server: LiveServer) -> None:
    run = run_schemathesis(server.url, max_examples=300, seed=int(time.time()))
    assert run.sent > 5000
    assert run.failures == []
    assert normal_answer(server.url) == 26


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda c: c.name)
def test_hostile_case_is_refused_and_the_server_goes_on(
    case: HostileCase, server: LiveServer, listener: Listener
) -> None:
    calls_before = len(listener.connections)
    response = case.send(Target(server.url, listener.port))
    assert listener.connections[calls_before:] == [], "the server connected to the listener"
    assert case.verdict(response) is None, case.verdict(response)
    assert server.process.poll() is None, server.log.read_text()
    assert normal_answer(server.url) == 26


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        *[(t.format(t="http://127.0.0.1:1/"), ["SERVICE"]) for t in SERVICE_EVASIONS.values()],
        ("LOAD <http://x/> ; CLEAR ALL", ["LOAD"]),
        # what only looks like a call is not refused
        ("SELECT * WHERE { ?s <http://example.org/service#endpoint> ?o }", []),
        ("SELECT * WHERE { ?s <http://example.org/a(b)/service> ?o }", []),
        ('SELECT * WHERE { BIND("a\\"SERVICE <x:y> {}" AS ?x) }', []),
        ("PREFIX service: <http://e/> SELECT * WHERE { ?s service:load ?o } # SERVICE <x:y>", []),
        ("SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }", []),
    ],
)
def test_read_text_sees_calls_as_the_engine_reads_them(text: str, calls: list[str]) -> None:
    assert read_text(text).calls == calls


def test_read_text_measures_nesting() -> None:
    assert read_text("SELECT * WHERE { FILTER((1)) }").depth == 3
    assert read_text('SELECT * WHERE { BIND("((((" AS ?x) } # ((((').depth == 2
    assert read_text(nest(MAX_NESTING + 1, "{", "}")).depth == MAX_NESTING + 1


def test_every_kind_of_point_4_has_cases() -> None:
    kinds = {case.kind for case in HOSTILE_CASES}
    assert {
        "oversized body",
        "nested query",
        "runaway query",
        "row cap",
        "SERVICE",
        "path traversal",
        "header injection",
        "CORS",
    } <= kinds
    assert len({case.name for case in HOSTILE_CASES}) == len(HOSTILE_CASES)


def test_the_static_route_still_serves_its_own_files(server: LiveServer) -> None:
    # the traversal cases would pass on a server that serves nothing at all
    response = raw_request(server.url, "/static/style.css")
    assert response.status == 200 and b"{" in response.body


def test_the_listener_would_see_a_call(ferret_store_dir: Path) -> None:
    """The SERVICE cases would catch a call: with --allow-service, the server makes it."""
    live = LiveServer(ferret_store_dir, "--allow-service", "--timeout", "2")
    listener = Listener()
    try:
        target = f"http://127.0.0.1:{listener.port}/sparql"
        texts = [
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            SERVICE_EVASIONS["carriage return ends a comment"].format(t=target),
        ]
        for count, text in enumerate(texts, start=1):
            response = httpx.post(f"{live.url}/sparql", data={"query": text}, timeout=60)
            assert response.status_code in {400, 503}, response.text
            deadline = time.monotonic() + 10
            while len(listener.connections) < count and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(listener.connections) == count
    finally:
        listener.close()
        live.stop()

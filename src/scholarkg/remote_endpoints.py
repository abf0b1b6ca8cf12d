"""Where a remote store is and how to reach it: its endpoints, found below a server's root
URL with probes that write nothing, and the credentials from the environment.

Credentials come from the environment only (``SCHOLARKG_ENDPOINT_USER``/``_PASSWORD`` with
``SCHOLARKG_ENDPOINT_AUTH`` basic or digest, or ``SCHOLARKG_ENDPOINT_TOKEN`` for a bearer token),
never from the command line, and never show their secrets as text.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Generator, Iterable, Iterator
from typing import Any

import httpx

from scholarkg.errors import StoreError, UsageError
from scholarkg.records import Record


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

    def secrets(self) -> list[str]:
        """The texts that give the credentials away: password, token, and their header forms."""
        found = [s for s in (self.password, self.token) if s]
        if self.user is not None:
            pair = f"{self.user}:{self.password or ''}".encode()
            found.append(base64.b64encode(pair).decode("ascii"))
        return found

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(scheme={self.scheme!r}, user={self.user!r})"

    __str__ = __repr__


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


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

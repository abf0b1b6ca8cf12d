"""The real-server fixtures work: start, write through the update route, read, GSP, auth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # imported by pytest_plugins at run time (an earlier import would skip rewriting)
    from tests.remote_servers import OxigraphServer, RemoteServer, VirtuosoServer

pytest_plugins = [
    "tests.remote_servers"
]  # fixtures: oxigraph_server, virtuoso_server, remote_server

EX = "http://example.org/fixture/"
JSON = "application/sparql-results+json"


def test_update_then_query(remote_server: RemoteServer) -> None:
    """INSERT DATA on the authenticated update route is visible on the query route."""
    remote_server.update(f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> "café 😀" }} }}')
    rows = remote_server.select(f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> ?o }} }}")
    assert [row["o"]["value"] for row in rows] == ["café 😀"]
    assert f"{EX}g" in remote_server.graphs()


def test_default_graph_uri_selects_one_graph(remote_server: RemoteServer) -> None:
    """Both servers honour default-graph-uri (the backend names its graphs explicitly)."""
    remote_server.update(
        f'INSERT DATA {{ GRAPH <{EX}a> {{ <{EX}s> <{EX}p> "a" }} '
        f'GRAPH <{EX}b> {{ <{EX}s> <{EX}p> "b" }} }}'
    )
    rows = remote_server.select(
        f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}", **{"default-graph-uri": f"{EX}b"}
    )
    assert [row["o"]["value"] for row in rows] == ["b"]


def test_graph_store_round_trip(remote_server: RemoteServer) -> None:
    """GSP PUT ?graph= with N-Triples, GET it back, DELETE it."""
    graph = {"graph": f"{EX}gsp"}
    auth = remote_server.httpx_auth()
    body = f'<{EX}s> <{EX}p> "one" .\n<{EX}s> <{EX}p> "two"@en .\n'
    with httpx.Client(auth=auth, timeout=30) as client:
        put = client.put(
            remote_server.gsp_url,
            params=graph,
            content=body.encode(),
            headers={"Content-Type": "application/n-triples"},
        )
        assert put.status_code == 201, put.text
        got = client.get(
            remote_server.gsp_url, params=graph, headers={"Accept": "application/n-triples"}
        )
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("application/n-triples")
        assert sorted(line.split(None, 2)[2] for line in got.text.splitlines() if line) == [
            '"one" .',
            '"two"@en .',
        ]
        assert client.delete(remote_server.gsp_url, params=graph).status_code in {200, 204}
        missing = client.get(
            remote_server.gsp_url, params=graph, headers={"Accept": "application/n-triples"}
        )
        assert missing.status_code == 404


def test_clear_leaves_no_test_graphs(remote_server: RemoteServer) -> None:
    """``clear()`` drops what tests wrote (and, on Virtuoso, nothing of its own)."""
    remote_server.update(f'INSERT DATA {{ GRAPH <{EX}tmp> {{ <{EX}s> <{EX}p> "x" }} }}')
    remote_server.clear()
    assert f"{EX}tmp" not in remote_server.graphs()
    assert remote_server.graphs() == remote_server.system_graphs  # Virtuoso keeps its own


def test_virtuoso_anonymous_routes_are_read_only(virtuoso_server: VirtuosoServer) -> None:
    """Without credentials /sparql refuses updates and /sparql-graph-crud refuses writes."""
    update = f'INSERT DATA {{ GRAPH <{EX}anon> {{ <{EX}s> <{EX}p> "x" }} }}'
    refused = httpx.post(virtuoso_server.query_url, data={"update": update}, timeout=30)
    assert refused.status_code == 500  # Virtuoso's answer to a permission error on /sparql
    assert "SR186" in refused.text
    put = httpx.put(
        virtuoso_server.anonymous_gsp_url,
        params={"graph": f"{EX}anon"},
        content=f'<{EX}s> <{EX}p> "x" .\n'.encode(),
        headers={"Content-Type": "application/n-triples"},
        timeout=30,
    )
    assert put.status_code == 403
    assert f"{EX}anon" not in virtuoso_server.graphs()


def test_virtuoso_auth_is_digest_with_generated_passwords(virtuoso_server: VirtuosoServer) -> None:
    """The writer logs in with Digest; no credentials, Basic, or the default dba/dba get 401."""
    assert virtuoso_server.auth is not None
    user, password, scheme = virtuoso_server.auth
    assert scheme == "digest"
    drop = {"update": f"DROP SILENT GRAPH <{EX}nothing>"}
    url = virtuoso_server.update_url
    assert httpx.post(url, data=drop, auth=httpx.DigestAuth(user, password)).status_code == 200
    for auth in (None, httpx.BasicAuth(user, password), httpx.DigestAuth("dba", "dba")):
        assert httpx.post(url, data=drop, auth=auth).status_code == 401


def test_oxigraph_needs_no_auth(oxigraph_server: OxigraphServer) -> None:
    """Oxigraph's server has no authentication: ``auth`` is None and /update is open."""
    assert oxigraph_server.auth is None
    response = httpx.post(
        oxigraph_server.update_url, data={"update": f"DROP SILENT GRAPH <{EX}nothing>"}
    )
    assert response.status_code == 204


def test_server_stops_and_frees_its_port(tmp_path: Path) -> None:
    """A server started as a context manager is gone after the ``with`` block."""
    from tests.remote_servers import OxigraphServer  # noqa: PLC0415 (see pytest_plugins)

    try:
        server = OxigraphServer(tmp_path / "ox")
    except FileNotFoundError as error:
        pytest.skip(str(error))
    with server:
        assert httpx.get(server.query_url, params={"query": "ASK {}"}).status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(server.query_url, params={"query": "ASK {}"}, timeout=2)

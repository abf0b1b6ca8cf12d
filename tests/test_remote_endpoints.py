"""Finding a server's endpoints from its root URL, and reading past a server's result limit.

Against real servers started on loopback by ``tests.remote_servers``: the issue's own example
(``--endpoint`` an Oxigraph server's root), Virtuoso's layout, and a Virtuoso whose
``ResultSetMaxRows`` is far below the size of the shipped graph.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scholarkg.cli import main
from scholarkg.errors import QueryError
from scholarkg.remote import Credentials, RemoteStore
from tests.conftest import LISTING
from tests.test_remote import COUNT_PAPERS, ID, credentials, endpoint_args, remote_store

if TYPE_CHECKING:  # imported by pytest_plugins at run time
    from tests.remote_servers import OxigraphServer, RemoteServer, VirtuosoServer

pytest_plugins = ["tests.remote_servers"]


def root_of(server: RemoteServer) -> str:
    return server.query_url.rsplit("/", 1)[0]


def test_an_oxigraph_root_url_is_enough(
    oxigraph_server: OxigraphServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = root_of(oxigraph_server)
    store = RemoteStore.connect(root, ID)
    try:
        assert store.endpoints.query == f"{root}/query"
        assert store.endpoints.update == f"{root}/update"
        assert store.endpoints.gsp == f"{root}/store"
    finally:
        store.close()
    # the example, word for word but for the port
    args = ["run", "coauthors_of", "--param", "person=Johan Ferret", "--format", "csv"]
    try:
        assert main(["--endpoint", root, "ingest", str(LISTING)]) == 0
        capsys.readouterr()
        assert main(["--endpoint", root, *args]) == 0
        remote_out = capsys.readouterr().out
    finally:
        oxigraph_server.clear()
    assert main(["ingest", str(LISTING), "--store", str(tmp_path / "kg")]) == 0
    capsys.readouterr()
    assert main([*args, "--store", str(tmp_path / "kg")]) == 0
    assert capsys.readouterr().out == remote_out
    # by hand: Alexandre Ramé and Léonard Hussenot on 9 papers with Johan Ferret
    assert remote_out.splitlines()[1].split(",")[1:3] == ["Alexandre Ramé", "9"]


def test_a_virtuoso_root_url_finds_its_authenticated_update_endpoint(
    virtuoso_server: VirtuosoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = root_of(virtuoso_server)
    try:
        with credentials(virtuoso_server):
            assert main(["--endpoint", root, "ingest", str(LISTING)]) == 0
            assert "26 papers" in capsys.readouterr().out
            assert main(["--endpoint", root, "query", COUNT_PAPERS, "--format", "csv"]) == 0
            assert capsys.readouterr().out.splitlines() == ["n", "26"]
        auth = virtuoso_server.auth
        assert auth is not None
        creds = Credentials(scheme=auth.scheme, user=auth.user, password=auth.password)
        store = RemoteStore.connect(root, ID, credentials=creds)
        try:
            # no Graph Store route is found on Virtuoso: data goes by INSERT DATA
            assert (store.endpoints.query, store.endpoints.update, store.endpoints.gsp) == (
                f"{root}/sparql",
                f"{root}/sparql-auth",
                None,
            )
        finally:
            store.close()
    finally:
        virtuoso_server.clear()


def test_a_url_where_nothing_answers_is_a_usage_error(
    oxigraph_server: OxigraphServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = f"{root_of(oxigraph_server)}/no/such/place"
    assert main(["--endpoint", wrong, "stats"]) == 2
    err = capsys.readouterr().err
    assert f"no SPARQL query endpoint answers at {wrong}" in err
    assert f"{wrong}/query" in err and f"{wrong}/sparql" in err


def test_a_server_that_is_not_there_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/sparql"
    assert main(["--endpoint", url, "stats"]) != 0
    assert f"cannot reach {url}" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# a result limit far below the graph's size


@pytest.fixture(scope="module")
def capped_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A Virtuoso that cuts every answer at 300 rows (the shipped graph has thousands)."""
    from tests.remote_servers import VirtuosoServer, find_isql, find_virtuoso  # noqa: PLC0415

    binary = find_virtuoso()
    if binary is None or find_isql(binary) is None:
        pytest.skip("no `virtuoso-t` with isql: apt-get install virtuoso-opensource")
    folder = Path(tempfile.mkdtemp(prefix="skg-capped-", dir=tmp_path_factory.getbasetemp()))
    with VirtuosoServer(folder, binary, max_rows=300) as server:
        yield server


def test_export_reads_past_the_result_limit(
    capped_virtuoso: VirtuosoServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with credentials(capped_virtuoso):
        assert main([*endpoint_args(capped_virtuoso), "ingest", str(LISTING)]) == 0
        out = tmp_path / "remote.nq"
        args = [*endpoint_args(capped_virtuoso), "export", "--format", "nq", "-o", str(out)]
        assert main(args) == 0
        assert out.exists()
    assert main(["ingest", str(LISTING), "--store", str(tmp_path / "kg")]) == 0
    embedded = tmp_path / "embedded.nq"
    kg = str(tmp_path / "kg")
    assert main(["export", "--store", kg, "--format", "nq", "-o", str(embedded)]) == 0
    assert len(embedded.read_text().splitlines()) > 3 * 300  # the limit really bites
    assert out.read_bytes() == embedded.read_bytes()


def test_an_answer_cut_by_the_server_is_an_error_not_a_short_answer(
    capped_virtuoso: VirtuosoServer,
) -> None:
    store = remote_store(capped_virtuoso)
    try:
        if not store.named_graphs():
            with credentials(capped_virtuoso):
                assert main([*endpoint_args(capped_virtuoso), "ingest", str(LISTING)]) == 0
        with pytest.raises(QueryError, match="cut the answer at 300 rows"):
            store.query("SELECT * WHERE { ?s ?p ?o }")
        assert len(store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 299").rows) == 299
    finally:
        store.close()

"""The remote backend against real SPARQL servers (Oxigraph server and Virtuoso 7.2, started on
loopback by ``tests.remote_servers``): the same answers as the embedded store for every stored
query, ingest, validation and export through the CLI, hostile parameters, and a server that goes
away in the middle of an ingest.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socketserver
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from scholarkg.cli import main
from scholarkg.errors import ScholarkgError, StoreError
from scholarkg.queries import load_catalogue, run_stored
from scholarkg.remote import Credentials, Endpoints, RemoteStore
from scholarkg.store import EmbeddedStore, QueryResult, ntriples_lines
from scholarkg.terms import IRI, Literal
from tests.conftest import LISTING

if TYPE_CHECKING:  # imported by pytest_plugins at run time
    from tests.remote_servers import RemoteServer

pytest_plugins = ["tests.remote_servers"]

ID = "https://w3id.org/scholarkg/id/"
LISTING_GRAPH = f"{ID}graph/arxiv-listing-ferret"
EX = "https://example.org/chain/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
COUNT_PAPERS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/scholarkg/ontology#Paper> }"
#: Parameters for the queries whose examples name nobody in the shipped listing.
PARAMS = {
    "collaboration_path": {"person": "Matthieu Geist", "other": "Olivier Bachem"},
    "paper_card": {"paper": f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"},
}


def endpoint_args(server: RemoteServer) -> list[str]:
    return [
        "--endpoint",
        server.query_url,
        "--update-endpoint",
        server.update_url,
        "--gsp-endpoint",
        server.gsp_url,
    ]


@contextlib.contextmanager
def credentials(server: RemoteServer) -> Iterator[None]:
    """The server's credentials in the environment, as users give them."""
    saved = dict(os.environ)
    if server.auth is not None:
        os.environ["SCHOLARKG_ENDPOINT_USER"] = server.auth.user
        os.environ["SCHOLARKG_ENDPOINT_PASSWORD"] = server.auth.password
        os.environ["SCHOLARKG_ENDPOINT_AUTH"] = server.auth.scheme
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def remote_store(server: RemoteServer, *, gsp: bool = True) -> RemoteStore:
    creds = None
    if server.auth is not None:
        creds = Credentials(
            scheme=server.auth.scheme, user=server.auth.user, password=server.auth.password
        )
    endpoints = Endpoints(
        query=server.query_url, update=server.update_url, gsp=server.gsp_url if gsp else None
    )
    return RemoteStore(endpoints, ID, credentials=creds, retries=1, backoff=0.05)


@pytest.fixture
def loaded(remote_server: RemoteServer, capsys: pytest.CaptureFixture[str]) -> RemoteServer:
    """The server with the shipped listing ingested through the CLI."""
    with credentials(remote_server):
        code = main([*endpoint_args(remote_server), "ingest", str(LISTING)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "26 papers" in out and "Conforms" in out
    return remote_server


def comparable(result: QueryResult) -> list[tuple[object, ...]]:
    """Rows or triples in an engine-neutral form: numbers as numbers, sorted."""

    def value(term: object) -> object:
        if isinstance(term, Literal) and term.datatype.rsplit("#", 1)[-1] in {
            "integer",
            "decimal",
            "double",
            "float",
        }:
            return Decimal(term.lexical).normalize()
        if isinstance(term, Literal) and "; " in term.lexical:
            # GROUP_CONCAT: SPARQL leaves the order of the parts to the engine
            return "; ".join(sorted(term.lexical.split("; ")))
        return term

    if result.triples:
        return sorted(tuple(map(str, t)) for t in result.triples)
    if result.boolean is not None:
        return [(result.boolean,)]
    return sorted((tuple(value(t) for t in row) for row in result.rows), key=repr)


def test_every_stored_query_answers_as_on_the_embedded_store(
    loaded: RemoteServer, ferret_store: EmbeddedStore
) -> None:
    remote = remote_store(loaded)
    different = {}
    try:
        for name, query in sorted(load_catalogue().items()):
            params = PARAMS.get(name) or {
                key: str(spec.example)
                for key, spec in query.params.items()
                if spec.required and spec.example is not None
            }
            embedded = run_stored(ferret_store, query, params, base=ID)
            assert embedded.rows or embedded.triples or embedded.boolean is not None, name
            try:
                answered = run_stored(remote, query, params, base=ID)
            except ScholarkgError as exc:
                different[name] = exc.message[:300]
                continue
            if answered.variables != embedded.variables:
                different[name] = f"columns {answered.variables} != {embedded.variables}"
            elif comparable(answered) != comparable(embedded):
                different[name] = "different rows"
    finally:
        remote.close()
    assert not different, "\n".join(f"{k}: {v}" for k, v in sorted(different.items()))


def test_collaboration_path_answers_as_embedded_on_accented_names(
    loaded: RemoteServer, ferret_store: EmbeddedStore
) -> None:
    """Virtuoso runs its own text of the query (queries/dialects/virtuoso/): the same answers,
    accented names included (a plain non-ASCII literal in Virtuoso's CONCAT garbles them)."""
    remote = remote_store(loaded)
    query = load_catalogue()["collaboration_path"]
    assert remote.dialect == ("virtuoso" if loaded.name == "virtuoso" else None)
    cases = [
        ("Raphaël Marinier", "Léonard Hussenot", 4),
        ("Raphaël Marinier", "Léonard Hussenot", 1),  # two hops apart: not within one
        ("Olivier Bachem", "Gemma Team", 2),
        ("Toby Johnstone", "Matthieu Geist", 3),
        ("Matthieu Geist", "Matthieu Geist", 0),
    ]
    try:
        for person, other, k in cases:
            params = {"person": person, "other": other, "k": str(k)}
            embedded = run_stored(ferret_store, query, params, base=ID)
            answered = run_stored(remote, query, params, base=ID)
            assert comparable(answered) == comparable(embedded), params
        params = {"person": "Raphaël Marinier", "other": "Léonard Hussenot"}
        chain = run_stored(remote, query, params, base=ID).rows[0][2]
        assert chain == Literal(
            "Raphaël Marinier → Johan Ferret → Léonard Hussenot",
            "http://www.w3.org/2001/XMLSchema#string",
        )
    finally:
        remote.close()


def test_collaboration_path_answers_as_embedded_on_the_chain_graph(loaded: RemoteServer) -> None:
    """tests/data/queries/chain.ttl (paths of up to four hops, several shortest chains, a
    person nobody reaches): every ordered pair at k = 4, and at k = 2 from Ann. Beside the
    shipped listing: on a database holding the chain graph alone, Virtuoso 7.2's optimizer
    picks a plan for its variant that does not finish (docs/remote-stores.md)."""
    chain = Path(__file__).parent / "data" / "queries" / "chain.ttl"
    graph = f"{ID}graph/chain"
    embedded = EmbeddedStore(None)
    embedded.load_file(IRI(graph), chain, "text/turtle")
    remote = remote_store(loaded)
    query = load_catalogue()["collaboration_path"]
    people = ["ann", "bob", "bea", "cid", "dan", "eve", "fay", "gus", "team"]
    pairs = [(a, b, 4) for a in people for b in people] + [("ann", b, 2) for b in people]
    try:
        with remote.replacing() as batch, batch.writer(graph) as out:
            for line in sorted(ntriples_lines(chain.read_bytes(), "text/turtle")):
                out.write(line)
        different = []
        for start, end, k in pairs:
            params = {"person": EX + start, "other": EX + end, "k": str(k)}
            expected = comparable(run_stored(embedded, query, params, base=ID))
            if comparable(run_stored(remote, query, params, base=ID)) != expected:
                different.append((start, end, k))
        assert different == []
    finally:
        remote.close()
        embedded.close()
        loaded.clear()


def test_cli_run_gives_the_embedded_answer(
    loaded: RemoteServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["run", "coauthors_of", "--param", "person=Johan Ferret", "--format", "csv"]
    with credentials(loaded):
        assert main([*endpoint_args(loaded), *args]) == 0
    remote_out = capsys.readouterr().out
    store = tmp_path / "kg"
    assert main(["ingest", str(LISTING), "--store", str(store)]) == 0
    capsys.readouterr()
    assert main([*args, "--store", str(store)]) == 0
    assert capsys.readouterr().out == remote_out
    # by hand: Alexandre Ramé and Léonard Hussenot on 9 papers with Johan Ferret
    assert remote_out.splitlines()[1].split(",")[1:3] == ["Alexandre Ramé", "9"]


def test_validate_and_export_on_the_server(
    loaded: RemoteServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with credentials(loaded):
        assert main([*endpoint_args(loaded), "validate"]) == 0
        assert "Conforms" in capsys.readouterr().out
        assert (
            main([*endpoint_args(loaded), "export", "--format", "nt", "-o", str(tmp_path / "r.nt")])
            == 0
        )
    store = tmp_path / "kg"
    assert main(["ingest", str(LISTING), "--store", str(store)]) == 0
    assert (
        main(["export", "--store", str(store), "--format", "nt", "-o", str(tmp_path / "e.nt")]) == 0
    )
    assert (tmp_path / "r.nt").read_bytes() == (tmp_path / "e.nt").read_bytes()


def test_a_violation_on_the_server_is_found(
    loaded: RemoteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"
    loaded.update(
        f"INSERT DATA {{ GRAPH <{LISTING_GRAPH}> {{ <{paper}> "
        '<http://purl.org/dc/terms/title> "A second title" } }'
    )
    with credentials(loaded):
        code = main([*endpoint_args(loaded), "validate", "--graph", LISTING_GRAPH])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert paper in out and "title" in out, err


@pytest.mark.parametrize("text", ['"}', "x' } ; DROP ALL ; #", "a\n} UNION { ?s ?p ?o", "Ramé }}"])
def test_hostile_parameters_are_only_text(loaded: RemoteServer, text: str) -> None:
    remote = remote_store(loaded)
    try:
        query = load_catalogue()["search_papers"]
        assert run_stored(remote, query, {"text": text}, base=ID).rows == ()
        assert remote.query(COUNT_PAPERS).rows[0][0] == Literal(
            "26", "http://www.w3.org/2001/XMLSchema#integer"
        )
    finally:
        remote.close()


def test_without_graph_store_protocol_data_goes_as_insert_data(
    remote_server: RemoteServer, tagger: object
) -> None:
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415

    remote = remote_store(remote_server, gsp=False)
    try:
        ingest_listing(LISTING, remote, IngestOptions(base=ID, validate_data=False))
        assert int(remote.query(COUNT_PAPERS).rows[0][0].lexical) == 26  # type: ignore[union-attr]
        assert remote.named_graphs() == sorted(
            [LISTING_GRAPH, f"{ID}graph/concepts", f"{ID}graph/ontology"]
        )
    finally:
        remote.close()


OVERLAP = LISTING.parents[1] / "tests" / "data" / "listings" / "pietquin-overlap.txt"
OVERLAP_GRAPH = f"{ID}graph/pietquin-overlap"


def test_a_new_source_streams_under_its_name_unseen_until_the_commit(
    remote_server: RemoteServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A graph that is not yet one of scholarkg's is written where it will stay, while no
    reader sees it (it is not in the index); a failed ingest of it leaves nothing behind."""
    import scholarkg.remote  # noqa: PLC0415
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415

    monkeypatch.setattr(scholarkg.remote, "GSP_CHUNK_BYTES", 1_000)
    monkeypatch.setattr(scholarkg.remote, "INSERT_CHUNK_TRIPLES", 10)
    writer, reader = remote_store(remote_server), remote_store(remote_server)
    try:
        ingest_listing(LISTING, writer, IngestOptions(base=ID, validate_data=False))
        seen: dict[str, object] = {}

        def look(entries: int) -> None:
            if entries == 2:  # the first entries' lines are on the server by now
                reader._graphs = reader._view = None
                pattern = f"GRAPH <{OVERLAP_GRAPH}> {{ ?s ?p ?o }}"
                seen["written"] = len(remote_server.select(f"SELECT * WHERE {{ {pattern} }}"))
                seen["registered"] = OVERLAP_GRAPH in reader.named_graphs()
                seen["papers"] = reader.query(COUNT_PAPERS).rows[0][0]

        options = IngestOptions(base=ID, validate_data=False)
        ingest_listing(OVERLAP, writer, options, progress=look)
        assert seen["written"] > 0  # type: ignore[operator]
        assert seen["registered"] is False
        assert seen["papers"] == Literal("26", XSD_INTEGER)  # the ferret listing's only
        reader._graphs = reader._view = None
        assert OVERLAP_GRAPH in reader.named_graphs()
        after = int(reader.query(COUNT_PAPERS).rows[0][0].lexical)  # type: ignore[union-attr]
        assert after > 26

        # a new source that fails at its last entry: what was sent is gone
        broken = tmp_path / "broken.txt"
        broken.write_text(OVERLAP.read_text(encoding="utf-8") + "-\nA title\nAbstract:\nnone\n")
        with pytest.raises(ScholarkgError, match=r"broken\.txt:.*expected 'Authors:'"):
            ingest_listing(broken, writer, options, progress=look)
        assert not any(g.endswith("/broken") or "/staging/" in g for g in remote_server.graphs())
        reader._graphs = reader._view = None
        assert int(reader.query(COUNT_PAPERS).rows[0][0].lexical) == after  # type: ignore[union-attr]
        marks = remote_server.select(
            f"SELECT * WHERE {{ GRAPH <{ID}graph/index> {{ ?g a <urn:scholarkg:StagingGraph> }} }}"
        )
        assert marks == []
    finally:
        writer.close()
        reader.close()
        remote_server.clear()


def test_an_oxigraph_server_bulk_loads_unregistered_graphs(
    remote_server: RemoteServer,
) -> None:
    """Oxigraph's Graph Store POST takes ``no_transaction`` (its bulk loader); other servers
    are sent the standard protocol only."""
    store = remote_store(remote_server)
    try:
        store.named_graphs()
        assert store._bulk_loads() is (remote_server.name == "oxigraph")
    finally:
        store.close()


class FaultyProxy:
    """A real HTTP proxy on loopback in front of a server that answers the first ``serve``
    requests, then fails the next ``fail`` ones (status ``status``, or a dropped connection),
    then serves again."""

    def __init__(self, target: str, *, serve: int, fail: int, status: int | None) -> None:
        self.target = "/".join(target.split("/", 3)[:3])  # scheme://host:port
        self.plan = {"serve": serve, "fail": fail}
        self.status = status
        self.seen = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                proxy.seen += 1
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if proxy.plan["serve"] > 0:
                    proxy.plan["serve"] -= 1
                elif proxy.plan["fail"] > 0:
                    proxy.plan["fail"] -= 1
                    if proxy.status is None:
                        self.connection.close()  # the server "went away"
                        return
                    self.send_response(proxy.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.request(
                    self.command, proxy.target + self.path, content=body, headers=headers
                )
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _relay  # noqa: N815  (http.server's names)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _through(proxy: FaultyProxy, server: RemoteServer, **options: float) -> RemoteStore:
    def moved(url: str) -> str:
        return proxy.url + "/" + url.split("/", 3)[3]

    endpoints = Endpoints(
        query=moved(server.query_url), update=moved(server.update_url), gsp=moved(server.gsp_url)
    )
    return RemoteStore(endpoints, ID, **options)  # type: ignore[arg-type]


def test_a_server_gone_mid_ingest_leaves_the_old_graph(oxigraph_server: RemoteServer) -> None:
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415

    direct = remote_store(oxigraph_server)
    try:
        ingest_listing(LISTING, direct, IngestOptions(base=ID, validate_data=False))
        before = direct.dump_ntriples(direct.named_graphs()[0])  # type: ignore[arg-type]
        # the lookups of the graphs, the view and the sources (for papers other sources hold),
        # the staging lookup, the staging marks and a first upload go through; then the server
        # is gone for good
        proxy = FaultyProxy(oxigraph_server.query_url, serve=6, fail=1000, status=None)
        broken = _through(proxy, oxigraph_server, retries=2, backoff=0.01)
        try:
            with pytest.raises(StoreError, match="failed after 3 attempts"):
                ingest_listing(LISTING, broken, IngestOptions(base=ID, validate_data=False))
        finally:
            broken.close()
            proxy.close()
        assert direct.named_graphs() == sorted(
            [LISTING_GRAPH, f"{ID}graph/concepts", f"{ID}graph/ontology"]
        )
        assert direct.dump_ntriples(direct.named_graphs()[0]) == before  # type: ignore[arg-type]
        assert int(direct.query(COUNT_PAPERS).rows[0][0].lexical) == 26  # type: ignore[union-attr]
        staging = f"{ID}graph/staging/"
        assert any(g.startswith(staging) for g in oxigraph_server.graphs())  # left behind
        # the next ingest drops what the failed one could not
        ingest_listing(LISTING, direct, IngestOptions(base=ID, validate_data=False))
        assert not any(g.startswith(staging) for g in oxigraph_server.graphs())
        assert int(direct.query(COUNT_PAPERS).rows[0][0].lexical) == 26  # type: ignore[union-attr]
    finally:
        direct.close()
        oxigraph_server.clear()


def test_transient_failures_are_retried(oxigraph_server: RemoteServer) -> None:
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415

    proxy = FaultyProxy(oxigraph_server.query_url, serve=1, fail=2, status=503)
    store = _through(proxy, oxigraph_server, retries=3, backoff=0.01)
    try:
        ingest_listing(LISTING, store, IngestOptions(base=ID, validate_data=False))
        assert int(store.query(COUNT_PAPERS).rows[0][0].lexical) == 26  # type: ignore[union-attr]
        assert proxy.plan["fail"] == 0  # both failures were met, and retried
    finally:
        store.close()
        proxy.close()
        oxigraph_server.clear()


def test_virtuoso_refuses_anonymous_writes(virtuoso_server: RemoteServer) -> None:
    anonymous = RemoteStore(
        Endpoints(query=virtuoso_server.query_url, update=virtuoso_server.query_url), ID, retries=0
    )
    try:
        with pytest.raises(ScholarkgError, match=r"(?i)permission|refused"):
            anonymous.update(f'INSERT DATA {{ GRAPH <{ID}graph/x> {{ <{ID}a> <{ID}b> "c" }} }}')
    finally:
        anonymous.close()


def test_an_update_that_must_not_run_twice_is_not_resent(oxigraph_server: RemoteServer) -> None:
    """The final MOVE of an ingest: a connection lost after the request was sent may mean the
    server ran it; sending it again would move an empty staging graph over the new data."""
    insert = f'INSERT DATA {{ GRAPH <{ID}graph/x> {{ <{ID}a> <{ID}b> "c" }} }}'
    proxy = FaultyProxy(oxigraph_server.query_url, serve=0, fail=1, status=None)
    store = _through(proxy, oxigraph_server, retries=3, backoff=0.01)
    try:
        with pytest.raises(StoreError, match="not sent again"):
            store.update(insert, once=True)
        assert proxy.seen == 1
        proxy.plan["fail"] = 1
        store.update(insert)  # an ordinary update: sent again
        assert proxy.seen == 3
    finally:
        store.close()
        proxy.close()
        oxigraph_server.clear()

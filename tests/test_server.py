"""``scholarkg serve`` as a real process on loopback: the SPARQL 1.1 Protocol endpoint, its safety
limits and the stored-query API. Expected answers come from the shipped listing, by hand: 26
papers; per year of first submission 2019: 1, 2020: 2, 2021: 3, 2022: 1, 2023: 4, 2024: 10,
2025: 5; Matthieu Geist's co-authors are Johan Ferret and Olivier Pietquin on all his 7 papers
(2019-2023) and Philippe Preux on 2 (both 2021).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from openapi_spec_validator import validate as validate_openapi

from tests.conftest import ROOT
from tests.live_server import LiveServer, free_port

SKG = "https://w3id.org/scholarkg/ontology#"
ID = "https://w3id.org/scholarkg/id/"
COUNT_PAPERS = f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{SKG}Paper> }}"
PER_YEAR = [(2019, 1), (2020, 2), (2021, 3), (2022, 1), (2023, 4), (2024, 10), (2025, 5)]
GEIST_COAUTHORS_TOP = [("Johan Ferret", 7, 2019, 2023), ("Olivier Pietquin", 7, 2019, 2023)]
SPARQL_JSON = "application/sparql-results+json"
TOKEN = "s3cret-token-for-tests"
# every triple joined with every other, three times over: never finishes on 4,000 triples
FOREVER = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def sparql_count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def url(ferret_server: LiveServer) -> str:
    return ferret_server.url


# -- the protocol's three ways of asking -------------------------------------------------


def test_query_by_get_post_form_and_post_direct_agree(url: str) -> None:
    headers = {"Accept": SPARQL_JSON}
    by_get = httpx.get(f"{url}/sparql", params={"query": COUNT_PAPERS}, headers=headers)
    by_form = httpx.post(f"{url}/sparql", data={"query": COUNT_PAPERS}, headers=headers)
    direct = httpx.post(
        f"{url}/sparql",
        content=COUNT_PAPERS.encode(),
        headers={**headers, "Content-Type": "application/sparql-query"},
    )
    assert [sparql_count(r) for r in (by_get, by_form, direct)] == [26, 26, 26]


def test_default_graph_is_the_union_unless_the_request_names_graphs(url: str) -> None:
    concepts = f"{ID}graph/concepts"
    listing = f"{ID}graph/arxiv-listing-ferret"
    only_concepts = httpx.get(
        f"{url}/sparql", params={"query": COUNT_PAPERS, "default-graph-uri": concepts}
    )
    assert sparql_count(only_concepts) == 0
    both = httpx.get(
        f"{url}/sparql",
        params=[
            ("query", COUNT_PAPERS),
            ("default-graph-uri", concepts),
            ("default-graph-uri", listing),
        ],
    )
    assert sparql_count(both) == 26
    # the query's own FROM names its dataset: the union no longer applies
    own = COUNT_PAPERS.replace("WHERE", f"FROM <{concepts}> WHERE")
    assert sparql_count(httpx.get(f"{url}/sparql", params={"query": own})) == 0
    named = f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH ?g {{ ?p a <{SKG}Paper> }} }}"
    restricted = httpx.get(f"{url}/sparql", params={"query": named, "named-graph-uri": concepts})
    assert sparql_count(restricted) == 0


def test_every_result_format_carries_the_same_answer(url: str) -> None:
    query = (
        f"SELECT ?year (COUNT(?p) AS ?n) WHERE {{ ?p <{SKG}firstSubmitted> ?d "
        "BIND(YEAR(?d) AS ?year) } GROUP BY ?year ORDER BY ?year"
    )

    def ask(accept: str) -> httpx.Response:
        response = httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(accept)
        assert "Accept" in response.headers.get("vary", "")
        return response

    bindings = ask(SPARQL_JSON).json()["results"]["bindings"]
    assert [(int(b["year"]["value"]), int(b["n"]["value"])) for b in bindings] == PER_YEAR
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    tree = ElementTree.fromstring(ask("application/sparql-results+xml").content)
    years = [
        tuple(int(b.find("r:literal", ns).text or "") for b in result.findall("r:binding", ns))  # type: ignore[union-attr]
        for result in tree.iterfind(".//r:result", ns)
    ]
    assert years == PER_YEAR
    rows = list(csv.reader(io.StringIO(ask("text/csv").text)))
    assert rows[0] == ["year", "n"] and [(int(y), int(n)) for y, n in rows[1:]] == PER_YEAR
    tsv = ask("text/tab-separated-values").text.splitlines()
    assert tsv[0] == "?year\t?n"
    assert [
        tuple(int(v.split("^^")[0].strip('"')) for v in line.split("\t")) for line in tsv[1:]
    ] == PER_YEAR


def test_construct_in_every_rdf_format(url: str) -> None:
    query = f"CONSTRUCT {{ ?p <{SKG}firstSubmitted> ?d }} WHERE {{ ?p <{SKG}firstSubmitted> ?d }}"
    formats = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
    }
    sizes = set()
    for accept, parser in formats.items():
        response = httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(accept)
        if parser == "json-ld":
            data = json.loads(response.text)  # rdflib's JSON-LD parser warns; count nodes
            sizes.add(len(data))
            continue
        sizes.add(len(rdflib.Graph().parse(data=response.text, format=parser)))
    assert sizes == {26}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.9, application/sparql-results+xml;q=0.3", "text/csv"),
        ("text/*", "text/csv"),
        ("text/*;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", SPARQL_JSON),
        ("application/*;q=0.2, text/csv;q=0.1", SPARQL_JSON),
        ("*/*;q=0.1, text/csv;q=0", SPARQL_JSON),
        ("text/html, application/xhtml+xml, */*;q=0.8", SPARQL_JSON),
    ],
)
def test_accept_headers_with_weights_lists_and_wildcards(
    url: str, accept: str, expected: str
) -> None:
    response = httpx.get(
        f"{url}/sparql", params={"query": COUNT_PAPERS}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_nothing_acceptable_is_406(url: str) -> None:
    response = httpx.get(
        f"{url}/sparql", params={"query": COUNT_PAPERS}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "text/csv" in response.json()["message"]
    refused = httpx.get(
        f"{url}/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "text/csv, application/sparql-results+json"},
    )
    assert refused.status_code == 406


def test_bad_query_is_400_with_the_parser_message(url: str) -> None:
    response = httpx.get(f"{url}/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "query-error" and error["status"] == 400
    assert "does not parse" in error["message"] and "1:" in error["message"]


def test_wrong_content_type_is_415_and_missing_one_400(url: str) -> None:
    wrong = httpx.post(
        f"{url}/sparql", content=b"ASK {}", headers={"Content-Type": "application/json"}
    )
    assert wrong.status_code == 415 and wrong.json()["error"] == "unsupported-media-type"
    missing = httpx.post(f"{url}/sparql", content=b"ASK {}")
    assert missing.status_code in {400, 415}


def test_service_description_names_the_endpoint_and_the_graphs(url: str) -> None:
    response = httpx.get(f"{url}/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert set(graph.objects(None, sd.endpoint)) == {rdflib.URIRef(f"{url}/sparql")}
    names = {str(n) for n in graph.objects(None, sd.name)}
    assert names == {
        f"{ID}graph/arxiv-listing-ferret",
        f"{ID}graph/concepts",
        f"{ID}graph/ontology",
    }
    assert (None, sd.supportedLanguage, sd.SPARQL11Update) not in graph  # read-only
    browser = httpx.get(f"{url}/sparql", headers={"Accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"] == "/editor"


# -- safety ---------------------------------------------------------------------------------


def test_updates_are_refused_on_a_read_only_server(url: str) -> None:
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
        response = httpx.post(
            f"{url}/sparql",
            content=b"DROP ALL",
            headers={**headers, "Content-Type": "application/sparql-update"},
        )
        assert response.status_code == 403
        assert "--enable-update" in response.json()["message"]
    assert sparql_count(httpx.get(f"{url}/sparql", params={"query": COUNT_PAPERS})) == 26


def test_service_makes_no_request_to_another_host(url: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(1.0)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
        response = httpx.get(f"{url}/sparql", params={"query": query})
        assert response.status_code == 403
        assert "SERVICE" in response.json()["message"]
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody called


def test_service_inside_strings_and_names_is_not_refused(url: str) -> None:
    query = (
        "PREFIX service: <http://example.org/> SELECT ?service WHERE { "
        'BIND("SERVICE <http://x/>" AS ?service) } # SERVICE'
    )
    response = httpx.get(f"{url}/sparql", params={"query": query})
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def tight_server(ferret_store_dir: Path) -> Iterator[LiveServer]:
    """A server with small limits (read-only servers can share one store)."""
    server = LiveServer(
        ferret_store_dir,
        "--timeout",
        "1",
        "--max-rows",
        "5",
        "--max-body",
        "2000",
        "--workers",
        "1",
        "--cors-origin",
        "https://app.example",
    )
    yield server
    server.stop()


def test_a_query_past_the_time_limit_is_stopped_and_the_server_goes_on(
    tight_server: LiveServer,
) -> None:
    started = time.monotonic()
    response = httpx.get(f"{tight_server.url}/sparql", params={"query": FOREVER}, timeout=60)
    assert response.status_code == 503
    error = response.json()
    assert error["error"] == "query-timeout" and "1 s" in error["message"]
    assert time.monotonic() - started < 15
    # the one worker was replaced: the next query is answered
    after = httpx.get(f"{tight_server.url}/sparql", params={"query": COUNT_PAPERS}, timeout=60)
    assert sparql_count(after) == 26


def test_results_past_the_row_cap_are_cut_and_say_so(tight_server: LiveServer) -> None:
    query = f"SELECT ?p WHERE {{ ?p a <{SKG}Paper> }}"
    response = httpx.get(f"{tight_server.url}/sparql", params={"query": query})
    assert len(response.json()["results"]["bindings"]) == 5
    assert response.headers["scholarkg-truncated"] == "true"
    assert response.headers["scholarkg-row-cap"] == "5"
    small = httpx.get(f"{tight_server.url}/sparql", params={"query": query + " LIMIT 5"})
    assert len(small.json()["results"]["bindings"]) == 5
    assert "scholarkg-truncated" not in small.headers
    stored = httpx.get(f"{tight_server.url}/queries/papers_per_year")
    assert len(stored.json()) == 5 and stored.headers["scholarkg-row-cap"] == "5"


def test_request_bodies_past_the_limit_are_413(tight_server: LiveServer) -> None:
    padding = "# " + "x" * 3000 + "\n"
    response = httpx.post(
        f"{tight_server.url}/sparql",
        content=(padding + COUNT_PAPERS).encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 413 and response.json()["error"] == "payload-too-large"


def test_cors_is_off_by_default_and_limited_to_configured_origins(
    url: str, tight_server: LiveServer
) -> None:
    origin = {"Origin": "https://app.example"}
    plain = httpx.get(f"{url}/sparql", params={"query": COUNT_PAPERS}, headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    allowed = httpx.get(
        f"{tight_server.url}/sparql", params={"query": COUNT_PAPERS}, headers=origin
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    other = httpx.get(
        f"{tight_server.url}/sparql",
        params={"query": COUNT_PAPERS},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(
        f"{tight_server.url}/sparql",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"


@pytest.fixture(scope="module")
def writable_server(
    ferret_store_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server with updates enabled, over its own copy of the store."""
    folder = tmp_path_factory.mktemp("writable") / "store"
    shutil.copytree(ferret_store_dir, folder)
    server = LiveServer(folder, "--enable-update", env={"SCHOLARKG_UPDATE_TOKEN": TOKEN})
    yield server
    server.stop()


def test_updates_need_the_token_and_readers_see_them(writable_server: LiveServer) -> None:
    endpoint = f"{writable_server.url}/sparql"
    update = f"INSERT DATA {{ GRAPH <{ID}graph/extra> {{ <{ID}paper/x> a <{SKG}Paper> }} }}"
    content_type = {"Content-Type": "application/sparql-update"}
    missing = httpx.post(endpoint, content=update.encode(), headers=content_type)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.post(
        endpoint, content=update.encode(), headers={**content_type, "Authorization": "Bearer no"}
    )
    assert wrong.status_code == 403
    assert sparql_count(httpx.get(endpoint, params={"query": COUNT_PAPERS})) == 26
    done = httpx.post(
        endpoint,
        content=update.encode(),
        headers={**content_type, "Authorization": f"Bearer {TOKEN}"},
    )
    assert done.status_code == 204, done.text
    assert sparql_count(httpx.get(endpoint, params={"query": COUNT_PAPERS})) == 27
    # a failing update changes nothing
    bad = httpx.post(
        endpoint,
        content=b"DROP ALL ; INSERT DATA { <a> <b> }",
        headers={**content_type, "Authorization": f"Bearer {TOKEN}"},
    )
    assert bad.status_code == 400
    assert sparql_count(httpx.get(endpoint, params={"query": COUNT_PAPERS})) == 27
    load = httpx.post(
        endpoint,
        content=b"LOAD <http://127.0.0.1:9/data.ttl>",
        headers={**content_type, "Authorization": f"Bearer {TOKEN}"},
    )
    assert load.status_code == 403 and "LOAD" in load.json()["message"]


# -- stored queries ------------------------------------------------------------------------


def test_catalogue_lists_every_stored_query_with_its_parameters(url: str) -> None:
    catalogue = {q["name"]: q for q in httpx.get(f"{url}/queries").json()}
    assert len(catalogue) == len(list(Path("queries").glob("*.rq")))
    person = catalogue["coauthors_of"]["params"][0]
    assert person["name"] == "person" and person["type"] == "person" and person["required"]
    assert catalogue["paper_card"]["kind"] == "graph"


def test_stored_query_answers_in_every_format(url: str) -> None:
    base = f"{url}/queries/coauthors_of"
    params = {"person": "Matthieu Geist"}
    rows = httpx.get(base, params=params).json()
    top = [(r["name"], r["papers"], r["first_year"], r["last_year"]) for r in rows[:2]]
    assert top == GEIST_COAUTHORS_TOP
    assert (rows[2]["name"], rows[2]["papers"]) == ("Philippe Preux", 2)
    sparql_json = httpx.get(base, params=params, headers={"Accept": SPARQL_JSON}).json()
    assert sparql_json["head"]["vars"][:2] == ["coauthor", "name"]
    assert len(sparql_json["results"]["bindings"]) == len(rows)
    as_csv = httpx.get(base, params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(as_csv.text)))[1][1] == "Johan Ferret"
    table = httpx.get(base, params=params, headers={"Accept": "text/plain"}).text
    assert "Johan Ferret" in table and "Olivier Pietquin" in table
    card = httpx.get(
        f"{url}/queries/paper_card",
        params={"paper": f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"},
        headers={"Accept": "text/turtle"},
    )
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/turtle")
    assert "Alexandre Ramé" in card.text


def test_stored_query_errors_name_the_parameter(url: str) -> None:
    bad_date = httpx.get(f"{url}/queries/recent_papers", params={"since": "last week"})
    assert bad_date.status_code == 400 and "'since'" in bad_date.json()["message"]
    missing = httpx.get(f"{url}/queries/recent_papers")
    assert missing.status_code == 400 and "'since'" in missing.json()["message"]
    unknown = httpx.get(f"{url}/queries/papers_of", params={"person": "Johan Ferret", "x": "1"})
    assert unknown.status_code == 400 and "'x'" in unknown.json()["message"]
    nobody = httpx.get(f"{url}/queries/papers_of", params={"person": "Nobody Atall"})
    assert nobody.status_code == 400 and "Nobody Atall" in nobody.json()["message"]
    assert httpx.get(f"{url}/queries/no_such_query").status_code == 404
    assert httpx.get(f"{url}/no/such/route").json()["error"] == "not-found"


@pytest.mark.parametrize(
    "text", ['"}', "x' } ; DROP ALL ; #", "a\n} UNION { ?s ?p ?o", "Ramé }}", "\\u0022"]
)
def test_hostile_text_is_only_text(url: str, text: str) -> None:
    response = httpx.get(f"{url}/queries/search_papers", params={"text": text})
    assert response.status_code == 200 and response.json() == []
    assert sparql_count(httpx.get(f"{url}/sparql", params={"query": COUNT_PAPERS})) == 26


def test_openapi_document_is_valid_and_generated_from_the_headers(url: str) -> None:
    document = httpx.get(f"{url}/openapi.json").json()
    validate_openapi(document)
    names = {p.stem for p in Path("queries").glob("*.rq")}
    assert {
        p.removeprefix("/queries/") for p in document["paths"] if p.startswith("/queries/")
    } == names
    since = document["paths"]["/queries/recent_papers"]["get"]["parameters"][0]
    assert since["name"] == "since" and since["required"] is True
    assert since["schema"] == {"type": "string", "format": "date"}


def test_readme_serving_examples_run(ferret_store_dir: Path, tmp_path: Path) -> None:
    """README's "Serving it" commands, as written but on a free port, against the listing."""
    body = (ROOT / "README.md").read_text(encoding="utf-8").split("## Serving it\n", 1)[1]
    block = body.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert commands[0] == "scholarkg serve --port 8000 &"
    port = str(free_port())
    env = {**os.environ, "SCHOLARKG_STORE": str(ferret_store_dir)}
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            shlex.split(commands[0].rstrip("&").replace("8000", port)),
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        outputs = []
        for command in commands[1:]:
            deadline = time.monotonic() + 60
            while True:
                done = subprocess.run(
                    shlex.split(command.replace("8000", port)),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                # curl's 7: could not connect (the server is still starting)
                if done.returncode != 7 or time.monotonic() > deadline or server.poll():
                    break
                time.sleep(0.2)
            assert done.returncode == 0, log.read_text() + done.stderr
            outputs.append(done.stdout)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    # the listing's triples (whatever their number), as CSV with one header line
    header, count = outputs[0].split()
    assert header == "triples" and int(count) > 4000
    # Ferret's co-authors, by hand: Alexandre Ramé and Léonard Hussenot on 9 papers each
    assert outputs[1].splitlines()[1].split(",")[1:3] == ["Alexandre Ramé", "9"]
    assert outputs[1].splitlines()[2].split(",")[1:3] == ["Léonard Hussenot", "9"]


def test_readers_see_each_update_whole_while_updates_run(writable_server: LiveServer) -> None:
    """Updates replace a graph of 40 triples that all carry the update's number, while readers
    count; every answer is 40 triples of one number (or the graph before the first update)."""
    endpoint = f"{writable_server.url}/sparql"
    graph = f"{ID}graph/churn"
    auth = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
    count = (
        "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?v) AS ?k) "
        f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }}"
    )
    stop = time.monotonic() + 6
    answers: list[tuple[int, int]] = []
    failures: list[str] = []

    def write() -> int:
        done = 0
        while time.monotonic() < stop:
            triples = " ".join(f"<{ID}churn/{i}> <{ID}churn/v> {done} ." for i in range(40))
            update = (
                f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"
            )
            response = httpx.post(endpoint, content=update.encode(), headers=auth, timeout=30)
            if response.status_code != 204:
                failures.append(f"update: {response.status_code} {response.text}")
            done += 1
        return done

    def read() -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop:
                response = client.get(endpoint, params={"query": count})
                if response.status_code != 200:
                    failures.append(f"query: {response.status_code} {response.text}")
                    continue
                row = response.json()["results"]["bindings"][0]
                answers.append((int(row["n"]["value"]), int(row["k"]["value"])))

    with ThreadPoolExecutor(max_workers=4) as pool:
        updates = pool.submit(write)
        readers = [pool.submit(read) for _ in range(3)]
        for reader in readers:
            reader.result()
        written = updates.result()
    assert failures == []
    assert written > 3 and len(answers) > 10
    assert set(answers) <= {(0, 0), (40, 1)}, sorted(set(answers))

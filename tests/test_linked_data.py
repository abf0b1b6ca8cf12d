"""Dereferenceable IRIs: every resource, the ontology, concepts and the dataset description are
served with content negotiation by a live server. Expected figures from the shipped listing, by
hand: Johan Ferret is credited (dcterms:creator) on all 26 papers; "On Teacher Hacking in
Language Model Distillation" (entry 4) has 7 authors shown and one version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF

from scholarkg.pipeline import IngestOptions, ingest_listing
from scholarkg.store import open_store
from scholarkg.void import validate_description
from tests.conftest import LISTING, ROOT
from tests.live_server import LiveServer, free_port

ID = "https://w3id.org/scholarkg/id/"
SKG = rdflib.Namespace("https://w3id.org/scholarkg/ontology#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
FERRET = f"{ID}person/johan-ferret"
PAPER = f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def fetch(url: str, accept: str) -> httpx.Response:
    response = httpx.get(url, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)
    assert response.headers["vary"] == "Accept"
    return response


def as_graph(response: httpx.Response) -> rdflib.Graph:
    media = response.headers["content-type"].split(";")[0]
    return rdflib.Graph().parse(data=response.text, format=RDF_FORMATS[media])


def test_a_person_dereferences_as_html_and_as_rdf(ferret_server: LiveServer) -> None:
    url = ferret_server.url + "/id/person/johan-ferret"
    page = fetch(url, "text/html")
    assert "Johan Ferret" in page.text and page.headers["content-location"].endswith("format=html")
    graphs = [as_graph(fetch(url, accept)) for accept in RDF_FORMATS]
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    graph = graphs[0]
    person = rdflib.URIRef(FERRET)
    assert set(graph.objects(person, FOAF.name)) == {rdflib.Literal("Johan Ferret")}
    assert len(set(graph.subjects(DCTERMS.creator, person))) == 26
    jsonld = fetch(url, "application/ld+json")
    assert FERRET in jsonld.text and json.loads(jsonld.text)
    assert (
        fetch(url + "?format=ttl", "text/turtle")
        .headers["content-location"]
        .endswith("?format=ttl")
    )


def test_a_paper_comes_with_its_authorships_and_versions(ferret_server: LiveServer) -> None:
    url = ferret_server.url + "/id/" + PAPER.removeprefix(ID)
    graph = as_graph(fetch(url, "text/turtle"))
    parts = {str(s) for s in graph.subjects() if str(s).startswith(PAPER + "/")}
    assert {p for p in parts if "/authorship/" in p} == {
        f"{PAPER}/authorship/{n}" for n in range(1, 8)
    }
    assert len({p for p in parts if "/version/" in p}) == 1
    assert (rdflib.URIRef(PAPER), RDF.type, SKG.Paper) in graph


@pytest.mark.parametrize(
    "rest",
    [
        "venue/arxiv",
        "source/arxiv-listing-ferret",
        "org/gemma-team",
        "paper/title/on-teacher-hacking-in-language-model-distillation/authorship/3",
    ],
)
def test_every_kind_of_resource_dereferences(ferret_server: LiveServer, rest: str) -> None:
    url = f"{ferret_server.url}/id/{rest}"
    assert (rdflib.URIRef(ID + rest), None, None) in as_graph(fetch(url, "text/turtle"))
    assert ID + rest in fetch(url, "text/html").text


def test_unknown_resources_are_404_for_browsers_and_rdf_clients(ferret_server: LiveServer) -> None:
    url = ferret_server.url + "/id/person/nobody-at-all"
    assert httpx.get(url, headers={"Accept": "text/html"}).status_code == 404
    rdf = httpx.get(url, headers={"Accept": "text/turtle"})
    assert rdf.status_code == 404 and rdf.json()["error"] == "not-found"
    refused = httpx.get(
        ferret_server.url + "/id/person/johan-ferret", headers={"Accept": "image/png"}
    )
    assert refused.status_code == 406


def test_the_ontology_is_documented_and_served_as_rdf(ferret_server: LiveServer) -> None:
    url = ferret_server.url + "/ontology"
    page = fetch(url, "text/html").text
    assert 'id="Paper"' in page and 'id="Authorship"' in page
    shipped = rdflib.Graph().parse(ROOT / "ontology" / "scholarkg.ttl", format="turtle")
    for accept in RDF_FORMATS:
        assert isomorphic(as_graph(fetch(url, accept)), shipped)


def test_concepts_dereference(ferret_server: LiveServer) -> None:
    url = ferret_server.url + "/concepts/rlhf"
    graph = as_graph(fetch(url, "text/turtle"))
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    labels = {
        str(o)
        for o in graph.objects(
            rdflib.URIRef("https://w3id.org/scholarkg/concepts/rlhf"), skos.prefLabel
        )
    }
    assert labels == {"reinforcement learning from human feedback"}
    assert "papers_about" in fetch(url, "text/html").text


def test_the_dataset_description_is_served_and_conforms(ferret_server: LiveServer) -> None:
    graph = as_graph(fetch(ferret_server.url + "/.well-known/void", "text/turtle"))
    assert validate_description(graph).conforms
    assert rdflib.URIRef(ferret_server.url + "/sparql") in set(
        graph.objects(None, VOID.sparqlEndpoint)
    )
    papers = [
        graph.value(partition, VOID.entities)
        for partition in graph.subjects(VOID["class"], SKG.Paper)
    ]
    assert [int(p) for p in papers if p is not None] == [26]


@pytest.fixture(scope="module")
def own_base_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A store whose IRIs are the server's own URLs (--base), and that server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/id/"
    folder = tmp_path_factory.mktemp("own-base") / "store"
    store = open_store(folder)
    try:
        ingest_listing(LISTING, store, IngestOptions(base=base, validate_data=False))
    finally:
        store.close()
    server = LiveServer(folder, "--base", base, port=port)
    yield server
    server.stop()


def test_with_base_the_iris_themselves_resolve(own_base_server: LiveServer) -> None:
    iri = f"{own_base_server.url}/id/person/johan-ferret"
    graph = as_graph(fetch(iri, "text/turtle"))
    assert set(graph.objects(rdflib.URIRef(iri), FOAF.name)) == {rdflib.Literal("Johan Ferret")}
    for paper in graph.subjects(DCTERMS.creator, rdflib.URIRef(iri)):
        assert httpx.get(str(paper), headers={"Accept": "text/turtle"}).status_code == 200
        break
    else:
        pytest.fail("no paper credits Johan Ferret")


def test_resource_paths_are_not_traversals(ferret_server: LiveServer) -> None:
    for path in ("/id/../../etc/passwd", "/id/%2e%2e/%2e%2e/etc/passwd", "/static/../app.py"):
        response = httpx.get(ferret_server.url + path)
        assert response.status_code == 404
        assert "root:" not in response.text and "import" not in response.text

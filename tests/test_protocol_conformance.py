"""The W3C SPARQL 1.1 Protocol and Service Description test suites, run against a live server.

Every test of the manifests in ``../shared/conformance`` runs as written: requests in order, the
path prefix ``/sparql/`` replaced by the server's endpoint, the data of ``ut:graphData`` loaded
into its named graph first (through the protocol itself, as an update). The server runs with
updates enabled; the bearer token is added to every request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyshacl
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from scholarkg.store import open_store
from tests.live_server import LiveServer

# a copy of the W3C suites (../shared/conformance; W3C test suite licence, LICENSE.md there)
SUITE = Path(__file__).parent / "data" / "w3c" / "w3c-rdf-tests" / "sparql" / "sparql11"
PROTOCOL = SUITE / "protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = SUITE / "service-description" / "manifest.ttl"
TOKEN = "conformance-token"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


def _manifest(path: Path) -> tuple[rdflib.Graph, list[rdflib.URIRef]]:
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = graph.value(manifest, MF.entries)
    return graph, [rdflib.URIRef(e) for e in Collection(graph, entries)]  # type: ignore[arg-type]


def _cases(path: Path) -> list[Any]:
    if not path.exists():
        return []
    graph, entries = _manifest(path)
    return [pytest.param(entry, id=str(graph.value(entry, MF.name))) for entry in entries]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over an empty store with updates enabled."""
    folder = tmp_path_factory.mktemp("conformance") / "store"
    open_store(folder).close()
    live = LiveServer(folder, "--enable-update", env={"SCHOLARKG_UPDATE_TOKEN": TOKEN})
    yield live
    live.stop()


def _endpoint(server: LiveServer) -> str:
    return f"{server.url}/sparql"


def _reset(server: LiveServer, graph: rdflib.Graph, test: rdflib.URIRef) -> None:
    """Empty the store, then load the test's ut:graphData into their named graphs."""
    parts = ["DROP ALL"]
    for data in graph.objects(test, UT.graphData):
        source = graph.value(data, UT.graph)
        name = graph.value(data, RDFS.label)
        triples = Path(str(source).removeprefix("file://")).read_text(encoding="utf-8")
        parts.append(f"INSERT DATA {{ GRAPH <{name}> {{ {triples} }} }}")
    response = httpx.post(
        _endpoint(server),
        content=" ;\n".join(parts).encode("utf-8"),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 204, response.text


def _expected_statuses(graph: rdflib.Graph, response_node: rdflib.term.Node) -> set[int]:
    classes = {str(s).rsplit("#", 1)[-1] for s in graph.objects(response_node, MF.expectedStatus)}
    return {int(c.removeprefix("StatusCode")[0]) for c in classes}


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _boolean(response: httpx.Response) -> bool:
    media = _media_type(response)
    assert media in BOOLEAN_TYPES, f"a boolean result came as {media!r}"
    if media == "application/sparql-results+json":
        return bool(json.loads(response.text)["boolean"])
    text = response.text
    assert "<boolean>" in text, text
    return text.split("<boolean>", 1)[1].split("</boolean>", 1)[0].strip() == "true"


def _check_format(expected: str, response: httpx.Response) -> None:
    media = _media_type(response)
    if expected == "boolean":
        _boolean(response)
    elif expected == "tabular":
        assert media in TABULAR_TYPES, f"a table came as {media!r}"
    else:
        assert media in RDF_TYPES, f"RDF came as {media!r}"
        rdflib.Graph().parse(data=response.text, format=RDF_TYPES[media])


def _send(server: LiveServer, graph: rdflib.Graph, request: rdflib.term.Node) -> httpx.Response:
    method = str(graph.value(request, HT.methodName))
    path = str(graph.value(request, HT.absolutePath))
    assert path.startswith("/sparql/"), path
    url = _endpoint(server) + path.removeprefix("/sparql/")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    header_list = graph.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):  # type: ignore[arg-type]
            name = str(graph.value(header, HT.fieldName))
            headers[name] = str(graph.value(header, HT.fieldValue))
    content = None
    body = graph.value(request, HT.body)
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(graph.value(body, CNT.chars)).encode(encoding)
    return httpx.request(method, url, content=content, headers=headers, timeout=30)


@pytest.mark.parametrize("test", _cases(PROTOCOL))
def test_protocol(server: LiveServer, test: rdflib.URIRef) -> None:
    graph, _ = _manifest(PROTOCOL)
    _reset(server, graph, test)
    action = graph.value(test, MF.action)
    requests = Collection(graph, graph.value(action, HT.requests))  # type: ignore[arg-type]
    for request in requests:
        response = _send(server, graph, request)
        expected = graph.value(request, HT.resp)
        statuses = _expected_statuses(graph, expected)  # type: ignore[arg-type]
        assert response.status_code // 100 in statuses, (
            f"{response.status_code} not in {sorted(statuses)}xx: {response.text[:300]}"
        )
        fmt = graph.value(expected, MF.expectedFormat)  # type: ignore[arg-type]
        if fmt is not None:
            _check_format(str(fmt), response)
        boolean = graph.value(expected, MF.expectedBoolean)  # type: ignore[arg-type]
        if boolean is not None:
            assert _boolean(response) is bool(boolean.toPython())  # type: ignore[attr-defined]
        if response.status_code >= 400:
            error = response.json()  # every error in the one JSON shape
            assert error["status"] == response.status_code and error["message"]


_SD_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a sh:NodeShape ; sh:targetClass sd:Service ;
  sh:property [ sh:path sd:endpoint ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:supportedLanguage ; sh:minCount 1 ;
                sh:in ( sd:SPARQL10Query sd:SPARQL11Query sd:SPARQL11Update ) ] ;
  sh:property [ sh:path sd:resultFormat ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path sd:feature ; sh:class sd:Feature ] ;
  sh:property [ sh:path sd:defaultDataset ; sh:maxCount 1 ; sh:class sd:Dataset ] .
[] a sh:NodeShape ; sh:targetClass sd:Dataset ;
  sh:property [ sh:path sd:defaultGraph ; sh:maxCount 1 ; sh:class sd:Graph ] ;
  sh:property [ sh:path sd:namedGraph ; sh:class sd:NamedGraph ] .
[] a sh:NodeShape ; sh:targetClass sd:NamedGraph ;
  sh:property [ sh:path sd:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] .
"""


def _description(server: LiveServer, accept: str) -> rdflib.Graph:
    response = httpx.get(_endpoint(server), headers={"Accept": accept})
    assert response.status_code == 200, response.text
    media = _media_type(response)
    assert media in RDF_TYPES, media
    return rdflib.Graph().parse(data=response.text, format=RDF_TYPES[media])


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")  # rdflib's JSON-LD parser
@pytest.mark.parametrize("test", _cases(SERVICE_DESCRIPTION))
def test_service_description(server: LiveServer, test: rdflib.URIRef) -> None:
    name = str(test).rsplit("#", 1)[-1]
    _reset(server, rdflib.Graph(), test)
    if name == "returns-rdf":
        for accept in RDF_TYPES:
            assert len(_description(server, accept)) > 0
        return
    description = _description(server, "text/turtle")
    if name == "has-endpoint-triple":
        endpoints = list(description.objects(None, SD.endpoint))
        assert endpoints == [rdflib.URIRef(_endpoint(server))]
        services = set(description.subjects(SD.endpoint, rdflib.URIRef(_endpoint(server))))
        assert all((s, RDF.type, SD.Service) in description for s in services)
        return
    assert name == "conforms-to-schema", f"no runner for {name}"
    shapes = rdflib.Graph().parse(data=_SD_SHAPES, format="turtle")
    conforms, _, text = pyshacl.validate(description, shacl_graph=shapes)
    assert conforms, text
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) in description  # updates are on

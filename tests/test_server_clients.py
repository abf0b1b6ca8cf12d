"""Real SPARQL clients against ``scholarkg serve``: SPARQLWrapper, rdflib's SPARQLStore, curl and
Comunica ask the live server the same questions and must all get the same answers.

The answers are worked out by hand from ``data/arxiv-listing-ferret.txt`` (read and grepped; the
comment on each says how) and written here, never computed by scholarkg. Names with accents go
out in the queries and come back in the results through every client. Nothing leaves loopback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import XSD
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.conftest import ROOT
from tests.live_server import LiveServer

ID = "https://w3id.org/scholarkg/id/"
SKG = "https://w3id.org/scholarkg/ontology#"
FOAF = "http://xmlns.com/foaf/0.1/"
SPARQL_NS = "{http://www.w3.org/2005/sparql-results#}"
PREFIXES = (
    f"PREFIX skg: <{SKG}>\nPREFIX foaf: <{FOAF}>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
)
FERRET = f"{ID}person/johan-ferret"
TEACHER_HACKING = f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"
LISTING_GRAPH = f"{ID}graph/arxiv-listing-ferret"
CONCEPTS_GRAPH = f"{ID}graph/concepts"
ONTOLOGY_GRAPH = f"{ID}graph/ontology"

Value = str | int | None
Rows = list[tuple[Value, ...]]


def person(slug: str) -> str:
    return f"{ID}person/{slug}"


@dataclass(frozen=True)
class Question:
    """A SELECT query and its answer, worked out by hand, in the query's order."""

    name: str
    sparql: str
    variables: tuple[str, ...]
    rows: Rows


# The listing has 26 entries (26 lines "-" between them).
PAPERS = Question(
    "papers",
    PREFIXES + "SELECT (COUNT(DISTINCT ?paper) AS ?papers) WHERE { ?paper a skg:Paper }",
    ("papers",),
    [(26,)],
)

# Entry 4, "On Teacher Hacking in Language Model Distillation": its seven authors as printed
# (lines 112-118 of the listing), among them Alexandre Ramé.
AUTHORS = Question(
    "authors-of-teacher-hacking",
    PREFIXES
    + f"""SELECT ?position ?name WHERE {{
  <{TEACHER_HACKING}> skg:hasAuthorship ?slot .
  ?slot skg:position ?position ; skg:nameAsWritten ?name .
}} ORDER BY ?position""",
    ("position", "name"),
    [
        (1, "Daniil Tiapkin"),
        (2, "Daniele Calandriello"),
        (3, "Johan Ferret"),
        (4, "Sarah Perrin"),
        (5, "Nino Vieillard"),
        (6, "Alexandre Ramé"),
        (7, "Mathieu Blondel"),
    ],
)

# Johan Ferret is credited on all 26 entries (shown on 21, the listing's subject on the other
# five), so a co-author's joint papers are the entries that show them: `grep -c "^Name"` on the
# listing, no one being printed twice in one entry. Ramé is printed "Alexandre Ramé" 8 times and
# "Alexandre Rame" once (entry 14, line 394): one person (the IRI drops accents), named by the
# spelling the listing prints first (entry 3, "Alexandre Ramé"). Everyone else at 7 or more has
# one spelling; the next down is Geoffrey Cideron with 6. Ties go by name.
COAUTHORS = Question(
    "frequent-coauthors-of-ferret",
    PREFIXES
    + f"""SELECT ?coauthor (MAX(?label) AS ?name) (COUNT(DISTINCT ?paper) AS ?papers) WHERE {{
  ?paper dcterms:creator <{FERRET}>, ?coauthor .
  FILTER (?coauthor != <{FERRET}>)
  ?coauthor foaf:name ?label .
}}
GROUP BY ?coauthor HAVING (COUNT(DISTINCT ?paper) >= 7)
ORDER BY DESC(?papers) ?name""",
    ("coauthor", "name", "papers"),
    [
        (person("alexandre-rame"), "Alexandre Ramé", 9),
        (person("leonard-hussenot"), "Léonard Hussenot", 9),
        (person("nino-vieillard"), "Nino Vieillard", 8),
        (person("olivier-pietquin"), "Olivier Pietquin", 8),
        (person("matthieu-geist"), "Matthieu Geist", 7),
        (person("olivier-bachem"), "Olivier Bachem", 7),
        (person("robert-dadashi"), "Robert Dadashi", 7),
        (person("sertan-girgin"), "Sertan Girgin", 7),
        (person("thomas-mesnard"), "Thomas Mesnard", 7),
    ],
)

# The accented name goes out in the query text: "Léonard Hussenot" is printed on 9 entries
# (8, 9, 10, 11, 12, 13, 15, 19, 25), always with the accent.
HUSSENOT = Question(
    "papers-of-hussenot",
    PREFIXES
    + """SELECT ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?person foaf:name "Léonard Hussenot", ?name .
  ?paper dcterms:creator ?person .
} GROUP BY ?name""",
    ("name", "papers"),
    [("Léonard Hussenot", 9)],
)

SELECTS = [PAPERS, AUTHORS, COAUTHORS, HUSSENOT]

# Yes or no: Hussenot wrote with Ferret; nobody is named "Leonard Hussenot" (the listing's only
# unaccented Leonard is Leonard Berrada); the "Alexandre Rame" of entry 14 is Alexandre Ramé.
ASKS = [
    (
        PREFIXES
        + f'ASK {{ ?paper dcterms:creator <{FERRET}>, ?p . ?p foaf:name "Léonard Hussenot" }}',
        True,
    ),
    (PREFIXES + 'ASK { ?p foaf:name "Leonard Hussenot" }', False),
    (
        PREFIXES
        + 'ASK { ?slot skg:nameAsWritten "Alexandre Rame" ; skg:author ?p . '
        + '?p foaf:name "Alexandre Ramé" }',
        True,
    ),
]

# Entry 4's authorships with their authors and the authors' names: 7 slots x 3 triples, and one
# name each (Ramé's is the accented one, see COAUTHORS; the others have one spelling).
CONSTRUCT = (
    PREFIXES
    + f"""CONSTRUCT {{
  ?slot skg:position ?position ; skg:nameAsWritten ?written ; skg:author ?person .
  ?person foaf:name ?name .
}} WHERE {{
  <{TEACHER_HACKING}> skg:hasAuthorship ?slot .
  ?slot skg:position ?position ; skg:nameAsWritten ?written ; skg:author ?person .
  ?person foaf:name ?name .
}}"""
)
TEACHER_HACKING_AUTHORS = [
    ("daniil-tiapkin", "Daniil Tiapkin"),
    ("daniele-calandriello", "Daniele Calandriello"),
    ("johan-ferret", "Johan Ferret"),
    ("sarah-perrin", "Sarah Perrin"),
    ("nino-vieillard", "Nino Vieillard"),
    ("alexandre-rame", "Alexandre Ramé"),
    ("mathieu-blondel", "Mathieu Blondel"),
]


def expected_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for position, (slug, name) in enumerate(TEACHER_HACKING_AUTHORS, start=1):
        slot = rdflib.URIRef(f"{TEACHER_HACKING}/authorship/{position}")
        author = rdflib.URIRef(person(slug))
        graph.add((slot, rdflib.URIRef(SKG + "position"), rdflib.Literal(position)))
        graph.add((slot, rdflib.URIRef(SKG + "nameAsWritten"), rdflib.Literal(name)))
        graph.add((slot, rdflib.URIRef(SKG + "author"), author))
        graph.add((author, rdflib.URIRef(FOAF + "name"), rdflib.Literal(name)))
    assert len(graph) == 28
    return graph


# Graphs that hold papers, when the request names the dataset: only the listing's graph.
GRAPHS_WITH_PAPERS = PREFIXES + "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?paper a skg:Paper } }"


# -- reading answers -----------------------------------------------------------------------------


def as_text(rows: Rows) -> Rows:
    """Rows as CSV carries them: every value a string (CSV has no datatypes)."""
    return [tuple(None if v is None else str(v) for v in row) for row in rows]


def json_value(cell: dict[str, Any] | None) -> Value:
    if cell is None:
        return None
    if cell.get("datatype") == str(XSD.integer):
        return int(cell["value"])
    return str(cell["value"])


def rows_from_json(document: dict[str, Any], variables: tuple[str, ...]) -> Rows:
    """SPARQL 1.1 Query Results JSON."""
    bindings = document["results"]["bindings"]
    return [tuple(json_value(b.get(v)) for v in variables) for b in bindings]


def rows_from_xml(body: bytes, variables: tuple[str, ...]) -> Rows:
    """SPARQL Query Results XML."""
    rows = []
    for result in ET.fromstring(body).iter(f"{SPARQL_NS}result"):
        cells: dict[str, Value] = {}
        for binding in result.iter(f"{SPARQL_NS}binding"):
            (term,) = list(binding)
            text = term.text or ""
            integer = term.get("datatype") == str(XSD.integer)
            cells[binding.attrib["name"]] = int(text) if integer else text
        rows.append(tuple(cells.get(v) for v in variables))
    return rows


def rows_from_csv(body: bytes, variables: tuple[str, ...]) -> Rows:
    """SPARQL 1.1 Query Results CSV: strings only, empty for unbound."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == variables
    return [tuple(row[v] for v in variables) for row in reader]


def rows_from_csv_prefix(body: bytes, columns: tuple[str, ...], count: int) -> Rows:
    """The first rows of a CSV answer, reduced to some of its columns."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    return [tuple(row[c] for c in columns) for _, row in zip(range(count), reader, strict=False)]


def term_value(term: rdflib.term.Node | None) -> Value:
    if term is None:
        return None
    if isinstance(term, rdflib.Literal) and term.datatype == XSD.integer:
        return int(term)
    return str(term)


def rows_from_result(result: Result, variables: tuple[str, ...]) -> Rows:
    """An rdflib SELECT result (what SPARQLStore gives, and rdflib's TSV reading)."""
    assert [str(v) for v in result.vars or []] == list(variables)
    return [tuple(term_value(row[v]) for v in variables) for row in result]


def rows_from_tsv(body: bytes, variables: tuple[str, ...]) -> Rows:
    """SPARQL 1.1 Query Results TSV (RDF terms in Turtle syntax), read by rdflib."""
    return rows_from_result(Result.parse(io.BytesIO(body), format="tsv"), variables)


def boolean_from_xml(body: bytes) -> bool:
    (element,) = list(ET.fromstring(body).iter(f"{SPARQL_NS}boolean"))
    return {"true": True, "false": False}[(element.text or "").strip()]


RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def parse_graph(body: bytes, media_type: str) -> rdflib.Graph:
    with warnings.catch_warnings():
        # rdflib 7's JSON-LD parser builds a ConjunctiveGraph, which rdflib 7 itself deprecates
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return rdflib.Graph().parse(data=body, format=RDF_PARSERS[media_type])


def assert_same_graph(got: rdflib.Graph, expected: rdflib.Graph) -> None:
    """RDF compared as graphs: on a difference, the triples only one side has."""
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        raise AssertionError(
            f"graphs differ; only in the answer: {sorted(only_got)}; "
            f"only in the expected graph: {sorted(only_expected)}"
        )


def bare_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's HTTP clients honour proxy variables: keep loopback requests off any proxy."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def endpoint(ferret_server: LiveServer) -> str:
    return f"{ferret_server.url}/sparql"


# -- SPARQLWrapper ---------------------------------------------------------------------------

# SPARQLWrapper as people use it, with its defaults: besides Accept it sends `format`, `output`
# and `results` parameters, `format` twice for TSV, RDF/XML and JSON-LD (a short name and a media
# type), `format=n3` for N3 and `format=xml` for RDF/XML. The server takes `format` values as
# alternatives and knows these names (it used to answer 400 or 406 to all five).
SW_METHODS = {
    "GET": (GET, URLENCODED),
    "POST form": (POST, URLENCODED),
    "POST direct": (POST, POSTDIRECTLY),
}


def wrapper(endpoint: str, query: str, return_format: str, method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    http_method, request_method = SW_METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setTimeout(30)
    return client


def sw_rows(client: SPARQLWrapper, return_format: str, variables: tuple[str, ...]) -> Rows:
    result = client.query()
    body = result.convert()
    if return_format == JSON:
        assert bare_type(result.info()["content-type"]) == "application/sparql-results+json"
        assert isinstance(body, dict)
        return rows_from_json(body, variables)
    if return_format == XML:
        assert bare_type(result.info()["content-type"]) == "application/sparql-results+xml"
        assert isinstance(body, Document)
        return rows_from_xml(body.toxml("utf-8"), variables)
    assert isinstance(body, bytes)
    if return_format == CSV:
        assert bare_type(result.info()["content-type"]) == "text/csv"
        return rows_from_csv(body, variables)
    assert bare_type(result.info()["content-type"]) == "text/tab-separated-values"
    return rows_from_tsv(body, variables)


@pytest.mark.parametrize("method", SW_METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(endpoint: str, return_format: str, method: str) -> None:
    for question in SELECTS:
        client = wrapper(endpoint, question.sparql, return_format, method)
        got = sw_rows(client, return_format, question.variables)
        expected = as_text(question.rows) if return_format == CSV else question.rows
        assert got == expected, question.name


@pytest.mark.parametrize("method", SW_METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(endpoint: str, return_format: str, method: str) -> None:
    for query, expected in ASKS:
        body = wrapper(endpoint, query, return_format, method).query().convert()
        if return_format == JSON:
            assert isinstance(body, dict)
            assert body["boolean"] is expected, query
        else:
            assert isinstance(body, Document)
            assert boolean_from_xml(body.toxml("utf-8")) is expected, query


# SPARQLWrapper 2.0 converts RDF/XML and JSON-LD answers into an rdflib ConjunctiveGraph, which
# rdflib 7 deprecates; the warning is SPARQLWrapper's, not ours.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("method", SW_METHODS)
@pytest.mark.parametrize(
    ("return_format", "expected_type"),
    [
        (TURTLE, "text/turtle"),
        (N3, "text/turtle"),  # SPARQLWrapper's N3 takes Turtle
        (RDFXML, "application/rdf+xml"),
        (XML, "application/rdf+xml"),  # SPARQLWrapper's default: XML means RDF/XML here
        (JSONLD, "application/ld+json"),
    ],
)
def test_sparqlwrapper_construct(
    endpoint: str, return_format: str, expected_type: str, method: str
) -> None:
    result = wrapper(endpoint, CONSTRUCT, return_format, method).query()
    assert bare_type(result.info()["content-type"]) == expected_type
    body = result.convert()
    if isinstance(body, bytes):
        graph = parse_graph(body, expected_type)
    else:
        assert isinstance(body, rdflib.Graph)
        graph = rdflib.Graph()
        for triple in body.triples((None, None, None)):
            graph.add(triple)
    assert_same_graph(graph, expected_graph())


@pytest.mark.parametrize("method", SW_METHODS)
def test_sparqlwrapper_construct_as_ntriples(endpoint: str, method: str) -> None:
    # SPARQLWrapper has no N-Triples format: ask for it by Accept alone (only conneg, no
    # `format` parameter), and take the answer raw.
    client = wrapper(endpoint, CONSTRUCT, N3, method)
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    result = client.query()
    assert bare_type(result.info()["content-type"]) == "application/n-triples"
    assert_same_graph(
        parse_graph(result.response.read(), "application/n-triples"), expected_graph()
    )


@pytest.mark.parametrize("method", SW_METHODS)
def test_sparqlwrapper_dataset_parameters(endpoint: str, method: str) -> None:
    # default-graph-uri: the papers are in the listing's graph, none in the concept scheme's
    for graph, papers in [(LISTING_GRAPH, 26), (CONCEPTS_GRAPH, 0)]:
        client = wrapper(endpoint, PAPERS.sparql, JSON, method)
        client.addDefaultGraph(graph)
        assert sw_rows(client, JSON, PAPERS.variables) == [(papers,)], graph
    # named-graph-uri: of the graphs named, only the listing's holds papers
    client = wrapper(endpoint, GRAPHS_WITH_PAPERS, JSON, method)
    client.addNamedGraph(LISTING_GRAPH)
    client.addNamedGraph(CONCEPTS_GRAPH)
    assert sw_rows(client, JSON, ("g",)) == [(LISTING_GRAPH,)]
    client = wrapper(endpoint, GRAPHS_WITH_PAPERS, JSON, method)
    client.addNamedGraph(ONTOLOGY_GRAPH)
    assert sw_rows(client, JSON, ("g",)) == []


def test_sparqlwrapper_bad_query(endpoint: str) -> None:
    client = wrapper(endpoint, PREFIXES + "SELECT ?x WHERE {\n  ?x ?y\n}", JSON, "GET")
    with pytest.raises(QueryBadFormed) as caught:
        client.query()
    message = str(caught.value)
    assert "the query does not parse" in message
    assert "error at 6:" in message  # where the parser stopped: the "}" (after 3 prefix lines)


# -- rdflib's SPARQLStore --------------------------------------------------------------------

STORE_METHODS = ["GET", "POST", "POST_FORM"]  # POST: application/sparql-query


@pytest.mark.parametrize("method", STORE_METHODS)
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlstore_select(endpoint: str, return_format: str, method: str) -> None:
    graph = rdflib.Graph(SPARQLStore(endpoint, returnFormat=return_format, method=method))
    for question in SELECTS:
        got = rows_from_result(graph.query(question.sparql), question.variables)
        expected = as_text(question.rows) if return_format == "csv" else question.rows
        assert got == expected, question.name


@pytest.mark.parametrize("method", STORE_METHODS)
@pytest.mark.parametrize("return_format", ["json", "xml"])
def test_sparqlstore_ask(endpoint: str, return_format: str, method: str) -> None:
    graph = rdflib.Graph(SPARQLStore(endpoint, returnFormat=return_format, method=method))
    for query, expected in ASKS:
        assert graph.query(query).askAnswer is expected, query


@pytest.mark.parametrize("method", STORE_METHODS)
def test_sparqlstore_construct(endpoint: str, method: str) -> None:
    # rdflib asks for RDF/XML only with its default return format, "xml"
    result = rdflib.Graph(SPARQLStore(endpoint, method=method)).query(CONSTRUCT)
    assert result.graph is not None
    assert_same_graph(result.graph, expected_graph())


@pytest.mark.parametrize("method", STORE_METHODS)
def test_sparqlstore_graph_api(endpoint: str, method: str) -> None:
    store = SPARQLStore(endpoint, returnFormat="json", method=method)
    union = rdflib.Graph(store)
    name = rdflib.URIRef(FOAF + "name")
    hussenot = union.triples((None, name, rdflib.Literal("Léonard Hussenot")))
    assert list(hussenot) == [
        (rdflib.URIRef(person("leonard-hussenot")), name, rdflib.Literal("Léonard Hussenot"))
    ]
    rame = rdflib.URIRef(person("alexandre-rame"))
    assert list(union.objects(rame, name)) == [rdflib.Literal("Alexandre Ramé")]
    assert (rame, name, rdflib.Literal("Alexandre Ramé")) in union
    # entry 14 prints him without the accent, seventh of its authors (line 394)
    written = rdflib.URIRef(SKG + "nameAsWritten")
    aligned = f"{ID}paper/title/direct-language-model-alignment-from-online-ai-feedback"
    assert list(union.subjects(written, rdflib.Literal("Alexandre Rame"))) == [
        rdflib.URIRef(f"{aligned}/authorship/7")
    ]
    # a Graph named after a graph of the store sends default-graph-uri
    sixth = rdflib.URIRef(f"{TEACHER_HACKING}/authorship/6")
    listing = rdflib.Graph(store, identifier=rdflib.URIRef(LISTING_GRAPH))
    assert list(listing.objects(sixth, written)) == [rdflib.Literal("Alexandre Ramé")]
    concepts = rdflib.Graph(store, identifier=rdflib.URIRef(CONCEPTS_GRAPH))
    assert list(concepts.objects(sixth, written)) == []


@pytest.mark.parametrize("method", STORE_METHODS)
def test_sparqlstore_len_of_the_shipped_graphs(endpoint: str, method: str) -> None:
    # The concept scheme's and the ontology's graphs are the shipped Turtle files loaded as they
    # are: as many triples as rdflib reads from the files themselves.
    store = SPARQLStore(endpoint, method=method)
    for name, path in [
        (CONCEPTS_GRAPH, ROOT / "ontology" / "concepts.ttl"),
        (ONTOLOGY_GRAPH, ROOT / "ontology" / "scholarkg.ttl"),
    ]:
        served = rdflib.Graph(store, identifier=rdflib.URIRef(name))
        assert len(served) == len(rdflib.Graph().parse(path, format="turtle")), name


# The one way to see a SPARQLStore as a dataset: rdflib's Dataset writes to its store when it
# lists graphs (SPARQLStore refuses), so ConjunctiveGraph it is, deprecated or not.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlstore_conjunctive_graph(endpoint: str) -> None:
    dataset = rdflib.ConjunctiveGraph(SPARQLStore(endpoint))
    # one named graph per ingested listing, plus the concept scheme's and the ontology's
    names = {str(graph.identifier) for graph in dataset.contexts()}
    assert names == {LISTING_GRAPH, CONCEPTS_GRAPH, ONTOLOGY_GRAPH}
    # queries see the union of the named graphs as the default graph
    assert rows_from_result(dataset.query(COAUTHORS.sparql), COAUTHORS.variables) == COAUTHORS.rows
    concepts = dataset.get_context(rdflib.URIRef(CONCEPTS_GRAPH))
    assert len(concepts) == len(rdflib.Graph().parse(ROOT / "ontology" / "concepts.ttl"))


# -- curl ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurlReply:
    status: int
    media_type: str
    body: bytes

    def error(self) -> dict[str, Any]:
        """The server's JSON error shape."""
        assert self.media_type == "application/json"
        return dict(json.loads(self.body))


@pytest.fixture(scope="module")
def curl_binary() -> str:
    binary = shutil.which("curl")
    if binary is None:
        pytest.skip("no curl binary on PATH")
    return binary


def run_curl(curl: str, *args: str, data: bytes | None = None) -> CurlReply:
    """curl against loopback: the body, then the status and Content-Type curl reports."""
    command = [curl, "--silent", "--show-error", "--noproxy", "*", "--max-time", "30"]
    command += ["--write-out", "\n%{http_code} %{content_type}", *args]
    done = subprocess.run(command, input=data, capture_output=True, check=True, timeout=60)
    body, _, trailer = done.stdout.rpartition(b"\n")
    status, _, content_type = trailer.decode().partition(" ")
    return CurlReply(int(status), bare_type(content_type), body)


def accept_args(accept: tuple[str, ...]) -> list[str]:
    return [arg for value in accept for arg in ("--header", f"Accept: {value}")]


def curl_query(
    curl: str, endpoint: str, query: str, *accept: str, method: str = "GET"
) -> CurlReply:
    """A query sent the protocol's three ways: GET, POST form, POST application/sparql-query."""
    headers = accept_args(accept)
    if method == "GET":
        return run_curl(curl, "--get", "--data-urlencode", f"query={query}", *headers, endpoint)
    if method == "POST form":
        return run_curl(curl, "--data-urlencode", f"query={query}", *headers, endpoint)
    return run_curl(
        curl,
        "--header",
        "Content-Type: application/sparql-query",
        "--data-binary",
        "@-",
        *headers,
        endpoint,
        data=query.encode("utf-8"),
    )


def table_rows(reply: CurlReply, variables: tuple[str, ...]) -> Rows:
    """A SELECT answer in whichever format the server chose."""
    if reply.media_type == "application/sparql-results+json":
        return rows_from_json(json.loads(reply.body), variables)
    if reply.media_type == "application/sparql-results+xml":
        return rows_from_xml(reply.body, variables)
    if reply.media_type == "text/csv":
        return rows_from_csv(reply.body, variables)
    assert reply.media_type == "text/tab-separated-values"
    return rows_from_tsv(reply.body, variables)


TABLE_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
PROTOCOL_METHODS = ["GET", "POST form", "POST direct"]


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
@pytest.mark.parametrize("accept", TABLE_TYPES)
def test_curl_select(curl_binary: str, endpoint: str, accept: str, method: str) -> None:
    for question in SELECTS:
        reply = curl_query(curl_binary, endpoint, question.sparql, accept, method=method)
        assert (reply.status, reply.media_type) == (200, accept), reply.body
        expected = as_text(question.rows) if accept == "text/csv" else question.rows
        assert table_rows(reply, question.variables) == expected, question.name


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml"]
)
def test_curl_ask(curl_binary: str, endpoint: str, accept: str, method: str) -> None:
    for query, expected in ASKS:
        reply = curl_query(curl_binary, endpoint, query, accept, method=method)
        assert (reply.status, reply.media_type) == (200, accept), reply.body
        if accept.endswith("json"):
            assert json.loads(reply.body)["boolean"] is expected, query
        else:
            assert boolean_from_xml(reply.body) is expected, query


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
@pytest.mark.parametrize("accept", list(RDF_PARSERS))
def test_curl_construct(curl_binary: str, endpoint: str, accept: str, method: str) -> None:
    reply = curl_query(curl_binary, endpoint, CONSTRUCT, accept, method=method)
    assert (reply.status, reply.media_type) == (200, accept), reply.body
    assert_same_graph(parse_graph(reply.body, accept), expected_graph())


SELECT_JSON, SELECT_XML = TABLE_TYPES[:2]


FORMS = {"select": PAPERS.sparql, "ask": ASKS[0][0], "construct": CONSTRUCT}


@pytest.mark.parametrize(
    ("form", "accept", "chosen"),
    [
        # no Accept at all (curl's "Accept:" removes its own), or anything: the first offer
        ("select", ("",), SELECT_JSON),
        ("select", ("*/*",), SELECT_JSON),
        # wildcards: the server's order among what matches (CSV before TSV)
        ("select", ("text/*",), "text/csv"),
        ("select", ("application/*",), SELECT_JSON),
        # q-weights
        ("select", ("text/csv;q=0.5, text/tab-separated-values;q=0.9",), TABLE_TYPES[3]),
        (
            "select",
            ("text/*;q=0.5, application/sparql-results+xml;q=0.9, */*;q=0.1",),
            SELECT_XML,
        ),
        # the most specific range decides: text/csv is wanted least although text/* is welcome
        ("select", ("text/*;q=0.9, text/csv;q=0.1, */*;q=0.5",), TABLE_TYPES[3]),
        # q=0 refuses
        ("select", ("application/sparql-results+json;q=0, */*",), SELECT_XML),
        # several values, and several Accept lines (one list, RFC 9110)
        ("select", ("image/png, text/tab-separated-values;q=0.2",), TABLE_TYPES[3]),
        ("select", ("image/png", "text/csv"), "text/csv"),
        ("select", ("TEXT/CSV; charset=utf-8",), "text/csv"),
        # what the other clients send
        (
            "select",
            ("application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7",),
            SELECT_JSON,
        ),
        ("select", ("application/sparql-results+xml, application/rdf+xml",), SELECT_XML),
        ("ask", ("text/csv;q=0.9, application/sparql-results+xml;q=0.1",), SELECT_XML),
        ("construct", ("*/*",), "text/turtle"),
        ("construct", ("application/*",), "application/n-triples"),
        (
            "construct",
            ("text/turtle;q=0.5, application/ld+json;q=0.8, application/rdf+xml;q=0.7",),
            "application/ld+json",
        ),
        (
            "construct",
            (
                "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,"
                "application/n-triples;q=0.8,text/turtle;q=0.6,application/rdf+xml;q=0.5",
            ),
            "application/ld+json",
        ),
    ],
    ids=lambda case: "|".join(case) if isinstance(case, tuple) else case,
)
def test_curl_content_negotiation(
    curl_binary: str, endpoint: str, form: str, accept: tuple[str, ...], chosen: str
) -> None:
    query = FORMS[form]
    headers = ["--header", "Accept:"] if accept == ("",) else accept_args(accept)
    reply = run_curl(curl_binary, "--get", "--data-urlencode", f"query={query}", *headers, endpoint)
    assert (reply.status, reply.media_type) == (200, chosen), reply.body
    if form == "select":
        expected = as_text(PAPERS.rows) if chosen == "text/csv" else PAPERS.rows
        assert table_rows(reply, PAPERS.variables) == expected
    elif form == "construct":
        assert_same_graph(parse_graph(reply.body, chosen), expected_graph())
    else:
        assert boolean_from_xml(reply.body) is True


@pytest.mark.parametrize(
    ("form", "accept"),
    [
        ("select", "image/png"),
        ("select", "text/turtle, application/ld+json"),  # graph formats for a table
        ("select", "text/csv;q=0, application/sparql-results+json;q=0"),
        ("ask", "text/csv"),  # a yes or no has no CSV form
        ("construct", "application/sparql-results+json"),
    ],
)
def test_curl_not_acceptable(curl_binary: str, endpoint: str, form: str, accept: str) -> None:
    reply = curl_query(curl_binary, endpoint, FORMS[form], accept)
    assert reply.status == 406
    error = reply.error()
    assert error["error"] == "not-acceptable"
    assert accept in error["message"]


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_curl_bad_query(curl_binary: str, endpoint: str, method: str) -> None:
    query = PREFIXES + "SELECT ?x WHERE {\n  ?x ?y\n}"
    reply = curl_query(curl_binary, endpoint, query, SELECT_JSON, method=method)
    assert reply.status == 400
    error = reply.error()
    assert error["status"] == 400
    # the parser's own message, with where it stopped: line 6 of the query (3 prefix lines)
    assert error["message"].startswith("the query does not parse: error at 6:")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/sparql-results+json"]
)
def test_curl_wrong_content_type(curl_binary: str, endpoint: str, content_type: str) -> None:
    reply = run_curl(
        curl_binary,
        "--header",
        f"Content-Type: {content_type}",
        "--data-binary",
        "@-",
        endpoint,
        data=PAPERS.sparql.encode("utf-8"),
    )
    assert reply.status == 415
    assert reply.error()["error"] == "unsupported-media-type"
    assert content_type in reply.error()["message"]


def test_curl_dataset_parameters(curl_binary: str, endpoint: str) -> None:
    for graph, papers in [(LISTING_GRAPH, 26), (CONCEPTS_GRAPH, 0)]:
        reply = run_curl(
            curl_binary,
            "--get",
            "--data-urlencode",
            f"query={PAPERS.sparql}",
            "--data-urlencode",
            f"default-graph-uri={graph}",
            endpoint,
        )
        assert table_rows(reply, PAPERS.variables) == [(papers,)], graph
    reply = run_curl(
        curl_binary,
        "--data-urlencode",
        f"query={GRAPHS_WITH_PAPERS}",
        "--data-urlencode",
        f"named-graph-uri={CONCEPTS_GRAPH}",
        "--data-urlencode",
        f"named-graph-uri={LISTING_GRAPH}",
        endpoint,
    )
    assert table_rows(reply, ("g",)) == [(LISTING_GRAPH,)]


def test_curl_stored_queries(curl_binary: str, ferret_server: LiveServer) -> None:
    # the stored question of the same name gives the same first rows (more columns, all of them)
    reply = run_curl(
        curl_binary,
        "--get",
        "--data-urlencode",
        "person=Johan Ferret",
        "--header",
        "Accept: text/csv",
        f"{ferret_server.url}/queries/coauthors_of",
    )
    assert (reply.status, reply.media_type) == (200, "text/csv")
    top = rows_from_csv_prefix(reply.body, ("coauthor", "name", "papers"), len(COAUTHORS.rows))
    assert top == as_text(COAUTHORS.rows)
    # an accented parameter value: Hussenot's 9 papers, newest first (entries in listing order)
    reply = run_curl(
        curl_binary,
        "--get",
        "--data-urlencode",
        "person=Léonard Hussenot",
        "--header",
        f"Accept: {SELECT_JSON}",
        f"{ferret_server.url}/queries/papers_of",
    )
    assert (reply.status, reply.media_type) == (200, SELECT_JSON)
    titles = [title for (title,) in rows_from_json(json.loads(reply.body), ("title",))]
    assert titles == [
        "Gemma 2: Improving Open Language Models at a Practical Size",
        "Conditional Language Policy: A General Framework for Steerable Multi-Objective Finetuning",
        "BOND: Aligning LLMs with Best-of-N Distillation",
        "WARP: On the Benefits of Weight Averaged Rewarded Policies",
        "RecurrentGemma: Moving Past Transformers for Efficient Open Language Models",
        "Gemma: Open Models Based on Gemini Research and Technology",
        "WARM: On the Benefits of Weight Averaged Reward Models",
        "Factually Consistent Summarization via Reinforcement Learning with Textual Entailment "
        "Feedback",
        "Acme: A Research Framework for Distributed Reinforcement Learning",
    ]


# -- Comunica ----------------------------------------------------------------------------------

COMUNICA_DEFAULT = ROOT / ".cache" / "comunica" / "node_modules" / ".bin" / "comunica-sparql"
# Comunica GETs a query whose URL is shorter than 600 characters and POSTs a form otherwise
# (forceGetIfUrlLengthBelow in @comunica/query-sparql 4.x); a long comment makes it POST.
LONG_COAUTHORS = COAUTHORS.sparql.replace("SELECT", "# " + "padding " * 100 + "\nSELECT", 1)


@pytest.fixture(scope="module")
def comunica() -> Path:
    configured = os.environ.get("SCHOLARKG_COMUNICA")
    path = Path(configured) if configured else COMUNICA_DEFAULT
    if not path.exists():
        pytest.skip(
            f"Comunica not installed at {path}: run `npm install --prefix .cache/comunica "
            "@comunica/query-sparql@4` or set SCHOLARKG_COMUNICA"
        )
    if shutil.which("node") is None:
        pytest.skip("Comunica needs Node.js and there is no `node` on PATH")
    return path


@dataclass(frozen=True)
class ComunicaRun:
    source: str  # "sparql@URL" forces the SPARQL endpoint type; a bare URL is detected
    query: str
    output: str


@pytest.fixture(scope="module")
def comunica_answers(comunica: Path, endpoint: str) -> Iterator[dict[str, str]]:
    """Every Comunica question, run at once (each run starts Node, about a second)."""
    forced = f"sparql@{endpoint}"
    results_json = "application/sparql-results+json"
    runs = {q.name: ComunicaRun(forced, q.sparql, results_json) for q in SELECTS}
    runs |= {f"ask-{i}": ComunicaRun(forced, q, results_json) for i, (q, _) in enumerate(ASKS)}
    runs["construct-nt"] = ComunicaRun(forced, CONSTRUCT, "application/n-triples")
    runs["construct-turtle"] = ComunicaRun(forced, CONSTRUCT, "text/turtle")
    runs["long"] = ComunicaRun(forced, LONG_COAUTHORS, results_json)
    runs["detected"] = ComunicaRun(endpoint, COAUTHORS.sparql, results_json)
    processes = {
        name: subprocess.Popen(
            [str(comunica), run.source, run.query, "-t", run.output],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, run in runs.items()
    }
    answers = {}
    try:
        for name, process in processes.items():
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, f"comunica {name}: {err.decode(errors='replace')}"
            answers[name] = out.decode("utf-8")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    yield answers


@pytest.mark.parametrize("question", SELECTS, ids=lambda q: q.name)
def test_comunica_select(comunica_answers: dict[str, str], question: Question) -> None:
    document = json.loads(comunica_answers[question.name])
    assert rows_from_json(document, question.variables) == question.rows


def test_comunica_ask(comunica_answers: dict[str, str]) -> None:
    for i, (query, expected) in enumerate(ASKS):
        assert json.loads(comunica_answers[f"ask-{i}"])["boolean"] is expected, query


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("construct-nt", "application/n-triples"), ("construct-turtle", "text/turtle")],
)
def test_comunica_construct(comunica_answers: dict[str, str], name: str, media_type: str) -> None:
    graph = parse_graph(comunica_answers[name].encode("utf-8"), media_type)
    assert_same_graph(graph, expected_graph())


def test_comunica_posts_a_long_query(comunica_answers: dict[str, str]) -> None:
    assert len(LONG_COAUTHORS) > 600
    document = json.loads(comunica_answers["long"])
    assert rows_from_json(document, COAUTHORS.variables) == COAUTHORS.rows


def test_comunica_finds_the_endpoint_by_its_service_description(
    comunica_answers: dict[str, str],
) -> None:
    # Given the bare URL, Comunica dereferences it, reads the service description (sd:endpoint)
    # and queries it as a SPARQL endpoint.
    document = json.loads(comunica_answers["detected"])
    assert rows_from_json(document, COAUTHORS.variables) == COAUTHORS.rows

"""The dataset's description (VoID and DCAT), computed from the store, never written by hand.

``describe_dataset`` counts what the store holds with SPARQL (distinct triples of the union of the
graphs, entities, subjects, objects, properties and classes; instances per class and triples per
property as VoID partitions; one ``void:subset`` per named graph, whose IRI is the graph's name)
and adds what the caller knows: the licence, the SPARQL endpoint, the dumps. Everything in it is
derived from the data or given, never from the clock, so the same store gives the same
description: ``dcterms:modified`` is the latest submission date the store holds.

IRIs minted here (see docs/data-model.md): ``<base>dataset`` for the dataset,
``<base>dataset/class/<prefix>-<Name>`` and ``<base>dataset/property/<prefix>-<name>`` for its
partitions, ``<base>dataset/dump/<file name>`` for a dump and ``<base>dataset/sparql`` for the
SPARQL service. The shapes in ``ontology/void-shapes.ttl`` check a description.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID

from scholarkg.records import Record
from scholarkg.reports import ValidationReport
from scholarkg.resources import ontology_dir
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.store import EmbeddedStore
from scholarkg.terms import AnyTerm
from scholarkg.terms import Literal as TermLiteral
from scholarkg.vocab import SKG

# arXiv releases the descriptive metadata of its e-prints (titles, authors, abstracts, dates)
# under CC0 1.0 (arXiv's terms of use for its APIs); the shipped data is that metadata.
DEFAULT_LICENSE = "http://creativecommons.org/publicdomain/zero/1.0/"
DEFAULT_TITLE = "scholarkg knowledge graph"
VOID_SHAPES_FILE = "void-shapes.ttl"

FORMATS = "http://www.w3.org/ns/formats/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
DCAT_VERSION = URIRef(f"{DCAT}version")  # DCAT 3; rdflib's DCAT namespace is DCAT 2's

_FORMAT_IRIS = {
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
}
_PREFIXES = {
    "skg": SKG,
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": str(XSD),
    "dcterms": str(DCTERMS),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "vann": "http://purl.org/vocab/vann/",
    "void": str(VOID),
    "dcat": str(DCAT),
}
_SIMPLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class Dump(Record):
    """A file the dataset can be downloaded as."""

    url: str
    media_type: str
    compressed: bool = False
    byte_size: int | None = None


_PREFIX_LINES = "\n".join(f"PREFIX {p}: <{n}>" for p, n in _PREFIXES.items()) + "\n"
_TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
       (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
"""
_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER isIRI(?s) }"
# entities are instances with an IRI (VoID); blank-node instances count among the subjects only
_CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?entity) AS ?n)
WHERE { ?s a ?class FILTER isIRI(?class) BIND(IF(isIRI(?s), ?s, ?unbound) AS ?entity) }
GROUP BY ?class
"""
_PROPERTIES = """
SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
GROUP BY ?p
"""
_GRAPHS = """
SELECT ?g (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
       (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { GRAPH ?g { ?s ?p ?o } }
GROUP BY ?g
"""
_GRAPH_ENTITIES = """
SELECT ?g (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o FILTER isIRI(?s) } } GROUP BY ?g
"""
_DATES = "?x skg:submitted|skg:firstSubmitted|skg:lastSubmitted ?d FILTER(datatype(?d) = xsd:date)"
_MODIFIED = f"SELECT (MAX(?d) AS ?m) WHERE {{ {_DATES} }}"
_GRAPH_MODIFIED = f"SELECT ?g (MAX(?d) AS ?m) WHERE {{ GRAPH ?g {{ {_DATES} }} }} GROUP BY ?g"
# what a graph says about itself: an ontology or concept scheme its title and licence, a
# source (an ingested file) its file name
_GRAPH_ABOUT = """
SELECT ?g ?title ?license ?source WHERE {
  GRAPH ?g {
    { ?doc a ?kind VALUES ?kind { owl:Ontology skos:ConceptScheme }
      OPTIONAL { ?doc dcterms:title ?title } OPTIONAL { ?doc dcterms:license ?license } }
    UNION
    { ?source a skg:Source OPTIONAL { ?source rdfs:label ?title } }
  }
}
"""
_EXAMPLE = "SELECT ?x WHERE { ?x a skg:Paper FILTER isIRI(?x) } ORDER BY STR(?x) LIMIT 1"


def _rows(store: EmbeddedStore, sparql: str) -> list[dict[str, AnyTerm]]:
    result = store.query(_PREFIX_LINES + sparql)
    return [
        {v: t for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]


def _int(term: AnyTerm | None) -> int:
    return int(term.lexical) if isinstance(term, TermLiteral) else 0


def _integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def _date(term: AnyTerm | None) -> Literal | None:
    if isinstance(term, TermLiteral) and term.datatype == str(XSD.date):
        return Literal(term.lexical, datatype=XSD.date)
    return None


def _slug(iri: str) -> str:
    """A path segment naming a class or property: prefix-Name, else a digest of the IRI."""
    for prefix, namespace in _PREFIXES.items():
        local = iri.removeprefix(namespace)
        if local != iri and _SIMPLE_NAME.match(local):
            return f"{prefix}-{local}"
    return "iri-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def latest_date(store: EmbeddedStore) -> str | None:
    """The latest submission date the store holds (YYYY-MM-DD): the data's last modification."""
    modified = _date(_rows(store, _MODIFIED)[0].get("m"))
    return None if modified is None else str(modified)


def dataset_iri(base: str) -> str:
    """The IRI of the dataset a store under ``base`` holds."""
    return base + "dataset"


def _describe_counts(graph: rdflib.Graph, node: URIRef, counts: dict[str, AnyTerm]) -> None:
    graph.add((node, VOID.triples, _integer(_int(counts.get("triples")))))
    graph.add((node, VOID.distinctSubjects, _integer(_int(counts.get("subjects")))))
    graph.add((node, VOID.properties, _integer(_int(counts.get("properties")))))
    graph.add((node, VOID.distinctObjects, _integer(_int(counts.get("objects")))))


def _describe_partitions(store: EmbeddedStore, graph: rdflib.Graph, dataset: URIRef) -> None:
    classes = _rows(store, _CLASSES)
    graph.add((dataset, VOID.classes, _integer(len(classes))))
    vocabularies = set()
    for row in classes:
        cls = str(row["class"])
        part = URIRef(f"{dataset}/class/{_slug(cls)}")
        graph.add((dataset, VOID.classPartition, part))
        graph.add((part, VOID["class"], URIRef(cls)))
        graph.add((part, VOID.entities, _integer(_int(row.get("n")))))
        graph.add((part, VOID.distinctSubjects, _integer(_int(row.get("subjects")))))
        vocabularies.add(_namespace(cls))
    for row in _rows(store, _PROPERTIES):
        prop = str(row["p"])
        part = URIRef(f"{dataset}/property/{_slug(prop)}")
        graph.add((dataset, VOID.propertyPartition, part))
        graph.add((part, VOID.property, URIRef(prop)))
        graph.add((part, VOID.triples, _integer(_int(row.get("n")))))
        graph.add((part, VOID.distinctSubjects, _integer(_int(row.get("subjects")))))
        graph.add((part, VOID.distinctObjects, _integer(_int(row.get("objects")))))
        vocabularies.add(_namespace(prop))
    for namespace in vocabularies:
        graph.add((dataset, VOID.vocabulary, URIRef(namespace)))


def _describe_subsets(
    store: EmbeddedStore, graph: rdflib.Graph, dataset: URIRef, license_iri: str
) -> None:
    entities = {str(r["g"]): _int(r.get("n")) for r in _rows(store, _GRAPH_ENTITIES)}
    modified = {str(r["g"]): _date(r.get("m")) for r in _rows(store, _GRAPH_MODIFIED)}
    about: dict[str, dict[str, AnyTerm]] = {}
    for row in _rows(store, _GRAPH_ABOUT):
        about.setdefault(str(row["g"]), {}).update(row)
    for row in _rows(store, _GRAPHS):
        name = str(row["g"])
        subset = URIRef(name)
        said = about.get(name, {})
        graph.add((dataset, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        _describe_counts(graph, subset, row)
        graph.add((subset, VOID.entities, _integer(entities.get(name, 0))))
        if isinstance(title := said.get("title"), TermLiteral):
            graph.add((subset, DCTERMS.title, Literal(title.lexical, lang=title.lang)))
        own_license = said.get("license")
        graph.add((subset, DCTERMS.license, URIRef(str(own_license or license_iri))))
        if "source" in said:
            graph.add((subset, DCTERMS.source, URIRef(str(said["source"]))))
        if (date := modified.get(name)) is not None:
            graph.add((subset, DCTERMS.modified, date))


def _describe_dumps(
    graph: rdflib.Graph, dataset: URIRef, dumps: Sequence[Dump], license_iri: str
) -> None:
    used: set[str] = set()
    for dump in dumps:
        name = dump.url.rstrip("/").rsplit("/", 1)[-1] or "dump"
        while name in used:
            name += "-"
        used.add(name)
        node = URIRef(f"{dataset}/dump/{name}")
        url = URIRef(dump.url)
        graph.add((dataset, VOID.dataDump, url))
        graph.add((dataset, DCAT.distribution, node))
        graph.add((node, RDF.type, DCAT.Distribution))
        graph.add((node, DCAT.downloadURL, url))
        graph.add((node, DCAT.accessURL, url))
        graph.add((node, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + dump.media_type)))
        graph.add((node, DCTERMS.license, URIRef(license_iri)))
        if (syntax := _FORMAT_IRIS.get(dump.media_type)) is not None:
            graph.add((node, DCTERMS["format"], URIRef(FORMATS + syntax)))
            graph.add((dataset, VOID.feature, URIRef(FORMATS + syntax)))
        if dump.compressed:
            graph.add((node, DCAT.compressFormat, URIRef(IANA_MEDIA_TYPES + "application/gzip")))
        if dump.byte_size is not None:
            size = Literal(dump.byte_size, datatype=XSD.nonNegativeInteger)
            graph.add((node, DCAT.byteSize, size))


def _description_text(store: EmbeddedStore) -> str:
    papers = _rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a skg:Paper }")
    sources = _rows(
        store, "SELECT ?label WHERE { ?s a skg:Source ; rdfs:label ?label } ORDER BY ?label"
    )
    names = [str(getattr(r["label"], "lexical", r["label"])) for r in sources]
    text = (
        f"Scholarly knowledge graph of {_int(papers[0].get('n'))} papers with their ordered "
        "authorships, authors, versions and research concepts, under the scholarkg ontology"
    )
    if names:
        text += f", built by scholarkg from {len(names)} source file(s): {', '.join(names)}"
    return text + "."


def describe_dataset(
    store: EmbeddedStore,
    *,
    base: str,
    endpoint_url: str | None = None,
    dumps: Sequence[Dump] = (),
    license_iri: str = DEFAULT_LICENSE,
    title: str = DEFAULT_TITLE,
    version: str | None = None,
) -> rdflib.Graph:
    """A VoID and DCAT description of what the store holds (deterministic: no clock)."""
    graph = rdflib.Graph()
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    dataset = URIRef(dataset_iri(base))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.title, Literal(title, lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(_description_text(store), lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef(license_iri)))
    if version is not None:
        graph.add((dataset, DCAT_VERSION, Literal(version)))
    if (modified := latest_date(store)) is not None:
        graph.add((dataset, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    _describe_counts(graph, dataset, _rows(store, _TOTALS)[0])
    graph.add((dataset, VOID.entities, _integer(_int(_rows(store, _ENTITIES)[0].get("n")))))
    example = _rows(store, _EXAMPLE)
    if example:
        graph.add((dataset, VOID.exampleResource, URIRef(str(example[0]["x"]))))
    _describe_partitions(store, graph, dataset)
    _describe_subsets(store, graph, dataset, license_iri)
    if endpoint_url is not None:
        service = URIRef(f"{dataset}/sparql")
        graph.add((dataset, VOID.sparqlEndpoint, URIRef(endpoint_url)))
        graph.add((service, RDF.type, DCAT.DataService))
        graph.add((service, DCAT.endpointURL, URIRef(endpoint_url)))
        graph.add((service, DCAT.servesDataset, dataset))
        graph.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    _describe_dumps(graph, dataset, dumps, license_iri)
    return graph


def validate_description(description: rdflib.Graph) -> ValidationReport:
    """Check a dataset description against the shapes of ontology/void-shapes.ttl."""
    return validate_graph(description, load_shapes(ontology_dir() / VOID_SHAPES_FILE))

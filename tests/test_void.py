"""The dataset description (VoID and DCAT): computed from the store, checked by its shapes.

Counts are worked out by hand from data/arxiv-listing-ferret.txt and data/README.md where they
concern the listing; the vocabulary graphs' counts are cross-checked against the dumps.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID

from scholarkg.cli import main
from scholarkg.export import ExportFormat, export_store, serialize_graph
from scholarkg.reports import render_text
from scholarkg.resources import ontology_dir
from scholarkg.shapes import check_shapes, load_shapes, validate_graph
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.vocab import DEFAULT_BASE, SKG
from scholarkg.void import (
    DEFAULT_LICENSE,
    VOID_SHAPES_FILE,
    Dump,
    describe_dataset,
    latest_date,
    validate_description,
)

from .conftest import LISTING

DATASET = URIRef(DEFAULT_BASE + "dataset")
LISTING_GRAPH = URIRef(DEFAULT_BASE + "graph/arxiv-listing-ferret")
ONTOLOGY_GRAPH = URIRef(DEFAULT_BASE + "graph/ontology")
CONCEPTS_GRAPH = URIRef(DEFAULT_BASE + "graph/concepts")
APACHE_2 = URIRef("https://www.apache.org/licenses/LICENSE-2.0")
ENDPOINT = "http://127.0.0.1:8000/sparql"
DUMP = Dump(
    url="https://example.org/scholarkg/dataset.nq.gz",
    media_type="application/n-quads",
    compressed=True,
    byte_size=65_536,
)


@pytest.fixture(scope="module")
def description(ferret_store: EmbeddedStore) -> rdflib.Graph:
    return describe_dataset(ferret_store, base=DEFAULT_BASE, endpoint_url=ENDPOINT, dumps=[DUMP])


@pytest.fixture(scope="module")
def void_shapes() -> rdflib.Graph:
    return load_shapes(ontology_dir() / VOID_SHAPES_FILE)


def integer(graph: rdflib.Graph, node: URIRef, prop: URIRef) -> int:
    value = graph.value(node, prop)
    assert isinstance(value, Literal), (node, prop)
    assert value.datatype == XSD.integer
    return int(value)


def class_partition(graph: rdflib.Graph, cls: str) -> URIRef:
    parts = [
        p
        for p in graph.objects(DATASET, VOID.classPartition)
        if graph.value(p, VOID["class"]) == URIRef(cls)
    ]
    assert len(parts) == 1, cls
    assert isinstance(parts[0], URIRef)
    return parts[0]


def property_triples(graph: rdflib.Graph, prop: str) -> int:
    parts = [
        p
        for p in graph.objects(DATASET, VOID.propertyPartition)
        if graph.value(p, VOID.property) == URIRef(prop)
    ]
    assert len(parts) == 1, prop
    assert isinstance(parts[0], URIRef)
    return integer(graph, parts[0], VOID.triples)


# --- what the listing holds, by hand --------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "entities"),
    [
        (SKG + "Paper", 26),  # data/README.md: 26 papers
        (SKG + "Version", 41),  # 26 first versions + 15 revised papers with a later one
        (SKG + "Authorship", 378),  # the author lines between "Authors:" and "Abstract:"
        (SKG + "Organization", 2),  # "Gemma Team", "Gemini Team"
        (SKG + "Source", 1),  # one listing
        (SKG + "PreprintServer", 1),  # arXiv
    ],
)
def test_entities_per_class(description: rdflib.Graph, cls: str, entities: int) -> None:
    part = class_partition(description, cls)
    assert integer(description, part, VOID.entities) == entities
    assert integer(description, part, VOID.distinctSubjects) == entities


def test_author_lines_counted_by_hand_are_378() -> None:
    """The 378 above, counted on the listing's text without the parser."""
    count, inside = 0, False
    for line in LISTING.read_text(encoding="utf-8").split("\n"):
        if line in {"Authors:", "Abstract:"}:
            inside = line == "Authors:"
        elif inside and line.strip() and not line.startswith(", et al."):
            count += 1
    assert count == 378


def test_triples_per_property(description: rdflib.Graph) -> None:
    assert property_triples(description, SKG + "hasAuthorship") == 378
    assert property_triples(description, SKG + "hasVersion") == 41
    assert property_triples(description, "http://purl.org/dc/terms/abstract") == 26
    # one per authorship, plus Johan Ferret on the 5 papers where he hides among the hidden
    # authors (README: credited on all 26, with a position on 21)
    assert property_triples(description, "http://purl.org/dc/terms/creator") == 378 + 5
    # 26 paper titles, the ontology's and the concept scheme's
    assert property_triples(description, "http://purl.org/dc/terms/title") == 26 + 2


def test_blank_node_instances_are_subjects_not_entities(description: rdflib.Graph) -> None:
    """The ontology's owl:AllDisjointClasses axiom is a blank node: not an entity (VoID)."""
    part = class_partition(description, "http://www.w3.org/2002/07/owl#AllDisjointClasses")
    assert integer(description, part, VOID.entities) == 0
    assert integer(description, part, VOID.distinctSubjects) == 1


def test_modified_is_the_latest_date_of_the_data(
    description: rdflib.Graph, ferret_store: EmbeddedStore
) -> None:
    """By hand: the first entry, "Submitted 22 July, 2025", is the listing's latest date."""
    assert latest_date(ferret_store) == "2025-07-22"
    assert description.value(DATASET, DCTERMS.modified) == Literal("2025-07-22", datatype=XSD.date)
    assert description.value(LISTING_GRAPH, DCTERMS.modified) == Literal(
        "2025-07-22", datatype=XSD.date
    )


def test_totals_agree_with_the_dumps(
    description: rdflib.Graph, ferret_store: EmbeddedStore
) -> None:
    buffer = io.BytesIO()
    export_store(ferret_store, ExportFormat.NTRIPLES, buffer)
    lines = buffer.getvalue().decode("utf-8").splitlines()
    assert integer(description, DATASET, VOID.triples) == len(lines)
    partitions = description.objects(DATASET, VOID.propertyPartition)
    assert sum(integer(description, p, VOID.triples) for p in partitions) == len(lines)  # type: ignore[arg-type]
    subjects = {line.split(" ", 1)[0] for line in lines}
    assert integer(description, DATASET, VOID.distinctSubjects) == len(subjects)
    iris = {s for s in subjects if s.startswith("<")}
    assert integer(description, DATASET, VOID.entities) == len(iris)
    for graph in (LISTING_GRAPH, ONTOLOGY_GRAPH, CONCEPTS_GRAPH):
        buffer = io.BytesIO()
        export_store(ferret_store, ExportFormat.NTRIPLES, buffer, graph=str(graph))
        assert integer(description, graph, VOID.triples) == len(buffer.getvalue().splitlines())


def test_one_subset_per_named_graph(description: rdflib.Graph) -> None:
    subsets = set(description.objects(DATASET, VOID.subset))
    assert subsets == {LISTING_GRAPH, ONTOLOGY_GRAPH, CONCEPTS_GRAPH}
    assert description.value(LISTING_GRAPH, DCTERMS.source) == URIRef(
        DEFAULT_BASE + "source/arxiv-listing-ferret"
    )
    assert description.value(LISTING_GRAPH, DCTERMS.title) == Literal("arxiv-listing-ferret.txt")
    # the data is arXiv's metadata; the ontology and the concept scheme state their own licence
    assert description.value(LISTING_GRAPH, DCTERMS.license) == URIRef(DEFAULT_LICENSE)
    assert description.value(ONTOLOGY_GRAPH, DCTERMS.license) == APACHE_2
    assert description.value(CONCEPTS_GRAPH, DCTERMS.license) == APACHE_2
    assert integer(description, LISTING_GRAPH, VOID.triples) == 3393


def test_vocabularies_endpoint_dumps_licence(description: rdflib.Graph) -> None:
    vocabularies = {str(v) for v in description.objects(DATASET, VOID.vocabulary)}
    assert {
        SKG,
        "http://purl.org/dc/terms/",
        "http://xmlns.com/foaf/0.1/",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/2004/02/skos/core#",
    } <= vocabularies
    assert description.value(DATASET, DCTERMS.license) == URIRef(
        "http://creativecommons.org/publicdomain/zero/1.0/"
    )
    assert description.value(DATASET, VOID.sparqlEndpoint) == URIRef(ENDPOINT)
    service = description.value(None, DCAT.endpointURL, URIRef(ENDPOINT))
    assert (service, DCAT.servesDataset, DATASET) in description
    assert description.value(DATASET, VOID.dataDump) == URIRef(DUMP.url)
    distribution = description.value(DATASET, DCAT.distribution)
    assert description.value(distribution, DCAT.downloadURL) == URIRef(DUMP.url)
    assert description.value(distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/n-quads"
    )
    assert description.value(distribution, DCAT.byteSize) == Literal(
        65_536, datatype=XSD.nonNegativeInteger
    )
    assert (DATASET, RDF.type, DCAT.Dataset) in description
    assert description.value(DATASET, VOID.exampleResource) is not None


def test_same_store_same_description(ferret_store: EmbeddedStore) -> None:
    def text() -> bytes:
        graph = describe_dataset(ferret_store, base=DEFAULT_BASE, dumps=[DUMP])
        return serialize_graph(graph, ExportFormat.TURTLE)

    assert text() == text()


def test_other_base_other_dataset_iri(tmp_path: Path) -> None:
    store = open_store(None)
    try:
        base = "https://example.org/kg/"
        description = describe_dataset(store, base=base)
        assert (URIRef(base + "dataset"), RDF.type, VOID.Dataset) in description
        assert description.value(URIRef(base + "dataset"), VOID.triples) == Literal(
            0, datatype=XSD.integer
        )
        report = validate_description(description)
        assert not report.violations, render_text(report)
        assert len(report.warnings) == 1  # no date in an empty store: no dcterms:modified
    finally:
        store.close()


# --- the shapes ---------------------------------------------------------------------------------


def test_description_conforms(description: rdflib.Graph) -> None:
    report = validate_description(description)
    assert report.conforms, render_text(report)
    assert report.results == ()


def test_void_shapes_pass_shacl_for_shacl(void_shapes: rdflib.Graph) -> None:
    report = check_shapes(void_shapes)
    assert report.conforms, render_text(report)


def test_every_void_constraint_has_a_message_and_a_severity(void_shapes: rdflib.Graph) -> None:
    sh = rdflib.SH
    report = validate_graph(rdflib.Graph(), void_shapes)
    shapes = {s.source_shape for s in report.shapes}
    assert len(shapes) > 30
    for shape in shapes:
        node = URIRef(shape)
        assert void_shapes.value(node, sh.severity) in {sh.Violation, sh.Warning}, shape
        messages = list(void_shapes.objects(node, sh.message))
        assert len(messages) == 1, shape


def broken(description: rdflib.Graph) -> rdflib.Graph:
    copy = rdflib.Graph()
    copy += description
    return copy


def failing_shapes(graph: rdflib.Graph) -> set[str]:
    report = validate_description(graph)
    return {r.source_shape.rsplit("#", 1)[-1] for r in report.violations}


def test_shapes_fire_on_a_missing_licence(description: rdflib.Graph) -> None:
    graph = broken(description)
    graph.remove((DATASET, DCTERMS.license, None))
    assert failing_shapes(graph) == {"VoidDatasetShape-license"}


def test_shapes_fire_when_partitions_do_not_add_up(description: rdflib.Graph) -> None:
    graph = broken(description)
    graph.set((DATASET, VOID.triples, Literal(1, datatype=XSD.integer)))
    assert failing_shapes(graph) == {"DcatDatasetShape-partitions-add-up"}


def test_shapes_fire_on_a_dump_no_distribution_describes(description: rdflib.Graph) -> None:
    graph = broken(description)
    graph.add((DATASET, VOID.dataDump, URIRef("https://example.org/other.nt")))
    assert failing_shapes(graph) == {"DcatDatasetShape-dumps-described"}


def test_shapes_fire_on_a_partition_without_its_class(description: rdflib.Graph) -> None:
    graph = broken(description)
    part = class_partition(graph, SKG + "Paper")
    graph.remove((part, VOID["class"], None))
    graph.set((part, VOID.entities, Literal("26")))
    assert failing_shapes(graph) == {"ClassPartitionShape-class", "ClassPartitionShape-entities"}


# --- command line -------------------------------------------------------------------------------


def test_cli_describe(ferret_store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "describe",
            "--store",
            str(ferret_store_dir),
            "--endpoint",
            ENDPOINT,
            "--dump",
            "https://example.org/kg/dataset.ttl.gz",
            "--license",
            "https://creativecommons.org/licenses/by/4.0/",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert graph.value(DATASET, VOID.triples) == Literal(4545, datatype=XSD.integer)
    assert graph.value(DATASET, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    distribution = graph.value(DATASET, DCAT.distribution)
    assert graph.value(distribution, DCAT.compressFormat) == URIRef(
        "https://www.iana.org/assignments/media-types/application/gzip"
    )
    assert validate_description(graph).conforms


def test_cli_describe_refuses_a_dump_of_unknown_syntax(
    ferret_store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["describe", "--store", str(ferret_store_dir), "--dump", "https://e.org/x.zip"])
    assert code == 2
    assert "--dump https://e.org/x.zip: unknown syntax" in capsys.readouterr().err

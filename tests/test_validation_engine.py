"""The SPARQL validation engine reports exactly what pySHACL reports, on the whole store or on
the focus nodes of one named graph.

pySHACL (scholarkg.shapes) is the oracle: every fixture, the shipped listing and a deliberately
broken copy of it are validated by both engines and the results compared field by field. Two
renderings are artifacts of the engine that holds the data and are normalised on both sides:
blank node labels (rdflib and Oxigraph number blank nodes differently; they show in focus nodes,
values and messages) and the case of language tags (Oxigraph lower-cases them, rdflib keeps
them as written).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from scholarkg import validation
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import InputError
from scholarkg.reports import ValidationReport, ValidationResult
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.terms import IRI, BNode
from scholarkg.validation import (
    CompiledShapes,
    UnsupportedShapesError,
    compile_shapes,
    unsupported_features,
    validate_store,
)
from scholarkg.vocab import DEFAULT_BASE, SKG

from .conftest import LISTING, ingest

DATA = Path(__file__).parent / "data"
FIXTURES = sorted((DATA / "valid").glob("*.ttl")) + sorted((DATA / "invalid").glob("*.ttl"))
GRAPH = IRI(DEFAULT_BASE + "graph/fixture")
OTHER = IRI(DEFAULT_BASE + "graph/other")
BLANK = re.compile(r"_:[A-Za-z0-9]+")
LANGUAGE = re.compile(r'"@([A-Za-z0-9-]+)$')

Row = tuple[str, ...]


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def compiled(shapes: rdflib.Graph) -> CompiledShapes:
    return compile_shapes(shapes)


def normalised(text: str | None) -> str:
    """Blank node labels and language tag case, which differ between rdflib and Oxigraph."""
    if text is None:
        return "-"
    text = BLANK.sub("_:b", text)
    return LANGUAGE.sub(lambda m: '"@' + m.group(1).lower(), text)


def rows(results: Iterable[ValidationResult]) -> Counter[Row]:
    """Results as comparable rows, counted (pySHACL repeats some results; so must we)."""
    return Counter(
        (
            r.severity.value,
            r.source_shape,
            r.node_shape,
            normalised(r.focus_node),
            r.result_path or "-",
            normalised(r.value),
            normalised(r.message),
            r.constraint_component,
        )
        for r in results
    )


def store_of(*graphs: tuple[IRI, Path]) -> EmbeddedStore:
    store = open_store(None)
    for name, path in graphs:
        store.load_file(
            name, path, "text/turtle" if path.suffix == ".ttl" else "application/n-triples"
        )
    return store


def assert_same(ours: ValidationReport, theirs: ValidationReport) -> None:
    assert rows(ours.results) == rows(theirs.results)
    assert ours.conforms == theirs.conforms
    assert ours.counts == theirs.counts
    assert ours.shapes == theirs.shapes


# --- the shapes compile ----------------------------------------------------------------------


def test_shipped_shapes_compile(shapes: rdflib.Graph) -> None:
    assert unsupported_features(shapes) == []
    assert compile_shapes(shapes).checks


def test_unsupported_features_are_named_with_their_shape() -> None:
    text = """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:ThingShape a sh:NodeShape ;
            sh:targetNode ex:thing ;
            sh:closed true ;
            sh:property ex:ThingShape-name .
        ex:ThingShape-name sh:path ex:name ;
            sh:xone ( [ sh:datatype ex:a ] [ sh:datatype ex:b ] ) ;
            sh:message "m" .
    """
    graph = rdflib.Graph().parse(data=text, format="turtle")
    problems = unsupported_features(graph)
    assert any(
        p.startswith("https://example.org/ThingShape: ") and "targetNode" in p for p in problems
    )
    assert any(p.startswith("https://example.org/ThingShape: ") and "closed" in p for p in problems)
    assert any(
        p.startswith("https://example.org/ThingShape-name: ") and "xone" in p for p in problems
    )
    with pytest.raises(UnsupportedShapesError, match="ThingShape-name") as raised:
        compile_shapes(graph)
    assert isinstance(raised.value, InputError)
    assert raised.value.exit_code == 2


def test_a_sparql_constraint_must_declare_its_prefixes() -> None:
    text = """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:ThingShape a sh:NodeShape ;
            sh:targetClass ex:Thing ;
            sh:message "m" ;
            sh:sparql [ sh:select "SELECT $this WHERE { $this ex:p ?o }" ] .
    """
    graph = rdflib.Graph().parse(data=text, format="turtle")
    (problem,) = unsupported_features(graph)
    assert problem.startswith("https://example.org/ThingShape: ")
    assert "does not parse" in problem


# --- the same results as pySHACL -------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_gives_pyshacl_results(
    path: Path, shapes: rdflib.Graph, compiled: CompiledShapes
) -> None:
    theirs = validate_graph(rdflib.Graph().parse(path, format="turtle"), shapes)
    store = store_of((GRAPH, path))
    assert_same(validate_store(store, compiled), theirs)
    # the fixture's focus nodes are all subjects of its graph: incremental validation is full
    assert_same(validate_store(store, compiled, focus_graph=GRAPH), theirs)


def test_shipped_listing_gives_pyshacl_results(
    ferret_store: EmbeddedStore, shapes: rdflib.Graph, compiled: CompiledShapes
) -> None:
    union = rdflib.Graph().parse(data=ferret_store.dump_ntriples(), format="nt")
    theirs = validate_graph(union, shapes)
    assert_same(validate_store(ferret_store, compiled), theirs)
    assert theirs.conforms


def broken_listing(ferret_store: EmbeddedStore, folder: Path) -> list[tuple[IRI, Path]]:
    """The shipped listing's graphs, with a dozen rules broken in the listing's graph."""
    out = []
    for name in ferret_store.named_graphs():
        graph = rdflib.Graph().parse(data=ferret_store.dump_ntriples(IRI(name)), format="nt")
        papers = sorted(graph.subjects(RDF.type, rdflib.URIRef(SKG + "Paper")), key=str)
        if papers:
            break_papers(graph, papers)
        path = folder / f"{len(out)}.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        out.append((IRI(name), path))
    return out


def break_papers(graph: rdflib.Graph, papers: list[rdflib.term.Node]) -> None:
    skg = rdflib.Namespace(SKG)
    dcterms = rdflib.Namespace("http://purl.org/dc/terms/")
    foaf = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
    xsd = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
    first, second, third, fourth = papers[:4]
    graph.remove((first, dcterms.title, None))  # minCount
    graph.add((second, dcterms.title, rdflib.Literal("Another title,")))  # maxCount, pattern
    authorships = sorted(graph.objects(third, skg.hasAuthorship), key=str)
    graph.set((authorships[-1], skg.position, rdflib.Literal(1)))  # unique, IRI, contiguous
    graph.set((authorships[0], skg.nameAsWritten, rdflib.Literal(" Padded et al.")))
    stranger = rdflib.URIRef(DEFAULT_BASE + "person/a-stranger")
    graph.add((fourth, dcterms.creator, stranger))  # creator-extra, class
    graph.add((stranger, foaf.name, rdflib.Literal("A Stranger", lang="EN")))
    graph.set((fourth, skg.authorCount, rdflib.Literal(99)))  # authorCount-sum
    graph.add((fourth, skg.announced, rdflib.Literal("1990-01", datatype=xsd.gYearMonth)))
    versions = sorted(graph.objects(papers[4], skg.hasVersion), key=str)
    graph.set((versions[0], skg.submitted, rdflib.Literal("2999-01-01", datatype=xsd.date)))
    graph.add((papers[5], skg.hasAuthorship, rdflib.BNode()))  # nodeKind, class, blank value
    graph.set((papers[6], skg.authorListComplete, rdflib.Literal("yes", datatype=xsd.boolean)))


def test_broken_listing_gives_pyshacl_results(
    ferret_store: EmbeddedStore, shapes: rdflib.Graph, compiled: CompiledShapes, tmp_path: Path
) -> None:
    graphs = broken_listing(ferret_store, tmp_path)
    union = rdflib.Graph()
    for _, path in graphs:
        union.parse(path, format="nt")
    theirs = validate_graph(union, shapes)
    assert len(theirs.results) > 20
    assert_same(validate_store(store_of(*graphs), compiled), theirs)


EDGE_CASES = r"""
<https://w3id.org/scholarkg/id/paper/arxiv/2503.19786>
    dcterms:title "Gemma 3\nTechnical Report" .
person:johan-ferret foaf:name "Johan Ferret\u001C" , "Johan FERRET et al" .
concept:large-language-models
    skos:prefLabel "LLM"@EN-GB , "grand modèle de langue"@fr , "grand modele de langue"@fr ;
    skos:altLabel "" , "LLM "@EN-GB .
concept:machine-learning skos:broader concept:large-language-models .
<https://w3id.org/scholarkg/id/paper/arxiv/2503.19786/version/2> skg:versionNumber 1 .
"""


def test_edge_cases_give_pyshacl_results(
    shapes: rdflib.Graph, compiled: CompiledShapes, tmp_path: Path
) -> None:
    r"""Where pySHACL departs from the letter of SHACL, the engine follows it.

    sh:flags "s" is ignored (a title over two lines ends no match of ^(.*[^,])?$), Python's \s
    matches U+001C, language tags match case-insensitively and by their first subtag, results
    repeat per duplicated language (sh:uniqueLang) and per failing pair (cycles, numbers).
    """
    path = tmp_path / "edge.ttl"
    path.write_text((DATA / "valid" / "minimal.ttl").read_text("utf-8") + EDGE_CASES, "utf-8")
    theirs = validate_graph(rdflib.Graph().parse(path, format="turtle"), shapes)
    assert len(theirs.results) > 10
    assert_same(validate_store(store_of((GRAPH, path)), compiled), theirs)


# --- incremental validation ------------------------------------------------------------------


def test_focus_graph_checks_only_its_subjects(compiled: CompiledShapes, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        f"""
        @prefix skg: <{SKG}> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        <{DEFAULT_BASE}person/someone-else> a skg:Person ; foaf:name "Someone Else," .
        """,
        encoding="utf-8",
    )
    store = store_of((GRAPH, DATA / "valid" / "minimal.ttl"), (OTHER, broken))
    assert validate_store(store, compiled, focus_graph=GRAPH).results == ()
    full = validate_store(store, compiled)
    incremental = validate_store(store, compiled, focus_graph=OTHER)
    assert incremental.results == full.results
    assert {r.focus_node for r in full.results} == {DEFAULT_BASE + "person/someone-else"}
    assert validate_store(store, compiled, focus_graph=DEFAULT_BASE + "graph/none").results == ()


@pytest.mark.parametrize("listed", [True, False], ids=["focus-listed", "focus-scanned"])
def test_focus_graph_sees_what_other_graphs_hold(
    ferret_store: EmbeddedStore,
    compiled: CompiledShapes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    listed: bool,
) -> None:
    """The broken listing split over graphs: each graph's results are those of its subjects.

    Few focus nodes are listed in the queries, many are found by scanning: both ways are run.
    """
    if not listed:
        monkeypatch.setattr(validation, "DRIVEN_LIMIT", 0)
    graphs = broken_listing(ferret_store, tmp_path)
    store = store_of(*graphs)
    full = validate_store(store, compiled)
    assert not full.conforms
    seen: Counter[Row] = Counter()
    for name, _ in graphs:
        answer = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")
        subjects = {f"_:{s}" if isinstance(s, BNode) else str(s) for (s,) in answer.rows}
        part = validate_store(store, compiled, focus_graph=name)
        assert rows(part.results) == rows(r for r in full.results if r.focus_node in subjects)
        seen += rows(part.results)
    assert seen == rows(full.results)


def test_focus_graph_must_be_an_iri(ferret_store: EmbeddedStore, compiled: CompiledShapes) -> None:
    with pytest.raises(InputError, match="not an absolute IRI"):
        validate_store(ferret_store, compiled, focus_graph="graph with spaces")


# --- the report --------------------------------------------------------------------------------


def test_report_graph_holds_every_result(compiled: CompiledShapes) -> None:
    store = store_of((GRAPH, DATA / "invalid" / "concept-broader-cycle.ttl"))
    report = validate_store(store, compiled)
    graph = rdflib.Graph().parse(data=report.report_turtle, format="turtle")
    assert len(set(graph.subjects(RDF.type, SH.ValidationResult))) == len(report.results) > 0
    assert (None, SH.conforms, rdflib.Literal(False)) in graph


def test_shapes_for_another_base(tmp_path: Path, tagger: ConceptTagger) -> None:
    other = "https://example.org/kg/"
    text = (DATA / "valid" / "paper.ttl").read_text("utf-8").replace(DEFAULT_BASE, other)
    path = tmp_path / "paper.ttl"
    path.write_text(text, encoding="utf-8")
    store = store_of((GRAPH, path))
    assert validate_store(store, compile_shapes(load_shapes(base=other))).results == ()
    default = validate_store(store, compile_shapes(load_shapes()))
    assert default.violations
    assert {r.constraint_component for r in default.violations} == {
        str(SH.PatternConstraintComponent)
    }


def test_listing_loaded_twice_gives_pyshacl_results(
    tmp_path: Path, tagger: ConceptTagger, shapes: rdflib.Graph, compiled: CompiledShapes
) -> None:
    """The same listing in two graphs: the union repeats most triples, which counts ignore."""
    store = open_store(None)
    ingest(store, LISTING, tagger)
    copy = tmp_path / "arxiv-listing-copy.txt"
    copy.write_text(LISTING.read_text("utf-8").replace("Gemma 3", "Gemma Three"), "utf-8")
    ingest(store, copy, tagger)
    # the union of the graphs, not the merged view the store now shows by default
    graphs = [g for g in store.named_graphs() if not g.endswith("/graph/merged")]
    with store.seeing(graphs):
        union = rdflib.Graph().parse(data=store.dump_ntriples(), format="nt")
        theirs = validate_graph(union, shapes)
        assert theirs.violations  # one paper now has two titles, among others
        assert_same(validate_store(store, compiled), theirs)

"""The SHACL shapes are code: they parse, pass SHACL-for-SHACL, cover the ontology, and every
constraint fires exactly where an invalid fixture says it must.

Each tests/data/invalid/*.ttl starts with comment lines read here:

    # expect: <severity> <node shape> <focus node IRI, or _: for a blank node> <path or ->
    # shapes: <source shape> ...

The `expect` lines are exactly the (severity, node shape, focus node, path) set of the results; the
`shapes` line is exactly the set of shapes that fire. Paths are CURIEs (skg:position), inverse paths
^skg:hasAuthorship and alternatives (skos:prefLabel|dcterms:title).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, SH

from scholarkg.errors import InputError
from scholarkg.reports import (
    Severity,
    ValidationReport,
    render_json,
    render_junit,
    render_text,
    render_turtle,
)
from scholarkg.resources import ontology_dir
from scholarkg.shapes import check_shapes, load_shapes, validate_graph
from scholarkg.vocab import DEFAULT_BASE, PREFIXES, SKG, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
DATA = Path(__file__).parent / "data"
VALID = sorted((DATA / "valid").glob("*.ttl"))
INVALID = sorted((DATA / "invalid").glob("*.ttl"))
CURIE_PREFIXES = {**PREFIXES, "sh": str(SH)}
CURIE = re.compile(r"([A-Za-z][\w-]*):([\w.-]+)")
SKOS_CONCEPT = rdflib.URIRef(SKOS + "Concept")
SKOS_SCHEME = rdflib.URIRef(SKOS + "ConceptScheme")

Expectation = tuple[str, str, str, str | None]


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return load_shapes()


def parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


def expand(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return CURIE_PREFIXES[prefix] + local


def expand_path(text: str) -> str | None:
    if text == "-":
        return None
    if CURIE.fullmatch(text):
        return expand(text)
    return CURIE.sub(lambda m: f"<{expand(m.group(0))}>", text)


def read_header(path: Path) -> tuple[set[Expectation], set[str]]:
    expected: set[Expectation] = set()
    fired: set[str] = set()
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("# expect: "):
            severity, node_shape, focus, result_path = line.removeprefix("# expect: ").split()
            expected.add((severity, expand(node_shape), focus, expand_path(result_path)))
        elif line.startswith("# shapes: "):
            fired.update(expand(s) for s in line.removeprefix("# shapes: ").split())
    return expected, fired


def observed(report: ValidationReport) -> set[Expectation]:
    return {
        (
            r.severity.value,
            r.node_shape,
            "_:" if r.focus_node.startswith("_:") else r.focus_node,
            r.result_path,
        )
        for r in report.results
    }


# --- the shapes graph itself -----------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ONTOLOGY.glob("*.ttl")), ids=lambda p: p.name)
def test_ontology_file_parses(path: Path) -> None:
    assert len(parse(path)) > 0


def test_shipped_shapes_are_found() -> None:
    assert ontology_dir() == ONTOLOGY
    assert len(load_shapes()) == len(parse(ONTOLOGY / "shapes.ttl"))


def test_shapes_pass_shacl_for_shacl(shapes: rdflib.Graph) -> None:
    report = check_shapes(shapes)
    assert report.conforms, render_text(report)
    assert report.results == ()


def test_every_constraint_has_a_message_and_a_severity(shapes: rdflib.Graph) -> None:
    report = validate_graph(rdflib.Graph(), shapes)
    assert len(report.shapes) > 100
    for shape in {s.source_shape for s in report.shapes}:
        node = rdflib.URIRef(shape)
        assert shapes.value(node, SH.severity) in {SH.Violation, SH.Warning}, shape
        messages = list(shapes.objects(node, SH.message))
        assert len(messages) == 1, shape
        assert len(str(messages[0])) > 20, shape


def declared_classes() -> set[rdflib.term.Node]:
    path = ONTOLOGY / "scholarkg.ttl"
    if not path.exists():
        pytest.skip("ontology/scholarkg.ttl does not exist yet: cannot compare shapes and classes")
    ontology = parse(path)
    return {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(SKG)}


def test_every_shape_targets_a_declared_class(shapes: rdflib.Graph) -> None:
    allowed = declared_classes() | {SKOS_CONCEPT, SKOS_SCHEME}
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        targets = set(shapes.objects(node_shape, SH.targetClass))
        assert targets, f"{node_shape} targets no class"
        assert targets <= allowed, f"{node_shape} targets undeclared {targets - allowed}"
        names = {str(t).rsplit("#", 1)[-1].rsplit("/", 1)[-1] + "Shape" for t in targets}
        assert str(node_shape).removeprefix(SKG) in names, node_shape


def test_every_declared_class_has_a_shape(shapes: rdflib.Graph) -> None:
    targeted = set(shapes.objects(None, SH.targetClass))
    missing = declared_classes() - targeted
    assert not missing, f"classes without a shape: {sorted(missing, key=str)}"


# --- fixtures --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_conforms_without_any_result(path: Path, shapes: rdflib.Graph) -> None:
    report = validate_graph(parse(path), shapes)
    assert report.conforms
    assert report.results == (), render_text(report)


def test_shipped_concept_scheme_conforms(shapes: rdflib.Graph) -> None:
    path = ONTOLOGY / "concepts.ttl"
    if not path.exists():
        pytest.skip("ontology/concepts.ttl does not exist yet")
    report = validate_graph(parse(path), shapes)
    assert report.violations == (), render_text(report)


def test_shipped_arxiv_category_scheme_conforms(shapes: rdflib.Graph) -> None:
    path = ONTOLOGY / "arxiv-categories.ttl"
    if not path.exists():
        pytest.skip("ontology/arxiv-categories.ttl does not exist yet")
    report = validate_graph(parse(path), shapes)
    assert report.results == (), render_text(report)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fires_exactly_the_expected_results(
    path: Path, shapes: rdflib.Graph
) -> None:
    expected, fired = read_header(path)
    assert expected, f"{path.name} has no '# expect:' line"
    report = validate_graph(parse(path), shapes)
    assert observed(report) == expected, render_text(report)
    assert {r.source_shape for r in report.results} == fired, render_text(report)
    assert report.conforms == (report.violations == ())


def test_every_shape_is_exercised_by_an_invalid_fixture(shapes: rdflib.Graph) -> None:
    exercised: set[str] = set()
    for path in INVALID:
        exercised |= read_header(path)[1]
    all_shapes = {s.source_shape for s in validate_graph(rdflib.Graph(), shapes).shapes}
    assert not all_shapes - exercised, f"shapes no fixture fires: {sorted(all_shapes - exercised)}"
    assert not exercised - all_shapes, f"unknown shapes in headers: {exercised - all_shapes}"


def test_dataset_is_validated_as_the_union_of_its_graphs(shapes: rdflib.Graph) -> None:
    dataset = rdflib.Dataset()
    papers = dataset.graph(rdflib.URIRef(DEFAULT_BASE + "graph/arxiv-listing-ferret"))
    concepts = dataset.graph(rdflib.URIRef(DEFAULT_BASE + "graph/concepts"))
    for triple in parse(DATA / "valid" / "paper.ttl"):
        in_scheme = str(triple[0]).startswith("https://w3id.org/scholarkg/concepts")
        (concepts if in_scheme else papers).add(triple)
    assert validate_graph(dataset, shapes).results == ()
    assert validate_graph(papers, shapes).violations  # concepts live in the other graph


# --- base rewriting ----------------------------------------------------------------------------


def test_shapes_follow_a_configured_base() -> None:
    other = "https://example.org/kg/"
    text = (DATA / "valid" / "paper.ttl").read_text("utf-8").replace(DEFAULT_BASE, other)
    data = rdflib.Graph().parse(data=text, format="turtle")
    assert validate_graph(data, base=other).results == ()
    default = validate_graph(data)
    assert default.violations
    assert {r.constraint_component for r in default.violations} == {
        str(SH.PatternConstraintComponent)
    }
    assert {r.result_path for r in default.violations} == {None}


def test_missing_shapes_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_shapes(tmp_path / "nope.ttl")


# --- report and renderers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(shapes: rdflib.Graph) -> ValidationReport:
    """One Violation and one Warning on the same paper."""
    return validate_graph(parse(DATA / "invalid" / "paper-arxivid-version.ttl"), shapes)


@pytest.fixture(scope="module")
def warning_only(shapes: rdflib.Graph) -> ValidationReport:
    return validate_graph(parse(DATA / "invalid" / "paper-abstract-missing.ttl"), shapes)


def test_report_counts_and_verdict(mixed: ValidationReport, warning_only: ValidationReport) -> None:
    assert not mixed.conforms
    assert mixed.counts == {Severity.violation: 1, Severity.warning: 1, Severity.info: 0}
    assert len(mixed.violations) == 1 and len(mixed.warnings) == 1
    assert mixed.fails(Severity.violation) and mixed.fails(Severity.warning)
    assert warning_only.conforms
    assert not warning_only.fails(Severity.violation)
    assert warning_only.fails(Severity.warning)
    assert warning_only.fails(Severity.info)


def test_result_fields(mixed: ValidationReport) -> None:
    (violation,) = mixed.violations
    assert violation.node_shape == SKG + "PaperShape"
    assert violation.source_shape == SKG + "PaperShape-arxivId-iri"
    assert violation.focus_node == DEFAULT_BASE + "paper/arxiv/2503.19786"
    assert violation.result_path == SKG + "arxivId"
    assert violation.value == '"2503.19786v2"'
    assert violation.constraint_component == str(SH.SPARQLConstraintComponent)
    assert "skg:arxivId" in violation.message


def test_results_are_sorted_and_deterministic(shapes: rdflib.Graph) -> None:
    data = parse(DATA / "invalid" / "concept-broader-cycle.ttl")
    first, second = validate_graph(data, shapes), validate_graph(data, shapes)
    assert first.results == second.results
    keys = [(r.node_shape, r.focus_node, r.result_path or "") for r in first.results]
    assert keys == sorted(keys)
    assert render_text(first) == render_text(second)
    assert render_junit(first) == render_junit(second)


def test_render_text(mixed: ValidationReport) -> None:
    text = render_text(mixed)
    lines = text.splitlines()
    assert lines[0] == "skg:PaperShape"
    assert lines[1] == f"  {DEFAULT_BASE}paper/arxiv/2503.19786"
    assert any(line.startswith('    Violation  skg:arxivId  "2503.19786v2"') for line in lines)
    assert any(line.startswith('    Warning  skg:arxivId  "2503.19786v2"') for line in lines)
    assert lines[-1] == "Does not conform: 1 violation, 1 warning"


def test_render_text_of_a_conforming_report(shapes: rdflib.Graph) -> None:
    report = validate_graph(parse(DATA / "valid" / "minimal.ttl"), shapes)
    assert render_text(report) == "Conforms: 0 violations, 0 warnings\n"


def test_render_json(mixed: ValidationReport) -> None:
    payload = json.loads(render_json(mixed))
    assert payload["conforms"] is False
    assert payload["counts"] == {"violation": 1, "warning": 1, "info": 0}
    assert [r["severity"] for r in payload["results"]] == ["violation", "warning"]
    assert set(payload["results"][0]) == {
        "severity",
        "source_shape",
        "node_shape",
        "focus_node",
        "result_path",
        "value",
        "message",
        "constraint_component",
    }


def test_render_turtle_round_trips(mixed: ValidationReport) -> None:
    graph = rdflib.Graph().parse(data=render_turtle(mixed), format="turtle")
    results = set(graph.subjects(RDF.type, SH.ValidationResult))
    assert len(results) == len(mixed.results)
    assert (None, SH.conforms, rdflib.Literal(False)) in graph


@pytest.mark.parametrize(("fail_on", "failures"), [(Severity.violation, 1), (Severity.warning, 2)])
def test_render_junit(mixed: ValidationReport, fail_on: Severity, failures: int) -> None:
    root = ElementTree.fromstring(render_junit(mixed, fail_on=fail_on))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(mixed.shapes) == int(suite.get("tests", "-1"))
    failing = [c for c in cases if c.find("failure") is not None]
    assert len(failing) == failures == int(suite.get("failures", "-1"))
    assert int(root.get("failures", "-1")) == failures
    names = {c.get("name") for c in failing}
    assert "skg:PaperShape-arxivId-iri" in names
    if fail_on is Severity.violation:
        warned = [c for c in cases if c.get("name") == "skg:PaperShape-arxivId-version"]
        assert warned[0].find("failure") is None
        assert "warning" in (warned[0].findtext("system-out") or "")

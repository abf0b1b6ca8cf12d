"""SHACL validation: run the shapes of ontology/shapes.ttl over a graph and report typed results.

This is the only module that imports pySHACL. Validation runs with SHACL Advanced Features on (the
shapes use SHACL-SPARQL constraints), without inference (the data carries no subclass triples and
the shapes do not need them) and with warnings allowed, so `conforms` means "no Violation";
`ValidationReport.fails` decides whether warnings fail too.

The shapes file writes its IRI patterns against the default data base; `load_shapes` rewrites them
when the data was minted under another base.

In results, IRIs are plain strings, blank nodes `_:id`, values N-Triples terms (`<iri>`,
`"text"`, `"1"^^<…#integer>`, `"label"@en`) and result paths the predicate IRI for a simple path,
else a SPARQL property path with `<iri>` terms (`^<…#hasAuthorship>`). A property shape that is a
blank node is named after its node shape and path (`<node shape>[<path>]`), so names are stable
from run to run.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import cast
from xml.etree import ElementTree

import rdflib
from pydantic import BaseModel, ConfigDict, Field
from pyshacl import validate as pyshacl_validate
from pyshacl.errors import ReportableRuntimeError
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Literal, Node, URIRef
from rdflib.util import guess_format

from scholarkg.errors import InputError
from scholarkg.vocab import DEFAULT_BASE, PREFIXES

SHAPES_FILE = "shapes.ttl"
_DISPLAY_PREFIXES: dict[str, str] = {**PREFIXES, "sh": str(SH)}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_PATH_SUFFIX = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}
_TEXT_VALUE_WIDTH = 60
_ESCAPES: dict[str, str | int | None] = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_LITERAL_ESCAPES = str.maketrans(_ESCAPES)


class Severity(StrEnum):
    """Severity of a validation result, from sh:resultSeverity."""

    violation = "violation"
    warning = "warning"
    info = "info"


_SEVERITY_OF: dict[Node, Severity] = {
    SH.Violation: Severity.violation,
    SH.Warning: Severity.warning,
    SH.Info: Severity.info,
}
_RANK = {Severity.info: 0, Severity.warning: 1, Severity.violation: 2}


class ValidationResult(BaseModel):
    """One sh:ValidationResult: which shape fired on which node, why, and on what value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: Severity
    source_shape: str
    node_shape: str
    focus_node: str
    result_path: str | None
    value: str | None
    message: str
    constraint_component: str


class CheckedShape(BaseModel):
    """A shape the data was checked against, with the node shape that owns it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_shape: str
    node_shape: str


class ValidationReport(BaseModel):
    """The outcome of one validation: verdict, sorted results, counts and the shapes checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conforms: bool
    results: tuple[ValidationResult, ...]
    counts: dict[Severity, int]
    shapes: tuple[CheckedShape, ...]
    report_turtle: str = Field(default="", exclude=True, repr=False)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        """The results of severity Violation."""
        return tuple(r for r in self.results if r.severity is Severity.violation)

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        """The results of severity Warning."""
        return tuple(r for r in self.results if r.severity is Severity.warning)

    def fails(self, fail_on: Severity = Severity.violation) -> bool:
        """Whether any result is at least as severe as `fail_on`."""
        return any(_RANK[r.severity] >= _RANK[fail_on] for r in self.results)


def ontology_dir() -> Path:
    """The ontology/ folder: the checkout's, else the copy packaged into the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "ontology"
    if checkout.is_dir():
        return checkout
    return Path(__file__).parent / "_resources" / "ontology"


def load_shapes(path: Path | None = None, base: str = DEFAULT_BASE) -> rdflib.Graph:
    """Parse a shapes graph (the shipped one by default), its IRI patterns set to `base`."""
    source = path if path is not None else ontology_dir() / SHAPES_FILE
    graph = rdflib.Graph()
    try:
        graph.parse(source, format=guess_format(str(source)) or "turtle")
    except FileNotFoundError as exc:
        raise InputError(f"{source}: shapes file not found; pass an existing file") from exc
    except Exception as exc:  # rdflib raises parser-specific errors
        raise InputError(f"{source}: cannot parse the shapes graph: {exc}") from exc
    if base != DEFAULT_BASE:
        _rebase_patterns(graph, base)
    return graph


def _rebase_patterns(graph: rdflib.Graph, base: str) -> None:
    old, new = re.escape(DEFAULT_BASE), re.escape(base)
    for shape, pattern in list(graph.subject_objects(SH.pattern)):
        if isinstance(pattern, Literal) and old in str(pattern):
            graph.remove((shape, SH.pattern, pattern))
            graph.add((shape, SH.pattern, Literal(str(pattern).replace(old, new))))


def validate_graph(
    data: rdflib.Graph, shapes: rdflib.Graph | None = None, *, base: str = DEFAULT_BASE
) -> ValidationReport:
    """Validate `data` against `shapes` (the shipped shapes for `base` by default)."""
    shapes_graph = shapes if shapes is not None else load_shapes(base=base)
    return _run_pyshacl(data, shapes_graph, inference="none", advanced=True)


def check_shapes(shapes: rdflib.Graph) -> ValidationReport:
    """Validate a shapes graph against SHACL-for-SHACL (pySHACL's bundled shacl-shacl graph)."""
    text = resources.files("pyshacl").joinpath("assets", "shacl-shacl.ttl").read_text("utf-8")
    meta = rdflib.Graph().parse(data=text, format="turtle")
    return _run_pyshacl(shapes, meta, inference="rdfs", advanced=False)


def _run_pyshacl(
    data: rdflib.Graph, shapes: rdflib.Graph, *, inference: str, advanced: bool
) -> ValidationReport:
    try:
        outcome = pyshacl_validate(
            data,
            shacl_graph=shapes,
            advanced=advanced,
            inference=inference,
            allow_warnings=True,
        )
    except ReportableRuntimeError as exc:
        raise InputError(f"the shapes graph cannot be used for validation: {exc}") from exc
    conforms, report_graph = bool(outcome[0]), cast(rdflib.Graph, outcome[1])
    for prefix, namespace in _DISPLAY_PREFIXES.items():
        report_graph.bind(prefix, namespace, replace=True)
    results = sorted(
        (_read_result(report_graph, shapes, node) for node in _result_nodes(report_graph)),
        key=_sort_key,
    )
    counts = {severity: 0 for severity in Severity}
    for result in results:
        counts[result.severity] += 1
    return ValidationReport(
        conforms=conforms,
        results=tuple(results),
        counts=counts,
        shapes=tuple(_checked_shapes(shapes)),
        report_turtle=report_graph.serialize(format="turtle"),
    )


def _result_nodes(report: rdflib.Graph) -> list[Node]:
    return list(report.subjects(RDF.type, SH.ValidationResult))


def _sort_key(result: ValidationResult) -> tuple[str, ...]:
    return (
        result.node_shape,
        result.focus_node,
        result.result_path or "",
        result.source_shape,
        result.constraint_component,
        result.value or "",
        result.message,
        result.severity.value,
    )


def _read_result(report: rdflib.Graph, shapes: rdflib.Graph, node: Node) -> ValidationResult:
    source = report.value(node, SH.sourceShape)
    owner = _owner(shapes, source) if source is not None else None
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    severity = report.value(node, SH.resultSeverity)
    messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
    return ValidationResult(
        severity=_SEVERITY_OF.get(severity, Severity.violation) if severity else Severity.violation,
        source_shape=_shape_name(shapes, report, source, owner),
        node_shape=_shape_name(shapes, report, owner or source, None),
        focus_node=_node_id(report.value(node, SH.focusNode)),
        result_path=_render_path(report, path) if path is not None else None,
        value=_term(value) if value is not None else None,
        message=" ".join(messages),
        constraint_component=_node_id(report.value(node, SH.sourceConstraintComponent)),
    )


def _owner(shapes: rdflib.Graph, shape: Node) -> Node | None:
    owners = sorted(shapes.subjects(SH.property, shape), key=str)
    return owners[0] if owners else None


def _shape_name(
    shapes: rdflib.Graph, report: rdflib.Graph, shape: Node | None, owner: Node | None
) -> str:
    if shape is None:
        return ""
    if isinstance(shape, BNode) and owner is not None:
        graph = shapes if (shape, SH.path, None) in shapes else report
        path = graph.value(shape, SH.path)
        if path is not None:
            return f"{_node_id(owner)}[{_render_path(graph, path)}]"
    return _node_id(shape)


def _checked_shapes(shapes: rdflib.Graph) -> list[CheckedShape]:
    node_shapes: set[Node] = set(shapes.subjects(RDF.type, SH.NodeShape))
    for target in _TARGETS:
        node_shapes.update(shapes.subjects(target, None))
    checked: set[CheckedShape] = set()
    for node_shape in node_shapes:
        name = _shape_name(shapes, shapes, node_shape, None)
        checked.add(CheckedShape(source_shape=name, node_shape=name))
        for prop in shapes.objects(node_shape, SH.property):
            source = _shape_name(shapes, shapes, prop, node_shape)
            checked.add(CheckedShape(source_shape=source, node_shape=name))
    return sorted(checked, key=lambda s: (s.node_shape, s.source_shape))


def _node_id(node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _term(node: Node) -> str:
    """A term in N-Triples syntax."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        text = str(node).translate(_LITERAL_ESCAPES)
        if node.language:
            return f'"{text}"@{node.language}'
        if node.datatype and str(node.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f'"{text}"^^<{node.datatype}>'
        return f'"{text}"'
    return _node_id(node)


def _render_path(graph: rdflib.Graph, path: Node, nested: bool = False) -> str:
    """A SHACL path as a string: the IRI for a predicate path, else SPARQL path syntax."""
    if isinstance(path, URIRef):
        return f"<{path}>" if nested else str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _render_path(graph, inverse, nested=True)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        parts = [_render_path(graph, p, nested=True) for p in Collection(graph, alternatives)]
        return "(" + "|".join(parts) + ")"
    for predicate, suffix in _PATH_SUFFIX.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return "(" + _render_path(graph, inner, nested=True) + ")" + suffix
    if graph.value(path, RDF.first) is not None:
        return "/".join(_render_path(graph, p, nested=True) for p in Collection(graph, path))
    return _node_id(path)


# --- renderers -------------------------------------------------------------------------------


def _compact(text: str) -> str:
    """An IRI as prefix:local with the prefixes of vocab (and sh:), else unchanged."""
    for prefix, namespace in sorted(_DISPLAY_PREFIXES.items(), key=lambda p: -len(p[1])):
        if text.startswith(namespace) and re.fullmatch(r"[\w.-]*", text[len(namespace) :]):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def _compact_terms(text: str) -> str:
    """A result path for display, its IRIs compacted where a prefix is known."""
    if not text.startswith(("<", "^", "(")):
        return _compact(text)

    def shorten(match: re.Match[str]) -> str:
        short = _compact(match.group(1))
        return short if short != match.group(1) else match.group(0)

    return re.sub(r"<([^<>\s]+)>", shorten, text)


def _display_value(value: str) -> str:
    """A value term for display: IRIs and datatypes compacted, long text cut."""
    if value.startswith("<") and value.endswith(">"):
        return _compact_terms(value)
    literal = re.fullmatch(r'(".*")\^\^<([^<>]+)>', value, flags=re.S)
    if literal:
        value = f"{literal.group(1)}^^{_compact(literal.group(2))}"
    if len(value) <= _TEXT_VALUE_WIDTH:
        return value
    return value[: _TEXT_VALUE_WIDTH - 1] + "…"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def verdict(report: ValidationReport) -> str:
    """One line: whether the data conforms, with the count of each severity."""
    counts = [
        _plural(report.counts[Severity.violation], "violation"),
        _plural(report.counts[Severity.warning], "warning"),
    ]
    if report.counts[Severity.info]:
        counts.append(_plural(report.counts[Severity.info], "info"))
    head = "Conforms" if report.conforms else "Does not conform"
    return f"{head}: {', '.join(counts)}"


def render_text(report: ValidationReport) -> str:
    """Human-readable report grouped by node shape and focus node, ending with the verdict."""
    lines: list[str] = []
    current: tuple[str, str] | None = None
    for result in report.results:
        if current is None or current[0] != result.node_shape:
            lines.append(_compact(result.node_shape))
            current = (result.node_shape, "")
        if current[1] != result.focus_node:
            lines.append(f"  {result.focus_node}")
            current = (result.node_shape, result.focus_node)
        path = _compact_terms(result.result_path) if result.result_path else "-"
        value = _display_value(result.value) if result.value else "-"
        lines.append(f"    {result.severity.value.capitalize()}  {path}  {value}  {result.message}")
    lines.append(verdict(report))
    return "\n".join(lines) + "\n"


def render_json(report: ValidationReport) -> str:
    """The report as JSON: conforms, counts, results (shapes and Turtle left out)."""
    payload = report.model_dump(mode="json", exclude={"shapes"})
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def render_turtle(report: ValidationReport) -> str:
    """The SHACL validation report graph in Turtle."""
    return report.report_turtle


def render_junit(report: ValidationReport, fail_on: Severity = Severity.violation) -> str:
    """JUnit XML for CI: one testcase per shape, failing on results at `fail_on` or worse."""
    by_shape: dict[tuple[str, str], list[ValidationResult]] = {
        (s.node_shape, s.source_shape): [] for s in report.shapes
    }
    for result in report.results:
        by_shape.setdefault((result.node_shape, result.source_shape), []).append(result)
    suite = ElementTree.Element("testsuite", name="scholarkg SHACL validation")
    failures = 0
    for (node_shape, source_shape), results in sorted(by_shape.items()):
        case = ElementTree.SubElement(
            suite, "testcase", classname=_compact(node_shape), name=_compact(source_shape)
        )
        failing = [r for r in results if _RANK[r.severity] >= _RANK[fail_on]]
        passing = [r for r in results if _RANK[r.severity] < _RANK[fail_on]]
        if failing:
            failures += 1
            worst = max((r.severity for r in failing), key=_RANK.__getitem__)
            failure = ElementTree.SubElement(
                case, "failure", type=worst.value, message=_plural(len(failing), "result")
            )
            failure.text = "\n".join(_junit_line(r) for r in failing)
        if passing:
            ElementTree.SubElement(case, "system-out").text = "\n".join(
                _junit_line(r) for r in passing
            )
    suite.set("tests", str(len(by_shape)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suites = ElementTree.Element(
        "testsuites",
        name="scholarkg validate",
        tests=str(len(by_shape)),
        failures=str(failures),
        errors="0",
    )
    suites.append(suite)
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _junit_line(result: ValidationResult) -> str:
    path = _compact_terms(result.result_path) if result.result_path else "-"
    value = result.value or "-"
    return f"{result.severity.value}: {result.focus_node} {path} {value}: {result.message}"


__all__ = [
    "CheckedShape",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "check_shapes",
    "load_shapes",
    "ontology_dir",
    "render_json",
    "render_junit",
    "render_text",
    "render_turtle",
    "validate_graph",
    "verdict",
]

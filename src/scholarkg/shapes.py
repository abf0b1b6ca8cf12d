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

import functools
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, cast

import rdflib
from pyshacl import validate as pyshacl_validate
from pyshacl.errors import ReportableRuntimeError
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor, Result
from rdflib.term import BNode, Identifier, Literal, Node, URIRef
from rdflib.util import guess_format

from scholarkg.errors import InputError
from scholarkg.reports import (
    DISPLAY_PREFIXES,
    CheckedShape,
    Severity,
    ValidationReport,
    ValidationResult,
)
from scholarkg.resources import ontology_dir
from scholarkg.shape_sparql import render_path
from scholarkg.vocab import DEFAULT_BASE

SHAPES_FILE = "shapes.ttl"
_SEVERITY_OF: dict[Node, Severity] = {
    SH.Violation: Severity.violation,
    SH.Warning: Severity.warning,
    SH.Info: Severity.info,
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_ESCAPES: dict[str, str | int | None] = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_LITERAL_ESCAPES = str.maketrans(_ESCAPES)


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
    """Validate `data` against `shapes` (the shipped shapes for `base` by default).

    `base` is used only when `shapes` is None (pass `load_shapes(path, base)` otherwise). A
    Dataset is validated as the union of its graphs, the way queries see it.
    """
    shapes_graph = shapes if shapes is not None else load_shapes(base=base)
    return _run_pyshacl(data, shapes_graph, inference="none", advanced=True)


@functools.lru_cache(maxsize=1024)
def _prepare(text: str, namespaces: tuple[tuple[str, str], ...]) -> Query:
    """A SPARQL text parsed and translated once (a pure function, memoised)."""
    return prepareQuery(text, initNs=dict(namespaces))


class _PreparedQueryGraph(rdflib.Graph):
    """A private copy of the data on which each distinct SPARQL text is parsed only once.

    pySHACL runs every SHACL-SPARQL constraint once per focus node, always with the same text and
    $this pre-bound through initBindings; rdflib would parse that text on every call, which is
    most of the cost of validation. Results are unchanged: a prepared query is evaluated with its
    initBindings exactly like the same text, and it is prepared with the namespaces rdflib would
    have used for the text (those bound in this graph).
    """

    def __init__(self) -> None:
        super().__init__()
        self._namespace_key: tuple[tuple[str, str], ...] | None = None

    def query(
        self,
        query_object: str | Query,
        processor: str | Processor = "sparql",
        result: str | type[Result] = "sparql",
        initNs: Mapping[str, Any] | None = None,  # noqa: N803 (rdflib's name)
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        """Run a query, a SPARQL text parsed the first time it is seen only."""
        if (
            isinstance(query_object, str)
            and processor == "sparql"
            and initNs is None
            and not kwargs
        ):
            if self._namespace_key is None:
                self._namespace_key = tuple(sorted((p, str(n)) for p, n in self.namespaces()))
            query_object = _prepare(query_object, self._namespace_key)
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def _private_copy(data: rdflib.Graph) -> _PreparedQueryGraph:
    """The triples of `data` (of all its graphs, for a Dataset) in a graph pySHACL may use in place.

    A Dataset is flattened here because, given one, pySHACL makes rdflib go through its
    deprecated default_context API, which the test suite (warnings as errors) rejects.
    """
    copy = _PreparedQueryGraph()
    for prefix, namespace in data.namespaces():
        copy.bind(prefix, namespace, override=True)
    if isinstance(data, rdflib.ConjunctiveGraph):  # Dataset is one too
        copy.addN((s, p, o, copy) for s, p, o, _graph in data.quads((None, None, None, None)))
    else:
        copy.addN((s, p, o, copy) for s, p, o in data)
    return copy


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
            _private_copy(data),
            shacl_graph=shapes,
            inplace=True,
            advanced=advanced,
            inference=inference,
            allow_warnings=True,
        )
    except ReportableRuntimeError as exc:
        raise InputError(f"the shapes graph cannot be used for validation: {exc}") from exc
    conforms, report_graph = bool(outcome[0]), cast(rdflib.Graph, outcome[1])
    for prefix, namespace in DISPLAY_PREFIXES.items():
        report_graph.bind(prefix, namespace, replace=True)
    results = sorted(
        (_read_result(report_graph, shapes, node) for node in _result_nodes(report_graph)),
        key=ValidationResult.sort_key,
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
        result_path=render_path(report, path) if path is not None else None,
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
            return f"{_node_id(owner)}[{render_path(graph, path)}]"
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


# --- renderers -------------------------------------------------------------------------------

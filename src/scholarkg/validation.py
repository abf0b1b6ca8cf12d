"""SHACL validation as SPARQL queries on the store: fast enough for the whole store or a new source.

`scholarkg.shapes` runs pySHACL, which checks one focus node at a time in Python. This engine
runs the shapes compiled by `scholarkg.shape_queries` (a few queries per shape, each returning
only violations) on the store's union graph, and reports the same results as pySHACL in the same
`ValidationReport` model: pySHACL is the oracle in the tests. It follows pySHACL where pySHACL
departs from the letter of SHACL: sh:flags keeps only "i" and "m", sh:pattern has Python's `$`
(which also matches before a final newline), sh:languageIn compares a tag or its first subtag
case-insensitively, sh:datatype checks well-formedness only of the datatypes rdflib parses,
messages of SPARQL constraints substitute `{?var}` / `{$var}` with the plain text of the
binding, and results repeat where pySHACL's do (one per failing sh:lessThanOrEquals pair, one
per duplicated language of sh:uniqueLang).

A SPARQL constraint's $this is bound by testing each solution (scan) or by joining the focus
nodes first (driven), which equals pySHACL's pre-binding unless $this occurs only in a FILTER or
BIND of a nested group that does not bind it.

With `focus_graph`, only focus nodes that are subjects in that named graph are checked, against
everything the union graph holds: the check of a newly loaded source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Literal, Node, URIRef

from scholarkg.errors import QueryError, UsageError
from scholarkg.reports import Severity, ValidationReport, ValidationResult
from scholarkg.shape_queries import (
    CHECK,
    SET,
    CompiledQuery,
    CompiledShapes,
    Kind,
    UnsupportedShapesError,
    compile_shapes,
    unsupported_features,
)
from scholarkg.shape_sparql import LITERAL_ESCAPES, sparql_term
from scholarkg.terms import IRI, XSD_STRING, AnyTerm
from scholarkg.terms import BNode as StoreBNode
from scholarkg.terms import Literal as StoreLiteral

if TYPE_CHECKING:
    from scholarkg.backend import GraphStore

__all__ = [
    "CompiledShapes",
    "UnsupportedShapesError",
    "compile_shapes",
    "unsupported_features",
    "validate_store",
]

DRIVEN_LIMIT = 20_000  # more focus nodes of one shape than this: scan, do not list them
_CHUNK = 20_000  # IRIs listed in one VALUES block
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SEVERITY_IRI = {Severity.violation: "sh:Violation", Severity.warning: "sh:Warning"}
_SEVERITY_IRI[Severity.info] = "sh:Info"


# --- the focus nodes -------------------------------------------------------------------------


def _typed(types: tuple[str, ...]) -> str:
    """A pattern binding ?this to the instances of the types (a node typed twice, twice)."""
    typed = [f"?this <{RDF.type}> <{t}> ." for t in types]
    return typed[0] if len(typed) == 1 else " UNION ".join("{ " + t + " }" for t in typed)


def _is_typed(types: tuple[str, ...]) -> str:
    """A test that ?this is an instance of the types.

    Written with VALUES: the store turns an EXISTS of one constant triple into a join that it
    evaluates before the constraint's own patterns, which is several times slower.
    """
    listed = " ".join(f"<{t}>" for t in types)
    return f"EXISTS {{ VALUES ?skgType {{ {listed} }} ?this <{RDF.type}> ?skgType }}"


def _in_graph(graph: str) -> str:
    return f"GRAPH <{graph}> {{ ?this ?skgFocusP ?skgFocusO }}"


def _subclasses(store: GraphStore, classes: tuple[str, ...]) -> tuple[str, ...]:
    """The classes and their subclasses through rdfs:subClassOf* in the data (sorted)."""
    found = set(classes)
    for name in classes:
        text = f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{name}> }}"
        found.update(str(row[0]) for row in store.query(text).rows if isinstance(row[0], IRI))
    return tuple(sorted(found))


def _scan_text(query: CompiledQuery, types: tuple[str, ...], graph: str | None) -> str:
    """The scan form for all focus nodes (instances of `types`), or those subjects in `graph`."""
    if graph is None:
        focus_set, focus_test = _typed(types), _is_typed(types)
    else:
        in_graph = f"{{ SELECT DISTINCT ?this WHERE {{ {_in_graph(graph)} }} }}"
        focus_set = f"{in_graph} {_typed(types)}"
        focus_test = f"EXISTS {{ {_in_graph(graph)} }} && {_is_typed(types)}"
    return query.text.replace(SET, focus_set).replace(CHECK, focus_test)


def _check_graph(graph: str) -> str:
    if not graph or _IRI_FORBIDDEN.search(graph) or ":" not in graph:
        raise UsageError(f"focus graph {graph!r} is not an absolute IRI; pass a named graph's IRI")
    return graph


def _typed_subjects(store: GraphStore, graph: str) -> dict[AnyTerm, set[str]]:
    """The subjects of a named graph with their types (stated in any graph)."""
    text = f"SELECT DISTINCT ?this WHERE {{ {_in_graph(graph)} }}"
    subjects = [row[0] for row in store.query(text).rows if row[0] is not None]
    typed: dict[AnyTerm, set[str]] = {}
    # listed, not joined: the store would join the subjects with every typed node
    types = f"SELECT ?this ?type WHERE {{ {SET} ?this <{RDF.type}> ?type }}"
    iris = [n for n in subjects if isinstance(n, IRI)]
    chunks = [iris[i : i + _CHUNK] for i in range(0, len(iris), _CHUNK)]
    answers = [store.query(types.replace(SET, _values(chunk))) for chunk in chunks]
    answers += [
        store.query(types.replace(SET, ""), {"this": n}) for n in subjects if not isinstance(n, IRI)
    ]
    for answer in answers:
        for this, kind in answer.rows:
            if this is not None and isinstance(kind, IRI):
                typed.setdefault(this, set()).add(str(kind))
    return typed


def _values(iris: list[IRI]) -> str:
    return "VALUES ?this { " + " ".join(f"<{n}>" for n in iris) + " }"


# --- rows to results -------------------------------------------------------------------------


def _plain(term: AnyTerm) -> str:
    """The plain text of a term, as str() of an rdflib term (for messages and focus nodes)."""
    return term.lexical if isinstance(term, StoreLiteral) else str(term)


def _focus_id(term: AnyTerm) -> str:
    return f"_:{term}" if isinstance(term, StoreBNode) else _plain(term)


def _ntriples(term: AnyTerm) -> str:
    """A term in N-Triples syntax, as scholarkg.shapes renders values."""
    if isinstance(term, StoreLiteral):
        text = '"' + term.lexical.translate(LITERAL_ESCAPES) + '"'
        if term.lang:
            return f"{text}@{term.lang}"
        return text if term.datatype == XSD_STRING else f"{text}^^<{term.datatype}>"
    if isinstance(term, StoreBNode):
        return f"_:{term}"
    return f"<{term}>"


def _substitute(message: str, bindings: dict[str, AnyTerm]) -> str:
    """`{?var}` and `{$var}` replaced by the plain text of the binding (as pySHACL does)."""
    for name, term in bindings.items():
        message = re.sub(r"\{[?$]" + re.escape(name) + r"\}", _text(_plain(term)), message)
    return message


def _text(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken literally (pySHACL's re.sub would read backslashes as escapes)."""
    return lambda _match: text


@dataclass(frozen=True)
class _Found:
    """One result, with the nodes the report graph needs."""

    check: int
    focus: AnyTerm
    value: AnyTerm | None
    path: AnyTerm | None
    messages: tuple[Literal, ...]


class _Collector:
    """Turns rows into results, each distinct key once (which is pySHACL's multiplicity)."""

    def __init__(self, compiled: CompiledShapes) -> None:
        self.checks = compiled.checks
        self.found: dict[tuple[object, ...], _Found] = {}

    def add(
        self,
        check: int,
        key: tuple[object, ...],
        focus: AnyTerm,
        value: AnyTerm | None,
        path: AnyTerm | None = None,
        bindings: dict[str, AnyTerm] | None = None,
    ) -> None:
        if key in self.found:
            return
        messages = self.checks[check].messages
        if bindings is not None:
            messages = tuple(Literal(_substitute(str(m), bindings)) for m in messages)
        self.found[key] = _Found(check, focus, value, path, messages)

    def rows(
        self,
        query: CompiledQuery,
        variables: tuple[str, ...],
        rows: Iterable[tuple[AnyTerm | None, ...]],
    ) -> None:
        column = {name: i for i, name in enumerate(variables)}
        for row in rows:
            focus = row[column["this"]]
            if focus is None:
                continue
            value = row[column["value"]] if "value" in column else focus
            if query.kind == Kind.FLAGS:
                for name, check in query.flags:
                    flag = row[column[name]]
                    if isinstance(flag, StoreLiteral) and flag.lexical == "true":
                        self.value_result(check, focus, value)
            elif query.kind == Kind.ROWS:
                self.value_result(query.check, focus, value)
            elif query.kind == Kind.PAIRS:
                self.add(
                    query.check, (query.check, focus, value, row[column["other"]]), focus, value
                )
            elif query.kind == Kind.LANGS:
                self.add(query.check, (query.check, focus, row[column["lang"]]), focus, None)
            else:
                self.sparql_row(query.check, focus, column, row)

    def value_result(self, check: int, focus: AnyTerm, value: AnyTerm | None) -> None:
        shown = value if self.checks[check].with_value else None
        self.add(check, (check, focus, shown), focus, shown)

    def sparql_row(
        self, check: int, focus: AnyTerm, column: dict[str, int], row: tuple[AnyTerm | None, ...]
    ) -> None:
        bound = {name: term for name, i in column.items() if (term := row[i]) is not None}
        others = {k: v for k, v in bound.items() if k not in ("this", "path", "value")}
        value = bound.get("value")
        if value is None and self.checks[check].path_node is None:
            value = focus  # a node shape's SPARQL constraint reports the focus node
        path = bound.get("path")
        # pySHACL fills messages from the other variables first, then this, path and value
        bindings = {**others, "this": focus}
        bindings.update({k: v for k, v in (("path", path), ("value", value)) if v is not None})
        key = (check, focus, path, value, tuple(sorted(others.items())))
        self.add(check, key, focus, value, path, bindings)

    def results(self) -> list[tuple[ValidationResult, _Found]]:
        out = []
        for found in self.found.values():
            check = self.checks[found.check]
            result = ValidationResult(
                severity=check.severity,
                source_shape=check.source_shape,
                node_shape=check.node_shape,
                focus_node=_focus_id(found.focus),
                result_path=_plain(found.path) if found.path is not None else check.result_path,
                value=_ntriples(found.value) if found.value is not None else None,
                message=" ".join(sorted({str(m) for m in found.messages})),
                constraint_component=check.constraint_component,
            )
            out.append((result, found))
        out.sort(key=lambda pair: pair[0].sort_key())
        return out


# --- validation ------------------------------------------------------------------------------


def _run(
    store: GraphStore,
    compiled: CompiledShapes,
    query: CompiledQuery,
    text: str,
    collector: _Collector,
    substitutions: dict[str, AnyTerm] | None = None,
) -> None:
    try:
        answer = store.query(text, substitutions)
    except QueryError as exc:
        checks = [c for _, c in query.flags] or [query.check]
        shapes = ", ".join(sorted({compiled.checks[c].source_shape for c in checks}))
        raise QueryError(f"the store could not check {shapes}: {exc.message}") from None
    collector.rows(query, answer.variables, answer.rows)


def validate_store(
    store: GraphStore, compiled: CompiledShapes, *, focus_graph: str | None = None
) -> ValidationReport:
    """Validate the store's union graph, or only the focus nodes that are subjects in a graph."""
    collector = _Collector(compiled)
    # the target classes with their subclasses, found once (the data does not change meanwhile)
    types = {c: _subclasses(store, c) for c in {q.classes for q in compiled.scan}}
    if focus_graph is None:
        for query in compiled.scan:
            _run(store, compiled, query, _scan_text(query, types[query.classes], None), collector)
        return _report(compiled, collector)
    graph = _check_graph(focus_graph)
    typed = _typed_subjects(store, graph)
    focus = {c: [n for n, k in typed.items() if k.intersection(t)] for c, t in types.items()}
    for query in compiled.scan:  # shapes with many focus nodes in the graph: scan
        if len(focus[query.classes]) > DRIVEN_LIMIT:
            text = _scan_text(query, types[query.classes], graph)
            _run(store, compiled, query, text, collector)
    for query in compiled.driven:  # the others: list the focus nodes
        nodes = focus[query.classes]
        if not nodes or len(nodes) > DRIVEN_LIMIT:
            continue
        iris = [n for n in nodes if isinstance(n, IRI)]
        if iris:
            _run(store, compiled, query, query.text.replace(SET, _values(iris)), collector)
        for node in nodes:  # a blank node cannot be written in a query: bind it instead
            if not isinstance(node, IRI):
                text = query.text.replace(SET, "")
                _run(store, compiled, query, text, collector, {"this": node})
    return _report(compiled, collector)


def _report(compiled: CompiledShapes, collector: _Collector) -> ValidationReport:
    pairs = collector.results()
    results = tuple(result for result, _ in pairs)
    counts = {severity: 0 for severity in Severity}
    for result in results:
        counts[result.severity] += 1
    conforms = counts[Severity.violation] == 0
    return ValidationReport(
        conforms=conforms,
        results=results,
        counts=counts,
        shapes=compiled.shapes,
        report_turtle=_report_turtle(compiled, conforms, [found for _, found in pairs]),
    )


# --- the SHACL report graph ------------------------------------------------------------------


def _turtle(graph: rdflib.Graph, node: Node, depth: int = 0) -> str:
    """A node of the shapes graph in Turtle, a blank node written out with what it holds."""
    if isinstance(node, (URIRef, Literal)):
        return sparql_term(node)
    if depth > 16:
        return "[]"
    if graph.value(node, RDF.first) is not None:
        items = " ".join(_turtle(graph, n, depth + 1) for n in Collection(graph, node))
        return f"( {items} )"
    pairs = sorted(graph.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1])))
    return "[ " + " ; ".join(f"<{p}> {_turtle(graph, o, depth + 1)}" for p, o in pairs) + " ]"


def _report_turtle(compiled: CompiledShapes, conforms: bool, found: list[_Found]) -> str:
    """The SHACL validation report graph in Turtle, with the results pySHACL would write."""
    graph = compiled.graph
    lines = [
        f"@prefix sh: <{SH}> .",
        "",
        "[] a sh:ValidationReport ;",
        f"    sh:conforms {'true' if conforms else 'false'}" + (" ;" if found else " ."),
    ]
    for index, item in enumerate(found):
        check = compiled.checks[item.check]
        parts = [
            "a sh:ValidationResult",
            f"sh:focusNode {_ntriples(item.focus)}",
            f"sh:resultSeverity {_SEVERITY_IRI[check.severity]}",
            f"sh:sourceConstraintComponent <{check.constraint_component}>",
            f"sh:sourceShape {_turtle(graph, check.shape_node)}",
        ]
        if item.path is not None:
            parts.append(f"sh:resultPath {_ntriples(item.path)}")
        elif check.path_node is not None:
            parts.append(f"sh:resultPath {_turtle(graph, check.path_node)}")
        if item.value is not None:
            parts.append(f"sh:value {_ntriples(item.value)}")
        if check.source_constraint is not None:
            parts.append(f"sh:sourceConstraint {_turtle(graph, check.source_constraint)}")
        parts += [f"sh:resultMessage {sparql_term(m)}" for m in item.messages]
        end = " ." if index == len(found) - 1 else " ;"
        lines.append("    sh:result [ " + " ;\n        ".join(parts) + " ]" + end)
    return "\n".join(lines) + "\n"

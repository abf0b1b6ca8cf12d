"""SHACL shapes translated into SPARQL SELECT queries that return violations (see validation).

Each root shape (a node shape with sh:targetClass) becomes a few queries over its focus nodes. A
query is kept in two forms, with placeholders the runner fills in:

* the scan form, for many focus nodes: it reads a property's triples once and tests the focus
  (`#@check@#`, a boolean on ?this) only where a constraint fails, or subtracts (MINUS) the
  nodes that have enough values from the focus set (`#@set@#`, a pattern binding ?this). On an
  on-disk store a scan costs a fraction of a point lookup per focus node;
* the driven form, for a few focus nodes (a newly loaded source): `#@set@#` becomes a VALUES
  block of the focus nodes, and constraints are looked up from them.

The focus nodes of a root shape are the instances of its target classes and of their subclasses
through rdfs:subClassOf* in the data, as in pySHACL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Literal, Node, URIRef

from scholarkg.errors import InputError
from scholarkg.reports import CheckedShape, Severity
from scholarkg.shape_sparql import (
    LITERAL_ESCAPES,
    TARGETS,
    checked_shapes,
    instance_of,
    node_id,
    projections,
    python_regex,
    query_braces,
    render_path,
    shape_name,
    shape_owner,
    sparql_path,
    sparql_term,
)

SET = "#@set@#"
CHECK = "#@check@#"
_SEVERITY_OF: dict[Node, Severity] = {
    SH.Violation: Severity.violation,
    SH.Warning: Severity.warning,
}
_SEVERITY_OF[SH.Info] = Severity.info
_MAX_PAIRWISE = 4  # the driven form checks counts up to 3 with one EXISTS of distinct values

# parameters checked on each value node (and on the focus node of a node shape)
_VALUE_PARAMS = {
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">"}
_COMPARISONS[SH.maxExclusive] = "<"
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
# datatypes whose well-formedness rdflib (so pySHACL) checks, with the same test in SPARQL
_WELL_FORMED: dict[Node, str] = {
    XSD.integer: "isNumeric({v})",
    XSD.decimal: "isNumeric({v})",
    XSD.double: "isNumeric({v})",
    XSD.float: "isNumeric({v})",
    XSD.boolean: "IF({v}, true, true)",
    XSD.date: "isNumeric(YEAR({v}))",
    XSD.dateTime: "isNumeric(YEAR({v}))",
    XSD.time: "isNumeric(HOURS({v}))",
}
# datatypes rdflib does not parse: pySHACL compares only the datatype IRI
_UNCHECKED = {XSD.string, XSD.anyURI, XSD.gYear, XSD.gYearMonth, XSD.gMonth, XSD.gMonthDay}
_UNCHECKED |= {XSD.gDay, XSD.normalizedString, XSD.token, XSD.language}
_NON_VALIDATING = {RDF.type, SH.name, SH.description, SH.order, SH.group, SH.defaultValue}
_COMMON = {SH.severity, SH.message, SH.deactivated, SH.flags}
_ROOT_PARAMS = _COMMON | {SH.targetClass, SH.property, SH.sparql}
_PROPERTY_PARAMS = _COMMON | {SH.path, SH.sparql, SH.minCount, SH.maxCount, SH.uniqueLang}
_PROPERTY_PARAMS |= {SH.lessThanOrEquals, SH.hasValue, SH.qualifiedValueShape}
_PROPERTY_PARAMS |= {SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint}
_INNER_PARAMS = {SH.flags, SH.hasValue, SH.severity, SH.message}
_SPARQL_PARAMS = {SH.select, SH.prefixes, SH.message, SH.deactivated}
_DEFAULT_PREFIXES = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
_DOLLAR_PATH = re.compile(r"([\s{}()])[$?]PATH\b")
_DOLLAR_THIS = re.compile(r"([\s{}()])[$?]this\b")
_FORBIDDEN_SPARQL = re.compile(r"\b(MINUS|VALUES|SERVICE)\b|[$?](shapesGraph|currentShape)\b", re.I)


class UnsupportedShapesError(InputError):
    """A shapes graph using SHACL features the SPARQL engine does not translate (exit 2)."""

    kind = "unsupported-shapes"


class Kind:
    """What the rows of a query are (plain strings, compared by the runner)."""

    FLAGS = "flags"  # ?this [?value] and one boolean column per check
    ROWS = "rows"  # ?this [?value]: one result of one check per row
    PAIRS = "pairs"  # ?this ?value ?other: one result per failing pair (sh:lessThanOrEquals)
    LANGS = "langs"  # ?this ?lang: one result per duplicated language (sh:uniqueLang)
    SPARQL = "sparql"  # a SHACL-SPARQL constraint's own projection


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, as reported: everything of a result but its nodes."""

    severity: Severity
    source_shape: str
    node_shape: str
    result_path: str | None
    constraint_component: str
    messages: tuple[Literal, ...]
    sparql: bool  # SHACL-SPARQL: messages take {?var} substitutions, value and path from rows
    with_value: bool
    shape_node: Node
    path_node: Node | None
    source_constraint: Node | None = None


@dataclass(frozen=True)
class CompiledQuery:
    """One SELECT over the focus nodes of a root shape; every row holds at least one result."""

    classes: tuple[str, ...]  # the root shape's target classes
    text: str  # with SET and/or CHECK placeholders
    kind: str
    flags: tuple[tuple[str, int], ...] = ()  # (boolean column, check) for Kind.FLAGS
    check: int = -1  # the check of the other kinds


@dataclass(frozen=True)
class CompiledShapes:
    """A shapes graph translated to SPARQL: checks, queries in both forms, shapes checked."""

    checks: tuple[Check, ...]
    scan: tuple[CompiledQuery, ...]
    driven: tuple[CompiledQuery, ...]
    shapes: tuple[CheckedShape, ...]
    graph: rdflib.Graph = field(repr=False, compare=False)


def _in_focus(inner: str) -> str:
    """A scan: a sub-select finds candidates, then only those are tested for being focus nodes."""
    return f"{{ {inner} }}\n  FILTER({CHECK})"


# --- compilation -------------------------------------------------------------------------------


@dataclass
class _Root:
    """What is collected for one root shape."""

    node: Node
    classes: tuple[str, ...]
    driven_flags: list[tuple[str, int, str]] = field(default_factory=list)
    scan_flags: list[tuple[str, int, str]] = field(default_factory=list)
    values: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)  # per path
    subtracted: set[int] = field(default_factory=set)  # class checks scanned with MINUS


class _Compiler:
    """Walks a shapes graph once, collecting checks and queries, or what it cannot translate."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.problems: list[str] = []
        self.checks: list[Check] = []
        self.scan: list[CompiledQuery] = []
        self.driven: list[CompiledQuery] = []
        self.fresh = 0

    # -- helpers -------------------------------------------------------------------------

    def problem(self, shape: Node, text: str) -> None:
        message = f"{node_id(shape)}: {text}"
        if message not in self.problems:
            self.problems.append(message)

    def var(self, stem: str) -> str:
        self.fresh += 1
        return f"?skg{stem}{self.fresh}"

    def curie(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return node.n3(self.graph.namespace_manager)
        return node_id(node)

    def one(self, shape: Node, param: URIRef) -> Node | None:
        values = list(self.graph.objects(shape, param))
        if len(values) > 1:
            self.problem(shape, f"several values of {self.curie(param)}")
        return values[0] if values else None

    def is_true(self, shape: Node, param: URIRef) -> bool:
        value = self.one(shape, param)
        return isinstance(value, Literal) and value.value is True

    def integer(self, shape: Node, param: URIRef) -> int | None:
        value = self.one(shape, param)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.value, int) or value.value < 0:
            self.problem(shape, f"{self.curie(param)} is not an integer >= 0")
            return None
        return int(value.value)

    def items(self, shape: Node, head: Node) -> list[Node]:
        try:
            return list(Collection(self.graph, head))
        except Exception:  # rdflib raises various errors on a malformed list
            self.problem(shape, "a list value is not a well-formed RDF list")
            return []

    def constant(self, shape: Node, node: Node) -> str:
        try:
            return sparql_term(node)
        except ValueError as exc:
            self.problem(shape, str(exc))
            return "?skgUnbound"

    def same_term(self, shape: Node, v: str, node: Node) -> str:
        """sameTerm(v, node), never an error, for a constant node. Written with = on IRIs and
        with the parts of a literal, because Virtuoso 7.2 gets sameTerm with a constant wrong
        (unbound for an IRI, false for an equal literal); both engines agree on this form."""
        if isinstance(node, URIRef):
            return f"({v} = {self.constant(shape, node)})"
        if not isinstance(node, Literal):
            return f"sameTerm({v}, {self.constant(shape, node)})"
        self.constant(shape, node)  # reports a literal that cannot be written
        text = str(node).translate(LITERAL_ESCAPES)
        if node.language:
            lang = node.language.lower()
            return f'(isLiteral({v}) && LANG({v}) = "{lang}" && STR({v}) = "{text}")'
        datatype = node.datatype or XSD.string
        return (
            f'(isLiteral({v}) && LANG({v}) = "" && DATATYPE({v}) = <{datatype}>'
            f' && STR({v}) = "{text}")'
        )

    def check_params(self, shape: Node, allowed: set[URIRef], role: str) -> None:
        for predicate in sorted(set(self.graph.predicates(shape, None)), key=str):
            if not str(predicate).startswith(str(SH)) or predicate in _NON_VALIDATING:
                continue
            if predicate not in allowed and predicate not in _VALUE_PARAMS:
                self.problem(shape, f"{self.curie(predicate)} on a {role} is not supported")

    def value_constraints(self, shape: Node) -> Iterator[tuple[URIRef, Node]]:
        for param in _VALUE_PARAMS:
            for value in sorted(self.graph.objects(shape, param), key=str):
                yield param, value

    # -- conditions on one node ------------------------------------------------------------

    def conforms(self, shape: Node, v: str, depth: int = 0) -> str:
        """An expression, never an error, true iff `v` conforms to a shape inside another."""
        if depth > 8:
            self.problem(shape, "shapes nested too deeply")
            return "true"
        self.check_params(shape, _INNER_PARAMS, "shape inside sh:not, sh:or or sh:and")
        if self.is_true(shape, SH.deactivated) or (shape, SH.path, None) in self.graph:
            self.problem(shape, "a deactivated or property shape inside a logical constraint")
        parts = [
            self.condition(shape, p, value, v, depth) for p, value in self.value_constraints(shape)
        ]
        has_value = self.one(shape, SH.hasValue)
        if has_value is not None:
            parts.append(self.same_term(shape, v, has_value))
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def condition(self, shape: Node, param: URIRef, value: Node, v: str, depth: int = 0) -> str:
        """An expression, never an error, true iff `v` satisfies one value constraint."""
        if param == SH.datatype:
            return self.datatype(shape, value, v)
        if param == SH.nodeKind:
            if value not in _NODE_KINDS:
                self.problem(shape, f"unknown sh:nodeKind {value}")
                return "true"
            return _NODE_KINDS[value].format(v=v)
        if param == SH["class"]:
            return f"EXISTS {{ {instance_of(v, self.constant(shape, value))} }}"
        if param == SH.pattern:
            return self.pattern(shape, value, v)
        if param in (SH.minLength, SH.maxLength):
            limit = self.integer(shape, param)
            if limit is None or (param == SH.minLength and limit == 0):
                return "true"
            op = ">=" if param == SH.minLength else "<="
            return _true(f"!isBlank({v}) && STRLEN(STR({v})) {op} {limit}")
        if param == SH.languageIn:
            return self.language_in(shape, value, v)
        if param == SH["in"]:
            options = [self.same_term(shape, v, t) for t in self.items(shape, value)]
            return "(" + " || ".join(options) + ")" if options else "false"
        if param in _COMPARISONS:
            bound = self.constant(shape, value)
            return _true(f"isLiteral({v}) && {v} {_COMPARISONS[param]} {bound}")
        if param == SH["not"]:
            return f"!{self.conforms(value, v, depth + 1)}"
        members = [self.conforms(s, v, depth + 1) for s in self.items(shape, value)]
        if param == SH["or"]:
            return _any_of(members)
        return "(" + " && ".join(members) + ")" if members else "true"  # sh:and

    def datatype(self, shape: Node, datatype: Node, v: str) -> str:
        if datatype == RDFS.Literal:
            return f"isLiteral({v})"
        if datatype == RDF.langString:
            return _true(f'LANG({v}) != ""')
        same = f"DATATYPE({v}) = <{datatype}>"
        if datatype in _WELL_FORMED:
            return _true(f"{same} && {_WELL_FORMED[datatype].format(v=v)}")
        if datatype not in _UNCHECKED:
            self.problem(
                shape, f"sh:datatype {datatype}: rdflib's well-formedness test is not reproduced"
            )
        return _true(same)

    def pattern(self, shape: Node, pattern: Node, v: str) -> str:
        flags_node = self.one(shape, SH.flags)
        # pySHACL honours only the i and m flags
        flags = "".join(f for f in "im" if flags_node is not None and f in str(flags_node).lower())
        try:
            regex = python_regex(str(pattern), flags).translate(LITERAL_ESCAPES)
        except ValueError as exc:
            self.problem(shape, f"sh:pattern {str(pattern)!r}: {exc}")
            return "true"
        return _true(f'!isBlank({v}) && REGEX(STR({v}), "{regex}", "{flags}")')

    def language_in(self, shape: Node, languages: Node, v: str) -> str:
        wanted = [str(t).lower().translate(LITERAL_ESCAPES) for t in self.items(shape, languages)]
        if "*" in wanted:
            return _true(f'LANG({v}) != ""')
        lang = f"LCASE(LANG({v}))"
        first = f'IF(CONTAINS({lang}, "-"), STRBEFORE({lang}, "-"), {lang})'
        tests = " || ".join(f'{lang} = "{w}" || {first} = "{w}"' for w in wanted) or "false"
        return _true(f'LANG({v}) != "" && ({tests})')

    def classes_of(self, shape: Node, param: URIRef, value: Node) -> list[Node] | None:
        """The classes of a sh:class, or of a sh:or of single sh:class shapes, else None."""
        if param == SH["class"]:
            return [value]
        if param != SH["or"]:
            return None
        classes = []
        for member in self.items(shape, value):
            params = set(self.graph.predicates(member, None)) - _NON_VALIDATING
            if params != {SH["class"]} or len(list(self.graph.objects(member, SH["class"]))) != 1:
                return None
            classes.append(self.graph.value(member, SH["class"]))
        return [c for c in classes if c is not None] or None

    # -- checks ----------------------------------------------------------------------------

    def add_check(
        self,
        shape: Node,
        component: URIRef,
        *,
        with_value: bool,
        constraint: Node | None = None,
    ) -> int:
        graph = self.graph
        owner = shape_owner(graph, shape)
        path = graph.value(shape, SH.path)
        messages = [m for m in graph.objects(shape, SH.message) if isinstance(m, Literal)]
        own: list[Literal] = []
        if constraint is not None:
            own = [m for m in graph.objects(constraint, SH.message) if isinstance(m, Literal)]
            own = [m for m in own if m not in messages]
        if not messages and not own:
            self.problem(shape, "no sh:message (pySHACL's generated messages are not reproduced)")
        severity = graph.value(shape, SH.severity) or SH.Violation
        if severity not in _SEVERITY_OF:
            self.problem(shape, f"unknown sh:severity {severity}")
        self.checks.append(
            Check(
                severity=_SEVERITY_OF.get(severity, Severity.violation),
                source_shape=shape_name(graph, shape, owner),
                node_shape=shape_name(graph, owner or shape, None),
                result_path=render_path(graph, path) if path is not None else None,
                constraint_component=str(component),
                messages=tuple(own + messages),
                sparql=constraint is not None,
                with_value=with_value,
                shape_node=shape,
                path_node=path,
                source_constraint=constraint,
            )
        )
        return len(self.checks) - 1

    def query(self, root: _Root, kind: str, check: int, scan: str, driven: str) -> None:
        self.scan.append(CompiledQuery(root.classes, scan, kind, check=check))
        self.driven.append(CompiledQuery(root.classes, driven, kind, check=check))

    def compile_root(self, node: Node) -> None:
        graph = self.graph
        self.check_params(node, _ROOT_PARAMS, "node shape")
        if (node, SH.path, None) in graph:
            self.problem(node, "a property shape with targets is not supported")
            return
        if set(graph.objects(node, RDF.type)) & {RDFS.Class, OWL.Class}:
            self.problem(node, "implicit class targets (a shape that is a class) are not supported")
        for target in TARGETS[1:]:
            if (node, target, None) in graph:
                self.problem(node, f"{self.curie(target)} is not supported")
        targets = list(graph.objects(node, SH.targetClass))
        if any(not isinstance(c, URIRef) for c in targets):
            self.problem(node, "sh:targetClass must be an IRI")
            return
        if self.is_true(node, SH.deactivated):
            return
        # without sh:targetClass, another target is reported above; go on to find more
        root = _Root(node, tuple(sorted(str(c) for c in targets)))
        for param, value in self.value_constraints(node):
            check = self.add_check(node, _VALUE_PARAMS[param], with_value=True)
            flag = (self.var("F")[1:], check, "!" + self.condition(node, param, value, "?this"))
            root.driven_flags.append(flag)
            root.scan_flags.append(flag)
        for sparql in sorted(graph.objects(node, SH.sparql), key=str):
            self.compile_sparql(root, node, sparql, None)
        for prop in sorted(graph.objects(node, SH.property), key=str):
            self.compile_property(root, prop)
        for p, flags in root.values.items():  # the value constraints of one path, together
            pattern = f"  {SET}\n  ?this {p} ?value .\n"
            self.driven.append(_flags_query(root.classes, "?this ?value", pattern, flags))
            scanned = [flag for flag in flags if flag[1] not in root.subtracted]
            if scanned:
                condition = " || ".join(expression for _, _, expression in scanned)
                inner = f"SELECT ?this ?value WHERE {{ ?this {p} ?value FILTER({condition}) }}"
                where = f"  {_in_focus(inner)}\n"
                query = _flags_query(root.classes, "?this ?value", where, scanned, test=False)
                self.scan.append(query)
        if root.scan_flags:
            self.scan.append(_flags_query(root.classes, "?this", f"  {SET}\n", root.scan_flags))
        if root.driven_flags:
            query = _flags_query(root.classes, "?this", f"  {SET}\n", root.driven_flags)
            self.driven.append(query)

    def compile_property(self, root: _Root, prop: Node) -> None:
        graph = self.graph
        self.check_params(prop, _PROPERTY_PARAMS, "property shape")
        path = self.one(prop, SH.path)
        if path is None:
            self.problem(prop, "a sh:property without sh:path is not supported")
            return
        if any((prop, t, None) in graph for t in TARGETS):
            self.problem(prop, "a property shape with its own targets is not supported")
        if self.is_true(prop, SH.deactivated):
            return
        try:
            p = sparql_path(graph, path)
        except Exception:  # a malformed path or RDF list
            self.problem(prop, "sh:path is not a well-formed SHACL path")
            return
        self.compile_counts(root, prop, p)
        for other in sorted(graph.objects(prop, SH.lessThanOrEquals), key=str):
            self.compile_less_than_or_equals(root, prop, p, other)
        if self.is_true(prop, SH.uniqueLang):
            check = self.add_check(prop, SH.UniqueLangConstraintComponent, with_value=False)
            group = (
                f'?this {p} ?skgA FILTER(LANG(?skgA) != "") BIND(LCASE(LANG(?skgA)) AS ?lang) }}'
                " GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?skgA) > 1)"
            )
            scan = (
                "SELECT ?this ?lang WHERE {\n  "
                + _in_focus(f"SELECT ?this ?lang WHERE {{ {group}")
                + "\n}"
            )
            driven = f"SELECT ?this ?lang WHERE {{\n  {SET}\n  {group}"
            self.query(root, Kind.LANGS, check, scan, driven)
        flags: list[tuple[str, int, str]] = []
        for param, value in self.value_constraints(prop):
            check = self.add_check(prop, _VALUE_PARAMS[param], with_value=True)
            condition = self.condition(prop, param, value, "?value")
            flags.append((self.var("F")[1:], check, "!" + condition))
            classes = self.classes_of(prop, param, value)
            if classes is None:
                continue
            # a class test per value is a lookup; the scan subtracts all instances at once
            members = " UNION ".join(instance_of("?value", self.constant(prop, c)) for c in classes)
            inner = f"SELECT ?this ?value WHERE {{ ?this {p} ?value MINUS {{ {members} }} }}"
            text = f"SELECT ?this ?value WHERE {{\n  {_in_focus(inner)}\n}}"
            self.scan.append(CompiledQuery(root.classes, text, Kind.ROWS, check=check))
            root.subtracted.add(check)
        if flags:
            root.values.setdefault(p, []).extend(flags)
        for sparql in sorted(graph.objects(prop, SH.sparql), key=str):
            self.compile_sparql(root, prop, sparql, p)

    def compile_counts(self, root: _Root, prop: Node, p: str) -> None:
        """sh:minCount, sh:maxCount, sh:hasValue and qualified counts: one result per focus."""

        def at_least(count: int, test: Callable[[str], str] | None) -> str:
            """An EXISTS of `count` distinct values (that pass `test`), for the driven form."""
            names = [self.var("V") for _ in range(count)]
            triples = " ".join(f"?this {p} {n} ." for n in names)
            tests = [test(n) for n in names] if test is not None else []
            tests += [f"!sameTerm({a}, {b})" for i, a in enumerate(names) for b in names[i + 1 :]]
            return f"EXISTS {{ {triples} FILTER({' && '.join(tests) or 'true'}) }}"

        def having(op: str, count: int, test: Callable[[str], str] | None) -> str:
            """Focus nodes with `op count` distinct values (that pass `test`), for the scan form."""
            where = f"?this {p} ?skgV" + (f" FILTER({test('?skgV')})" if test else "")
            return (
                f"SELECT ?this WHERE {{ {where} }} GROUP BY ?this"
                f" HAVING (COUNT(DISTINCT ?skgV) {op} {count})"
            )

        def counted(
            component: URIRef, low: int | None, high: int | None, test: Callable[[str], str] | None
        ) -> None:
            if low:
                if low >= _MAX_PAIRWISE:
                    self.problem(
                        prop, f"a minimum count above {_MAX_PAIRWISE - 1} is not supported"
                    )
                    return
                check = self.add_check(prop, component, with_value=False)
                root.driven_flags.append((self.var("F")[1:], check, "NOT " + at_least(low, test)))
                if low == 1 and test is None:
                    subtract = f"?this {p} ?skgV"
                else:
                    subtract = having(">=", low, test)
                scan = f"SELECT ?this WHERE {{\n  {SET}\n  MINUS {{ {subtract} }}\n}}"
                self.scan.append(CompiledQuery(root.classes, scan, Kind.ROWS, check=check))
            if high is not None:
                if high + 1 >= _MAX_PAIRWISE:
                    self.problem(
                        prop, f"a maximum count above {_MAX_PAIRWISE - 2} is not supported"
                    )
                    return
                check = self.add_check(prop, component, with_value=False)
                root.driven_flags.append((self.var("F")[1:], check, at_least(high + 1, test)))
                scan = f"SELECT ?this WHERE {{\n  {_in_focus(having('>', high, test))}\n}}"
                self.scan.append(CompiledQuery(root.classes, scan, Kind.ROWS, check=check))

        counted(SH.MinCountConstraintComponent, self.integer(prop, SH.minCount), None, None)
        counted(SH.MaxCountConstraintComponent, None, self.integer(prop, SH.maxCount), None)
        has_value = self.one(prop, SH.hasValue)
        if has_value is not None:
            check = self.add_check(prop, SH.HasValueConstraintComponent, with_value=False)
            triple = f"?this {p} {self.constant(prop, has_value)}"
            root.driven_flags.append((self.var("F")[1:], check, f"NOT EXISTS {{ {triple} }}"))
            scan = f"SELECT ?this WHERE {{\n  {SET}\n  MINUS {{ {triple} }}\n}}"
            self.scan.append(CompiledQuery(root.classes, scan, Kind.ROWS, check=check))
        qualified = self.one(prop, SH.qualifiedValueShape)
        if qualified is None:
            return
        if self.is_true(prop, SH.qualifiedValueShapesDisjoint):
            self.problem(prop, "sh:qualifiedValueShapesDisjoint true is not supported")
        low = self.integer(prop, SH.qualifiedMinCount)
        high = self.integer(prop, SH.qualifiedMaxCount)
        if low is None and high is None:
            self.problem(prop, "sh:qualifiedValueShape without sh:qualifiedMin/MaxCount")

        def test(v: str) -> str:
            return self.conforms(qualified, v)

        # pySHACL reports a failing maximum before a failing minimum: same results either way
        counted(SH.QualifiedMaxCountConstraintComponent, None, high, test)
        counted(SH.QualifiedMinCountConstraintComponent, low, None, test)

    def compile_less_than_or_equals(self, root: _Root, prop: Node, p: str, other: Node) -> None:
        if not isinstance(other, URIRef):
            self.problem(prop, "sh:lessThanOrEquals must be an IRI")
            return
        check = self.add_check(prop, SH.LessThanOrEqualsConstraintComponent, with_value=True)

        # pySHACL compares IRIs and strings as text, other literals by value; a string against
        # a non-string, or values that do not compare, fail
        def textual(v: str) -> str:
            return (
                f"(isIRI({v}) || "
                + _true(f'DATATYPE({v}) = <{XSD.string}> || LANG({v}) != ""')
                + ")"
            )

        left, right = textual("?value"), textual("?other")
        unordered = _true("!(?value <= ?other)", error=True)
        failing = f"IF({left} != {right}, true, IF({left}, STR(?value) > STR(?other), {unordered}))"
        pattern = f"?this {p} ?value . ?this <{other}> ?other . FILTER({failing})"
        inner = f"SELECT ?this ?value ?other WHERE {{ {pattern} }}"
        scan = f"SELECT ?this ?value ?other WHERE {{\n  {_in_focus(inner)}\n}}"
        driven = f"SELECT ?this ?value ?other WHERE {{\n  {SET}\n  {pattern}\n}}"
        self.query(root, Kind.PAIRS, check, scan, driven)

    def compile_sparql(self, root: _Root, shape: Node, constraint: Node, p: str | None) -> None:
        self.check_params(constraint, _SPARQL_PARAMS, "SPARQL constraint")
        if self.is_true(constraint, SH.deactivated):
            return
        select = self.one(constraint, SH.select)
        if not isinstance(select, Literal):
            self.problem(shape, "a sh:sparql constraint without a sh:select string")
            return
        text = str(select)
        if _FORBIDDEN_SPARQL.search(text):
            self.problem(
                shape,
                "a SPARQL constraint with MINUS, VALUES, SERVICE, $shapesGraph or $currentShape "
                "is not supported",
            )
            return
        if not _DOLLAR_THIS.search(text):
            self.problem(shape, "a SPARQL constraint that does not use $this is not supported")
            return
        if _DOLLAR_PATH.search(text):
            if p is None:
                self.problem(shape, "a SPARQL constraint uses $PATH on a shape without sh:path")
                return
            text = _DOLLAR_PATH.sub(lambda m: m.group(1) + p, text)
        header = "".join(
            f"PREFIX {k}: <{ns}>\n" for k, ns in self.prefixes(shape, constraint).items()
        )
        try:
            parsed = prepareQuery(header + text)
        except Exception as exc:  # rdflib raises parser-specific errors
            self.problem(shape, f"the SPARQL constraint does not parse: {exc}")
            return
        projected = {str(v) for v in dict.get(parsed.algebra, "PV") or []}
        if "this" not in projected or "failure" in projected:
            self.problem(shape, "a SPARQL constraint must select $this (and not ?failure)")
            return
        if any("this" not in names for names in projections(parsed.algebra)):
            self.problem(shape, "a sub-select of a SPARQL constraint must select $this")
            return
        openings, closing = query_braces(text)
        if closing < 0:
            self.problem(shape, "the SPARQL constraint has no WHERE clause")
            return
        check = self.add_check(
            shape, SH.SPARQLConstraintComponent, with_value=True, constraint=constraint
        )
        # the scan form tests $this of each solution that passes the query's own filters (a
        # FILTER applies to its whole group; the last one is tested last); the driven form
        # joins the focus nodes first, in the query and in each sub-select (which selects $this)
        scan = f"{header}{text[:closing]}\n  FILTER({CHECK})\n{text[closing:]}"
        driven, start = header, 0
        for opening in openings:
            driven += f"{text[start : opening + 1]}\n  {SET}\n"
            start = opening + 1
        driven += text[start:]
        self.query(root, Kind.SPARQL, check, scan, driven)

    def prefixes(self, shape: Node, constraint: Node) -> dict[str, str]:
        """The prefixes a SPARQL constraint declares through sh:prefixes, read as pySHACL does."""
        graph = self.graph
        prefixes = dict(_DEFAULT_PREFIXES)
        ontologies = set(graph.subjects(RDF.type, OWL.Ontology))
        every = {d for o in ontologies for d in graph.objects(o, SH.declare)}
        for holder in graph.objects(constraint, SH.prefixes):
            own = set(graph.objects(holder, SH.declare))
            for declaration in own if own and holder in ontologies else every | own:
                prefix = graph.value(declaration, SH.prefix)
                namespace = graph.value(declaration, SH.namespace)
                if not isinstance(prefix, Literal) or not isinstance(namespace, Literal):
                    self.problem(shape, "an sh:declare without sh:prefix and sh:namespace")
                    continue
                prefixes[str(prefix)] = str(namespace)
        return prefixes


def _flags_query(
    classes: tuple[str, ...],
    head: str,
    pattern: str,
    flags: list[tuple[str, int, str]],
    *,
    test: bool = True,
) -> CompiledQuery:
    """Rows where at least one flag holds, each flag a column.

    The flags are computed in the projection and tested in one FILTER: a BIND in the pattern
    would make the store evaluate the group before joining the focus nodes. Each is cast to
    xsd:boolean, which it already is, except on Virtuoso 7.2: there a boolean expression gives
    xsd:integer 1/0, which a reader cannot tell from a number.
    """
    columns = " ".join(
        f"(<{XSD.boolean}>({expression}) AS ?{name})" for name, _, expression in flags
    )
    condition = " || ".join(expression for _, _, expression in flags)
    where = pattern + (f"  FILTER({condition})\n" if test else "")
    text = f"SELECT {head} {columns} WHERE {{\n{where}}}"
    return CompiledQuery(classes, text, Kind.FLAGS, tuple((n, check) for n, check, _ in flags))


def _compile(shapes: rdflib.Graph) -> _Compiler:
    compiler = _Compiler(shapes)
    roots: set[Node] = set()
    for target in TARGETS:
        roots.update(shapes.subjects(target, None))
    for root in sorted(roots, key=str):
        compiler.compile_root(root)
    return compiler


def unsupported_features(shapes: rdflib.Graph) -> list[str]:
    """What the SPARQL engine cannot translate in a shapes graph, one line per shape and feature."""
    return _compile(shapes).problems


def compile_shapes(shapes: rdflib.Graph) -> CompiledShapes:
    """Translate a shapes graph into SPARQL queries; UnsupportedShapesError names what it can't."""
    compiler = _compile(shapes)
    if compiler.problems:
        listed = "\n  ".join(compiler.problems)
        raise UnsupportedShapesError(
            "the shapes use SHACL features the SPARQL validation engine does not translate "
            f"(validate with pySHACL instead):\n  {listed}"
        )
    return CompiledShapes(
        checks=tuple(compiler.checks),
        scan=tuple(compiler.scan),
        driven=tuple(compiler.driven),
        shapes=checked_shapes(shapes),
        graph=shapes,
    )


def _exists_body(expression: str) -> str | None:
    """The group of an expression that is only ``EXISTS { ... }`` (in parentheses or not)."""
    while expression.startswith("(") and expression.endswith(")"):
        inner = expression[1:-1]
        if inner.count("(") != inner.count(")"):
            break
        expression = inner
    if not (expression.startswith("EXISTS {") and expression.endswith("}")):
        return None
    body = expression[len("EXISTS ") :]
    depth = 0
    for i, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and i != len(body) - 1:
            return None  # two groups, as in EXISTS {..} && EXISTS {..}
    return body


def _true(expression: str, *, error: bool = False) -> str:
    """True iff `expression` is true; an error counts as `error`. Written with IF and a number,
    not COALESCE(expression, false): Virtuoso 7.2 answers a negated COALESCE of a boolean
    wrongly in the projection when the FILTER holds the same test (rows kept, flag false)."""
    fallback = 1 if error else 0
    return f"(COALESCE(IF({expression}, 1, 0), {fallback}) = 1)"


def _any_of(members: list[str]) -> str:
    """A disjunction; alternatives that are all EXISTS become one EXISTS over a UNION (the
    same test, and Virtuoso 7.2 cannot compile ``EXISTS {..} || EXISTS {..}``)."""
    if not members:
        return "false"
    bodies = [_exists_body(m) for m in members]
    if len(members) > 1 and all(b is not None for b in bodies):
        return "EXISTS { " + " UNION ".join(b for b in bodies if b is not None) + " }"
    return "(" + " || ".join(members) + ")"

"""Validation reports: typed results of a SHACL validation and their renderings (text grouped by
shape and focus node, JSON, the SHACL report graph in Turtle, JUnit XML for CI systems)."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field
from rdflib.namespace import SH

from scholarkg.vocab import PREFIXES

DISPLAY_PREFIXES: dict[str, str] = {**PREFIXES, "sh": str(SH)}
_TEXT_VALUE_WIDTH = 60


class Severity(StrEnum):
    """Severity of a validation result, from sh:resultSeverity."""

    violation = "violation"
    warning = "warning"
    info = "info"


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

    def sort_key(self) -> tuple[str, ...]:
        """The order in which reports list results: by shape, focus node, path, then the rest."""
        return (
            self.node_shape,
            self.focus_node,
            self.result_path or "",
            self.source_shape,
            self.constraint_component,
            self.value or "",
            self.message,
            self.severity.value,
        )


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


def _compact(text: str) -> str:
    """An IRI as prefix:local with the prefixes of vocab (and sh:), else unchanged."""
    for prefix, namespace in sorted(DISPLAY_PREFIXES.items(), key=lambda p: -len(p[1])):
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

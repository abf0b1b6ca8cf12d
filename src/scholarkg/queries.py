"""Stored SPARQL queries: ``queries/<name>.rq`` files with a ``#+`` YAML header and typed
parameters that are bound as RDF terms, never spliced into the query text.

Header keys: ``title`` and ``description`` (required), ``tags``, ``params``. A parameter has a
``type`` (iri, string, integer, date, year, boolean, enum, person, concept), a ``description``,
``required`` or a ``default``, an ``example`` and, for enums, ``values``. Each parameter NAME is
the query variable ``?NAME``; a parameter left out without default leaves ``?NAME`` unbound.
Parameters are bound by substitution (SEP-0007), which asks a SELECT query to project every
parameter variable (and to group by it when aggregating); the runner leaves those constant
columns out of the answer.
Loading is strict: an unknown key, a parameter the query never uses, or a query that does not
parse is an error at load time, naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from scholarkg.errors import InputError, QueryError, UsageError
from scholarkg.formats import project
from scholarkg.iris import IriMinter, name_key
from scholarkg.records import Record
from scholarkg.resources import queries_dir
from scholarkg.store import EmbeddedStore, QueryKind, QueryResult
from scholarkg.terms import IRI, AnyTerm, Literal, boolean, plain, typed

_HEADER = re.compile(r"^#\+ ?(.*)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ABSOLUTE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f]+$")


class QueryDefinitionError(InputError):
    """A stored query file that does not follow the format."""

    kind = "query-definition-error"


class ParamType(StrEnum):
    """Types of stored-query parameters."""

    IRI = "iri"
    STRING = "string"
    INTEGER = "integer"
    DATE = "date"
    YEAR = "year"
    BOOLEAN = "boolean"
    ENUM = "enum"
    PERSON = "person"
    CONCEPT = "concept"


class QueryParam(Record):
    """One typed parameter of a stored query."""

    name: str = ""
    type: ParamType
    description: str
    required: bool = False
    default: str | int | bool | dt.date | None = None
    example: str | int | bool | dt.date | None = None
    values: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> QueryParam:
        if self.required and self.default is not None:
            raise ValueError("a required parameter cannot have a default")
        if (self.type is ParamType.ENUM) != bool(self.values):
            raise ValueError("'values' lists the choices of an enum parameter, and only of one")
        return self


class StoredQuery(Record):
    """A stored query: its header and its SPARQL text."""

    name: str
    path: str
    title: str
    description: str
    tags: tuple[str, ...] = ()
    params: dict[str, QueryParam] = Field(default_factory=dict)
    sparql: str

    @property
    def kind(self) -> QueryKind:
        """SELECT, ASK or a graph (CONSTRUCT/DESCRIBE) query, from its text."""
        body = _without_prologue(_strip_comments(self.sparql))
        keyword = body.split(None, 1)[0].upper() if body.strip() else ""
        return {
            "SELECT": QueryKind.SELECT,
            "ASK": QueryKind.ASK,
        }.get(keyword, QueryKind.GRAPH)


class _Header(Record):
    title: str
    description: str
    tags: tuple[str, ...] = ()
    params: dict[str, QueryParam] = Field(default_factory=dict)


def _strip_comments(sparql: str) -> str:
    """The query without comment lines (a '#' inside IRIs or strings is kept)."""
    out = []
    for line in sparql.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            continue
        out.append(line)
    return "\n".join(out)


def _is_select(body: str) -> bool:
    return re.search(r"(?i)^\s*SELECT\b", _without_prologue(body)) is not None


def _without_prologue(body: str) -> str:
    return re.sub(r"(?is)^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", "", body)


def parse_query_file(path: Path, store: EmbeddedStore | None = None) -> StoredQuery:
    """Read and check one stored query file (``store`` only checks that it parses)."""
    name = path.stem
    if not _NAME.match(name):
        raise QueryDefinitionError(f"{path}: query names are snake_case (a-z, 0-9, _)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryDefinitionError(f"{path}: cannot read ({exc})") from None
    header_lines: list[str] = []
    lines = text.splitlines()
    while lines and (match := _HEADER.match(lines[0])):
        header_lines.append(match.group(1))
        lines.pop(0)
    if not header_lines:
        raise QueryDefinitionError(f"{path}:1: expected a '#+' YAML header (title, description)")
    try:
        raw = yaml.safe_load("\n".join(header_lines))
    except yaml.YAMLError as exc:
        raise QueryDefinitionError(f"{path}: the '#+' header is not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise QueryDefinitionError(f"{path}: the '#+' header must be a YAML mapping")
    for key, param in (raw.get("params") or {}).items():
        if isinstance(param, dict):
            param["name"] = key
    try:
        header = _Header.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise QueryDefinitionError(f"{path}: invalid header: {problems}") from None
    sparql = "\n".join(lines).strip() + "\n"
    body = _strip_comments(sparql)
    where = re.search(r"(?i)\bWHERE\b|\{", _without_prologue(body))
    pattern = _without_prologue(body)[where.start() :] if where else ""
    projection = _without_prologue(body)[: where.start()] if where else ""
    for param in header.params:
        if not _NAME.match(param):
            raise QueryDefinitionError(f"{path}: parameter name {param!r} is not snake_case")
        if not re.search(rf"[?$]{param}\b", pattern):
            raise QueryDefinitionError(
                f"{path}: parameter {param!r} is declared but the query never uses ?{param}"
            )
        if re.search(rf"(?i)\bBOUND\s*\(\s*[?$]{param}\s*\)", pattern):
            # pyoxigraph's substitution leaves BOUND(?param) false even when a value is given
            raise QueryDefinitionError(
                f"{path}: BOUND(?{param}) cannot tell whether parameter {param!r} was given "
                "(it stays false when the value is substituted); test it with COALESCE or EXISTS"
            )
        if _is_select(body) and not re.search(rf"[?$]{param}\b", projection):
            raise QueryDefinitionError(
                f"{path}: a SELECT query projects its parameters: add ?{param} to SELECT "
                "(and to GROUP BY when aggregating)"
            )
    if store is not None:
        try:
            store.query(sparql)
        except QueryError as exc:
            raise QueryDefinitionError(f"{path}: {exc.message}") from None
    return StoredQuery(name=name, path=str(path), sparql=sparql, **header.model_dump())


def load_catalogue(folder: Path | None = None) -> dict[str, StoredQuery]:
    """Every stored query of a folder (the shipped ``queries/`` by default), by name."""
    folder = folder or queries_dir()
    checker = EmbeddedStore(None)
    try:
        return {p.stem: parse_query_file(p, checker) for p in sorted(folder.glob("*.rq"))}
    finally:
        checker.close()


def get_query(catalogue: dict[str, StoredQuery], name: str) -> StoredQuery:
    """A query of the catalogue by name, or a UsageError listing the names."""
    if name not in catalogue:
        raise UsageError(f"no stored query {name!r}; known: {', '.join(sorted(catalogue))}")
    return catalogue[name]


# -- binding parameters ------------------------------------------------------------------------


_PEOPLE = """
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT DISTINCT ?needle ?agent ?name WHERE {
  { ?agent foaf:name ?name } UNION { ?slot skg:author ?agent ; skg:nameAsWritten ?name }
  { ?agent a skg:Person } UNION { ?agent a skg:Organization }
  FILTER (CONTAINS(LCASE(STR(?name)), ?needle))
}
"""
_KNOWN_AGENT = """
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
ASK { { ?agent a skg:Person } UNION { ?agent a skg:Organization } }
"""
_CONCEPTS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?concept ?label WHERE {
  ?concept a skos:Concept ; skos:prefLabel|skos:altLabel ?label .
}
"""


class Binder:
    """Turns raw parameter values (text) into RDF terms, resolving people and concepts."""

    def __init__(self, store: EmbeddedStore, base: str) -> None:
        self.store = store
        self.minter = IriMinter(base)

    def bind(self, query: StoredQuery, raw: dict[str, str]) -> dict[str, AnyTerm]:
        """Typed terms for the query's parameters; a UsageError names a bad parameter."""
        unknown = sorted(set(raw) - set(query.params))
        if unknown:
            known = ", ".join(query.params) or "none"
            raise UsageError(
                f"query {query.name!r} has no parameter {unknown[0]!r} (parameters: {known})"
            )
        bound: dict[str, AnyTerm] = {}
        for name, param in query.params.items():
            value: Any = raw.get(name, param.default)
            if value is None:
                if param.required:
                    raise UsageError(
                        f"parameter {name!r} of {query.name!r} is required "
                        f"({param.description}; e.g. {param.example!r})"
                    )
                continue
            bound[name] = self.term(
                name, param, str(value) if not isinstance(value, str) else value
            )
        return bound

    def term(self, name: str, param: ParamType | QueryParam, value: str) -> AnyTerm:
        """One parameter value as an RDF term."""
        kind = param.type if isinstance(param, QueryParam) else param
        try:
            return self._term(kind, param, value)
        except (ValueError, TypeError):
            raise UsageError(f"parameter {name!r}: {value!r} is not a valid {kind}") from None

    def _term(self, kind: ParamType, param: ParamType | QueryParam, value: str) -> AnyTerm:
        if kind is ParamType.STRING:
            return Literal(value)
        if kind is ParamType.INTEGER:
            return typed(int(value.strip()), "integer")
        if kind is ParamType.YEAR:
            year = int(value.strip())
            if not 1 <= year <= 9999:
                raise ValueError(value)
            return typed(year, "integer")
        if kind is ParamType.DATE:
            return typed(dt.date.fromisoformat(value.strip()), "date")
        if kind is ParamType.BOOLEAN:
            lowered = value.strip().lower()
            if lowered not in {"true", "false", "yes", "no", "1", "0"}:
                raise ValueError(value)
            return boolean(lowered in {"true", "yes", "1"})
        if kind is ParamType.ENUM:
            assert isinstance(param, QueryParam)
            if value not in param.values:
                raise UsageError(
                    f"parameter {param.name!r}: {value!r} is not one of {', '.join(param.values)}"
                )
            return Literal(value)
        if kind is ParamType.IRI:
            if not _ABSOLUTE_IRI.match(value.strip()):
                raise ValueError(value)
            return IRI(value.strip())
        if kind is ParamType.PERSON:
            return self.resolve_agent(param.name if isinstance(param, QueryParam) else "", value)
        return self.resolve_concept(param.name if isinstance(param, QueryParam) else "", value)

    def resolve_agent(self, name: str, value: str) -> IRI:
        """A person or organisation given by IRI or by name."""
        value = value.strip()
        if _ABSOLUTE_IRI.match(value) and value.startswith(("http://", "https://")):
            return IRI(value)
        key = name_key(value)
        if not key:
            raise UsageError(f"parameter {name!r}: {value!r} is not a name")
        for candidate in (self.minter.person(value), self.minter.organization(value)):
            if self.store.query(_KNOWN_AGENT, {"agent": candidate}).boolean:
                return candidate
        words = key.split("-")
        needle = max(value.split(), key=len).lower()
        found = self.store.query(_PEOPLE, {"needle": Literal(needle)})
        matches: dict[str, set[str]] = {}
        for _, agent, label in found.rows:
            if agent is not None and label is not None:
                matches.setdefault(plain(agent), set()).add(plain(label))
        exact = [
            agent
            for agent, labels in matches.items()
            if any(all(w in name_key(label).split("-") for w in words) for label in labels)
        ]
        if len(exact) == 1:
            return IRI(exact[0])
        pool = exact or list(matches)
        listed = "; ".join(
            f"{min(matches[a])} <{a}>" for a in sorted(pool, key=lambda a: min(matches[a]))[:10]
        )
        if len(exact) > 1:
            raise UsageError(f"parameter {name!r}: {value!r} is ambiguous; candidates: {listed}")
        hint = f"; did you mean: {listed}" if listed else ""
        raise UsageError(f"parameter {name!r}: no person or organisation named {value!r}{hint}")

    def resolve_concept(self, name: str, value: str) -> IRI:
        """A concept given by IRI or by one of its labels (case-insensitive)."""
        value = value.strip()
        if value.startswith(("http://", "https://")) and _ABSOLUTE_IRI.match(value):
            return IRI(value)
        wanted = " ".join(value.casefold().split())
        rows = self.store.query(_CONCEPTS).rows
        hits = sorted(
            {plain(c) for c, label in rows if " ".join(plain(label).casefold().split()) == wanted}
        )
        if len(hits) == 1:
            return IRI(hits[0])
        if hits:
            raise UsageError(f"parameter {name!r}: {value!r} names several concepts: {hits}")
        near = sorted({plain(label) for _, label in rows if wanted in plain(label).casefold()})
        hint = f"; did you mean: {', '.join(near[:10])}" if near else ""
        raise UsageError(f"parameter {name!r}: no concept labelled {value!r}{hint}")


def run_stored(
    store: EmbeddedStore, query: StoredQuery, raw: dict[str, str], *, base: str
) -> QueryResult:
    """Run a stored query with its parameters bound as RDF terms."""
    bound = Binder(store, base).bind(query, raw)
    result = store.query(query.sparql, bound)
    if result.kind is not QueryKind.SELECT or not query.params:
        return result
    return project(result, [v for v in result.variables if v not in query.params])

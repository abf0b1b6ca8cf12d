"""Stored SPARQL queries: ``queries/<name>.rq`` files with a ``#+`` YAML header and typed
parameters that are bound as RDF terms, never spliced into the query text.

Header keys: ``title`` and ``description`` (required), ``tags``, ``params``. A parameter has a
``type`` (iri, string, integer, date, year, boolean, enum, person, concept), a ``description``,
``required`` or a ``default``, an ``example`` and, for enums, ``values``. Each parameter NAME is
the query variable ``?NAME``; a parameter left out without default leaves ``?NAME`` unbound.
The runner binds parameters with VALUES blocks (``bind_values``): each given value, written in
SPARQL syntax from its typed term, is joined at the start of the query's WHERE and of every
sub-select that uses the parameter, so the text runs in any SPARQL 1.1 endpoint and the planner
starts from the bound value. A stored query must answer the same when bound by substitution
(SEP-0007, pyoxigraph's ``substitutions``, which other callers use): a SELECT query projects
every parameter (and groups by it when aggregating) and never tests BOUND(?param); and as
substitution only reaches a sub-select that projects the parameter, a sub-select that uses one
without projecting it (to read less) has its restriction repeated where the parameter is in
scope. The runner leaves the parameter columns out of the answer.
Loading is strict: an unknown key, a parameter the query never uses, or a query that does not
parse is an error at load time, naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml
from pydantic import Field, ValidationError, model_validator

from scholarkg.errors import InputError, QueryError, UsageError
from scholarkg.formats import project
from scholarkg.iris import IriMinter, name_key
from scholarkg.records import Record
from scholarkg.resources import queries_dir
from scholarkg.store import EmbeddedStore, QueryKind, QueryResult
from scholarkg.terms import IRI, XSD_STRING, AnyTerm, BNode, Literal, boolean, plain, typed

if TYPE_CHECKING:
    from scholarkg.backend import GraphStore

_HEADER = re.compile(r"^#\+ ?(.*)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ABSOLUTE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f]+$")
_IRI_UNSAFE = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_LANG_TAG = re.compile(r"^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$")
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
# SPARQL tokens, as far as finding WHERE groups needs: what can hide a brace or a keyword
# (white space, comments, strings, IRIs) and what counts (braces, parentheses, words, variables)
_TOKEN = re.compile(
    r"""(?P<skip>\s+|\#[^\n]*)
    | (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3} | '{3}(?:[^'\\]|\\.|'(?!''))*'{3}
        | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<word>[A-Za-z_][\w.-]*(?::[\w.:%-]*)? | :[\w.:%-]*)
    | (?P<punct>[{}()])
    | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}


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
    variants: dict[str, str] = Field(
        default_factory=dict, description="an engine's own text of the query, by dialect"
    )

    def text_for(self, dialect: str | None) -> str:
        """The text to run on an engine of this dialect (None: standard SPARQL)."""
        return self.variants.get(dialect or "", self.sparql)

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
    placeholders = {name: _PLACEHOLDERS[param.type] for name, param in header.params.items()}
    try:
        if store is not None:
            store.query(sparql)
        bound = bind_values(sparql, placeholders)
        if store is not None:
            store.query(bound)
    except QueryError as exc:
        raise QueryDefinitionError(f"{path}: {exc.message}") from None
    return StoredQuery(name=name, path=str(path), sparql=sparql, **header.model_dump())


def load_catalogue(folder: Path | None = None) -> dict[str, StoredQuery]:
    """Every stored query of a folder (the shipped ``queries/`` by default), by name, with the
    engine-specific texts of ``dialects/<dialect>/<name>.rq`` beside them."""
    folder = folder or queries_dir()
    checker = EmbeddedStore(None)
    try:
        catalogue = {p.stem: parse_query_file(p, checker) for p in sorted(folder.glob("*.rq"))}
    finally:
        checker.close()
    variants: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("dialects/*/*.rq")):
        query = catalogue.get(path.stem)
        if query is None:
            raise QueryDefinitionError(f"{path}: no stored query {path.stem!r} to be a variant of")
        variants.setdefault(path.stem, {})[path.parent.name] = read_variant(path, query)
    return {
        name: query.model_copy(update={"variants": variants[name]}) if name in variants else query
        for name, query in catalogue.items()
    }


def read_variant(path: Path, query: StoredQuery) -> str:
    """An engine's own text of a stored query: it must use every parameter the query declares
    (the standard text's header is the one that counts)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryDefinitionError(f"{path}: cannot read ({exc})") from None
    body = _strip_comments(text)
    for param in query.params:
        if not re.search(rf"[?$]{param}\b", body):
            raise QueryDefinitionError(f"{path}: the variant never uses parameter ?{param}")
    return text


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

    def __init__(self, store: GraphStore, base: str) -> None:
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


_PLACEHOLDERS: dict[ParamType, AnyTerm] = {
    ParamType.IRI: IRI("urn:scholarkg:placeholder"),
    ParamType.STRING: Literal("placeholder"),
    ParamType.INTEGER: typed(0, "integer"),
    ParamType.DATE: typed(dt.date(2000, 1, 1), "date"),
    ParamType.YEAR: typed(2000, "integer"),
    ParamType.BOOLEAN: boolean(True),
    ParamType.ENUM: Literal("placeholder"),
    ParamType.PERSON: IRI("urn:scholarkg:placeholder"),
    ParamType.CONCEPT: IRI("urn:scholarkg:placeholder"),
}


def sparql_term(term: AnyTerm) -> str:
    """A term in SPARQL syntax, for a VALUES block; a string's text is escaped, never pasted."""
    if isinstance(term, BNode):
        raise QueryError(f"a blank node (_:{term}) cannot be bound by VALUES")
    if isinstance(term, IRI):
        if _IRI_UNSAFE.search(term):
            raise QueryError(f"{str(term)!r} cannot be written as a SPARQL IRI")
        return f"<{term}>"
    quoted = '"' + term.lexical.translate(_STRING_ESCAPES) + '"'
    if term.lang:
        if not _LANG_TAG.match(term.lang):
            raise QueryError(f"{term.lang!r} is not a language tag")
        return f"{quoted}@{term.lang}"
    if term.datatype == XSD_STRING:
        return quoted
    if _IRI_UNSAFE.search(term.datatype):
        raise QueryError(f"{term.datatype!r} cannot be written as a SPARQL IRI")
    return f"{quoted}^^<{term.datatype}>"


class _Scope(NamedTuple):
    """A WHERE group of a query: where it opens (just after its '{') and the variables its
    query uses."""

    offset: int
    used: set[str]


def _where_groups(sparql: str) -> list[_Scope]:
    """The WHERE groups of a query in text order: the outer query's first, then every
    sub-select's (a QueryError if a query form has none)."""
    tokens = [m for m in _TOKEN.finditer(sparql) if m.lastgroup != "skip"]
    groups: list[_Scope] = []
    braces = parens = 0
    form_seen = False
    waiting: list[list[int]] = []  # per query form met: braces, parens, template state, token
    opened: list[tuple[int, int, int]] = []  # per open WHERE: braces, first token, offset
    for index, token in enumerate(tokens):
        text = token.group()
        keyword = text.upper() if token.lastgroup == "word" else ""
        if keyword == "SELECT" or (keyword in _FORMS and not form_seen):
            form_seen = True
            template = 1 if keyword == "CONSTRUCT" else 0  # 1: to come, 2: inside, 0: done
            after = tokens[index + 1].group().upper() if index + 1 < len(tokens) else ""
            if template and after == "WHERE":
                raise QueryError("parameters cannot be bound in CONSTRUCT WHERE { ... }")
            waiting.append([braces, parens, template, index])
        elif text == "(":
            parens += 1
        elif text == ")":
            parens -= 1
        elif text == "{":
            if waiting and waiting[-1][:2] == [braces, parens]:
                if waiting[-1][2] == 1:
                    waiting[-1][2] = 2
                else:
                    opened.append((braces, waiting.pop()[3], token.end()))
            braces += 1
        elif text == "}":
            braces -= 1
            if waiting and waiting[-1][2] == 2 and waiting[-1][0] == braces:
                waiting[-1][2] = 0
            if opened and opened[-1][0] == braces:
                _, first, offset = opened.pop()
                used = {t.group()[1:] for t in tokens[first:index] if t.lastgroup == "var"}
                groups.append(_Scope(offset, used))
    if waiting or opened or not groups:
        raise QueryError("the query has no WHERE group to bind parameters in")
    return sorted(groups, key=lambda group: group.offset)


def bind_values(sparql: str, terms: dict[str, AnyTerm]) -> str:
    """The query text with its parameters bound: ``VALUES (?name ...) { (term ...) }`` at the
    start of the outer WHERE (every parameter) and of each sub-select using one (those it uses).

    Terms are written by ``sparql_term``; a parameter left out stays unbound.
    """
    if not terms:
        return sparql
    written = {}
    for name, term in terms.items():
        if not _NAME.match(name):
            raise QueryError(f"{name!r} is not a parameter name (a-z, 0-9, _)")
        written[name] = sparql_term(term)
    groups = _where_groups(sparql)
    outer = groups[0].offset
    for offset, used in reversed(groups):
        names = sorted(written if offset == outer else set(written) & used)
        if names:
            variables = " ".join(f"?{n}" for n in names)
            row = " ".join(written[n] for n in names)
            sparql = f"{sparql[:offset]} VALUES ({variables}) {{ ({row}) }}{sparql[offset:]}"
    return sparql


def run_stored(
    store: GraphStore, query: StoredQuery, raw: dict[str, str], *, base: str
) -> QueryResult:
    """Run a stored query with its parameters bound as RDF terms (by ``bind_values``)."""
    bound = Binder(store, base).bind(query, raw)
    result = store.query(bind_values(query.text_for(store.dialect), bound))
    if result.kind is not QueryKind.SELECT or not query.params:
        return result
    return project(result, [v for v in result.variables if v not in query.params])

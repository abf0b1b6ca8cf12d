"""The stored-query machinery: strict loading, typed binding, name resolution, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scholarkg.cli import main
from scholarkg.errors import QueryError, UsageError
from scholarkg.queries import (
    Binder,
    ParamType,
    QueryDefinitionError,
    bind_values,
    get_query,
    load_catalogue,
    parse_query_file,
    run_stored,
    sparql_term,
)
from scholarkg.store import EmbeddedStore, QueryKind
from scholarkg.terms import IRI, AnyTerm, BNode, Literal
from scholarkg.vocab import DEFAULT_BASE

from .conftest import LISTING

ID = DEFAULT_BASE
GOOD = """\
#+ title: Papers since a date
#+ description: Papers first submitted on or after a date.
#+ params:
#+   since:
#+     type: date
#+     required: true
#+     description: the earliest first-submission date
#+     example: 2024-01-01
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
SELECT ?since ?paper WHERE { ?paper skg:firstSubmitted ?d FILTER (?d >= ?since) }
"""


def write(tmp_path: Path, text: str, name: str = "q.rq") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_query_loads(tmp_path: Path) -> None:
    query = parse_query_file(write(tmp_path, GOOD))
    assert query.name == "q"
    assert query.title == "Papers since a date"
    assert query.params["since"].type is ParamType.DATE
    assert query.kind is QueryKind.SELECT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("#+ title: Papers since a date\n", ""), "title"),
        (lambda t: t.replace("#+ params:", "#+ colour: red\n#+ params:"), "colour"),
        (lambda t: t.replace("type: date", "type: datum"), "type"),
        (lambda t: t.replace("required: true", "requird: true"), "requird"),
        (lambda t: t.replace("FILTER (?d >= ?since)", ""), "never uses ?since"),
        (
            lambda t: t.replace("(?d >= ?since)", "(!BOUND(?since) || ?d >= ?since)"),
            "BOUND(?since)",
        ),
        (lambda t: t.replace("SELECT ?since ?paper", "SELECT ?paper"), "projects its parameters"),
        (lambda t: t.replace("WHERE {", "WHERE"), "does not parse"),
        (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("#+")), "'#+'"),
        (lambda t: t.replace("#+ description", "#+ : : :\n#+ description"), "YAML"),
        (
            lambda t: t.replace("required: true", "required: true\n#+     default: 2020-01-01"),
            "required parameter cannot have a default",
        ),
    ],
)
def test_bad_definitions_fail_at_load_naming_the_file(
    tmp_path: Path, change: object, message: str
) -> None:
    path = write(tmp_path, change(GOOD))  # type: ignore[operator]
    with pytest.raises(QueryDefinitionError, match=re.escape(message)) as caught:
        load_catalogue(tmp_path)
    assert str(path) in caught.value.message


def test_an_engine_variant_is_loaded_beside_its_query(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    (tmp_path / "dialects" / "virtuoso").mkdir(parents=True)
    variant = "SELECT ?since ?paper WHERE { ?paper <urn:x> ?since } OPTION (QUIETCAST)\n"
    write(tmp_path / "dialects" / "virtuoso", variant)
    query = load_catalogue(tmp_path)["q"]
    assert query.text_for("virtuoso") == variant
    assert query.text_for(None) == query.sparql != variant
    assert query.text_for("qlever") == query.sparql


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("q.rq", "SELECT ?paper WHERE { ?paper ?p ?o }\n", "never uses parameter ?since"),
        ("other.rq", "SELECT ?since WHERE { ?s ?p ?since }\n", "no stored query 'other'"),
    ],
)
def test_a_bad_variant_fails_at_load_naming_the_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    write(tmp_path, GOOD)
    folder = tmp_path / "dialects" / "virtuoso"
    folder.mkdir(parents=True)
    path = write(folder, text, name)
    with pytest.raises(QueryDefinitionError, match=re.escape(message)) as caught:
        load_catalogue(tmp_path)
    assert str(path) in caught.value.message


def test_shipped_variants_are_the_virtuoso_collaboration_path() -> None:
    variants = {name: sorted(q.variants) for name, q in load_catalogue().items() if q.variants}
    assert variants == {"collaboration_path": ["virtuoso"]}


def test_unknown_query_lists_the_catalogue() -> None:
    with pytest.raises(UsageError, match="papers_of"):
        get_query(load_catalogue(), "no_such_query")


@pytest.fixture(scope="module")
def binder(ferret_store: EmbeddedStore) -> Binder:
    return Binder(ferret_store, DEFAULT_BASE)


@pytest.mark.parametrize(
    ("kind", "value", "term"),
    [
        (ParamType.STRING, ' x" } #', Literal(' x" } #')),
        (ParamType.INTEGER, " 42", Literal("42", "http://www.w3.org/2001/XMLSchema#integer")),
        (ParamType.YEAR, "2024", Literal("2024", "http://www.w3.org/2001/XMLSchema#integer")),
        (
            ParamType.DATE,
            "2024-02-29",
            Literal("2024-02-29", "http://www.w3.org/2001/XMLSchema#date"),
        ),
        (ParamType.BOOLEAN, "yes", Literal("true", "http://www.w3.org/2001/XMLSchema#boolean")),
        (ParamType.IRI, "https://example.org/x", IRI("https://example.org/x")),
    ],
)
def test_values_become_typed_terms(
    binder: Binder, kind: ParamType, value: str, term: object
) -> None:
    assert binder.term("p", kind, value) == term


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ParamType.INTEGER, "4x"),
        (ParamType.YEAR, "0"),
        (ParamType.DATE, "2023-02-29"),
        (ParamType.BOOLEAN, "maybe"),
        (ParamType.IRI, "not an iri"),
        (ParamType.IRI, "http://x/> <http://y"),
    ],
)
def test_invalid_values_name_the_parameter(binder: Binder, kind: ParamType, value: str) -> None:
    with pytest.raises(UsageError, match=rf"parameter 'since': .* is not a valid {kind}"):
        binder.term("since", kind, value)


def test_people_by_name_or_iri(binder: Binder) -> None:
    ferret = IRI(f"{ID}person/johan-ferret")
    assert binder.resolve_agent("person", "Johan Ferret") == ferret
    assert binder.resolve_agent("person", "johan  FERRET") == ferret
    assert binder.resolve_agent("person", "Ferret") == ferret  # the only one of that name
    assert binder.resolve_agent("person", str(ferret)) == ferret
    assert binder.resolve_agent("person", "Gemma Team") == IRI(f"{ID}org/gemma-team")


def test_ambiguous_and_unknown_people_list_candidates(binder: Binder) -> None:
    with pytest.raises(UsageError, match="ambiguous") as caught:
        binder.resolve_agent("person", "Hoffman")
    assert "Matt Hoffman" in caught.value.message
    assert "Matthew W. Hoffman" in caught.value.message
    with pytest.raises(UsageError, match="no person or organisation named 'Johan Ferrett'"):
        binder.resolve_agent("person", "Johan Ferrett")
    with pytest.raises(UsageError, match="did you mean: Olivier Pietquin"):
        binder.resolve_agent("person", "Pietquin Oliver")


def test_concepts_by_label(binder: Binder) -> None:
    rl = binder.resolve_concept("concept", "Reinforcement Learning")
    assert rl == IRI("https://w3id.org/scholarkg/concepts/reinforcement-learning")
    assert binder.resolve_concept("concept", "RL") == rl  # an alternative label
    with pytest.raises(UsageError, match="no concept labelled 'reinforcement'"):
        binder.resolve_concept("concept", "reinforcement")


def test_required_and_unknown_parameters(ferret_store: EmbeddedStore) -> None:
    query = get_query(load_catalogue(), "papers_of")
    with pytest.raises(UsageError, match="parameter 'person' of 'papers_of' is required"):
        run_stored(ferret_store, query, {}, base=DEFAULT_BASE)
    with pytest.raises(UsageError, match="has no parameter 'persn'"):
        run_stored(ferret_store, query, {"persn": "x"}, base=DEFAULT_BASE)


def test_parameter_columns_are_left_out(ferret_store: EmbeddedStore) -> None:
    query = get_query(load_catalogue(), "papers_of")
    result = run_stored(ferret_store, query, {"person": "Johan Ferret"}, base=DEFAULT_BASE)
    assert "person" not in result.variables
    assert len(result.rows) == 26


def test_cli_queries_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "kg")
    assert main(["ingest", str(LISTING), "--store", store]) == 0
    capsys.readouterr()
    assert main(["queries", "--json"]) == 0
    listed = {q["name"]: q for q in json.loads(capsys.readouterr().out)}
    assert listed["coauthors_of"]["params"]["person"]["type"] == "person"
    code = main(
        [
            "run",
            "coauthors_of",
            "--param",
            "person=Johan Ferret",
            "--format",
            "json",
            "--limit",
            "2",
            "--store",
            store,
        ]
    )
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["name"], r["papers"]) for r in rows] == [
        ("Alexandre Ramé", 9),
        ("Léonard Hussenot", 9),
    ]
    assert main(["run", "coauthors_of", "--param", "person", "--store", store]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert main(["run", "papers_of", "-p", "person=Hoffman", "--store", store]) == 2
    assert "ambiguous" in capsys.readouterr().err


# -- binding by VALUES -----------------------------------------------------------------------

NESTED = """\
PREFIX ex: <https://example.org/>
# a comment with { braces } and ?person
SELECT ?person ?n ("{ SELECT" AS ?decoy) (EXISTS { ?x ex:p ?y } AS ?e)
WHERE {
  { SELECT ?person (COUNT(*) AS ?n) WHERE { ?paper ex:by ?person } GROUP BY ?person }
  { SELECT ?other WHERE { ?other ex:p "} {" } }
}
"""


def test_values_open_the_outer_where_and_each_sub_select_that_uses_the_parameter() -> None:
    person = IRI("https://example.org/ann")
    bound = bind_values(NESTED, {"person": person})
    block = " VALUES (?person) { (<https://example.org/ann>) }"
    assert bound.count(block) == 2
    assert f"WHERE {{{block}\n  {{ SELECT ?person" in bound  # the outer WHERE
    assert f"WHERE {{{block} ?paper ex:by ?person }}" in bound  # the sub-select using ?person
    assert "WHERE { ?other" in bound  # a sub-select not using it is left alone
    assert bind_values(NESTED, {}) == NESTED  # nothing to bind: the text as it is
    EmbeddedStore(None).query(bound)  # parses


def test_values_skip_a_construct_template() -> None:
    text = "CONSTRUCT { ?s <https://example.org/p> ?o } WHERE { ?s ?p ?o }"
    bound = bind_values(text, {"s": IRI("https://example.org/s")})
    assert bound == (
        "CONSTRUCT { ?s <https://example.org/p> ?o } "
        "WHERE { VALUES (?s) { (<https://example.org/s>) } ?s ?p ?o }"
    )
    with pytest.raises(QueryError, match="CONSTRUCT WHERE"):
        bind_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": IRI("https://example.org/s")})


@pytest.mark.parametrize(
    ("term", "written"),
    [
        (Literal('a "b" \\ c\nd\re'), '"a \\"b\\" \\\\ c\\nd\\re"'),
        (
            Literal("x", "http://www.w3.org/2001/XMLSchema#date"),
            '"x"^^<http://www.w3.org/2001/XMLSchema#date>',
        ),
        (
            Literal("chat", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "fr"),
            '"chat"@fr',
        ),
        (IRI("https://example.org/a?b=c#d"), "<https://example.org/a?b=c#d>"),
    ],
)
def test_terms_are_written_in_sparql_syntax(term: AnyTerm, written: str) -> None:
    assert sparql_term(term) == written


@pytest.mark.parametrize(
    "term",
    [
        IRI("https://example.org/a> } DROP ALL #"),
        IRI("https://example.org/a b"),
        BNode("b0"),
        Literal("x", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en } x"),
    ],
)
def test_terms_that_cannot_be_written_are_refused(term: AnyTerm) -> None:
    with pytest.raises(QueryError):
        sparql_term(term)


def test_a_parameter_in_construct_where_is_refused_at_load(tmp_path: Path) -> None:
    text = GOOD.replace(
        "SELECT ?since ?paper WHERE { ?paper skg:firstSubmitted ?d FILTER (?d >= ?since) }",
        "CONSTRUCT WHERE { ?paper skg:firstSubmitted ?since }",
    )
    with pytest.raises(QueryDefinitionError, match="CONSTRUCT WHERE"):
        load_catalogue(write(tmp_path, text).parent)


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_any_text_is_bound_as_itself(text: str) -> None:
    # whatever the text (quotes, braces, '#', newlines, DROP ALL, any character), the bound
    # query has one row whose ?text is exactly that text
    store = EmbeddedStore(None)
    try:
        query = bind_values("SELECT ?text WHERE { }", {"text": Literal(text)})
        assert store.query(query).rows == ((Literal(text),),)
    finally:
        store.close()

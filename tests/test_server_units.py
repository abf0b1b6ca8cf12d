"""The server's pure parts: content negotiation and what it reads in SPARQL text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scholarkg.server.conneg import negotiate
from scholarkg.sparql_text import add_using, names_dataset, names_graphs, remote_calls

OFFERS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, OFFERS[0]),
        ("", OFFERS[0]),
        ("*/*", OFFERS[0]),
        ("text/csv", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ("text/csv;q=0.4, application/*;q=0.5", OFFERS[0]),
        ("application/sparql-results+xml;q=0.9, */*;q=0.1", OFFERS[1]),
        # the most specific range decides: text/csv is refused although */* is welcome
        ("text/csv;q=0, */*", OFFERS[0]),
        ("*/*;q=0.5, application/sparql-results+json;q=0", OFFERS[1]),
        ('text/csv;charset="utf-8";q=1', "text/csv"),
        ("image/png", None),
        ("text/csv;q=0", None),
        ("garbage, text/csv", "text/csv"),
        ("text/csv;q=abc, application/sparql-results+xml;q=0.1", OFFERS[1]),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, OFFERS) == expected


@given(st.text())
def test_negotiate_never_fails_on_any_header(accept: str) -> None:
    assert negotiate(accept, OFFERS) in {*OFFERS, None}


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", ["SERVICE"]),
        ("select * { service silent ?endpoint { ?s ?p ?o } }", ["SERVICE"]),
        ("LOAD <http://x/data.ttl> INTO GRAPH <g>", ["LOAD"]),
        ('SELECT ?service { BIND("SERVICE <http://x/>" AS ?service) }', []),
        ("SELECT * { ?s ex:SERVICE ?o } # SERVICE <http://x/>", []),
        ("PREFIX load: <http://x/> SELECT * { ?s load:x ?o }", []),
        ("SELECT * { ?s <http://x/SERVICE> '''LOAD\n''' }", []),
        ("SELECT * { ?s ?p $service }", []),
    ],
)
def test_remote_calls(text: str, calls: list[str]) -> None:
    assert remote_calls(text) == calls


def test_names_dataset_and_graphs() -> None:
    assert names_dataset("SELECT * FROM <g> { ?s ?p ?o }")
    assert names_dataset("ASK FROM NAMED <g> { }")
    assert not names_dataset('SELECT ?from { ?s <p> "FROM <g>" }')
    assert names_graphs("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert names_graphs("INSERT { ?s ?p ?o } USING <g> WHERE { ?s ?p ?o }")
    assert not names_graphs('INSERT DATA { <s> <p> "WITH USING" }')


def test_add_using_goes_before_every_top_level_where() -> None:
    update = (
        "PREFIX ex: <http://example.org/> CLEAR ALL ; INSERT DATA { ex:a ex:b ex:c } ;\n"
        "INSERT { GRAPH ex:g { ?s a ex:D } } WHERE { ?s a ex:E FILTER(?s != 'WHERE {') } ;\n"
        "DELETE WHERE { ?a ?b ?c } ; DELETE { } WHERE { }"
    )
    rewritten = add_using(update, ["http://g1"], ["http://n1"])
    clauses = "USING <http://g1> USING NAMED <http://n1> "
    assert rewritten.count(clauses) == 2
    assert f"}} {clauses}WHERE {{ ?s a ex:E" in rewritten
    assert f"DELETE {{ }} {clauses}WHERE {{ }}" in rewritten
    assert "DELETE WHERE { ?a ?b ?c }" in rewritten  # the shorthand takes no dataset
    assert add_using(update, [], []) == update

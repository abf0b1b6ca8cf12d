"""IRI minting: deterministic, valid, distinct where the keys differ."""

from __future__ import annotations

import datetime as dt

import pyoxigraph
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scholarkg.errors import UsageError
from scholarkg.iris import IriMinter, check_base, slug, source_id_for
from scholarkg.terms import IRI

MINTER = IriMinter()
ID = "https://w3id.org/scholarkg/id/"


def is_valid_iri(value: str) -> bool:
    try:
        pyoxigraph.NamedNode(value)
    except ValueError:
        return False
    return True


def test_papers_key_on_arxiv_id_then_doi_then_title() -> None:
    assert MINTER.paper(arxiv_id="2507.06261", doi="10.1/x", title="T") == (
        f"{ID}paper/arxiv/2507.06261"
    )
    assert MINTER.paper(arxiv_id="hep-th/9901001", doi=None, title="T") == (
        f"{ID}paper/arxiv/hep-th/9901001"
    )
    assert MINTER.paper(arxiv_id=None, doi="10.1000/ABC<1>", title="T") == (
        f"{ID}paper/doi/10.1000/abc%3C1%3E"
    )
    assert MINTER.paper(arxiv_id=None, doi=None, title="Gemma 2: Improving Open Models") == (
        f"{ID}paper/title/gemma-2-improving-open-models"
    )


def test_people_and_organisations_by_normalised_name() -> None:
    assert MINTER.person("Alexandre Ramé") == MINTER.person("Alexandre Rame")
    assert MINTER.person("Alexandre Ramé") == f"{ID}person/alexandre-rame"
    assert MINTER.person("Jean-bastien Grill") == f"{ID}person/jean-bastien-grill"
    assert MINTER.organization("Gemma Team") == f"{ID}org/gemma-team"
    assert MINTER.person("Matt Hoffman") != MINTER.person("Matthew W. Hoffman")


def test_parts_derive_from_the_paper() -> None:
    paper = IRI(f"{ID}paper/arxiv/2507.06261")
    assert MINTER.authorship(paper, 3) == f"{paper}/authorship/3"
    assert MINTER.version(paper, number=1, submitted=dt.date(2025, 7, 7)) == f"{paper}/version/1"
    assert MINTER.version(paper, number=None, submitted=dt.date(2025, 7, 22)) == (
        f"{paper}/version/d2025-07-22"
    )


def test_base_is_configurable_and_checked() -> None:
    assert IriMinter("http://example.org/kg/").person("A B") == "http://example.org/kg/person/a-b"
    for bad in ["example.org/", "http://example.org", "ftp://x/", "http://a b/"]:
        with pytest.raises(UsageError, match="base IRI"):
            check_base(bad)


def test_source_ids() -> None:
    assert source_id_for("data/arxiv-listing-ferret.txt") == "arxiv-listing-ferret"
    assert source_id_for("My Papers (2024).bib") == "my-papers-2024-bib"
    assert (
        source_id_for("ferret.atom") != source_id_for("ferret.bib") != source_id_for("ferret.txt")
    )
    with pytest.raises(UsageError):
        source_id_for("(-).txt")


@given(st.text(min_size=1, max_size=80))
def test_person_iris_are_valid_and_deterministic(name: str) -> None:
    if not slug(name):
        with pytest.raises(UsageError):
            MINTER.person(name)
        return
    iri = MINTER.person(name)
    assert iri == IriMinter().person(name)
    assert is_valid_iri(iri)
    assert iri.startswith(f"{ID}person/")


@given(st.text(min_size=1, max_size=200), st.text(max_size=40))
def test_paper_iris_are_valid(title: str, doi: str) -> None:
    for key in ({"doi": "10.1/" + doi, "arxiv_id": None}, {"doi": None, "arxiv_id": None}):
        if key["doi"] is None and not slug(title):
            continue
        iri = MINTER.paper(title=title, **key)
        assert is_valid_iri(iri), iri


@given(st.text(max_size=60))
def test_slug_is_idempotent_and_clean(text: str) -> None:
    once = slug(text)
    assert slug(once) == once
    assert not once.startswith("-") and not once.endswith("-")
    assert "--" not in once

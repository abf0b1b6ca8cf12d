"""The merged view over several sources, and the conflicts between them.

The second source, ``tests/data/listings/pietquin-overlap.txt``, is a two-paper listing: one
paper the shipped listing does not have ("Offline Reinforcement Learning as Anti-Exploration")
and one it has ("Self-Imitation Advantage Learning", the same title and authors) with a shorter
abstract and another submission date (23 December 2020, against the shipped 22 December).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scholarkg.cli import main
from scholarkg.concepts import ConceptTagger
from scholarkg.merging import find_conflicts, merged_graph, rebuild_view, render_conflicts
from scholarkg.pipeline import IngestOptions, ingest_file, ingest_listing
from scholarkg.queries import load_catalogue, run_stored
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.terms import Literal
from scholarkg.vocab import DEFAULT_BASE
from tests.conftest import LISTING, ingest
from tests.test_remote import credentials, remote_store

if TYPE_CHECKING:  # imported by pytest_plugins at run time
    from tests.remote_servers import RemoteServer

pytest_plugins = ["tests.remote_servers"]

OVERLAP = Path(__file__).parent / "data" / "listings" / "pietquin-overlap.txt"
SAIL = f"{DEFAULT_BASE}paper/title/self-imitation-advantage-learning"
FERRET_GRAPH = f"{DEFAULT_BASE}graph/arxiv-listing-ferret"
OVERLAP_GRAPH = f"{DEFAULT_BASE}graph/pietquin-overlap"
PREFIXES = """PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


def values(store: EmbeddedStore, query: str) -> list[str]:
    result = store.query(PREFIXES + query)
    return sorted(
        t.lexical if isinstance(t, Literal) else str(t) for row in result.rows for t in row if t
    )


def count(store: EmbeddedStore, query: str) -> int:
    return int(values(store, query)[0])


@pytest.fixture
def two_sources(tagger: ConceptTagger) -> Iterator[EmbeddedStore]:
    store = open_store(None)
    ingest(store, LISTING, tagger)
    ingest(store, OVERLAP, tagger, subject="Olivier Pietquin")
    rebuild_view(store, DEFAULT_BASE)
    yield store
    store.close()


def test_one_source_has_no_merged_view(ferret_store: EmbeddedStore) -> None:
    assert ferret_store.default_graphs() is None
    assert merged_graph(DEFAULT_BASE) not in ferret_store.named_graphs()


def test_each_paper_and_person_appears_once(two_sources: EmbeddedStore) -> None:
    assert two_sources.default_graphs() == sorted(
        [
            merged_graph(DEFAULT_BASE),
            f"{DEFAULT_BASE}graph/concepts",
            f"{DEFAULT_BASE}graph/ontology",
        ]
    )
    # 26 shipped papers and the one new paper; the shared paper once
    assert count(two_sources, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a skg:Paper }") == 27
    # no triple twice: every person typed once, every paper titled once
    assert not two_sources.query(
        PREFIXES + "SELECT ?x WHERE { ?x a ?type } GROUP BY ?x ?type HAVING (COUNT(*) > 1)"
    ).rows
    assert values(two_sources, f"SELECT ?t WHERE {{ <{SAIL}> dcterms:title ?t }}") == [
        "Self-Imitation Advantage Learning"
    ]
    # both sources said so
    assert values(two_sources, f"SELECT ?s WHERE {{ <{SAIL}> prov:wasDerivedFrom ?s }}") == [
        f"{DEFAULT_BASE}source/arxiv-listing-ferret",
        f"{DEFAULT_BASE}source/pietquin-overlap",
    ]


def test_the_view_takes_the_preferred_source_and_keeps_every_word(
    two_sources: EmbeddedStore,
) -> None:
    # both are listings: the graph IRI decides, arxiv-listing-ferret before pietquin-overlap
    abstract = values(two_sources, f"SELECT ?a WHERE {{ <{SAIL}> dcterms:abstract ?a }}")
    assert len(abstract) == 1 and abstract[0].startswith("Self-imitation learning is")
    assert "We propose SAIL" in abstract[0]  # the shipped, full abstract
    dates = f"SELECT ?d WHERE {{ <{SAIL}> skg:firstSubmitted ?d }}"
    assert values(two_sources, dates) == ["2020-12-22"]
    # and one version 1, dated as the preferred source says
    versions = f"SELECT ?v ?d WHERE {{ <{SAIL}> skg:hasVersion ?v . ?v skg:submitted ?d }}"
    assert values(two_sources, versions) == ["2020-12-22", f"{SAIL}/version/1"]
    # the other source's word is still in its own graph
    kept = f"SELECT ?d WHERE {{ GRAPH <{OVERLAP_GRAPH}> {{ <{SAIL}> skg:firstSubmitted ?d }} }}"
    assert values(two_sources, kept) == ["2020-12-23"]


def test_conflicts_list_each_source_and_the_value_taken(two_sources: EmbeddedStore) -> None:
    conflicts = find_conflicts(two_sources, DEFAULT_BASE)
    assert [(c.paper, c.property.rsplit("#", 1)[-1].rsplit("/", 1)[-1]) for c in conflicts] == [
        (SAIL, "abstract"),
        (SAIL, "firstSubmitted"),
        (SAIL, "lastSubmitted"),
    ]
    first = conflicts[1]
    assert [(c.graph, c.value, c.preferred) for c in first.claims] == [
        (FERRET_GRAPH, "2020-12-22", True),
        (OVERLAP_GRAPH, "2020-12-23", False),
    ]
    text = render_conflicts(conflicts, DEFAULT_BASE)
    assert "* arxiv-listing-ferret (arxiv-listing): 2020-12-22" in text
    assert "  pietquin-overlap (arxiv-listing): 2020-12-23" in text
    assert "3 conflict(s)" in text


def test_stored_queries_count_a_shared_paper_once(
    two_sources: EmbeddedStore, ferret_store: EmbeddedStore
) -> None:
    catalogue = load_catalogue()

    def coauthors(store: EmbeddedStore, person: str) -> dict[str, int]:
        result = run_stored(store, catalogue["coauthors_of"], {"person": person}, base=DEFAULT_BASE)
        name, papers = result.variables.index("name"), result.variables.index("papers")
        return {
            str(row[name].lexical): int(row[papers].lexical)  # type: ignore[union-attr]
            for row in result.rows
        }

    # Johan Ferret is on the shared paper only: nothing of his changes
    assert coauthors(two_sources, "Johan Ferret") == coauthors(ferret_store, "Johan Ferret")
    before, after = (
        coauthors(ferret_store, "Olivier Pietquin"),
        coauthors(two_sources, "Olivier Pietquin"),
    )
    # by hand: the new paper adds one paper with Geist, Bachem, Hussenot, Vieillard and Dadashi,
    # and brings Shideh Rezaeifar; the shared paper adds nothing
    for name in ("Matthieu Geist", "Olivier Bachem", "Léonard Hussenot"):
        assert after[name] == before[name] + 1, name
    assert after["Shideh Rezaeifar"] == 1
    assert after["Johan Ferret"] == before["Johan Ferret"]


def test_the_view_follows_the_sources(two_sources: EmbeddedStore, tagger: ConceptTagger) -> None:
    # the second source gone: back to one source, no merged graph, the union again
    assert two_sources.drop_graph(OVERLAP_GRAPH)  # type: ignore[arg-type]
    rebuild_view(two_sources, DEFAULT_BASE)
    assert two_sources.default_graphs() is None
    assert count(two_sources, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a skg:Paper }") == 26
    assert find_conflicts(two_sources, DEFAULT_BASE) == []


def test_the_view_on_a_server(remote_server: RemoteServer, tagger: ConceptTagger) -> None:
    store = remote_store(remote_server)
    try:
        with credentials(remote_server):
            ingest_listing(LISTING, store, IngestOptions(base=DEFAULT_BASE), tagger=tagger)
            options = IngestOptions(base=DEFAULT_BASE, subject="Olivier Pietquin")
            ingest_listing(OVERLAP, store, options, tagger=tagger)
        assert store.default_graphs() == sorted(
            [
                merged_graph(DEFAULT_BASE),
                f"{DEFAULT_BASE}graph/concepts",
                f"{DEFAULT_BASE}graph/ontology",
            ]
        )
        papers = store.query(PREFIXES + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a skg:Paper }")
        assert papers.rows[0][0].lexical == "27"  # type: ignore[union-attr]
        found = [
            (c.property.rsplit("/", 1)[-1], len(c.claims))
            for c in find_conflicts(store, DEFAULT_BASE)
        ]
        assert found == [
            ("abstract", 2),
            ("ontology#firstSubmitted", 2),
            ("ontology#lastSubmitted", 2),
        ]
        # no staging graph is left behind
        assert not [g for g in remote_server.graphs() if "/graph/staging/" in g]
    finally:
        store.close()


def test_cli_conflicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "kg")
    assert main(["ingest", str(LISTING), "--store", store]) == 0
    assert main(["conflicts", "--store", store]) == 0
    assert "no conflicts" in capsys.readouterr().out
    subject = ["--subject", "Olivier Pietquin"]
    assert main(["ingest", str(OVERLAP), "--store", store, *subject]) == 0
    capsys.readouterr()
    assert main(["conflicts", "--store", store, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(c["paper"], c["property"].rsplit("#", 1)[-1]) for c in found] == [
        (SAIL, "http://purl.org/dc/terms/abstract"),
        (SAIL, "firstSubmitted"),
        (SAIL, "lastSubmitted"),
    ]
    assert main(["stats", "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["papers"] == 27


# -- three formats: the shipped listing, an arXiv API feed and a .bib of the same papers ------

FEED = Path(__file__).parent / "data" / "atom" / "ferret.atom"
BIB = Path(__file__).parent / "data" / "bibtex" / "ferret.bib"
WARM = f"{DEFAULT_BASE}paper/title/warm-on-the-benefits-of-weight-averaged-reward-models"


@pytest.fixture(scope="module")
def three_formats() -> Iterator[EmbeddedStore]:
    store = open_store(None)
    tagger = ConceptTagger.from_file()
    for path in (LISTING, FEED, BIB):
        report = ingest_file(path, store, IngestOptions(base=DEFAULT_BASE), tagger=tagger)
        assert report.validation is not None and report.validation.conforms
    yield store
    store.close()


def test_three_formats_give_one_paper_each(three_formats: EmbeddedStore) -> None:
    # by hand: the feed's 4 papers and the .bib's 2 are all in the listing
    assert count(three_formats, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a skg:Paper }") == 26
    assert not three_formats.query(
        PREFIXES + "SELECT ?x WHERE { ?x a ?type } GROUP BY ?x ?type HAVING (COUNT(*) > 1)"
    ).rows
    # the feed's paper keeps the listing's IRI (same title, same year), and its own arXiv IRI
    # says the same
    assert values(three_formats, f"SELECT ?s WHERE {{ <{WARM}> prov:wasDerivedFrom ?s }}") == [
        f"{DEFAULT_BASE}source/arxiv-listing-ferret",
        f"{DEFAULT_BASE}source/ferret-atom",
    ]
    assert values(three_formats, f"SELECT ?id WHERE {{ <{WARM}> skg:arxivId ?id }}") == [
        "2401.12187"
    ]
    same = "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?o WHERE { ?s owl:sameAs ?o }"
    assert values(three_formats, same.replace("?s", f"<{DEFAULT_BASE}paper/arxiv/2401.12187>")) == [
        WARM
    ]
    # the .bib's paper (1 year after the listing's v1) gains its venue, pages and year
    venues = f"""SELECT ?kind ?pages ?year WHERE {{ <{SAIL}> skg:publishedIn ?v ; skg:pages ?pages ;
                 skg:publicationYear ?year . ?v a ?kind FILTER (?kind != skg:PreprintServer) }}"""
    assert values(three_formats, venues) == [
        "2021",
        "501–509",
        "https://w3id.org/scholarkg/ontology#Conference",
    ]
    assert find_conflicts(three_formats, DEFAULT_BASE) == []  # the three agree


def test_three_formats_count_people_once(
    three_formats: EmbeddedStore, ferret_store: EmbeddedStore
) -> None:
    def coauthors(store: EmbeddedStore) -> list[tuple[str, str]]:
        result = run_stored(
            store, load_catalogue()["coauthors_of"], {"person": "Johan Ferret"}, base=DEFAULT_BASE
        )
        name, papers = result.variables.index("name"), result.variables.index("papers")
        return sorted((str(row[name]), str(row[papers])) for row in result.rows)

    # the feed writes "Alexandre Rame" where the listing writes "Ramé": one person all the same,
    # and no paper counted twice
    assert coauthors(three_formats) == coauthors(ferret_store)

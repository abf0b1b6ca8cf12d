"""The graph the mapper builds from the shipped listing, checked with SPARQL against answers
worked out by hand from the listing."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.compare import isomorphic

from scholarkg.concepts import ConceptTagger
from scholarkg.iris import IriMinter
from scholarkg.mapping import ListingMapper, is_collective
from scholarkg.pipeline import IngestOptions, iter_listing, map_listing, sha256_of
from scholarkg.records import SourceInfo
from scholarkg.store import EmbeddedStore
from scholarkg.terms import Literal
from scholarkg.vocab import DEFAULT_BASE

from .conftest import LISTING

P = """
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
ID = DEFAULT_BASE
FERRET = f"{ID}person/johan-ferret"


def values(store: EmbeddedStore, query: str) -> list[tuple[str, ...]]:
    """Rows of a SELECT as plain strings."""
    result = store.query(P + query)
    return [
        tuple("" if t is None else (t.lexical if isinstance(t, Literal) else str(t)) for t in row)
        for row in result.rows
    ]


def scalar(store: EmbeddedStore, query: str) -> str:
    ((value,),) = values(store, query)
    return value


def test_26_papers(ferret_store: EmbeddedStore) -> None:
    assert scalar(ferret_store, "SELECT (COUNT(?p) AS ?n) { ?p a skg:Paper }") == "26"


def test_papers_with_hidden_authors(ferret_store: EmbeddedStore) -> None:
    rows = values(
        ferret_store,
        "SELECT (COUNT(?p) AS ?n) (SUM(?h) AS ?hidden) "
        "{ ?p skg:hiddenAuthorCount ?h FILTER(?h > 0) }",
    )
    assert rows == [("9", "6248")]
    incomplete = "SELECT (COUNT(?p) AS ?n) { ?p skg:authorListComplete false }"
    assert scalar(ferret_store, incomplete) == "9"


def test_ferret_credited_on_26_with_position_on_21(ferret_store: EmbeddedStore) -> None:
    credited = f"SELECT (COUNT(DISTINCT ?p) AS ?n) {{ ?p dcterms:creator <{FERRET}> }}"
    assert scalar(ferret_store, credited) == "26"
    positioned = (
        "SELECT (COUNT(DISTINCT ?p) AS ?n) "
        f"{{ ?p skg:hasAuthorship ?a . ?a skg:author <{FERRET}> ; skg:position ?pos }}"
    )
    assert scalar(ferret_store, positioned) == "21"


def test_ferret_positions(ferret_store: EmbeddedStore) -> None:
    rows = values(
        ferret_store,
        "SELECT ?title ?pos ?count { ?p dcterms:title ?title ; skg:authorCount ?count ; "
        f"skg:hasAuthorship ?a . ?a skg:author <{FERRET}> ; skg:position ?pos }}",
    )
    by_title = {title.split(":")[0]: (int(pos), int(count)) for title, pos, count in rows}
    assert by_title["On Teacher Hacking in Language Model Distillation"] == (3, 7)
    assert by_title["Gemma 3 Technical Report"] == (3, 216)
    assert by_title["Acme"] == (16, 39)
    assert by_title["Self-Imitation Advantage Learning"] == (1, 3)
    assert by_title["WARM"] == (7, 7)
    assert sorted(pos for pos, _ in by_title.values()).count(1) == 2


def test_authorship_printed_names_and_positions(ferret_store: EmbeddedStore) -> None:
    paper = f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"
    rows = values(
        ferret_store,
        f"SELECT ?pos ?name ?agent {{ <{paper}> skg:hasAuthorship ?a . "
        "?a skg:position ?pos ; skg:nameAsWritten ?name ; skg:author ?agent } ORDER BY ?pos",
    )
    assert [(int(p), n) for p, n, _ in rows] == [
        (1, "Daniil Tiapkin"),
        (2, "Daniele Calandriello"),
        (3, "Johan Ferret"),
        (4, "Sarah Perrin"),
        (5, "Nino Vieillard"),
        (6, "Alexandre Ramé"),
        (7, "Mathieu Blondel"),
    ]
    assert rows[5][2] == f"{ID}person/alexandre-rame"


def test_creators_one_per_authorship_plus_hidden_subject(ferret_store: EmbeddedStore) -> None:
    rows = values(
        ferret_store,
        "SELECT ?title (COUNT(DISTINCT ?a) AS ?slots) (COUNT(DISTINCT ?c) AS ?creators) "
        "{ ?p dcterms:title ?title ; dcterms:creator ?c . OPTIONAL { ?p skg:hasAuthorship ?a } } "
        "GROUP BY ?title",
    )
    extra = {t.split(":")[0] for t, slots, creators in rows if int(creators) != int(slots)}
    # Johan Ferret hides among the additional authors of exactly these five
    assert extra == {
        "Gemini 2.5",
        "MedGemma Technical Report",
        "Humanity's Last Exam",
        "Gemma",
        "Gemini",
    }


def test_collective_authors_are_organizations(ferret_store: EmbeddedStore) -> None:
    rows = values(ferret_store, "SELECT ?name { ?o a skg:Organization ; foaf:name ?name }")
    assert sorted(rows) == [("Gemini Team",), ("Gemma Team",)]
    gemma_team = f"{ID}org/gemma-team"
    papers = f"SELECT (COUNT(?p) AS ?n) {{ ?p dcterms:creator <{gemma_team}> }}"
    assert scalar(ferret_store, papers) == "3"
    assert is_collective("Gemma Team") and not is_collective("Team") and not is_collective("Ann")


def test_accented_names_intact(ferret_store: EmbeddedStore) -> None:
    names = {n for (n,) in values(ferret_store, "SELECT ?n { ?x a skg:Person ; foaf:name ?n }")}
    assert {"Cían Hughes", "Léonard Hussenot", "Tim Rockäschel", "Raphaël Marinier"} <= names
    # printed "Piotr Stanczyk" three times and "Piotr Stańczyk" once (Acme): one person, and
    # each authorship keeps the name exactly as printed
    rows = values(
        ferret_store,
        "SELECT ?written (COUNT(?a) AS ?n) { ?a skg:nameAsWritten ?written ; "
        f"skg:author <{ID}person/piotr-stanczyk> }} GROUP BY ?written ORDER BY ?written",
    )
    assert rows == [("Piotr Stanczyk", "3"), ("Piotr Stańczyk", "1")]


def test_versions_never_invented(ferret_store: EmbeddedStore) -> None:
    two = values(
        ferret_store,
        "SELECT ?p (COUNT(?v) AS ?n) { ?p skg:hasVersion ?v . ?v skg:submitted ?d } "
        "GROUP BY ?p HAVING (COUNT(?v) = 2)",
    )
    assert len(two) == 15
    numbered = values(ferret_store, "SELECT DISTINCT ?n { ?v skg:versionNumber ?n }")
    assert numbered == [("1",)]  # the listing never says how many versions there are
    gemini = f"{ID}paper/title/" + (
        "gemini-2-5-pushing-the-frontier-with-advanced-reasoning-multimodality-long-context-and-"
        "next-generation-agentic-capabilities"
    )
    rows = values(
        ferret_store,
        f"SELECT ?v ?n ?d {{ <{gemini}> skg:hasVersion ?v . ?v skg:submitted ?d "
        "OPTIONAL { ?v skg:versionNumber ?n } } ORDER BY ?d",
    )
    assert rows == [
        (f"{gemini}/version/1", "1", "2025-07-07"),
        (f"{gemini}/version/d2025-07-22", "", "2025-07-22"),
    ]
    dates = values(
        ferret_store,
        f"SELECT ?f ?l ?a {{ <{gemini}> skg:firstSubmitted ?f ; skg:lastSubmitted ?l ; "
        "skg:announced ?a }",
    )
    assert dates == [("2025-07-07", "2025-07-22", "2025-07")]


def test_dates_are_typed(ferret_store: EmbeddedStore) -> None:
    rows = values(
        ferret_store,
        "SELECT DISTINCT (DATATYPE(?f) AS ?df) (DATATYPE(?a) AS ?da) "
        "{ ?p skg:firstSubmitted ?f ; skg:announced ?a }",
    )
    assert rows == [
        ("http://www.w3.org/2001/XMLSchema#date", "http://www.w3.org/2001/XMLSchema#gYearMonth")
    ]


def test_arxiv_venue_and_provenance(ferret_store: EmbeddedStore) -> None:
    rows = values(
        ferret_store,
        "SELECT (COUNT(?p) AS ?n) ?name { ?p skg:publishedIn ?v ; prov:wasDerivedFrom ?s . "
        "?v a skg:PreprintServer ; foaf:name ?name . ?s a skg:Source } GROUP BY ?name",
    )
    assert rows == [("26", "arXiv")]
    subject = "SELECT ?who { ?s skg:listingSubject ?who }"
    assert scalar(ferret_store, subject) == FERRET
    entries = "SELECT ?n { ?s skg:entryCount ?n }"
    assert scalar(ferret_store, entries) == "26"


def test_one_named_graph_per_source(ferret_store: EmbeddedStore) -> None:
    assert ferret_store.named_graphs() == [
        f"{ID}graph/arxiv-listing-ferret",
        f"{ID}graph/concepts",
        f"{ID}graph/ontology",
    ]


def test_concept_tagging(ferret_store: EmbeddedStore) -> None:
    tagged = values(
        ferret_store,
        "SELECT ?title ?label { ?p dcterms:title ?title ; skg:hasConcept ?c . "
        "?c skos:prefLabel ?label }",
    )
    by_paper: dict[str, set[str]] = {}
    for title, label in tagged:
        by_paper.setdefault(title, set()).add(label.lower())
    warm = next(t for t in by_paper if t.startswith("WARM"))
    assert "reward modelling" in by_paper[warm] or "reward model" in by_paper[warm]
    lazy = next(t for t in by_paper if t.startswith("Lazy-MDPs"))
    assert "reinforcement learning" in by_paper[lazy]
    assert len(by_paper) >= 24  # nearly every paper is about something the scheme knows


def test_acronyms_match_case_sensitively() -> None:
    tagger = ConceptTagger({"RL": {"c:rl"}, "reward model": {"c:rm"}})  # type: ignore[arg-type]
    assert tagger.tag("We study RL and reward models.") == {"c:rl", "c:rm"}
    assert tagger.tag("the url rl is lowercase") == set()
    assert tagger.tag("Reward-Model training") == {"c:rm"}
    assert tagger.tag("rewardmodel") == set()


def test_mapping_is_deterministic(tagger: ConceptTagger) -> None:
    def run() -> list[str]:
        lines: list[str] = []
        map_listing(LISTING, IngestOptions(base=DEFAULT_BASE), tagger=tagger, write=lines.append)
        return lines

    assert run() == run()


def test_ntriples_read_back_as_the_mapped_graph(tagger: ConceptTagger) -> None:
    """The N-Triples the pipeline writes are valid: rdflib reads back the mapper's graph."""
    lines: list[str] = []
    report = map_listing(
        LISTING, IngestOptions(base=DEFAULT_BASE), tagger=tagger, write=lines.append
    )
    graph = rdflib.Graph().parse(data="".join(lines), format="nt")
    assert len(graph) == report.triples
    info = SourceInfo(
        source_id="arxiv-listing-ferret",
        file_name=LISTING.name,
        source_format="arxiv-listing",
        sha256=sha256_of(LISTING),
    )
    mapper = ListingMapper(info, IriMinter(), tagger)
    direct = rdflib.Graph()
    text = "".join(t.ntriple() for t in mapper.map_all(iter_listing(LISTING, lenient=False)))
    direct.parse(data=text, format="nt")
    assert isomorphic(direct, graph)


@pytest.mark.parametrize("subject", ["Johan Ferret", "johan ferret"])
def test_explicit_subject(subject: str, tagger: ConceptTagger) -> None:
    lines: list[str] = []
    report = map_listing(
        LISTING,
        IngestOptions(base=DEFAULT_BASE, subject=subject),
        tagger=tagger,
        write=lines.append,
    )
    assert not report.subject_detected
    creators = [line for line in lines if "/terms/creator> <" + FERRET in line]
    assert len(creators) == 26

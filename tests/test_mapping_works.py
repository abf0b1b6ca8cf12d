"""The mapping of structured sources (BibTeX files, arXiv Atom feeds) and people's aliases.

Records are built by hand and their triples compared, as graphs (rdflib.compare), with triples
worked out by hand from docs/data-model.md; then the real parsers are run end to end, through
the pipeline and the command line, into stores that must validate against the shapes.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from scholarkg.cli import main
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import ParseError, UsageError
from scholarkg.iris import IriMinter, resolve_aliases
from scholarkg.mapping import ListingMapper, SourceMapper, WorkMapper
from scholarkg.pipeline import (
    LISTING_FORMAT,
    IngestOptions,
    SourceFormat,
    detect_format,
    ingest_file,
    map_file,
    validate_in_store,
)
from scholarkg.records import (
    AuthorName,
    ListingEntry,
    SourceInfo,
    VenueKind,
    VenueRef,
    WorkRecord,
)
from scholarkg.remote import Credentials, Endpoints, RemoteStore
from scholarkg.reports import render_text
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.terms import Triple
from scholarkg.vocab import DEFAULT_BASE, SKG

from .conftest import LISTING, ROOT

if TYPE_CHECKING:  # imported by pytest_plugins at run time
    from tests.remote_servers import RemoteServer

pytest_plugins = ["tests.remote_servers"]

ID = DEFAULT_BASE
DATA = Path(__file__).parent / "data"
WORKS_BIB = DATA / "bibtex" / "works.bib"
FERRET_ATOM = DATA / "atom" / "ferret.atom"
SHA = "0" * 64
NO_CONCEPTS = ConceptTagger({})
DATA_IRI = re.compile(r"(?<![\w<])id:([\w\-./%]*[\w\-/%])")
PREFIXES = f"""
@prefix skg: <{SKG}> .
@prefix cat: <https://w3id.org/scholarkg/arxiv-categories/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def source(fmt: str = "bibtex", name: str = "works.bib", subject: str | None = None) -> SourceInfo:
    return SourceInfo(
        source_id=name.rsplit(".", 1)[0],
        file_name=name,
        source_format=fmt,
        sha256=SHA,
        subject=subject,
    )


def source_turtle(name: str, fmt: str, entries: int) -> str:
    stem = name.rsplit(".", 1)[0]
    return f"""
    id:source/{stem} a skg:Source , prov:Entity ;
        rdfs:label "{name}" ; skg:fileName "{name}" ; skg:sourceFormat "{fmt}" ;
        skg:sha256 "{SHA}" ; skg:entryCount {entries} .
    """


def graph_of(triples: list[Triple]) -> rdflib.Graph:
    return rdflib.Graph().parse(data="".join(t.ntriple() for t in triples), format="nt")


def expected(turtle: str) -> rdflib.Graph:
    """A graph from Turtle where ``id:person/x`` stands for the data IRI ``<{base}person/x>``."""
    text = DATA_IRI.sub(lambda m: f"<{ID}{m.group(1)}>", turtle)
    return rdflib.Graph().parse(data=PREFIXES + text, format="turtle")


def assert_same_graph(got: rdflib.Graph, want: rdflib.Graph) -> None:
    if isomorphic(got, want):
        return
    _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
    pytest.fail(
        "graphs differ\nonly in the mapping:\n"
        + "".join(sorted(f"  {s.n3()} {p.n3()} {o.n3()}\n" for s, p, o in only_got))
        + "only in the expectation:\n"
        + "".join(sorted(f"  {s.n3()} {p.n3()} {o.n3()}\n" for s, p, o in only_want))
    )


def mapped(
    *records: WorkRecord,
    info: SourceInfo | None = None,
    minter: IriMinter | None = None,
    tagger: ConceptTagger = NO_CONCEPTS,
) -> tuple[rdflib.Graph, WorkMapper, list[Triple]]:
    mapper = WorkMapper(info or source(), minter or IriMinter(), tagger)
    triples = list(mapper.map_all(records))
    return graph_of(triples), mapper, triples


# --- one record of each kind, by hand ------------------------------------------------------


def test_conference_paper() -> None:
    record = WorkRecord(
        line=3,
        key="conf/semweb/Muller19",
        entry_type="inproceedings",
        title="Linked Data at Scale",
        authors=(
            AuthorName(printed="Müller, Jörg", given="Jörg", family="Müller"),
            AuthorName(printed="Ada Lovelace", given="Ada", family="Lovelace"),
        ),
        year=2019,
        doi="10.1007/978-3-030-30793-6_1",
        pages="1–17",
        venue=VenueRef(name="ISWC", kind=VenueKind.conference, year=2019),
        url="https://doi.org/10.1007/978-3-030-30793-6_1",
    )
    graph, mapper, _ = mapped(record)
    paper = "<https://w3id.org/scholarkg/id/paper/doi/10.1007/978-3-030-30793-6_1>"
    slot = "<https://w3id.org/scholarkg/id/paper/doi/10.1007/978-3-030-30793-6_1/authorship/"
    assert_same_graph(
        graph,
        expected(
            f"""
            {paper} a skg:Paper ;
                dcterms:title "Linked Data at Scale" ;
                skg:authorCount 2 ; skg:hiddenAuthorCount 0 ; skg:authorListComplete true ;
                skg:publishedIn id:venue/iswc ;
                prov:wasDerivedFrom id:source/works ;
                skg:doi "10.1007/978-3-030-30793-6_1" ;
                skg:publicationYear "2019"^^xsd:gYear ;
                skg:pages "1–17" ;
                foaf:page <https://doi.org/10.1007/978-3-030-30793-6_1> ;
                skg:hasAuthorship {slot}1>, {slot}2> ;
                dcterms:creator id:person/jorg-muller, id:person/ada-lovelace .
            {slot}1> a skg:Authorship ; skg:position 1 ; skg:nameAsWritten "Müller, Jörg" ;
                skg:givenNameAsWritten "Jörg" ; skg:familyNameAsWritten "Müller" ;
                skg:author id:person/jorg-muller .
            {slot}2> a skg:Authorship ; skg:position 2 ; skg:nameAsWritten "Ada Lovelace" ;
                skg:givenNameAsWritten "Ada" ; skg:familyNameAsWritten "Lovelace" ;
                skg:author id:person/ada-lovelace .
            id:person/jorg-muller a skg:Person ; foaf:name "Jörg Müller" .
            id:person/ada-lovelace a skg:Person ; foaf:name "Ada Lovelace" .
            id:venue/iswc a skg:Conference ; foaf:name "ISWC" .
            """
            + source_turtle("works.bib", "bibtex", 1)
        ),
    )
    assert mapper.notes == []
    assert mapper.subject is None
    report = validate_graph(graph)
    assert report.violations == (), render_text(report)
    assert {r.source_shape for r in report.warnings} == {SKG + "PaperShape-abstract-missing"}


def test_journal_article_with_hidden_authors() -> None:
    record = WorkRecord(
        line=9,
        entry_type="article",
        title="Computing Machinery and Intelligence",
        authors=(AuthorName(printed="Turing, Alan M.", given="Alan M.", family="Turing"),),
        hidden_authors=1,  # BibTeX "and others"
        abstract="I propose to consider the question, 'Can machines think?'",
        year=1950,
        pages="433–460",
        venue=VenueRef(name="Mind", kind=VenueKind.journal, year=1950),
    )
    graph, _, _ = mapped(record)
    paper = "id:paper/title/computing-machinery-and-intelligence"
    slot = f"<{ID}paper/title/computing-machinery-and-intelligence/authorship/1>"
    assert_same_graph(
        graph,
        expected(
            f"""
            {paper} a skg:Paper ;
                dcterms:title "Computing Machinery and Intelligence" ;
                dcterms:abstract "I propose to consider the question, 'Can machines think?'" ;
                skg:authorCount 2 ; skg:hiddenAuthorCount 1 ; skg:authorListComplete false ;
                skg:publishedIn id:venue/mind ;
                prov:wasDerivedFrom id:source/works ;
                skg:publicationYear "1950"^^xsd:gYear ;
                skg:pages "433–460" ;
                skg:hasAuthorship {slot} ;
                dcterms:creator id:person/alan-m-turing .
            {slot} a skg:Authorship ;
                skg:position 1 ; skg:nameAsWritten "Turing, Alan M." ;
                skg:givenNameAsWritten "Alan M." ; skg:familyNameAsWritten "Turing" ;
                skg:author id:person/alan-m-turing .
            id:person/alan-m-turing a skg:Person ; foaf:name "Alan M. Turing" .
            id:venue/mind a skg:Journal ; foaf:name "Mind" .
            """
            + source_turtle("works.bib", "bibtex", 1)
        ),
    )
    assert validate_graph(graph).results == ()


def test_workshop_paper_with_a_collective_author() -> None:
    record = WorkRecord(
        line=20,
        entry_type="inproceedings",
        title="Small Models, Big Gains",
        authors=(
            AuthorName(printed="{Gemma Team}", family="Gemma Team"),
            AuthorName(printed="Alice Example"),
        ),
        year=2024,
        venue=VenueRef(name="Workshop on Efficient Models", kind=VenueKind.workshop, year=2024),
    )
    graph, _, _ = mapped(record)
    paper = f"{ID}paper/title/small-models-big-gains"
    assert_same_graph(
        graph,
        expected(
            f"""
            <{paper}> a skg:Paper ;
                dcterms:title "Small Models, Big Gains" ;
                skg:authorCount 2 ; skg:hiddenAuthorCount 0 ; skg:authorListComplete true ;
                skg:publishedIn id:venue/workshop-on-efficient-models ;
                prov:wasDerivedFrom id:source/works ;
                skg:publicationYear "2024"^^xsd:gYear ;
                skg:hasAuthorship <{paper}/authorship/1>, <{paper}/authorship/2> ;
                dcterms:creator id:org/gemma-team, id:person/alice-example .
            <{paper}/authorship/1> a skg:Authorship ; skg:position 1 ;
                skg:nameAsWritten "{{Gemma Team}}" ; skg:familyNameAsWritten "Gemma Team" ;
                skg:author id:org/gemma-team .
            <{paper}/authorship/2> a skg:Authorship ; skg:position 2 ;
                skg:nameAsWritten "Alice Example" ; skg:author id:person/alice-example .
            id:org/gemma-team a skg:Organization ; foaf:name "Gemma Team" .
            id:person/alice-example a skg:Person ; foaf:name "Alice Example" .
            id:venue/workshop-on-efficient-models a skg:Workshop ;
                foaf:name "Workshop on Efficient Models" .
            """
            + source_turtle("works.bib", "bibtex", 1)
        ),
    )


FEED_ENTRY = WorkRecord(
    line=10,
    key="http://arxiv.org/abs/2312.01072v3",
    title="A Survey of Temporal Credit Assignment in Deep Reinforcement Learning",
    authors=(
        AuthorName(
            printed="Eduardo Pignatelli",
            given="Eduardo",
            family="Pignatelli",
            affiliations=("University College London", "University College London"),
        ),
        AuthorName(printed="Johan Ferret", given="Johan", family="Ferret"),
    ),
    abstract="The Credit Assignment Problem refers to a longstanding challenge.",
    year=2023,
    published=dt.date(2023, 12, 2),
    updated=dt.date(2024, 7, 4),
    arxiv_id="2312.01072",
    arxiv_version=3,
    primary_category="cs.LG",
    categories=("cs.LG", "math.MP", "xx.YY"),
    comments="56 pages",
    journal_ref="Transactions on Machine Learning Research (2024)",
    doi="10.48550/arxiv.2312.01072",
    url="http://arxiv.org/abs/2312.01072v3",
)


def test_arxiv_feed_entry_with_versions_and_categories() -> None:
    graph, mapper, _ = mapped(FEED_ENTRY, info=source("arxiv-atom", "ferret.atom"))
    paper = f"{ID}paper/arxiv/2312.01072"
    assert_same_graph(
        graph,
        expected(
            f"""
            <{paper}> a skg:Paper ;
                dcterms:title
                    "A Survey of Temporal Credit Assignment in Deep Reinforcement Learning" ;
                dcterms:abstract
                    "The Credit Assignment Problem refers to a longstanding challenge." ;
                skg:authorCount 2 ; skg:hiddenAuthorCount 0 ; skg:authorListComplete true ;
                skg:publishedIn id:venue/arxiv ;
                prov:wasDerivedFrom id:source/ferret ;
                skg:hasVersion <{paper}/version/1>, <{paper}/version/3> ;
                skg:firstSubmitted "2023-12-02"^^xsd:date ;
                skg:lastSubmitted "2024-07-04"^^xsd:date ;
                skg:arxivId "2312.01072" ;
                skg:doi "10.48550/arxiv.2312.01072" ;
                skg:publicationYear "2023"^^xsd:gYear ;
                foaf:page <http://arxiv.org/abs/2312.01072v3> ;
                skg:arxivCategory "cs.LG", "math.MP", "xx.YY" ;
                skg:category cat:cs.LG, cat:math-ph ;
                skg:primaryCategory cat:cs.LG ;
                skg:comments "56 pages" ;
                skg:journalRef "Transactions on Machine Learning Research (2024)" ;
                skg:hasAuthorship <{paper}/authorship/1>, <{paper}/authorship/2> ;
                dcterms:creator id:person/eduardo-pignatelli, id:person/johan-ferret .
            <{paper}/version/1> a skg:Version ; skg:versionNumber 1 ;
                skg:submitted "2023-12-02"^^xsd:date .
            <{paper}/version/3> a skg:Version ; skg:versionNumber 3 ;
                skg:submitted "2024-07-04"^^xsd:date .
            <{paper}/authorship/1> a skg:Authorship ; skg:position 1 ;
                skg:nameAsWritten "Eduardo Pignatelli" ;
                skg:givenNameAsWritten "Eduardo" ; skg:familyNameAsWritten "Pignatelli" ;
                skg:affiliationAsWritten "University College London" ;
                skg:author id:person/eduardo-pignatelli .
            <{paper}/authorship/2> a skg:Authorship ; skg:position 2 ;
                skg:nameAsWritten "Johan Ferret" ;
                skg:givenNameAsWritten "Johan" ; skg:familyNameAsWritten "Ferret" ;
                skg:author id:person/johan-ferret .
            id:person/eduardo-pignatelli a skg:Person ; foaf:name "Eduardo Pignatelli" .
            id:person/johan-ferret a skg:Person ; foaf:name "Johan Ferret" .
            id:venue/arxiv a skg:PreprintServer ; foaf:name "arXiv" ;
                foaf:homepage <https://arxiv.org/> .
            """
            + source_turtle("ferret.atom", "arxiv-atom", 1)
        ),
    )
    assert [note.message for note in mapper.notes] == [
        "arXiv category 'xx.YY' is not in the arXiv category scheme: kept as "
        "skg:arxivCategory, not linked"
    ]
    assert mapper.notes[0].line == 10


def test_feed_entry_validates_with_the_shipped_vocabularies() -> None:
    graph, _, _ = mapped(FEED_ENTRY, info=source("arxiv-atom", "ferret.atom"))
    for name in ("arxiv-categories.ttl", "concepts.ttl"):
        graph.parse(ROOT / "ontology" / name, format="turtle")
    assert validate_graph(graph).results == ()


# --- versions, venues, duplicates, urls: the rules one by one --------------------------------


def versions(**fields: object) -> list[tuple[str, str, str]]:
    """(version IRI tail, number, date) of one feed entry with the given dates and version."""
    record = FEED_ENTRY.model_copy(update=fields)
    graph, _, _ = mapped(record, info=source("arxiv-atom", "ferret.atom"))
    rows = graph.query(
        "SELECT ?v ?n ?d WHERE { ?p skg:hasVersion ?v . ?v skg:submitted ?d "
        "OPTIONAL { ?v skg:versionNumber ?n } } ORDER BY ?d ?v",
        initNs={"skg": SKG},
    )
    return [(str(v).rsplit("/", 1)[-1], str(n or ""), str(d)) for v, n, d in rows]  # type: ignore[misc]


def test_version_rules() -> None:
    day1, day2 = dt.date(2023, 12, 2), dt.date(2024, 7, 4)
    assert versions(arxiv_version=3, updated=day2) == [
        ("1", "1", "2023-12-02"),
        ("3", "3", "2024-07-04"),
    ]
    # the feed gives no version number: the later version is dated, never numbered
    assert versions(arxiv_version=None, updated=day2) == [
        ("1", "1", "2023-12-02"),
        ("d2024-07-04", "", "2024-07-04"),
    ]
    # v1 only: a later <updated> is not a version
    assert versions(arxiv_version=1, updated=day2) == [("1", "1", "2023-12-02")]
    assert versions(arxiv_version=None, updated=day1) == [("1", "1", "2023-12-02")]
    assert versions(updated=None) == [("1", "1", "2023-12-02")]
    # revised the same day: two versions, one date
    assert versions(arxiv_version=2, updated=day1) == [
        ("1", "1", "2023-12-02"),
        ("2", "2", "2023-12-02"),
    ]
    assert versions(published=None, updated=None) == []


def test_updated_before_published_keeps_v1_and_says_so() -> None:
    record = FEED_ENTRY.model_copy(update={"updated": dt.date(2023, 1, 1)})
    graph, mapper, _ = mapped(record, info=source("arxiv-atom", "ferret.atom"))
    last = list(graph.objects(None, rdflib.URIRef(SKG + "lastSubmitted")))
    assert last == [rdflib.Literal(dt.date(2023, 12, 2))]
    assert any("before published" in note.message for note in mapper.notes)


def venues_of(record: WorkRecord, fmt: str = "bibtex") -> dict[str, str]:
    """Venue IRI tail -> its class's local name, for the venues the paper appears in."""
    graph, _, _ = mapped(record, info=source(fmt, "x.atom" if fmt != "bibtex" else "x.bib"))
    rows = graph.query(
        "SELECT ?v ?c WHERE { ?p skg:publishedIn ?v . ?v a ?c }", initNs={"skg": SKG}
    )
    return {str(v).rsplit("/", 1)[-1]: str(c).rsplit("#", 1)[-1] for v, c in rows}  # type: ignore[misc]


def test_venue_rules() -> None:
    base = WorkRecord(line=1, title="T", authors=(AuthorName(printed="A B"),))
    conference = VenueRef(name="ICML", kind=VenueKind.conference, year=2024)
    corr = VenueRef(name="CoRR", kind=VenueKind.preprint_server)
    on_arxiv = base.model_copy(update={"arxiv_id": "2401.00001"})
    assert venues_of(base) == {}
    assert venues_of(base.model_copy(update={"venue": conference})) == {"icml": "Conference"}
    # an arXiv id and no venue, or a preprint server (dblp's CoRR is arXiv): arXiv
    assert venues_of(on_arxiv) == {"arxiv": "PreprintServer"}
    assert venues_of(on_arxiv.model_copy(update={"venue": corr})) == {"arxiv": "PreprintServer"}
    # a BibTeX entry that names its venue keeps that venue only; an arXiv feed entry is on arXiv
    assert venues_of(on_arxiv.model_copy(update={"venue": conference})) == {"icml": "Conference"}
    assert venues_of(on_arxiv.model_copy(update={"venue": conference}), "arxiv-atom") == {
        "arxiv": "PreprintServer",
        "icml": "Conference",
    }
    # a preprint server named arXiv is the arXiv venue, homepage and all
    named = base.model_copy(
        update={"venue": VenueRef(name="arXiv", kind=VenueKind.preprint_server)}
    )
    graph, _, _ = mapped(named)
    assert (
        rdflib.URIRef(ID + "venue/arxiv"),
        rdflib.URIRef("http://xmlns.com/foaf/0.1/homepage"),
        rdflib.URIRef("https://arxiv.org/"),
    ) in graph
    # other preprint servers are venues of their own
    biorxiv = VenueRef(name="bioRxiv", kind=VenueKind.preprint_server)
    assert venues_of(base.model_copy(update={"venue": biorxiv})) == {"biorxiv": "PreprintServer"}


def test_a_venue_is_described_once_per_source_and_keeps_its_first_kind() -> None:
    first = WorkRecord(
        line=1,
        title="One",
        authors=(AuthorName(printed="A B"),),
        venue=VenueRef(name="Sem Web", kind=VenueKind.conference),
    )
    second = first.model_copy(
        update={
            "line": 9,
            "title": "Two",
            "venue": VenueRef(name="Sem-Web", kind=VenueKind.workshop),
        }
    )
    graph, mapper, triples = mapped(first, second)
    venue = rdflib.URIRef(ID + "venue/sem-web")
    assert set(graph.objects(venue, rdflib.RDF.type)) == {rdflib.URIRef(SKG + "Conference")}
    assert list(graph.objects(venue, rdflib.URIRef("http://xmlns.com/foaf/0.1/name"))) == [
        rdflib.Literal("Sem Web")
    ]
    assert sum(t.subject == venue for t in triples) == 2
    (note,) = mapper.notes
    assert note.line == 9
    assert "Workshop here but was a Conference" in note.message


def test_same_paper_twice_in_one_source_is_skipped_with_a_note() -> None:
    record = WorkRecord(line=1, title="Same Title", authors=(AuthorName(printed="A B"),))
    again = record.model_copy(update={"line": 7, "authors": (AuthorName(printed="C D"),)})
    graph, mapper, _ = mapped(record, again)
    assert mapper.entries == 1
    assert (None, rdflib.URIRef(SKG + "entryCount"), rdflib.Literal(1)) in graph
    assert len(list(graph.subjects(rdflib.RDF.type, rdflib.URIRef(SKG + "Authorship")))) == 1
    (note,) = mapper.notes
    assert note.line == 7 and "line 1" in note.message


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://doi.org/10.1007/978-3-030-30793-6_1", True),
        ("http://arxiv.org/abs/2312.01072v3", True),
        ("https://example.org/a%20b?q=1#top", True),
        ("https://example.org:8080/x", True),
        ("https://example.org/a b", False),
        ("https://example.org/%zz", False),
        ("ftp://example.org/x", False),
        ("www.example.org", False),
        ("https://exa<mple>.org/", False),
        ("https://example.org/#a#b", False),
    ],
)
def test_urls_become_foaf_page_only_when_they_are_iris(url: str, kept: bool) -> None:
    record = WorkRecord(line=4, title="T", authors=(AuthorName(printed="A B"),), url=url)
    graph, mapper, triples = mapped(record)
    pages = list(graph.objects(None, rdflib.URIRef("http://xmlns.com/foaf/0.1/page")))
    assert pages == ([rdflib.URIRef(url)] if kept else [])
    assert bool(mapper.notes) is not kept
    store = open_store(None)  # what the store accepts: every IRI written must load
    with store.replacing_graph(IriMinter().graph("t")) as writer:
        for triple in triples:
            writer.write(triple.ntriple())
    store.close()


def test_concepts_are_tagged_from_title_and_abstract(tagger: ConceptTagger) -> None:
    graph, _, _ = mapped(FEED_ENTRY, info=source("arxiv-atom", "ferret.atom"), tagger=tagger)
    concepts = {
        str(c).rsplit("/", 1)[-1] for c in graph.objects(None, rdflib.URIRef(SKG + "hasConcept"))
    }
    assert {"temporal-credit-assignment", "deep-reinforcement-learning"} <= concepts


def test_an_explicit_subject_of_a_bibtex_file() -> None:
    paper = WorkRecord(line=1, title="T", authors=(AuthorName(printed="Ada Lovelace"),))
    other = WorkRecord(
        line=5,
        title="U",
        authors=(AuthorName(printed="C D"),),
        hidden_authors=1,
    )
    missing = WorkRecord(line=9, title="V", authors=(AuthorName(printed="E F"),))
    info = source(subject="Ada Lovelace")
    graph, mapper, _ = mapped(paper, other, missing, info=info)
    ada = rdflib.URIRef(ID + "person/ada-lovelace")
    assert (rdflib.URIRef(ID + "source/works"), rdflib.URIRef(SKG + "listingSubject"), ada) in graph
    creator = rdflib.URIRef("http://purl.org/dc/terms/creator")
    # credited where she may hide among the hidden authors, noted where the list is complete
    assert set(graph.subjects(creator, ada)) == {
        rdflib.URIRef(ID + "paper/title/t"),
        rdflib.URIRef(ID + "paper/title/u"),
    }
    assert [n.line for n in mapper.notes] == [9]
    assert validate_graph(graph).violations == ()


def test_no_subject_detection_outside_listings() -> None:
    records = [
        WorkRecord(line=i, title=f"T{i}", authors=(AuthorName(printed="Ada Lovelace"),))
        for i in (1, 2)
    ]
    _, mapper, _ = mapped(*records)
    assert mapper.subject is None and mapper.subject_candidates == []
    assert not WorkMapper.detects_subject and ListingMapper.detects_subject
    assert issubclass(ListingMapper, SourceMapper) and issubclass(WorkMapper, SourceMapper)


# --- a listing's categories ----------------------------------------------------------------


def listing_entry(**fields: object) -> ListingEntry:
    values: dict[str, object] = {
        "line": 1,
        "title": "A Paper",
        "authors": ("Ada Lovelace",),
        "abstract": "An abstract.",
        "last_submitted": dt.date(2024, 1, 2),
        "first_submitted": dt.date(2024, 1, 2),
        "arxiv_id": "2401.00002",
        "categories": ("cs.CL", "cs.AI"),
    }
    values.update(fields)
    return ListingEntry.model_validate(values)


def test_listing_categories_link_concepts_but_name_no_primary() -> None:
    mapper = ListingMapper(source(LISTING_FORMAT, "l.txt"), IriMinter(), NO_CONCEPTS)
    graph = graph_of(list(mapper.map_all([listing_entry()])))
    paper = rdflib.URIRef(ID + "paper/arxiv/2401.00002")
    assert set(graph.objects(paper, rdflib.URIRef(SKG + "category"))) == {
        rdflib.URIRef("https://w3id.org/scholarkg/arxiv-categories/cs.CL"),
        rdflib.URIRef("https://w3id.org/scholarkg/arxiv-categories/cs.AI"),
    }
    assert len(set(graph.objects(paper, rdflib.URIRef(SKG + "arxivCategory")))) == 2
    assert not list(graph.objects(paper, rdflib.URIRef(SKG + "primaryCategory")))


# --- aliases: one person, several printed names ----------------------------------------------


def test_alias_table_is_resolved_to_name_keys() -> None:
    assert resolve_aliases({"J. Ferret": "Johan Ferret", "johan-ferret": "johan-ferret"}) == {
        "j-ferret": "johan-ferret"
    }
    assert resolve_aliases({"a": "b", "b": "c"}) == {"a": "c", "b": "c"}
    with pytest.raises(UsageError, match="cycle"):
        resolve_aliases({"a": "b", "b": "a"})
    with pytest.raises(UsageError, match="no letters"):
        resolve_aliases({"--": "a"})
    with pytest.raises(UsageError, match="two people"):
        resolve_aliases({"J. Smith": "John Smith", "j smith": "Jane Smith"})


def test_minter_redirects_variants_to_the_canonical_person() -> None:
    minter = IriMinter(aliases={"j-ferret": "johan-ferret"}, names={"johan-ferret": "Johan Ferret"})
    assert minter.person("J. Ferret") == minter.person("Johan Ferret") == ID + "person/johan-ferret"
    assert minter.person_variant("J. Ferret") == ID + "person/j-ferret"
    assert minter.person_variant("Johan Ferret") is None
    assert minter.person_name("J. Ferret") == "Johan Ferret"
    assert minter.person_name("Ada Lovelace") == "Ada Lovelace"
    assert minter.organization("J. Ferret") == ID + "org/j-ferret"  # aliases are for people
    plain = IriMinter()
    assert plain.person("J. Ferret") == ID + "person/j-ferret"
    assert plain.person_variant("J. Ferret") is None


ALIASES = IriMinter(aliases={"j-ferret": "johan-ferret"}, names={"johan-ferret": "Johan Ferret"})


def test_alias_redirection_with_owl_same_as() -> None:
    records = [
        WorkRecord(
            line=1,
            title="First",
            authors=(AuthorName(printed="Ferret, J.", given="J.", family="Ferret"),),
        ),
        WorkRecord(
            line=6,
            title="Second",
            authors=(
                AuthorName(printed="J. Ferret", given="J.", family="Ferret"),
                AuthorName(printed="Johan Ferret", given="Johan", family="Ferret"),
            ),
        ),
    ]
    graph, _, triples = mapped(*records, minter=ALIASES)
    first, second = f"{ID}paper/title/first", f"{ID}paper/title/second"
    assert_same_graph(
        graph,
        expected(
            f"""
            <{first}> a skg:Paper ; dcterms:title "First" ;
                skg:authorCount 1 ; skg:hiddenAuthorCount 0 ; skg:authorListComplete true ;
                prov:wasDerivedFrom id:source/works ;
                skg:hasAuthorship <{first}/authorship/1> ; dcterms:creator id:person/johan-ferret .
            <{first}/authorship/1> a skg:Authorship ; skg:position 1 ;
                skg:nameAsWritten "Ferret, J." ;
                skg:givenNameAsWritten "J." ; skg:familyNameAsWritten "Ferret" ;
                skg:author id:person/johan-ferret .
            <{second}> a skg:Paper ; dcterms:title "Second" ;
                skg:authorCount 2 ; skg:hiddenAuthorCount 0 ; skg:authorListComplete true ;
                prov:wasDerivedFrom id:source/works ;
                skg:hasAuthorship <{second}/authorship/1>, <{second}/authorship/2> ;
                dcterms:creator id:person/johan-ferret .
            <{second}/authorship/1> a skg:Authorship ; skg:position 1 ;
                skg:nameAsWritten "J. Ferret" ;
                skg:givenNameAsWritten "J." ; skg:familyNameAsWritten "Ferret" ;
                skg:author id:person/johan-ferret .
            <{second}/authorship/2> a skg:Authorship ; skg:position 2 ;
                skg:nameAsWritten "Johan Ferret" ;
                skg:givenNameAsWritten "Johan" ; skg:familyNameAsWritten "Ferret" ;
                skg:author id:person/johan-ferret .
            id:person/johan-ferret a skg:Person ; foaf:name "Johan Ferret" .
            id:person/j-ferret owl:sameAs id:person/johan-ferret .
            """
            + source_turtle("works.bib", "bibtex", 2)
        ),
    )
    same_as = [t for t in triples if t.predicate.endswith("#sameAs")]
    assert len(same_as) == 1  # once per variant per source
    assert validate_graph(graph).violations == ()


def test_listing_subject_detection_sees_through_aliases() -> None:
    entries = [
        listing_entry(line=1, title="One", authors=("J. Ferret", "Ada Lovelace")),
        listing_entry(line=9, title="Two", authors=("Johan Ferret",), arxiv_id="2401.00003"),
    ]
    mapper = ListingMapper(source(LISTING_FORMAT, "l.txt"), ALIASES, NO_CONCEPTS)
    graph = graph_of(list(mapper.map_all(entries)))
    assert mapper.subject == "J. Ferret"  # the printed name of the first entry
    subject = graph.value(rdflib.URIRef(ID + "source/l"), rdflib.URIRef(SKG + "listingSubject"))
    assert subject == rdflib.URIRef(ID + "person/johan-ferret")
    names = list(graph.objects(subject, rdflib.URIRef("http://xmlns.com/foaf/0.1/name")))
    assert names == [rdflib.Literal("Johan Ferret")]


def test_listing_without_aliases_is_unchanged(tagger: ConceptTagger) -> None:
    """An empty alias table changes nothing: the same lines in the same order."""

    def lines(options: IngestOptions) -> list[str]:
        out: list[str] = []
        map_file(LISTING, options, tagger=tagger, write=out.append)
        return out

    plain = lines(IngestOptions(base=ID))
    unused = lines(IngestOptions(base=ID, aliases={"x-y": "z-w"}, person_names={"z-w": "Z W"}))
    assert plain == unused
    assert not any("#sameAs" in line or "#category" in line for line in plain)


# --- the pipeline: formats, real parsers, stores that validate -------------------------------


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(Path("x.bib")) is SourceFormat.bibtex
    assert detect_format(Path("x.BIB")) is SourceFormat.bibtex
    assert detect_format(Path("x.txt")) is SourceFormat.listing
    assert detect_format(Path("x.atom")) is SourceFormat.atom
    assert detect_format(Path("x.xml")) is SourceFormat.atom
    feed = tmp_path / "query"
    shutil.copy(FERRET_ATOM, feed)
    assert detect_format(feed) is SourceFormat.atom
    text = tmp_path / "listing"
    shutil.copy(LISTING, text)
    assert detect_format(text) is SourceFormat.listing


def test_map_file_dispatches_on_the_format(tagger: ConceptTagger) -> None:
    out: list[str] = []
    bib = map_file(WORKS_BIB, IngestOptions(base=ID), tagger=tagger, write=out.append)
    assert bib.source_format is SourceFormat.bibtex
    assert bib.triples == len(out) and bib.entries > 0
    assert bib.subject is None and not bib.subject_detected
    feed = map_file(FERRET_ATOM, IngestOptions(base=ID), tagger=tagger, write=out.append)
    assert feed.source_format is SourceFormat.atom
    forced = IngestOptions(base=ID, source_format=SourceFormat.atom)
    with pytest.raises(ParseError, match=r"works\.bib:1"):
        map_file(WORKS_BIB, forced, tagger=tagger, write=out.append)


@pytest.fixture(scope="module")
def mixed_store(tagger: ConceptTagger) -> EmbeddedStore:
    """The shipped listing, a BibTeX file and an Atom feed in one store, each validated."""
    store = open_store(None)
    for path in (LISTING, WORKS_BIB, FERRET_ATOM):
        report = ingest_file(path, store, IngestOptions(base=ID), tagger=tagger)
        assert report.validation is not None
        assert report.validation.violations == (), render_text(report.validation)
    return store


def test_the_whole_mixed_store_validates(mixed_store: EmbeddedStore) -> None:
    report = validate_in_store(mixed_store, load_shapes())
    assert report.violations == (), render_text(report)
    assert mixed_store.named_graphs() == [
        f"{ID}graph/arxiv-categories",
        f"{ID}graph/arxiv-listing-ferret",
        f"{ID}graph/concepts",
        f"{ID}graph/ferret-atom",
        f"{ID}graph/merged",
        f"{ID}graph/ontology",
        f"{ID}graph/works-bib",
    ]


def test_sources_record_their_format(mixed_store: EmbeddedStore) -> None:
    rows = mixed_store.query(
        f"SELECT ?file ?format WHERE {{ ?s <{SKG}fileName> ?file ; <{SKG}sourceFormat> ?format }}"
        " ORDER BY ?file"
    ).rows
    assert [(r[0].lexical, r[1].lexical) for r in rows] == [  # type: ignore[union-attr]
        ("arxiv-listing-ferret.txt", "arxiv-listing"),
        ("ferret.atom", "arxiv-atom"),
        ("works.bib", "bibtex"),
    ]


def test_category_links_reach_the_shipped_scheme(mixed_store: EmbeddedStore) -> None:
    rows = mixed_store.query(
        "SELECT DISTINCT ?code WHERE { ?p <" + SKG + "primaryCategory> ?c . "
        "?c <http://www.w3.org/2004/02/skos/core#notation> ?code } ORDER BY ?code"
    ).rows
    assert [r[0].lexical for r in rows] == ["cs.AI", "cs.LG"]  # type: ignore[union-attr]


def test_people_are_shared_across_sources(mixed_store: EmbeddedStore) -> None:
    ferret = f"{ID}person/johan-ferret"
    rows = mixed_store.query(
        "SELECT ?format (COUNT(DISTINCT ?p) AS ?papers) WHERE { "
        f"?p <http://purl.org/dc/terms/creator> <{ferret}> ; "
        f"<http://www.w3.org/ns/prov#wasDerivedFrom>/<{SKG}sourceFormat> ?format }} "
        "GROUP BY ?format ORDER BY ?format"
    ).rows
    assert [(r[0].lexical, r[1].lexical) for r in rows] == [  # type: ignore[union-attr]
        ("arxiv-atom", "4"),
        ("arxiv-listing", "26"),
    ]
    names = mixed_store.query(
        f"SELECT DISTINCT ?n WHERE {{ <{ferret}> <http://xmlns.com/foaf/0.1/name> ?n }}"
    )
    assert [r[0].lexical for r in names.rows] == ["Johan Ferret"]  # type: ignore[union-attr]


def test_a_real_dblp_export_loads_and_validates(tagger: ConceptTagger) -> None:
    """dblp's 177 entries of the Semantic Web journal: DOI-keyed papers, journal venues."""
    store = open_store(None)
    path = DATA / "dblp" / "journals_semweb.bib"
    report = ingest_file(path, store, IngestOptions(base=ID), tagger=tagger)
    assert report.entries == 177 and report.skipped == [] and report.notes == []
    assert report.validation is not None
    assert report.validation.violations == (), render_text(report.validation)
    venues = store.query(
        f"SELECT DISTINCT ?name WHERE {{ ?p <{SKG}publishedIn> ?v . ?v a <{SKG}Journal> ; "
        "<http://xmlns.com/foaf/0.1/name> ?name }"
    ).rows
    assert [r[0].lexical for r in venues] == ["Semantic Web"]  # type: ignore[union-attr]
    store.close()


def test_dblp_iswc_file_loads_whole(tagger: ConceptTagger) -> None:
    """dblp's 2,919 ISWC entries, counted with grep: 2,793 @inproceedings and 126 @proceedings
    (volumes, not papers: left out). 21 papers are listed twice by dblp (the same title, or
    DOI, under two keys, e.g. conf/semweb/DesmontilsJ01 and DesmontilsJ01a): noted, loaded once.
    """
    store = open_store(None)
    path = DATA / "dblp" / "conf_semweb.bib"
    report = ingest_file(path, store, IngestOptions(base=ID), tagger=tagger)
    assert report.skipped == []
    duplicates = [n for n in report.notes if "the same paper as the entry at line" in n.message]
    assert (report.entries, len(duplicates)) == (2772, 21)
    assert report.validation is not None
    assert report.validation.violations == (), render_text(report.validation)
    papers = store.query(f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{SKG}Paper> }}").rows
    assert papers[0][0].lexical == "2772"  # type: ignore[union-attr]
    store.close()


def test_lenient_ingest_of_broken_files_keeps_file_and_line(tagger: ConceptTagger) -> None:
    store = open_store(None)
    bib = ingest_file(
        DATA / "bibtex" / "broken.bib", store, IngestOptions(base=ID, lenient=True), tagger=tagger
    )
    assert bib.entries == 2
    assert bib.skipped[0].startswith(f"{DATA / 'bibtex' / 'broken.bib'}:10: ")
    feed = ingest_file(
        DATA / "atom" / "bad-entries.atom",
        store,
        IngestOptions(base=ID, lenient=True),
        tagger=tagger,
    )
    assert feed.entries >= 1 and feed.skipped[0].endswith(
        "the entry has no <id> (expected http://arxiv.org/abs/ID)"
    )
    with pytest.raises(ParseError) as raised:
        ingest_file(DATA / "bibtex" / "broken.bib", store, IngestOptions(base=ID), tagger=tagger)
    assert raised.value.line == 10
    store.close()


# --- the command line ----------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_format_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "kg")
    renamed = tmp_path / "works.data"
    shutil.copy(WORKS_BIB, renamed)
    code, out, err = run(capsys, "ingest", str(renamed), "--format", "bibtex", "--store", store)
    assert code == 0, err
    assert "(read as bibtex)" in out
    assert "listing subject" not in out
    code, out, err = run(capsys, "ingest", str(FERRET_ATOM), "--store", store)
    assert code == 0, err
    assert "4 papers" in out and "(read as arxiv-atom)" in out
    code, _, err = run(capsys, "ingest", str(renamed), "--format", "nope", "--store", store)
    assert code == 2
    code, out, _ = run(capsys, "ingest", "--help")
    assert "--format" in out and "arxiv-atom" in out and "--aliases" in out


def test_ingest_applies_an_alias_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text(
        "people:\n  - canonical: Johan Ferret\n    variants: [J. Ferret]\n", encoding="utf-8"
    )
    feed = tmp_path / "feed.atom"
    feed.write_text(
        FERRET_ATOM.read_text(encoding="utf-8").replace(
            "<name>Johan Ferret</name>", "<name>J. Ferret</name>"
        ),
        encoding="utf-8",
    )
    store = str(tmp_path / "kg")
    code, _, err = run(capsys, "ingest", str(feed), "--aliases", str(aliases), "--store", store)
    assert code == 0, err
    code, out, _ = run(
        capsys,
        "query",
        "--format",
        "csv",
        "--store",
        store,
        "SELECT ?variant ?name WHERE { ?variant <http://www.w3.org/2002/07/owl#sameAs> ?p . "
        "?p <http://xmlns.com/foaf/0.1/name> ?name }",
    )
    assert out.splitlines() == ["variant,name", f"{ID}person/j-ferret,Johan Ferret"]
    missing = str(tmp_path / "no.yaml")
    code, _, err = run(capsys, "ingest", str(feed), "--aliases", missing, "--store", store)
    assert code == 2 and "no.yaml" in err


def test_build_reads_every_format_and_ignores_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(LISTING, data)
    shutil.copy(WORKS_BIB, data)
    shutil.copy(FERRET_ATOM, data)
    (data / "README.md").write_text("# not a source\n", encoding="utf-8")
    (data / "aliases.yaml").write_text(
        "people:\n  - canonical: Alan Turing\n    variants: [A. M. Turing]\n", encoding="utf-8"
    )
    (data / "notes.xml").write_text("<notes/>\n", encoding="utf-8")
    code, out, err = run(capsys, "build", str(data), "--store", str(tmp_path / "kg"))
    assert code == 0, err
    assert out.count("ingested ") == 3
    assert "validation of the whole store against the shapes: Conforms" in out
    assert "Johan Ferret's most frequent co-authors" in out


# --- a remote store ------------------------------------------------------------------------


def test_remote_ingest_of_every_format(remote_server: RemoteServer, tagger: ConceptTagger) -> None:
    """Staged locally, validated, then moved to the server: the same for BibTeX and Atom."""
    creds = None
    if remote_server.auth is not None:
        auth = remote_server.auth
        creds = Credentials(scheme=auth.scheme, user=auth.user, password=auth.password)
    endpoints = Endpoints(
        query=remote_server.query_url, update=remote_server.update_url, gsp=remote_server.gsp_url
    )
    remote = RemoteStore(endpoints, ID, credentials=creds, retries=1, backoff=0.05)
    try:
        for path in (WORKS_BIB, FERRET_ATOM):
            report = ingest_file(path, remote, IngestOptions(base=ID), tagger=tagger)
            assert report.validation is not None and report.validation.violations == ()
        assert {
            f"{ID}graph/works-bib",
            f"{ID}graph/ferret-atom",
            f"{ID}graph/arxiv-categories",
        } <= set(remote.named_graphs())
        answer = remote.query(
            f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p <{SKG}primaryCategory> ?c . "
            "?c <http://www.w3.org/2004/02/skos/core#notation> ?code }"
        )
        assert int(answer.rows[0][0].lexical) == 4  # type: ignore[union-attr]
    finally:
        remote.close()

"""The arXiv API Atom reader: hand-worked fixtures (tests/data/atom), every error it reports, the
XML attacks it refuses, arbitrary input (only the reader's own error may come out), and the
arXiv category scheme (ontology/arxiv-categories.ttl) that papers link to."""

from __future__ import annotations

import datetime as dt
import socket
import tempfile
import tracemalloc
import urllib.request
from pathlib import Path

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.namespace import RDF, SKOS

from scholarkg.errors import ParseError
from scholarkg.records import AuthorName, WorkRecord
from scholarkg.shapes import validate_graph
from scholarkg.sources.arxiv_atom import (
    ARXIV_CATEGORIES,
    ARXIV_CATEGORY_SCHEME,
    ATOM_FORMAT,
    MAX_TEXT,
    categories_path,
    category_iri,
    iter_records,
    looks_like_atom,
    split_name,
)
from scholarkg.sources.arxiv_listing import iter_entries, read_lines

from .conftest import LISTING, ROOT

ATOM = Path(__file__).parent / "data" / "atom"
FEED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
)
ENTRY = """  <entry>
    <id>http://arxiv.org/abs/2405.{n:05d}v1</id>
    <title>Paper {n}</title>
    <published>2024-05-20T17:59:59Z</published>
    <updated>2024-05-20T17:59:59Z</updated>
    <summary>{summary}</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:primary_category term="cs.LG"/>
    <category term="cs.LG"/>
  </entry>
"""


def records(path: Path) -> list[WorkRecord | ParseError]:
    return list(iter_records(path))


def works(path: Path) -> list[WorkRecord]:
    found = records(path)
    assert all(isinstance(r, WorkRecord) for r in found), found
    return [r for r in found if isinstance(r, WorkRecord)]


def raised(path: Path) -> ParseError:
    with pytest.raises(ParseError) as info:
        records(path)
    assert info.value.path == str(path)
    return info.value


def write(folder: Path, text: str | bytes, name: str = "feed.atom") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def feed_of(*entries: str) -> str:
    return FEED_HEAD + "".join(entries) + "</feed>\n"


def person(printed: str, given: str | None, family: str | None, *aff: str) -> AuthorName:
    return AuthorName(printed=printed, given=given, family=family, affiliations=aff)


# -- the public surface -----------------------------------------------------------------------


def test_constants() -> None:
    assert ATOM_FORMAT == "arxiv-atom"
    assert ARXIV_CATEGORY_SCHEME == "https://w3id.org/scholarkg/arxiv-categories"
    assert ARXIV_CATEGORIES == ARXIV_CATEGORY_SCHEME + "/"
    assert categories_path() == ROOT / "ontology" / "arxiv-categories.ttl"


# -- feed.atom: every field, worked out by hand -----------------------------------------------


def test_feed_first_entry_every_field() -> None:
    first = works(ATOM / "feed.atom")[0]
    assert first == WorkRecord(
        line=13,
        key="http://arxiv.org/abs/2405.12345v2",
        entry_type=None,
        title="Attention Is Not All Ferrets Need: A Case Study in Mustelid Vision",
        authors=(
            person(
                "Ada Lovelace", "Ada", "Lovelace", "Analytical Engines Ltd", "University of London"
            ),
            person("Hado van Hasselt", "Hado", "van Hasselt"),
            person("Charline Le Lan", None, None, "Google DeepMind"),
            person("The Ferret Collaboration", None, None),
        ),
        hidden_authors=0,
        abstract="We study ferrets. Ferrets study us back. We conclude & move on.",
        year=2024,
        published=dt.date(2024, 5, 20),
        updated=dt.date(2024, 6, 1),
        arxiv_id="2405.12345",
        arxiv_version=2,
        primary_category="stat.ML",
        # primary first, the duplicate cs.LG once, the ACM class "I.2.6; F.2.2" left out
        categories=("stat.ML", "cs.LG", "math.OC"),
        comments="12 pages, 3 figures",
        journal_ref="J. Mustelid Res. 12 (2024) 34-56",
        doi="10.1234/abc.5678",  # <arxiv:doi> wins over the doi link; lower case
        pages=None,
        venue=None,
        url="https://arxiv.org/abs/2405.12345v2",
    )


def test_feed_second_entry_every_field() -> None:
    second = works(ATOM / "feed.atom")[1]
    assert second == WorkRecord(
        line=54,
        key="https://arxiv.org/abs/2406.00001v1",
        entry_type=None,
        title="Ferrets, Revisited",
        authors=(
            person("Plato", None, "Plato"),
            person("Grace Hopper", "Grace", "Hopper"),
            person("Martin Luther King Jr.", None, None),
        ),
        hidden_authors=0,
        abstract=None,  # an empty <summary>
        year=2024,
        published=dt.date(2024, 6, 2),
        updated=dt.date(2024, 6, 2),
        arxiv_id="2406.00001",
        arxiv_version=1,
        primary_category=None,  # no <arxiv:primary_category>
        categories=("q-bio.NC", "cs.NE"),
        comments=None,
        journal_ref=None,
        doi="10.5555/xyz-9",  # from <link title="doi" href="http://dx.doi.org/...">
        pages=None,
        venue=None,
        url="https://arxiv.org/abs/2406.00001v1",
    )


def test_feed_third_entry_every_field() -> None:
    third = works(ATOM / "feed.atom")[2]
    assert third == WorkRecord(
        line=76,
        key="http://arxiv.org/abs/0704.0001",
        entry_type=None,
        title="A Versionless Identifier",
        authors=(person("Émilie du Châtelet", "Émilie", "du Châtelet"),),
        hidden_authors=0,
        abstract="Old four-digit number.",
        year=2007,
        published=dt.date(2007, 4, 2),
        updated=dt.date(2007, 4, 2),
        arxiv_id="0704.0001",
        arxiv_version=None,
        primary_category="stat.TH",  # as the feed says; category_iri resolves the alias
        categories=("stat.TH", "cs.SY"),
        comments=None,
        journal_ref=None,
        doi=None,
        pages=None,
        venue=None,
        url=None,
    )


def test_old_style_identifiers() -> None:
    hep, knots, chaos = works(ATOM / "old-style.atom")
    assert (hep.line, hep.arxiv_id, hep.arxiv_version) == (9, "hep-th/9901001", 1)
    assert hep.key == "http://arxiv.org/abs/hep-th/9901001v1"
    assert (hep.primary_category, hep.categories) == ("hep-th", ("hep-th", "gr-qc"))
    assert hep.journal_ref == "Phys. Lett. B 450 (1999) 1-5"
    assert hep.authors == (person("Juan de la Cruz", "Juan", "de la Cruz", "Instituto de Física"),)
    assert (hep.published, hep.updated, hep.year) == (
        dt.date(1999, 1, 4),
        dt.date(1999, 1, 4),
        1999,
    )
    assert hep.url == "http://arxiv.org/abs/hep-th/9901001v1"
    assert (knots.line, knots.arxiv_id, knots.arxiv_version) == (26, "math/0309136", 3)
    assert (knots.published, knots.updated) == (dt.date(2003, 9, 8), dt.date(2004, 2, 10))
    assert knots.categories == ("math.GT", "math.AT")  # the MSC class 57M25 left out
    assert knots.authors == (person("Ludwig von Knotte", "Ludwig", "von Knotte"),)
    assert (chaos.line, chaos.arxiv_id, chaos.arxiv_version) == (41, "chao-dyn/9501001", 2)
    assert (chaos.primary_category, chaos.categories) == ("chao-dyn", ("chao-dyn", "nlin.CD"))
    assert chaos.authors == (person("E. N. Lorenzo", "E. N.", "Lorenzo"),)
    assert chaos.url is None


# -- ferret.atom: four papers of the shipped listing ------------------------------------------

FERRET = {
    # arXiv id: (line, version, published, updated, primary, categories, comments)
    "2502.02671": (18, 1, dt.date(2025, 2, 4), dt.date(2025, 2, 4), "cs.LG", ("cs.LG",), None),
    "2402.04792": (
        71,
        2,
        dt.date(2024, 2, 7),
        dt.date(2024, 2, 29),
        "cs.AI",
        ("cs.AI", "cs.CL", "cs.HC"),
        None,
    ),
    "2401.12187": (
        135,
        1,
        dt.date(2024, 1, 22),
        dt.date(2024, 1, 22),
        "cs.LG",
        ("cs.LG", "cs.AI", "cs.CL"),
        "14 pages, 9 figures",
    ),
    "2312.01072": (
        186,
        2,
        dt.date(2023, 12, 2),
        dt.date(2024, 7, 4),
        "cs.LG",
        ("cs.LG", "cs.AI"),
        None,
    ),
}


def test_ferret_feed_fields() -> None:
    found = works(ATOM / "ferret.atom")
    assert [r.arxiv_id for r in found] == list(FERRET)
    for record in found:
        assert record.arxiv_id is not None
        line, version, published, updated, primary, categories, comments = FERRET[record.arxiv_id]
        assert record.line == line
        assert record.arxiv_version == version
        assert record.key == record.url == f"http://arxiv.org/abs/{record.arxiv_id}v{version}"
        assert (record.published, record.updated) == (published, updated)
        assert record.year == published.year
        assert (record.primary_category, record.categories) == (primary, categories)
        assert record.comments == comments
        assert (record.journal_ref, record.doi, record.venue, record.pages) == (None,) * 4
        assert record.hidden_authors == 0
        assert all(a.affiliations == () for a in record.authors)
    survey = found[3]
    assert survey.title == "A Survey of Temporal Credit Assignment in Deep Reinforcement Learning"
    assert survey.authors[4] == person("Hado van Hasselt", "Hado", "van Hasselt")


def test_ferret_feed_agrees_with_the_listing() -> None:
    listing = {e.title: e for e in iter_entries(read_lines(LISTING), str(LISTING))}
    found = works(ATOM / "ferret.atom")
    assert len(found) == 4
    for record in found:
        entry = listing[record.title]
        assert entry.hidden_authors == 0
        assert tuple(a.printed for a in record.authors) == entry.authors
        assert record.published == entry.first_submitted
        assert record.updated == entry.last_submitted
        assert record.abstract == " ".join((entry.abstract or "").split())
    assert {r.title for r in found} == {
        "On Teacher Hacking in Language Model Distillation",
        "Direct Language Model Alignment from Online AI Feedback",
        "WARM: On the Benefits of Weight Averaged Reward Models",
        "A Survey of Temporal Credit Assignment in Deep Reinforcement Learning",
    }


# -- entries that are wrong: each a ParseError at its line, the feed goes on ------------------


def test_bad_entries_each_give_a_located_error() -> None:
    path = ATOM / "bad-entries.atom"
    found = records(path)
    errors = [(e.line, e.reason) for e in found if isinstance(e, ParseError)]
    assert [line for line, _ in errors] == [5, 9, 14, 21, 27, 30, 37, 42, 49, 55, 59]
    reasons = [reason for _, reason in errors]
    assert "has no <id>" in reasons[0]
    assert "has no <title>" in reasons[1]
    assert "'urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6'" in reasons[2]
    assert "<published>" in reasons[3] and "'20 May 2024'" in reasons[3]
    assert "DOI" in reasons[4] and "'not-a-doi'" in reasons[4]
    assert "has no <author>" in reasons[5]
    assert "<author> without a <name>" in reasons[6]
    assert "a second <title>" in reasons[7]
    assert "<updated> 2024-05-19 is before <published> 2024-05-20" in reasons[8]
    assert "'Machine Learning'" in reasons[9]
    assert "'http://arxiv.org/abs/2413.00011v1'" in reasons[10]  # there is no month 13
    assert all(str(e).startswith(f"{path}:") for e in found if isinstance(e, ParseError))
    good = found[-1]
    assert isinstance(good, WorkRecord)
    assert (good.line, good.arxiv_id, good.title) == (63, "2405.00012", "Good")


# -- files that are wrong as a whole: raised, with file and line ------------------------------


def test_error_feed_raises_the_api_message() -> None:
    error = raised(ATOM / "error.atom")
    assert error.line == 11
    assert "arXiv API" in error.reason
    assert "incorrect id format for 2405.123" in error.reason
    assert error.to_dict()["file"] == str(ATOM / "error.atom")


def test_empty_feed_has_no_entries() -> None:
    error = raised(ATOM / "empty.atom")
    assert error.line == 8  # the opensearch:totalResults line
    assert error.reason.startswith("the feed has no entries")
    assert "totalResults is 0" in error.reason


def test_page_past_the_end_says_so() -> None:
    error = raised(ATOM / "past-end.atom")
    assert error.line == 7
    assert error.reason.startswith("the feed has no entries")
    assert "57" in error.reason and "start" in error.reason


def test_malformed_xml_after_a_good_entry() -> None:
    path = ATOM / "malformed.atom"
    seen: list[WorkRecord | ParseError] = []
    with pytest.raises(ParseError) as info:
        for item in iter_records(path):
            seen.append(item)
    assert [(r.line, r.title) for r in seen if isinstance(r, WorkRecord)] == [(4, "Fine")]
    assert len(seen) == 1  # the entry before the fault comes out first
    assert info.value.line == 13
    assert info.value.reason.startswith("malformed XML: mismatched tag")


def test_not_an_atom_feed() -> None:
    error = raised(ATOM / "not-atom.xml")
    assert error.line == 3
    assert "not an Atom feed" in error.reason and "<rss>" in error.reason


def test_an_atom_entry_document_is_not_a_feed(tmp_path: Path) -> None:
    entry = '<entry xmlns="http://www.w3.org/2005/Atom"><id>x</id></entry>'
    error = raised(write(tmp_path, entry))
    assert (error.line, "not an Atom feed" in error.reason) == (1, True)


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", 1, "the file is empty"),
        (b"-\nGemma 3 Technical Report\nAuthors:\n", 1, "malformed XML: syntax error"),
        (b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">', 2, "malformed"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'>\n\xff\xfe</feed>", 2, "malformed XML"),
    ],
    ids=["empty file", "a listing", "truncated", "not UTF-8"],
)
def test_not_xml(tmp_path: Path, content: bytes, line: int, reason: str) -> None:
    error = raised(write(tmp_path, content))
    assert error.line == line
    assert error.reason.startswith(reason)


def test_missing_file(tmp_path: Path) -> None:
    error = raised(tmp_path / "nowhere.atom")
    assert "cannot read the file" in error.reason


def test_overlong_text_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, feed_of(ENTRY.format(n=1, summary="x" * (MAX_TEXT + 1))))
    error = raised(path)
    assert error.line == 8 and "<summary> has more than" in error.reason


# -- XML attacks: refused at the DOCTYPE, before any expansion or fetch -----------------------

QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "' + "a" * 100_000 + '">]>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>' + "&a;" * 10_000 + "</title>"
    "</entry></feed>"
)
ATTACKS = {
    "billion laughs": (ATOM / "billion-laughs.atom").read_text(encoding="utf-8"),
    "external entity": (ATOM / "external-entity.atom").read_text(encoding="utf-8"),
    "quadratic blowup": QUADRATIC,
    "external DTD": (
        '<?xml version="1.0"?>\n<!DOCTYPE feed SYSTEM "http://127.0.0.1:9/atom.dtd">\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"/>'
    ),
    "parameter entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"/>'
    ),
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection or a URL fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("name", list(ATTACKS))
def test_xml_attacks_are_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, ATTACKS[name])
    tracemalloc.start()
    try:
        error = raised(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.line == 2  # the DOCTYPE line: nothing after it was read
    assert "DOCTYPE" in error.reason
    assert str(error).startswith(f"{path}:2: refused")
    assert peak < 2_000_000  # no expansion: a billion laughs would be gigabytes


def test_shipped_attack_fixtures_are_refused() -> None:
    for name in ("billion-laughs.atom", "external-entity.atom"):
        error = raised(ATOM / name)
        assert error.line == 2 and "DOCTYPE" in error.reason


def test_memory_stays_bounded_on_a_big_feed(tmp_path: Path) -> None:
    summary = "A long abstract sentence that repeats. " * 60
    path = write(tmp_path, feed_of(*(ENTRY.format(n=n, summary=summary) for n in range(1600))))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for r in iter_records(path) if isinstance(r, WorkRecord))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1600
    assert size > 4_000_000
    # streamed, one 64 KiB chunk and one entry at a time: the peak (about 0.5 MB, caches
    # included) does not grow with the feed; holding the records would need more than the file
    assert peak < size / 3


# -- format sniffing --------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ATOM.glob("*.atom")), ids=lambda p: p.name)
def test_every_atom_fixture_looks_like_atom(path: Path) -> None:
    assert looks_like_atom(path.read_bytes()[:4096])


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x00\x01\x02\xff",
        LISTING.read_bytes()[:4096],
        (ATOM / "not-atom.xml").read_bytes(),
        b"@article{key, title={<feed xmlns='http://www.w3.org/2005/Atom'>}}",
        b'<?xml version="1.0"?><feed xmlns="http://example.org/not-atom">',
    ],
    ids=["empty", "binary", "listing", "rss", "bibtex", "other namespace"],
)
def test_other_files_do_not_look_like_atom(head: bytes) -> None:
    assert not looks_like_atom(head)


def test_sniffing_sees_prefixes_bom_and_utf16() -> None:
    prefixed = b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">'
    assert looks_like_atom(prefixed)
    assert looks_like_atom(b"\xef\xbb\xbf\n  " + prefixed)
    assert looks_like_atom((ATOM / "feed.atom").read_text(encoding="utf-8").encode("utf-16"))


def test_a_utf16_feed_parses(tmp_path: Path) -> None:
    text = (ATOM / "feed.atom").read_text(encoding="utf-8").replace('"UTF-8"', '"UTF-16"')
    path = write(tmp_path, text.encode("utf-16"))
    assert [r.line for r in works(path)] == [13, 54, 76]


# -- name splitting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "given", "family"),
    [
        ("Johan Ferret", "Johan", "Ferret"),
        ("Samuel L Smith", "Samuel L", "Smith"),
        ("Matthew W. Hoffman", "Matthew W.", "Hoffman"),
        ("Nan-Jiang Jiang", "Nan-Jiang", "Jiang"),
        ("Hado van Hasselt", "Hado", "van Hasselt"),
        ("Juan de la Cruz", "Juan", "de la Cruz"),
        ("Conan O'Brien", "Conan", "O'Brien"),
        ("Plato", None, "Plato"),
        ("Charline Le Lan", None, None),  # capitalised particle: "Le Lan" or "Lan"?
        ("Le Hou", None, None),  # starts with a particle word
        ("van Hasselt", None, None),
        ("Martin Luther King Jr.", None, None),
        ("Louis XIV III", None, None),
        ("Gemma Team", None, None),
        ("The ATLAS Collaboration", None, None),
        ("Smith, John", None, None),
        ("R2 D2", None, None),
        ("José Ortega y Gasset", None, None),  # a lower-case word among the given names
        ("", None, None),
    ],
)
def test_split_name(printed: str, given: str | None, family: str | None) -> None:
    assert split_name(printed) == (given, family)


# -- arbitrary input: only ParseError, never another exception --------------------------------

FEED_WORDS = [
    FEED_HEAD,
    "</feed>",
    "<entry>",
    "</entry>",
    "<id>http://arxiv.org/abs/2405.12345v2</id>",
    "<id>http://arxiv.org/api/errors#x</id>",
    "<title>T</title>",
    "<summary>S</summary>",
    "<author><name>A B</name><arxiv:affiliation>X</arxiv:affiliation></author>",
    "<published>2024-05-20T17:59:59Z</published>",
    "<updated>2024-13-20T17:59:59Z</updated>",
    '<arxiv:primary_category term="cs.LG"/>',
    '<category term="cs.LG"/>',
    "<arxiv:doi>10.1/X</arxiv:doi>",
    '<link rel="related" title="doi" href="x"/>',
    "<!DOCTYPE feed>",
    "&amp;",
    "&lol;",
    "<![CDATA[x]]>",
    "\n",
]


def _parse_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), data)
        try:
            for item in iter_records(path):
                assert isinstance(item, WorkRecord | ParseError)
        except ParseError as exc:
            assert exc.path == str(path) and exc.line >= 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FEED_WORDS), st.text(max_size=20)), max_size=30))
def test_arbitrary_feed_text_gives_records_or_parse_errors(pieces: list[str]) -> None:
    _parse_text("".join(pieces).encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_only_parse_errors(data: bytes) -> None:
    _parse_text(data)


# -- the arXiv category scheme ----------------------------------------------------------------

SCHEME = rdflib.URIRef(ARXIV_CATEGORY_SCHEME)
GROUPS = ("cs", "econ", "eess", "math", "physics", "q-bio", "q-fin", "stat")
ALIASES = {
    "cs.NA": "math.NA",
    "cs.SY": "eess.SY",
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "q-fin.EC": "econ.GN",
}


@pytest.fixture(scope="module")
def scheme() -> rdflib.Graph:
    return rdflib.Graph().parse(categories_path(), format="turtle")


@pytest.fixture(scope="module")
def concepts(scheme: rdflib.Graph) -> set[rdflib.URIRef]:
    return {c for c in scheme.subjects(RDF.type, SKOS.Concept) if isinstance(c, rdflib.URIRef)}


def _parents(scheme: rdflib.Graph, concept: rdflib.URIRef) -> set[rdflib.URIRef]:
    return {p for p in scheme.objects(concept, SKOS.broader) if isinstance(p, rdflib.URIRef)}


def test_scheme_is_a_concept_scheme(scheme: rdflib.Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in scheme
    assert scheme.value(SCHEME, SKOS.prefLabel) == rdflib.Literal(
        "arXiv category taxonomy", lang="en"
    )
    tops = set(scheme.objects(SCHEME, SKOS.hasTopConcept))
    assert tops == {rdflib.URIRef(ARXIV_CATEGORIES + g) for g in GROUPS}
    assert set(scheme.subjects(SKOS.topConceptOf, SCHEME)) == tops


def test_every_concept_is_complete(scheme: rdflib.Graph, concepts: set[rdflib.URIRef]) -> None:
    for concept in concepts:
        assert (concept, SKOS.inScheme, SCHEME) in scheme, concept
        (notation,) = scheme.objects(concept, SKOS.notation)
        assert str(concept) == ARXIV_CATEGORIES + str(notation)
        labels = list(scheme.objects(concept, SKOS.prefLabel))
        assert len(labels) == 1 and isinstance(labels[0], rdflib.Literal), concept
        assert labels[0].language == "en" and str(labels[0]).strip() == str(labels[0])
        for parent in _parents(scheme, concept):
            assert parent in concepts, (concept, parent)
        assert bool(_parents(scheme, concept)) != (
            concept in set(scheme.subjects(SKOS.topConceptOf, SCHEME))
        )


def test_hierarchy_is_acyclic_and_reaches_a_group(
    scheme: rdflib.Graph, concepts: set[rdflib.URIRef]
) -> None:
    groups = {rdflib.URIRef(ARXIV_CATEGORIES + g) for g in GROUPS}
    for concept in concepts:
        seen: set[rdflib.URIRef] = set()
        todo = [concept]
        while todo:
            node = todo.pop()
            for parent in _parents(scheme, node):
                assert parent != concept, f"cycle through {concept}"
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        assert concept in groups or seen & groups, concept


def test_category_counts(scheme: rdflib.Graph, concepts: set[rdflib.URIRef]) -> None:
    parents = {p for c in concepts for p in _parents(scheme, c)}
    leaves = concepts - parents
    assert len(concepts) == 160  # 8 groups, 3 physics archives, 149 categories
    assert len(leaves) == 149
    assert parents == {
        rdflib.URIRef(ARXIV_CATEGORIES + a) for a in (*GROUPS, "astro-ph", "cond-mat", "nlin")
    }
    per_group = {
        group: sum(
            1
            for leaf in leaves
            if _group_of(scheme, leaf) == rdflib.URIRef(ARXIV_CATEGORIES + group)
        )
        for group in GROUPS
    }
    assert per_group == {
        "cs": 38,
        "econ": 3,
        "eess": 4,
        "math": 30,
        "physics": 51,
        "q-bio": 10,
        "q-fin": 8,
        "stat": 5,
    }
    assert len(set(scheme.objects(None, SKOS.altLabel))) == 6
    assert len(set(scheme.objects(None, SKOS.hiddenLabel))) == 18


def _group_of(scheme: rdflib.Graph, concept: rdflib.URIRef) -> rdflib.URIRef:
    """The first-listed group above a concept: its own archive's group (not an alias's)."""
    code = str(concept).removeprefix(ARXIV_CATEGORIES)
    archive = code.split(".")[0]
    group = {"astro-ph": "physics", "cond-mat": "physics", "nlin": "physics"}.get(archive, archive)
    if group not in GROUPS:
        group = "physics"  # gr-qc, hep-th, math-ph, nucl-ex, quant-ph, ...
    assert rdflib.URIRef(ARXIV_CATEGORIES + group) in _ancestors(scheme, concept)
    return rdflib.URIRef(ARXIV_CATEGORIES + group)


def _ancestors(scheme: rdflib.Graph, concept: rdflib.URIRef) -> set[rdflib.URIRef]:
    found: set[rdflib.URIRef] = set()
    todo = [concept]
    while todo:
        for parent in _parents(scheme, todo.pop()):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def test_codes_are_distinct(scheme: rdflib.Graph) -> None:
    codes = [
        str(code)
        for prop in (SKOS.notation, SKOS.altLabel, SKOS.hiddenLabel)
        for code in scheme.objects(None, prop)
    ]
    assert len(codes) == len(set(codes)) == 160 + 6 + 18


def test_scheme_conforms_to_the_shapes(scheme: rdflib.Graph) -> None:
    report = validate_graph(scheme)
    assert report.conforms and report.results == ()


@pytest.mark.parametrize(
    ("code", "concept"),
    [
        ("cs.LG", "cs.LG"),
        ("stat.ML", "stat.ML"),
        ("math.OC", "math.OC"),
        ("hep-th", "hep-th"),
        ("q-bio.NC", "q-bio.NC"),
        ("astro-ph.CO", "astro-ph.CO"),
        ("cond-mat.mes-hall", "cond-mat.mes-hall"),
        ("physics.acc-ph", "physics.acc-ph"),
        ("astro-ph", "astro-ph"),  # the bare archive, category of papers before 2009
        ("cs", "cs"),
        (" cs.AI ", "cs.AI"),
        *ALIASES.items(),
        ("chao-dyn", "nlin.CD"),
        ("cmp-lg", "cs.CL"),
        ("alg-geom", "math.AG"),
    ],
)
def test_category_iri(code: str, concept: str) -> None:
    assert category_iri(code) == ARXIV_CATEGORIES + concept


@pytest.mark.parametrize("code", ["cs.lg", "CS.LG", "cs.XX", "I.2.6", "", "quant-ph.QM"])
def test_unknown_category_codes(code: str) -> None:
    assert category_iri(code) is None


def test_aliases_are_labels_of_their_canonical_concept(scheme: rdflib.Graph) -> None:
    for alias, canonical in ALIASES.items():
        concept = rdflib.URIRef(ARXIV_CATEGORIES + canonical)
        assert rdflib.Literal(alias) in set(scheme.objects(concept, SKOS.altLabel))
        assert (rdflib.URIRef(ARXIV_CATEGORIES + alias), None, None) not in scheme
        alias_archive = rdflib.URIRef(ARXIV_CATEGORIES + alias.split(".")[0])
        assert alias_archive in _parents(scheme, concept)  # listed under both archives


def test_every_category_in_fixtures_and_listing_resolves() -> None:
    used: set[str] = set()
    for path in (ATOM / name for name in ("feed.atom", "ferret.atom", "old-style.atom")):
        for record in works(path):
            used.update(record.categories)
            if record.primary_category:
                used.add(record.primary_category)
    for entry in iter_entries(read_lines(LISTING), str(LISTING)):
        assert not isinstance(entry, ParseError)
        used.update(entry.categories)
    assert {"cs.LG", "stat.TH", "cs.SY", "chao-dyn", "hep-th", "q-bio.NC"} <= used
    assert {code for code in used if category_iri(code) is None} == set()

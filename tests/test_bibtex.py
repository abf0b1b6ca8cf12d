"""The BibTeX reader: dblp's real exports (every entry loads, and every author's given/family
split agrees with dblp's CSL-YAML twin), hand-written fixtures for each rule, broken input, and
arbitrary text (only the reader's own error may come out)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TypeAlias

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scholarkg.errors import ParseError
from scholarkg.records import AuthorName, VenueKind, VenueRef, WorkRecord
from scholarkg.sources.bibtex import (
    BIBTEX_FORMAT,
    SkippedEntry,
    iter_entries,
    iter_records,
    parse_name,
)

DATA = Path(__file__).parent / "data" / "bibtex"
DBLP = Path(__file__).parent / "data" / "dblp"  # a copy of ../shared/data/dblp-bibtex
CONF = DBLP / "conf_semweb.bib"
JOURNALS = DBLP / "journals_semweb.bib"

Item: TypeAlias = WorkRecord | SkippedEntry | ParseError


def records_of(path: Path) -> list[WorkRecord]:
    items = list(iter_records(path))
    errors = [str(e) for e in items if isinstance(e, ParseError)]
    assert not errors, errors
    return [i for i in items if isinstance(i, WorkRecord)]


def by_key(path: Path) -> dict[str | None, Item]:
    return {getattr(i, "key", None): i for i in iter_entries(path)}


def person(printed: str, given: str | None, family: str | None) -> AuthorName:
    return AuthorName(printed=printed, given=given, family=family)


def test_format_name() -> None:
    assert BIBTEX_FORMAT == "bibtex"


# -- dblp's exports: counts worked out with grep ----------------------------------------------


@pytest.fixture(scope="module")
def conf_items() -> list[Item]:
    return list(iter_entries(CONF))


def test_conf_semweb_loads_every_entry(conf_items: list[Item]) -> None:
    # grep -c '^@' gives 2919; '^@inproceedings' 2793, '^@proceedings' 126
    assert len(conf_items) == 2919
    assert [i for i in conf_items if isinstance(i, ParseError)] == []
    assert sum(isinstance(i, WorkRecord) for i in conf_items) == 2793
    skipped = [i for i in conf_items if isinstance(i, SkippedEntry)]
    assert len(skipped) == 126
    assert {s.entry_type for s in skipped} == {"proceedings"}
    assert len(list(iter_records(CONF))) == 2793


def test_journals_semweb_loads_every_entry() -> None:
    records = records_of(JOURNALS)
    assert len(records) == 177  # grep -c '^@article'
    assert {r.venue for r in records if r.year == 2015} == {
        VenueRef(name="Semantic Web", kind=VenueKind.journal, year=2015)
    }
    # grep -c 'author = {}': four editorials that name nobody
    assert sum(not r.authors for r in records) == 4


def test_every_line_is_where_an_entry_starts(conf_items: list[Item]) -> None:
    lines = CONF.read_text(encoding="utf-8").splitlines()
    for item in conf_items:
        assert not isinstance(item, ParseError)
        assert lines[item.line - 1].startswith(f"@{item.entry_type}{{{item.key},"), item


def test_conf_semweb_facts_read_off_the_file(conf_items: list[Item]) -> None:
    entries = {i.key: i for i in conf_items if not isinstance(i, ParseError)}
    roman = entries["conf/semweb/RomanK08"]
    assert isinstance(roman, WorkRecord)
    assert roman.line == 9
    assert roman.title == "Semantic Web Service Choreography: Contracting and Enactment"
    assert roman.pages == "550–566"
    assert roman.doi == "10.1007/978-3-540-88564-1_35"
    assert roman.year == 2008
    assert roman.venue == VenueRef(
        name="International Semantic Web Conference", kind=VenueKind.conference, year=2008
    )
    assert [a.display for a in roman.authors] == ["Dumitru Roman", "Michael Kifer"]

    palma = entries["conf/semweb/PalmaH05"]
    assert isinstance(palma, WorkRecord)
    assert palma.line == 3333
    # dblp's homonym number: printed as written; BibTeX's rules (and dblp's CSL) split it off
    assert palma.authors[1] == person("Peter Haase 0001", "Peter Haase", "0001")

    barrat = entries["conf/semweb/BarratCSBA10"]
    assert isinstance(barrat, WorkRecord)
    assert barrat.authors[3] == person("Wouter Van den Broeck", "Wouter Van", "den Broeck")

    schraefel = entries["conf/semweb/schraefel10"]
    assert isinstance(schraefel, WorkRecord)
    assert schraefel.authors == (person("m. c. schraefel", None, "m. c. schraefel"),)

    foreword = entries["conf/semweb/X09"]
    assert isinstance(foreword, WorkRecord)
    assert (foreword.line, foreword.title, foreword.authors) == (9027, "Foreword", ())

    # "OM" says nothing, its volume's title says "International Workshop on Ontology Matching"
    gracia = entries["conf/semweb/GraciaM08"]
    assert isinstance(gracia, WorkRecord)
    assert gracia.venue == VenueRef(name="OM", kind=VenueKind.workshop, year=2008)

    volume = entries["conf/semweb/2008om"]
    assert isinstance(volume, SkippedEntry)
    assert volume.line == 536


def test_venue_kinds_of_conf_semweb(conf_items: list[Item]) -> None:
    records = [i for i in conf_items if isinstance(i, WorkRecord)]
    kinds = {r.venue.name: r.venue.kind for r in records if r.venue is not None}
    assert kinds["International Semantic Web Conference (Posters & Demos)"] is VenueKind.conference
    assert kinds["International Semantic Web Conference (1)"] is VenueKind.conference
    assert kinds["ISWC Developers Workshop"] is VenueKind.workshop
    assert kinds["SSWS@ISWC"] is VenueKind.workshop
    assert kinds["URSW"] is VenueKind.workshop


# -- agreement with dblp's CSL-YAML twin, author by author ------------------------------------

# The twin was written by pandoc: Markdown escapes (``m\. c.``) and "smart" apostrophes
# (d'Amato -> d’Amato) are its own, not part of the names, and are undone before comparing.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _csl_name(text: str) -> str:
    return _MARKDOWN_ESCAPE.sub(r"\1", text).replace("’", "'")


def _csl_split(author: dict[str, str]) -> tuple[str | None, str | None]:
    """(given, family) of a CSL name; the family takes its particle, as this reader's does."""
    family = " ".join(p for p in (author.get("dropping-particle"), author.get("family")) if p)
    given = author.get("given")
    return (_csl_name(given) if given else None, _csl_name(family) or None)


@pytest.mark.parametrize("stem", ["conf_semweb", "journals_semweb"])
def test_name_splits_agree_with_csl_twin(stem: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    twin = yaml.load((DBLP / f"{stem}.csl.yaml").read_text(encoding="utf-8"), Loader=loader)
    expected = {ref["id"]: ref.get("author", []) for ref in twin["references"]}
    compared = agreed = typographic = 0
    disagreements: list[str] = []
    for record in records_of(DBLP / f"{stem}.bib"):
        csl_authors = expected.pop(record.key)
        if len(csl_authors) != len(record.authors):
            disagreements.append(
                f"{record.key}: {len(record.authors)} authors, CSL has {len(csl_authors)}"
            )
            continue
        for ours, theirs in zip(record.authors, csl_authors, strict=True):
            compared += 1
            typographic += "’" in str(theirs.get("family", ""))
            if (ours.given, ours.family) == _csl_split(theirs):
                agreed += 1
            else:
                disagreements.append(
                    f"{record.key}: {ours.printed!r} -> given={ours.given!r} "
                    f"family={ours.family!r}; CSL {_csl_split(theirs)}"
                )
    rate = agreed / compared
    print(
        f"\n{stem}: {agreed}/{compared} authors agree with the CSL twin ({rate:.2%}); "
        f"{typographic} of them after undoing pandoc's typographic apostrophe"
    )
    for line in disagreements:
        print("  disagreement:", line)
    assert all(not refs for refs in expected.values()), "CSL authors of entries not read"
    assert disagreements == []
    assert rate == 1.0


# -- hand-written fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def works() -> dict[str | None, Item]:
    return by_key(DATA / "works.bib")


def test_name_forms_and_macro_venue(works: dict[str | None, Item]) -> None:
    forms = works["forms"]
    assert isinstance(forms, WorkRecord)
    assert (forms.line, forms.entry_type) == (6, "inproceedings")
    assert forms.title == "Name Forms of BibTeX"
    assert forms.authors == (
        person("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        person("Brinch Hansen, Per", "Per", "Brinch Hansen"),
        person("Smith, Jr., John", "John", "Smith Jr."),
        person("de la Fontaine, Jean", "Jean", "de la Fontaine"),
        person(
            "Charles Louis Xavier Joseph de la Vallée Poussin",
            "Charles Louis Xavier Joseph",
            "de la Vallée Poussin",
        ),
    )
    assert forms.authors[1].display == "Per Brinch Hansen"
    assert forms.year == 2020
    assert forms.pages == "1–10"
    assert forms.venue == VenueRef(
        name="International Semantic Web Conference", kind=VenueKind.conference, year=2020
    )
    assert forms.hidden_authors == 0


def test_latex_accents_doi_and_url(works: dict[str | None, Item]) -> None:
    accents = works["accents"]
    assert isinstance(accents, WorkRecord)
    assert accents.line == 15
    assert accents.authors == (
        person("René Descartes", "René", "Descartes"),
        person("Jörg Müller", "Jörg", "Müller"),
        person("Åsa Maria Nilsson", "Åsa Maria", "Nilsson"),
        person("François Koç", "François", "Koç"),
        person("Aleš Šimkus", "Aleš", "Šimkus"),
        person("Günter Straße", "Günter", "Straße"),
        person("Łukasz Jan Kowalski", "Łukasz Jan", "Kowalski"),
    )
    assert accents.title == "Öber été: Accènts in α-Titles"
    assert accents.venue == VenueRef(
        name="Journal of LaTeX Studies", kind=VenueKind.journal, year=2019
    )
    assert accents.pages == "101–117"
    assert accents.doi == "10.1234/abc.def-5"
    assert accents.url == "https://example.org/a_b"


def test_corporate_author_others_eprint_abstract(works: dict[str | None, Item]) -> None:
    gemma = works["gemma"]
    assert isinstance(gemma, WorkRecord)
    assert gemma.authors == (
        person("Gemma Team", None, "Gemma Team"),
        person("Alice Example", "Alice", "Example"),
    )
    assert gemma.authors[0].display == "Gemma Team"
    assert gemma.hidden_authors == 1
    assert gemma.author_count == 3
    assert (gemma.arxiv_id, gemma.arxiv_version) == ("2403.08295", 4)
    assert gemma.venue == VenueRef(name="arXiv", kind=VenueKind.preprint_server, year=2024)
    assert gemma.abstract == (
        "First paragraph, on two lines.\n\nSecond paragraph with 50% more & less."
    )


def test_workshop_venues(works: dict[str | None, Item]) -> None:
    workshop = works["workshop"]
    assert isinstance(workshop, WorkRecord)
    assert workshop.venue == VenueRef(
        name="Proceedings of the 3rd Workshop on Engines", kind=VenueKind.workshop, year=1843
    )
    assert workshop.doi == "10.5555/engine.1843"
    colocated = works["colocated"]
    assert isinstance(colocated, WorkRecord)
    assert colocated.venue == VenueRef(name="SSWS@ISWC", kind=VenueKind.workshop, year=2015)
    abbreviated = works["ws"]
    assert isinstance(abbreviated, WorkRecord)
    assert abbreviated.venue == VenueRef(
        name="ISWC-WS on Orbits", kind=VenueKind.workshop, year=1962
    )
    assert abbreviated.pages == "e12–e14, 20–21"


def test_crossref_and_proceedings(works: dict[str | None, Item]) -> None:
    inherited = works["bycrossref"]
    assert isinstance(inherited, WorkRecord)
    assert inherited.year == 2015
    assert inherited.pages == "7"
    assert inherited.venue == VenueRef(name="COMP", kind=VenueKind.workshop, year=2015)
    volume = works["vol2015"]
    assert volume == SkippedEntry(
        line=63,
        key="vol2015",
        entry_type="proceedings",
        reason="@proceedings describes a venue's volume (its editors and title), not a work",
    )
    assert "vol2015" not in {r.key for r in records_of(DATA / "works.bib")}


def test_dblp_corr_is_arxiv(works: dict[str | None, Item]) -> None:
    corr = works["corr"]
    assert isinstance(corr, WorkRecord)
    assert (corr.arxiv_id, corr.arxiv_version) == ("2101.01234", None)
    assert corr.venue == VenueRef(name="CoRR", kind=VenueKind.preprint_server, year=2021)


def test_editors_and_anonymous_works(works: dict[str | None, Item]) -> None:
    edited = works["edited"]
    assert isinstance(edited, WorkRecord)
    assert edited.authors == (person("Donald E. Knuth", "Donald E.", "Knuth"),)
    assert edited.venue is None
    anonymous = works["anonymous"]
    assert isinstance(anonymous, WorkRecord)
    assert (anonymous.authors, anonymous.author_count) == ((), 0)


def test_works_file_order_and_lines() -> None:
    items = list(iter_entries(DATA / "works.bib"))
    assert [i.line for i in items] == [6, 15, 28, 41, 49, 56, 63, 71, 80, 87, 94]


def test_crlf_and_bom_keep_lines(tmp_path: Path) -> None:
    text = (DATA / "works.bib").read_text(encoding="utf-8")
    crlf = tmp_path / "crlf.bib"
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert list(iter_entries(crlf)) == list(iter_entries(DATA / "works.bib"))


@pytest.mark.parametrize(
    ("source", "printed", "given", "family"),
    [
        ("Donald E. Knuth", "Donald E. Knuth", "Donald E.", "Knuth"),
        ("Knuth, Donald E.", "Knuth, Donald E.", "Donald E.", "Knuth"),
        ("Jean de La Fontaine", "Jean de La Fontaine", "Jean", "de La Fontaine"),
        ("van der Aalst, Wil M. P.", "van der Aalst, Wil M. P.", "Wil M. P.", "van der Aalst"),
        ("King, Jr, Martin Luther", "King, Jr, Martin Luther", "Martin Luther", "King Jr"),
        ("{Barnes and Noble}", "Barnes and Noble", None, "Barnes and Noble"),
        ("Maria {von} Trapp", "Maria von Trapp", "Maria von", "Trapp"),
        ("{\\relax Ch}ristopher Chung", "Christopher Chung", "Christopher", "Chung"),
        ("{\\aa}sa Maria Nilsson", "åsa Maria Nilsson", None, "åsa Maria Nilsson"),
        ("Plato", "Plato", None, "Plato"),
        ("  Ada\n   Lovelace ", "Ada Lovelace", "Ada", "Lovelace"),
        ("Fran{\\c{c}}ois Ko{\\c c}", "François Koç", "François", "Koç"),
    ],
)
def test_parse_name(source: str, printed: str, given: str | None, family: str | None) -> None:
    assert parse_name(source) == person(printed, given, family)


@pytest.mark.parametrize(
    ("source", "reason"),
    [("", "an empty name"), ("A, B, C, D", "too many commas"), ("Ada }", "unmatched")],
)
def test_parse_name_rejects(source: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_name(source)


# -- broken input -----------------------------------------------------------------------------


def test_broken_entries_are_reported_at_their_lines() -> None:
    path = DATA / "broken.bib"
    items = list(iter_entries(path))
    records = [i for i in items if isinstance(i, WorkRecord)]
    assert [r.key for r in records] == ["good1", "good2"]
    errors = [i for i in items if isinstance(i, ParseError)]
    assert all(e.path == str(path) for e in errors)
    found = [(e.line, e.reason) for e in errors]
    expected = [
        (10, "no title"),
        (15, "no author and no editor"),
        (20, "the key 'good1' is taken by the entry at line 4"),
        (25, "a field given twice in one entry: title"),
        (33, "joins pieces with '#'"),
        (39, "names the @string 'tpami', which the file does not define"),
        (44, "'others' stands only last in the author list"),
        (49, "author 2: cannot split the name 'Last, Jr, First, Extra': too many commas"),
        (55, "expected a DOI such as 10.1234/abc, found 'https://example.org/paper'"),
    ]
    assert len(found) == len(expected), found
    for (line, reason), (want_line, fragment) in zip(found, expected, strict=True):
        assert line == want_line, (line, reason)
        assert fragment in reason, (line, reason)
    assert str(errors[0]).startswith(f"{path}:10: entry 'notitle': ")


def test_unterminated_entries() -> None:
    path = DATA / "unterminated.bib"
    items = list(iter_entries(path))
    assert [type(i).__name__ for i in items] == [
        "WorkRecord",
        "ParseError",
        "WorkRecord",
        "ParseError",
    ]
    opened, at_end = (i for i in items if isinstance(i, ParseError))
    assert (opened.path, opened.line) == (str(path), 6)
    assert "check its braces and commas" in opened.reason
    assert at_end.line == 15
    assert "end of file" in at_end.reason


def test_deeply_nested_latex_is_a_parse_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.bib"
    nested = "{" * 2000 + "x" + "}" * 2000
    deep.write_text(f"@article{{a,\n  author = {{A B}},\n  title = {{{nested}}},\n}}\n")
    (error,) = iter_entries(deep)
    assert isinstance(error, ParseError)
    assert (error.line, error.reason) == (3, "entry 'a': LaTeX nested too deeply to read")


def test_not_bibtex_raises_at_line_1() -> None:
    path = DATA / "not-bibtex.bib"
    with pytest.raises(ParseError) as caught:
        list(iter_records(path))
    assert (caught.value.path, caught.value.line) == (str(path), 1)
    assert "no BibTeX entry" in caught.value.reason


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read the file") as missing:
        list(iter_records(tmp_path / "absent.bib"))
    assert missing.value.line == 1
    with pytest.raises(ParseError, match="cannot read the file"):
        list(iter_records(tmp_path))
    latin1 = tmp_path / "latin1.bib"
    latin1.write_bytes(b"@article{a,\n  title = {Caf\xe9},\n  author = {A B},\n}\n")
    with pytest.raises(ParseError, match="not UTF-8") as decoding:
        list(iter_records(latin1))
    assert decoding.value.line == 2
    binary = tmp_path / "binary.bib"
    binary.write_bytes(b"@article{a,\n\x00}")
    with pytest.raises(ParseError, match="NUL byte"):
        list(iter_records(binary))


# -- arbitrary input: records, skipped volumes or ParseError, nothing else -------------------

_BIBTEX_PIECES = st.sampled_from(
    [
        *'@{}(),="#\\%&$~ \n\t-aZé0',
        *("@article{", "@proceedings{", "@string{", "author", "title", "editor", "crossref"),
        *("and", "others", '{\\"o}', "{\\AA}", "\\'", "doi", "10.1/x", "eprint"),
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300) | st.lists(_BIBTEX_PIECES, max_size=80).map("".join))
def test_arbitrary_text_gives_only_parse_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "arbitrary.bib"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            items = list(iter_entries(path))
        except ParseError as exc:
            assert exc.line >= 1
            return
    for item in items:
        assert isinstance(item, WorkRecord | SkippedEntry | ParseError)
        assert item.line >= 1

"""The arXiv author-listing reader: the shipped listing, every line type of the web format,
and arbitrary input (only the reader's own error may come out)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scholarkg.errors import ParseError
from scholarkg.pipeline import iter_listing
from scholarkg.records import ListingEntry
from scholarkg.sources.arxiv_listing import iter_entries, read_lines

from .conftest import LISTING


def parse_text(text: str, name: str = "test.txt") -> list[ListingEntry | ParseError]:
    lines = enumerate(text.splitlines(), start=1)
    return list(iter_entries(lines, name))


def parse_one(text: str) -> ListingEntry:
    (entry,) = parse_text(text)
    assert isinstance(entry, ListingEntry), entry
    return entry


def error_of(text: str) -> ParseError:
    errors = [e for e in parse_text(text) if isinstance(e, ParseError)]
    assert errors, "expected a parse error"
    return errors[0]


@pytest.fixture(scope="module")
def entries() -> list[ListingEntry]:
    return list(iter_listing(LISTING, lenient=False))


# -- the shipped listing, facts read off the file by hand -----------------------------------


def test_shipped_listing_has_26_papers(entries: list[ListingEntry]) -> None:
    assert len(entries) == 26
    assert entries[0].title.startswith("Gemini 2.5: Pushing the Frontier")
    assert entries[-1].title == (
        "Self-Attentional Credit Assignment for Transfer in Reinforcement Learning"
    )


def test_hidden_authors(entries: list[ListingEntry]) -> None:
    hidden = {e.title.split(":")[0]: e.hidden_authors for e in entries if e.hidden_authors}
    assert hidden == {
        "Gemini 2.5": 3284,
        "MedGemma Technical Report": 56,
        "Gemma 3 Technical Report": 191,
        "Humanity's Last Exam": 1084,
        "Gemma 2": 173,
        "RecurrentGemma": 37,
        "Gemma": 83,
        "Gemini": 1326,
        "Acme": 14,
    }
    assert sum(hidden.values()) == 6248
    # arXiv cuts the shown list at 25 names
    assert all(len(e.authors) == 25 for e in entries if e.hidden_authors)


def test_first_paper_authors(entries: list[ListingEntry]) -> None:
    first = entries[0]
    assert first.authors[0] == "Gheorghe Comanici"
    assert first.authors[-1] == "Eric Chu"
    assert first.author_count == 3309
    assert first.line == 1


def test_full_abstract_not_teaser(entries: list[ListingEntry]) -> None:
    gemini = entries[0]
    assert gemini.abstract is not None
    assert "…" not in gemini.abstract
    assert gemini.abstract.endswith("complex agentic problem solving.")
    assert "process up to 3 hours of video content" in gemini.abstract
    assert all(e.abstract and "…" not in e.abstract for e in entries)


def test_acme_two_paragraph_abstract_kept_whole(entries: list[ListingEntry]) -> None:
    acme = next(e for e in entries if e.title.startswith("Acme"))
    assert acme.abstract is not None
    first, second = acme.abstract.split("\n")
    assert first.startswith("Deep reinforcement learning (RL) has led to many recent")
    assert first.endswith("the inherent readability of that implementation.")
    assert second == (
        "This work presents a second version of the paper which coincides with an increase in "
        "modularity, additional emphasis on offline, imitation and learning from demonstrations "
        "algorithms, as well as various new agents implemented as part of Acme."
    )


def test_accented_names_intact(entries: list[ListingEntry]) -> None:
    names = {name for e in entries for name in e.authors}
    for name in [
        "Cían Hughes",
        "Alexandre Ramé",
        "Morgane Rivière",
        "Gaël Liu",
        "Tim Rockäschel",
        "Piotr Stańczyk",
        "Léonard Hussenot",
        "Raphaël Marinier",
    ]:
        assert name in names


def test_revised_papers_have_both_dates(entries: list[ListingEntry]) -> None:
    revised = [e for e in entries if e.revised]
    assert len(revised) == 15
    assert all(e.first_submitted < e.last_submitted for e in revised)
    gemini = entries[0]
    assert (gemini.first_submitted, gemini.last_submitted) == (
        dt.date(2025, 7, 7),
        dt.date(2025, 7, 22),
    )
    single = [e for e in entries if not e.revised]
    assert all(e.first_submitted == e.last_submitted for e in single)


def test_announced_month(entries: list[ListingEntry]) -> None:
    summarization = next(e for e in entries if e.title.startswith("Factually Consistent"))
    assert summarization.first_submitted == dt.date(2023, 5, 31)
    assert str(summarization.announced) == "2023-06"
    assert str(entries[0].announced) == "2025-07"


def test_no_identifiers_in_the_shipped_listing(entries: list[ListingEntry]) -> None:
    assert all(e.arxiv_id is None and e.doi is None for e in entries)


def test_crlf_and_bom(tmp_path: Path) -> None:
    raw = LISTING.read_text(encoding="utf-8")
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode())
    assert list(iter_listing(crlf, lenient=False)) == list(iter_listing(LISTING, lenient=False))


# -- the full web format, one rule at a time -------------------------------------------------

WEB_ENTRY = """\
arXiv:2507.06261v2  [pdf, ps, other]
cs.CL cs.AI
A Title That Runs
Over Two Lines
Authors:
Ada Lovelace, Charles Babbage
Abstract:
A short abstract
on two lines.
Submitted 22 July, 2025; v1 submitted 7 July, 2025;
originally announced July 2025.
Comments: 72 pages, 17 figures
Journal ref: Nature 123 (2025) 45-67
DOI: 10.1038/S41586-025-0001-X
Report number: REP-2025-01
MSC Class: 68T05
ACM Class: I.2.6
"""


def test_web_format_entry() -> None:
    entry = parse_one(WEB_ENTRY)
    assert entry.arxiv_id == "2507.06261"
    assert entry.arxiv_version == 2
    assert entry.categories == ("cs.CL", "cs.AI")
    assert entry.title == "A Title That Runs Over Two Lines"
    assert entry.authors == ("Ada Lovelace", "Charles Babbage")
    assert entry.abstract == "A short abstract\non two lines."
    assert entry.comments == "72 pages, 17 figures"
    assert entry.journal_ref == "Nature 123 (2025) 45-67"
    assert entry.doi == "10.1038/s41586-025-0001-x"
    assert entry.report_number == "REP-2025-01"
    assert entry.msc_class == "68T05"
    assert entry.acm_class == "I.2.6"
    assert entry.revised


@pytest.mark.parametrize(
    ("line", "arxiv_id", "version", "categories"),
    [
        ("arXiv:2507.06261 [pdf, other]", "2507.06261", None, ()),
        ("arXiv:2507.06261v2 [pdf]  cs.LG stat.ML", "2507.06261", 2, ("cs.LG", "stat.ML")),
        ("arXiv:cs/0112017 [pdf]", "cs/0112017", None, ()),
        ("arXiv:hep-th/9901001v3 [pdf, ps, other]", "hep-th/9901001", 3, ()),
        ("arXiv:0704.0001", "0704.0001", None, ()),
        ("arXiv:math.GT/0309136v1 [pdf]", "math.GT/0309136", 1, ()),
    ],
)
def test_identifier_lines(
    line: str, arxiv_id: str, version: int | None, categories: tuple[str, ...]
) -> None:
    entry = parse_one(f"{line}\nT\nAuthors: A B\nAbstract: x\nSubmitted 1 May, 2020;\n")
    assert (entry.arxiv_id, entry.arxiv_version, entry.categories) == (
        arxiv_id,
        version,
        categories,
    )


def test_subject_codes_on_the_following_line() -> None:
    entry = parse_one(
        "arXiv:2101.00001 [pdf]\nhep-th gr-qc q-bio.NC\nT\nAuthors: A B\nAbstract: x\n"
        "Submitted 1 May, 2020;\n"
    )
    assert entry.categories == ("hep-th", "gr-qc", "q-bio.NC")


def test_authors_on_one_line_with_et_al() -> None:
    entry = parse_one(
        "-\nT\nAuthors: Ann One, Bob Two, Cy Three, et al. (12 additional authors not shown)\n"
        "Abstract:\nx\nSubmitted 3 March, 2021;\n"
    )
    assert entry.authors == ("Ann One", "Bob Two", "Cy Three")
    assert entry.hidden_authors == 12
    assert entry.author_count == 15


def test_one_additional_author_singular() -> None:
    entry = parse_one(
        "-\nT\nAuthors:\nAnn One\n, et al. (1 additional author not shown)\nAbstract: x\n"
        "Submitted 3 March, 2021;\n"
    )
    assert entry.hidden_authors == 1


def test_more_less_keeps_full_multi_paragraph_abstract() -> None:
    entry = parse_one(
        "-\nT\nAuthors: A B\nAbstract:\nFirst words of the teas…\n▽ More\n"
        "First paragraph, whole.\n\nSecond paragraph.\n△ Less\nSubmitted 3 March, 2021;\n"
    )
    assert entry.abstract == "First paragraph, whole.\n\nSecond paragraph."


def test_latest_version_note() -> None:
    entry = parse_one(
        "arXiv:2101.00001v1 [pdf]\nT\nAuthors: A B\nAbstract: x\n"
        "Submitted 2 May, 2021; v1 submitted 1 January, 2021;\n"
        "originally announced January 2021.\nLatest version: arXiv:2101.00001v4\n"
    )
    assert entry.latest_version == 4


def test_announcement_on_the_submitted_line() -> None:
    entry = parse_one(
        "-\nT\nAuthors: A B\nAbstract: x\n"
        "Submitted 3 March, 2021; originally announced March 2021.\n"
    )
    assert str(entry.announced) == "2021-03"


# -- malformed input: file, line and what was expected ---------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("-\nT\nAbstract: x\nSubmitted 1 May, 2020;\n", 3, "expected 'Authors:'"),
        ("-\nAuthors: A\nAbstract: x\nSubmitted 1 May, 2020;\n", 2, "expected a title"),
        ("-\nT\nAuthors: A\nSubmitted 1 May, 2020;\n", 4, "expected 'Abstract:'"),
        ("-\nT\nAuthors: A\nAbstract: x\n", 4, "no 'Submitted D Month, YYYY;' line"),
        ("-\nT\nAuthors: A\nAbstract: x\nSubmitted 31 February, 2020;\n", 5, "no such date"),
        ("-\nT\nAuthors: A\nAbstract: x\nSubmitted 1 Maybe, 2020;\n", 5, "unknown month"),
        ("-\nT\nAuthors: A, , B\nAbstract: x\nSubmitted 1 May, 2020;\n", 3, "author names"),
        ("-\nT\nAuthors: A, et al.\nAbstract: x\nSubmitted 1 May, 2020;\n", 3, "et al."),
        ("-\nT\nAuthors: A\nAbstract: t…\n▽ More\nfull\nSubmitted 1 May, 2020;\n", 7, "△ Less"),
        ("-\nT\nAuthors: A\nAbstract: x\nSubmitted 1 May, 2020;\nbanana\n", 6, "found 'banana'"),
        ("-\nT\nAuthors: A\nAbstract: x\nSubmitted 1 May, 2020;\nDOI: nope\n", 6, "DOI"),
        ("Showing 1-2 of 2\n-\nT\n", 1, "expected '-' or an 'arXiv:ID"),
        ("", 1, "no entries"),
    ],
)
def test_malformed_entry_names_line_and_expectation(text: str, line: int, expected: str) -> None:
    error = error_of(text)
    assert error.path == "test.txt"
    assert error.line == line
    assert expected in error.reason
    assert error.message.startswith(f"test.txt:{line}: ")


def test_malformed_entry_does_not_hide_the_others() -> None:
    good = "-\nGood\nAuthors: A B\nAbstract: x\nSubmitted 1 May, 2020;\n"
    bad = "-\nBad\nAuthors: A B\nSubmitted 1 May, 2020;\n"
    items = parse_text(good + bad + good.replace("Good", "Also good"))
    assert [type(i).__name__ for i in items] == ["ListingEntry", "ParseError", "ListingEntry"]


def test_binary_file_is_a_parse_error(tmp_path: Path) -> None:
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"-\nT\n\xff\xfe\x00garbage")
    with pytest.raises(ParseError, match=r"binary\.txt:3: .*(UTF-8|binary)"):
        list(read_lines(binary))


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        list(read_lines(tmp_path / "absent.txt"))


# -- arbitrary input ------------------------------------------------------------------------

LISTING_WORDS = [
    "-",
    "Authors:",
    "Abstract:",
    "▽ More",
    "△ Less",
    "Submitted 1 May, 2020;",
    "v1 submitted 2 May, 2020;",
    "originally announced May 2020.",
    ", et al. (3 additional authors not shown)",
    "arXiv:2101.00001v2 [pdf]",
    "cs.LG",
    "DOI: 10.1/x",
    "Comments:",
    "Latest version: v0",
    "Submitted 0 May, 0000;",
    "Ann B",
    ",",
    "",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LISTING_WORDS), st.text()), max_size=40))
def test_arbitrary_lines_give_only_parse_errors(lines: list[str]) -> None:
    for item in parse_text("\n".join(lines)):
        assert isinstance(item, ListingEntry | ParseError)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_only_parse_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.txt"
        path.write_bytes(data)
        try:
            list(iter_listing(path, lenient=True))
            list(iter_listing(path, lenient=False))
        except ParseError:
            pass

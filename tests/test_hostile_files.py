"""Hostile input files: the three readers fuzzed, XML attacks refused, huge and pathological files
read in bounded memory and time.

Fuzzing. Each reader runs through its public entry point, a file on disk read into items as
ingest reads it (``read_lines`` + ``iter_entries`` for listings, ``bibtex.iter_entries``,
``arxiv_atom.iter_records``), on three kinds of input: real files (``tests/data``, ``data/``)
mutated byte- and token-wise, near-valid files built from the format's grammar with a few pieces
broken, and raw bytes (invalid UTF-8, NULs, BOMs, line breaks, long runs). Only ParseError may
come out, raised or in an entry's place, naming the file and a line of it; records that come out
are well-formed (they validate again as their own model, serialise as UTF-8 JSON, carry a line of
the file, in file order). Each reader gets ``SCHOLARKG_FUZZ_CASES`` cases (default 200) in the
default run and 10,000 under ``-m slow``; ``benchmarks/bench_hostile_files.py`` runs the same
targets (``FUZZ_TARGETS``) and counts.

Huge files are read in a child process, whose own peak RSS (VmHWM; ``os.wait4``'s ru_maxrss where
/proc is missing) is compared with the same child reading a small file of the same kind: memory
that stays flat is a difference of a few MB.
A child that runs past its time limit is killed and the test fails (a hang).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from scholarkg.errors import ParseError
from scholarkg.records import ListingEntry, WorkRecord
from scholarkg.sources import arxiv_atom, bibtex
from scholarkg.sources.arxiv_listing import MAX_LINE, iter_entries, read_lines

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

FUZZ_CASES = int(os.environ.get("SCHOLARKG_FUZZ_CASES", "200"))
"""Cases per reader in the default run (SCHOLARKG_FUZZ_CASES overrides)."""
LONG_FUZZ_CASES = 10_000
"""Cases per reader under ``-m slow``."""

MB = 1 << 20
FLAT_MB = 16
"""Most a child's peak RSS may exceed the same child's on a small file ("flat" memory)."""
CHILD_TIMEOUT = 180.0
"""Seconds a child reading one file may take before it counts as a hang."""


# -- reading a file as ingest does, and checking what comes out -------------------------------


def read_listing(path: Path) -> Iterator[ListingEntry | ParseError]:
    """A listing's items, as ``pipeline.iter_listing`` reads them before strict/lenient."""
    return iter_entries(read_lines(path), str(path))


@dataclass(frozen=True)
class Outcome:
    """What one fuzz case gave: records, entries in error, or the whole file refused."""

    records: int
    errors: int
    refused: bool


@dataclass(frozen=True)
class FuzzTarget:
    """One reader under fuzzing: its entry point, what it may yield, and its inputs."""

    name: str
    suffix: str
    read: Callable[[Path], Iterator[Any]]
    record_types: tuple[type[BaseModel], ...]
    inputs: st.SearchStrategy[bytes]
    near_valid: st.SearchStrategy[bytes]

    def check(self, data: bytes, folder: Path) -> Outcome:
        """Read ``data`` as a file; fail (AssertionError or the stray exception) unless only
        well-formed records and located ParseErrors come out."""
        path = folder / f"fuzz{self.suffix}"
        path.write_bytes(data)
        lines = _line_count(data)
        records = errors = 0
        previous = 0
        try:
            for item in self.read(path):
                if isinstance(item, ParseError):
                    check_parse_error(item, path, lines)
                    errors += 1
                else:
                    assert isinstance(item, self.record_types), type(item)
                    check_record(item, lines)
                    records += isinstance(item, ListingEntry | WorkRecord)
                assert item.line >= previous, f"items out of file order: {item.line} < {previous}"
                previous = item.line
        except ParseError as exc:
            check_parse_error(exc, path, lines)
            return Outcome(records, errors, refused=True)
        return Outcome(records, errors, refused=False)


def _line_count(data: bytes) -> int:
    """An upper bound of the lines a reader may count in ``data`` (any of LF, CRLF, CR)."""
    return data.count(b"\n") + data.count(b"\r") + 1


def check_parse_error(error: ParseError, path: Path, lines: int) -> None:
    """A ParseError names the file and a line of it, says why, and has the JSON error shape."""
    assert error.path == str(path)
    assert 1 <= error.line <= lines, (error.line, lines, error.reason)
    assert error.reason.strip(), "a ParseError without a reason"
    assert str(error) == f"{path}:{error.line}: {error.reason}"
    shape = json.loads(json.dumps(error.to_dict()))
    assert shape["error"] == "parse-error" and shape["line"] == error.line


def check_record(record: BaseModel, lines: int) -> None:
    """A record validates again as its own model, is UTF-8 JSON, and its texts are trimmed."""
    again = type(record).model_validate(record.model_dump())
    assert again == record
    record.model_dump_json().encode("utf-8")  # no lone surrogates: the mapper writes UTF-8
    line = getattr(record, "line", 0)
    assert 1 <= line <= lines, (line, lines)
    title = getattr(record, "title", None)
    if title is not None:
        assert title and title == title.strip(), repr(title)
    for author in getattr(record, "authors", ()):
        printed = author if isinstance(author, str) else author.printed
        assert printed and printed == printed.strip() and "\x00" not in printed, repr(printed)


# -- inputs common to the three formats --------------------------------------------------------

_BYTE_ODDITIES = (
    b"\x00",
    b"\xff",
    b"\xfe\xff",
    b"\xc3",  # a truncated two-byte sequence
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xc0\xaf",  # an overlong encoding
    b"\xef\xbb\xbf",  # a BOM, wherever it falls
    b"\r",
    b"\n",
    b"\r\n",
    b"\t",
    b"\x0b\x0c\x1c\x85",
    "\u2028\u00a0\u200b".encode(),
)


def _long_runs(tokens: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """A short piece repeated up to 50,000 times: long lines, deep nesting, long words."""
    pieces = st.sampled_from((b" ", b"a", b"{", b"}", b"<a>", b",", "é".encode(), b"\\'", *tokens))
    return st.builds(lambda piece, n: piece * n, pieces, st.integers(1, 50_000))


def raw_bytes(tokens: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """Random bytes, odd bytes, the format's tokens and long runs, joined."""
    piece = st.one_of(
        st.binary(max_size=48),
        st.sampled_from(_BYTE_ODDITIES),
        st.sampled_from(tokens),
        st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
        _long_runs(tokens),
    )
    return st.lists(piece, max_size=24).map(b"".join)


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...], tokens: tuple[bytes, ...]) -> bytes:
    """A real file with one to six mutations: bytes deleted, inserted, replaced, duplicated,
    a token of the format inserted, lines swapped, the file cut or spliced with another."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        size = len(data)
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, min(size, start + 600)))
        operation = draw(
            st.sampled_from(
                ("delete", "insert", "replace", "duplicate", "token", "cut", "splice", "swap")
            )
        )
        if operation == "delete":
            del data[start:end]
        elif operation == "insert":
            data[start:start] = draw(
                st.one_of(st.binary(max_size=16), st.sampled_from(_BYTE_ODDITIES))
            )
        elif operation == "replace" and start < size:
            data[start] = draw(st.integers(0, 255))
        elif operation == "duplicate":
            data[end:end] = data[start:end] * draw(st.integers(1, 4))
        elif operation == "token":
            data[start:start] = draw(st.sampled_from(tokens))
        elif operation == "cut":
            del data[start:]
        elif operation == "splice":
            other = draw(st.sampled_from(seeds))
            data[start:] = other[draw(st.integers(0, len(other))) :]
        elif operation == "swap":
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


class _Pieces:
    """Draws the pieces of one entry: valid ones when the entry is intact (about half of the
    entries), else also invalid ones, and now and then a piece dropped, doubled, cut or noise."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.intact = draw(st.booleans())

    def pick(self, valid: tuple[str, ...], invalid: tuple[str, ...] = ()) -> str:
        """One of ``valid``; or of ``valid`` and ``invalid`` when the entry is not intact."""
        return self.draw(st.sampled_from(valid if self.intact else valid + invalid))

    def some(
        self, valid: tuple[str, ...], invalid: tuple[str, ...] = (), most: int = 3
    ) -> list[str]:
        """Zero to ``most`` picks (at least one when intact)."""
        return [self.pick(valid, invalid) for _ in range(self.draw(st.integers(self.intact, most)))]

    def piece(self, text: str) -> str:
        """The piece as is when intact; else mostly as is, sometimes broken."""
        if self.intact:
            return text
        how = self.draw(st.sampled_from(("keep",) * 6 + ("drop", "double", "cut", "noise")))
        if how == "drop":
            return ""
        if how == "double":
            return text + text
        if how == "cut":
            return text[: self.draw(st.integers(0, len(text)))]
        if how == "noise":
            return self.draw(st.text(max_size=8))
        return text


def _encode(text: str, draw: st.DrawFn) -> bytes:
    """UTF-8, sometimes with a BOM."""
    bom = b"\xef\xbb\xbf" if draw(st.integers(0, 3)) == 0 else b""
    return bom + text.encode("utf-8", "surrogatepass")


_TITLE_WORDS = (
    "Learning",
    "ferrets",
    "Reinforcement",
    "in the Wild:",
    "ε-greedy",
    "RLHF",
    "Müller's",
    "a,b",
    "(3",
    "…",
    "10.1234/x",
)
_STRAY_WORDS = ("Submitted", "Abstract:", "Authors:", "et al.", "▽ More", "△ Less", "", "Comments:")
_PEOPLE = (
    "Johan Ferret",
    "Ann B",
    "Léa Müller-Dąbrowski",
    "Orion Team",
    "J. R. R. Tolkien",
    "Nguyễn Văn An",
    "Conan O'Brien",
    "Hado van Hasselt",
    "X",
)
_ODD_PEOPLE = ("", "others", "et al", "Smith, Jr., John", "{Gemma Team}", "Ren{\\'e} Descartes")


def _words(pieces: _Pieces) -> str:
    return " ".join(pieces.some(_TITLE_WORDS, _STRAY_WORDS, most=6))


# -- arXiv listings ---------------------------------------------------------------------------

_MONTH_NAMES = ("January", "May", "Sept", "Dec", "December", "Feb.", "Jul")
_BAD_MONTHS = ("Marchy", "may", "", "13")


def _date(pieces: _Pieces, years: tuple[str, ...]) -> str:
    day = pieces.pick(("1", "22", "28"), ("0", "31", "99", ""))
    month = pieces.pick(_MONTH_NAMES, _BAD_MONTHS)
    return f"{day} {month}, {pieces.pick(years, ('0000', '20201', ''))}"


@st.composite
def listing_text(draw: st.DrawFn) -> bytes:
    """A listing of near-valid entries in both layouts (``-`` and ``arXiv:ID``)."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        pieces = _Pieces(draw)
        head = pieces.pick(
            (
                "-",
                "arXiv:2101.00001 [pdf, other]",
                "arXiv:2101.00001v2 [pdf] cs.LG stat.ML",
                "arXiv:hep-th/9901001v1",
            ),
            ("arXiv:2101.0001", " - ", "arXiv:2101.00001 [pdf"),
        )
        lines.append(pieces.piece(head))
        if head.startswith("arXiv") and draw(st.booleans()):
            codes = pieces.some(("cs.LG", "stat.ML", "math-ph", "q-bio.NC"), ("cs.lg", "Cs.LG"))
            lines.append(" ".join(codes))
        lines += [pieces.piece(_words(pieces)) for _ in range(draw(st.integers(pieces.intact, 2)))]
        authors = pieces.some(_PEOPLE, _ODD_PEOPLE, most=6)
        joined = ",\n".join(authors) if draw(st.booleans()) else ", ".join(authors)
        if draw(st.booleans()):
            hidden = pieces.pick(("3", "1", "1234"), ("0", "x", "123456789012345678901234567890"))
            joined += f"\n, et al. ({hidden} additional authors not shown)"
        between = " " if draw(st.booleans()) else "\n"
        lines.append(pieces.piece("Authors:") + between + joined)
        lines.append(pieces.piece("Abstract:") + " " + _words(pieces))
        if draw(st.booleans()):
            lines += [_words(pieces) + "…", pieces.piece("▽ More"), _words(pieces), ""]
            lines += [_words(pieces), pieces.piece("△ Less")]
        submitted = f"Submitted {_date(pieces, ('2020', '2025'))};"
        if draw(st.booleans()):
            submitted += f" v1 submitted {_date(pieces, ('2015', '2019'))};"
        lines.append(pieces.piece(submitted))
        if draw(st.booleans()):
            month = pieces.pick(_MONTH_NAMES, _BAD_MONTHS)
            lines.append(pieces.piece(f"originally announced {month} 2015."))
        labels = (
            "Comments: 12 pages",
            "Journal ref: J. Foo 1 (2024)",
            "DOI: 10.1234/ABC",
            "DOI: https://doi.org/10.1/x",
            "Latest version: v3",
            "Latest version: arXiv:2101.00001v12",
            "Report number: X-1",
            "MSC Class: 68T05",
            "ACM Class: I.2.6",
        )
        bad = ("DOI: nope", "Latest version: none", "Latest version: v0", "Comments:", "Other: x")
        lines += [pieces.piece(label) for label in pieces.some(labels, bad) if draw(st.booleans())]
    newline = draw(st.sampled_from(("\n", "\r\n", "\r")))
    return _encode(newline.join(lines) + newline, draw)


_LISTING_SEEDS = (
    (ROOT / "data" / "arxiv-listing-ferret.txt").read_bytes(),
    *(path.read_bytes() for path in sorted((DATA / "listings").glob("*.txt"))),
)
_LISTING_TOKENS = tuple(
    token.encode()
    for token in (
        "\n-\n",
        "\nAuthors:",
        "\nAbstract:",
        "\n▽ More\n",
        "\n△ Less\n",
        "\nSubmitted 1 May, 2020;",
        " v1 submitted 31 February, 2020;",
        "\noriginally announced May 2020.",
        ", et al. (3 additional authors not shown)",
        "\narXiv:2101.00001v2 [pdf]\n",
        "\ncs.LG stat.ML\n",
        "\nDOI: 10.1/x",
        "\nLatest version: v0",
        "\nComments:",
        ",",
    )
)


# -- BibTeX -----------------------------------------------------------------------------------

_BIB_VALUES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # field: (valid values, invalid values), as written after "name = "
    "title": (
        (
            "{Learning {RL} in the Wild}",
            '"{\\"O}ber {\\\'e}t{\\\'e}: Acc{\\`e}nts"',
            "{$\\alpha$-Titles and \\unknownmacro{x}}",
            "{Caf\\'{e} \\& Co 50\\% ``quoted''~here}",
            "{{{Nested}}}",
        ),
        ("{}", "undefined", 'iswc # " x"', '{\\char"D800}', "{\\symbol{55296}}", "{" * 3),
    ),
    "year": (("2020", "{2019}", '"May 2020"'), ("{}", "x y", "{twenty}")),
    "doi": (("{10.1234/ABC.def}", "{https://doi.org/10.1/x}"), ("{nope}", "{10.1/}")),
    "eprint": (("{2101.00001v2}", "{hep-th/9901001}"), ("{x}",)),
    "archiveprefix": (("{arXiv}",), ("{viXra}",)),
    "pages": (("{1--10}", "{550-566}", "{12}", "{1--2, 5--9}"), ("{--}",)),
    "journal": (("{CoRR}", "{Journal of Things}", "iswc"), ("undefined",)),
    "booktitle": (("{Workshop on Things}", "{WS@ISWC}", "iswc", "{Proc. of X}"), ()),
    "url": (("{https://arxiv.org/abs/hep-th/9901001v1}", "{\\url{https://example.org/a\\_b}}"), ()),
    "volume": (("{abs/2101.00001}", "{12}"), ()),
    "abstract": (("{Text with 50\\% and\n\n  a second paragraph}",), ("{\\begin{x}",)),
    "crossref": (("{vol}",), ("{missing}", "{a}")),
    "series": (("{LNCS}",), ()),
    "date": (("{2021-03-04}",), ("{soon}",)),
}


def _bib_people(pieces: _Pieces) -> str:
    names = pieces.some(_PEOPLE, _ODD_PEOPLE, most=5)
    if pieces.draw(st.integers(0, 3)) == 0:
        names.append("others")
    return "{" + " and ".join(names) + "}"


@st.composite
def bibtex_text(draw: st.DrawFn) -> bytes:
    """A .bib file of near-valid entries, with @string, @proceedings, @comment, @preamble."""
    blocks: list[str] = []
    if draw(st.booleans()):
        blocks.append("@string{iswc = {International Semantic Web Conference}}")
    if draw(st.booleans()):
        blocks.append("@proceedings{vol,\n  editor = {A B},\n  title = {Proc. of the WS},\n}")
    for number in range(draw(st.integers(1, 4))):
        pieces = _Pieces(draw)
        kind = pieces.pick(
            ("article", "inproceedings", "misc", "book", "ARTICLE", "conference"),
            ("string", "comment", "preamble", "proceedings", ""),
        )
        opening, closing = draw(st.sampled_from((("{", "}"), ("{", "}"), ("(", ")"))))
        key = pieces.pick((f"k{number}",), ("a", "a", "x y", "", "k{"))
        names = ["title", "author" if draw(st.integers(0, 4)) else "editor"]
        names += draw(st.lists(st.sampled_from(sorted(_BIB_VALUES)), max_size=6, unique=True))
        if not pieces.intact:
            names = draw(st.lists(st.sampled_from([*_BIB_VALUES, "author", "editor"]), max_size=8))
        fields = []
        for name in dict.fromkeys(names) if pieces.intact else names:
            if name in ("author", "editor"):
                value = _bib_people(pieces)
            else:
                value = pieces.pick(*_BIB_VALUES[name])
            fields.append(pieces.piece(f"{name} = {value}"))
        separator = draw(st.sampled_from((",\n  ", ", ", ",\n")))
        body = key + separator + separator.join(fields) + draw(st.sampled_from(("", ",")))
        opening, closing = pieces.piece(opening), pieces.piece(closing)
        blocks.append(f"@{pieces.piece(kind)}{opening}{body}{closing}")
    newline = draw(st.sampled_from(("\n", "\r\n")))
    return _encode((newline * 2).join(blocks) + newline, draw)


_BIBTEX_SEEDS = tuple(
    path.read_bytes()
    for path in (*sorted((DATA / "bibtex").glob("*.bib")), DATA / "dblp" / "journals_semweb.bib")
)
_BIBTEX_TOKENS = tuple(
    token.encode()
    for token in (
        "@article{",
        "@proceedings{",
        "@string{x = {y}}",
        "@comment{",
        "@preamble{",
        "author = {A B and others}",
        "title = ",
        "crossref = {a}",
        " # ",
        '"',
        "{",
        "}",
        "(",
        ")",
        ",",
        "=",
        "\\",
        "%",
        '{\\"o}',
        "{\\AA}",
        "\\'",
        "$",
        "@",
    )
)


# -- arXiv API Atom feeds ---------------------------------------------------------------------

_XML_TEXTS = (
    "Ferrets &amp; friends",
    "a &lt; b &gt; c",
    "caf&#233; &#x1F600;",
    "<![CDATA[raw <b>x</b> & y]]>",
    "<b>bold <i>nested</i></b> text",
    "text <!-- a comment --> more",
    "text <?pi data?> more",
    "  spaced\n  out  ",
)
_BAD_XML_TEXTS = ("", "&#0;", "&#xD800;", "&nope;", "<", "&", "]]>", "<a>")
_ROOTS = (
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">',
    '<atom:feed xmlns:atom="http://www.w3.org/2005/Atom" xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">',
)
_BAD_ROOTS = ('<feed xmlns="http://example.org/not-atom">', "<feed>", "<entry>")


def _atom_entry(pieces: _Pieces, number: int) -> str:
    """The children of one ``<entry>``, in an order drawn."""
    draw = pieces.draw

    def text() -> str:
        return pieces.pick(_XML_TEXTS, _BAD_XML_TEXTS)

    ident = pieces.pick(
        (
            f"http://arxiv.org/abs/2405.{number:05d}v2",
            f"http://arxiv.org/abs/hep-th/99010{number:02d}",
        ),
        ("http://arxiv.org/abs/2405.12345v0", "http://arxiv.org/api/errors#x", "not an id"),
    )
    published = pieces.pick(("2024-05-20T17:59:59Z", "2023-01-02T00:00:00+02:00"), ("2024-02-30",))
    updated = pieces.pick(("2024-06-01T10:00:00Z",), ("2023-01-01T00:00:00Z", "yesterday"))
    children = [
        f"<id>{ident}</id>",
        f"<title>{text()}</title>",
        f"<published>{published}</published>",
    ]
    children += [f"<updated>{updated}</updated>", f"<summary>{text()}</summary>"]
    for person in pieces.some(_PEOPLE, _ODD_PEOPLE, most=4):
        affiliations = "".join(
            f"<arxiv:affiliation>{text()}</arxiv:affiliation>"
            for _ in range(draw(st.integers(0, 2)))
        )
        children.append(f"<author><name>{person}</name>{affiliations}</author>")
    codes = pieces.some(("cs.LG", "stat.ML", "math-ph"), ("I.2.6; F.2.2", "not a code"))
    children += [
        f'<category term="{code}" scheme="http://arxiv.org/schemas/atom"/>' for code in codes
    ]
    optional = [
        f'<arxiv:primary_category term="{pieces.pick(("stat.ML", "cs.LG"), ("not a code",))}"/>',
        f"<arxiv:doi>{pieces.pick(('10.1234/ABC 10.5/y', '10.1/X'), ('nope',))}</arxiv:doi>",
        '<link href="https://arxiv.org/abs/2405.12345v2" rel="alternate" type="text/html"/>',
        '<link href="https://doi.org/10.1/X" rel="related" title="doi"/>',
        f"<arxiv:comment>{text()}</arxiv:comment>",
        f"<arxiv:journal_ref>{text()}</arxiv:journal_ref>",
        f"<unknown xmlns='urn:x'><deeper>{text()}</deeper></unknown>",
    ]
    children += [child for child in optional if draw(st.booleans())]
    if not pieces.intact:
        children += draw(
            st.lists(
                st.sampled_from(
                    (
                        "<author/>",
                        "<author><name>A</name><name>B</name></author>",
                        "<title>second</title>",
                        "<entry><title>nested entry</title></entry>",
                        '<arxiv:primary_category term="cs.LG"/>',
                    )
                ),
                max_size=2,
            )
        )
    order = draw(st.permutations(children))
    return "\n    ".join(pieces.piece(child) for child in order)


@st.composite
def atom_text(draw: st.DrawFn) -> bytes:
    """An Atom feed of near-valid entries, in UTF-8 or UTF-16."""
    feed = _Pieces(draw)
    root = feed.pick(_ROOTS, _BAD_ROOTS)
    closing = "</atom:feed>" if root.startswith("<atom:") else "</feed>"
    prolog = draw(
        st.sampled_from(
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n',
                "",
                "\n",
                '<?xml version="1.0" encoding="ISO-8859-1"?>\n',
                '<?xml version="1.0" encoding="UTFN8"?>\n',  # unknown: LookupError before the fix
            )
        )
    )
    parts = [prolog, root]
    if draw(st.booleans()):
        total = feed.pick(("3", "0"), ("x", ""))
        parts.append(f"\n  <opensearch:totalResults>{total}</opensearch:totalResults>")
    for number in range(draw(st.integers(feed.intact, 3))):
        pieces = _Pieces(draw)
        body = _atom_entry(pieces, number)
        parts.append(f"\n  {pieces.piece('<entry>')}\n    {body}\n  {pieces.piece('</entry>')}")
    parts.append("\n" + feed.piece(closing) + "\n")
    text = "".join(parts)
    if draw(st.integers(0, 9)) == 0:
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    return _encode(text, draw)


_ATOM_SEEDS = tuple(path.read_bytes() for path in sorted((DATA / "atom").glob("*")))
_ATOM_TOKENS = tuple(
    token.encode()
    for token in (
        "<entry>",
        "</entry>",
        "<title>",
        "</title>",
        "<author><name>A B</name></author>",
        "<id>http://arxiv.org/abs/2405.12345v2</id>",
        "<!DOCTYPE feed>",
        '<!ENTITY x "y">',
        "&amp;",
        "&x;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?",
        "?>",
        '"',
        "<",
        ">",
        "/>",
        'xmlns="http://www.w3.org/2005/Atom"',
        'encoding="x-no-such-codec"',
    )
)


def _target(
    name: str,
    suffix: str,
    read: Callable[[Path], Iterator[Any]],
    record_types: tuple[type[BaseModel], ...],
    near_valid: st.SearchStrategy[bytes],
    seeds: tuple[bytes, ...],
    tokens: tuple[bytes, ...],
) -> FuzzTarget:
    # near-valid files twice: the branch that reaches furthest into the reader
    inputs = st.one_of(mutated(seeds, tokens), near_valid, near_valid, raw_bytes(tokens))
    return FuzzTarget(name, suffix, read, record_types, inputs, near_valid)


FUZZ_TARGETS: dict[str, FuzzTarget] = {
    target.name: target
    for target in (
        _target(
            "listing",
            ".txt",
            read_listing,
            (ListingEntry,),
            listing_text(),
            _LISTING_SEEDS,
            _LISTING_TOKENS,
        ),
        _target(
            "bibtex",
            ".bib",
            bibtex.iter_entries,
            (WorkRecord, bibtex.SkippedEntry),
            bibtex_text(),
            _BIBTEX_SEEDS,
            _BIBTEX_TOKENS,
        ),
        _target(
            "atom",
            ".atom",
            arxiv_atom.iter_records,
            (WorkRecord,),
            atom_text(),
            _ATOM_SEEDS,
            _ATOM_TOKENS,
        ),
    )
}
"""The readers under fuzzing, by name: what the benchmark runs at scale."""

FUZZ_HEALTH_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]


def fuzz_settings(cases: int, **overrides: Any) -> settings:
    """The hypothesis settings of a fuzz run of ``cases`` cases."""
    options: dict[str, Any] = {
        "max_examples": cases,
        "deadline": None,
        "suppress_health_check": FUZZ_HEALTH_CHECKS,
    }
    return settings(**{**options, **overrides})


CASES = [
    pytest.param(FUZZ_CASES, id="default"),
    pytest.param(LONG_FUZZ_CASES, id="long", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("cases", CASES)
@pytest.mark.parametrize("name", list(FUZZ_TARGETS))
def test_fuzzed_files_give_records_or_parse_errors(name: str, cases: int, tmp_path: Path) -> None:
    target = FUZZ_TARGETS[name]

    @fuzz_settings(cases)
    @given(data=target.inputs)
    def fuzz(data: bytes) -> None:
        target.check(data, tmp_path)

    fuzz()


@pytest.mark.parametrize("name", list(FUZZ_TARGETS))
def test_near_valid_inputs_reach_records_and_errors(name: str, tmp_path: Path) -> None:
    """The grammar-built inputs get past the first line: some give several records, some give
    a record next to an entry in error (so the fuzz exercises every stage of the reader)."""
    target = FUZZ_TARGETS[name]
    search = fuzz_settings(3000, phases=[Phase.generate], database=None)

    def several(data: bytes) -> bool:
        return target.check(data, tmp_path).records >= 2

    def mixed(data: bytes) -> bool:
        outcome = target.check(data, tmp_path)
        return outcome.records >= 1 and outcome.errors >= 1

    assert several(find(target.near_valid, several, settings=search))
    assert mixed(find(target.near_valid, mixed, settings=search))


@pytest.mark.parametrize("name", list(FUZZ_TARGETS))
def test_real_seed_files_read_cleanly(name: str, tmp_path: Path) -> None:
    """The unmutated seeds pass the same checks, so a failure in the fuzz is the mutation's."""
    target = FUZZ_TARGETS[name]
    seeds = {"listing": _LISTING_SEEDS, "bibtex": _BIBTEX_SEEDS, "atom": _ATOM_SEEDS}[name]
    outcomes = [target.check(seed, tmp_path) for seed in seeds]
    assert sum(o.records for o in outcomes) >= 3


# -- child processes: peak memory and hangs ---------------------------------------------------

_CHILD = """
import json, sys
from pathlib import Path
from scholarkg.errors import ParseError
from scholarkg.sources import arxiv_atom, bibtex
from scholarkg.sources.arxiv_listing import iter_entries, read_lines

kind, path = sys.argv[1], Path(sys.argv[2])
read = {
    "listing": lambda p: iter_entries(read_lines(p), str(p)),
    "bibtex": bibtex.iter_entries,
    "atom": arxiv_atom.iter_records,
}[kind]
result = {"records": 0, "errors": [], "raised": None, "first": None}
try:
    for item in read(path):
        if isinstance(item, ParseError):
            result["errors"].append([item.line, item.reason[:300]])
        else:
            result["records"] += 1
            if result["first"] is None:
                result["first"] = item.model_dump(mode="json")
except ParseError as exc:
    result["raised"] = [exc.path, exc.line, exc.reason[:300]]
result["errors"] = result["errors"][:5]
try:  # this process's own peak (wait4's ru_maxrss also counts the parent's RSS at the spawn)
    status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    result["vm_hwm_kib"] = next(int(r.split()[1]) for r in status if r.startswith("VmHWM:"))
except OSError:
    result["vm_hwm_kib"] = None
print(json.dumps(result))
"""


@dataclass(frozen=True)
class ChildRead:
    """What a child reading one file printed, and its peak resident memory."""

    result: dict[str, Any]
    peak_mb: float


def read_in_child(kind: str, path: Path, timeout: float = CHILD_TIMEOUT) -> ChildRead:
    """Read ``path`` with the ``kind`` reader in a fresh Python, to its own peak RSS."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, kind, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            child.returncode = -9
            pytest.fail(f"reading {path.name} ({kind}) took over {timeout:.0f} s: a hang")
        time.sleep(0.02)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.stdout is not None and child.stderr is not None
    out, err = child.stdout.read(), child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == 0, err.decode(errors="replace")[-3000:]
    result = json.loads(out)
    # VmHWM when the child could read it: on Linux, wait4's ru_maxrss is at least the RSS of
    # this (pytest) process when it spawned the child, as exec keeps the old high-water mark
    peak_kib = result.pop("vm_hwm_kib") or usage.ru_maxrss
    return ChildRead(result, peak_kib / 1024)


@pytest.fixture(scope="module")
def baseline_mb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """Each reader's peak RSS on a small valid file: the floor that flat memory stays near."""
    folder = tmp_path_factory.mktemp("baseline")
    files = {
        "listing": _LISTING_SEEDS[0],
        "bibtex": (DATA / "bibtex" / "works.bib").read_bytes(),
        "atom": (DATA / "atom" / "feed.atom").read_bytes(),
    }
    peaks = {}
    for kind, data in files.items():
        path = folder / f"small-{kind}"
        path.write_bytes(data)
        read = read_in_child(kind, path)
        assert read.result["records"] >= 3 and read.result["raised"] is None
        peaks[kind] = read.peak_mb
    return peaks


def write_file(path: Path, head: bytes, body: bytes, repeat: int, tail: bytes = b"") -> Path:
    """Write ``head``, ``body`` ``repeat`` times, then ``tail``, streamed."""
    with path.open("wb") as out:
        out.write(head)
        for _ in range(repeat):
            out.write(body)
        out.write(tail)
    return path


# -- hostile XML: refused at the DOCTYPE, nothing fetched, nothing expanded ----------------------

FEED_ROOT = '<feed xmlns="http://www.w3.org/2005/Atom">'
ENTRY = (
    "<entry><id>http://arxiv.org/abs/2405.{n:05d}v1</id><title>{title}</title>"
    "<author><name>Ada Lovelace</name></author>"
    "<published>2024-05-20T17:59:59Z</published><summary>{summary}</summary></entry>\n"
)


def _laughs(levels: int) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return "<!DOCTYPE feed [\n" + "\n".join(entities) + "\n]>"


def _attacks(port: int) -> dict[str, tuple[str, str]]:
    """Name -> (prolog, title text): each prolog puts its DOCTYPE on line 2."""
    url = f"http://127.0.0.1:{port}"
    return {
        "external entity, file": (
            '<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
            "&x;",
        ),
        "external entity, http loopback": (
            f'<!DOCTYPE feed [<!ENTITY x SYSTEM "{url}/secret">]>',
            "&x;",
        ),
        "parameter entity": (
            f'<!DOCTYPE feed [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>',
            "t",
        ),
        "external DTD": (f'<!DOCTYPE feed SYSTEM "{url}/feed.dtd">', "t"),
        "public DTD": (f'<!DOCTYPE feed PUBLIC "-//X//DTD Feed//EN" "{url}/feed.dtd">', "t"),
        "billion laughs": (_laughs(9), "&lol9;"),
        "quadratic blowup": (
            '<!DOCTYPE feed [<!ENTITY a "' + "a" * 100_000 + '">]>',
            "&a;" * 20_000,
        ),
        "bare DOCTYPE": ("<!DOCTYPE feed>", "t"),
        "internal entity": ('<!DOCTYPE feed [<!ENTITY t "title">]>', "&t;"),
    }


@pytest.fixture
def loopback() -> Iterator[socket.socket]:
    """A listening loopback socket: any connection to it is an attempted fetch."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def _no_connection(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        connection, _ = server.accept()
        connection.close()


def _attack_feed(prolog: str, title: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}\n{FEED_ROOT}\n'
        + ENTRY.format(n=1, title=title, summary="s")
        + "</feed>\n"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("attack", list(_attacks(0)))
def test_xml_attacks_are_refused_at_the_doctype(
    attack: str, encoding: str, tmp_path: Path, loopback: socket.socket
) -> None:
    prolog, title = _attacks(loopback.getsockname()[1])[attack]
    text = _attack_feed(prolog, title)
    if encoding == "utf-16":
        text = text.replace('"UTF-8"', '"UTF-16"')
    path = tmp_path / "attack.atom"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ParseError) as caught:
        list(arxiv_atom.iter_records(path))
    error = caught.value
    assert (error.path, error.line) == (str(path), 2)  # the DOCTYPE line: nothing after it read
    assert error.reason.startswith("refused: the document has a DOCTYPE")
    _no_connection(loopback)


@pytest.mark.parametrize("attack", ["billion laughs", "quadratic blowup"])
def test_entity_bombs_stay_in_fixed_memory(
    attack: str, tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    prolog, title = _attacks(9)[attack]
    path = tmp_path / "bomb.atom"
    path.write_text(_attack_feed(prolog, title), encoding="utf-8")
    read = read_in_child("atom", path)
    raised = read.result["raised"]
    assert raised[:2] == [str(path), 2] and "DOCTYPE" in raised[2], read.result
    assert read.peak_mb < baseline_mb["atom"] + FLAT_MB, (read.peak_mb, baseline_mb)


def test_xinclude_and_undeclared_entities_fetch_nothing(
    tmp_path: Path, loopback: socket.socket
) -> None:
    url = f"http://127.0.0.1:{loopback.getsockname()[1]}/secret"
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}" parse="text"/>'
    path = tmp_path / "xinclude.atom"
    path.write_text(
        f"{FEED_ROOT}\n" + ENTRY.format(n=1, title=f"T {include}", summary="s") + "</feed>"
    )
    (record,) = arxiv_atom.iter_records(path)
    assert isinstance(record, WorkRecord) and record.title == "T"  # the element is inert
    undeclared = tmp_path / "undeclared.atom"
    undeclared.write_text(f"{FEED_ROOT}\n" + ENTRY.format(n=1, title="&passwd;", summary="s"))
    with pytest.raises(ParseError, match="malformed XML: undefined entity") as caught:
        list(arxiv_atom.iter_records(undeclared))
    assert caught.value.line == 2
    _no_connection(loopback)


@pytest.mark.parametrize("encoding", ["UTFN8", "x-no-such-codec", "utf-32"])
def test_unknown_or_unusable_xml_encoding_is_a_parse_error(encoding: str, tmp_path: Path) -> None:
    """Found by the long fuzz: an encoding Python has no codec for raised LookupError."""
    path = tmp_path / "encoding.atom"
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    path.write_text(declaration + FEED_ROOT + ENTRY.format(n=1, title="T", summary="s") + "</feed>")
    with pytest.raises(ParseError) as caught:
        list(arxiv_atom.iter_records(path))
    assert (caught.value.path, caught.value.line) == (str(path), 1)
    assert caught.value.reason.startswith(("cannot decode the XML", "malformed XML")), caught.value


# -- huge Atom files -------------------------------------------------------------------------

HUGE = 200 * MB
"""Size of the huge files the readers must refuse early or stream through."""

_ATOM_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n{FEED_ROOT}\n'.encode()
_HUGE_MARKUP = {
    # name: (text before the run, the repeated run, text after it, expected reason)
    "start tag": (b"<x", b"a" * MB, b"/>", "tag, comment or other markup longer than"),
    "attribute": (b'<x y="', b"a" * MB, b'"/>', "tag, comment or other markup longer than"),
    "comment": (b"<!--", b"a" * MB, b"-->", "tag, comment or other markup longer than"),
    "processing instruction": (b"<?pi ", b"a" * MB, b"?>", "tag, comment or other markup"),
    "nesting": (b"", b"<a>" * (MB // 3), b"", "elements nested more than 256 deep"),
    "captured text": (
        b"<entry><title>",
        b"title words " * (MB // 12),
        b"</title></entry>",
        "<title> has more than 1,000,000 characters",
    ),
}


@pytest.mark.parametrize("name", list(_HUGE_MARKUP))
def test_huge_atom_markup_is_refused_early(
    name: str, tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    """200 MB in one tag, comment, PI, text or nesting: a ParseError after about 1 MB read,
    in flat memory (expat 2.5 would hold the token and rescan it per chunk: quadratic)."""
    before, run, after, reason = _HUGE_MARKUP[name]
    path = write_file(tmp_path / "huge.atom", _ATOM_HEAD + before, run, HUGE // len(run), after)
    read = read_in_child("atom", path, timeout=60)
    raised = read.result["raised"]
    assert raised is not None and raised[:2] == [str(path), 3], raised
    assert reason in raised[2] and "not an arXiv API feed" in raised[2]
    assert read.peak_mb < baseline_mb["atom"] + FLAT_MB, (read.peak_mb, baseline_mb)


def test_huge_ignored_text_streams_through(tmp_path: Path, baseline_mb: dict[str, float]) -> None:
    """200 MB of text in an element the reader ignores: read to the end in flat memory."""
    entry = ENTRY.format(n=1, title="T", summary="S").encode()
    path = write_file(
        tmp_path / "ignored.atom",
        _ATOM_HEAD + b"<ignored>",
        b"words " * (MB // 6),
        HUGE // MB,
        b"</ignored>\n" + entry + b"</feed>\n",
    )
    read = read_in_child("atom", path)
    assert read.result["records"] == 1 and read.result["raised"] is None, read.result
    assert read.peak_mb < baseline_mb["atom"] + FLAT_MB, (read.peak_mb, baseline_mb)


@pytest.mark.parametrize(
    "size_mb", [pytest.param(24, id="24MB"), pytest.param(240, id="240MB", marks=pytest.mark.slow)]
)
def test_huge_atom_feed_is_read_in_flat_memory(
    size_mb: int, tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    summary = "A long abstract sentence that repeats. " * 60
    sample = ENTRY.format(n=0, title="Ferrets at scale", summary=summary).encode()
    count = size_mb * MB // len(sample)
    path = tmp_path / "big.atom"
    with path.open("wb") as out:
        out.write(_ATOM_HEAD)
        for n in range(count):
            out.write(ENTRY.format(n=n % 100_000, title=f"Ferrets {n}", summary=summary).encode())
        out.write(b"</feed>\n")
    read = read_in_child("atom", path)
    assert read.result["records"] == count and read.result["raised"] is None
    assert read.peak_mb < baseline_mb["atom"] + FLAT_MB, (read.peak_mb, baseline_mb)


# -- listings: long lines, no lines, binary, long runs -----------------------------------------

ENTRY_TEXT = (
    "-\nTitle number {n}\nAuthors:\nAnn B,\nJohan Ferret\nAbstract: A short abstract.\n"
    "Submitted 1 May, 2020;\n"
)


@pytest.mark.parametrize(
    ("head", "run", "line"),
    [
        pytest.param(b"", b"word " * (MB // 5), 1, id="no line breaks"),
        pytest.param(ENTRY_TEXT.format(n=1).encode() + b"-\nT\n", b"a" * MB, 10, id="100MB line"),
        pytest.param(b"-\nT\nAuthors: ", "é ".encode() * (MB // 3), 3, id="multibyte line"),
    ],
)
def test_huge_listing_lines_are_refused(
    head: bytes, run: bytes, line: int, tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    path = write_file(tmp_path / "long.txt", head, run, 100 * MB // len(run), b"\n")
    read = read_in_child("listing", path, timeout=60)
    assert read.result["raised"] == [
        str(path),
        line,
        f"a line over {MAX_LINE:,} bytes (with its line break): not a listing",
    ]
    assert read.peak_mb < baseline_mb["listing"] + FLAT_MB, (read.peak_mb, baseline_mb)


def test_binary_listing_is_refused_at_its_first_bad_line(
    tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    block = bytes(range(256)) * 4096  # NULs, invalid UTF-8 and line breaks
    path = write_file(tmp_path / "binary.txt", ENTRY_TEXT.format(n=1).encode(), block, 100)
    read = read_in_child("listing", path, timeout=60)
    assert read.result["records"] == 0
    assert read.result["raised"][1] == 8, read.result  # the first line of the binary block
    assert "binary data (NUL byte)" in read.result["raised"][2]
    assert read.peak_mb < baseline_mb["listing"] + FLAT_MB


def test_a_long_listing_is_read_in_flat_memory(
    tmp_path: Path, baseline_mb: dict[str, float]
) -> None:
    """60,000 entries (about 8 MB) read as the 26 of the shipped listing are, memory flat."""
    count = 60_000
    path = tmp_path / "long.txt"
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(ENTRY_TEXT.format(n=n))
    read = read_in_child("listing", path)
    assert read.result["records"] == count and read.result["errors"] == []
    assert read.peak_mb < baseline_mb["listing"] + FLAT_MB, (read.peak_mb, baseline_mb)


def test_lone_cr_listing_longer_than_a_line_limit(tmp_path: Path) -> None:
    """Lines ending in a lone CR are cut into MAX_LINE reads and joined back line by line."""
    count = 3 * MAX_LINE // len(ENTRY_TEXT) + 7
    path = tmp_path / "mac.txt"
    path.write_bytes(
        "".join(ENTRY_TEXT.format(n=n) for n in range(count)).replace("\n", "\r").encode()
    )
    entries = list(read_listing(path))
    assert len(entries) == count and all(isinstance(e, ListingEntry) for e in entries)
    assert [e.line for e in entries[:2]] == [1, 8] and entries[-1].line == 7 * count - 6
    last = entries[-1]
    assert isinstance(last, ListingEntry) and last.title == f"Title number {count - 1}"
    split = tmp_path / "split.txt"  # a CRLF cut by the read limit is still one line break
    split.write_bytes(b"a\r" * (MAX_LINE // 2 - 1) + b"b\r\nc\n")
    lines = list(read_lines(split))
    assert lines[-2:] == [(MAX_LINE // 2, "b"), (MAX_LINE // 2 + 1, "c")]


LONG_RUNS = 900_000  # under MAX_LINE: the line is read, the regular expressions see it whole


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "-\nT\nAuthors: Ann" + " " * LONG_RUNS + "B\nAbstract: x\nSubmitted 1 May, 2020;\n",
            ["Ann B"],
            id="spaces in the authors",
        ),
        pytest.param(
            "-\nT\nAuthors: A B\nAbstract: x\nSubmitted 1 May, 2020;\nLatest version: "
            + "a" * LONG_RUNS
            + "\n",
            "expected a version such as 'v3'",
            id="a long word as the latest version",
        ),
        pytest.param(
            "-\nT\nAuthors: A B," + " " * LONG_RUNS + "et al. (3 additional authors not shown)\n"
            "Abstract: x\nSubmitted 1 May, 2020;\n",
            ["A B"],
            id="spaces before et al",
        ),
        pytest.param(
            "-\nT\nAuthors: A B\nAbstract: x\nSubmitted 1" + " " * LONG_RUNS + "May, 2020;\n",
            ["A B"],
            id="spaces in the date",
        ),
    ],
)
def test_long_runs_in_listing_lines_take_linear_time(
    text: str, expected: list[str] | str, tmp_path: Path
) -> None:
    """Before the fix, the et-al and latest-version patterns backtracked from every character
    (hours for these lines); the child's time limit catches a hang."""
    path = tmp_path / "runs.txt"
    path.write_text(text, encoding="utf-8")
    result = read_in_child("listing", path, timeout=60).result
    if isinstance(expected, list):
        assert result["records"] == 1 and result["first"]["authors"] == expected
    else:
        assert result["records"] == 0 and expected in result["errors"][0][1], result


@pytest.mark.parametrize(
    ("tail", "authors", "hidden", "latest"),
    [
        ("Authors: A B , et al. (3 additional authors not shown)", ["A B"], 3, None),
        ("Authors: A B,\n, et al. (1 additional author not shown)", ["A B"], 1, None),
        ("Authors: A B  et al. (2 additional authors not shown)", ["A B"], 2, None),
        ("Authors: A B\nAbstract: x\nLatest version: arXiv:2101.01234v3", ["A B"], 0, 3),
        ("Authors: A B\nAbstract: x\nLatest version: v12 (2024)", ["A B"], 0, 12),
        ("Authors: A B\nAbstract: x\nLatest version: hep-th/9901001v4", ["A B"], 0, 4),
    ],
)
def test_et_al_and_latest_version_still_read(
    tail: str, authors: list[str], hidden: int, latest: int | None, tmp_path: Path
) -> None:
    if "Abstract:" not in tail:
        tail += "\nAbstract: x"
    path = tmp_path / "entry.txt"
    path.write_text(f"-\nT\n{tail}\nSubmitted 1 May, 2020;\n", encoding="utf-8")
    (entry,) = read_listing(path)
    assert isinstance(entry, ListingEntry), entry
    assert list(entry.authors) == authors and entry.hidden_authors == hidden
    assert entry.latest_version == latest


# -- BibTeX: nesting, unterminated blocks, huge fields, @string --------------------------------

GOOD_BIB = "@article{good,\n  author = {A B},\n  title = {Good},\n}\n\n"


@pytest.mark.parametrize(
    "broken",
    [
        "@article{a,\n  author = {A B},\n  title = {Unclosed\n",
        '@article{a,\n  author = {A B},\n  title = "Unclosed\n',
        "@article{a,\n  author = {A B",
        "@article{a,\n",
        "@article{",
        "@article(a, title = {x}",
        "@string{x = {y",
        "@comment{never closed",
        '@preamble{"\\newcommand"',
        "@article{a, title = {" + "{" * 100_000,
        "@article{a, author = {A B}, title = {" + "{" * 100_000 + "x" + "}" * 100_000 + "}}",
    ],
    ids=lambda text: text[:30],
)
def test_unterminated_and_nested_bibtex_at_end_of_file(broken: str, tmp_path: Path) -> None:
    """A good entry before, a broken block at the end: the good one comes out, the broken one
    is a ParseError located in the file (no RecursionError, no hang)."""
    path = tmp_path / "end.bib"
    data = (GOOD_BIB + broken).encode()
    path.write_bytes(data)
    items = list(bibtex.iter_entries(path))
    assert isinstance(items[0], WorkRecord) and items[0].title == "Good"
    errors = items[1:]
    assert errors and all(isinstance(e, ParseError) for e in errors), items
    for error in errors:
        assert isinstance(error, ParseError)
        check_parse_error(error, path, _line_count(data))


@pytest.mark.parametrize("unit", ["word ", "\\'e "], ids=["plain", "latex"])
def test_huge_bibtex_field_is_refused(unit: str, tmp_path: Path) -> None:
    """A 20 MB title is a ParseError on its line. Before MAX_TEXT, a LaTeX one went whole to
    pylatexenc, which holds some 300 bytes per character (1 MB: 310 MB and 18 s)."""
    path = tmp_path / "huge.bib"
    size = 20 * MB
    path.write_text(
        f"@article{{a,\n  author = {{A B}},\n  title = {{{unit * (size // len(unit))}}},\n}}\n"
    )
    read = read_in_child("bibtex", path, timeout=120)
    reason = (
        f"entry 'a': a value of more than {bibtex.MAX_TEXT:,} characters: not a bibliography field"
    )
    assert read.result["errors"] == [[3, reason]] and read.result["records"] == 0
    # what is left is bibtexparser's: it holds the whole file, 10 to 20 times its size
    assert read.peak_mb < 25 * size / MB, read.peak_mb


def test_huge_latex_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "name.bib"
    name = "{\\'E}" * (bibtex.MAX_TEXT // 4)
    path.write_text(f"@article{{a,\n  author = {{A B and {name}}},\n  title = {{T}},\n}}\n")
    (error,) = bibtex.iter_entries(path)
    assert isinstance(error, ParseError) and error.line == 2
    assert error.reason.startswith("entry 'a': author 2: ") and "100,000 characters" in error.reason


_DOUBLING = "\n".join(f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 40))


@pytest.mark.parametrize(
    ("strings", "title", "line", "reason"),
    [
        ("@string{a = a}", "a", 4, "field 'title' names the @string 'a', which the file does not"),
        ("@string{a = b}\n@string{b = a}", "b", 5, "field 'title' names the @string 'a'"),
        (
            "@string{s0 = {x}}\n" + _DOUBLING,
            "s39",
            43,
            "field 'title' joins pieces with '#', which this reader does not evaluate",
        ),
    ],
    ids=["self", "mutual", "doubling chain"],
)
def test_string_macros_do_not_loop_or_blow_up(
    strings: str, title: str, line: int, reason: str, tmp_path: Path
) -> None:
    """@string values are expanded once and never concatenated (bibtexparser 2): a loop or a
    2^39 doubling chain ends as a ParseError naming the field, in flat memory."""
    path = tmp_path / "strings.bib"
    path.write_text(f"{strings}\n@article{{k,\n  author = {{A B}},\n  title = {title},\n}}\n")
    read = read_in_child("bibtex", path, timeout=60)
    assert read.result["records"] == 0
    ((found_line, found_reason),) = read.result["errors"]
    assert found_line == line and found_reason.startswith(f"entry 'k': {reason}"), read.result
    assert read.peak_mb < 200, read.peak_mb

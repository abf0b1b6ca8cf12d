"""Reader of arXiv author listings (the plain text of arXiv's web search listing).

One entry looks like this (``-`` stands where the web page shows ``arXiv:ID [pdf, other]`` and
the subject codes; both forms are read)::

    -
    Title, on one or more lines
    Authors:
    First Author,
    Second Author
    , et al. (N additional authors not shown)
    Abstract:
    The teaser, cut short…
    ▽ More
    The full abstract, one or more lines.
    △ Less
    Submitted 22 July, 2025; v1 submitted 7 July, 2025;
    originally announced July 2025.
    Comments: 12 pages            (optional: also Journal ref:, DOI:, Report number:,
                                   MSC Class:, ACM Class:, Latest version:)

arXiv's rules, which this reader relies on: the author list is cut at 25 names with ``, et al.
(N additional authors not shown)``; ``▽ More`` / ``△ Less`` surround the full abstract only when
the teaser was truncated; ``v1 submitted`` appears only when there is more than one version.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from scholarkg.errors import ParseError
from scholarkg.records import ListingEntry, YearMonth

MORE = "▽ More"
LESS = "△ Less"
_MONTHS = {
    name.lower(): number
    for number, names in enumerate(
        [
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})"
_ID_LINE = re.compile(
    rf"^arXiv:(?P<id>{_ARXIV_ID})(?:v(?P<version>\d+))?(?:\s+\[[^\]]*\])?(?P<rest>.*)$"
)
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)*)?$")
# (?<!\s): a match never starts inside a run of white space (one starting at the run's first
# character is found first), so a long run costs one pass, not one pass per character
_ET_AL = re.compile(
    r"(?:,|(?<!\s))\s*et\s+al\.?\s*\(\s*(?P<n>\d+)\s+additional\s+authors?\s+not\s+shown\s*\)\s*$"
)
_DATE = r"\d{1,2}\s+[A-Za-z]+\.?,?\s+\d{4}"
_SUBMITTED = re.compile(
    rf"^Submitted\s+(?P<last>{_DATE})\s*;"
    rf"(?:\s*v1\s+submitted\s+(?P<first>{_DATE})\s*;?)?"
    r"(?:\s*(?P<announced>originally\s+announced\s+.*))?\s*$"
)
_ANNOUNCED = re.compile(r"^originally\s+announced\s+(?P<month>[A-Za-z]+)\.?\s+(?P<year>\d{4})\.?$")
_METADATA = {
    "Comments:": "comments",
    "Journal ref:": "journal_ref",
    "DOI:": "doi",
    "Report number:": "report_number",
    "MSC Class:": "msc_class",
    "ACM Class:": "acm_class",
    "Latest version:": "latest_version",
}
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(?P<doi>10\.\d{4,9}/\S+)$", re.I)
# the first vN of the value ("v3", "arXiv:2101.01234v3"); an optional id before it never
# changed which vN that is, and made each letter of a long word a start of a long search
_LATEST = re.compile(r"v(?P<n>\d+)\b")

Line = tuple[int, str]
MAX_LINE = 1 << 20
"""Most bytes one line may have (a listing's longest, an abstract paragraph, has a few thousand)."""
_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_lines(path: Path) -> Iterator[Line]:
    """Numbered lines of a UTF-8 text file (BOM, CRLF and lone CR handled), streamed."""
    name = str(path)
    number = 0
    try:
        with path.open("rb") as handle:
            carry = b""
            chunks = iter(functools.partial(handle.readline, MAX_LINE), b"")
            for chunk in itertools.chain(chunks, [b""]):  # the last, empty, flushes the carry
                raw, carry = carry + chunk, b""
                if len(chunk) == MAX_LINE and not chunk.endswith(b"\n"):
                    # cut at MAX_LINE bytes: lines ending in a lone CR may go on; one line
                    # this long is no listing, and holding it whole would cost its size
                    cut = raw.rfind(b"\r", 0, len(raw) - 1)
                    if cut < 0:
                        raise ParseError(
                            name,
                            number + 1,
                            f"a line over {MAX_LINE:,} bytes (with its line break): not a listing",
                        )
                    raw, carry = raw[: cut + 1], raw[cut + 1 :]
                try:
                    text = (raw.removeprefix(b"\xef\xbb\xbf") if number == 0 else raw).decode()
                except UnicodeDecodeError as exc:
                    raise ParseError(name, number + 1, f"not UTF-8 text ({exc.reason})") from None
                pieces = _NEWLINE.split(text)
                if pieces[-1] == "":
                    pieces.pop()
                for piece in pieces:
                    number += 1
                    if "\x00" in piece:
                        raise ParseError(name, number, "binary data (NUL byte): not a text listing")
                    yield number, piece
    except OSError as exc:
        raise ParseError(name, number, f"cannot read the file: {exc.strerror or exc}") from None


def iter_entries(lines: Iterable[Line], path: str) -> Iterator[ListingEntry | ParseError]:
    """Entries of a listing in order; a malformed entry comes out as a ParseError, not raised.

    The caller decides: strict ingest stops at the first error, lenient ingest reports and skips.
    """
    block: list[Line] = []
    stray_reported = False
    for number, raw in lines:
        text = raw.strip()
        if text == "-" or _ID_LINE.match(text):
            if block:
                yield _parse_block(block, path)
            block = [(number, text)]
        elif block:
            block.append((number, raw.rstrip()))
        elif text and not stray_reported:
            stray_reported = True
            yield ParseError(
                path, number, "expected '-' or an 'arXiv:ID [pdf, ...]' line to start an entry"
            )
    if block:
        yield _parse_block(block, path)
    elif not stray_reported:
        yield ParseError(path, 1, "no entries: expected '-' or 'arXiv:ID' lines starting entries")


def _parse_block(block: list[Line], path: str) -> ListingEntry | ParseError:
    try:
        return _EntryParser(block, path).parse()
    except ParseError as exc:
        return exc
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        return ParseError(path, block[0][0], f"invalid {where}: {problem['msg']}")


class _EntryParser:
    """Parses one entry's lines; raises ParseError naming the line at fault."""

    def __init__(self, block: list[Line], path: str) -> None:
        self.block = block
        self.path = path
        self.pos = 1
        self.start = block[0][0]
        self.fields: dict[str, object] = {"line": self.start}

    def fail(self, number: int, reason: str) -> ParseError:
        return ParseError(self.path, number, reason)

    def peek(self) -> Line | None:
        return self.block[self.pos] if self.pos < len(self.block) else None

    def end_line(self) -> int:
        return self.block[-1][0]

    def parse(self) -> ListingEntry:
        self.read_id_line(self.block[0][1])
        self.read_title()
        self.read_authors()
        self.read_abstract()
        self.read_tail()
        if "last_submitted" not in self.fields:
            raise self.fail(
                self.end_line(),
                f"entry starting at line {self.start} has no 'Submitted D Month, YYYY;' line",
            )
        return ListingEntry.model_validate(self.fields)

    def read_id_line(self, text: str) -> None:
        match = _ID_LINE.match(text)
        if not match:
            return
        self.fields["arxiv_id"] = match["id"]
        if match["version"]:
            self.fields["arxiv_version"] = int(match["version"])
        categories = match["rest"].split()
        # subject codes may stand on the id line or on the lines right after it
        while (line := self.peek()) is not None and _is_category_line(line[1]):
            categories.extend(line[1].split())
            self.pos += 1
        bad = [c for c in categories if not _CATEGORY.match(c)]
        if bad:
            raise self.fail(self.start, f"expected arXiv subject codes, found {bad[0]!r}")
        self.fields["categories"] = tuple(categories)

    def read_title(self) -> None:
        parts: list[str] = []
        while (line := self.peek()) is not None:
            number, text = line
            if text.strip().startswith("Authors:"):
                break
            if text.strip() in (MORE, LESS) or text.strip().startswith(("Abstract:", "Submitted ")):
                raise self.fail(number, f"expected 'Authors:' after the title, found {text!r}")
            if text.strip():
                parts.append(text.strip())
            self.pos += 1
        if line is None:
            raise self.fail(self.end_line(), "expected 'Authors:' after the title")
        title = " ".join(parts)
        if not title:
            raise self.fail(line[0], "expected a title before 'Authors:'")
        self.fields["title"] = title

    def read_authors(self) -> None:
        number, text = self.block[self.pos]
        authors_line = number
        pieces = [text.strip()[len("Authors:") :]]
        self.pos += 1
        while (line := self.peek()) is not None and not line[1].strip().startswith("Abstract:"):
            if _is_tail_line(line[1]):
                found = line[1].strip()
                raise self.fail(line[0], f"expected 'Abstract:' after the authors, found {found!r}")
            pieces.append(line[1].strip())
            self.pos += 1
        if line is None:
            raise self.fail(self.end_line(), "expected 'Abstract:' after the authors")
        joined = " ".join(p for p in pieces if p)
        et_al = _ET_AL.search(joined)
        if et_al:
            self.fields["hidden_authors"] = int(et_al["n"])
            joined = joined[: et_al.start()]
        elif re.search(r"\bet\s+al\b|additional\s+authors", joined):
            raise self.fail(
                authors_line,
                "expected ', et al. (N additional authors not shown)' at the end of the authors",
            )
        names = [re.sub(r"\s+", " ", name).strip() for name in joined.split(",")]
        if names and not names[-1]:
            names.pop()  # a trailing comma after the last name
        if not names or any(not name for name in names):
            raise self.fail(authors_line, "expected author names separated by commas")
        self.fields["authors"] = tuple(names)

    def read_abstract(self) -> None:
        text = self.block[self.pos][1]
        first = text.strip()[len("Abstract:") :].strip()
        self.pos += 1
        shown: list[str] = [first] if first else []
        full: list[str] | None = None
        while (line := self.peek()) is not None:
            stripped = line[1].strip()
            if stripped == MORE:
                if full is not None:
                    raise self.fail(line[0], "a second '▽ More' inside one abstract")
                full = []
            elif stripped == LESS:
                if full is None:
                    raise self.fail(line[0], "'△ Less' without a '▽ More' before it")
                self.pos += 1
                break
            elif _is_tail_line(line[1]):
                if full is not None:
                    raise self.fail(line[0], "expected '△ Less' closing the full abstract")
                break
            else:
                (shown if full is None else full).append(line[1].rstrip())
            self.pos += 1
        else:
            if full is not None:
                raise self.fail(self.end_line(), "expected '△ Less' closing the full abstract")
        abstract = "\n".join(full if full is not None else shown).strip()
        self.fields["abstract"] = abstract or None

    def read_tail(self) -> None:
        while (line := self.peek()) is not None:
            number, raw = line
            text = raw.strip()
            self.pos += 1
            if not text:
                continue
            if text.startswith("Submitted"):
                self.read_submitted(number, text)
            elif text.startswith("originally announced"):
                self.read_announced(number, text)
            elif (key := _metadata_key(text)) is not None:
                self.read_metadata(number, key, text)
            else:
                raise self.fail(
                    number,
                    "expected 'Submitted ...', 'originally announced ...' or a metadata line "
                    f"(Comments:, Journal ref:, DOI:, ...), found {text[:60]!r}",
                )

    def read_submitted(self, number: int, text: str) -> None:
        if "last_submitted" in self.fields:
            raise self.fail(number, "a second 'Submitted' line in one entry")
        match = _SUBMITTED.match(text)
        if not match:
            raise self.fail(
                number,
                "expected 'Submitted D Month, YYYY;' optionally followed by "
                "'v1 submitted D Month, YYYY;'",
            )
        last = _parse_date(match["last"], self.path, number)
        self.fields["last_submitted"] = last
        if match["first"]:
            self.fields["first_submitted"] = _parse_date(match["first"], self.path, number)
            self.fields["revised"] = True
        else:
            self.fields["first_submitted"] = last
        if match["announced"]:
            self.read_announced(number, match["announced"].strip())

    def read_announced(self, number: int, text: str) -> None:
        match = _ANNOUNCED.match(text)
        month = _MONTHS.get(match["month"].lower()) if match else None
        if not match or month is None:
            raise self.fail(number, "expected 'originally announced Month YYYY.'")
        self.fields["announced"] = YearMonth(year=int(match["year"]), month=month)

    def read_metadata(self, number: int, key: str, text: str) -> None:
        label = next(k for k, v in _METADATA.items() if v == key)
        value = text[len(label) :].strip()
        if not value:
            raise self.fail(number, f"'{label}' with nothing after it")
        if key == "doi":
            doi = _DOI.match(value.split()[0])
            if not doi:
                raise self.fail(number, f"expected a DOI such as 10.1234/abc, found {value!r}")
            self.fields["doi"] = doi["doi"].lower()
        elif key == "latest_version":
            latest = _LATEST.search(value)
            if not latest:
                raise self.fail(number, f"expected a version such as 'v3', found {value!r}")
            self.fields["latest_version"] = int(latest["n"])
        else:
            self.fields[key] = value


def _is_category_line(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and all(_CATEGORY.match(t) and ("." in t or "-" in t) for t in tokens)


def _metadata_key(text: str) -> str | None:
    for label, key in _METADATA.items():
        if text.startswith(label):
            return key
    return None


def _is_tail_line(text: str) -> bool:
    stripped = text.strip()
    return (
        stripped.startswith(("Submitted ", "originally announced"))
        or _metadata_key(stripped) is not None
    )


def _parse_date(text: str, path: str, number: int) -> dt.date:
    day, month_name, year = re.sub(r"[.,]", " ", text).split()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ParseError(path, number, f"unknown month {month_name!r} in date {text!r}")
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        raise ParseError(path, number, f"no such date: {text!r}") from None

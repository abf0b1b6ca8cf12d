"""Reader of arXiv API Atom feeds (the XML that arXiv's query API, ``/api/query``, returns).

One entry of such a feed, with the elements this reader takes (others are ignored)::

    <feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
          xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
      <opensearch:totalResults>1</opensearch:totalResults>
      <entry>
        <id>http://arxiv.org/abs/2405.12345v2</id>      -> arxiv_id 2405.12345, arxiv_version 2
        <updated>2024-06-01T10:00:00Z</updated>         -> updated (the latest version's date)
        <published>2024-05-20T17:59:59Z</published>    -> published (v1's date) and year
        <title>A title, possibly
          on several lines</title>                      -> title, whitespace collapsed
        <summary>The abstract ...</summary>             -> abstract, whitespace collapsed
        <author><name>Ada Lovelace</name>
          <arxiv:affiliation>Analytical Engines Ltd</arxiv:affiliation></author>
        <arxiv:doi>10.1234/ABC</arxiv:doi>              -> doi, lower case
        <link rel="alternate" type="text/html" href="http://arxiv.org/abs/2405.12345v2"/> -> url
        <arxiv:primary_category term="cs.LG"/>          -> primary_category
        <category term="cs.LG"/><category term="stat.ML"/>  -> categories, primary first
        <arxiv:comment>12 pages</arxiv:comment>         -> comments
        <arxiv:journal_ref>J. Foo 1 (2024) 2-3</arxiv:journal_ref>  -> journal_ref
      </entry>
    </feed>

Old-style identifiers (``http://arxiv.org/abs/hep-th/9901001v1``) give ``hep-th/9901001``.
``<category>`` terms that are not arXiv subject codes (older feeds carry ACM and MSC classes
such as ``I.2.6; F.2.2`` there) are left out of ``categories``. When ``<arxiv:doi>`` holds
several DOIs the first is taken; without it, a ``<link title="doi">`` gives the DOI. Dates are
the calendar date of the timestamp as written (arXiv writes UTC). The arXiv API answers a bad
query with a feed whose one entry has an id ``http://arxiv.org/api/errors#...`` and the message
in ``<summary>``: that is raised as a ParseError quoting the message, as are malformed XML, a
document that is not an Atom feed, and a feed with no entries. An entry that lacks its id, title
or authors, or has a bad date, DOI or primary category, comes out as a ParseError in its place.

Author names: the feed gives a display name only. ``printed`` is that name, whitespace
collapsed; ``given``/``family`` are a conservative guess that ``printed`` always overrides: the
last word is the family name, with the lower-case particles before it (``Hado van Hasselt`` ->
``Hado`` / ``van Hasselt``); one word gives a family name only. Both stay None when a guess would
be shaky: a capitalised particle before the last word (``Charline Le Lan``), a name that starts
with a particle, a suffix (``Jr.``, ``III``), a collective name (``... Team``,
``... Collaboration``), a comma, digits or brackets, or a lower-case word among the given names.

Parsing: defusedxml's hardened SAX driver for expat (``DefusedExpatParser`` with ``forbid_dtd``,
``forbid_entities`` and ``forbid_external`` on). A DOCTYPE is the only place an entity can be
declared, so refusing it shuts the door on entity-expansion bombs and external entities at the
first line; expat itself never opens a file or URL. SAX rather than ``ElementTree.iterparse``
because expat's locator gives the line of every start tag (iterparse gives none), which every
record and error carries; rather than lxml because expat ships with Python and a flat feed needs
no more. The file is fed 64 KiB at a time and only the current entry is held, so memory stays
bounded however large the feed (one element's text is capped at ``MAX_TEXT`` characters).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesNSImpl, Locator

import rdflib
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from pydantic import ValidationError
from rdflib.namespace import SKOS

from scholarkg.errors import ParseError
from scholarkg.records import AuthorName, WorkRecord
from scholarkg.resources import ontology_dir

ATOM_FORMAT = "arxiv-atom"
ARXIV_CATEGORIES = "https://w3id.org/scholarkg/arxiv-categories/"
ARXIV_CATEGORY_SCHEME = "https://w3id.org/scholarkg/arxiv-categories"
ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
MAX_TEXT = 1_000_000
"""Most characters one element's text may have (an arXiv abstract has at most a few thousand)."""
MAX_MARKUP = 1 << 20
"""Most bytes one tag, comment or other piece of markup may span: expat (2.5) holds an unfinished
one whole and scans it again with every chunk fed, so a huge one costs memory and quadratic time."""
MAX_DEPTH = 256
"""Most levels elements may nest (an arXiv feed has 4): expat keeps every open element."""

_CHUNK = 1 << 16
_SNIFF = 4096
_HOST = r"https?://(?:www\.|export\.)?arxiv\.org"
_ARXIV_ID = (
    r"[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5}"
    r"|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{3}"
)
_ABS_ID = re.compile(rf"^{_HOST}/abs/(?P<id>{_ARXIV_ID})(?:v(?P<version>[1-9][0-9]*))?$")
_API_ERROR = re.compile(rf"^{_HOST}/api/errors\b")
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(?P<doi>10\.[0-9]{4,9}/\S+)$", re.I)
_ATOM_ROOT = re.compile(
    r"<(?:[A-Za-z_][\w.-]*:)?feed\b[^>]*?\bxmlns(?::[\w.-]+)?\s*=\s*"
    r"[\"']http://www\.w3\.org/2005/Atom[\"']"
)
_PARTICLES = frozenset(
    "van von der den de del della di da das dos du des la le ter ten zu zum zur bin ibn ben".split()
)
_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())
_COLLECTIVE = frozenset(
    "team collaboration consortium group project committee initiative network laboratory "
    "institute society association alliance".split()
)
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|[.'\u2019-])*$")

_FEED_TEXT = {(OPENSEARCH, "totalResults"): "totalResults"}
_ENTRY_TEXT = {
    (ATOM, "id"): "id",
    (ATOM, "title"): "title",
    (ATOM, "summary"): "summary",
    (ATOM, "published"): "published",
    (ATOM, "updated"): "updated",
    (ARXIV, "comment"): "comment",
    (ARXIV, "journal_ref"): "journal_ref",
    (ARXIV, "doi"): "doi",
}
_AUTHOR_TEXT = {(ATOM, "name"): "name", (ARXIV, "affiliation"): "affiliation"}

Located = tuple[str, int]
"""A text and the line where its element starts."""


def iter_records(path: Path) -> Iterator[WorkRecord | ParseError]:
    """One record per ``<entry>`` in feed order; a bad entry comes out as a ParseError.

    Raises ParseError for what spoils the whole file: unreadable or malformed XML, a DOCTYPE, a
    document that is not an Atom feed, an arXiv API error feed, a feed without entries.
    """
    name = str(path)
    feed = _FeedHandler(name)
    reader = DefusedExpatParser(
        namespaceHandling=1, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    reader.setContentHandler(feed)
    feed.setDocumentLocator(ExpatLocator(reader))  # parse() would set it; feed() does not
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ParseError(name, 1, f"cannot read the file: {exc.strerror or exc}") from None
    with stream:
        empty = True
        fed = 0
        while True:
            try:
                chunk = stream.read(_CHUNK)
                if chunk:
                    empty = False
                    reader.feed(chunk)
                    fed += len(chunk)
                    _check_pending(reader, fed, feed)
                elif empty:
                    raise ParseError(name, 1, "the file is empty: expected an arXiv Atom feed")
                else:
                    reader.close()
            except Exception as exc:
                yield from feed.drain()  # entries completed before the fault come out first
                raise feed.fault(exc) from None
            yield from feed.drain()
            if not chunk:
                break
    feed.finish()


def _check_pending(reader: DefusedExpatParser, fed: int, feed: _FeedHandler) -> None:
    """Refuse markup (a tag, comment, ...) still unfinished after MAX_MARKUP bytes."""
    # the expat parser inside xml.sax's reader (as ExpatLocator reads it); after a feed its
    # CurrentByteIndex is where the markup it could not finish yet starts
    parser = getattr(reader, "_parser", None)
    if parser is not None and fed - int(parser.CurrentByteIndex) > MAX_MARKUP:
        raise ParseError(
            feed.path,
            feed.line(),
            f"a tag, comment or other markup longer than {MAX_MARKUP:,} bytes: "
            "not an arXiv API feed",
        )


def looks_like_atom(head: bytes) -> bool:
    """Whether the first bytes of a file (a few KB) look like an Atom feed: cheap sniffing."""
    head = head[:_SNIFF]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff \t\r\n")
    return text.startswith("<") and _ATOM_ROOT.search(text) is not None


def categories_path() -> Path:
    """The shipped arXiv category scheme (ontology/arxiv-categories.ttl)."""
    return ontology_dir() / "arxiv-categories.ttl"


def category_iri(code: str) -> str | None:
    """The concept IRI of an arXiv category code (aliases resolved), None for an unknown code."""
    return _category_index().get(code.strip())


@functools.cache
def _category_index() -> Mapping[str, str]:
    """Code -> concept IRI, from each concept's notation, alias codes and defunct archive codes.

    Read once from the shipped scheme (a pure function of a shipped file, memoised).
    """
    graph = rdflib.Graph().parse(categories_path(), format="turtle")
    index: dict[str, str] = {}
    for prop in (SKOS.notation, SKOS.altLabel, SKOS.hiddenLabel):
        for concept, code in graph.subject_objects(prop):
            if str(concept).startswith(ARXIV_CATEGORIES):
                index.setdefault(str(code), str(concept))
    return MappingProxyType(index)


def split_name(printed: str) -> tuple[str | None, str | None]:
    """(given, family) guessed from a display name, or None where a guess would be shaky."""
    words = printed.split()
    if not words or not all(_NAME_WORD.match(word) for word in words):
        return None, None
    last = words[-1].lower()
    if last in _SUFFIXES or last in _COLLECTIVE:
        return None, None
    if len(words) == 1:
        return None, words[0]
    start = len(words) - 1
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    given = words[:start]
    if given[-1].lower() in _PARTICLES or any(not word[0].isupper() for word in given):
        return None, None
    return " ".join(given), " ".join(words[start:])


def _collapse(text: str | None) -> str | None:
    collapsed = " ".join(text.split()) if text else ""
    return collapsed or None


class _EntryError(Exception):
    """A fault in one entry: it becomes that entry's ParseError."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass
class _Author:
    line: int
    name: Located | None = None
    affiliations: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    line: int
    text: dict[str, Located] = field(default_factory=dict)
    authors: list[_Author] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary: Located | None = None
    url: str | None = None
    doi_link: Located | None = None
    problem: _EntryError | None = None

    def flag(self, line: int, reason: str) -> None:
        if self.problem is None:
            self.problem = _EntryError(line, reason)


class _FeedHandler(ContentHandler):
    """SAX handler: collects one entry at a time, queues finished records for the reader."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.ready: list[WorkRecord | ParseError] = []
        self.entries = 0
        self._locator: Locator | None = None
        self._depth = 0
        self._root_line = 1
        self._feed_text: dict[str, Located] = {}
        self._entry: _Entry | None = None
        self._author: _Author | None = None
        self._capture: list[str] | None = None
        self._capture_key = ""
        self._capture_depth = 0
        self._capture_line = 0
        self._capture_size = 0

    # -- SAX callbacks ------------------------------------------------------------------------

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 (SAX's name)
        self._locator = locator

    def startElementNS(  # noqa: N802 (SAX's name)
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        self._depth += 1
        depth = self._depth
        if depth > MAX_DEPTH:
            raise ParseError(
                self.path,
                self.line(),
                f"elements nested more than {MAX_DEPTH} deep: not an arXiv API feed",
            )
        if self._capture is not None:
            return  # markup inside a text element: its text is kept, the tags are not
        line = self.line()
        if depth == 1:
            self._check_root(name, line)
        elif self._entry is None:
            if depth == 2 and name == (ATOM, "entry"):
                self._entry = _Entry(line)
            elif depth == 2 and name in _FEED_TEXT:
                self._start_capture(_FEED_TEXT[name], line)
        elif depth == 3:
            self._entry_child(self._entry, name, attrs, line)
        elif depth == 4 and self._author is not None and name in _AUTHOR_TEXT:
            self._start_capture(_AUTHOR_TEXT[name], line)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # noqa: N802
        depth = self._depth
        self._depth -= 1
        if self._capture is not None:
            if depth == self._capture_depth:
                self._end_capture()
            return
        if depth == 3 and self._author is not None:
            if self._entry is not None:
                self._entry.authors.append(self._author)
            self._author = None
        elif depth == 2 and self._entry is not None:
            entry, self._entry = self._entry, None
            self.entries += 1
            self.ready.append(_build(entry, self.path))

    def characters(self, content: str) -> None:
        if self._capture is not None:
            self._capture_size += len(content)
            if self._capture_size > MAX_TEXT:
                raise ParseError(
                    self.path,
                    self._capture_line,
                    f"<{self._capture_key}> has more than {MAX_TEXT:,} characters: "
                    "not an arXiv API feed",
                )
            self._capture.append(content)

    # -- helpers ------------------------------------------------------------------------------

    def line(self) -> int:
        """The line of the current parse event (1 before parsing starts)."""
        number = self._locator.getLineNumber() if self._locator is not None else None
        return number or 1

    def drain(self) -> list[WorkRecord | ParseError]:
        """The records finished since the last call, in order."""
        ready, self.ready = self.ready, []
        return ready

    def fault(self, exc: Exception) -> ParseError:
        """The ParseError that stands for a parser exception."""
        if isinstance(exc, ParseError):
            return exc
        if isinstance(exc, SAXParseException):
            line, column = exc.getLineNumber() or 1, (exc.getColumnNumber() or 0) + 1
            return ParseError(
                self.path, line, f"malformed XML: {exc.getMessage()} (column {column})"
            )
        if isinstance(exc, DefusedXmlException):
            return ParseError(
                self.path,
                self.line(),
                "refused: the document has a DOCTYPE or entity declaration "
                f"({type(exc).__name__}); arXiv feeds have none, and they can hide entity "
                "bombs or external entities",
            )
        if isinstance(exc, OSError):
            return ParseError(
                self.path, self.line(), f"cannot read the file: {exc.strerror or exc}"
            )
        if isinstance(exc, UnicodeError | ValueError | LookupError):  # LookupError: an encoding
            return ParseError(self.path, self.line(), f"cannot decode the XML: {exc}")
        raise exc

    def finish(self) -> None:
        """After the last byte: a feed without entries is an error."""
        if self.entries:
            return
        total = self._feed_text.get("totalResults")
        where = total[1] if total else self._root_line
        count = total[0].strip() if total else None
        if count in (None, "0"):
            detail = " (opensearch:totalResults is 0): the query matched nothing" if count else ""
        else:
            detail = (
                f" although opensearch:totalResults is {count}: the page starts past the "
                "last result (lower the query's start)"
            )
        raise ParseError(self.path, where, f"the feed has no entries{detail}")

    def _check_root(self, name: tuple[str | None, str], line: int) -> None:
        self._root_line = line
        if name != (ATOM, "feed"):
            uri, local = name
            found = f"<{local}> in namespace {uri}" if uri else f"<{local}> in no namespace"
            raise ParseError(
                self.path,
                line,
                f"not an Atom feed: the root element is {found}; expected <feed> in namespace "
                f"{ATOM}, as the arXiv API returns",
            )

    def _entry_child(
        self, entry: _Entry, name: tuple[str | None, str], attrs: AttributesNSImpl, line: int
    ) -> None:
        if name in _ENTRY_TEXT:
            self._start_capture(_ENTRY_TEXT[name], line)
        elif name == (ATOM, "author"):
            self._author = _Author(line)
        elif name == (ATOM, "category"):
            term = (attrs.get((None, "term")) or "").strip()
            if _CATEGORY.match(term):
                entry.categories.append(term)
        elif name == (ARXIV, "primary_category"):
            if entry.primary is not None:
                entry.flag(line, "a second <arxiv:primary_category> in one entry")
            entry.primary = ((attrs.get((None, "term")) or "").strip(), line)
        elif name == (ATOM, "link"):
            rel = attrs.get((None, "rel")) or "alternate"
            href = (attrs.get((None, "href")) or "").strip()
            if rel == "alternate" and href and entry.url is None:
                entry.url = href
            elif attrs.get((None, "title")) == "doi" and href and entry.doi_link is None:
                entry.doi_link = (href, line)

    def _start_capture(self, key: str, line: int) -> None:
        self._capture = []
        self._capture_key = key
        self._capture_depth = self._depth
        self._capture_line = line
        self._capture_size = 0

    def _end_capture(self) -> None:
        text = "".join(self._capture or ())
        key, line = self._capture_key, self._capture_line
        self._capture = None
        if self._author is not None:
            if key == "name":
                if self._author.name is not None:
                    self._entry_flag(line, "a second <name> in one <author>")
                self._author.name = (text, line)
            elif (affiliation := _collapse(text)) and affiliation not in self._author.affiliations:
                self._author.affiliations.append(affiliation)
        elif self._entry is not None:
            if key in self._entry.text:
                self._entry.flag(line, f"a second <{key}> in one entry")
            self._entry.text[key] = (text, line)
        else:
            self._feed_text.setdefault(key, (text, line))

    def _entry_flag(self, line: int, reason: str) -> None:
        if self._entry is not None:
            self._entry.flag(line, reason)


def _build(entry: _Entry, path: str) -> WorkRecord | ParseError:
    """The record of a finished entry, or its ParseError; raises for an API error entry."""
    ident = entry.text.get("id")
    summary = _collapse(entry.text.get("summary", ("", 0))[0])
    if ident is not None and _API_ERROR.match(ident[0].strip()):
        message = summary or ident[0].strip()
        raise ParseError(
            path, entry.line, f"the arXiv API answered with an error instead of results: {message}"
        )
    try:
        if entry.problem is not None:
            raise entry.problem
        return _record(entry, summary)
    except _EntryError as exc:
        return ParseError(path, exc.line, exc.reason)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        return ParseError(path, entry.line, f"invalid {where}: {problem['msg']}")


def _record(entry: _Entry, abstract: str | None) -> WorkRecord:
    ident = entry.text.get("id")
    if ident is None:
        raise _EntryError(entry.line, "the entry has no <id> (expected http://arxiv.org/abs/ID)")
    key = ident[0].strip()
    match = _ABS_ID.match(key)
    if match is None:
        raise _EntryError(
            ident[1],
            "expected an arXiv id such as http://arxiv.org/abs/2405.12345v2 in <id>, "
            f"found {key!r}",
        )
    title = _collapse(entry.text.get("title", ("", 0))[0])
    if title is None:
        raise _EntryError(entry.line, "the entry has no <title> (or an empty one)")
    if not entry.authors:
        raise _EntryError(entry.line, "the entry has no <author>")
    published = _date(entry.text.get("published"), "published")
    updated = _date(entry.text.get("updated"), "updated")
    if published and updated and updated < published:
        where = entry.text["updated"][1]
        raise _EntryError(where, f"<updated> {updated} is before <published> {published}")
    primary = _primary(entry.primary)
    categories = tuple(dict.fromkeys([*([primary] if primary else []), *entry.categories]))
    return WorkRecord(
        line=entry.line,
        key=key,
        entry_type=None,
        title=title,
        authors=tuple(_author(author) for author in entry.authors),
        hidden_authors=0,
        abstract=abstract,
        year=published.year if published else None,
        published=published,
        updated=updated,
        arxiv_id=match["id"],
        arxiv_version=int(match["version"]) if match["version"] else None,
        primary_category=primary,
        categories=categories,
        comments=_collapse(entry.text.get("comment", ("", 0))[0]),
        journal_ref=_collapse(entry.text.get("journal_ref", ("", 0))[0]),
        doi=_doi(entry.text.get("doi") or entry.doi_link),
        pages=None,
        venue=None,  # the mapper adds arXiv, the preprint server
        url=entry.url,
    )


def _author(author: _Author) -> AuthorName:
    printed = _collapse(author.name[0]) if author.name else None
    if printed is None:
        raise _EntryError(author.line, "an <author> without a <name> (or with an empty one)")
    given, family = split_name(printed)
    return AuthorName(
        printed=printed, given=given, family=family, affiliations=tuple(author.affiliations)
    )


def _date(value: Located | None, tag: str) -> dt.date | None:
    if value is None:
        return None
    text, line = value[0].strip(), value[1]
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise _EntryError(
            line, f"expected a date-time such as 2024-05-20T17:59:59Z in <{tag}>, found {text!r}"
        ) from None


def _primary(value: Located | None) -> str | None:
    if value is None:
        return None
    term, line = value
    if not _CATEGORY.match(term):
        raise _EntryError(
            line, f"expected an arXiv category such as cs.LG in <arxiv:primary_category>: {term!r}"
        )
    return term


def _doi(value: Located | None) -> str | None:
    if value is None or not value[0].split():
        return None
    first = value[0].split()[0]
    match = _DOI.match(first)
    if match is None:
        raise _EntryError(value[1], f"expected a DOI such as 10.1234/abc, found {first!r}")
    return match["doi"].lower()

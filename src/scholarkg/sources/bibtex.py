"""Reader of BibTeX (``.bib``) files into :class:`~scholarkg.records.WorkRecord` items.

Libraries. The grammar is bibtexparser's (2.x, the maintained line: v1 only gets fixes; v2 is
"Production/Stable" since 2.0, ships type information, keeps the line of every entry and field, and
goes on after a broken entry, handing it back as a failed block so that one bad entry does not hide
the rest). Person names are split by its implementation of BibTeX's own rules. pybtex follows
BibTeX as closely, but its entries carry no line numbers and its strictness is process-wide state.
LaTeX becomes Unicode through pylatexenc 2 (bibtexparser's own dependency); unknown macros are kept
as written rather than dropped, so nothing vanishes silently. One gap of bibtexparser 2: it does
not evaluate ``#`` concatenation (its issue 396); such a value in a field read here is reported as a
ParseError naming the field, never read wrong.

Decisions, in the order a reader meets them:

- Names: ``First von Last``, ``von Last, First`` and ``von Last, Jr, First``, split on the LaTeX
  source so that a ``{...}`` group stays one word (``{Gemma Team}`` is a family name, no given
  name), then decoded. ``given`` is First; ``family`` is von Last Jr (particles included, Jr last:
  records have no suffix field). ``printed`` is the whole name decoded, in the form written.
- dblp numbers homonyms: ``Peter Haase 0001``. BibTeX's rules, and so dblp's own CSL export,
  make ``0001`` the family name and ``Peter Haase`` the given names; this reader does the same, so
  that the display name keeps the number and two homonyms stay two people (records have no field
  for such a number; the name parts are right only once they do).
- ``and others`` says "more authors, how many unknown": ``hidden_authors`` is 1, the least true
  count, so the author count is a lower bound and the list is marked incomplete. ``others``
  anywhere but last is an error.
- An entry without authors takes its editors (an edited book). dblp writes ``author = {}`` for
  a work that names nobody (a foreword, an editorial): a record with no authors. No author field
  and no editor is an error.
- ``@proceedings`` (and ``@mvproceedings``) describe a venue's volume, with editors, not a paper:
  :func:`iter_entries` gives a :class:`SkippedEntry` for each, :func:`iter_records` leaves them out.
- Venues: ``journal`` makes a Journal (``CoRR``, dblp's name for arXiv, a PreprintServer); for
  ``@inproceedings`` the ``booktitle`` (else ``series``) makes a Conference, or a Workshop when it
  says Workshop or WS, when it is dblp's ``EVENT@CONFERENCE`` form of a co-located event, or when
  the cross-referenced volume's title says Workshop. An arXiv ``eprint`` alone makes arXiv the
  venue. Other types with a ``booktitle`` (book chapters) have no venue kind to map to: none.
- ``crossref``: missing ``booktitle``, ``series``, ``journal`` and ``year`` come from the entry
  referred to, its title standing in for ``booktitle`` as biblatex does.
- Identifiers: DOIs lower-cased without resolver prefix; arXiv ids from ``eprint`` (with
  ``archivePrefix``/``eprinttype`` arXiv, or an id-shaped value without one), dblp's ``journal =
  {CoRR}, volume = {abs/ID}``, or an arxiv.org URL; the version goes to ``arxiv_version``.
- Text fields lose LaTeX and ``{}`` protection and have their white space collapsed (abstracts keep
  paragraph breaks); bare ``&`` and ``%`` are read as characters. ``doi``, ``eprint`` and ``url``
  are verbatim. Page ranges get an en dash: ``1--10`` and ``550-566`` become ``1–10``, ``550–566``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TypeAlias

from bibtexparser import model
from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from pydantic import Field, ValidationError

# pylatexenc ships no type information
from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from scholarkg.errors import ParseError
from scholarkg.records import AuthorName, Record, VenueKind, VenueRef, WorkRecord

BIBTEX_FORMAT = "bibtex"
MAX_TEXT = 100_000
"""Most characters one value read as LaTeX may have (an abstract has a few thousand): pylatexenc
holds a node per token, some 300 bytes per character of LaTeX."""

# bibtexparser logs each broken entry, pylatexenc each LaTeX slip it tolerates; the user gets a
# ParseError or the text as read, so without these their messages would also reach stderr through
# logging's last-resort handler. Handlers an application configures still receive them.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("pylatexenc").addHandler(logging.NullHandler())

_VOLUME_TYPES = frozenset({"proceedings", "mvproceedings"})
_EVENT_TYPES = frozenset({"inproceedings", "conference"})
_INHERITED = frozenset({"booktitle", "series", "journal", "year"})
_PREPRINT_JOURNALS = frozenset({"corr", "arxiv", "arxiv e-prints"})

_SILENT_MACROS = frozenset({"relax", "protect"})  # BibTeX's trick {\relax Ch}ristopher
_NEWLINE = re.compile(r"\r\n?")
_LATEX_MARKUP = re.compile(r"[\\{}$~]|--|``|''")
_BARE_SPECIAL = re.compile(r"(?<!\\)([&%])")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_NAME_SYNTAX = re.compile(r"[,{}\\~]")
_WORKSHOP_WORD = re.compile(r"\bworkshops?\b", re.IGNORECASE)
_WORKSHOP_ABBREVIATION = re.compile(r"\bWS\b")
_COLOCATED_EVENT = re.compile(r"\w@\w")
_PAGE_RANGE = re.compile(r"(?P<first>[^\s–—-]+)\s*(?:-+|–|—)\s*(?P<last>[^\s–—-]+)")
_YEAR = re.compile(r"\b(?P<year>\d{4})\b")
_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(?P<doi>10\.\d{4,9}/\S+)", re.I)
_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7})"
_ARXIV = re.compile(rf"(?:arxiv:)?(?P<id>{_ARXIV_ID})(?:v(?P<version>\d+))?", re.I)
_CORR_VOLUME = re.compile(rf"abs/(?P<id>{_ARXIV_ID})(?:v(?P<version>\d+))?", re.I)
_ARXIV_URL = re.compile(
    rf"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>{_ARXIV_ID})"
    r"(?:v(?P<version>\d+))?(?:\.pdf)?/?",
    re.I,
)
_EntryBlock: TypeAlias = model.Entry | model.ParsingFailedBlock  # or one the parser gave up on
_URL_MACRO = re.compile(r"\\url\{(?P<url>[^{}]*)\}")
_VERBATIM_ESCAPE = re.compile(r"\\([_%&#$])")


class SkippedEntry(Record):
    """An entry left out on purpose because it is not a work (a proceedings volume)."""

    line: int = Field(ge=1, description="1-based line where the entry starts")
    key: str | None = None
    entry_type: str
    reason: str


class _LatexToText(LatexNodes2Text):  # type: ignore[misc]
    """pylatexenc's converter, keeping the macros it does not know as written, not dropping them."""

    def macro_node_to_text(self, node: object) -> str:
        if node.macroname in _SILENT_MACROS:  # type: ignore[attr-defined]
            return ""
        if self.latex_context.get_macro_spec(node.macroname) is None:  # type: ignore[attr-defined]
            return str(node.latex_verbatim())  # type: ignore[attr-defined]
        return str(super().macro_node_to_text(node))


_LATEX = _LatexToText(math_mode="text")


def iter_records(path: Path) -> Iterator[WorkRecord | ParseError]:
    """The works of a .bib file in order; a bad entry comes out as a ParseError, not raised."""
    for item in iter_entries(path):
        if not isinstance(item, SkippedEntry):
            yield item


def iter_entries(path: Path) -> Iterator[WorkRecord | SkippedEntry | ParseError]:
    """One item per entry of a .bib file, in file order, proceedings volumes as SkippedEntry.

    A file that cannot be read, or holds no entry at all, raises ParseError at line 1.
    """
    name = str(path)
    library = _split(_read_text(path, name), name)
    blocks = [b for b in library.blocks if isinstance(b, _EntryBlock)]
    if not blocks:
        raise ParseError(name, 1, "no BibTeX entry found: expected '@type{key, field = {...}}'")
    parents = _entries_by_key(blocks, library)
    for block in blocks:
        yield _convert(block, parents, name)


def parse_name(source: str) -> AuthorName:
    """One BibTeX name (LaTeX source) split by BibTeX's rules; ValueError says what is wrong."""
    written = " ".join(source.split())
    if not written:
        raise ValueError("an empty name")
    try:
        parts = parse_single_name_into_parts(_special_characters_as_unicode(written))
    except InvalidNameError as exc:
        raise ValueError(f"cannot split the name {written!r}: {exc.reason.lower()}") from None
    printed = _decode(written)
    if not printed:
        raise ValueError(f"the name {written!r} is empty once its LaTeX is read")
    return AuthorName(
        printed=printed,
        given=_decode(" ".join(parts.first)) or None,
        family=_decode(" ".join([*parts.von, *parts.last, *parts.jr])) or None,
    )


def _special_characters_as_unicode(name: str) -> str:
    """A name with BibTeX's special characters (``{\\...}`` at brace level 0) in Unicode.

    BibTeX gives ``{\\AA}sa`` the case of the letter \\AA stands for; bibtexparser 2.1 decides the
    case of such a group only after a non-letter control sequence (``{\\'E}``), so that
    ``{\\AA}sa Maria Nilsson`` would lose its given names to ``von``. In Unicode the case is plain.
    A special character stays one word (spaces inside become no-break spaces, collapsed later).
    """
    pieces: list[str] = []
    copied = depth = 0
    special = -1
    for index, char in enumerate(name):
        if char not in "{}" or (index and name[index - 1] == "\\"):
            continue
        if char == "{":
            if depth == 0 and name.startswith("\\", index + 1):
                special = index
            depth += 1
            continue
        depth -= 1
        if depth < 0:
            return name  # unbalanced: the name parser reports it
        if depth == 0 and special >= 0:
            text = _decode(name[special : index + 1])
            if text and not _NAME_SYNTAX.search(text):
                pieces += [name[copied:special], "\u00a0".join(text.split())]
                copied = index + 1
            special = -1
    return "".join([*pieces, name[copied:]])


def _read_text(path: Path, name: str) -> str:
    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    except OSError as exc:
        raise ParseError(name, 1, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(name, line, f"not UTF-8 text ({exc.reason}): save it as UTF-8") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(name, line, "binary data (NUL byte): not a BibTeX file")
    return _NEWLINE.sub("\n", text)


def _split(text: str, name: str) -> Library:
    try:
        return parse_string(text)
    except Exception as exc:
        # bibtexparser raises only on its own bugs (it asks for a report); the user still gets
        # this reader's error, naming the file, instead of a traceback.
        reason = f"the BibTeX parser failed ({type(exc).__name__}: {exc})"
        raise ParseError(name, 1, reason) from exc


def _entries_by_key(blocks: list[_EntryBlock], library: Library) -> dict[str, model.Entry]:
    """Entries that a ``crossref`` may name, by lower-cased key (BibTeX keys ignore case)."""
    unenclose = RemoveEnclosingMiddleware()
    found: dict[str, model.Entry] = {}
    for block in blocks:
        entry: object = block
        if isinstance(block, model.ParsingFailedBlock):
            # e.g. dblp's volumes, which repeat the editor field: the parser left them enclosed
            inner = block.ignore_error_block
            entry = (
                unenclose.transform_entry(inner, library)
                if isinstance(inner, model.Entry)
                else None
            )
        if isinstance(entry, model.Entry):
            found.setdefault(entry.key.strip().lower(), entry)
    return found


def _line(block: model.Block) -> int:
    return (block.start_line or 0) + 1


def _skipped(entry: model.Entry) -> SkippedEntry | None:
    entry_type = entry.entry_type.lower()
    if entry_type not in _VOLUME_TYPES:
        return None
    return SkippedEntry(
        line=_line(entry),
        key=entry.key.strip() or None,
        entry_type=entry_type,
        reason=f"@{entry_type} describes a venue's volume (its editors and title), not a work",
    )


def _convert(
    block: _EntryBlock, parents: dict[str, model.Entry], path: str
) -> WorkRecord | SkippedEntry | ParseError:
    line = _line(block)
    if isinstance(block, model.ParsingFailedBlock):
        inner = block.ignore_error_block
        if isinstance(inner, model.Entry) and (skipped := _skipped(inner)) is not None:
            return skipped
        if isinstance(block, model.DuplicateBlockKeyBlock):
            first = _line(block.previous_block)
            reason = f"the key {block.key!r} is taken by the entry at line {first}: rename one"
            return ParseError(path, line, reason)
        if isinstance(block, model.DuplicateFieldKeyBlock):
            keys = ", ".join(sorted(block.duplicate_keys))
            return ParseError(path, line, f"a field given twice in one entry: {keys}")
        why = getattr(block.error, "abort_reason", None) or str(block.error)
        reason = f"a BibTeX entry that cannot be read ({why.strip()}): check its braces and commas"
        return ParseError(path, line, reason)
    if (skipped := _skipped(block)) is not None:
        return skipped
    try:
        return _EntryReader(block, parents, path).read()
    except ParseError as exc:
        return exc
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        return ParseError(path, line, f"invalid {where}: {problem['msg']}")


class _EntryReader:
    """Reads one entry's fields into a WorkRecord; raises ParseError naming the line at fault."""

    def __init__(self, entry: model.Entry, parents: dict[str, model.Entry], path: str) -> None:
        self.entry = entry
        self.path = path
        self.line = _line(entry)
        self.key = entry.key.strip() or None
        self.entry_type = entry.entry_type.lower()
        self.fields = {f.key.lower(): f for f in entry.fields}
        self.parent_fields: dict[str, model.Field] = {}
        crossref = self.raw("crossref")
        parent = parents.get(crossref.lower()) if crossref else None
        if parent is not None and parent is not entry:
            self.parent_fields = {f.key.lower(): f for f in parent.fields}
            if parent.entry_type.lower() in _VOLUME_TYPES and "title" in self.parent_fields:
                self.parent_fields.setdefault("booktitle", self.parent_fields["title"])

    def fail(self, line: int, reason: str) -> ParseError:
        what = f"entry {self.key!r}" if self.key else "this entry"
        return ParseError(self.path, line, f"{what}: {reason}")

    def field(self, key: str, inherit: bool = False) -> model.Field | None:
        found = self.fields.get(key)
        if found is None and inherit and key in _INHERITED:
            found = self.parent_fields.get(key)
        return found

    def raw(self, key: str, inherit: bool = False) -> str | None:
        """A field's value without its enclosing braces or quotes, None when absent or empty."""
        field = self.field(key, inherit)
        if field is None:
            return None
        value = str(field.value).strip()
        if field.enclosing == "no-enclosing" and not value.isdigit():
            if "#" in value:
                raise self.fail(
                    field.start_line + 1,
                    f"field '{key}' joins pieces with '#', which this reader does not evaluate "
                    "(bibtexparser 2 leaves it undone): write the value out in full",
                )
            raise self.fail(
                field.start_line + 1,
                f"field '{key}' names the @string {value!r}, which the file does not define",
            )
        return value or None

    def text(self, key: str, inherit: bool = False, paragraphs: bool = False) -> str | None:
        """A field's value as Unicode text: LaTeX decoded, white space collapsed."""
        value = self.raw(key, inherit)
        if value is None:
            return None
        try:
            return _decode(value, paragraphs) or None
        except ValueError as exc:
            field = self.field(key, inherit)
            raise self.fail((field.start_line if field else self.line - 1) + 1, str(exc)) from None

    def verbatim(self, key: str) -> str | None:
        """A field that is no LaTeX text (doi, eprint, url): only ``\\url{}`` and escapes undone."""
        value = self.raw(key)
        if value is None:
            return None
        value = _URL_MACRO.sub(lambda m: m["url"], value)
        return _VERBATIM_ESCAPE.sub(r"\1", value).strip() or None

    def field_line(self, key: str) -> int:
        field = self.field(key, inherit=True)
        return field.start_line + 1 if field is not None else self.line

    def read(self) -> WorkRecord:
        title = self.text("title")
        if title is None:
            raise self.fail(self.line, "no title: every work needs 'title = {...}'")
        authors, hidden = self.people()
        year = self.year()
        arxiv_id, arxiv_version = self.arxiv()
        return WorkRecord(
            line=self.line,
            key=self.key,
            entry_type=self.entry_type,
            title=title,
            authors=authors,
            hidden_authors=hidden,
            abstract=self.text("abstract", paragraphs=True),
            year=year,
            published=None,  # BibTeX dates no versions
            updated=None,
            categories=(),
            arxiv_id=arxiv_id,
            arxiv_version=arxiv_version,
            doi=self.doi(),
            pages=self.pages(),
            venue=self.venue(year, arxiv_id is not None),
            url=self.verbatim("url"),
        )

    def people(self) -> tuple[tuple[AuthorName, ...], int]:
        role, value = "author", self.raw("author")
        if value is None:
            role, value = "editor", self.raw("editor")
        if value is None:
            if "author" in self.fields:  # author = {}: a work that names nobody
                return (), 0
            raise self.fail(self.line, "no author and no editor: name at least one person")
        line = self.field_line(role)
        names = split_multiple_persons_names(value)
        people: list[AuthorName] = []
        hidden = 0
        for position, name in enumerate(names, start=1):
            if name.strip().lower() == "others":
                if position != len(names):
                    raise self.fail(line, f"'others' stands only last in the {role} list")
                hidden = 1
                continue
            try:
                people.append(parse_name(name))
            except ValueError as exc:
                raise self.fail(line, f"{role} {position}: {exc}") from None
        if not people:
            raise self.fail(line, f"the {role} list names nobody, only 'others'")
        return tuple(people), hidden

    def year(self) -> int | None:
        value = self.text("year", inherit=True) or self.text("date")
        if value is None:
            return None
        if value.isdigit():
            return int(value)
        found = _YEAR.search(value)
        return int(found["year"]) if found else None

    def doi(self) -> str | None:
        value = self.verbatim("doi")
        if value is None:
            return None
        found = _DOI.fullmatch(value)
        if not found:
            raise self.fail(
                self.field_line("doi"), f"expected a DOI such as 10.1234/abc, found {value!r}"
            )
        return found["doi"].lower()

    def arxiv(self) -> tuple[str | None, int | None]:
        eprint = self.verbatim("eprint")
        archive = (self.raw("archiveprefix") or self.raw("eprinttype") or "").lower()
        if eprint is not None and archive in ("arxiv", ""):
            found = _ARXIV.fullmatch(eprint)
            if found:
                return _arxiv_parts(found)
            if archive:
                raise self.fail(
                    self.field_line("eprint"),
                    f"expected an arXiv id such as 2101.01234v2, found {eprint!r}",
                )
        journal = self.text("journal")
        volume = self.raw("volume")
        if journal and journal.casefold() == "corr" and volume:
            found = _CORR_VOLUME.fullmatch(volume)
            if found:
                return _arxiv_parts(found)
        url = self.verbatim("url")
        found = _ARXIV_URL.fullmatch(url) if url else None
        return _arxiv_parts(found) if found else (None, None)

    def pages(self) -> str | None:
        value = self.text("pages")
        if value is None:
            return None
        pieces = []
        for piece in (p.strip() for p in value.split(",")):
            found = _PAGE_RANGE.fullmatch(piece)
            pieces.append(f"{found['first']}–{found['last']}" if found else piece)
        return ", ".join(p for p in pieces if p) or None

    def venue(self, year: int | None, has_arxiv_id: bool) -> VenueRef | None:
        journal = self.text("journal", inherit=True)
        if journal:
            preprint = journal.casefold() in _PREPRINT_JOURNALS
            kind = VenueKind.preprint_server if preprint else VenueKind.journal
            return VenueRef(name=journal, kind=kind, year=year)
        if self.entry_type in _EVENT_TYPES:
            name = self.text("booktitle", inherit=True) or self.text("series", inherit=True)
            if name:
                volume_title = self.parent_fields.get("title")
                workshop = (
                    _WORKSHOP_WORD.search(name)
                    or _WORKSHOP_ABBREVIATION.search(name)
                    or _COLOCATED_EVENT.search(name)
                    or (volume_title and _WORKSHOP_WORD.search(str(volume_title.value)))
                )
                kind = VenueKind.workshop if workshop else VenueKind.conference
                return VenueRef(name=name, kind=kind, year=year)
        if has_arxiv_id and self.fields.get("eprint"):
            name = self.text("archiveprefix") or self.text("eprinttype") or "arXiv"
            return VenueRef(name=name, kind=VenueKind.preprint_server, year=year)
        return None


def _arxiv_parts(found: re.Match[str]) -> tuple[str, int | None]:
    return found["id"], int(found["version"]) if found["version"] else None


def _decode(text: str, paragraphs: bool = False) -> str:
    """LaTeX source as Unicode text, white space collapsed (paragraph breaks kept if asked)."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"a value of more than {MAX_TEXT:,} characters: not a bibliography field")
    if _LATEX_MARKUP.search(text):
        try:
            text = str(_LATEX.latex_to_text(_BARE_SPECIAL.sub(r"\\\1", text)))
        except RecursionError:
            raise ValueError("LaTeX nested too deeply to read") from None
        except (ValueError, IndexError) as exc:
            raise ValueError(f"LaTeX that cannot be read: {exc}") from None
    if paragraphs:
        return "\n\n".join(" ".join(p.split()) for p in _PARAGRAPH.split(text) if p.strip())
    return " ".join(text.split())

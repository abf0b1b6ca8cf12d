"""Typed records that the sources produce and the mapper consumes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """Base of every record: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class YearMonth(Record):
    """A calendar month, as in "originally announced July 2025"."""

    year: int = Field(ge=1, le=9999)
    month: int = Field(ge=1, le=12)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class ListingEntry(Record):
    """One paper of an arXiv author listing, as printed."""

    line: int = Field(description="1-based line where the entry starts")
    title: str
    authors: tuple[str, ...] = Field(description="names as printed, in order")
    hidden_authors: int = Field(0, ge=0, description="'et al. (N additional authors not shown)'")
    abstract: str | None = Field(None, description="the full abstract, never the teaser")
    last_submitted: dt.date
    first_submitted: dt.date = Field(description="v1's date; equals last_submitted for one version")
    revised: bool = Field(False, description="the listing says v1 was submitted on another date")
    announced: YearMonth | None = None
    arxiv_id: str | None = Field(None, description="without version suffix")
    arxiv_version: int | None = Field(None, ge=1, description="the version shown in the id line")
    latest_version: int | None = Field(None, ge=1, description="from a 'Latest version:' note")
    categories: tuple[str, ...] = ()
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    report_number: str | None = None
    msc_class: str | None = None
    acm_class: str | None = None

    @property
    def author_count(self) -> int:
        """Declared number of authors, hidden ones included."""
        return len(self.authors) + self.hidden_authors


class VenueKind(StrEnum):
    """The kinds of venue of the ontology (subclasses of ``skg:Venue``)."""

    preprint_server = "PreprintServer"
    conference = "Conference"
    journal = "Journal"
    workshop = "Workshop"


class VenueRef(Record):
    """Where a work appeared, as a source names it."""

    name: str = Field(min_length=1, description="as printed: booktitle, journal or series")
    kind: VenueKind
    year: int | None = Field(None, ge=1, le=9999, description="the year of the issue or edition")


class AuthorName(Record):
    """One author of a work, as a structured source gives it."""

    printed: str = Field(min_length=1, description="the name as the source writes it, Unicode")
    given: str | None = Field(None, description="given names, None when the source has none")
    family: str | None = Field(None, description="family name with particles (van, de, ...)")
    affiliations: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The name in "Given Family" order (as listings print it)."""
        return " ".join(part for part in (self.given, self.family) if part) or self.printed


class WorkRecord(Record):
    """One work of a structured source (a BibTeX entry, an arXiv API feed entry)."""

    line: int = Field(ge=1, description="1-based line where the entry starts in its file")
    key: str | None = Field(None, description="the source's own key: BibTeX key, Atom id")
    entry_type: str | None = Field(None, description="BibTeX entry type (inproceedings, ...)")
    title: str = Field(min_length=1)
    authors: tuple[AuthorName, ...] = Field(description="in order")
    hidden_authors: int = Field(0, ge=0, description="BibTeX 'and others'")
    abstract: str | None = None
    year: int | None = Field(None, ge=1, le=9999)
    published: dt.date | None = Field(None, description="first version (Atom <published>)")
    updated: dt.date | None = Field(None, description="latest version (Atom <updated>)")
    arxiv_id: str | None = Field(None, description="normalised, without version suffix")
    arxiv_version: int | None = Field(None, ge=1)
    primary_category: str | None = None
    categories: tuple[str, ...] = Field((), description="every category, primary first")
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = Field(None, description="normalised: lower case, no resolver prefix")
    pages: str | None = Field(None, description="as given, with an en dash between a range")
    venue: VenueRef | None = None
    url: str | None = None

    @property
    def author_count(self) -> int:
        """Declared number of authors, hidden ones included."""
        return len(self.authors) + self.hidden_authors


class SourceInfo(Record):
    """What the mapper records about an ingested file."""

    source_id: str
    file_name: str
    source_format: str
    sha256: str
    subject: str | None = Field(None, description="whose listing this is, if the user said")


class MappingNote(Record):
    """Something the mapper noticed and reports without failing (e.g. a subject not shown)."""

    line: int
    message: str

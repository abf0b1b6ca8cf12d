"""Typed records that the sources produce and the mapper consumes."""

from __future__ import annotations

import datetime as dt

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

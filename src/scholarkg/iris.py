"""The one place where IRIs are minted: deterministic, the same input gives the same IRI anywhere.

A paper keys on its arXiv id, else its DOI, else its normalised title; a person or organisation
on its normalised name (until reconciliation says otherwise); authorships, versions and the other
parts of a paper derive from the paper's IRI. docs/data-model.md lists every pattern.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import quote

from scholarkg.errors import UsageError
from scholarkg.terms import IRI
from scholarkg.vocab import DEFAULT_BASE

_NOT_WORD = re.compile(r"[\W_]+")


def slug(text: str) -> str:
    """Lower-case, accent-free words joined by '-' (non-ASCII letters such as CJK are kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub("-", bare.casefold()).strip("-")


def name_key(name: str) -> str:
    """The key under which two printed names count as the same agent (before reconciliation)."""
    return slug(name)


def check_base(base: str) -> str:
    """Return ``base`` if it is an absolute http(s) IRI ending in '/' or '#', else raise."""
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+[/#]", base):
        raise UsageError(f"base IRI {base!r} must be an absolute http(s) IRI ending in '/' or '#'")
    return base


class IriMinter:
    """Mints every data IRI under one base."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        self.base = check_base(base)
        self._keys: dict[str, str] = {}  # names repeat across a listing: normalise each once

    def paper(self, *, arxiv_id: str | None, doi: str | None, title: str) -> IRI:
        """A paper: by arXiv id, else DOI, else normalised title."""
        if arxiv_id:
            return IRI(f"{self.base}paper/arxiv/{quote(arxiv_id, safe='/')}")
        if doi:
            return IRI(f"{self.base}paper/doi/{quote(doi.lower(), safe='/')}")
        key = slug(title)
        if not key:
            raise UsageError(f"cannot mint a paper IRI: the title {title!r} has no letters")
        return IRI(f"{self.base}paper/title/{key}")

    def person(self, name: str) -> IRI:
        """A person, by normalised name."""
        return IRI(f"{self.base}person/{self.agent_key(name)}")

    def organization(self, name: str) -> IRI:
        """A collective author, by normalised name."""
        return IRI(f"{self.base}org/{self.agent_key(name)}")

    @staticmethod
    def authorship(paper: IRI, position: int) -> IRI:
        """The author slot at a 1-based position of a paper."""
        return IRI(f"{paper}/authorship/{position}")

    @staticmethod
    def version(paper: IRI, *, number: int | None, submitted: dt.date) -> IRI:
        """A version: by number where known, else by its submission date."""
        if number is not None:
            return IRI(f"{paper}/version/{number}")
        return IRI(f"{paper}/version/d{submitted.isoformat()}")

    def venue(self, key: str) -> IRI:
        """A venue such as arXiv."""
        return IRI(f"{self.base}venue/{slug(key)}")

    def source(self, source_id: str) -> IRI:
        """An ingested file."""
        return IRI(f"{self.base}source/{source_id}")

    def graph(self, source_id: str) -> IRI:
        """The named graph holding one source's triples."""
        return IRI(f"{self.base}graph/{source_id}")

    def agent_key(self, name: str) -> str:
        """``name_key`` of a printed name, remembered; a UsageError if it has no letters."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = name_key(name)
        if not key:
            raise UsageError(f"cannot mint an IRI for the name {name!r}: it has no letters")
        return key


def source_id_for(file_name: str) -> str:
    """The source id of a file: the slug of its name without extension."""
    stem = file_name.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    key = slug(stem)
    if not key:
        raise UsageError(f"cannot derive a source id from {file_name!r}; give --source-id")
    return key

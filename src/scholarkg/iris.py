"""The one place where IRIs are minted: deterministic, the same input gives the same IRI anywhere.

A paper keys on its arXiv id, else its DOI, else its normalised title; a person or organisation
on its normalised name (until reconciliation says otherwise); authorships, versions and the other
parts of a paper derive from the paper's IRI. docs/data-model.md lists every pattern.

Reconciliation enters through an alias table of name keys, variant -> canonical (from an alias
file, ``scholarkg.people``): a person printed under a variant name is minted under the canonical
name's key, and the mapper links the variant's own IRI to it with ``owl:sameAs``, so IRIs minted
before the alias was known still mean the same person.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
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


def resolve_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    """An alias table (variant -> canonical, names or name keys) as name keys, chains followed.

    ``a -> b, b -> c`` becomes ``a -> c, b -> c``; a key mapped to itself is dropped; a cycle or
    a name without letters is a UsageError.
    """
    table: dict[str, str] = {}
    for variant, canonical in aliases.items():
        key, target = name_key(variant), name_key(canonical)
        if not key or not target:
            empty = variant if not key else canonical
            raise UsageError(f"alias {variant!r} -> {canonical!r}: {empty!r} has no letters")
        if table.get(key, target) != target:
            raise UsageError(f"alias {variant!r} maps to two people: {table[key]!r}, {target!r}")
        if key != target:
            table[key] = target
    resolved: dict[str, str] = {}
    for key, first in table.items():
        seen, target = [key], first
        while target in table:
            if target in seen:
                raise UsageError(f"aliases form a cycle: {' -> '.join([*seen, target])}")
            seen.append(target)
            target = table[target]
        if target != key:
            resolved[key] = target
    return resolved


class IriMinter:
    """Mints every data IRI under one base, people through an optional alias table.

    ``aliases`` maps name keys (``name_key``) of variant names to those of canonical names;
    ``names`` maps canonical name keys to the display name (``foaf:name``) of that person.
    """

    def __init__(
        self,
        base: str = DEFAULT_BASE,
        aliases: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.base = check_base(base)
        self._keys: dict[str, str] = {}  # names repeat across a listing: normalise each once
        self.aliases = resolve_aliases(aliases or {})
        self.names = {name_key(key): name for key, name in (names or {}).items()}

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
        """A person, by normalised name (the canonical one, when the name is an alias)."""
        return IRI(f"{self.base}person/{self.person_key(name)}")

    def person_key(self, name: str) -> str:
        """The key of the person a printed name stands for: its own, or its canonical one."""
        key = self.agent_key(name)
        return self.aliases.get(key, key)

    def canonical_key(self, key: str) -> str:
        """The canonical name key for a name key (itself unless the alias table redirects it)."""
        return self.aliases.get(key, key)

    def person_variant(self, name: str) -> IRI | None:
        """The IRI a name would have without the alias table, when the table redirects it."""
        key = self.agent_key(name)
        return IRI(f"{self.base}person/{key}") if key in self.aliases else None

    def person_name(self, name: str) -> str:
        """The display name of the person a printed name stands for: the canonical person's
        name when the alias table knows it, else the name itself."""
        if not self.names:
            return name
        return self.names.get(self.person_key(name), name)

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
    """The source id of a file: the slug of its name without ``.txt`` (a listing), or of its
    whole name (``ferret.bib`` -> ``ferret-bib``), so that one person's listing, .bib and feed
    named alike are three sources, not one replacing another."""
    name = file_name.rsplit("/", 1)[-1]
    if name.lower().endswith(".txt") and name[:-4].strip("."):
        name = name[:-4]
    key = slug(name)
    if not key:
        raise UsageError(f"cannot derive a source id from {file_name!r}; give --source-id")
    return key

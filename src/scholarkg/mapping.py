"""Records -> RDF triples under the scholarkg ontology. Pure: no I/O, IRIs from ``iris``.

``ListingMapper`` streams: ``map_entry`` gives one paper's triples as soon as it is parsed, and
``finish`` gives what can only be known at the end (the source, the detected listing subject and
its credit on papers where it hides among the "additional authors not shown").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from scholarkg import vocab as v
from scholarkg.concepts import ConceptTagger
from scholarkg.iris import IriMinter, name_key
from scholarkg.records import ListingEntry, MappingNote, SourceInfo
from scholarkg.terms import IRI, Literal, Triple, boolean, typed

ARXIV_VENUE = "arXiv"
ARXIV_HOMEPAGE = IRI("https://arxiv.org/")
_COLLECTIVE_WORDS = frozenset(
    "team consortium collaboration group project committee initiative lab laboratory "
    "institute contributors authors organization organisation foundation association "
    "society network alliance".split()
)
_TEXT_FIELDS = (
    ("comments", v.COMMENTS),
    ("journal_ref", v.JOURNAL_REF),
    ("report_number", v.REPORT_NUMBER),
    ("msc_class", v.MSC_CLASS),
    ("acm_class", v.ACM_CLASS),
)


def is_collective(name: str) -> bool:
    """True for a collective author such as "Gemma Team" (by its last word)."""
    words = name.split()
    return len(words) > 1 and words[-1].casefold() in _COLLECTIVE_WORDS


class ListingMapper:
    """Maps the entries of one arXiv listing to triples, keeping only what streaming needs."""

    def __init__(self, source: SourceInfo, minter: IriMinter, tagger: ConceptTagger) -> None:
        self.source = source
        self.minter = minter
        self.tagger = tagger
        self.source_iri = minter.source(source.source_id)
        self.venue = minter.venue(ARXIV_VENUE)
        self.notes: list[MappingNote] = []
        self.entries = 0
        self._agents: set[IRI] = set()
        self._subject_key = name_key(source.subject) if source.subject else None
        # subject detection: persons present in every entry whose author list is complete
        self._candidates: dict[str, str] | None = None
        # entries with hidden authors: (paper, keys of the persons shown)
        self._hidden: list[tuple[IRI, frozenset[str]]] = []

    @property
    def subject(self) -> str | None:
        """The listing's subject: given by the user, else detected (after ``finish``)."""
        if self.source.subject:
            return self.source.subject
        if self._candidates is not None and len(self._candidates) == 1:
            return next(iter(self._candidates.values()))
        return None

    @property
    def subject_candidates(self) -> list[str]:
        """Names present in every complete entry (detection succeeds when exactly one)."""
        return sorted(self._candidates.values()) if self._candidates else []

    def map_all(self, entries: Iterable[ListingEntry]) -> Iterator[Triple]:
        """Every triple of the listing, the source's last."""
        for entry in entries:
            yield from self.map_entry(entry)
        yield from self.finish()

    def map_entry(self, entry: ListingEntry) -> list[Triple]:
        """The triples of one paper, its authorships, versions and agents."""
        self.entries += 1
        paper = self.minter.paper(arxiv_id=entry.arxiv_id, doi=entry.doi, title=entry.title)
        out = [
            Triple(paper, v.TYPE, v.PAPER),
            Triple(paper, v.TITLE, Literal(entry.title)),
            Triple(paper, v.AUTHOR_COUNT, typed(entry.author_count, "integer")),
            Triple(paper, v.HIDDEN_AUTHOR_COUNT, typed(entry.hidden_authors, "integer")),
            Triple(paper, v.AUTHOR_LIST_COMPLETE, boolean(entry.hidden_authors == 0)),
            Triple(paper, v.PUBLISHED_IN, self.venue),
            Triple(paper, v.WAS_DERIVED_FROM, self.source_iri),
            Triple(paper, v.FIRST_SUBMITTED, typed(entry.first_submitted, "date")),
            Triple(paper, v.LAST_SUBMITTED, typed(entry.last_submitted, "date")),
        ]
        if entry.abstract:
            out.append(Triple(paper, v.ABSTRACT, Literal(entry.abstract)))
        if entry.announced:
            out.append(Triple(paper, v.ANNOUNCED, typed(entry.announced, "gYearMonth")))
        if entry.arxiv_id:
            out.append(Triple(paper, v.ARXIV_ID, Literal(entry.arxiv_id)))
        if entry.doi:
            out.append(Triple(paper, v.DOI, Literal(entry.doi)))
        out.extend(Triple(paper, v.ARXIV_CATEGORY, Literal(c)) for c in entry.categories)
        for field, prop in _TEXT_FIELDS:
            value = getattr(entry, field)
            if value:
                out.append(Triple(paper, prop, Literal(value)))
        out.extend(self._versions(paper, entry))
        shown = self._authorships(paper, entry, out)
        out.extend(
            Triple(paper, v.HAS_CONCEPT, concept)
            for concept in sorted(self.tagger.tag(entry.title, entry.abstract))
        )
        self._note_subject(paper, entry, shown)
        return out

    def finish(self) -> list[Triple]:
        """The source's triples and the listing subject's credits on hidden-author papers."""
        src = self.source_iri
        out = [
            Triple(src, v.TYPE, v.SOURCE),
            Triple(src, v.TYPE, v.PROV_ENTITY),
            Triple(src, v.LABEL, Literal(self.source.file_name)),
            Triple(src, v.FILE_NAME, Literal(self.source.file_name)),
            Triple(src, v.SOURCE_FORMAT, Literal(self.source.source_format)),
            Triple(src, v.SHA256, Literal(self.source.sha256)),
            Triple(src, v.ENTRY_COUNT, typed(self.entries, "integer")),
            Triple(self.venue, v.TYPE, v.PREPRINT_SERVER),
            Triple(self.venue, v.NAME, Literal(ARXIV_VENUE)),
            Triple(self.venue, v.HOMEPAGE, ARXIV_HOMEPAGE),
        ]
        subject = self.subject
        if subject is None:
            return out
        person = self.minter.person(subject)
        key = name_key(subject)
        out.append(Triple(src, v.LISTING_SUBJECT, person))
        out.extend(self._agent(person, v.PERSON, subject))
        out += [
            Triple(paper, v.CREATOR, person) for paper, shown in self._hidden if key not in shown
        ]
        return out

    def _versions(self, paper: IRI, entry: ListingEntry) -> Iterator[Triple]:
        first_number = 1
        last_number = entry.arxiv_version or entry.latest_version
        if last_number is not None and last_number <= first_number:
            last_number = None  # contradicts "v1 submitted" on another date: number unknown
        dated: list[tuple[int | None, dt.date]] = [(first_number, entry.first_submitted)]
        if entry.revised:  # else one version only: the listing's single date is v1's
            dated.append((last_number, entry.last_submitted))
        for number, date in dated:
            version = self.minter.version(paper, number=number, submitted=date)
            yield Triple(paper, v.HAS_VERSION, version)
            yield Triple(version, v.TYPE, v.VERSION)
            yield Triple(version, v.SUBMITTED, typed(date, "date"))
            if number is not None:
                yield Triple(version, v.VERSION_NUMBER, typed(number, "integer"))

    def _authorships(self, paper: IRI, entry: ListingEntry, out: list[Triple]) -> set[str]:
        shown: set[str] = set()
        for position, name in enumerate(entry.authors, start=1):
            collective = is_collective(name)
            agent = self.minter.organization(name) if collective else self.minter.person(name)
            slot = self.minter.authorship(paper, position)
            out += [
                Triple(paper, v.HAS_AUTHORSHIP, slot),
                Triple(paper, v.CREATOR, agent),
                Triple(slot, v.TYPE, v.AUTHORSHIP),
                Triple(slot, v.POSITION, typed(position, "integer")),
                Triple(slot, v.NAME_AS_WRITTEN, Literal(name)),
                Triple(slot, v.AUTHOR, agent),
            ]
            out.extend(self._agent(agent, v.ORGANIZATION if collective else v.PERSON, name))
            if not collective:
                shown.add(self.minter.agent_key(name))
        return shown

    def _agent(self, agent: IRI, kind: IRI, name: str) -> list[Triple]:
        if agent in self._agents:
            return []
        self._agents.add(agent)
        return [Triple(agent, v.TYPE, kind), Triple(agent, v.NAME, Literal(name))]

    def _note_subject(self, paper: IRI, entry: ListingEntry, shown: set[str]) -> None:
        if self._subject_key is not None:
            if self._subject_key in shown:
                return
            if entry.hidden_authors:
                self._hidden.append((paper, frozenset()))
            else:
                self.notes.append(
                    MappingNote(
                        line=entry.line,
                        message=f"the listing subject {self.source.subject!r} is not among the "
                        "authors of this entry, whose author list is complete",
                    )
                )
            return
        if entry.hidden_authors:
            self._hidden.append((paper, frozenset(shown)))
        else:
            names = {self.minter.agent_key(n): n for n in entry.authors if not is_collective(n)}
            if self._candidates is None:
                self._candidates = names
            else:
                self._candidates = {k: n for k, n in self._candidates.items() if k in names}

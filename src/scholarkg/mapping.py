"""Records -> RDF triples under the scholarkg ontology. Pure: no I/O, IRIs from ``iris``.

Two mappers share one base, ``SourceMapper``, so that a paper, its authorships, agents, venues,
versions, categories and concepts, and the source node, are written the same way whatever the
format: ``ListingMapper`` for the entries of an arXiv author listing, ``WorkMapper`` for the
``WorkRecord`` of structured sources (BibTeX, arXiv Atom feeds). Both stream: ``map_entry`` /
``map_record`` give one paper's triples as soon as it is parsed, and ``finish`` gives what can
only be known at the end (the source, the listing subject and its credit on papers where it
hides among the "additional authors not shown").

Agents are shared by every source, so what varies between sources stays on the authorship: the
printed name (``skg:nameAsWritten``), the source's split into given and family names
(``skg:givenNameAsWritten``, ``skg:familyNameAsWritten``) and affiliations
(``skg:affiliationAsWritten``). The agent itself carries one display name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from scholarkg import vocab as v
from scholarkg.concepts import ConceptTagger
from scholarkg.iris import IriMinter, name_key
from scholarkg.records import (
    ListingEntry,
    MappingNote,
    SourceInfo,
    VenueKind,
    VenueRef,
    WorkRecord,
)
from scholarkg.sources.arxiv_atom import ATOM_FORMAT, category_iri
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
_VENUE_CLASSES = {
    VenueKind.preprint_server: v.PREPRINT_SERVER,
    VenueKind.conference: v.CONFERENCE,
    VenueKind.journal: v.JOURNAL,
    VenueKind.workshop: v.WORKSHOP,
}
# sources that are arXiv's own metadata: every entry with an arXiv id appears on arXiv
ARXIV_FEED_FORMATS = frozenset({ATOM_FORMAT})
# an absolute http(s) IRI as RFC 3987 allows it (no IPv6 hosts): what a store accepts
_IRI_CHAR = r"(?:[^\x00-\x20<>\"{}|\\^`%#\[\]]|%[0-9A-Fa-f]{2})"
_WEB_IRI = re.compile(
    rf"https?://(?:[^\x00-\x20<>\"{{}}|\\^`%#/?@\[\]:]|%[0-9A-Fa-f]{{2}})+(?::[0-9]*)?"
    rf"(?:[/?]{_IRI_CHAR}*)?(?:#(?:{_IRI_CHAR}|[/?])*)?"
)


def is_collective(name: str) -> bool:
    """True for a collective author such as "Gemma Team" (by its last word)."""
    words = name.split()
    return len(words) > 1 and words[-1].casefold() in _COLLECTIVE_WORDS


class PaperMatcher(Protocol):
    """Finds the paper another source already holds for a work (``merging.PaperIndex``)."""

    def match(
        self, *, arxiv_id: str | None, doi: str | None, title: str, year: int | None
    ) -> IRI | None:
        """The IRI of the same work, or None."""
        ...


class SourceMapper:
    """What every mapper shares: agents, authorships, versions, venues, categories, the source
    node and the listing subject, each agent and venue described once per source."""

    detects_subject = False  # only a listing is someone's publication list by nature

    def __init__(
        self,
        source: SourceInfo,
        minter: IriMinter,
        tagger: ConceptTagger,
        papers: PaperMatcher | None = None,
    ) -> None:
        self.source = source
        self.minter = minter
        self.tagger = tagger
        self.papers = papers
        self.source_iri = minter.source(source.source_id)
        self.notes: list[MappingNote] = []
        self.entries = 0
        self._agents: set[IRI] = set()
        self._variants: set[IRI] = set()
        self._venues: dict[IRI, IRI] = {}  # venue -> its class, as first described
        self._unknown_categories: set[str] = set()
        self._subject_key = (
            minter.canonical_key(name_key(source.subject)) if source.subject else None
        )
        # subject detection: persons present in every entry whose author list is complete
        self._candidates: dict[str, str] | None = None
        # entries with hidden authors: (paper, keys of the persons shown)
        self._hidden: list[tuple[IRI, frozenset[str]]] = []

    def _paper(
        self, *, arxiv_id: str | None, doi: str | None, title: str, year: int | None
    ) -> tuple[IRI, list[Triple]]:
        """A paper's IRI: another source's for the same work when ``papers`` knows one (then
        with owl:sameAs from the IRI this source would have minted), else minted."""
        own = self.minter.paper(arxiv_id=arxiv_id, doi=doi, title=title)
        if self.papers is None:
            return own, []
        found = self.papers.match(arxiv_id=arxiv_id, doi=doi, title=title, year=year)
        if found is None or found == own:
            return own, []
        return found, [Triple(own, v.SAME_AS, found)]

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

    def finish(self) -> list[Triple]:
        """The source's triples and the listing subject's credits on hidden-author papers."""
        return self._source_triples() + self._subject_triples()

    # -- the source and its subject -------------------------------------------------------

    def _source_triples(self) -> list[Triple]:
        src = self.source_iri
        return [
            Triple(src, v.TYPE, v.SOURCE),
            Triple(src, v.TYPE, v.PROV_ENTITY),
            Triple(src, v.LABEL, Literal(self.source.file_name)),
            Triple(src, v.FILE_NAME, Literal(self.source.file_name)),
            Triple(src, v.SOURCE_FORMAT, Literal(self.source.source_format)),
            Triple(src, v.SHA256, Literal(self.source.sha256)),
            Triple(src, v.ENTRY_COUNT, typed(self.entries, "integer")),
        ]

    def _subject_triples(self) -> list[Triple]:
        subject = self.subject
        if subject is None:
            return []
        person = self.minter.person(subject)
        key = self.minter.canonical_key(name_key(subject))
        out = [Triple(self.source_iri, v.LISTING_SUBJECT, person)]
        self._describe_agent(person, subject, collective=False, out=out)
        out += [
            Triple(paper, v.CREATOR, person) for paper, shown in self._hidden if key not in shown
        ]
        return out

    def _note_subject(
        self, paper: IRI, line: int, hidden: int, shown: set[str], names: Iterable[str]
    ) -> None:
        """Track the subject: credit where it may hide, note where it is missing, or detect it
        from ``names`` (the display names of the persons of a complete author list)."""
        if self._subject_key is not None:
            if self._subject_key in shown:
                return
            if hidden:
                self._hidden.append((paper, frozenset()))
            else:
                self.notes.append(
                    MappingNote(
                        line=line,
                        message=f"the listing subject {self.source.subject!r} is not among the "
                        "authors of this entry, whose author list is complete",
                    )
                )
            return
        if not self.detects_subject:
            return
        if hidden:
            self._hidden.append((paper, frozenset(shown)))
        else:
            keys = {self.minter.person_key(n): n for n in names if not is_collective(n)}
            if self._candidates is None:
                self._candidates = keys
            else:
                self._candidates = {k: n for k, n in self._candidates.items() if k in keys}

    # -- authorships and agents -------------------------------------------------------------

    def _authorship(
        self, paper: IRI, position: int, printed: str, display: str, out: list[Triple]
    ) -> tuple[IRI, bool]:
        """One author slot: the printed name on the authorship, the agent by its display name.
        Returns the slot and whether the agent is collective."""
        collective = is_collective(display)
        agent = self.minter.organization(display) if collective else self.minter.person(display)
        slot = self.minter.authorship(paper, position)
        out += [
            Triple(paper, v.HAS_AUTHORSHIP, slot),
            Triple(paper, v.CREATOR, agent),
            Triple(slot, v.TYPE, v.AUTHORSHIP),
            Triple(slot, v.POSITION, typed(position, "integer")),
            Triple(slot, v.NAME_AS_WRITTEN, Literal(printed)),
            Triple(slot, v.AUTHOR, agent),
        ]
        self._describe_agent(agent, display, collective=collective, out=out)
        return slot, collective

    def _describe_agent(
        self, agent: IRI, name: str, *, collective: bool, out: list[Triple]
    ) -> None:
        """An agent's type and display name, once per source; for a person printed under an
        alias, ``owl:sameAs`` from the alias's own IRI, once per source."""
        if agent not in self._agents:
            self._agents.add(agent)
            kind = v.ORGANIZATION if collective else v.PERSON
            display = name if collective else self.minter.person_name(name)
            out += [Triple(agent, v.TYPE, kind), Triple(agent, v.NAME, Literal(display))]
        if collective:
            return
        variant = self.minter.person_variant(name)
        if variant is not None and variant not in self._variants:
            self._variants.add(variant)
            out.append(Triple(variant, v.SAME_AS, agent))

    # -- versions, venues, categories, concepts ----------------------------------------------

    def _versions(self, paper: IRI, dated: list[tuple[int | None, dt.date]]) -> Iterator[Triple]:
        for number, date in dated:
            version = self.minter.version(paper, number=number, submitted=date)
            yield Triple(paper, v.HAS_VERSION, version)
            yield Triple(version, v.TYPE, v.VERSION)
            yield Triple(version, v.SUBMITTED, typed(date, "date"))
            if number is not None:
                yield Triple(version, v.VERSION_NUMBER, typed(number, "integer"))

    def _venue(self, venue: IRI, kind: IRI, name: str, line: int) -> list[Triple]:
        """A venue's type and name, once per source (the first kind and name win)."""
        known = self._venues.get(venue)
        if known is None:
            self._venues[venue] = kind
            out = [Triple(venue, v.TYPE, kind), Triple(venue, v.NAME, Literal(name))]
            if venue == self.minter.venue(ARXIV_VENUE):
                out.append(Triple(venue, v.HOMEPAGE, ARXIV_HOMEPAGE))
            return out
        if known != kind:
            self.notes.append(
                MappingNote(
                    line=line,
                    message=f"venue {name!r} is a {kind.rsplit('#', 1)[-1]} here but was a "
                    f"{known.rsplit('#', 1)[-1]} earlier in this source; kept the first",
                )
            )
        return []

    def _arxiv_venue(self, line: int) -> tuple[IRI, list[Triple]]:
        venue = self.minter.venue(ARXIV_VENUE)
        return venue, self._venue(venue, v.PREPRINT_SERVER, ARXIV_VENUE, line)

    def _categories(
        self, paper: IRI, codes: Iterable[str], primary: str | None, line: int
    ) -> list[Triple]:
        """``skg:arxivCategory`` literals as given, and links to the concepts of the arXiv
        category scheme where a code is known (``skg:category``, ``skg:primaryCategory``)."""
        ordered = list(dict.fromkeys([*([primary] if primary else []), *codes]))
        out = [Triple(paper, v.ARXIV_CATEGORY, Literal(code)) for code in ordered]
        linked: dict[str, None] = {}
        for code in ordered:
            concept = category_iri(code)
            if concept is None:
                if code not in self._unknown_categories:
                    self._unknown_categories.add(code)
                    self.notes.append(
                        MappingNote(
                            line=line,
                            message=f"arXiv category {code!r} is not in the arXiv category "
                            "scheme: kept as skg:arxivCategory, not linked",
                        )
                    )
                continue
            linked.setdefault(concept)
        out += [Triple(paper, v.CATEGORY, IRI(concept)) for concept in linked]
        main = category_iri(primary) if primary else None
        if main is not None:
            out.append(Triple(paper, v.PRIMARY_CATEGORY, IRI(main)))
        return out

    def _concepts(self, paper: IRI, *texts: str | None) -> list[Triple]:
        return [
            Triple(paper, v.HAS_CONCEPT, concept) for concept in sorted(self.tagger.tag(*texts))
        ]


class ListingMapper(SourceMapper):
    """Maps the entries of one arXiv listing to triples, keeping only what streaming needs."""

    detects_subject = True

    def __init__(
        self,
        source: SourceInfo,
        minter: IriMinter,
        tagger: ConceptTagger,
        papers: PaperMatcher | None = None,
    ) -> None:
        super().__init__(source, minter, tagger, papers)
        self.venue = minter.venue(ARXIV_VENUE)

    def map_all(self, entries: Iterable[ListingEntry]) -> Iterator[Triple]:
        """Every triple of the listing, the source's last."""
        for entry in entries:
            yield from self.map_entry(entry)
        yield from self.finish()

    def map_entry(self, entry: ListingEntry) -> list[Triple]:
        """The triples of one paper, its authorships, versions and agents."""
        self.entries += 1
        paper, out = self._paper(
            arxiv_id=entry.arxiv_id,
            doi=entry.doi,
            title=entry.title,
            year=entry.first_submitted.year,
        )
        out += [
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
        # a listing does not mark the primary category: no skg:primaryCategory
        out.extend(self._categories(paper, entry.categories, None, entry.line))
        for field, prop in _TEXT_FIELDS:
            value = getattr(entry, field)
            if value:
                out.append(Triple(paper, prop, Literal(value)))
        out.extend(self._versions(paper, self._dated_versions(entry)))
        shown: set[str] = set()
        for position, name in enumerate(entry.authors, start=1):
            _, collective = self._authorship(paper, position, name, name, out)
            if not collective:
                shown.add(self.minter.person_key(name))
        out.extend(self._concepts(paper, entry.title, entry.abstract))
        self._note_subject(paper, entry.line, entry.hidden_authors, shown, entry.authors)
        return out

    def finish(self) -> list[Triple]:
        """The source's triples, arXiv's, and the listing subject's credits."""
        venue = self._venue(self.venue, v.PREPRINT_SERVER, ARXIV_VENUE, 0)
        return self._source_triples() + venue + self._subject_triples()

    @staticmethod
    def _dated_versions(entry: ListingEntry) -> list[tuple[int | None, dt.date]]:
        first_number = 1
        last_number = entry.arxiv_version or entry.latest_version
        if last_number is not None and last_number <= first_number:
            last_number = None  # contradicts "v1 submitted" on another date: number unknown
        dated: list[tuple[int | None, dt.date]] = [(first_number, entry.first_submitted)]
        if entry.revised:  # else one version only: the listing's single date is v1's
            dated.append((last_number, entry.last_submitted))
        return dated


class WorkMapper(SourceMapper):
    """Maps the ``WorkRecord`` of a structured source (BibTeX, arXiv Atom feed) to triples.

    An entry whose paper IRI (arXiv id, else DOI, else title) was already mapped from this
    source is skipped with a note: one source states one paper once.
    """

    def __init__(
        self,
        source: SourceInfo,
        minter: IriMinter,
        tagger: ConceptTagger,
        papers: PaperMatcher | None = None,
    ) -> None:
        super().__init__(source, minter, tagger, papers)
        self.arxiv_feed = source.source_format in ARXIV_FEED_FORMATS
        self._papers: dict[IRI, int] = {}  # paper -> line of the entry that stated it

    def map_all(self, records: Iterable[WorkRecord]) -> Iterator[Triple]:
        """Every triple of the source, the source's last."""
        for record in records:
            yield from self.map_record(record)
        yield from self.finish()

    def map_record(self, record: WorkRecord) -> list[Triple]:
        """The triples of one work, its authorships, versions, venues and agents."""
        work_year = record.year or (record.published.year if record.published else None)
        paper, same = self._paper(
            arxiv_id=record.arxiv_id, doi=record.doi, title=record.title, year=work_year
        )
        first_line = self._papers.get(paper)
        if first_line is not None:
            self.notes.append(
                MappingNote(
                    line=record.line,
                    message=f"the same paper as the entry at line {first_line} (same arXiv id, "
                    "DOI or title): skipped",
                )
            )
            return []
        self._papers[paper] = record.line
        self.entries += 1
        out = [
            *same,
            Triple(paper, v.TYPE, v.PAPER),
            Triple(paper, v.TITLE, Literal(record.title)),
            Triple(paper, v.AUTHOR_COUNT, typed(record.author_count, "integer")),
            Triple(paper, v.HIDDEN_AUTHOR_COUNT, typed(record.hidden_authors, "integer")),
            Triple(paper, v.AUTHOR_LIST_COMPLETE, boolean(record.hidden_authors == 0)),
        ]
        out += self._venues_of(paper, record)
        out.append(Triple(paper, v.WAS_DERIVED_FROM, self.source_iri))
        dated = self._dated_versions(record)
        if dated:
            out.append(Triple(paper, v.FIRST_SUBMITTED, typed(dated[0][1], "date")))
            out.append(Triple(paper, v.LAST_SUBMITTED, typed(dated[-1][1], "date")))
        if record.abstract:
            out.append(Triple(paper, v.ABSTRACT, Literal(record.abstract)))
        if record.arxiv_id:
            out.append(Triple(paper, v.ARXIV_ID, Literal(record.arxiv_id)))
        if record.doi:
            out.append(Triple(paper, v.DOI, Literal(record.doi)))
        year = record.year
        if year is None and record.venue is not None:
            year = record.venue.year
        if year is not None:
            out.append(Triple(paper, v.PUBLICATION_YEAR, typed(f"{year:04d}", "gYear")))
        if record.pages:
            out.append(Triple(paper, v.PAGES, Literal(record.pages)))
        if record.url:
            out += self._page(paper, record.url, record.line)
        out.extend(self._categories(paper, record.categories, record.primary_category, record.line))
        if record.comments:
            out.append(Triple(paper, v.COMMENTS, Literal(record.comments)))
        if record.journal_ref:
            out.append(Triple(paper, v.JOURNAL_REF, Literal(record.journal_ref)))
        out.extend(self._versions(paper, dated))
        shown: set[str] = set()
        for position, author in enumerate(record.authors, start=1):
            slot, collective = self._authorship(
                paper, position, author.printed, author.display, out
            )
            if author.given:
                out.append(Triple(slot, v.GIVEN_NAME_AS_WRITTEN, Literal(author.given)))
            if author.family:
                out.append(Triple(slot, v.FAMILY_NAME_AS_WRITTEN, Literal(author.family)))
            out += [
                Triple(slot, v.AFFILIATION_AS_WRITTEN, Literal(affiliation))
                for affiliation in dict.fromkeys(author.affiliations)
            ]
            if not collective:
                shown.add(self.minter.person_key(author.display))
        out.extend(self._concepts(paper, record.title, record.abstract))
        names = [author.display for author in record.authors]
        self._note_subject(paper, record.line, record.hidden_authors, shown, names)
        return out

    def _venues_of(self, paper: IRI, record: WorkRecord) -> list[Triple]:
        """arXiv, for an entry with an arXiv id that comes from an arXiv feed, names no venue
        or names a preprint server (dblp's CoRR is arXiv); and any other venue it names."""
        ref = record.venue
        preprint = ref is not None and ref.kind is VenueKind.preprint_server
        out: list[Triple] = []
        if record.arxiv_id and (self.arxiv_feed or ref is None or preprint):
            venue, described = self._arxiv_venue(record.line)
            out += [Triple(paper, v.PUBLISHED_IN, venue), *described]
            if preprint:
                return out
        if ref is not None:
            out += self._named_venue(paper, ref, record.line)
        return out

    def _named_venue(self, paper: IRI, ref: VenueRef, line: int) -> list[Triple]:
        if not name_key(ref.name):
            self.notes.append(
                MappingNote(line=line, message=f"venue {ref.name!r} has no letters: left out")
            )
            return []
        venue = self.minter.venue(ref.name)
        if venue == self.minter.venue(ARXIV_VENUE):  # arXiv by name: described as arXiv
            _, described = self._arxiv_venue(line)
        else:
            described = self._venue(venue, _VENUE_CLASSES[ref.kind], ref.name, line)
        return [Triple(paper, v.PUBLISHED_IN, venue), *described]

    def _page(self, paper: IRI, url: str, line: int) -> list[Triple]:
        if _WEB_IRI.fullmatch(url):
            return [Triple(paper, v.PAGE, IRI(url))]
        self.notes.append(
            MappingNote(line=line, message=f"url {url!r} is not an http(s) IRI: left out")
        )
        return []

    def _dated_versions(self, record: WorkRecord) -> list[tuple[int | None, dt.date]]:
        """v1 on ``published``; the latest version on ``updated``: numbered by
        ``arxiv_version`` when that is above 1, unnumbered (never invented) when the source
        gives no number but a later date."""
        if record.published is None:
            return []
        dated: list[tuple[int | None, dt.date]] = [(1, record.published)]
        updated, latest = record.updated, record.arxiv_version
        if updated is None:
            return dated
        if updated < record.published:
            self.notes.append(
                MappingNote(
                    line=record.line,
                    message=f"updated {updated} is before published {record.published}: "
                    "only the first version is recorded",
                )
            )
        elif latest is not None and latest > 1:
            dated.append((latest, updated))
        elif latest is None and updated > record.published:
            dated.append((None, updated))
        return dated

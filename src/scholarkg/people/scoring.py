"""Scores for 'same person' pairs: the evidence, its weights, the records and their rendering.

The score is a record-linkage match weight in the manner of Fellegi and Sunter: each piece of
evidence adds a weight in bits (log2 of how much likelier it is if the two are one person than
if they are two), the weights are summed onto a prior, and the sum becomes a probability,
``score = 2**w / (1 + 2**w)``. No data trains the weights: they are set by hand, listed below and
as constants of this module (the name weights in ``scholarkg.people.names``).

| evidence | bits |
| --- | --- |
| prior, for two compatible names | -2 |
| first names the same / nickname (Matt, Matthew) / initial (M.) / both initials | +3/+2/+1/+0.5 |
| each middle name that agrees: same / nickname / initial | +1 / +0.75 / +0.5 |
| each middle name only one of the two has | -0.5 |
| family-name particles differ (Le Lan / Lan) | -0.5 |
| family name shared by N persons of the store (N > 2) | -0.5 x log2(N / 2) |
| k shared co-authors (credited with each, on papers not both on) | 1.5 x log2(1 + k), at most 6 |
| no shared co-author, each having 5 or more | -1 |
| j shared concepts (skg:hasConcept of their papers, likewise) | +0.5 each, at most +2 |
| active years overlap or lie within 2 years / more than 10 years apart | +0.5 / -1 |
| credited together on a paper (two authors of one paper are two people) | -10 |

A pair scoring at least ``STRONG`` (0.9) is a strong candidate, at least ``POSSIBLE`` (0.5) a
possible one, else weak. Pure: ``scholarkg.people.candidates`` reads the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from scholarkg.people.names import NameMatch, ParsedName, fold, name_readings
from scholarkg.records import Record

STRONG = 0.9
POSSIBLE = 0.5
PRIOR_BITS = -2.0
COAUTHOR_BITS = 1.5  # times log2(1 + shared co-authors)
COAUTHOR_CAP = 6.0
NO_COAUTHOR_BITS = -1.0
NO_COAUTHOR_MIN = 5  # co-authors each must have for sharing none to count against
CONCEPT_BITS = 0.5
CONCEPT_CAP = 2.0
NEAR_YEARS_BITS = 0.5
NEAR_YEARS = 2
FAR_YEARS_BITS = -1.0
FAR_YEARS = 10
SAME_PAPER_BITS = -10.0
COMMON_FAMILY_BITS = -0.5  # times log2(persons with the family name / 2)


class Strength(StrEnum):
    """How strong a candidate pair is, by its score."""

    STRONG = "strong"
    POSSIBLE = "possible"
    WEAK = "weak"


class EvidenceKind(StrEnum):
    """What a piece of evidence is about."""

    PRIOR = "prior"
    NAMES = "names"
    COMMON_FAMILY_NAME = "common-family-name"
    SHARED_COAUTHORS = "shared-coauthors"
    NO_SHARED_COAUTHORS = "no-shared-coauthors"
    SHARED_CONCEPTS = "shared-concepts"
    YEARS = "years"
    SAME_PAPER = "same-paper"


class Evidence(Record):
    """One piece of evidence for or against a pair: its weight in bits and what it is."""

    kind: EvidenceKind
    weight: float
    detail: str
    items: tuple[str, ...] = ()  # the shared co-authors, concepts or papers, sorted


class PersonRef(Record):
    """One person of a pair, as the store has them."""

    iri: str
    name: str
    papers: int
    first_year: int | None = None
    last_year: int | None = None


class Candidate(Record):
    """Two persons who may be one, with a score in [0, 1] and the evidence for it."""

    person1: PersonRef
    person2: PersonRef
    score: float
    strength: Strength
    weight: float  # bits: the sum of the evidence
    evidence: tuple[Evidence, ...]
    suggested_canonical: str  # the fuller of the two names
    in_aliases: bool = False  # already recorded in the alias file (applied at the next build)

    def evidence_of(self, kind: EvidenceKind) -> Evidence | None:
        """The evidence of one kind, if the pair has it."""
        return next((e for e in self.evidence if e.kind is kind), None)


class PersonEvidence:
    """What the evidence needs of one person: papers with their co-authors, concepts and years."""

    __slots__ = ("coauthors", "concepts", "iri", "name", "papers", "readings", "years")

    def __init__(self, iri: str, name: str) -> None:
        self.iri = iri
        self.name = name
        self.readings: tuple[ParsedName, ...] = name_readings(name)
        self.papers: set[str] = set()
        self.coauthors: dict[str, set[str]] = {}  # paper -> the other agents credited on it
        self.concepts: dict[str, set[str]] = {}  # paper -> its concepts
        self.years: set[int] = set()

    def coauthors_outside(self, papers: set[str]) -> set[str]:
        """The agents credited with this person on papers other than ``papers``."""
        return {
            c for paper, agents in self.coauthors.items() if paper not in papers for c in agents
        }

    def concepts_outside(self, papers: set[str]) -> set[str]:
        """The concepts of this person's papers other than ``papers``."""
        return {c for paper, tags in self.concepts.items() if paper not in papers for c in tags}


class SharedEvidence(NamedTuple):
    """What two persons have in common: papers, and co-authors and concepts beyond those."""

    together: set[str]  # papers crediting both
    coauthors: set[str]  # agents credited with each on other papers (not the two themselves)
    concepts: set[str]  # concepts of papers of each, other than the joint ones
    coauthor_counts: tuple[int, int]  # co-authors of each on other papers


def shared_evidence(a: PersonEvidence, b: PersonEvidence) -> SharedEvidence:
    """What ``a`` and ``b`` share. Co-authors and concepts of a paper crediting both are shared
    trivially, so they do not count."""
    together = a.papers & b.papers
    theirs, others = a.coauthors_outside(together), b.coauthors_outside(together)
    return SharedEvidence(
        together=together,
        coauthors=(theirs & others) - {a.iri, b.iri},
        concepts=a.concepts_outside(together) & b.concepts_outside(together),
        coauthor_counts=(len(theirs), len(others)),
    )


def strength_of(score: float) -> Strength:
    """The strength class of a score."""
    if score >= STRONG:
        return Strength.STRONG
    return Strength.POSSIBLE if score >= POSSIBLE else Strength.WEAK


def probability(bits: float) -> float:
    """A match weight in bits as a probability in [0, 1]."""
    return 1.0 / (1.0 + math.exp2(-max(min(bits, 60.0), -60.0)))


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _richness(name: str, readings: tuple[ParsedName, ...]) -> tuple[int, int, int]:
    given = readings[0].given
    return (len(given), sum(len(t) for t in given), len(name))


def _ref(person: PersonEvidence) -> PersonRef:
    return PersonRef(
        iri=person.iri,
        name=person.name,
        papers=len(person.papers),
        first_year=min(person.years, default=None),
        last_year=max(person.years, default=None),
    )


def _span(person: PersonEvidence) -> str:
    if not person.years:
        return "?"
    low, high = min(person.years), max(person.years)
    return str(low) if low == high else f"{low}-{high}"


def score_pair(
    a: PersonEvidence,
    b: PersonEvidence,
    match: NameMatch,
    family_count: int,
    *,
    shared: SharedEvidence | None = None,
    labels: Mapping[str, str] | None = None,
) -> Candidate:
    """The evidence for one pair and its score; ``labels`` names co-authors and concepts."""
    shared = shared or shared_evidence(a, b)
    labels = labels or {}
    evidence = [
        Evidence(kind=EvidenceKind.PRIOR, weight=PRIOR_BITS, detail="two compatible names"),
        Evidence(kind=EvidenceKind.NAMES, weight=match.weight, detail=match.detail),
    ]
    if family_count > 2:
        evidence.append(
            Evidence(
                kind=EvidenceKind.COMMON_FAMILY_NAME,
                weight=round(COMMON_FAMILY_BITS * math.log2(family_count / 2), 3),
                detail=f"{family_count} persons of the store share the family name",
            )
        )
    if shared.together:
        count = len(shared.together)
        evidence.append(
            Evidence(
                kind=EvidenceKind.SAME_PAPER,
                weight=SAME_PAPER_BITS,
                detail=f"credited together on {count} paper{_s(count)}: two people",
                items=tuple(sorted(shared.together)),
            )
        )
    if shared.coauthors:
        count = len(shared.coauthors)
        names = sorted((labels.get(c, c) for c in shared.coauthors), key=lambda n: (fold(n), n))
        evidence.append(
            Evidence(
                kind=EvidenceKind.SHARED_COAUTHORS,
                weight=round(min(COAUTHOR_CAP, COAUTHOR_BITS * math.log2(1 + count)), 3),
                detail=f"{count} shared co-author{_s(count)}",
                items=tuple(names),
            )
        )
    elif min(shared.coauthor_counts) >= NO_COAUTHOR_MIN:
        theirs, others = shared.coauthor_counts
        evidence.append(
            Evidence(
                kind=EvidenceKind.NO_SHARED_COAUTHORS,
                weight=NO_COAUTHOR_BITS,
                detail=f"no shared co-author ({theirs} and {others})",
            )
        )
    if shared.concepts:
        count = len(shared.concepts)
        evidence.append(
            Evidence(
                kind=EvidenceKind.SHARED_CONCEPTS,
                weight=min(CONCEPT_CAP, CONCEPT_BITS * count),
                detail=f"{count} shared concept{_s(count)}",
                items=tuple(sorted(labels.get(c, c) for c in shared.concepts)),
            )
        )
    if a.years and b.years:
        gap = max(min(a.years) - max(b.years), min(b.years) - max(a.years), 0)
        spans = f"active {_span(a)} and {_span(b)}"
        if gap <= NEAR_YEARS:
            detail = f"{spans}: overlapping" if gap == 0 else f"{spans}: {gap} year{_s(gap)} apart"
            evidence.append(
                Evidence(kind=EvidenceKind.YEARS, weight=NEAR_YEARS_BITS, detail=detail)
            )
        else:
            weight = FAR_YEARS_BITS if gap > FAR_YEARS else 0.0
            detail = f"{spans}: {gap} years apart"
            evidence.append(Evidence(kind=EvidenceKind.YEARS, weight=weight, detail=detail))
    total = round(sum(e.weight for e in evidence), 3)
    score = round(probability(total), 4)
    fuller = max((a, b), key=lambda p: (_richness(p.name, p.readings), len(p.papers)))
    return Candidate(
        person1=_ref(a),
        person2=_ref(b),
        score=score,
        strength=strength_of(score),
        weight=total,
        evidence=tuple(evidence),
        suggested_canonical=fuller.name,
    )


def render_candidates(candidates: list[Candidate], *, alias_file: str | None = None) -> str:
    """Candidates for people: one block per pair, the evidence with its weight in bits."""
    if not candidates:
        return "no candidate pairs\n"
    lines = []
    for candidate in candidates:
        one, two = candidate.person1, candidate.person2
        lines.append(
            f"{candidate.score:.2f}  {candidate.strength:<8}  {one.name} ({one.papers} "
            f"paper{_s(one.papers)})  ~  {two.name} ({two.papers} paper{_s(two.papers)})"
        )
        for item in candidate.evidence:
            listed = f": {', '.join(item.items)}" if item.items and item.kind in _LISTED else ""
            lines.append(f"      {item.weight:+6.2f}  {item.kind:<20} {item.detail}{listed}")
        variant = two.name if candidate.suggested_canonical == one.name else one.name
        if candidate.in_aliases:
            lines.append(
                f"      recorded in {alias_file or 'the alias file'}: the next build applies it"
            )
        elif candidate.strength is not Strength.WEAK:
            lines.append(
                f'      to merge: scholarkg people alias "{candidate.suggested_canonical}" '
                f'"{variant}"'
            )
        lines.append("")
    return "\n".join(lines)


_LISTED = {EvidenceKind.SHARED_COAUTHORS, EvidenceKind.SHARED_CONCEPTS}

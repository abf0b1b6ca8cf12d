"""The shipped SKOS concept scheme and concept tagging of titles and abstracts.

Rule: a paper gets a concept when one of the concept's ``skos:prefLabel`` or ``skos:altLabel``
occurs in its title or abstract as whole words, case-insensitively, with a plural ``s``/``es``
allowed and spaces in a label matching spaces or hyphens; a label with no lower-case letter (an
acronym such as ``RLHF``) matches case-sensitively, so "rl" in running text tags nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import rdflib
from rdflib.namespace import SKOS

from scholarkg.resources import ontology_dir
from scholarkg.terms import IRI

_SEPARATORS = re.compile(r"[\s\-\u2010\u2011]+")


def concepts_path() -> Path:
    """The shipped concept scheme."""
    return ontology_dir() / "concepts.ttl"


def _key(text: str) -> str:
    return _SEPARATORS.sub(" ", text).strip()


def _pattern(labels: Iterable[str], flags: int) -> re.Pattern[str] | None:
    alternatives = sorted({_key(label) for label in labels}, key=lambda s: (-len(s), s))
    if not alternatives:
        return None
    body = "|".join(
        r"[\s\-\u2010\u2011]+".join(re.escape(word) for word in label.split(" "))
        for label in alternatives
    )
    return re.compile(rf"(?<!\w)(?:{body})(?:e?s)?(?!\w)", flags)


class ConceptTagger:
    """Finds the concepts a text mentions, by the labels of a SKOS scheme."""

    def __init__(self, labels: dict[str, set[IRI]]) -> None:
        self._exact: dict[str, set[IRI]] = defaultdict(set)
        self._folded: dict[str, set[IRI]] = defaultdict(set)
        for label, concepts in labels.items():
            if any(c.islower() for c in label):
                self._folded[_key(label).casefold()] |= concepts
            else:
                self._exact[_key(label)] |= concepts
        self._folded_re = _pattern(self._folded, re.IGNORECASE)
        self._exact_re = _pattern(self._exact, 0)

    @classmethod
    def from_graph(cls, graph: rdflib.Graph) -> ConceptTagger:
        """A tagger for every skos:Concept in the graph with its pref and alt labels."""
        labels: dict[str, set[IRI]] = defaultdict(set)
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for concept, label in graph.subject_objects(prop):
                if isinstance(concept, rdflib.URIRef) and isinstance(label, rdflib.Literal):
                    labels[str(label)].add(IRI(concept))
        return cls(labels)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ConceptTagger:
        """A tagger for the shipped concept scheme (or the given Turtle file)."""
        graph = rdflib.Graph().parse(path or concepts_path(), format="turtle")
        return cls.from_graph(graph)

    def tag(self, *texts: str | None) -> set[IRI]:
        """Concepts mentioned in any of the texts."""
        found: set[IRI] = set()
        for text in texts:
            if not text:
                continue
            if self._folded_re is not None:
                for match in self._folded_re.finditer(text):
                    found |= self._lookup(self._folded, _key(match.group()).casefold())
            if self._exact_re is not None:
                for match in self._exact_re.finditer(text):
                    found |= self._lookup(self._exact, _key(match.group()))
        return found

    @staticmethod
    def _lookup(table: dict[str, set[IRI]], key: str) -> set[IRI]:
        for candidate in (key, key.removesuffix("s"), key.removesuffix("es")):
            if candidate in table:
                return table[candidate]
        return set()

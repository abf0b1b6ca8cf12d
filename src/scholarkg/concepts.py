"""The shipped SKOS concept scheme and concept tagging of titles and abstracts.

Rule: a paper gets a concept when one of the concept's ``skos:prefLabel`` or ``skos:altLabel``
occurs in its title or abstract as whole words, case-insensitively, with a plural ``s``/``es``
allowed and a label's words separated by spaces or hyphens in the text; a label with no
lower-case letter (an acronym such as ``RLHF``) matches case-sensitively, so "rl" in running
text tags nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import rdflib
from rdflib.namespace import SKOS

from scholarkg.resources import ontology_dir
from scholarkg.terms import IRI

_WORD = re.compile(r"\w+")
_SPLIT = re.compile(r"(\W+)")
_SEPARATOR = re.compile(r"[\s\-\u2010\u2011]+")


def concepts_path() -> Path:
    """The shipped concept scheme."""
    return ontology_dir() / "concepts.ttl"


def _words(label: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(label))


class ConceptTagger:
    """Finds the concepts a text mentions, by the labels of a SKOS scheme."""

    def __init__(self, labels: dict[str, set[IRI]]) -> None:
        # labels as word tuples: lower-cased, or exact for acronyms (no lower-case letter)
        self._folded = _LabelTable()
        self._exact = _LabelTable()
        for label, concepts in labels.items():
            words = _words(label)
            if any(c.islower() for c in label):
                self._folded.add(tuple(w.lower() for w in words), concepts)
            else:
                self._exact.add(words, concepts)

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
        """Concepts mentioned in any of the texts.

        Like a regular expression of all labels, longest first: from each word that can start a
        label, the longest run of words (joined by spaces or hyphens) that is a label wins and
        the scan goes on after it. Acronyms and other labels are scanned independently.
        """
        found: set[IRI] = set()
        for text in texts:
            if text:
                found |= self._folded.scan(text.lower())
                found |= self._exact.scan(text)
        return found


class _LabelTable:
    """Labels as tuples of words, with every prefix of a label for early stops."""

    def __init__(self) -> None:
        self.labels: dict[tuple[str, ...], set[IRI]] = defaultdict(set)
        self.prefixes: set[tuple[str, ...]] = set()
        self.starts: set[str] = set()  # first words, also with a plural ending

    def add(self, words: tuple[str, ...], concepts: set[IRI]) -> None:
        if not words:
            return
        self.labels[words] |= concepts
        self.prefixes.update(words[:n] for n in range(1, len(words)))
        self.starts.update((words[0], words[0] + "s", words[0] + "es"))

    def scan(self, text: str) -> set[IRI]:
        """Concepts of the labels in a text, leftmost-longest and not overlapping."""
        parts = _SPLIT.split(text)  # words at even indexes, what separates them at odd ones
        words, gaps = parts[0::2], parts[1::2]
        found: set[IRI] = set()
        index = 0
        while index < len(words):
            first = words[index]
            if first not in self.starts:
                index += 1
                continue
            key: tuple[str, ...] = (first,)
            best: set[IRI] = set()
            best_end = end = index + 1
            while True:
                hit = self._match(key)
                if hit:
                    best, best_end = hit, end
                if key not in self.prefixes or end == len(words):
                    break
                if _SEPARATOR.fullmatch(gaps[end - 1]) is None:
                    break
                key = (*key, words[end])
                end += 1
            found |= best
            index = best_end
        return found

    def _match(self, key: tuple[str, ...]) -> set[IRI] | None:
        """A label's concepts, its last word also without a plural 's' or 'es'."""
        hit = self.labels.get(key)
        if hit:
            return hit
        last = key[-1]
        if last.endswith("s"):
            hit = self.labels.get((*key[:-1], last[:-1]))
            if hit:
                return hit
            if last.endswith("es"):
                return self.labels.get((*key[:-1], last[:-2]))
        return None

"""A minimal, fast RDF term model for the mapper's output.

The mapper emits millions of triples in benchmarks; building rdflib or pyoxigraph terms for each
would dominate the run. These plain terms serialise straight to N-Triples, which every
engine loads natively, and convert to rdflib terms at the edges (SHACL, tests).
"""

from __future__ import annotations

import re
from typing import NamedTuple

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_IRI_ESCAPES = {c: f"\\u{ord(c):04X}" for c in '<>"{}|^`\\'} | {
    chr(i): f"\\u{i:04X}" for i in range(0x21)
}
_IRI_TABLE = str.maketrans(_IRI_ESCAPES)
_LITERAL_TABLE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
# fast paths: most IRIs and literals need no escaping, and a search is cheaper than translate
_IRI_NEEDS_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LITERAL_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')


class IRI(str):
    """An absolute IRI."""

    __slots__ = ()

    def n3(self) -> str:
        """This IRI in N-Triples syntax."""
        if _IRI_NEEDS_ESCAPE.search(self) is None:
            return "<" + self + ">"
        return "<" + self.translate(_IRI_TABLE) + ">"


class Literal(NamedTuple):
    """An RDF literal: lexical form, datatype IRI and optional language tag."""

    lexical: str
    datatype: str = XSD_STRING
    lang: str | None = None

    def n3(self) -> str:
        """This literal in N-Triples syntax."""
        lexical = self.lexical
        if _LITERAL_NEEDS_ESCAPE.search(lexical) is not None:
            lexical = lexical.translate(_LITERAL_TABLE)
        quoted = '"' + lexical + '"'
        if self.lang:
            return f"{quoted}@{self.lang}"
        if self.datatype == XSD_STRING:
            return quoted
        return f"{quoted}^^<{self.datatype}>"


Term = IRI | Literal


class Triple(NamedTuple):
    """One statement of the mapper's output."""

    subject: IRI
    predicate: IRI
    object: Term

    def ntriple(self) -> str:
        """This triple as one N-Triples line (newline included)."""
        return f"{self.subject.n3()} {self.predicate.n3()} {self.object.n3()} .\n"


def typed(value: object, datatype: str) -> Literal:
    """A typed literal whose lexical form is ``str(value)``."""
    return Literal(str(value), XSD + datatype)


def boolean(value: bool) -> Literal:
    """An xsd:boolean literal."""
    return Literal("true" if value else "false", XSD + "boolean")


class BNode(str):
    """A blank node, by its label (only met in query results)."""

    __slots__ = ()

    def n3(self) -> str:
        """This blank node in N-Triples syntax."""
        return "_:" + self


AnyTerm = IRI | Literal | BNode


def plain(term: AnyTerm | None) -> str:
    """The plain text of a term: an IRI's string, a literal's lexical form, '' for unbound."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return term.lexical
    return str(term)

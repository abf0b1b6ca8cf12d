"""JSON-LD with the published context, and canonical blank-node labels; the only module importing
PyLD (the JSON-LD reference implementation in Python).

The context (``ontology/context.jsonld``) gives the ontology's and the reused vocabularies' terms
short keys (``title``, ``authorships``, ``firstSubmitted``...), types dates (``xsd:date``,
``xsd:gYearMonth``) so they read as plain strings, and makes multi-valued links arrays. Data IRIs
stay absolute, so every ``id`` is a link that can be followed.

Papers come out readable: each paper embeds its authorships, sorted by ``position``, and its
versions, sorted by submission date; integers and booleans are JSON numbers and booleans. All of
this is a different writing of the same triples: expanding the output gives back the graph.

Nothing is fetched from the network: the context is written inline into every document, and
PyLD's document loader here serves only the published context, from the shipped file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from pyld import jsonld

from scholarkg.errors import InputError
from scholarkg.resources import ontology_dir
from scholarkg.vocab import (
    HAS_AUTHORSHIP,
    HAS_VERSION,
    POSITION,
    SUBMITTED,
    TYPE,
    VERSION_NUMBER,
    XSD,
)

CONTEXT_FILE = "context.jsonld"
CONTEXT_IRI = "https://w3id.org/scholarkg/context.jsonld"
MEDIA_TYPE = "application/ld+json"

Node = dict[str, Any]

_INTEGER = XSD + "integer"
_BOOLEAN = XSD + "boolean"
# properties whose objects are written inside their subject (they belong to exactly one paper)
_EMBEDDED = (HAS_AUTHORSHIP, HAS_VERSION)
# keys shown first in a node; the rest follow in alphabetical order
_LEADING_KEYS = ("id", "@id", "type", "@type", "title", "name", "prefLabel", "label", "@graph")


@functools.cache
def _context_text() -> str:
    path = ontology_dir() / CONTEXT_FILE
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the JSON-LD context ({exc})") from None


def load_context() -> dict[str, Any]:
    """The term definitions of the published context (the value of its ``@context``)."""
    context = json.loads(_context_text()).get("@context")
    if not isinstance(context, dict):
        raise InputError(f'{ontology_dir() / CONTEXT_FILE}: expected {{"@context": {{...}}}}')
    return context


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader that serves the published context from its file, and nothing else."""
    if url == CONTEXT_IRI:
        return {
            "contentType": MEDIA_TYPE,
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(_context_text()),
        }
    raise InputError(f"JSON-LD: not fetching the remote document {url} (scholarkg works offline)")


def _options(**extra: object) -> dict[str, object]:
    return {"documentLoader": offline_loader, **extra}


def _failure(exc: Exception, doing: str) -> InputError:
    """Our own error behind a PyLD error (the loader's refusal), else PyLD's message."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, InputError):
            return cause
        cause = cause.__cause__ or cause.__context__
    reason = exc.args[0] if exc.args else str(exc)
    return InputError(f"cannot {doing}: {reason}")


def canonical_nquads(expanded: list[Node]) -> str:
    """The RDF of an expanded JSON-LD document as canonical N-Quads: blank nodes labelled
    ``_:c14n0``, ``_:c14n1``... by RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0), so the
    same graph gets the same labels whatever labels it came with."""
    try:
        text = jsonld.normalize(
            expanded, _options(algorithm="URDNA2015", format="application/n-quads")
        )
    except jsonld.JsonLdError as exc:
        raise _failure(exc, "canonicalise blank nodes") from None
    assert isinstance(text, str)
    return text


# --- readable nodes --------------------------------------------------------------------------


def _native(value: Node) -> Node:
    """An integer or boolean literal in canonical form as a JSON number or boolean."""
    datatype, lexical = value.get("@type"), value.get("@value")
    if datatype == _INTEGER and isinstance(lexical, str):
        digits = lexical.removeprefix("-")
        if digits.isascii() and digits.isdigit() and str(int(lexical)) == lexical:
            return {"@value": int(lexical)}
    if datatype == _BOOLEAN and lexical in {"true", "false"}:
        return {"@value": lexical == "true"}
    return value


def _with_types(node: Node) -> Node:
    """rdf:type links as ``@type``, literals in their native JSON form where that is exact."""
    out: Node = {}
    types: list[str] = []
    for key, values in node.items():
        if key == TYPE:
            kept = []
            for value in values:
                if set(value) == {"@id"}:
                    types.append(value["@id"])
                else:
                    kept.append(value)
            if kept:
                out[key] = kept
        elif key.startswith("@"):
            out[key] = values
        else:
            out[key] = [_native(v) if "@value" in v else v for v in values]
    if types:
        out["@type"] = sorted(set(types))
    return out


def _first(node: Node, key: str) -> object:
    values = node.get(key) or [{}]
    return values[0].get("@value")


def _member_order(node: Node) -> tuple[int, str, int, str]:
    position = _first(node, POSITION)
    number = _first(node, VERSION_NUMBER)
    return (
        position if isinstance(position, int) else 1 << 62,
        str(_first(node, SUBMITTED) or ""),
        number if isinstance(number, int) else 1 << 62,
        str(node.get("@id", "")),
    )


def readable_nodes(expanded: Iterable[Node]) -> list[Node]:
    """Expanded node objects rewritten for people, the triples unchanged: each paper embeds its
    authorships (by position) and versions (by date); native numbers and booleans; @type."""
    nodes = [_with_types(n) for n in expanded]
    by_id = {n["@id"]: n for n in nodes if "@id" in n}
    embedded: set[str] = set()
    parents: set[str] = set()
    for node in nodes:
        own = node.get("@id")
        if own in embedded:
            continue
        for key in _EMBEDDED:
            values = node.get(key)
            if not values:
                continue
            members = []
            for value in values:
                ref = value.get("@id")
                child = by_id.get(ref) if set(value) == {"@id"} else None
                if child is None or ref == own or ref in embedded or ref in parents:
                    members.append(value)
                    continue
                embedded.add(str(ref))
                parents.add(str(own))
                members.append(child)
            node[key] = sorted(members, key=_member_order)
    return [n for n in nodes if n.get("@id") not in embedded]


def _ordered(value: Any) -> Any:
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    if not isinstance(value, dict):
        return value
    leading = [k for k in _LEADING_KEYS if k in value]
    rest = sorted(k for k in value if k not in _LEADING_KEYS)
    return {k: _ordered(value[k]) for k in leading + rest}


def compact_nodes(nodes: list[Node], context: dict[str, Any]) -> list[Node]:
    """Node objects compacted with the context: short keys, typed dates, arrays for sets;
    keys in a stable order (id, type, title or name first, then alphabetical)."""
    if not nodes:
        return []
    try:
        compacted = jsonld.compact(nodes, {"@context": context}, _options(graph=True))
    except jsonld.JsonLdError as exc:
        raise _failure(exc, "compact JSON-LD") from None
    graph = compacted.get("@graph", [])
    return [_ordered(node) for node in graph]


def expand_document(document: object) -> list[Node]:
    """A JSON-LD document in expanded form (offline: only the published context is loaded)."""
    try:
        expanded = jsonld.expand(document, _options())
    except jsonld.JsonLdError as exc:
        raise _failure(exc, "expand JSON-LD") from None
    assert isinstance(expanded, list)
    return expanded


def to_nquads(document: object) -> str:
    """The RDF of a JSON-LD document as N-Quads (offline), as a JSON-LD processor reads it."""
    try:
        text = jsonld.to_rdf(document, _options(format="application/n-quads"))
    except jsonld.JsonLdError as exc:
        raise _failure(exc, "read JSON-LD") from None
    assert isinstance(text, str)
    return text

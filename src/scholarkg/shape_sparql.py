"""The text of the validation engine's SPARQL, and the names results give shapes and paths.

Names follow scholarkg.shapes, which renders what pySHACL reports: IRIs as themselves, blank
nodes as `_:id`, a predicate path as its IRI and other paths in SPARQL syntax, a blank property
shape as `<node shape>[<path>]`. SPARQL text covers constants, property paths, Python's regex
dialect (pySHACL's) rewritten for the store's, and finding the WHERE clause of a SHACL-SPARQL
query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import BNode, Literal, Node, URIRef

from scholarkg.reports import CheckedShape


def instance_of(node: str, cls: str) -> str:
    """A group pattern: ``node`` is an instance of ``cls``, directly or through subclasses.

    The same as ``node rdf:type/rdfs:subClassOf* cls``, written as two branches because
    Virtuoso 7.2 does not match that path's zero-length step inside MINUS and NOT EXISTS.
    """
    return (
        f"{{ {node} <{RDF.type}> {cls} }} UNION "
        f"{{ {node} <{RDF.type}>/<{RDFS.subClassOf}>+ {cls} }}"
    )


LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
PATH_SUFFIX = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


# --- names of shapes and paths, as scholarkg.shapes renders what pySHACL reports --------------


def node_id(node: Node) -> str:
    """An IRI as itself, a blank node as _:id."""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def render_path(graph: rdflib.Graph, path: Node, nested: bool = False) -> str:
    """A SHACL path as results show it: the IRI of a predicate, else SPARQL path syntax."""
    if isinstance(path, URIRef):
        return f"<{path}>" if nested else str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + render_path(graph, inverse, nested=True)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        parts = [render_path(graph, p, nested=True) for p in Collection(graph, alternatives)]
        return "(" + "|".join(parts) + ")"
    for predicate, suffix in PATH_SUFFIX.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return "(" + render_path(graph, inner, nested=True) + ")" + suffix
    if graph.value(path, RDF.first) is not None:
        return "/".join(render_path(graph, p, nested=True) for p in Collection(graph, path))
    return node_id(path)


def sparql_path(graph: rdflib.Graph, path: Node) -> str:
    """A SHACL path in SPARQL property path syntax, each part in parentheses."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"(^{sparql_path(graph, inverse)})"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(sparql_path(graph, p) for p in Collection(graph, alternatives)) + ")"
    for predicate, suffix in PATH_SUFFIX.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return f"({sparql_path(graph, inner)}{suffix})"
    items = list(Collection(graph, path))
    if len(items) < 2:
        raise ValueError("not a SHACL path")
    return "(" + "/".join(sparql_path(graph, p) for p in items) + ")"


def shape_owner(graph: rdflib.Graph, shape: Node) -> Node | None:
    owners = sorted(graph.subjects(SH.property, shape), key=str)
    return owners[0] if owners else None


def shape_name(graph: rdflib.Graph, shape: Node, owner: Node | None) -> str:
    if isinstance(shape, BNode) and owner is not None:
        path = graph.value(shape, SH.path)
        if path is not None:
            return f"{node_id(owner)}[{render_path(graph, path)}]"
    return node_id(shape)


def checked_shapes(graph: rdflib.Graph) -> tuple[CheckedShape, ...]:
    node_shapes: set[Node] = set(graph.subjects(RDF.type, SH.NodeShape))
    for target in TARGETS:
        node_shapes.update(graph.subjects(target, None))
    checked: set[CheckedShape] = set()
    for node_shape in node_shapes:
        name = shape_name(graph, node_shape, None)
        checked.add(CheckedShape(source_shape=name, node_shape=name))
        for prop in graph.objects(node_shape, SH.property):
            source = shape_name(graph, prop, node_shape)
            checked.add(CheckedShape(source_shape=source, node_shape=name))
    return tuple(sorted(checked, key=lambda s: (s.node_shape, s.source_shape)))


# --- SPARQL text -------------------------------------------------------------------------------


def sparql_term(node: Node) -> str:
    """An IRI or literal in SPARQL (and Turtle) syntax."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        text = '"' + str(node).translate(LITERAL_ESCAPES) + '"'
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None and node.datatype != XSD.string:
            return f"{text}^^<{node.datatype}>"
        return text
    raise ValueError(f"a blank node ({node_id(node)}) cannot be a constant in a query")


def python_regex(pattern: str, flags: str) -> str:
    """A Python `re` pattern (as pySHACL runs it) in the store's regex dialect."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if escape.isdigit() and escape != "0" and not in_class:
                raise ValueError("back-references are not supported")
            if escape == "s":  # Python's \s also matches the separators U+001C..U+001F
                out.append(r"\s\x1C-\x1F" if in_class else r"[\s\x1C-\x1F]")
            elif escape == "S":
                if in_class:
                    raise ValueError(r"\S inside a character class is not supported")
                out.append(r"[^\s\x1C-\x1F]")
            else:
                out.append(r"\z" if escape == "Z" else char + escape)
            i += 2
        elif in_class:
            in_class = char != "]" or out[-1] in ("[", "[^")
            out.append(char)
            i += 1
        elif char == "[":
            opening = "[^" if pattern.startswith("[^", i) else "["
            in_class = True
            out.append(opening)
            i += len(opening)
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!", "(?P="), i):
            raise ValueError("look-around assertions are not supported")
        else:
            # Python's $ also matches before a final newline (multi-line $ is the same in both)
            out.append(r"(?:\n?$)" if char == "$" and "m" not in flags else char)
            i += 1
    return "".join(out)


def query_braces(text: str) -> tuple[list[int], int]:
    """Where the WHERE group of each SELECT opens, and where the outermost one closes.

    Strings, IRIs and comments are skipped; -1 if the text has no complete WHERE group.
    """
    openings: list[int] = []
    depth, pending, i = 0, False, 0
    while i < len(text):
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            while i < len(text) and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if char == "<" and (iri := re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:])):
            i += iri.end()
            continue
        if re.match(r"(?i)select\b", text[i : i + 7]) and (i == 0 or not text[i - 1].isalnum()):
            pending = True
        elif char == "{":
            if pending:
                openings.append(i)
                pending = False
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and openings:
                return openings, i
        i += 1
    return openings, -1


def projections(algebra: object) -> Iterator[set[str]]:
    """The variables projected by each SELECT (the query's and its sub-selects') of an algebra."""
    if isinstance(algebra, dict):
        if getattr(algebra, "name", None) == "Project":
            yield {str(v) for v in algebra.get("PV", [])}
        for value in algebra.values():
            yield from projections(value)
    elif isinstance(algebra, list):
        for value in algebra:
            yield from projections(value)

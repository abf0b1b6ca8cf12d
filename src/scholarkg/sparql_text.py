"""What the server needs to know about a SPARQL request's text before it runs it.

A small lexer (comments, strings, IRIs, variables and prefixed names are recognised, so a keyword
inside them is never mistaken for one) answers three questions: does the text call ``SERVICE`` or
``LOAD`` (server-side requests, refused by default), does a query name its own dataset (``FROM``),
and where do the protocol's ``using-graph-uri`` parameters go in an update (a ``USING`` clause
before each top-level ``WHERE``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<name>(?:[^\W\d]|_)[\w.\-\u00b7]*(?::[\w.\-:%\u00b7]*)?|:[\w.\-:%\u00b7]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    """One lexical token: its kind, its text and where it starts."""

    kind: str
    text: str
    start: int


def tokens(text: str) -> Iterator[Token]:
    """The tokens of a query or update, without whitespace and comments."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in {"space", "comment"}:
            yield Token(kind, match.group(), match.start())


def keywords(text: str) -> set[str]:
    """The bare words of the text (keywords and function names), upper-cased."""
    return {t.text.upper() for t in tokens(text) if t.kind == "name" and ":" not in t.text}


def names_dataset(query: str) -> bool:
    """True if the query has a FROM or FROM NAMED clause of its own."""
    return "FROM" in keywords(query)


def remote_calls(text: str) -> list[str]:
    """The keywords that make the server fetch something on the client's behalf."""
    return sorted(keywords(text) & {"SERVICE", "LOAD"})


def names_graphs(update: str) -> bool:
    """True if an update has a USING, USING NAMED or WITH clause of its own."""
    return bool(keywords(update) & {"USING", "WITH"})


def add_using(update: str, graphs: list[str], named: list[str]) -> str:
    """The update with ``USING`` clauses for the protocol's using-(named-)graph-uri parameters.

    They go before the ``WHERE`` of every DELETE/INSERT operation (depth 0); ``DELETE WHERE``
    shorthands and data-only operations take no dataset and are left as they are.
    """
    clauses = "".join(f"USING <{g}> " for g in graphs)
    clauses += "".join(f"USING NAMED <{g}> " for g in named)
    if not clauses:
        return update
    depth = 0
    previous = ""
    insert_at: list[int] = []
    for token in tokens(update):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.text.upper() == "WHERE" and previous != "DELETE":
            insert_at.append(token.start)
        previous = token.text.upper() if token.kind == "name" else ""
    for position in reversed(insert_at):
        update = update[:position] + clauses + update[position:]
    return update

"""Serialisations of query results: terminal table, CSV, TSV, JSON, SPARQL results JSON/XML.

CSV and TSV follow "SPARQL 1.1 Query Results CSV and TSV Formats" (CSV plain values, TSV terms in
N-Triples syntax); SPARQL JSON/XML follow their W3C recommendations; "json" is a plain list of
objects, one per row, for scripts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

import rdflib

from scholarkg.errors import InputError, UsageError
from scholarkg.store import QueryKind, QueryResult
from scholarkg.terms import IRI, XSD_STRING, AnyTerm, BNode, Literal, plain
from scholarkg.vocab import PREFIXES


class ResultFormat(StrEnum):
    """Output formats of SELECT and ASK results."""

    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    SPARQL_JSON = "sparql-json"
    SPARQL_XML = "sparql-xml"


MEDIA_TYPES = {
    ResultFormat.CSV: "text/csv; charset=utf-8",
    ResultFormat.TSV: "text/tab-separated-values; charset=utf-8",
    ResultFormat.JSON: "application/json",
    ResultFormat.SPARQL_JSON: "application/sparql-results+json",
    ResultFormat.SPARQL_XML: "application/sparql-results+xml",
    ResultFormat.TABLE: "text/plain; charset=utf-8",
}


def render_result(result: QueryResult, fmt: ResultFormat, *, width: int = 60) -> str:
    """A SELECT or ASK result in the given format."""
    if result.kind is QueryKind.GRAPH:
        raise UsageError("this query returns triples: render it as RDF (Turtle, N-Triples...)")
    renderer = {
        ResultFormat.TABLE: lambda r: render_table(r, width=width),
        ResultFormat.CSV: render_csv,
        ResultFormat.TSV: render_tsv,
        ResultFormat.JSON: render_json,
        ResultFormat.SPARQL_JSON: render_sparql_json,
        ResultFormat.SPARQL_XML: render_sparql_xml,
    }[fmt]
    return renderer(result)


def project(result: QueryResult, variables: list[str]) -> QueryResult:
    """A SELECT result with only the given columns, in the given order."""
    index = [result.variables.index(v) for v in variables]
    rows = tuple(tuple(row[i] for i in index) for row in result.rows)
    return result.model_copy(update={"variables": tuple(variables), "rows": rows})


def _display(term: AnyTerm | None, width: int) -> str:
    text = " ".join(plain(term).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(result: QueryResult, *, width: int = 60) -> str:
    """An aligned text table for a terminal, cells cut at ``width`` characters."""
    if result.kind is QueryKind.ASK:
        return "yes\n" if result.boolean else "no\n"
    header = list(result.variables)
    cells = [[_display(term, width) for term in row] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    count = len(cells)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def render_csv(result: QueryResult) -> str:
    """W3C SPARQL CSV: a header of variable names, plain values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.kind is QueryKind.ASK:
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
    else:
        writer.writerow(result.variables)
        writer.writerows([plain(term) for term in row] for row in result.rows)
    return buffer.getvalue()


def render_tsv(result: QueryResult) -> str:
    """W3C SPARQL TSV: a header of ?variables, terms in N-Triples syntax."""
    if result.kind is QueryKind.ASK:
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join("" if t is None else t.n3() for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json_value(term: AnyTerm | None) -> object:
    if isinstance(term, Literal) and term.lang is None:
        kind = term.datatype.rsplit("#", 1)[-1]
        if kind in {"integer", "int", "long", "nonNegativeInteger", "positiveInteger"}:
            try:
                return int(term.lexical)
            except ValueError:
                return term.lexical
        if kind == "boolean":
            return term.lexical == "true"
        if kind in {"decimal", "double", "float"}:
            try:
                return float(term.lexical)
            except ValueError:
                return term.lexical
    return None if term is None else plain(term)


def render_json(result: QueryResult) -> str:
    """A JSON list with one object per row (numbers and booleans as JSON values)."""
    if result.kind is QueryKind.ASK:
        return json.dumps(result.boolean) + "\n"
    rows = [
        {v: _json_value(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def _sparql_json_term(term: AnyTerm) -> dict[str, str]:
    if isinstance(term, IRI):
        return {"type": "uri", "value": term}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": term}
    out = {"type": "literal", "value": term.lexical}
    if term.lang:
        out["xml:lang"] = term.lang
    elif term.datatype != XSD_STRING:
        out["datatype"] = term.datatype
    return out


def render_sparql_json(result: QueryResult) -> str:
    """W3C SPARQL 1.1 Query Results JSON."""
    if result.kind is QueryKind.ASK:
        return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
    bindings = [
        {
            v: _sparql_json_term(t)
            for v, t in zip(result.variables, row, strict=True)
            if t is not None
        }
        for row in result.rows
    ]
    body = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(body, ensure_ascii=False) + "\n"


def _sparql_xml_term(term: AnyTerm) -> str:
    if isinstance(term, IRI):
        return f"<uri>{escape(term)}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(term)}</bnode>"
    if term.lang:
        return f"<literal xml:lang={quoteattr(term.lang)}>{escape(term.lexical)}</literal>"
    if term.datatype != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype)}>{escape(term.lexical)}</literal>"
    return f"<literal>{escape(term.lexical)}</literal>"


def render_sparql_xml(result: QueryResult) -> str:
    """W3C SPARQL Query Results XML."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
    ]
    if result.kind is QueryKind.ASK:
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>"]
    else:
        variables = "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables)
        out.append(f"<head>{variables}</head>")
        out.append("<results>")
        for row in result.rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_sparql_xml_term(t)}</binding>"
                for v, t in zip(result.variables, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}


def expand_rdf_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the RDF files below it (known extensions, sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in RDF_SUFFIXES)
            if not found:
                raise UsageError(f"{path}: no RDF files ({', '.join(sorted(RDF_SUFFIXES))})")
            out += found
        else:
            out.append(path)
    return out


def read_rdf_files(paths: Iterable[Path]) -> rdflib.Graph:
    """The union of the triples of RDF files, their syntax known by their file extension."""
    graph = rdflib.Graph()
    for path in paths:
        syntax = RDF_SUFFIXES.get(path.suffix.lower())
        if syntax is None:
            known = ", ".join(sorted(RDF_SUFFIXES))
            raise UsageError(f"{path}: unknown RDF file extension (known: {known})")
        try:
            with warnings.catch_warnings():
                # rdflib's quad and JSON-LD parsers use its own deprecated ConjunctiveGraph
                warnings.simplefilter("ignore", DeprecationWarning)
                if syntax in {"nquads", "trig"}:
                    dataset = rdflib.Dataset()
                    dataset.parse(path, format=syntax)
                    graph += ((s, p, o) for s, p, o, _ in dataset.quads())
                else:
                    graph.parse(path, format=syntax)
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except Exception as exc:  # rdflib raises a different error per parser
            raise InputError(f"{path}: not valid {syntax}: {exc}") from None
    return graph


def graph_from_ntriples(data: bytes) -> rdflib.Graph:
    """An rdflib graph of N-Triples bytes."""
    return rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that it is either whole or absent (temporary file, then rename)."""
    with open_atomically(path) as handle:
        handle.write(text.encode("utf-8"))


def temporary_name(path: Path, suffix: str) -> Path:
    """A hidden name beside ``path`` for work on its way there, marked with this process's id so
    that a later run can tell what a dead process left (``stale_leftovers``)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}{suffix}")


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (ours, or anyone's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def stale_leftovers(folder: Path, prefix: str, suffix: str = "") -> list[Path]:
    """The entries of ``folder`` named ``<prefix><pid>-...<suffix>`` whose process is dead: what a
    killed run left (a live run's are kept, so runs side by side do not disturb each other)."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[^/]*" + re.escape(suffix))
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        entry
        for entry in entries
        if (match := pattern.fullmatch(entry.name)) and not process_alive(int(match.group(1)))
    ]


def remove_paths(paths: Iterable[Path]) -> None:
    """Delete files and folders, as far as possible."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def open_atomically(path: Path) -> Iterator[BinaryIO]:
    """A binary file to stream into that appears at ``path`` whole when the block ends, or not
    at all if the block raises or the process dies (a temporary file beside it, fsync, rename).
    The temporary file of a process that died is removed by the next write to ``path``.

    The file gets the permissions a new file gets (umask), not the private ones of mkstemp.
    """
    remove_paths(stale_leftovers(path.parent, f".{path.name}.", ".tmp"))
    temporary = temporary_name(path, ".tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class GraphFormat(StrEnum):
    """Output formats of CONSTRUCT and DESCRIBE results."""

    TURTLE = "turtle"
    NTRIPLES = "nt"
    JSONLD = "json-ld"
    RDFXML = "rdf-xml"


GRAPH_MEDIA_TYPES = {
    GraphFormat.TURTLE: "text/turtle",
    GraphFormat.NTRIPLES: "application/n-triples",
    GraphFormat.JSONLD: "application/ld+json",
    GraphFormat.RDFXML: "application/rdf+xml",
}
_RDFLIB_FORMATS = {
    GraphFormat.TURTLE: "turtle",
    GraphFormat.JSONLD: "json-ld",
    GraphFormat.RDFXML: "xml",
}


def render_graph(result: QueryResult, fmt: GraphFormat) -> str:
    """A CONSTRUCT/DESCRIBE result as RDF; N-Triples lines are sorted for stable output."""
    if result.kind is not QueryKind.GRAPH:
        raise UsageError("this query returns a table, not triples: choose a table format")
    if fmt is GraphFormat.NTRIPLES:
        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in result.triples)
        return "".join(lines)
    graph = rdflib.Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.parse(data=render_graph(result, GraphFormat.NTRIPLES), format="nt")
    return graph.serialize(format=_RDFLIB_FORMATS[fmt])

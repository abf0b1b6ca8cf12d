"""Dumps of the store in Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML, byte for byte the
same for the same store on every run.

How a dump is made, so that it is deterministic and memory stays flat:

1. ``scholarkg.canonical`` streams the statements out of the store, sorted by an external merge
   sort, each once, blank nodes labelled canonically (``_:c14n0``...).
2. Those statements, in that order, are the N-Triples or N-Quads dump; Turtle, TriG and
   RDF/XML are Oxigraph's streaming writers fed those statements in that order, with a fixed
   prefix table; JSON-LD is written group by group (a paper with its authorships and versions)
   with the published context (see ``scholarkg.jsonld``).

Quad formats (N-Quads, TriG, JSON-LD) keep the named graphs, sorted by name; triple formats
(Turtle, N-Triples, RDF/XML) hold the union of the graphs, each triple once. ``graph`` restricts
either to one named graph.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, cast

import rdflib

from scholarkg.canonical import Sorter, canonical_statements, sorted_statements, with_graph
from scholarkg.formats import open_atomically, remove_paths, stale_leftovers
from scholarkg.jsonld import compact_nodes, load_context, readable_nodes
from scholarkg.records import Record
from scholarkg.store import EmbeddedStore, convert_rdf
from scholarkg.terms import IRI
from scholarkg.vocab import BIBO, CONCEPTS, FABIO, PREFIXES

WORK_PREFIX = ".scholarkg-export-"  # then the process id: a dead process's is removed
JSONLD_BATCH_LINES = 5_000  # statements compacted together (whole groups)
_WRITE_BUFFER = 1 << 20
GZIP_LEVEL = 6  # gzip's own default: most of level 9's ratio at a fraction of its time


class ExportFormat(StrEnum):
    """The RDF syntaxes of ``scholarkg export``."""

    TURTLE = "ttl"
    NTRIPLES = "nt"
    NQUADS = "nq"
    TRIG = "trig"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"

    @property
    def media_type(self) -> str:
        """The IANA media type of the syntax."""
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        """The usual file extension, with its dot."""
        return _EXTENSIONS[self]

    @property
    def keeps_graphs(self) -> bool:
        """Whether the syntax holds named graphs (else a dump is the union of the graphs)."""
        return self in {ExportFormat.NQUADS, ExportFormat.TRIG, ExportFormat.JSONLD}


_MEDIA_TYPES = {
    ExportFormat.TURTLE: "text/turtle",
    ExportFormat.NTRIPLES: "application/n-triples",
    ExportFormat.NQUADS: "application/n-quads",
    ExportFormat.TRIG: "application/trig",
    ExportFormat.JSONLD: "application/ld+json",
    ExportFormat.RDFXML: "application/rdf+xml",
}
_EXTENSIONS = {
    ExportFormat.TURTLE: ".ttl",
    ExportFormat.NTRIPLES: ".nt",
    ExportFormat.NQUADS: ".nq",
    ExportFormat.TRIG: ".trig",
    ExportFormat.JSONLD: ".jsonld",
    ExportFormat.RDFXML: ".rdf",
}

# the prefix table of Turtle, TriG and RDF/XML dumps: fixed, whatever the store holds
EXPORT_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "bibo": BIBO,
    "fabio": FABIO,
    "vann": "http://purl.org/vocab/vann/",
    "concept": CONCEPTS,
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def format_for_path(path: Path) -> tuple[ExportFormat, bool] | None:
    """The format a file name asks for, and whether it ends in .gz; None if it says nothing."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    name = name.removesuffix(".gz")
    for fmt in ExportFormat:
        if name.endswith(fmt.extension) or (fmt is ExportFormat.RDFXML and name.endswith(".xml")):
            return fmt, compressed
    return None


class ExportReport(Record):
    """What an export wrote."""

    format: ExportFormat
    graph: str | None
    statements: int


# --- writers ---------------------------------------------------------------------------------


class _Chunked:
    """Gathers small writes into large ones (a gzip stream compresses per write)."""

    def __init__(self, output: BinaryIO) -> None:
        self._output = output
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= _WRITE_BUFFER:
            self.flush()

    def flush(self) -> None:
        self._output.write(b"".join(self._parts))
        self._parts, self._size = [], 0


def _write_lines(lines: Iterable[bytes], output: BinaryIO) -> int:
    """Statements as N-Triples / N-Quads lines; the number written."""
    sink = _Chunked(output)
    count = 0
    for line in lines:
        graph, _, triple = line.partition(b"\t")
        sink.write(with_graph(triple, graph))
        count += 1
    sink.flush()
    return count


def _write_converted(
    lines: Iterable[bytes], output: BinaryIO, fmt: ExportFormat, work: Path
) -> int:
    """Statements re-serialised by Oxigraph's streaming writer, in their sorted order."""
    source = work / "sorted.nq"
    with source.open("wb") as handle:
        count = _write_lines(lines, handle)
    convert_rdf(source, "application/n-quads", output, fmt.media_type, prefixes=EXPORT_PREFIXES)
    source.unlink()
    return count


_MEMBER = re.compile(rb"^(<.*)/(?:authorship|version)/[^/>]*>$")


def _group_of(subject: bytes) -> bytes:
    """The node a subject is written inside: a paper for its authorships and versions (their
    IRIs extend the paper's, see docs/data-model.md), else the subject itself."""
    match = _MEMBER.match(subject)
    return match.group(1) + b">" if match else subject


class _JsonLdWriter:
    """A JSON-LD document written node by node: the context inline, then a @graph array of
    nodes and of named-graph objects."""

    def __init__(self, output: BinaryIO, context: dict[str, object]) -> None:
        self._out = _Chunked(output)
        head = json.dumps({"@context": context}, indent=2, ensure_ascii=False)
        self._out.write(head.removesuffix("\n}").encode("utf-8") + b',\n  "@graph": [')
        self._first = True
        self._graph_open = False
        self._first_in_graph = True

    def open_graph(self, name: str) -> None:
        self._separate()
        self._out.write(f'\n    {{\n      "id": {json.dumps(name)},\n      "@graph": ['.encode())
        self._graph_open = True
        self._first_in_graph = True

    def close_graph(self) -> None:
        if self._graph_open:
            self._out.write(b"\n      ]\n    }")
            self._graph_open = False

    def _separate(self) -> None:
        if not self._first:
            self._out.write(b",")
        self._first = False

    def node(self, node: dict[str, object]) -> None:
        if self._graph_open:
            if not self._first_in_graph:
                self._out.write(b",")
            self._first_in_graph = False
            indent = " " * 8
        else:
            self._separate()
            indent = " " * 4
        text = json.dumps(node, indent=2, ensure_ascii=False)
        self._out.write(b"\n" + "\n".join(indent + t for t in text.split("\n")).encode("utf-8"))

    def close(self) -> None:
        self.close_graph()
        self._out.write(b"\n  ]\n}\n")
        self._out.flush()


def _write_jsonld(
    lines: Iterable[bytes], output: BinaryIO, work: Path, graph_names: dict[bytes, str]
) -> int:
    """Statements as one JSON-LD document, compact with the published context."""
    grouped = Sorter(work)
    count = 0
    for line in lines:
        graph, _, triple = line.partition(b"\t")
        grouped.add(graph + b"\t" + _group_of(triple[: triple.index(b" ")]) + b"\t" + triple)
        count += 1
    context = load_context()
    writer = _JsonLdWriter(output, context)
    batch: list[bytes] = []
    current: bytes | None = None
    last_group = b""

    def flush() -> None:
        if batch:
            buffer = io.BytesIO()
            convert_rdf(b"".join(batch), "application/n-triples", buffer, "application/ld+json")
            nodes = readable_nodes(json.loads(buffer.getvalue()))
            for node in compact_nodes(nodes, context):
                writer.node(node)
            batch.clear()

    for line in grouped.unique():
        graph, group, triple = line.split(b"\t", 2)
        if graph != current:
            flush()
            writer.close_graph()
            if graph:
                writer.open_graph(graph_names[graph])
            current = graph
        elif group != last_group and len(batch) >= JSONLD_BATCH_LINES:
            flush()
        last_group = group
        batch.append(triple)
    flush()
    writer.close()
    return count


def _write_statements(
    lines: Iterator[bytes],
    fmt: ExportFormat,
    output: BinaryIO,
    work: Path,
    graph_names: dict[bytes, str],
) -> int:
    if fmt in {ExportFormat.NTRIPLES, ExportFormat.NQUADS}:
        return _write_lines(lines, output)
    if fmt is ExportFormat.JSONLD:
        return _write_jsonld(lines, output, work, graph_names)
    return _write_converted(lines, output, fmt, work)


def export_store(
    store: EmbeddedStore,
    fmt: ExportFormat,
    output: BinaryIO,
    *,
    graph: str | None = None,
    keep_graphs: bool | None = None,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportReport:
    """Write the store (or one named graph of it) in a format to a binary stream.

    Quad formats keep the graph names unless ``keep_graphs`` is false. Sorting spills to
    temporary files in ``work_dir`` (default: the system's temporary folder), in a folder that
    the next export there removes if this process dies. ``progress`` hears what is being done,
    stage by stage.
    """
    keep = fmt.keeps_graphs if keep_graphs is None else keep_graphs and fmt.keeps_graphs
    if work_dir is not None:
        remove_paths(stale_leftovers(work_dir, WORK_PREFIX))
    prefix = f"{WORK_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=work_dir) as folder:
        work = Path(folder)
        lines = sorted_statements(store, work, graph=graph, keep_graphs=keep, progress=progress)
        if progress is not None:
            progress(f"writing {fmt.value}")
        names = {IRI(name).n3().encode(): name for name in store.named_graphs()}
        count = _write_statements(lines, fmt, output, work, names)
    return ExportReport(format=fmt, graph=graph, statements=count)


@contextlib.contextmanager
def gzipped(output: BinaryIO) -> Iterator[BinaryIO]:
    """A gzip stream into ``output`` whose bytes depend only on what is written: no file name
    and a zero modification time in the header."""
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=output, mtime=0, compresslevel=GZIP_LEVEL
    ) as compressed:
        yield cast(BinaryIO, compressed)


def export_to_file(
    store: EmbeddedStore,
    fmt: ExportFormat,
    path: Path,
    *,
    graph: str | None = None,
    compress: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ExportReport:
    """Write an export to a file that is either whole or absent (a failed export leaves none)."""
    with open_atomically(path) as handle:
        if compress:
            with gzipped(handle) as stream:
                return export_store(
                    store, fmt, stream, graph=graph, work_dir=path.parent, progress=progress
                )
        return export_store(
            store, fmt, handle, graph=graph, work_dir=path.parent, progress=progress
        )


def serialize_graph(graph: rdflib.Graph, fmt: ExportFormat) -> bytes:
    """An rdflib graph written the way exports are: sorted, canonical blank nodes, fixed
    prefixes (and, in JSON-LD, the published context), so the same triples give the same bytes.

    The triples go through Oxigraph's parser and writers only, not its store, which would
    store a derived integer type such as xsd:nonNegativeInteger as xsd:integer."""
    output = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="scholarkg-serialize-") as folder:
        work = Path(folder)
        spool = work / "graph.nt"
        with spool.open("wb") as handle:
            text = graph.serialize(format="nt", encoding="utf-8")
            convert_rdf(text, "application/n-triples", handle, "application/n-triples")
        lines = canonical_statements([(b"", spool)], work)
        _write_statements(lines, fmt, output, work, {})
    return output.getvalue()

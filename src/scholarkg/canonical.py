"""The statements of a store in a canonical order, as the basis of deterministic dumps.

Each graph is streamed out of the store as N-Triples into a spool file; lines without blank nodes
go to an external merge sort (chunks sorted in memory, spilled to disk, merged), so memory stays
flat whatever the size of the store. Lines with blank nodes (the OWL lists and class expressions
of the ontology graph: a few dozen) are relabelled by RDF Dataset Canonicalization (``_:c14n0``,
``_:c14n1``...) over the whole export at once, so that a blank node keeps one label across
graphs and the labels do not depend on how the store happened to name them, then join the sort.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from scholarkg.errors import UsageError
from scholarkg.jsonld import canonical_nquads
from scholarkg.store import EmbeddedStore, convert_rdf, split_nquads
from scholarkg.terms import IRI

CHUNK_LINES = 200_000  # lines sorted in memory before a run is spilled to disk


class Sorter:
    """An external merge sort of byte lines: chunks sorted in memory, spilled to files, merged."""

    def __init__(self, folder: Path, chunk: int | None = None) -> None:
        self._folder = folder
        self._chunk = chunk or CHUNK_LINES
        self._lines: list[bytes] = []
        self._runs: list[Path] = []

    def add(self, line: bytes) -> None:
        self._lines.append(line)
        if len(self._lines) >= self._chunk:
            self._spill()

    def _spill(self) -> None:
        self._lines.sort()
        run = self._folder / f"run-{id(self)}-{len(self._runs)}"
        with run.open("wb") as handle:
            handle.writelines(self._lines)
        self._runs.append(run)
        self._lines = []

    def unique(self) -> Iterator[bytes]:
        """The lines added, sorted bytewise, each once."""
        self._lines.sort()
        with contextlib.ExitStack() as stack:
            streams: list[Iterable[bytes]] = [stack.enter_context(r.open("rb")) for r in self._runs]
            previous = None
            for line in heapq.merge(*streams, self._lines):
                if line != previous:
                    yield line
                previous = line
        for run in self._runs:
            run.unlink(missing_ok=True)


def _has_blank_node(line: bytes) -> bool:
    """Whether an N-Triples line (``s p o .``) has a blank node as subject or object."""
    if line.startswith(b"_:"):
        return True
    body = line.rstrip(b"\r\n").removesuffix(b" .")
    last = body[body.rfind(b" ") + 1 :]
    return last.startswith(b"_:") and b'"' not in last


def with_graph(triple: bytes, graph: bytes) -> bytes:
    """An N-Triples line as an N-Quads line in a graph (b'' for the default graph)."""
    return triple if not graph else triple[:-3] + b" " + graph + b" .\n"


def _canonical_blank_lines(blank: set[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """(graph, triple) lines with blank nodes, relabelled canonically over all of them."""
    if not blank:
        return []
    nquads = b"".join(with_graph(triple, graph) for graph, triple in sorted(blank))
    buffer = io.BytesIO()
    convert_rdf(nquads, "application/n-quads", buffer, "application/ld+json")
    text = canonical_nquads(json.loads(buffer.getvalue()))
    return [(graph.encode(), triple.encode()) for graph, triple in split_nquads(text)]


def canonical_statements(graphs: Iterable[tuple[bytes, Path]], work: Path) -> Iterator[bytes]:
    """Sorted, distinct lines ``<graph name>\t<N-Triples line>`` from N-Triples files in
    Oxigraph's canonical form, each paired with its graph name in N-Triples syntax (empty for the
    default graph or a union); blank nodes relabelled canonically. Each file is read before the
    next pair is asked for, so one spool file can be reused."""
    sorter = Sorter(work)
    blank: set[tuple[bytes, bytes]] = set()
    for term, path in graphs:
        with path.open("rb") as handle:
            for line in handle:
                if b"_:" in line and _has_blank_node(line):
                    blank.add((term, line))
                else:
                    sorter.add(term + b"\t" + line)
    for term, line in _canonical_blank_lines(blank):
        sorter.add(term + b"\t" + line)
    return sorter.unique()


def sorted_statements(
    store: EmbeddedStore,
    work: Path,
    *,
    graph: str | None,
    keep_graphs: bool,
    progress: Callable[[str], None] | None = None,
) -> Iterator[bytes]:
    """The statements of a store to export, as ``canonical_statements`` gives them.

    The graph name is empty for the default graph, and for every line of a union
    (``keep_graphs`` false). ``progress`` hears which graph is being read.
    """
    if graph is not None:
        if graph not in store.named_graphs():
            raise UsageError(f"--graph: the store has no graph <{graph}>")
        graphs: list[str | None] = [graph]
    else:
        graphs = [None, *store.named_graphs()]
    spool = work / "graph.nt"

    def spooled() -> Iterator[tuple[bytes, Path]]:
        for name in graphs:
            if progress is not None:
                progress(f"reading <{name}>" if name else "reading the default graph")
            with spool.open("wb") as handle:
                store.write_ntriples(handle, None if name is None else IRI(name))
            yield (IRI(name).n3().encode() if keep_graphs and name is not None else b""), spool

    lines = canonical_statements(spooled(), work)
    spool.unlink(missing_ok=True)
    return lines

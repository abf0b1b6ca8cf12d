"""Composes the stages: source file -> records -> triples -> (validation) -> store.

The pipeline is the only place besides the CLI and the server that does I/O. An ingest is one
store transaction: the file is parsed and mapped as a stream whose triples a background thread
loads in chunks into the source's graph (flat memory, loading overlaps mapping); then the
vocabularies are refreshed and the new graph is validated against the shapes together with
everything it refers to. A parse error, a violation or any failure rolls the transaction back:
the store is left as it was.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import rdflib
from pydantic import Field

from scholarkg.concepts import ConceptTagger, concepts_path
from scholarkg.errors import NotConformingError, ParseError, UsageError
from scholarkg.formats import graph_from_ntriples
from scholarkg.iris import IriMinter, source_id_for
from scholarkg.mapping import ListingMapper
from scholarkg.records import ListingEntry, MappingNote, Record, SourceInfo
from scholarkg.remote import RemoteStore
from scholarkg.reports import Severity, ValidationReport, render_text
from scholarkg.resources import ontology_dir
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.sources.arxiv_listing import iter_entries, read_lines
from scholarkg.store import EmbeddedStore
from scholarkg.terms import IRI

if TYPE_CHECKING:
    from scholarkg.backend import GraphStore
from scholarkg.validation import (
    CompiledShapes,
    compile_shapes,
    unsupported_features,
    validate_store,
)

LISTING_FORMAT = "arxiv-listing"
ProgressFn = Callable[[int], None]


class IngestOptions(Record):
    """How to ingest one file."""

    subject: str | None = None
    source_id: str | None = None
    lenient: bool = False
    validate_data: bool = True
    base: str


class IngestReport(Record):
    """What an ingest did."""

    path: str
    source_id: str
    graph: str
    entries: int
    triples: int
    subject: str | None
    subject_detected: bool
    subject_candidates: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="file:line: reason, lenient")
    notes: list[MappingNote] = Field(default_factory=list)
    validation: ValidationReport | None = None  # None when not validated


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_id_of(path: Path, options: IngestOptions) -> str:
    """The source id of an ingest: given, else from the file name."""
    return options.source_id or source_id_for(path.name)


def iter_listing(
    path: Path, *, lenient: bool, skipped: list[ParseError] | None = None
) -> Iterator[ListingEntry]:
    """Parsed entries of a listing; strict mode raises at the first malformed entry."""
    for item in iter_entries(read_lines(path), str(path)):
        if isinstance(item, ParseError):
            if not lenient:
                raise item
            if skipped is not None:
                skipped.append(item)
            continue
        yield item


def map_listing(
    path: Path,
    options: IngestOptions,
    *,
    tagger: ConceptTagger,
    write: Callable[[str], object],
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Parse and map a listing, handing each N-Triples line to ``write``."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    minter = IriMinter(options.base)
    source_id = source_id_of(path, options)
    graph = minter.graph(source_id)
    info = SourceInfo(
        source_id=source_id,
        file_name=path.name,
        source_format=LISTING_FORMAT,
        sha256=sha256_of(path),
        subject=options.subject,
    )
    mapper = ListingMapper(info, minter, tagger)
    skipped: list[ParseError] = []
    count = 0
    for entry in iter_listing(path, lenient=options.lenient, skipped=skipped):
        for triple in mapper.map_entry(entry):
            write(triple.ntriple())
            count += 1
        if progress is not None:
            progress(mapper.entries)
    if mapper.entries == 0:
        if skipped:
            raise ParseError(
                str(path), skipped[0].line, f"no entry could be read; first: {skipped[0].reason}"
            )
        raise ParseError(str(path), 1, "no entries")
    for triple in mapper.finish():
        write(triple.ntriple())
        count += 1
    return IngestReport(
        path=str(path),
        source_id=source_id,
        graph=graph,
        entries=mapper.entries,
        triples=count,
        subject=mapper.subject,
        subject_detected=options.subject is None and mapper.subject is not None,
        subject_candidates=mapper.subject_candidates,
        skipped=[e.message for e in skipped],
        notes=mapper.notes,
    )


def ingest_listing(
    path: Path,
    store: EmbeddedStore | RemoteStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None = None,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Ingest an arXiv listing into its named graph, replacing what that graph held."""
    if not path.is_file():  # before a transaction is opened for nothing
        raise UsageError(f"{path}: no such file")
    if isinstance(store, RemoteStore):
        return _ingest_remote(path, store, options, tagger=tagger, progress=progress)
    tagger = tagger or ConceptTagger.from_file()
    graph = IriMinter(options.base).graph(source_id_of(path, options))
    with store.transaction():
        with store.replacing_graph(graph) as writer:
            report = map_listing(
                path, options, tagger=tagger, write=writer.write, progress=progress
            )
        load_vocabularies(store, options.base)
        if options.validate_data:
            checked = validate_source(store, graph, options.base)
            report = report.model_copy(update={"validation": checked})
            if checked.fails(Severity.violation):
                raise NotConformingError(
                    f"{path}: {len(checked.violations)} shape violation(s); nothing was loaded",
                    render_text(checked),
                )
    return report


def _ingest_remote(
    path: Path,
    store: RemoteStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None,
    progress: ProgressFn | None,
) -> IngestReport:
    """Ingest into a SPARQL server: map and validate into a local staging store (the source
    with the vocabularies it refers to), then replace the source's graph and the vocabularies'
    on the server, each atomically for readers (``RemoteStore.replace_graphs``)."""
    with tempfile.TemporaryDirectory(prefix=".scholarkg-staging-") as folder:
        staging = EmbeddedStore(Path(folder) / "store")
        try:
            report = ingest_listing(path, staging, options, tagger=tagger, progress=progress)
            files: dict[str, Path] = {}
            for graph in staging.named_graphs():
                files[graph] = Path(folder) / f"graph-{len(files)}.nt"
                with files[graph].open("wb") as output:
                    staging.write_ntriples(output, IRI(graph))
        finally:
            staging.close()
        store.replace_graphs(files)
    return report


def validate_source(store: GraphStore, graph: IRI, base: str) -> ValidationReport:
    """Validate the focus nodes of a source's graph, seeing everything the store holds."""
    return validate_in_store(store, load_shapes(base=base), focus_graph=graph)


def validate_in_store(
    store: GraphStore, shapes: rdflib.Graph, *, focus_graph: IRI | None = None
) -> ValidationReport:
    """Validate the store (or the focus nodes of one graph) against a shapes graph.

    The shapes run as SPARQL queries on the store (``validation``); shapes that engine cannot
    compile are checked by pySHACL over a copy of the data instead.
    """
    if not unsupported_features(shapes):
        return validate_store(store, compile_cached(shapes), focus_graph=focus_graph)
    data = graph_from_ntriples(store.dump_ntriples())
    return validate_graph(data, shapes)


def compile_cached(shapes: rdflib.Graph) -> CompiledShapes:
    """The compiled form of a shapes graph, compiled once per process and content."""
    key = shapes.serialize(format="nt", encoding="utf-8")
    return _compile(key)


@functools.lru_cache(maxsize=4)
def _compile(ntriples: bytes) -> CompiledShapes:
    return compile_shapes(rdflib.Graph().parse(data=ntriples.decode("utf-8"), format="nt"))


def load_vocabularies(store: EmbeddedStore, base: str) -> None:
    """(Re)load the shipped concept scheme and ontology into their own named graphs."""
    minter = IriMinter(base)
    store.load_file(minter.graph("concepts"), concepts_path(), "text/turtle")
    store.load_file(minter.graph("ontology"), ontology_dir() / "scholarkg.ttl", "text/turtle")

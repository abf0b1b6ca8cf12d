"""Composes the stages: source file -> records -> triples -> (validation) -> store.

A source is an arXiv author listing (``.txt``), a BibTeX file (``.bib``) or an arXiv Atom feed
(``.atom``, ``.xml``, or any file that looks like one); ``IngestOptions.source_format`` overrides
the guess (``detect_format``).

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
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import rdflib
from pydantic import Field

from scholarkg.concepts import ConceptTagger, concepts_path
from scholarkg.errors import NotConformingError, ParseError, UsageError
from scholarkg.formats import graph_from_ntriples
from scholarkg.iris import IriMinter, source_id_for
from scholarkg.mapping import ListingMapper, SourceMapper, WorkMapper
from scholarkg.merging import PaperIndex, own_dataset, rebuild_view
from scholarkg.records import ListingEntry, MappingNote, Record, SourceInfo, WorkRecord
from scholarkg.remote import RemoteStore
from scholarkg.reports import Severity, ValidationReport, render_text
from scholarkg.resources import ontology_dir
from scholarkg.shapes import load_shapes, validate_graph
from scholarkg.sources import arxiv_atom, bibtex
from scholarkg.sources.arxiv_listing import iter_entries, read_lines
from scholarkg.store import EmbeddedStore
from scholarkg.terms import IRI, Triple
from scholarkg.vocab import SKG

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
T = TypeVar("T")


class SourceFormat(StrEnum):
    """The formats scholarkg reads, by the name recorded as the source's skg:sourceFormat."""

    listing = LISTING_FORMAT
    bibtex = bibtex.BIBTEX_FORMAT
    atom = arxiv_atom.ATOM_FORMAT


class IngestOptions(Record):
    """How to ingest one file."""

    subject: str | None = None
    source_id: str | None = None
    lenient: bool = False
    validate_data: bool = True
    base: str
    source_format: SourceFormat | None = Field(default=None, description="None: from the file")
    aliases: dict[str, str] = Field(
        default_factory=dict, description="name keys of people, variant -> canonical"
    )
    person_names: dict[str, str] = Field(
        default_factory=dict, description="canonical name key -> display name (foaf:name)"
    )


class IngestReport(Record):
    """What an ingest did."""

    path: str
    source_id: str
    source_format: SourceFormat = SourceFormat.listing
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


def detect_format(path: Path) -> SourceFormat:
    """The format of a file: ``.bib`` BibTeX, ``.txt`` a listing, ``.atom`` and ``.xml`` an
    Atom feed; any other file an Atom feed if it looks like one, else a listing."""
    suffix = path.suffix.lower()
    if suffix == ".bib":
        return SourceFormat.bibtex
    if suffix == ".txt":
        return SourceFormat.listing
    if suffix in {".atom", ".xml"}:
        return SourceFormat.atom
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return SourceFormat.atom if arxiv_atom.looks_like_atom(head) else SourceFormat.listing


def format_of(path: Path, options: IngestOptions) -> SourceFormat:
    """The format an ingest reads a file as: given, else detected."""
    return options.source_format or detect_format(path)


def strict_items(
    items: Iterable[T | ParseError], *, lenient: bool, skipped: list[ParseError] | None = None
) -> Iterator[T]:
    """Parsed items; strict mode raises at the first malformed entry, lenient mode skips it
    (collected in ``skipped``)."""
    for item in items:
        if isinstance(item, ParseError):
            if not lenient:
                raise item
            if skipped is not None:
                skipped.append(item)
            continue
        yield item


def iter_listing(
    path: Path, *, lenient: bool, skipped: list[ParseError] | None = None
) -> Iterator[ListingEntry]:
    """Parsed entries of a listing; strict mode raises at the first malformed entry."""
    return strict_items(iter_entries(read_lines(path), str(path)), lenient=lenient, skipped=skipped)


def iter_works(
    path: Path,
    source_format: SourceFormat,
    *,
    lenient: bool,
    skipped: list[ParseError] | None = None,
) -> Iterator[WorkRecord]:
    """Parsed records of a BibTeX file or an Atom feed; strict mode raises at the first error."""
    read = bibtex.iter_records if source_format is SourceFormat.bibtex else arxiv_atom.iter_records
    return strict_items(read(path), lenient=lenient, skipped=skipped)


def _source_info(path: Path, options: IngestOptions, source_format: SourceFormat) -> SourceInfo:
    return SourceInfo(
        source_id=source_id_of(path, options),
        file_name=path.name,
        source_format=source_format.value,
        sha256=sha256_of(path),
        subject=options.subject,
    )


def _minter(options: IngestOptions) -> IriMinter:
    return IriMinter(options.base, options.aliases, options.person_names)


def map_file(
    path: Path,
    options: IngestOptions,
    *,
    tagger: ConceptTagger,
    write: Callable[[str], object],
    progress: ProgressFn | None = None,
    papers: PaperIndex | None = None,
) -> IngestReport:
    """Parse and map a source file in its format, handing each N-Triples line to ``write``;
    a work ``papers`` knows from another source keeps that source's IRI."""
    source_format = format_of(path, options) if path.is_file() else SourceFormat.listing
    mapped = map_listing if source_format is SourceFormat.listing else map_works
    return mapped(path, options, tagger=tagger, write=write, progress=progress, papers=papers)


def map_listing(
    path: Path,
    options: IngestOptions,
    *,
    tagger: ConceptTagger,
    write: Callable[[str], object],
    progress: ProgressFn | None = None,
    papers: PaperIndex | None = None,
) -> IngestReport:
    """Parse and map a listing, handing each N-Triples line to ``write``."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    info = _source_info(path, options, SourceFormat.listing)
    mapper = ListingMapper(info, _minter(options), tagger, papers)
    skipped: list[ParseError] = []
    entries = iter_listing(path, lenient=options.lenient, skipped=skipped)
    return _map_stream(
        path, mapper, entries, mapper.map_entry, skipped, write=write, progress=progress
    )


def map_works(
    path: Path,
    options: IngestOptions,
    *,
    tagger: ConceptTagger,
    write: Callable[[str], object],
    progress: ProgressFn | None = None,
    papers: PaperIndex | None = None,
) -> IngestReport:
    """Parse and map a BibTeX file or an Atom feed, handing each N-Triples line to ``write``."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    source_format = format_of(path, options)
    if source_format is SourceFormat.listing:
        raise UsageError(f"{path}: a listing is mapped by map_listing")
    info = _source_info(path, options, source_format)
    mapper = WorkMapper(info, _minter(options), tagger, papers)
    skipped: list[ParseError] = []
    records = iter_works(path, source_format, lenient=options.lenient, skipped=skipped)
    return _map_stream(
        path, mapper, records, mapper.map_record, skipped, write=write, progress=progress
    )


def _map_stream(
    path: Path,
    mapper: SourceMapper,
    items: Iterable[T],
    map_one: Callable[[T], list[Triple]],
    skipped: list[ParseError],
    *,
    write: Callable[[str], object],
    progress: ProgressFn | None,
) -> IngestReport:
    """Map parsed items one by one, then the source; the report of what was done."""
    count = 0
    for item in items:
        for triple in map_one(item):
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
    source = mapper.source
    return IngestReport(
        path=str(path),
        source_id=source.source_id,
        source_format=SourceFormat(source.source_format),
        graph=mapper.minter.graph(source.source_id),
        entries=mapper.entries,
        triples=count,
        subject=mapper.subject,
        subject_detected=source.subject is None and mapper.subject is not None,
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
    """Ingest a file as an arXiv listing (unless the options name another format)."""
    if options.source_format is None:
        options = options.model_copy(update={"source_format": SourceFormat.listing})
    return ingest_file(path, store, options, tagger=tagger, progress=progress)


def ingest_file(
    path: Path,
    store: EmbeddedStore | RemoteStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None = None,
    progress: ProgressFn | None = None,
    papers: PaperIndex | None = None,
) -> IngestReport:
    """Ingest a source file (listing, BibTeX, Atom feed: ``detect_format`` unless the options
    say) into its named graph, replacing what that graph held.

    A work another source of the store already holds (same arXiv id, else DOI, else title and
    year) keeps that source's IRI (``merging.PaperIndex``; ``papers`` gives the index, else it
    is read from the store). The source is validated on its own, with the vocabularies; then
    the merged view over all sources is rebuilt (``merging.rebuild_view``).
    """
    if not path.is_file():  # before a transaction is opened for nothing
        raise UsageError(f"{path}: no such file")
    if options.source_format is None:
        options = options.model_copy(update={"source_format": detect_format(path)})
    graph = IriMinter(options.base).graph(source_id_of(path, options))
    if papers is None:
        papers = PaperIndex.of_store(store, options.base, excluding=graph)
    if isinstance(store, RemoteStore):
        return _ingest_remote(path, store, options, tagger=tagger, progress=progress, papers=papers)
    tagger = tagger or ConceptTagger.from_file()
    with store.transaction():
        with store.replacing_graph(graph) as writer:
            report = map_file(
                path, options, tagger=tagger, write=writer.write, progress=progress, papers=papers
            )
        load_vocabularies(store, options.base)
        if options.validate_data:
            with store.seeing(own_dataset(store, options.base, graph)):
                checked = validate_source(store, graph, options.base)
            report = report.model_copy(update={"validation": checked})
            if checked.fails(Severity.violation):
                raise NotConformingError(
                    f"{path}: {len(checked.violations)} shape violation(s); nothing was loaded",
                    render_text(checked),
                )
        rebuild_view(store, options.base)
    return report


def _ingest_remote(
    path: Path,
    store: RemoteStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None,
    progress: ProgressFn | None,
    papers: PaperIndex,
) -> IngestReport:
    """Ingest into a SPARQL server: map and validate into a local staging store (the source
    with the vocabularies it refers to), then replace the source's graph and the vocabularies'
    on the server, each atomically for readers (``RemoteStore.replace_graphs``), and rebuild
    the merged view there."""
    with tempfile.TemporaryDirectory(prefix=".scholarkg-staging-") as folder:
        staging = EmbeddedStore(Path(folder) / "store")
        try:
            report = ingest_file(
                path, staging, options, tagger=tagger, progress=progress, papers=papers
            )
            files: dict[str, Path] = {}
            for graph in staging.named_graphs():
                files[graph] = Path(folder) / f"graph-{len(files)}.nt"
                with files[graph].open("wb") as output:
                    staging.write_ntriples(output, IRI(graph))
        finally:
            staging.close()
        store.replace_graphs(files)
    rebuild_view(store, options.base)
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
    """(Re)load the shipped concept scheme and ontology into their own named graphs, and the
    arXiv category scheme into its own once the data links to it (skg:category) or it is there.

    The category scheme is left out of stores that do not use it (listings without subject
    codes), so they hold exactly the graphs they always did.
    """
    minter = IriMinter(base)
    store.load_file(minter.graph("concepts"), concepts_path(), "text/turtle")
    store.load_file(minter.graph("ontology"), ontology_dir() / "scholarkg.ttl", "text/turtle")
    categories = minter.graph("arxiv-categories")
    if categories in store.named_graphs() or links_arxiv_categories(store):
        store.load_file(categories, arxiv_atom.categories_path(), "text/turtle")


def links_arxiv_categories(store: EmbeddedStore) -> bool:
    """Whether any paper in the store (in any graph) links to an arXiv category concept."""
    answer = store.query(
        f"ASK {{ GRAPH ?g {{ ?paper <{SKG}category>|<{SKG}primaryCategory> ?category }} }}"
    )
    return bool(answer.boolean)

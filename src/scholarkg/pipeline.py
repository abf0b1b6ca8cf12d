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
from rdflib.compare import to_isomorphic

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
from scholarkg.store import EmbeddedStore, ntriples_lines
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
    return _ingest_embedded(path, store, options, tagger=tagger, progress=progress, papers=papers)


def _ingest_embedded(
    path: Path,
    store: EmbeddedStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None,
    progress: ProgressFn | None,
    papers: PaperIndex,
    also: Callable[[str], object] | None = None,
) -> IngestReport:
    """Ingest into the embedded store in one transaction; ``also`` gets each mapped line too."""
    graph = IriMinter(options.base).graph(source_id_of(path, options))
    tagger = tagger or ConceptTagger.from_file()
    with store.transaction():
        with store.replacing_graph(graph) as writer:
            write = writer.write if also is None else _tee(writer.write, also)
            report = map_file(
                path, options, tagger=tagger, write=write, progress=progress, papers=papers
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


def _tee(first: Callable[[str], object], second: Callable[[str], object]) -> Callable[[str], None]:
    def write(line: str) -> None:
        first(line)
        second(line)

    return write


def _ingest_remote(
    path: Path,
    store: RemoteStore,
    options: IngestOptions,
    *,
    tagger: ConceptTagger | None,
    progress: ProgressFn | None,
    papers: PaperIndex,
) -> IngestReport:
    """Ingest into a SPARQL server: the mapped lines stream to the server as they are made, into
    a graph no reader sees yet (``RemoteStore.replacing``); validated, they also go into a local
    staging store, where the source is validated with the vocabularies as embedded. Then the
    source's graph and the vocabularies' are put in place in one update, and the merged view is
    rebuilt there. A parse error or a violation drops what was sent."""
    graph = IriMinter(options.base).graph(source_id_of(path, options))
    categories = IriMinter(options.base).graph("arxiv-categories")
    links = _LinkWatch(f"<{SKG}category>", f"<{SKG}primaryCategory>")
    with store.replacing() as batch:
        with batch.writer(graph) as upload:
            write = _tee(upload.write, links)
            if options.validate_data:
                with tempfile.TemporaryDirectory(prefix=".scholarkg-staging-") as folder:
                    staging = EmbeddedStore(Path(folder) / "store")
                    try:
                        report = _ingest_embedded(
                            path,
                            staging,
                            options,
                            tagger=tagger,
                            progress=progress,
                            papers=papers,
                            also=write,
                        )
                    finally:
                        staging.close()
            else:
                report = map_file(
                    path,
                    options,
                    tagger=tagger or ConceptTagger.from_file(),
                    write=write,
                    progress=progress,
                    papers=papers,
                )
        for name, (file, media) in vocabulary_files(options.base).items():
            if name == categories and not (links.seen or name in store.named_graphs()):
                continue
            with batch.writer(name) as out:
                for line in sorted(ntriples_lines(file.read_bytes(), media)):
                    out.write(line)
    rebuild_view(store, options.base)
    return report


class _LinkWatch:
    """Whether any N-Triples line it was given has one of these predicates."""

    def __init__(self, *predicates: str) -> None:
        self.needles = tuple(f" {p} " for p in predicates)
        self.seen = False

    def __call__(self, line: str) -> None:
        if not self.seen and any(needle in line for needle in self.needles):
            self.seen = True


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
    compiled = compile_cached(shapes)
    if compiled is not None:
        return validate_store(store, compiled, focus_graph=focus_graph)
    data = graph_from_ntriples(store.dump_ntriples())
    return validate_graph(data, shapes)


def compile_cached(shapes: rdflib.Graph) -> CompiledShapes | None:
    """The compiled form of a shapes graph (None when the SPARQL engine cannot run it), worked
    out once per process and content: graphs equal up to blank-node labels share it."""
    return _compile(_ShapesKey(shapes))


class _ShapesKey:
    """A shapes graph, hashed and compared by its content (an isomorphism-invariant digest;
    each parse of the same file labels its blank nodes anew)."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        self.digest: int = to_isomorphic(shapes).graph_digest()  # type: ignore[no-untyped-call]

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ShapesKey) and other.digest == self.digest


@functools.lru_cache(maxsize=4)
def _compile(key: _ShapesKey) -> CompiledShapes | None:
    return None if unsupported_features(key.shapes) else compile_shapes(key.shapes)


def vocabulary_files(base: str) -> dict[IRI, tuple[Path, str]]:
    """The shipped vocabularies by the named graph each is loaded into: file and media type."""
    minter = IriMinter(base)
    return {
        minter.graph("concepts"): (concepts_path(), "text/turtle"),
        minter.graph("ontology"): (ontology_dir() / "scholarkg.ttl", "text/turtle"),
        minter.graph("arxiv-categories"): (arxiv_atom.categories_path(), "text/turtle"),
    }


def load_vocabularies(store: EmbeddedStore, base: str) -> None:
    """(Re)load the shipped concept scheme and ontology into their own named graphs, and the
    arXiv category scheme into its own once the data links to it (skg:category) or it is there.

    The category scheme is left out of stores that do not use it (listings without subject
    codes), so they hold exactly the graphs they always did.
    """
    categories = IriMinter(base).graph("arxiv-categories")
    for graph, (file, media) in vocabulary_files(base).items():
        if graph != categories or graph in store.named_graphs() or links_arxiv_categories(store):
            store.load_file(graph, file, media)


def links_arxiv_categories(store: EmbeddedStore) -> bool:
    """Whether any paper in the store (in any graph) links to an arXiv category concept."""
    answer = store.query(
        f"ASK {{ GRAPH ?g {{ ?paper <{SKG}category>|<{SKG}primaryCategory> ?category }} }}"
    )
    return bool(answer.boolean)

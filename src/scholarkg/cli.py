"""The ``scholarkg`` command line. Exit codes: 0 ok, 1 data does not conform or query failed,
2 usage or input error."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from scholarkg import __version__
from scholarkg.backend import GraphStore, open_backend, open_for_reading
from scholarkg.concepts import ConceptTagger
from scholarkg.config import DEFAULT_STORE, Settings
from scholarkg.errors import NotConformingError, ScholarkgError, UsageError
from scholarkg.export import (
    ExportFormat,
    export_store,
    export_to_file,
    format_for_path,
    gzipped,
    serialize_graph,
)
from scholarkg.formats import (
    GraphFormat,
    ResultFormat,
    expand_rdf_paths,
    project,
    read_rdf_files,
    render_graph,
    render_result,
    write_atomically,
)
from scholarkg.merging import find_conflicts, render_conflicts
from scholarkg.people import (
    DEFAULT_ALIAS_FILE,
    POSSIBLE,
    add_alias,
    find_candidates,
    load_aliases,
    render_aliases,
    render_candidates,
)
from scholarkg.pipeline import (
    IngestOptions,
    IngestReport,
    SourceFormat,
    ingest_file,
    load_vocabularies,
    validate_in_store,
)
from scholarkg.queries import get_query, load_catalogue, run_stored
from scholarkg.release import ReleaseOptions, build_release
from scholarkg.remote import RemoteStore
from scholarkg.reports import (
    Severity,
    render_json,
    render_junit,
    render_text,
    render_turtle,
    verdict,
)
from scholarkg.shapes import load_shapes
from scholarkg.stats import collect_stats, render_stats
from scholarkg.store import MEMORY, EmbeddedStore, QueryKind, QueryResult, open_store
from scholarkg.terms import IRI
from scholarkg.void import DEFAULT_LICENSE, DEFAULT_TITLE, Dump, describe_dataset

F = TypeVar("F", bound=Callable[..., Any])
SOURCE_SUFFIXES = (".txt", ".bib", ".atom")  # what `build` reads from a data folder
FORMAT_CHOICES = ["auto", *(f.value for f in SourceFormat)]


def store_options(func: F) -> F:
    """The --store and --base options every command that opens the store takes."""
    func = click.option(
        "--base",
        metavar="IRI",
        help="Base of the data IRIs [env SCHOLARKG_BASE; default https://w3id.org/scholarkg/id/].",
    )(func)
    return click.option(
        "--store",
        metavar="PATH",
        help=f"Store folder, or ':memory:' [env SCHOLARKG_STORE; default ./{DEFAULT_STORE}].",
    )(func)


def settings_from(store: str | None, base: str | None) -> Settings:
    """Settings from the command line over the environment and the configuration file."""
    context = click.get_current_context(silent=True)
    endpoints = dict(context.find_root().obj or {}) if context is not None else {}
    options = {"store": store, "base": base, **endpoints}
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return Settings(**given)
    except ScholarkgError:
        raise
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class Progress:
    """A count of entries on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.shown = 0

    def __call__(self, done: int) -> None:
        if self.enabled and (done - self.shown >= 500 or done < 500):
            self.shown = done
            click.echo(f"\r{self.label}: {done:,} entries", nl=False, err=True)

    def close(self) -> None:
        if self.enabled and self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="scholarkg")
@click.option(
    "--endpoint",
    metavar="URL",
    help="Work on a SPARQL 1.1 server instead of the embedded store: its query endpoint, or its "
    "root URL, below which the query, update and Graph Store endpoints are looked for "
    "[env SCHOLARKG_ENDPOINT]. Credentials come from SCHOLARKG_ENDPOINT_USER, _PASSWORD, _AUTH "
    "(basic or digest) or _TOKEN, never from the command line.",
)
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="The server's SPARQL Update endpoint, where it is not found below --endpoint "
    "[env SCHOLARKG_UPDATE_ENDPOINT].",
)
@click.option(
    "--gsp-endpoint",
    metavar="URL",
    help="The server's Graph Store Protocol endpoint, for loading data in bulk, where it is not "
    "found below --endpoint; without one, data goes as INSERT DATA [env SCHOLARKG_GSP_ENDPOINT].",
)
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    update_endpoint: str | None,
    gsp_endpoint: str | None,
) -> None:
    """Build, check, query and publish a knowledge graph of scholarly publications.

    Settings also come from scholarkg.toml in the current folder (store, base, endpoint,
    update_endpoint, gsp_endpoint), below the environment and the command line.
    """
    ctx.obj = {
        "endpoint": endpoint,
        "update_endpoint": update_endpoint,
        "gsp_endpoint": gsp_endpoint,
    }


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "source_format",
    type=click.Choice(FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="How to read FILES: arxiv-listing (the text of an arXiv author listing), bibtex, or "
    "arxiv-atom (an arXiv API Atom feed); auto goes by the name (.txt, .bib, .atom or .xml) "
    "and, for any other name, by the content.",
)
@click.option(
    "--subject", metavar="NAME", help="Whose publication list this is (listings: else detected)."
)
@click.option("--source-id", metavar="ID", help="Source id naming the graph (one file only).")
@click.option("--lenient", is_flag=True, help="Skip malformed entries, report each, load the rest.")
@click.option(
    "--no-validate", is_flag=True, help="Load without checking the data against the shapes."
)
@click.option(
    "--aliases",
    "alias_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Alias file of people to apply (variant names of one person, such as "
    f"{DEFAULT_ALIAS_FILE}; `build` applies DATA_DIR/aliases.yaml by itself).",
)
@store_options
def ingest(
    files: tuple[Path, ...],
    source_format: str,
    subject: str | None,
    source_id: str | None,
    lenient: bool,
    no_validate: bool,
    alias_file: Path | None,
    store: str | None,
    base: str | None,
) -> None:
    """Load publication lists (FILES) into the store, one named graph per file: arXiv author
    listings (.txt), BibTeX files (.bib) and arXiv API Atom feeds (.atom, .xml).

    Ingesting a file again replaces its graph. A malformed entry stops the ingest (exit 2) and
    leaves the store as it was, unless --lenient. The data is validated against the SHACL shapes
    before it is loaded: a violation stops the ingest (exit 1) and prints the report; warnings
    are printed and the data loaded. With --aliases, the variant names of a person in the
    alias file get the canonical person's IRI and name.
    """
    settings = settings_from(store, base)
    if source_id and len(files) > 1:
        raise UsageError("--source-id names one source: give one file with it")
    table = load_aliases(alias_file) if alias_file is not None else None
    db = open_backend(settings)
    try:
        tagger = ConceptTagger.from_file()
        for path in files:
            options = IngestOptions(
                subject=subject,
                source_id=source_id,
                lenient=lenient,
                validate_data=not no_validate,
                base=settings.base,
                source_format=None if source_format == "auto" else SourceFormat(source_format),
                aliases=table.mapping if table else {},
                person_names=table.canonical_names if table else {},
            )
            report = _ingest_one(path, db, options, tagger)
            click.echo(describe_ingest(report))
    finally:
        db.close()


def _ingest_one(
    path: Path, db: EmbeddedStore | RemoteStore, options: IngestOptions, tagger: ConceptTagger
) -> IngestReport:
    progress = Progress(f"reading {path.name}")
    try:
        return ingest_file(path, db, options, tagger=tagger, progress=progress)
    finally:
        progress.close()


def describe_ingest(report: IngestReport) -> str:
    """What an ingest did, for people."""
    lines = [
        f"ingested {report.path}: {report.entries} papers, {report.triples:,} triples "
        f"into <{report.graph}>"
    ]
    if report.source_format is not SourceFormat.listing:
        lines[0] += f" (read as {report.source_format.value})"
    if report.subject and report.subject_detected:
        lines.append(
            f"listing subject: {report.subject} (detected: the one person in every entry "
            "whose author list is complete; give --subject to override)"
        )
    elif report.subject:
        lines.append(f"listing subject: {report.subject}")
    elif report.source_format is not SourceFormat.listing:
        pass  # only a listing is someone's publication list by nature
    elif report.subject_candidates:
        lines.append(
            "listing subject: not detected, candidates: "
            + ", ".join(report.subject_candidates)
            + " (give --subject)"
        )
    else:
        lines.append("listing subject: not detected (give --subject)")
    lines += [f"skipped {problem}" for problem in report.skipped]
    lines += [f"note {report.path}:{note.line}: {note.message}" for note in report.notes]
    if report.validation is None:
        lines.append(
            "WARNING: validation skipped (--no-validate): this data was loaded without being "
            "checked against the shapes"
        )
    elif report.validation.results:
        lines.append(render_text(report.validation).rstrip())
    else:
        lines.append(f"validation: {verdict(report.validation)}")
    return "\n".join(lines)


QUERY_FORMATS = [f.value for f in ResultFormat] + [f.value for f in GraphFormat]


@cli.command()
@click.argument("sparql", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the query from a file ('-' for stdin).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default=None,
    help="Output format [table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE].",
)
@store_options
def query(
    sparql: str | None,
    query_file: Path | None,
    fmt: str | None,
    store: str | None,
    base: str | None,
) -> None:
    """Run an ad-hoc SPARQL query (SPARQL, a --file, or stdin) over all named graphs."""
    text = _read_query(sparql, query_file)
    settings = settings_from(store, base)
    db = open_backend(settings)
    try:
        result = db.query(text)
    finally:
        db.close()
    emit_result(result, fmt)


def emit_result(result: QueryResult, fmt: str | None, limit: int | None = None) -> None:
    """Print a query result in the chosen format (table / Turtle by default)."""
    if result.kind is QueryKind.GRAPH:
        click.echo(render_graph(result, GraphFormat(fmt or GraphFormat.TURTLE)), nl=False)
        return
    if fmt in {f.value for f in GraphFormat}:
        raise UsageError(f"--format {fmt} is for CONSTRUCT/DESCRIBE, not {result.kind} queries")
    if limit is not None:
        result = result.model_copy(update={"rows": result.rows[:limit]})
    click.echo(render_result(result, ResultFormat(fmt or ResultFormat.TABLE)), nl=False)


def _read_query(sparql: str | None, query_file: Path | None) -> str:
    if sparql and query_file:
        raise UsageError("give the query as an argument or with --file, not both")
    if query_file is not None:
        if str(query_file) == "-":
            return sys.stdin.read()
        try:
            return query_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{query_file}: cannot read the query ({exc})") from None
    if sparql:
        return sparql
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise UsageError("no query: give it as an argument, with --file, or on stdin")


@cli.command("queries")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def list_queries(as_json: bool) -> None:
    """List the stored queries: name, title and parameters."""
    catalogue = load_catalogue()
    if as_json:
        body = [q.model_dump(exclude={"sparql", "path"}, mode="json") for q in catalogue.values()]
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for query in catalogue.values():
        params = " ".join(
            f"{name}={p.type}" + ("" if p.required else "?") for name, p in query.params.items()
        )
        click.echo(f"{query.name:<26} {query.title}" + (f"  [{params}]" if params else ""))


@cli.command()
@click.argument("name")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help='A parameter of the query (repeatable), e.g. --param person="Johan Ferret".',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default=None,
    help="Output format [table for SELECT/ASK, turtle for CONSTRUCT].",
)
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many rows.")
@store_options
def run(
    name: str,
    params: tuple[str, ...],
    fmt: str | None,
    limit: int | None,
    store: str | None,
    base: str | None,
) -> None:
    """Run the stored query NAME (see `scholarkg queries`) with typed parameters."""
    raw: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        raw[key.strip()] = value
    query = get_query(load_catalogue(), name)
    settings = settings_from(store, base)
    db = open_backend(settings)
    try:
        result = run_stored(db, query, raw, base=settings.base)
    finally:
        db.close()
    emit_result(result, fmt, limit)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@store_options
def stats(as_json: bool, store: str | None, base: str | None) -> None:
    """Count papers, people, organisations, authorships, concepts, triples and graphs."""
    settings = settings_from(store, base)
    db = open_backend(settings)
    try:
        counts = collect_stats(db)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(counts.model_dump(), indent=2))
    else:
        click.echo(f"store {counts.store}:")
        click.echo(render_stats(counts), nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the conflicts as JSON.")
@store_options
def conflicts(as_json: bool, store: str | None, base: str | None) -> None:
    """List where sources disagree about a paper they share: each source's value, and the one
    the merged view takes (most authoritative source first: arXiv feed, BibTeX, listing)."""
    settings = settings_from(store, base)
    db = open_backend(settings)
    try:
        found = find_conflicts(db, settings.base)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps([c.model_dump() for c in found], indent=2, ensure_ascii=False))
    else:
        click.echo(render_conflicts(found, settings.base), nl=False)


@cli.group()
def people() -> None:
    """One identity per person: candidates for 'same person', and the curated alias file.

    Merges come only from the alias file (data/aliases.yaml): `people candidates` lists pairs
    with their evidence, `people alias` records one, and the next build or ingest applies it
    (owl:sameAs; every authorship keeps the name as printed).
    """


def alias_file_option(help_text: str) -> Callable[[F], F]:
    """The --file option naming the alias file (--aliases, as ingest and build call it)."""
    return click.option(
        "--file",
        "--aliases",
        "alias_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_ALIAS_FILE,
        show_default=True,
        help=help_text,
    )


@people.command("candidates")
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=POSSIBLE,
    show_default=True,
    help="Show pairs scoring at least this (0.9 and up: strong; 0.5 and up: possible).",
)
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many pairs.")
@click.option("--json", "as_json", is_flag=True, help="Print the pairs and evidence as JSON.")
@alias_file_option("The alias file; pairs it already merges are marked (read if it exists).")
@store_options
def people_candidates(
    min_score: float,
    limit: int | None,
    as_json: bool,
    alias_file: Path,
    store: str | None,
    base: str | None,
) -> None:
    """List pairs of persons that may be one person, highest score first, with the evidence.

    Names must be compatible (same family name; given names equal, initials of each other or
    nicknames such as Matt / Matthew; a middle name may be missing); shared co-authors, shared
    concepts and close years add to the score, being credited on one paper rules a pair out.
    Scores are in [0, 1]: 0.9 and up is strong, 0.5 and up possible.
    """
    aliases = load_aliases(alias_file, missing_ok=True)
    settings = settings_from(store, base)
    db = open_backend(settings) if settings.endpoint else open_for_reading(settings)
    try:
        found = find_candidates(db, min_score=min_score, aliases=aliases)
    finally:
        db.close()
    found = found[:limit] if limit is not None else found
    if as_json:
        body = [candidate.model_dump(mode="json") for candidate in found]
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        click.echo(render_candidates(found, alias_file=str(alias_file)), nl=False)


@people.command("alias")
@click.argument("canonical")
@click.argument("variant")
@alias_file_option("The alias file to edit (created if missing).")
@click.option(
    "--force",
    is_flag=True,
    help="Record the pair even if the names are not forms of one name (a misspelt family "
    "name, a changed name).",
)
@click.option("--note", metavar="TEXT", help="Why the two are one person, kept in the file.")
def people_alias(
    canonical: str, variant: str, alias_file: Path, force: bool, note: str | None
) -> None:
    """Record in the alias file that VARIANT is a printed name of CANONICAL's person.

    The file is edited in place (comments kept) and written whole or not at all. Names that are
    not compatible forms of one name are refused unless --force, and so are chains (a name that
    is both canonical and a variant). The next build or ingest applies the file.
    """
    change = add_alias(alias_file, canonical, variant, force=force, note=note)
    if change.added:
        click.echo(f'recorded in {alias_file}: "{change.variant}" is "{change.canonical}"')
    else:
        click.echo(f'{alias_file} already records "{change.variant}" as "{change.canonical}"')
    click.echo(
        "the next scholarkg build or ingest applies it: re-ingest the sources that print the name"
    )


@people.command("aliases")
@alias_file_option("The alias file to read.")
@click.option("--json", "as_json", is_flag=True, help="Print the alias table as JSON.")
def people_aliases(alias_file: Path, as_json: bool) -> None:
    """List the curated aliases: each canonical name, its variants, and the line of the file."""
    table = load_aliases(alias_file)
    if as_json:
        click.echo(json.dumps(table.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(render_aliases(table), nl=False)


VALIDATION_FORMATS = ["text", "json", "turtle", "junit"]
FILES_GRAPH = "urn:scholarkg:validated-files"


def files_as_store(paths: list[Path], base: str) -> EmbeddedStore:
    """An in-memory store holding RDF files (one graph) beside the shipped vocabularies."""
    data = read_rdf_files(paths)
    db = open_store(None)
    with db.replacing_graph(IRI(FILES_GRAPH)) as writer:
        for line in data.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines():
            if line.strip():
                writer.write(line + "\n")
    load_vocabularies(db, base)
    return db


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--graph", metavar="IRI", help="Validate only the nodes of this named graph (seeing all)."
)
@click.option(
    "--shapes",
    "shapes_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Shapes graph to validate against [default: the shipped ontology/shapes.ttl].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(VALIDATION_FORMATS),
    default="text",
    help="Report as text (grouped by shape and focus node), JSON, the SHACL report graph in "
    "Turtle, or JUnit XML for CI systems.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning"]),
    default="violation",
    help="Lowest severity that makes the exit code 1.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@store_options
def validate(
    files: tuple[Path, ...],
    graph: str | None,
    shapes_file: Path | None,
    fmt: str,
    fail_on: str,
    output: Path | None,
    store: str | None,
    base: str | None,
) -> None:
    """Validate RDF FILES (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML; a folder stands
    for every such file below it), or else the store (or one --graph of it), against the SHACL
    shapes.

    Files are checked together with the shipped concept scheme they may refer to; --graph
    checks the nodes of one graph, seeing everything else the store holds. Exit code 0
    when the data conforms, 1 on a violation (or a warning, with --fail-on warning), 2 on a
    usage or input error.
    """
    settings = settings_from(store, base)
    if files and graph:
        raise UsageError("--graph selects a graph of the store: give it without FILES")
    shapes = load_shapes(shapes_file, base=settings.base)
    focus: IRI | None
    db: GraphStore
    if files:
        db = files_as_store(expand_rdf_paths(files), settings.base)
        focus = IRI(FILES_GRAPH)
    else:
        db = open_backend(settings)
        focus = IRI(graph) if graph else None
        if focus is not None and focus not in db.named_graphs():
            db.close()
            raise UsageError(f"--graph: the store has no graph <{focus}>")
    try:
        report = validate_in_store(db, shapes, focus_graph=focus)
    finally:
        db.close()
    threshold = Severity(fail_on)
    if fmt == "junit":
        rendered = render_junit(report, threshold)
    else:
        rendered = {"text": render_text, "json": render_json, "turtle": render_turtle}[fmt](report)
    if output is not None:
        write_atomically(output, rendered)
        click.echo(verdict(report), err=True)
    else:
        click.echo(rendered, nl=False)
    if report.fails(threshold):
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument(
    "data_dir",
    required=False,
    default="data",
    type=click.Path(path_type=Path, file_okay=False),
)
@store_options
def build(data_dir: Path, store: str | None, base: str | None) -> None:
    """The main job: build the knowledge graph from every source in DATA_DIR (default data/).

    Each *.txt file is read as an arXiv author listing, each *.bib as BibTeX and each *.atom as
    an arXiv API Atom feed (other files are left alone), validated and loaded into its own named
    graph, people named in DATA_DIR/aliases.yaml (if any) getting one IRI per person; then the
    whole store is validated against the shapes, summarised, and asked who the listing
    subject's most frequent co-authors are. Exit code 1 if the store does not conform.
    """
    settings = settings_from(store, base)
    files = sorted(
        p for p in data_dir.glob("*") if p.suffix.lower() in SOURCE_SUFFIXES and p.is_file()
    )
    if not files:
        raise UsageError(f"{data_dir}: no sources (*.txt, *.bib, *.atom) to build from")
    aliases = load_aliases(data_dir / DEFAULT_ALIAS_FILE.name, missing_ok=True)
    options = IngestOptions(
        base=settings.base, aliases=aliases.mapping, person_names=aliases.canonical_names
    )
    db = open_backend(settings)
    try:
        tagger = ConceptTagger.from_file()
        reports = []
        for path in files:
            reports.append(_ingest_one(path, db, options, tagger))
            click.echo(describe_ingest(reports[-1]))
        click.echo(f"\nknowledge graph in {db.location}:")
        click.echo(render_stats(collect_stats(db)), nl=False)
        checked = validate_in_store(db, load_shapes(base=settings.base))
        click.echo(f"\nvalidation of the whole store against the shapes: {verdict(checked)}")
        if checked.results:
            click.echo(render_text(checked), nl=False)
        subject = next((r.subject for r in reports if r.subject), None)
        if subject:
            question = get_query(load_catalogue(), "coauthors_of")
            answer = run_stored(db, question, {"person": subject}, base=settings.base)
            click.echo(f"\n{subject}'s most frequent co-authors (stored query coauthors_of):")
            emit_result(project(answer, ["name", "papers", "first_year", "last_year"]), None, 5)
            click.echo(
                f'more: scholarkg run coauthors_of --param person="{subject}"; '
                "scholarkg queries lists every stored question"
            )
    finally:
        db.close()
    if checked.fails(Severity.violation):
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option(
    "--read-only/--enable-update",
    default=True,
    show_default=True,
    help="Refuse SPARQL updates (403), or take them with the bearer token in "
    "SCHOLARKG_UPDATE_TOKEN (never on the command line).",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query or update may run before it is stopped (503).",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows (or triples) a result may have; longer ones are cut, with a header saying so.",
)
@click.option(
    "--max-body",
    default=1_048_576,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body in bytes (413 past it).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow cross-origin requests from this origin ('*' for any); repeatable. Off by default.",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let queries use SERVICE and updates LOAD (the server then fetches URLs for clients).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Query worker processes (queries run in parallel up to this many).",
)
@store_options
def serve(
    host: str,
    port: int,
    read_only: bool,
    timeout: float,
    max_rows: int,
    max_body: int,
    cors_origins: tuple[str, ...],
    allow_service: bool,
    workers: int,
    store: str | None,
    base: str | None,
) -> None:
    """Serve the store: SPARQL 1.1 endpoint at /sparql, stored queries at /queries, the API
    document at /openapi.json and the browser UI at /."""
    import uvicorn  # noqa: PLC0415  (only this command needs the server stack)

    from scholarkg.server.app import ServerOptions, create_app  # noqa: PLC0415

    settings = settings_from(store, base)
    if settings.endpoint:
        raise UsageError(
            "scholarkg serve serves the embedded store; a SPARQL server serves itself: point "
            "clients at its endpoint"
        )
    if settings.store == MEMORY:
        raise UsageError("scholarkg serve needs a store on disk, not ':memory:'")
    folder = Path(settings.store)
    if not folder.is_dir():
        raise UsageError(f"no store at {folder}: build one first (scholarkg build)")
    # taken out of the environment, so the worker processes (and /proc/PID/environ) lack it
    token = os.environ.pop("SCHOLARKG_UPDATE_TOKEN", None) or None
    if not read_only and not token:
        raise UsageError("--enable-update needs a bearer token in SCHOLARKG_UPDATE_TOKEN")
    options = ServerOptions(
        store=folder,
        base=settings.base,
        update_token=None if read_only else token,
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        cors_origins=cors_origins,
        allow_service=allow_service,
        workers=workers,
    )
    click.echo(f"serving {folder} at http://{host}:{port}/ (SPARQL endpoint /sparql)", err=True)
    uvicorn.run(create_app(options), host=host, port=port, log_level="warning")


EXPORT_FORMATS = [f.value for f in ExportFormat]


@contextlib.contextmanager
def writing_to(target: Path | None) -> Iterator[None]:
    """Turn a failure to write (a full disk, a closed pipe) into a message and an exit code."""
    try:
        yield
    except BrokenPipeError:
        # the reader of stdout went away (``| head``): stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise click.exceptions.Exit(1) from None
    except OSError as exc:
        where = target if target is not None else "stdout"
        raise ScholarkgError(f"{where}: cannot write ({exc.strerror or exc})") from None


class StageProgress:
    """The stage a long command is at, on a terminal's stderr; silent when it is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, stage: str) -> None:
        if self.enabled:
            click.echo(f"\r\x1b[K{self.label}: {stage}", nl=False, err=True)
            self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    help="ttl, nt or rdfxml (the union of the graphs), nq, trig or jsonld (the named graphs) "
    "[default: from the --output file name].",
)
@click.option("--graph", metavar="IRI", help="Export only this named graph.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (whole or not at all) instead of stdout; a name ending in .gz "
    "compresses.",
)
@click.option("--gzip", "compress", is_flag=True, help="Compress with gzip (reproducibly).")
@store_options
def export(
    fmt: str | None,
    graph: str | None,
    output: Path | None,
    compress: bool,
    store: str | None,
    base: str | None,
) -> None:
    """Dump the store (or one --graph) as RDF: the same store gives the same bytes every run.

    Statements are sorted, prefixes fixed and blank nodes labelled canonically, so dumps diff
    well; JSON-LD is compact with the context of ontology/context.jsonld.
    """
    guessed = format_for_path(output) if output is not None else None
    if fmt is None and guessed is None:
        raise UsageError(f"--format: choose one of {', '.join(EXPORT_FORMATS)}")
    chosen = ExportFormat(fmt) if fmt else guessed[0]  # type: ignore[index]
    compress = compress or (guessed is not None and guessed[1])
    stdout = sys.stdout.buffer
    if output is None and compress and stdout.isatty():
        raise UsageError("--gzip writes binary data: redirect it or give --output FILE")
    db = open_for_reading(settings_from(store, base))
    progress = StageProgress("export")
    try:
        with writing_to(output):
            if output is not None:
                report = export_to_file(
                    db, chosen, output, graph=graph, compress=compress, progress=progress
                )
            elif compress:
                with gzipped(stdout) as stream:
                    report = export_store(db, chosen, stream, graph=graph, progress=progress)
            else:
                report = export_store(db, chosen, stdout, graph=graph, progress=progress)
    finally:
        progress.close()
        db.close()
    if output is not None:
        kind = "quads" if chosen.keeps_graphs and graph is None else "triples"
        click.echo(f"wrote {report.statements:,} {kind} to {output}", err=True)


DESCRIPTION_FORMATS = [ExportFormat.TURTLE, ExportFormat.NTRIPLES, ExportFormat.JSONLD]
DESCRIPTION_FORMATS += [ExportFormat.RDFXML]


def dataset_options(func: F) -> F:
    """The options that say what a dataset description cannot learn from the store."""
    func = click.option(
        "--title",
        default=DEFAULT_TITLE,
        show_default=True,
        help="The dataset's title (dcterms:title).",
    )(func)
    func = click.option(
        "--license",
        "license_iri",
        metavar="IRI",
        envvar="SCHOLARKG_LICENSE",
        default=DEFAULT_LICENSE,
        show_default=True,
        help="The data's licence [env SCHOLARKG_LICENSE; default CC0 1.0, the licence of "
        "arXiv's metadata].",
    )(func)
    return click.option(
        "--endpoint",
        metavar="URL",
        help="The SPARQL endpoint serving the data (void:sparqlEndpoint, a dcat:DataService).",
    )(func)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in DESCRIPTION_FORMATS]),
    default=ExportFormat.TURTLE.value,
    show_default=True,
    help="RDF syntax of the description.",
)
@click.option(
    "--dump",
    "dump_urls",
    multiple=True,
    metavar="URL",
    help="A URL where a dump can be downloaded, its syntax known by its name "
    "(.nq, .ttl.gz, .jsonld...); repeatable.",
)
@dataset_options
@store_options
def describe(
    fmt: str,
    dump_urls: tuple[str, ...],
    endpoint: str | None,
    license_iri: str,
    title: str,
    store: str | None,
    base: str | None,
) -> None:
    """Print the VoID and DCAT description of the store, computed from what it holds: triples,
    entities per class, triples per property, named graphs, vocabularies, licence, dumps."""
    dumps = []
    for url in dump_urls:
        guessed = format_for_path(Path(url.rstrip("/").rsplit("/", 1)[-1]))
        if guessed is None:
            raise UsageError(f"--dump {url}: unknown syntax; name it .nq, .ttl, .jsonld... (.gz)")
        dumps.append(Dump(url=url, media_type=guessed[0].media_type, compressed=guessed[1]))
    settings = settings_from(store, base)
    db = open_for_reading(settings)
    try:
        description = describe_dataset(
            db,
            base=settings.base,
            endpoint_url=endpoint,
            dumps=dumps,
            license_iri=license_iri,
            title=title,
        )
    finally:
        db.close()
    click.echo(serialize_graph(description, ExportFormat(fmt)).decode("utf-8"), nl=False)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--version",
    "version",
    help="The release's version [default: the data's latest date and a digest of the data].",
)
@click.option(
    "--download-url",
    metavar="URL",
    help="Where the bundle will be published; the description links the dumps under it "
    "[default: <base>release/<version>/].",
)
@click.option("--overwrite", is_flag=True, help="Replace FOLDER if it is not empty.")
@dataset_options
@store_options
def release(
    folder: Path,
    version: str | None,
    download_url: str | None,
    overwrite: bool,
    endpoint: str | None,
    license_iri: str,
    title: str,
    store: str | None,
    base: str | None,
) -> None:
    """Write a release bundle to FOLDER: dumps (N-Quads, Turtle, JSON-LD), the VoID/DCAT
    description, the validation report, the ontology, shapes and concept scheme, and SHA256SUMS.

    The same store gives the same bytes. The bundle is built beside FOLDER and moved into place
    when complete. A store that violates the shapes is not released (exit code 1).
    """
    settings = settings_from(store, base)
    options = ReleaseOptions(
        base=settings.base,
        version=version,
        download_url=download_url,
        license_iri=license_iri,
        title=title,
        endpoint_url=endpoint,
    )
    db = open_for_reading(settings)
    progress = StageProgress("release")
    try:
        with writing_to(folder):
            report = build_release(db, folder, options, overwrite=overwrite, progress=progress)
    finally:
        progress.close()
        db.close()
    click.echo(f"release {report.version} in {report.path}: {len(report.files)} files")
    click.echo(f"validation: {report.validation}")
    click.echo(f"check it: (cd {report.path} && sha256sum -c SHA256SUMS)")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; scholarkg's own errors become a message and their exit code."""
    try:
        # without standalone mode, click returns the code of ctx.exit() / Exit instead of raising
        code = cli.main(args=argv, prog_name="scholarkg", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except NotConformingError as exc:
        click.echo(exc.report_text, err=True, nl=False)
        click.echo(f"error: {exc.message}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except ScholarkgError as exc:
        click.echo(f"error: {exc.message}", err=True)
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Release bundles: a folder with everything needed to publish the store, byte for byte the same
for the same store.

A bundle holds

    dataset.nq.gz        every named graph (N-Quads)
    dataset.ttl.gz       the union of the graphs (Turtle)
    dataset.jsonld.gz    every named graph (JSON-LD, compact with ontology/context.jsonld)
    void.ttl             the VoID and DCAT description of the dataset and of the dumps
    validation.ttl       the SHACL validation report of the store (and validation.txt)
    ontology/            the ontology, shapes, concept scheme, JSON-LD context, VoID shapes
    README.md            what is where, and how to check it
    SHA256SUMS           the SHA-256 of every other file (``sha256sum -c SHA256SUMS``)

Nothing in it depends on the clock or the machine: dumps are deterministic (see
``scholarkg.export``), gzip headers carry no name and no time, the description's date is derived
from the data, and the version defaults to that date and a digest of the data. The bundle is
built in a hidden folder beside its destination and renamed into place only when it is complete:
a failed or interrupted release leaves no bundle, and the next release removes what a killed one
left (or puts the previous bundle back, if it was killed while swapping them). A store that
violates the shapes is not released.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

import rdflib

from scholarkg import __version__
from scholarkg.errors import NotConformingError, UsageError
from scholarkg.export import ExportFormat, export_store, gzipped, serialize_graph
from scholarkg.formats import remove_paths, stale_leftovers, temporary_name
from scholarkg.pipeline import validate_in_store
from scholarkg.records import Record
from scholarkg.reports import Severity, render_text, verdict
from scholarkg.resources import ontology_dir
from scholarkg.shapes import load_shapes
from scholarkg.store import EmbeddedStore
from scholarkg.void import (
    DEFAULT_LICENSE,
    DEFAULT_TITLE,
    VOID_SHAPES_FILE,
    Dump,
    describe_dataset,
    latest_date,
    validate_description,
)

DUMPS = (
    ("dataset.nq.gz", ExportFormat.NQUADS),
    ("dataset.ttl.gz", ExportFormat.TURTLE),
    ("dataset.jsonld.gz", ExportFormat.JSONLD),
)
VOCABULARY_FILES = (
    "scholarkg.ttl",
    "shapes.ttl",
    "concepts.ttl",
    "arxiv-categories.ttl",
    "context.jsonld",
    VOID_SHAPES_FILE,
)
CHECKSUMS = "SHA256SUMS"
Progress = Callable[[str], None]


class ReleaseOptions(Record):
    """What a release says about itself beyond what the store holds."""

    base: str
    version: str | None = None
    download_url: str | None = None
    license_iri: str = DEFAULT_LICENSE
    title: str = DEFAULT_TITLE
    endpoint_url: str | None = None


class ReleaseReport(Record):
    """What a release wrote."""

    path: str
    version: str
    download_url: str
    files: tuple[str, ...]
    validation: str


class _Digesting:
    """A binary stream that hashes what passes through it on the way to another."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.inner.write(data)

    def flush(self) -> None:
        self.inner.flush()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _readme(version: str, download_url: str) -> str:
    return f"""# scholarkg dataset, release {version}

Made by scholarkg {__version__}; to be published at <{download_url}>.

| file | what |
| --- | --- |
| `dataset.nq.gz` | every named graph of the store, N-Quads, sorted |
| `dataset.ttl.gz` | the union of the graphs, Turtle |
| `dataset.jsonld.gz` | every named graph, JSON-LD with the context `ontology/context.jsonld` |
| `void.ttl` | VoID and DCAT description: counts, classes, properties, graphs, licence, dumps |
| `validation.ttl`, `validation.txt` | the data's SHACL validation report (`ontology/shapes.ttl`) |
| `ontology/` | ontology, shapes, concept and arXiv category schemes, JSON-LD context |
| `SHA256SUMS` | SHA-256 of every other file |

Check the files with `sha256sum -c SHA256SUMS` in this folder.
"""


def _write_dumps(store: EmbeddedStore, staging: Path, progress: Progress) -> str:
    """Write the dumps; the SHA-256 of the N-Quads dump's content (uncompressed)."""
    content_digest = ""
    for name, fmt in DUMPS:
        progress(f"writing {name}")
        with (staging / name).open("wb") as handle, gzipped(handle) as compressed:
            tee = _Digesting(compressed)
            export_store(store, fmt, cast(BinaryIO, tee), work_dir=staging)
        if fmt is ExportFormat.NQUADS:
            content_digest = tee.digest.hexdigest()
    return content_digest


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_tree(folder: Path) -> None:
    """Flush every file and folder of a tree to disk."""
    for path in sorted(folder.rglob("*")):
        _fsync(path)
    _fsync(folder)


def _check_destination(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise UsageError(f"{folder}: not empty; choose a new folder or pass --overwrite")


def _recover(folder: Path) -> None:
    """Undo what a killed release left beside ``folder``: put back the previous bundle if it
    was moved aside and the new one did not take its place, and remove partial bundles."""
    olds = stale_leftovers(folder.parent, f".{folder.name}.", ".old")
    if olds and not folder.exists():
        olds.pop().rename(folder)  # only one release at a time moves a bundle aside
    remove_paths([*olds, *stale_leftovers(folder.parent, f".{folder.name}.", ".partial")])


def _move_into_place(staging: Path, folder: Path) -> None:
    if folder.is_dir() and any(folder.iterdir()):
        old = temporary_name(folder, ".old")
        folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(folder)  # onto nothing, or onto an empty folder
    _fsync(folder.parent)


def _silent(stage: str) -> None:
    del stage


def build_release(
    store: EmbeddedStore,
    folder: Path,
    options: ReleaseOptions,
    *,
    overwrite: bool = False,
    progress: Progress = _silent,
) -> ReleaseReport:
    """Write a release bundle of the store to ``folder``, whole or not at all; ``progress``
    hears each stage. What a killed release left beside ``folder`` is undone first."""
    _recover(folder)
    _check_destination(folder, overwrite)
    progress("validating the store")
    report = validate_in_store(store, load_shapes(base=options.base))
    if report.fails(Severity.violation):
        raise NotConformingError(
            f"the store violates the shapes ({verdict(report)}); nothing was released",
            render_text(report),
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_name(folder, ".partial")
    staging.mkdir()
    try:
        digest = _write_dumps(store, staging, progress)
        version = options.version or f"{latest_date(store) or 'undated'}-{digest[:8]}"
        download = options.download_url or f"{options.base}release/{version}/"
        download += "" if download.endswith("/") else "/"
        dumps = [
            Dump(
                url=download + name,
                media_type=fmt.media_type,
                compressed=True,
                byte_size=(staging / name).stat().st_size,
            )
            for name, fmt in DUMPS
        ]
        progress("describing the dataset")
        description = describe_dataset(
            store,
            base=options.base,
            endpoint_url=options.endpoint_url,
            dumps=dumps,
            license_iri=options.license_iri,
            title=options.title,
            version=version,
        )
        checked = validate_description(description)
        if checked.fails(Severity.violation):
            raise NotConformingError(
                "the generated dataset description violates ontology/void-shapes.ttl "
                "(a scholarkg bug: please report it); nothing was released",
                render_text(checked),
            )
        _write(staging / "void.ttl", serialize_graph(description, ExportFormat.TURTLE))
        shacl = rdflib.Graph().parse(data=report.report_turtle, format="turtle")
        _write(staging / "validation.ttl", serialize_graph(shacl, ExportFormat.TURTLE))
        _write(staging / "validation.txt", render_text(report).encode("utf-8"))
        for name in VOCABULARY_FILES:
            _write(staging / "ontology" / name, (ontology_dir() / name).read_bytes())
        _write(staging / "README.md", _readme(version, download).encode("utf-8"))
        sums = "".join(
            f"{_sha256(p)}  {p.relative_to(staging).as_posix()}\n" for p in _files(staging)
        )
        _write(staging / CHECKSUMS, sums.encode("utf-8"))
        files = tuple(p.relative_to(staging).as_posix() for p in _files(staging))
        _sync_tree(staging)
        _move_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ReleaseReport(
        path=str(folder),
        version=version,
        download_url=download,
        files=files,
        validation=verdict(report),
    )

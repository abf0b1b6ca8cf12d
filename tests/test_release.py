"""Release bundles: reproducible bytes, checksums that verify, whole or absent; and the README's
"Export and release" commands."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import DCAT, VOID

from scholarkg import release
from scholarkg.cli import main
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import NotConformingError, UsageError
from scholarkg.export import ExportFormat, export_store
from scholarkg.release import ReleaseOptions, ReleaseReport, build_release
from scholarkg.resources import ontology_dir
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.vocab import DEFAULT_BASE
from scholarkg.void import DCAT_VERSION, validate_description

from .conftest import LISTING, ROOT, ingest

FILES = [
    "README.md",
    "SHA256SUMS",
    "dataset.jsonld.gz",
    "dataset.nq.gz",
    "dataset.ttl.gz",
    "ontology/arxiv-categories.ttl",
    "ontology/concepts.ttl",
    "ontology/context.jsonld",
    "ontology/scholarkg.ttl",
    "ontology/shapes.ttl",
    "ontology/void-shapes.ttl",
    "validation.ttl",
    "validation.txt",
    "void.ttl",
]
DATASET = URIRef(DEFAULT_BASE + "dataset")


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def bundle(
    ferret_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ReleaseReport]:
    folder = tmp_path_factory.mktemp("release") / "scholarkg"
    report = build_release(ferret_store, folder, ReleaseOptions(base=DEFAULT_BASE))
    return folder, report


def test_bundle_holds_what_it_should(bundle: tuple[Path, ReleaseReport]) -> None:
    folder, report = bundle
    assert list(files_of(folder)) == FILES
    assert list(report.files) == FILES
    assert [p.name for p in folder.parent.iterdir()] == ["scholarkg"]  # nothing left beside


def test_same_store_same_bytes(
    bundle: tuple[Path, ReleaseReport], ferret_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder, report = bundle
    again = build_release(ferret_store, tmp_path / "again", ReleaseOptions(base=DEFAULT_BASE))
    assert again.version == report.version
    assert files_of(tmp_path / "again") == files_of(folder)


def test_same_bytes_from_the_store_on_disk(
    bundle: tuple[Path, ReleaseReport], ferret_store_dir: Path, tmp_path: Path
) -> None:
    store = EmbeddedStore.read_only(ferret_store_dir)
    try:
        build_release(store, tmp_path / "disk", ReleaseOptions(base=DEFAULT_BASE))
    finally:
        store.close()
    assert files_of(tmp_path / "disk") == files_of(bundle[0])


def test_checksums_verify(bundle: tuple[Path, ReleaseReport]) -> None:
    folder, _ = bundle
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert sorted(listed) == [f for f in FILES if f != "SHA256SUMS"]
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils' sha256sum not found")
def test_sha256sum_checks_the_bundle(bundle: tuple[Path, ReleaseReport]) -> None:
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=bundle[0],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(FILES) - 1


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("dataset.nq.gz", ExportFormat.NQUADS),
        ("dataset.ttl.gz", ExportFormat.TURTLE),
        ("dataset.jsonld.gz", ExportFormat.JSONLD),
    ],
)
def test_dumps_are_the_exports(
    bundle: tuple[Path, ReleaseReport], ferret_store: EmbeddedStore, name: str, fmt: ExportFormat
) -> None:
    buffer = io.BytesIO()
    export_store(ferret_store, fmt, buffer)
    assert gzip.decompress((bundle[0] / name).read_bytes()) == buffer.getvalue()


def test_version_is_the_data_date_and_digest(
    bundle: tuple[Path, ReleaseReport], ferret_store: EmbeddedStore
) -> None:
    _, report = bundle
    buffer = io.BytesIO()
    export_store(ferret_store, ExportFormat.NQUADS, buffer)
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    assert report.version == f"2025-07-22-{digest[:8]}"  # the listing's latest date
    assert report.download_url == f"{DEFAULT_BASE}release/{report.version}/"


def test_description_describes_the_bundle(bundle: tuple[Path, ReleaseReport]) -> None:
    folder, report = bundle
    graph = rdflib.Graph().parse(folder / "void.ttl", format="turtle")
    checked = validate_description(graph)
    assert checked.conforms and not checked.results
    assert graph.value(DATASET, DCAT_VERSION) == Literal(report.version)
    dumps = {str(u) for u in graph.objects(DATASET, VOID.dataDump)}
    names = ["dataset.nq.gz", "dataset.ttl.gz", "dataset.jsonld.gz"]
    assert dumps == {report.download_url + name for name in names}
    for name in names:
        distribution = graph.value(None, DCAT.downloadURL, URIRef(report.download_url + name))
        size = (folder / name).stat().st_size
        assert graph.value(distribution, DCAT.byteSize) == Literal(
            size, datatype=XSD.nonNegativeInteger
        )


def test_vocabularies_and_report_are_shipped(bundle: tuple[Path, ReleaseReport]) -> None:
    folder, report = bundle
    for name in release.VOCABULARY_FILES:
        assert (folder / "ontology" / name).read_bytes() == (ontology_dir() / name).read_bytes()
    shacl = rdflib.Graph().parse(folder / "validation.ttl", format="turtle")
    assert Literal(True) in set(shacl.objects(None, rdflib.SH.conforms))
    assert (folder / "validation.txt").read_text().startswith("Conforms")
    assert report.validation.startswith("Conforms")


# --- whole or absent ----------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_release_leaves_nothing(
    ferret_store: EmbeddedStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(release, "describe_dataset", fail)
    with pytest.raises(type(error)):
        build_release(ferret_store, tmp_path / "out", ReleaseOptions(base=DEFAULT_BASE))
    assert list(tmp_path.iterdir()) == []


def test_a_full_folder_is_kept_unless_overwrite(
    ferret_store: EmbeddedStore, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    options = ReleaseOptions(base=DEFAULT_BASE, version="1.0.0")
    with pytest.raises(UsageError, match="not empty"):
        build_release(ferret_store, folder, options)
    assert list(files_of(folder)) == ["mine.txt"]
    report = build_release(ferret_store, folder, options, overwrite=True)
    assert report.version == "1.0.0"
    assert list(files_of(folder)) == FILES
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_store_that_violates_the_shapes_is_not_released(
    tmp_path: Path, tagger: ConceptTagger
) -> None:
    store = open_store(None)
    try:
        ingest(store, LISTING, tagger)
        store.update(
            "INSERT DATA { GRAPH <urn:bad> { "
            f"<{DEFAULT_BASE}paper/title/untitled> a <https://w3id.org/scholarkg/ontology#Paper> "
            "} }"
        )
        with pytest.raises(NotConformingError, match="violates the shapes"):
            build_release(store, tmp_path / "out", ReleaseOptions(base=DEFAULT_BASE))
    finally:
        store.close()
    assert list(tmp_path.iterdir()) == []


# --- command line and README --------------------------------------------------------------------


def test_cli_release(
    ferret_store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "v1"
    argv = ["release", str(folder), "--store", str(ferret_store_dir), "--version", "1.0.0"]
    url = "https://example.org/scholarkg/1.0.0"
    assert main([*argv, "--download-url", url]) == 0
    out = capsys.readouterr().out
    assert f"release 1.0.0 in {folder}: 14 files" in out
    assert "sha256sum -c SHA256SUMS" in out
    graph = rdflib.Graph().parse(folder / "void.ttl", format="turtle")
    assert URIRef(url + "/dataset.nq.gz") in set(graph.objects(DATASET, VOID.dataDump))
    assert main(argv) == 2
    assert "not empty" in capsys.readouterr().err


def readme_section(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", body, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_export_and_release_commands_run(ferret_store_dir: Path, tmp_path: Path) -> None:
    commands = readme_section("Export and release")
    assert any(c.startswith("scholarkg release") for c in commands)
    env = {**os.environ, "SCHOLARKG_STORE": str(ferret_store_dir)}
    for command in commands:
        done = subprocess.run(
            shlex.split(command),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr.decode()}"

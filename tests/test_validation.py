"""Validation as a gate: ingest refuses violations, the validate command reports and exits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib

from scholarkg.cli import main
from scholarkg.errors import NotConformingError
from scholarkg.store import open_store

from .conftest import LISTING, ingest

INVALID = Path(__file__).parent / "data" / "invalid"
VALID = Path(__file__).parent / "data" / "valid"
EXAMPLE = INVALID / "authorship-author-missing.ttl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def before_arxiv(tmp_path: Path) -> Path:
    """The listing with one paper dated before arXiv opened: it parses, but violates a shape."""
    text = LISTING.read_text(encoding="utf-8").replace(
        "Submitted 22 December, 2020;\noriginally announced December 2020.",
        "Submitted 22 December, 1980;\noriginally announced December 1980.",
    )
    path = tmp_path / "arxiv-listing-ferret.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_refuses_a_violation_and_loads_nothing(tmp_path: Path, tagger: object) -> None:
    store = open_store(tmp_path / "kg")
    ingest(store, LISTING, tagger)  # type: ignore[arg-type]
    before = len(store)
    with pytest.raises(NotConformingError, match="nothing was loaded") as caught:
        ingest(store, before_arxiv(tmp_path), tagger, validate_data=True)  # type: ignore[arg-type]
    assert "1980-12-22" in caught.value.report_text
    assert "self-imitation-advantage-learning" in caught.value.report_text
    assert len(store) == before
    store.close()


def test_cli_ingest_prints_the_report_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "ingest", str(before_arxiv(tmp_path)), "--store", str(tmp_path / "kg")
    )
    assert code == 1
    assert "Violation" in err
    assert "1980-12-22" in err
    assert "error:" in err and "nothing was loaded" in err
    code, out, _ = run(capsys, "stats", "--json", "--store", str(tmp_path / "kg"))
    assert json.loads(out)["papers"] == 0


def test_cli_no_validate_says_so_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "ingest",
        str(before_arxiv(tmp_path)),
        "--no-validate",
        "--store",
        str(tmp_path / "kg"),
    )
    assert code == 0
    assert "WARNING: validation skipped (--no-validate)" in out
    code, out, _ = run(capsys, "validate", "--store", str(tmp_path / "kg"))
    assert code == 1  # the store now holds data that does not conform, and validate says so
    assert "1980-12-22" in out


def test_the_shipped_listing_conforms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "kg")
    code, out, _ = run(capsys, "ingest", str(LISTING), "--store", store)
    assert code == 0
    assert "validation: Conforms: 0 violations" in out
    code, out, _ = run(capsys, "validate", "--store", store)
    assert (code, out.strip().splitlines()[-1]) == (0, "Conforms: 0 violations, 0 warnings")
    graph = "https://w3id.org/scholarkg/id/graph/arxiv-listing-ferret"
    code, out, _ = run(capsys, "validate", "--graph", graph, "--store", store)
    # the graph's own nodes are checked, the concepts they refer to seen in the union
    assert (code, out.strip().splitlines()[-1]) == (0, "Conforms: 0 violations, 0 warnings")
    code, _, err = run(capsys, "validate", "--graph", graph + "x", "--store", store)
    assert code == 2
    assert "the store has no graph" in err


def test_validate_files_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = rdflib.Graph().parse(EXAMPLE, format="turtle")
    for suffix, syntax in [(".nt", "nt"), (".jsonld", "json-ld"), (".rdf", "xml")]:
        path = tmp_path / f"example{suffix}"
        graph.serialize(path, format=syntax, encoding="utf-8")
        code, out, _ = run(capsys, "validate", str(path))
        assert code == 1, suffix
        assert "An authorship needs exactly one skg:author" in out
    nquads = tmp_path / "example.nq"
    nquads.write_text(
        "".join(f"{s.n3()} {p.n3()} {o.n3()} <https://example.org/g> .\n" for s, p, o in graph),
        encoding="utf-8",
    )
    code, _, _ = run(capsys, "validate", str(nquads))
    assert code == 1
    code, out, _ = run(capsys, "validate", str(VALID / "paper.ttl"))
    assert code == 0, out


def test_report_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(EXAMPLE), "--format", "json")
    body = json.loads(out)
    assert code == 1
    assert body["conforms"] is False
    code, out, _ = run(capsys, "validate", str(EXAMPLE), "--format", "turtle")
    report = rdflib.Graph().parse(data=out, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert len(list(report.subjects(rdflib.RDF.type, sh.ValidationResult))) == 1
    junit = tmp_path / "report.xml"
    code, _, err = run(capsys, "validate", str(EXAMPLE), "--format", "junit", "-o", str(junit))
    assert code == 1
    assert "Does not conform" in err
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"


def test_fail_on_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warning = INVALID / "paper-abstract-missing.ttl"  # a Warning, no Violation
    code, _, _ = run(capsys, "validate", str(warning))
    assert code == 0
    code, _, _ = run(capsys, "validate", str(warning), "--fail-on", "warning")
    assert code == 1


def test_custom_shapes_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass <https://w3id.org/scholarkg/ontology#Paper> ;\n"
        '  sh:property [ sh:path <urn:p> ; sh:minCount 1 ; sh:message "needs urn:p" ] .\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", str(VALID / "paper.ttl"), "--shapes", str(shapes))
    assert code == 1
    assert "needs urn:p" in out
    code, _, err = run(capsys, "validate", str(tmp_path / "data.csv"))
    assert code == 2
    assert "unknown RDF file extension" in err
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(broken))
    assert code == 2
    assert "broken.ttl: not valid turtle" in err


def test_shapes_the_sparql_engine_cannot_compile_fall_back_to_pyshacl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shapes = tmp_path / "closed.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass <https://w3id.org/scholarkg/ontology#Venue> ;\n"
        "  sh:closed true ; sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns"
        "#type> ) .\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", str(VALID / "paper.ttl"), "--shapes", str(shapes))
    assert code == 1  # foaf:name and foaf:homepage are not allowed by the closed shape
    assert "http://xmlns.com/foaf/0.1/name" in out or "foaf:name" in out

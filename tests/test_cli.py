"""The command line: help texts, exit codes, output formats, and the README's examples."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from scholarkg.cli import cli, main

from .conftest import LISTING, ROOT

README = ROOT / "README.md"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    location = str(tmp_path / "kg")
    code, _, err = run(capsys, "ingest", str(LISTING), "--store", location)
    assert code == 0, err
    return location


def test_every_command_and_option_has_help() -> None:
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert command.help, f"command {name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"option {param.opts} of {name} has no help"


@pytest.mark.parametrize("command", ["build", "ingest", "query", "stats"])
def test_help_exits_zero(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"Usage: scholarkg {command}" in out


def test_ingest_reports_detected_subject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ingest", str(LISTING), "--store", str(tmp_path / "kg"))
    assert code == 0
    assert "26 papers" in out
    assert "listing subject: Johan Ferret (detected" in out


def test_stats_json(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", "--json", "--store", store)
    assert code == 0
    stats = json.loads(out)
    assert stats["papers"] == 26
    assert stats["organizations"] == 2
    # 378 author slots shown: 9 lists cut at 25 plus the complete lists, counted by hand
    assert stats["authorships"] == 9 * 25 + (
        7 + 8 + 7 + 20 + 20 + 10 + 12 + 7 + 7 + 11 + 19 + 4 + 4 + 5 + 5 + 3 + 4
    )
    assert stats["sources"] == 1
    assert stats["named_graphs"] == 3


def test_malformed_listing_exit_2_store_unchanged(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before, _ = run(capsys, "stats", "--json", "--store", store)
    broken = tmp_path / "arxiv-listing-ferret.txt"
    text = LISTING.read_text(encoding="utf-8")
    broken.write_text(text.replace("Abstract:\nSelf-imitation", "Abstrakt:\nSelf-imitation"))
    code, _, err = run(capsys, "ingest", str(broken), "--store", store)
    assert code == 2
    assert re.search(r"arxiv-listing-ferret\.txt:\d+: expected 'Abstract:' after the authors", err)
    _, after, _ = run(capsys, "stats", "--json", "--store", store)
    assert after == before


def test_lenient_skips_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "listing.txt"
    text = LISTING.read_text(encoding="utf-8")
    broken.write_text(text.replace("Submitted 16 March, 2022;", "Submitted 16 Marchy, 2022;"))
    code, out, _ = run(capsys, "ingest", str(broken), "--lenient", "--store", str(tmp_path / "kg"))
    assert code == 0
    assert "25 papers" in out
    assert f"skipped {broken}:539: unknown month 'Marchy'" in out


def test_query_formats(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    sparql = (
        "PREFIX skg: <https://w3id.org/scholarkg/ontology#> "
        "SELECT ?n (COUNT(?p) AS ?papers) { ?p skg:hiddenAuthorCount ?h BIND(?h > 0 AS ?n) } "
        "GROUP BY ?n ORDER BY ?n"
    )
    code, out, _ = run(capsys, "query", sparql, "--format", "csv", "--store", store)
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [["n", "papers"], ["false", "17"], ["true", "9"]]
    _, out, _ = run(capsys, "query", sparql, "--format", "json", "--store", store)
    assert json.loads(out) == [{"n": False, "papers": 17}, {"n": True, "papers": 9}]
    _, out, _ = run(capsys, "query", sparql, "--format", "tsv", "--store", store)
    assert out.splitlines()[0] == "?n\t?papers"
    assert out.splitlines()[2] == (
        '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>\t'
        '"9"^^<http://www.w3.org/2001/XMLSchema#integer>'
    )
    _, out, _ = run(capsys, "query", sparql, "--format", "sparql-json", "--store", store)
    assert json.loads(out)["head"]["vars"] == ["n", "papers"]
    _, out, _ = run(capsys, "query", sparql, "--store", store)
    assert out.splitlines()[-1] == "(2 rows)"


def test_query_from_file_and_construct(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "q.rq"
    query.write_text(
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        "CONSTRUCT { ?o foaf:name ?n } WHERE { ?o a <https://w3id.org/scholarkg/ontology#"
        "Organization> ; foaf:name ?n }"
    )
    code, out, _ = run(capsys, "query", "--file", str(query), "--format", "nt", "--store", store)
    assert code == 0
    assert out.splitlines() == [
        "<https://w3id.org/scholarkg/id/org/gemini-team> <http://xmlns.com/foaf/0.1/name> "
        '"Gemini Team" .',
        "<https://w3id.org/scholarkg/id/org/gemma-team> <http://xmlns.com/foaf/0.1/name> "
        '"Gemma Team" .',
    ]


def test_query_errors(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query", "SELECT WHERE {", "--store", store)
    assert code == 1
    assert "does not parse" in err
    code, _, err = run(capsys, "query", "ASK {}", "--format", "turtle", "--store", store)
    assert code == 2
    code, _, err = run(capsys, "stats", "--base", "not an iri")
    assert code == 2
    assert "base IRI" in err


def test_source_id_needs_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ingest", str(LISTING), str(LISTING), "--source-id", "x")
    assert code == 2
    assert "--source-id" in err


def readme_commands(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", body, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_quick_start_has_two_commands() -> None:
    commands = readme_commands("Quick start")
    assert len(commands) == 2
    assert "scholarkg build" in commands[0]
    assert "pytest" in commands[1]


def test_readme_examples_run(tmp_path: Path) -> None:
    """Every command of README's "Using it" runs in a copy of the checkout and succeeds."""
    work = tmp_path / "checkout"
    for part in ["data", "examples", "tests/data/valid"]:
        shutil.copytree(ROOT / part, work / part)
    env = {**os.environ, "SCHOLARKG_STORE": str(tmp_path / "kg")}
    commands = readme_commands("Using it")
    assert commands
    outputs = []
    for command in commands:
        done = subprocess.run(
            shlex.split(command),
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        outputs.append(done.stdout)
    assert "listing subject: Johan Ferret" in outputs[0]
    assert "papers        26" in outputs[1]
    assert outputs[2].splitlines()[2].strip() == "26"
    # by hand: "Alexandre Ramé" 8 times plus "Alexandre Rame" once, Léonard Hussenot 9 times,
    # Nino Vieillard and Olivier Pietquin 8 times each
    assert outputs[3].splitlines()[:5] == [
        "coauthor,papers",
        "Alexandre Ramé,9",
        "Léonard Hussenot,9",
        "Nino Vieillard,8",
        "Olivier Pietquin,8",
    ]
    assert "coauthors_of" in outputs[4]
    assert outputs[5].splitlines()[2].split()[1:4] == ["Alexandre", "Ramé", "9"]
    assert len(outputs[6].splitlines()) == 27  # a header and Johan Ferret's 26 papers
    assert outputs[7].strip().endswith("Conforms: 0 violations, 0 warnings")
    assert (work / "shacl-report.xml").exists()

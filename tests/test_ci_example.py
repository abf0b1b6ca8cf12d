"""The CI workflow shipped for users runs as written: its scholarkg commands pass on valid RDF
and fail on a shape violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import rdflib
import yaml

from .conftest import ROOT

WORKFLOW = ROOT / "examples" / "ci" / "validate-rdf.yml"
DATA = Path(__file__).parent / "data"


def scholarkg_steps() -> list[tuple[str, str]]:
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    steps = jobs["shacl"]["steps"]
    return [(s["name"], s["run"]) for s in steps if "scholarkg validate" in s.get("run", "")]


def run_steps(repo: Path) -> list[int]:
    env = {**os.environ, "RDF_DIR": "data"}
    return [
        subprocess.run(
            ["bash", "-e", "-c", command],
            cwd=repo,
            env=env,
            capture_output=True,
            check=False,
            timeout=300,
        ).returncode
        for _, command in scholarkg_steps()
    ]


def test_workflow_validates_a_repository(tmp_path: Path) -> None:
    assert [name for name, _ in scholarkg_steps()] == [
        "Validate against the scholarkg shapes",
        "Show what is wrong",
    ]
    repo = tmp_path / "repo"
    (repo / "data" / "nested").mkdir(parents=True)
    shutil.copy(DATA / "valid" / "paper.ttl", repo / "data" / "paper.ttl")
    same_as_nt = rdflib.Graph().parse(DATA / "valid" / "paper.ttl", format="turtle")
    same_as_nt.serialize(repo / "data" / "nested" / "paper.nt", format="nt", encoding="utf-8")
    assert run_steps(repo) == [0, 0]
    report = ET.parse(repo / "shacl-report.xml").getroot()
    assert report.get("failures") == "0"

    shutil.copy(DATA / "invalid" / "paper-abstract-whitespace.ttl", repo / "data" / "bad.ttl")
    assert run_steps(repo) == [1, 1]
    report = ET.parse(repo / "shacl-report.xml").getroot()
    assert int(report.get("failures") or 0) >= 1

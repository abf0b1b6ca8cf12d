"""Exports: deterministic bytes, round trips through independent parsers, readable JSON-LD.

Writers: Oxigraph writes N-Triples, N-Quads, Turtle, TriG and RDF/XML; PyLD compacts the JSON-LD.
Every dump is read back by at least two other implementations (rdflib and raptor's ``rapper`` for
the Oxigraph-written syntaxes; rdflib and Oxigraph for JSON-LD, and PyLD's own expansion) and
must be isomorphic to what the store holds: graph by graph for quad formats, the union of the
graphs for triple formats.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from scholarkg import canonical, export
from scholarkg.cli import main
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import InputError, UsageError
from scholarkg.export import ExportFormat, export_store, export_to_file, format_for_path
from scholarkg.jsonld import CONTEXT_IRI, expand_document, load_context, offline_loader, to_nquads
from scholarkg.resources import ontology_dir
from scholarkg.store import EmbeddedStore, open_store
from scholarkg.vocab import DEFAULT_BASE, SKG

from .conftest import LISTING, ingest

LISTING_GRAPH = DEFAULT_BASE + "graph/arxiv-listing-ferret"
ACME = DEFAULT_BASE + "paper/title/acme-a-research-framework-for-distributed-reinforcement-learning"
GEMINI_25 = (
    DEFAULT_BASE + "paper/title/gemini-2-5-pushing-the-frontier-with-advanced-reasoning-"
    "multimodality-long-context-and-next-generation-agentic-capabilities"
)
RAPPER = shutil.which("rapper")
RAPPER_SYNTAX = {
    ExportFormat.TURTLE: "turtle",
    ExportFormat.NTRIPLES: "ntriples",
    ExportFormat.NQUADS: "nquads",
    ExportFormat.TRIG: "trig",
    ExportFormat.RDFXML: "rdfxml",
}
RDFLIB_SYNTAX = {
    ExportFormat.TURTLE: "turtle",
    ExportFormat.NTRIPLES: "nt",
    ExportFormat.NQUADS: "nquads",
    ExportFormat.TRIG: "trig",
    ExportFormat.JSONLD: "json-ld",
    ExportFormat.RDFXML: "xml",
}
OXIGRAPH_SYNTAX = {
    ExportFormat.TURTLE: ox.RdfFormat.TURTLE,
    ExportFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
    ExportFormat.NQUADS: ox.RdfFormat.N_QUADS,
    ExportFormat.TRIG: ox.RdfFormat.TRIG,
    ExportFormat.JSONLD: ox.RdfFormat.JSON_LD,
    ExportFormat.RDFXML: ox.RdfFormat.RDF_XML,
}
Graphs = dict[str, rdflib.Graph]


def dump(store: EmbeddedStore, fmt: ExportFormat, graph: str | None = None) -> bytes:
    buffer = io.BytesIO()
    export_store(store, fmt, buffer, graph=graph)
    return buffer.getvalue()


def dataset_graphs(data: str | bytes, syntax: str = "nquads") -> Graphs:
    """Named graphs of an RDF dataset text, as rdflib graphs (the default graph under '')."""
    dataset = rdflib.Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's quad parsers
        dataset.parse(data=data, format=syntax)
    out: Graphs = {}
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = "" if g is None or g == DATASET_DEFAULT_GRAPH_ID else str(g)
        out.setdefault(name, rdflib.Graph()).add((s, p, o))
    return out


def union(graphs: Graphs) -> rdflib.Graph:
    out = rdflib.Graph()
    for graph in graphs.values():
        out += graph
    return out


@pytest.fixture(scope="module")
def expected(ferret_store: EmbeddedStore) -> Graphs:
    """What the store holds, graph by graph, read by rdflib from Oxigraph's own dump."""
    return dataset_graphs(ferret_store.dump_nquads().decode("utf-8"))


@pytest.fixture(scope="module")
def dumps(ferret_store: EmbeddedStore) -> dict[ExportFormat, bytes]:
    return {fmt: dump(ferret_store, fmt) for fmt in ExportFormat}


def same_content(fmt: ExportFormat, got: Graphs, expected: Graphs) -> None:
    if fmt.keeps_graphs:
        assert sorted(got) == sorted(expected)
        for name, graph in expected.items():
            assert isomorphic(got[name], graph), name
    else:
        assert list(got) == [""]
        assert isomorphic(got[""], union(expected))


# --- deterministic ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_same_store_same_bytes(
    fmt: ExportFormat, ferret_store: EmbeddedStore, dumps: dict[ExportFormat, bytes]
) -> None:
    assert dump(ferret_store, fmt) == dumps[fmt]


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_same_content_in_another_store_same_bytes(
    fmt: ExportFormat, ferret_store_dir: Path, dumps: dict[ExportFormat, bytes]
) -> None:
    """The on-disk store gave its blank nodes other internal ids: the labels are canonical."""
    store = EmbeddedStore.read_only(ferret_store_dir)
    try:
        assert dump(store, fmt) == dumps[fmt]
    finally:
        store.close()


def test_ntriples_are_sorted_and_distinct(dumps: dict[ExportFormat, bytes]) -> None:
    lines = dumps[ExportFormat.NTRIPLES].decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == sorted(set(lines[:-1]), key=lambda line: line.encode("utf-8"))


def test_nquads_are_grouped_by_graph_in_name_order(dumps: dict[ExportFormat, bytes]) -> None:
    graphs = [line.rsplit(" ", 2)[1] for line in dumps[ExportFormat.NQUADS].decode().splitlines()]
    order = list(dict.fromkeys(graphs))
    assert order == sorted(order)
    assert len(order) == 3


def test_blank_nodes_get_canonical_labels(dumps: dict[ExportFormat, bytes]) -> None:
    """The ontology's OWL lists and unions are blank nodes: 26 statements, labels _:c14n<i>."""
    lines = [line for line in dumps[ExportFormat.NTRIPLES].decode().splitlines() if "_:" in line]
    assert len(lines) == 26
    labels = {word for line in lines for word in line.split() if word.startswith("_:")}
    assert labels == {f"_:c14n{i}" for i in range(len(labels))}


def test_sort_spills_to_disk_with_the_same_result(
    ferret_store: EmbeddedStore, dumps: dict[ExportFormat, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canonical, "CHUNK_LINES", 97)
    monkeypatch.setattr(export, "JSONLD_BATCH_LINES", 50)
    assert dump(ferret_store, ExportFormat.NQUADS) == dumps[ExportFormat.NQUADS]
    assert dump(ferret_store, ExportFormat.JSONLD) == dumps[ExportFormat.JSONLD]


def test_union_holds_each_triple_once(tmp_path: Path, tagger: ConceptTagger) -> None:
    """Two sources naming the same people: their foaf:name triples are in both graphs."""
    store = open_store(None)
    try:
        ingest(store, LISTING, tagger, source_id="a")
        ingest(store, LISTING, tagger, source_id="b")
        lines = dump(store, ExportFormat.NTRIPLES).decode().splitlines()
        distinct = store.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT * { ?s ?p ?o } }")
        assert len(lines) == len(set(lines)) == int(distinct.rows[0][0].lexical)  # type: ignore[union-attr]
        assert len(lines) < len(store)
        assert len(dump(store, ExportFormat.NQUADS).splitlines()) == len(store)
    finally:
        store.close()


# --- round trips through independent parsers ---------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_rdflib_reads_back_the_store(
    fmt: ExportFormat, dumps: dict[ExportFormat, bytes], expected: Graphs
) -> None:
    if fmt.keeps_graphs:
        got = dataset_graphs(dumps[fmt], RDFLIB_SYNTAX[fmt])
    else:
        graph = rdflib.Graph().parse(data=dumps[fmt], format=RDFLIB_SYNTAX[fmt])
        got = {"": graph}
    same_content(fmt, got, expected)


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_oxigraph_reads_back_the_store(
    fmt: ExportFormat, dumps: dict[ExportFormat, bytes], expected: Graphs
) -> None:
    quads = ox.parse(dumps[fmt], format=OXIGRAPH_SYNTAX[fmt])
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    same_content(fmt, dataset_graphs(text.decode("utf-8")), expected)


@pytest.mark.parametrize("fmt", sorted(RAPPER_SYNTAX))
@pytest.mark.skipif(
    RAPPER is None,
    reason="raptor's rapper is not installed (Debian: apt-get install raptor2-utils)",
)
def test_rapper_reads_back_the_store(
    fmt: ExportFormat, dumps: dict[ExportFormat, bytes], expected: Graphs, tmp_path: Path
) -> None:
    path = tmp_path / f"dump{fmt.extension}"
    path.write_bytes(dumps[fmt])
    done = subprocess.run(
        [str(RAPPER), "-q", "-i", RAPPER_SYNTAX[fmt], "-o", "nquads", str(path)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    same_content(fmt, dataset_graphs(done.stdout.decode("utf-8")), expected)


def test_pyld_expands_the_jsonld_to_exactly_the_graphs(
    dumps: dict[ExportFormat, bytes], expected: Graphs
) -> None:
    document = json.loads(dumps[ExportFormat.JSONLD])
    same_content(ExportFormat.JSONLD, dataset_graphs(to_nquads(document)), expected)


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_unicode_names_and_multi_paragraph_abstracts_survive(
    fmt: ExportFormat, dumps: dict[ExportFormat, bytes]
) -> None:
    """By hand: Acme's abstract has two paragraphs; "Piotr Stańczyk" and "Léonard Hussenot"
    are printed with their accents."""
    quads = list(ox.parse(dumps[fmt], format=OXIGRAPH_SYNTAX[fmt]))
    names = {q.object.value for q in quads if q.predicate.value == SKG + "nameAsWritten"}
    assert {"Piotr Stańczyk", "Léonard Hussenot"} <= names
    abstracts = [
        q.object.value
        for q in quads
        if q.subject.value == ACME and q.predicate.value == "http://purl.org/dc/terms/abstract"
    ]
    assert len(abstracts) == 1
    assert len(abstracts[0].split("\n")) == 2
    assert abstracts[0].startswith("Deep reinforcement learning (RL) has led to many")


def test_one_graph(ferret_store: EmbeddedStore, expected: Graphs) -> None:
    text = dump(ferret_store, ExportFormat.NTRIPLES, graph=LISTING_GRAPH).decode()
    assert isomorphic(rdflib.Graph().parse(data=text, format="nt"), expected[LISTING_GRAPH])
    quads = dump(ferret_store, ExportFormat.NQUADS, graph=LISTING_GRAPH).decode().splitlines()
    assert {line.rsplit(" ", 2)[1] for line in quads} == {f"<{LISTING_GRAPH}>"}


def test_unknown_graph_is_a_usage_error(ferret_store: EmbeddedStore) -> None:
    with pytest.raises(UsageError, match="no graph <urn:nope>"):
        dump(ferret_store, ExportFormat.TURTLE, graph="urn:nope")


# --- readable JSON-LD ---------------------------------------------------------------------------


def jsonld_nodes(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["@graph"]:
        if "@graph" in item:
            yield from item["@graph"]
        else:
            yield item


def node(document: dict[str, Any], iri: str) -> dict[str, Any]:
    return next(n for n in jsonld_nodes(document) if n.get("id") == iri)


def test_jsonld_papers_read_as_plain_json(dumps: dict[ExportFormat, bytes]) -> None:
    document = json.loads(dumps[ExportFormat.JSONLD])
    assert document["@context"] == load_context()
    paper = node(document, ACME)
    assert paper["type"] == "Paper"
    assert paper["title"] == "Acme: A Research Framework for Distributed Reinforcement Learning"
    # by hand: ", et al. (14 additional authors not shown)"
    assert paper["authorListComplete"] is False
    assert paper["hiddenAuthorCount"] == 14
    # by hand: "Submitted 20 September, 2022; v1 submitted 1 June, 2020;", announced June 2020
    assert paper["firstSubmitted"] == "2020-06-01"
    assert paper["lastSubmitted"] == "2022-09-20"
    assert paper["announced"] == "2020-06"
    assert [v["submitted"] for v in paper["versions"]] == ["2020-06-01", "2022-09-20"]
    assert paper["versions"][0]["versionNumber"] == 1
    stanczyk = [a for a in paper["authorships"] if a["nameAsWritten"] == "Piotr Stańczyk"]
    assert stanczyk[0]["author"] == DEFAULT_BASE + "person/piotr-stanczyk"
    assert all(isinstance(c, str) for c in paper["concepts"])


def test_jsonld_author_lists_are_in_order(dumps: dict[ExportFormat, bytes]) -> None:
    """Gemini 2.5 shows 25 authors (3284 more hidden): positions 1..25, not 1, 10, 11, ..."""
    paper = node(json.loads(dumps[ExportFormat.JSONLD]), GEMINI_25)
    positions = [a["position"] for a in paper["authorships"]]
    assert positions == list(range(1, 26))
    assert paper["authorships"][0]["nameAsWritten"] == "Gheorghe Comanici"
    assert paper["authorships"][-1]["nameAsWritten"] == "Eric Chu"
    assert paper["hiddenAuthorCount"] == 3284
    assert paper["authorListComplete"] is False


def test_jsonld_listing_nodes_use_only_short_keys(dumps: dict[ExportFormat, bytes]) -> None:
    document = json.loads(dumps[ExportFormat.JSONLD])
    terms = set(load_context())
    listing = next(g for g in document["@graph"] if g.get("id") == LISTING_GRAPH)

    def keys(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    used = set(keys(listing["@graph"]))
    assert used <= terms, used - terms
    assert {"title", "abstract", "authorships", "position", "name", "creators"} <= used


def test_jsonld_embeds_each_authorship_once(dumps: dict[ExportFormat, bytes]) -> None:
    document = json.loads(dumps[ExportFormat.JSONLD])
    listing = next(g for g in document["@graph"] if g.get("id") == LISTING_GRAPH)["@graph"]
    top = [n["id"] for n in listing]
    assert not any("/authorship/" in iri or "/version/" in iri for iri in top)
    slots = [a for n in listing for a in n.get("authorships", [])]
    assert len(slots) == len({a["id"] for a in slots}) == 378  # author lines of the listing


# --- the context ------------------------------------------------------------------------------


def test_context_is_served_offline_and_nothing_else_is_fetched() -> None:
    assert offline_loader(CONTEXT_IRI)["document"] == json.loads(
        (ontology_dir() / "context.jsonld").read_text(encoding="utf-8")
    )
    by_reference = {"@context": CONTEXT_IRI, "id": ACME, "title": "Acme"}
    assert expand_document(by_reference) == [
        {"@id": ACME, "http://purl.org/dc/terms/title": [{"@value": "Acme"}]}
    ]
    with pytest.raises(InputError, match="not fetching"):
        expand_document({"@context": "https://example.org/context.jsonld", "x": 1})


def test_context_has_a_term_for_every_ontology_property() -> None:
    ontology = rdflib.Graph().parse(ontology_dir() / "scholarkg.ttl")
    owl = rdflib.OWL
    properties = {
        str(p)
        for kind in (owl.ObjectProperty, owl.DatatypeProperty)
        for p in ontology.subjects(rdflib.RDF.type, kind)
    }
    context = load_context()
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v[-1] in "#/"}

    def expand(curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else curie

    mapped = {
        expand(v if isinstance(v, str) else v["@id"]): v
        for k, v in context.items()
        if not k.startswith("@") and k not in prefixes and k not in {"id", "type"}
    }
    assert properties <= set(mapped), properties - set(mapped)
    for prop in properties:
        declared = ontology.value(rdflib.URIRef(prop), rdflib.RDFS.range)
        definition = mapped[prop]
        if isinstance(declared, rdflib.URIRef) and str(declared).endswith(("#date", "YearMonth")):
            assert expand(definition["@type"]) == str(declared), prop
        if (rdflib.URIRef(prop), rdflib.RDF.type, owl.ObjectProperty) in ontology:
            assert definition["@type"] == "@id", prop


# --- files, gzip, command line ----------------------------------------------------------------


def test_gzip_is_reproducible_and_names_nothing(
    ferret_store: EmbeddedStore, dumps: dict[ExportFormat, bytes], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.ttl.gz", tmp_path / "b.ttl.gz"
    export_to_file(ferret_store, ExportFormat.TURTLE, first, compress=True)
    export_to_file(ferret_store, ExportFormat.TURTLE, second, compress=True)
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data[3] == 0  # flags: no file name, no comment
    assert data[4:8] == b"\0\0\0\0"  # modification time
    assert gzip.decompress(data) == dumps[ExportFormat.TURTLE]


def test_failed_export_leaves_no_file(
    ferret_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "dump.nt"
    target.write_text("the previous dump\n")

    def half_then_fail(lines: Iterator[bytes], output: io.BufferedIOBase) -> int:
        output.write(next(iter(lines)))
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "_write_lines", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        export_to_file(ferret_store, ExportFormat.NTRIPLES, target)
    assert target.read_text() == "the previous dump\n"
    with pytest.raises(KeyboardInterrupt):
        export_to_file(ferret_store, ExportFormat.NTRIPLES, tmp_path / "new.nt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.nt"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dump.nq.gz", (ExportFormat.NQUADS, True)),
        ("dump.ttl", (ExportFormat.TURTLE, False)),
        ("DUMP.JSONLD", (ExportFormat.JSONLD, False)),
        ("dump.rdf", (ExportFormat.RDFXML, False)),
        ("dump.trig.gz", (ExportFormat.TRIG, True)),
        ("dump.txt", None),
    ],
)
def test_format_for_path(name: str, expected: tuple[ExportFormat, bool] | None) -> None:
    assert format_for_path(Path(name)) == expected


def test_cli_export_to_stdout_and_to_files(
    ferret_store_dir: Path,
    dumps: dict[ExportFormat, bytes],
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    store = ["--store", str(ferret_store_dir)]
    assert main(["export", "--format", "trig", *store]) == 0
    assert capsysbinary.readouterr().out == dumps[ExportFormat.TRIG]
    target = tmp_path / "kg.jsonld.gz"
    assert main(["export", "-o", str(target), *store]) == 0
    assert b"wrote 4,545 quads" in capsysbinary.readouterr().err
    assert gzip.decompress(target.read_bytes()) == dumps[ExportFormat.JSONLD]
    assert main(["export", "--format", "nt", "--gzip", "-o", str(tmp_path / "x"), *store]) == 0
    assert gzip.decompress((tmp_path / "x").read_bytes()) == dumps[ExportFormat.NTRIPLES]


def test_cli_export_usage_errors(
    ferret_store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(ferret_store_dir)]
    assert main(["export", *store]) == 2
    assert "--format: choose one of ttl, nt, nq, trig, jsonld, rdfxml" in capsys.readouterr().err
    assert main(["export", "--format", "nt", "--graph", "urn:nope", *store]) == 2
    assert "no graph <urn:nope>" in capsys.readouterr().err
    assert main(["export", "--format", "nt", "--store", str(tmp_path / "none")]) == 2
    assert "no store at" in capsys.readouterr().err


def test_export_tells_its_stages(ferret_store: EmbeddedStore) -> None:
    stages: list[str] = []
    export_store(ferret_store, ExportFormat.TURTLE, io.BytesIO(), progress=stages.append)
    assert stages == [
        "reading the default graph",
        f"reading <{DEFAULT_BASE}graph/arxiv-listing-ferret>",
        f"reading <{DEFAULT_BASE}graph/concepts>",
        f"reading <{DEFAULT_BASE}graph/ontology>",
        "writing ttl",
    ]


def test_cli_export_reports_a_failed_write(
    ferret_store_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_lines", full_disk)
    target = tmp_path / "dump.nt"
    assert main(["export", "-o", str(target), "--store", str(ferret_store_dir)]) == 2
    assert f"{target}: cannot write (No space left on device)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []

"""Concurrent use: 16 clients query a real ``scholarkg serve`` while a writer replaces a source
in a loop, for a bounded time.

Every answer must be the answer on the old data or on the new data (both measured on the
server at rest before the run), and the one a reader may see given the writes it overlapped: a
query sent after a write was acknowledged sees that write (or a later one). The only errors
allowed are the documented back-pressure answers (503 busy or past the time limit, 429), each
in the JSON error shape. Nothing is lost: every write is acknowledged and the store ends in the
state of the last one. Latency is measured (``LoadReport``) but not asserted here: the figures
are the benchmark's (``benchmarks/bench_reliability_load.py``).

Writes reach the served store through the server, as they must (its worker processes hold the
store), in two ways: a SPARQL Update with the bearer token that drops the source's graph and
inserts the other version in one request; or a whole ``scholarkg ingest`` of the listing's
version through the remote backend pointed at the server itself (validated locally, many
updates into staging graphs, one final update that moves them into place).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from scholarkg.cli import main as cli_main
from scholarkg.store import EmbeddedStore
from scholarkg.terms import IRI
from scholarkg.vocab import DEFAULT_BASE
from tests.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT / "data" / "arxiv-listing-ferret.txt"
SOURCE = "arxiv-listing-ferret"
GRAPH = f"{DEFAULT_BASE}graph/{SOURCE}"
TOKEN = "concurrency-test-token"
CLIENTS = 16
CI_SECONDS = 20.0
BACK_PRESSURE = {429, 503}
SKG = "PREFIX skg: <https://w3id.org/scholarkg/ontology#> "
DCT = "PREFIX dcterms: <http://purl.org/dc/terms/> "
#: what clients ask: (name, method and path, form fields or None for GET with params)
QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "papers": (
        "/sparql",
        {"query": SKG + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a skg:Paper }"},
    ),
    "titles": (
        "/sparql",
        {"query": SKG + DCT + "SELECT ?t WHERE { ?p a skg:Paper ; dcterms:title ?t } ORDER BY ?t"},
    ),
    "triples": ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}),
    "graph": (
        "/sparql",
        {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
    ),
    "coauthors": ("/queries/coauthors_of", {"person": "Johan Ferret", "format": "csv"}),
}


def changed_listing(target: Path) -> Path:
    """The shipped listing without its first entry and with one title changed."""
    lines = LISTING.read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(lines) if line == "-"]
    lines = lines[starts[1] :]
    lines[1] = lines[1] + " (revised)"
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def source_versions(folder: Path) -> tuple[Path, dict[str, bytes]]:
    """A store holding the listing (the old version), and the source graph's N-Triples in its
    old and its new version, each from an embedded ingest."""
    changed = changed_listing(folder / "changed.txt")
    versions: dict[str, bytes] = {}
    served = folder / "served-store"
    for name, source in (("old", LISTING), ("new", changed)):
        store = served if name == "old" else folder / "new-store"
        shutil.rmtree(store, ignore_errors=True)
        argv = ["ingest", str(source), "--source-id", SOURCE, "--store", str(store)]
        assert cli_main(argv) == 0
        db = EmbeddedStore(store)
        try:
            versions[name] = db.dump_ntriples(IRI(GRAPH))
        finally:
            db.close()
    assert versions["old"] != versions["new"]
    return served, versions


def replacing_update(ntriples: bytes) -> str:
    """One update that replaces the source's graph by these triples."""
    body = ntriples.decode("utf-8")
    return f"DROP SILENT GRAPH <{GRAPH}> ;\nINSERT DATA {{ GRAPH <{GRAPH}> {{\n{body}}} }}"


def ask(client: httpx.Client, name: str) -> httpx.Response:
    """Send one of the clients' questions."""
    path, fields = QUERIES[name]
    if path == "/sparql":
        return client.post(path, data=fields, headers={"Accept": "text/csv"})
    return client.get(path, params=fields)


@dataclass(frozen=True)
class Write:
    """One write: when it was sent and acknowledged, and the version it made current."""

    started: float
    ended: float
    version: str
    status: int


@dataclass
class LoadReport:
    """What a load run saw."""

    seconds: float = 0.0
    requests: int = 0
    answered: int = 0
    back_pressure: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    inconsistent: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)  # answers by the version they match
    final_ok: bool = False

    def percentile(self, q: float) -> float:
        """The q-th percentile of the latencies, in milliseconds."""
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        cuts = statistics.quantiles(self.latencies, n=1000, method="inclusive")
        return 1000 * cuts[min(len(cuts) - 1, round(q * 10) - 1)]

    def figures(self) -> dict[str, object]:
        """The run's figures, for a table or JSON."""
        failed_writes = sum(1 for w in self.writes if w.status >= 300)
        return {
            "seconds": round(self.seconds, 1),
            "clients": CLIENTS,
            "requests": self.requests,
            "answered": self.answered,
            "back_pressure": dict(self.back_pressure),
            "errors": dict(self.errors),
            "inconsistent": len(self.inconsistent),
            "answers_old": self.seen["old"],
            "answers_new": self.seen["new"],
            "writes": len(self.writes),
            "failed_writes": failed_writes,
            "final_state_ok": self.final_ok,
            "throughput_rps": round(self.answered / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
        }


def allowed_versions(writes: list[Write], started: float, ended: float, first: str) -> set[str]:
    """The versions a query sent at ``started`` and answered at ``ended`` may see: the last one
    acknowledged before it was sent, and any written while it ran."""
    allowed = {first}
    for write in writes:
        if write.status >= 300:
            continue
        if write.ended <= started:
            allowed = {write.version}
    allowed |= {
        w.version for w in writes if w.status < 300 and w.started < ended and w.ended > started
    }
    return allowed


def measure(url: str) -> dict[str, bytes]:
    """The answer to every question, the server at rest."""
    with httpx.Client(base_url=url, timeout=60) as client:
        answers = {}
        for name in QUERIES:
            response = ask(client, name)
            assert response.status_code == 200, response.text
            answers[name] = response.content
    return answers


Writer = Callable[[str], int]


def _kind(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def run_load(
    url: str,
    expected: dict[str, dict[str, bytes]],
    write: Writer,
    seconds: float,
    clients: int = CLIENTS,
) -> LoadReport:
    """``clients`` threads ask questions in turn while ``write`` alternates the versions, for
    ``seconds``; each answer checked against the versions it may see."""
    report = LoadReport()
    lock = threading.Lock()
    observed: list[tuple[str, float, float, bytes]] = []
    stop = threading.Event()
    names = list(QUERIES)

    def client_loop(index: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            turn = index
            while not stop.is_set():
                name = names[turn % len(names)]
                turn += 1
                started = time.monotonic()
                try:
                    response = ask(client, name)
                except httpx.HTTPError as exc:
                    with lock:
                        report.requests += 1
                        report.errors[f"transport: {type(exc).__name__}"] += 1
                    continue
                ended = time.monotonic()
                with lock:
                    report.requests += 1
                    report.latencies.append(ended - started)
                    if response.status_code == 200:
                        report.answered += 1
                        observed.append((name, started, ended, response.content))
                    elif response.status_code in BACK_PRESSURE and _error_shape(response):
                        report.back_pressure[response.status_code] += 1
                    else:
                        kind = _kind(response)
                        report.errors[f"HTTP {response.status_code} {kind}".strip()] += 1

    def writer_loop() -> None:
        version = "old"
        while not stop.is_set():
            version = "new" if version == "old" else "old"
            started = time.monotonic()
            status = write(version)
            report.writes.append(Write(started, time.monotonic(), version, status))

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    writer = threading.Thread(target=writer_loop)
    began = time.monotonic()
    for thread in [*threads, writer]:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in [*threads, writer]:
        thread.join()
    report.seconds = time.monotonic() - began
    for name, started, ended, body in observed:
        allowed = allowed_versions(report.writes, started, ended, "old")
        seen = [v for v in ("old", "new") if body == expected[v][name]] or ["neither"]
        report.seen[seen[0]] += 1
        if seen[0] not in allowed:
            report.inconsistent.append(f"{name}: saw {seen[0]}, allowed {sorted(allowed)}")
    last = next((w.version for w in reversed(report.writes) if w.status < 300), "old")
    report.final_ok = measure(url) == expected[last]
    return report


#: the documented back-pressure answers: every worker busy, or the time limit reached
BACK_PRESSURE_KINDS = {"busy", "query-timeout"}


def _error_shape(response: httpx.Response) -> bool:
    """A documented back-pressure answer in the JSON error shape (a 503 of another kind, such
    as a store that could not be read, is an error)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("status") == response.status_code
        and (response.status_code == 429 or body.get("error") in BACK_PRESSURE_KINDS)
    )


def update_writer(url: str, versions: dict[str, bytes]) -> Writer:
    """Writes by SPARQL Update through the server, with its token."""
    texts = {name: replacing_update(data).encode("utf-8") for name, data in versions.items()}

    def write(version: str) -> int:
        headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, timeout=120) as client:
            return client.post("/sparql", content=texts[version], headers=headers).status_code

    return write


def ingest_writer(url: str, listings: dict[str, Path]) -> Writer:
    """Writes by ``scholarkg ingest`` through the remote backend, pointed at the server itself
    (its update endpoint, with its token): 204 when the ingest succeeded, else 500."""
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415
    from scholarkg.remote import Credentials, Endpoints, RemoteStore  # noqa: PLC0415

    options = IngestOptions(base=DEFAULT_BASE, source_id=SOURCE)

    def write(version: str) -> int:
        remote = RemoteStore(
            Endpoints(query=f"{url}/sparql", update=f"{url}/sparql"),
            DEFAULT_BASE,
            credentials=Credentials(scheme="bearer", token=TOKEN),
        )
        try:
            ingest_listing(listings[version], remote, options)
        except Exception:  # a failed write, counted as such by the load report
            return 500
        finally:
            remote.close()
        return 204

    return write


@contextlib.contextmanager
def served(
    folder: Path, *, workers: int = 2, writer: str = "update"
) -> Iterator[tuple[str, dict[str, dict[str, bytes]], Writer]]:
    """A server taking updates over the old version of the source; the answers on the old and
    on the new version (measured on it at rest); a writer that makes a version current, by one
    SPARQL Update ("update") or by a remote ingest of the listing's version ("ingest")."""
    store, versions = source_versions(folder)
    listings = {"old": LISTING, "new": folder / "changed.txt"}
    server = LiveServer(
        store,
        "--enable-update",
        "--max-body",
        str(16 * 1024 * 1024),
        "--workers",
        str(workers),
        env={"SCHOLARKG_UPDATE_TOKEN": TOKEN},
    )
    try:
        if writer == "ingest":
            write = ingest_writer(server.url, listings)
        else:
            write = update_writer(server.url, versions)
        expected = {"old": measure(server.url)}
        assert write("new") == 204
        expected["new"] = measure(server.url)
        assert write("old") == 204
        assert measure(server.url) == expected["old"]
        assert all(expected["old"][q] != expected["new"][q] for q in QUERIES)
        yield server.url, expected, write
    finally:
        server.stop()


@pytest.mark.parametrize("writer", ["update", "ingest"])
def test_clients_see_the_old_or_the_new_data_while_a_source_is_replaced(
    tmp_path: Path, writer: str
) -> None:
    """The source is replaced by one SPARQL Update at a time, or by whole ``scholarkg ingest``
    runs through the remote backend (many updates each, staging graphs, one final MOVE)."""
    seconds = float(os.environ.get("SCHOLARKG_LOAD_SECONDS", CI_SECONDS))
    with served(tmp_path, writer=writer) as (url, expected, write):
        report = run_load(url, expected, write, seconds)
    figures = report.figures()
    print(figures)  # shown with -s; the benchmark reports them
    assert report.answered > CLIENTS  # the clients were served
    assert len(report.writes) >= 2 and figures["failed_writes"] == 0  # every write taken
    assert report.errors == Counter(), report.errors
    assert report.inconsistent == [], report.inconsistent[:10]
    assert report.final_ok  # the last write is what the store holds: nothing lost
    assert report.seen["old"] > 0 and report.seen["new"] > 0  # the writes were seen


def test_a_remote_ingest_into_scholarkg_serve_stays_unseen_until_it_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remote backend pointed at scholarkg's own server: it writes the new source in many
    small updates, each its own snapshot, into graphs its index marks as staging; clients that
    query the server's default graph (no dataset of their own) never see them."""
    import scholarkg.remote  # noqa: PLC0415
    from scholarkg.pipeline import IngestOptions, ingest_listing  # noqa: PLC0415
    from scholarkg.remote import Credentials, Endpoints, RemoteStore  # noqa: PLC0415

    monkeypatch.setattr(scholarkg.remote, "INSERT_CHUNK_TRIPLES", 200)
    store = tmp_path / "store"
    assert cli_main(["ingest", "--store", str(store), str(LISTING)]) == 0
    count = {"query": SKG + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
    accept = {"Accept": "application/sparql-results+json"}
    server = LiveServer(store, "--enable-update", env={"SCHOLARKG_UPDATE_TOKEN": TOKEN})
    remote = RemoteStore(
        Endpoints(query=f"{server.url}/sparql", update=f"{server.url}/sparql"),
        DEFAULT_BASE,
        credentials=Credentials(scheme="bearer", token=TOKEN),
    )
    seen: list[int] = []
    answers: list[tuple[int, int | None]] = []  # (status, count) from the clients alongside
    done = threading.Event()

    def look(entries: int) -> None:
        answer = httpx.post(f"{server.url}/sparql", data=count, headers=accept, timeout=30)
        seen.append(int(answer.json()["results"]["bindings"][0]["n"]["value"]))

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            while not done.is_set():
                answer = http.post(f"{server.url}/sparql", data=count, headers=accept)
                value = None
                if answer.status_code == 200:
                    value = int(answer.json()["results"]["bindings"][0]["n"]["value"])
                answers.append((answer.status_code, value))

    clients = [threading.Thread(target=client) for _ in range(4)]
    try:
        look(0)
        before = seen[0]
        for thread in clients:
            thread.start()
        options = IngestOptions(validate_data=False, base=DEFAULT_BASE, source_id="copy")
        ingest_listing(LISTING, remote, options, progress=look)
        look(0)
    finally:
        done.set()
        for thread in clients:
            thread.join()
        remote.close()
        server.stop()
    assert len(seen) == 28  # before, after each of the 26 entries, after
    assert set(seen[:-1]) == {before}, seen  # nothing of the ingest until its commit
    assert seen[-1] > before  # then all of it
    # each of the many small updates is a snapshot the readers move to: none vanished under
    # a client (a snapshot was once removed while a task was on its way to it: 503)
    assert len(answers) > 20
    assert {status for status, _ in answers} == {200}
    assert {value for _, value in answers} <= {before, seen[-1]}

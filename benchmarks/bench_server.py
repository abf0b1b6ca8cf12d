"""Load benchmark of ``scholarkg serve`` against Oxigraph's own server on the same store.

Both servers read the same RocksDB folder read-only (``oxigraph serve-read-only
--union-default-graph``, the same engine without scholarkg's worker processes, time limit and row
cap), and answer the same SPARQL texts; their answers are compared first. Then ``--clients``
threads each send requests back to back for ``--duration`` seconds, cycling through the query
mix, against one server after the other. Reported: requests, errors, requests per second,
median and 99th-percentile latency, and scholarkg's ratios to Oxigraph. The stored-query API
(``/queries/coauthors_of``) is measured too, with no baseline (Oxigraph has none).

    pip install oxigraph                      # the baseline server, a Rust binary from PyPI
    python benchmarks/bench_server.py         # the shipped listing, 16 clients, 10 s each
    python benchmarks/bench_server.py --size 10000 --clients 16 --duration 20

The load generator runs on the same machine (2 cores here), so figures are lower than a remote
client would see; both servers get the same generator. Results also go to
``benchmarks/out/server.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench_queries import build_store
from generate_listing import SUBJECT
from scholarkg.iris import IriMinter
from scholarkg.pipeline import IngestOptions, ingest_listing
from scholarkg.store import open_store
from scholarkg.vocab import DEFAULT_BASE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
LISTING = ROOT / "data" / "arxiv-listing-ferret.txt"
PREFIXES = """PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""


def mix(person: str) -> dict[str, str]:
    """The query mix: a count, an aggregation over one person, a per-year histogram, a lookup."""
    return {
        "count_papers": PREFIXES + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a skg:Paper }",
        "coauthors": PREFIXES
        + "SELECT ?other (COUNT(?p) AS ?n) WHERE { ?p dcterms:creator <"
        + person
        + "> , ?other FILTER(?other != <"
        + person
        + ">) } GROUP BY ?other ORDER BY DESC(?n) ?other LIMIT 20",
        "papers_per_year": PREFIXES
        + "SELECT ?y (COUNT(?p) AS ?n) WHERE { ?p skg:firstSubmitted ?d BIND(YEAR(?d) AS ?y) }"
        " GROUP BY ?y ORDER BY ?y",
        "names": PREFIXES + "SELECT ?name WHERE { <" + person + "> foaf:name ?name }",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process on a free loopback port."""

    def __init__(self, name: str, command: list[str], probe: str, log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [part.replace("{port}", str(self.port)) for part in command],
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + probe, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{name} did not start: {log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


@dataclass
class Load:
    """What one run of the load generator saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def row(self, server: str, target: str) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
        return {
            "server": server,
            "target": target,
            "requests": len(ordered),
            "errors": self.errors,
            "rps": len(ordered) / self.seconds if self.seconds else 0.0,
            "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
            "p99_ms": p99 * 1000,
        }


def hammer(
    request: Callable[[httpx.Client, int], httpx.Response], clients: int, seconds: float
) -> Load:
    """``clients`` threads sending requests back to back for ``seconds``."""
    load = Load()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(offset: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = offset
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    ok = request(client, i).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - start
                with lock:
                    if ok:
                        load.latencies.append(elapsed)
                    else:
                        load.errors += 1
                i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def sparql_request(url: str, queries: list[str]) -> Callable[[httpx.Client, int], httpx.Response]:
    def send(client: httpx.Client, i: int) -> httpx.Response:
        return client.post(
            f"{url}/sparql" if "/query" not in url else url,
            data={"query": queries[i % len(queries)]},
            headers={"Accept": "application/sparql-results+json"},
        )

    return send


def answers(endpoint: str, query: str) -> list[dict[str, Any]]:
    response = httpx.post(
        endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    return sorted(
        ({k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]),
        key=json.dumps,
    )


def shipped_store() -> Path:
    """The shipped listing in a cached store."""
    location = OUT / "server-store-ferret"
    if not (location / "oxigraph").is_dir():
        store = open_store(location)
        try:
            ingest_listing(LISTING, store, IngestOptions(base=DEFAULT_BASE))
        finally:
            store.close()
    return location


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, help="a synthetic listing of this many papers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=2, help="scholarkg's query workers")
    parser.add_argument("--oxigraph", default=shutil.which("oxigraph"), help="the oxigraph binary")
    args = parser.parse_args()
    if not args.oxigraph:
        raise SystemExit("no `oxigraph` binary: pip install oxigraph (or give --oxigraph PATH)")
    OUT.mkdir(exist_ok=True)
    if args.size:
        location, subject = build_store(args.size, args.seed), SUBJECT
    else:
        location, subject = shipped_store(), "Johan Ferret"
    person = IriMinter(DEFAULT_BASE).person(subject)
    queries = mix(person)
    ours = Server(
        "scholarkg",
        [
            sys.executable,
            "-m",
            "scholarkg.cli",
            "serve",
            "--store",
            str(location),
            "--port",
            "{port}",
            "--workers",
            str(args.workers),
            "--max-rows",
            "1000000",
        ],
        "/queries",
        OUT / "server-scholarkg.log",
    )
    baseline = Server(
        "oxigraph",
        [
            args.oxigraph,
            "serve-read-only",
            "--location",
            str(location / "oxigraph"),
            "--bind",
            "127.0.0.1:{port}",
            "--union-default-graph",
        ],
        "/query?query=ASK%7B%7D",
        OUT / "server-oxigraph.log",
    )
    rows = []
    try:
        for name, query in queries.items():
            if answers(f"{ours.url}/sparql", query) != answers(f"{baseline.url}/query", query):
                raise SystemExit(f"the servers disagree on {name}")
        texts = list(queries.values())
        for server, endpoint in ((ours, ours.url), (baseline, f"{baseline.url}/query")):
            load = hammer(sparql_request(endpoint, texts), args.clients, args.duration)
            rows.append(load.row(server.name, "/sparql, query mix"))
        stored = hammer(
            lambda client, _i: client.get(
                f"{ours.url}/queries/coauthors_of", params={"person": person}
            ),
            args.clients,
            args.duration,
        )
        rows.append(stored.row("scholarkg", "/queries/coauthors_of"))
    finally:
        ours.stop()
        baseline.stop()
    print(f"store: {location.name}, {args.clients} clients, {args.duration:g} s per run")
    header = ("server", "target", "requests", "errors", "req/s", "p50 ms", "p99 ms")
    print("{:<10} {:<24} {:>8} {:>6} {:>8} {:>8} {:>8}".format(*header))
    for r in rows:
        print(
            f"{r['server']:<10} {r['target']:<24} {r['requests']:>8} {r['errors']:>6} "
            f"{r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
        )
    mine, theirs = rows[0], rows[1]
    ratios = {
        "throughput": mine["rps"] / theirs["rps"] if theirs["rps"] else None,
        "p50": mine["p50_ms"] / theirs["p50_ms"] if theirs["p50_ms"] else None,
        "p99": mine["p99_ms"] / theirs["p99_ms"] if theirs["p99_ms"] else None,
    }
    print(
        "scholarkg / oxigraph: throughput {throughput:.2f}x, p50 latency {p50:.2f}x, "
        "p99 latency {p99:.2f}x".format(**ratios)
    )
    (OUT / "server.json").write_text(
        json.dumps(
            {"rows": rows, "ratios": ratios, "args": vars(args) | {"store": str(location)}},
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()

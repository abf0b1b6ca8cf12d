"""Remote ingest benchmark: ``scholarkg ingest`` into an Oxigraph server through the remote
backend, against ``oxigraph load`` of the same N-Quads, measured in the same run.

For each size (entries of a generated listing, cached by ``bench_ingest.ensure_listing``), in a
temporary folder deleted at the end:

1. ``embedded``: ``scholarkg ingest --store DIR LISTING`` (default options: validated), the
   embedded baseline; the store it leaves is dumped as N-Quads with pyoxigraph (not timed);
   those quads are exactly the graphs the remote ingest sends (source, concepts, ontology).
   ``embedded-no-validate`` is the same with ``--no-validate``.
2. ``load``: **the physical baseline**, ``oxigraph load --location NEW_DIR --file data.nq``.
3. ``post``: the same N-Quads POSTed in one request to a fresh ``oxigraph serve``'s ``/store``
   (one transaction); ``post-bulk`` the same with ``?no_transaction`` (Oxigraph's bulk loader).
4. ``remote``: ``scholarkg --endpoint .../query --update-endpoint .../update --gsp-endpoint
   .../store ingest LISTING`` into a fresh ``oxigraph serve``; ``remote-no-validate`` with
   ``--no-validate``.

Every scholarkg run is the CLI's own code (``scholarkg.cli.main``) in a child process whose wall
time and peak RSS (``wait4``) the parent measures; the child wraps a few pipeline and backend
functions with timers, so the table splits the time into phases (parse and map with the uploads
streaming alongside, validation, waiting for the last uploads, the final update). The servers are
tests/remote_servers.py's ``OxigraphServer``; their peak RSS is their ``VmHWM``. After each server
run the quads the server holds are counted: a run that left other than the quads sent is ``wrong``.
The remote ingest's HTTP client gets no timeout (``--http-timeout``; ``--shipped-timeout`` keeps
scholarkg's own 120 s). A remote ingest's server is stopped, and the run reported ``stopped``, when
the machine's available memory falls under ``--min-free-mb``.

Then stored-query latency: a handful of catalogue queries (people chosen as in
``bench_queries.py``: the listing subject's 10th co-author by joint papers, and the 1000th
``@1000``) run by ``queries.run_stored`` on the embedded store and on the server that the
``remote`` run filled (else, when no remote ingest completed, the ``post-bulk`` server with its
graphs registered in scholarkg's index) through a ``RemoteStore`` from
``backend.open_backend``, as the CLI opens it: kept open (``http``), and opened anew for each
call as ``scholarkg run`` does (``cold``). Median of ``--repeat`` runs after one warm-up.

    python benchmarks/bench_remote.py                         # 10k and 100k entries
    python benchmarks/bench_remote.py --entries 10000 --runs load,embedded,remote
    python benchmarks/bench_remote.py --entries 1000000 --large   # only where it fits

Results: tables on stdout and ``benchmarks/out/remote.json`` (with the load average at the
start, at the end and at each run: the machine may be shared). Issue 7's target (the remote
ingest within 2x of ``oxigraph load``) is printed beside; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import httpx
import pyoxigraph

from bench_ingest import _checkout, ensure_listing, parse_sizes
from bench_queries import choose_cases, median_ms
from scholarkg import cli, pipeline
from scholarkg.backend import open_backend
from scholarkg.config import Settings
from scholarkg.errors import ScholarkgError
from scholarkg.queries import load_catalogue, run_stored
from scholarkg.remote import INDEX, GraphWriter, RemoteStore
from scholarkg.store import EmbeddedStore, QueryResult
from scholarkg.vocab import DEFAULT_BASE, SD_NAMED_GRAPH

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
TARGET_RATIO = 2.0  # issue 7: the remote ingest within 2x of `oxigraph load`
LARGE = 100_000  # above this, --large is needed
RUNS = (
    "embedded",
    "embedded-no-validate",
    "load",
    "post",
    "post-bulk",
    "remote-no-validate",
    "remote",
)
LABELS = {
    "embedded": "scholarkg ingest, embedded",
    "embedded-no-validate": "scholarkg ingest --no-validate, embedded",
    "load": "oxigraph load (baseline)",
    "post": "POST /store, one request",
    "post-bulk": "POST /store?no_transaction",
    "remote-no-validate": "scholarkg ingest --no-validate, remote",
    "remote": "scholarkg ingest, remote",
}
SHORT = {
    "embedded": "embedded",
    "embedded-no-validate": "emb. no-val.",
    "remote-no-validate": "rem. no-val.",
    "remote": "remote",
}
DEFAULT_CASES = (
    "paper_card",
    "papers_of",
    "papers_of @1000",
    "coauthors_of",
    "coauthors_of @1000",
    "coauthor_network",
    "coauthor_network @1000",
    "collaboration_path",
    "concept_timeline",
    "papers_about",
    "search_papers",
    "venues",
    "dataset_summary",
)
_COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


# -- the child: the scholarkg CLI with timers ---------------------------------------------------


def run_instrumented(argv: list[str], phases_file: Path, http_timeout: float | None) -> int:
    """Run ``scholarkg ARGV`` in this process, timing its phases; write them to a JSON file.

    ``http_timeout``: when not None, every ``RemoteStore`` gets this client timeout (0: none)
    instead of its own default (120 s, too short for the final MOVE of a large graph; see the
    README).

    Wrapped (module globals, so the pipeline's own calls go through the timers): the staging
    or embedded ``ingest_file`` (``ingest_listing`` before it existed), ``map_listing`` (parse
    and map, the store load overlapping it in a thread), ``load_vocabularies``,
    ``validate_source``, ``RemoteStore._post_lines`` (each upload request, sent from a
    background thread while mapping goes on), ``GraphWriter.close`` (waiting for the last
    uploads) and the final update that puts the graphs in place. A function the code no longer
    has goes unwrapped: its time shows as "other".
    """
    seconds: dict[str, float] = {}
    calls: dict[str, int] = {}

    def timed(func: Callable[..., Any], key: Callable[..., str]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            name = key(*args, **kwargs)
            start = time.perf_counter()
            try:
                result = func(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
                calls[name] = calls.get(name, 0) + 1
            return result

        return wrapper

    def fixed(name: str) -> Callable[..., str]:
        return lambda *args, **kwargs: name

    def ingest_kind(path: Path, store: object, *args: Any, **kwargs: Any) -> str:
        return "ingest_remote" if isinstance(store, RemoteStore) else "ingest_local"

    def update_kind(self: RemoteStore, sparql: str, **kwargs: Any) -> str:
        return "commit" if kwargs.get("once") else "other_updates"

    # the innermost entry point of an ingest (ingest_file where it exists: ingest_listing calls
    # it), in the pipeline (whose remote ingest calls it for the staging store) and the CLI
    entry = "ingest_file" if hasattr(pipeline, "ingest_file") else "ingest_listing"
    patches: list[tuple[object, str, Callable[..., str]]] = [
        (pipeline, entry, ingest_kind),
        (cli, entry, ingest_kind),
        (pipeline, "map_listing", fixed("map")),
        (pipeline, "load_vocabularies", fixed("vocabularies")),
        (pipeline, "validate_source", fixed("validate")),
        (RemoteStore, "_post_lines", fixed("upload")),
        (GraphWriter, "close", fixed("upload_wait")),
        (RemoteStore, "update", update_kind),
    ]
    wrapped: dict[int, Callable[..., Any]] = {}  # one wrapper per function (cli's is pipeline's)
    for owner, name, key in patches:
        func = getattr(owner, name, None)
        if func is None:  # the code moved on: that phase goes unmeasured ("other")
            continue
        if id(func) not in wrapped:
            wrapped[id(func)] = timed(func, key)
        setattr(owner, name, wrapped[id(func)])
    if http_timeout is not None:
        RemoteStore.__init__ = functools.partialmethod(  # type: ignore[method-assign,assignment]
            RemoteStore.__init__, timeout=http_timeout or None
        )
    start = time.perf_counter()
    code = cli.main(argv)
    seconds["cli"] = time.perf_counter() - start
    phases_file.write_text(json.dumps({"seconds": seconds, "calls": calls}), encoding="utf-8")
    return code


# -- processes, servers, cleanup ----------------------------------------------------------------


class _Interrupted(BaseException):
    """SIGTERM: unwind like Ctrl-C, so every server is stopped and every folder deleted."""


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise _Interrupted


def run_process(
    command: list[str], log: Path, timeout: float, watch: Callable[[], str | None] | None = None
) -> dict[str, Any]:
    """Run a command to its end: wall seconds, the child's peak RSS (MB), exit status.

    The child is polled (``wait4`` with ``WNOHANG``), so Ctrl-C and SIGTERM reach this process
    within a tenth of a second; the child is then killed. ``watch`` is called at every poll;
    when it returns a reason (it has stopped what the child talks to), the run is "stopped"
    for that reason, and the child, which should now fail on its own and write down what it
    measured, is killed if it is still running a minute later.
    """
    start = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    timed_out = False
    stopped = None
    kill_at = float("inf")
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if not timed_out and time.perf_counter() - start > timeout:
                process.kill()
                timed_out = True
            if stopped is None and watch is not None and (stopped := watch()) is not None:
                kill_at = time.perf_counter() + 60
            if time.perf_counter() > kill_at:
                process.kill()
                kill_at = float("inf")
            time.sleep(0.1)
    except BaseException:
        process.kill()
        process.wait()
        raise
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "status": "timeout" if timed_out else "ok" if process.returncode == 0 else "failed",
    }
    if timed_out:
        result["note"] = f"over {timeout:g} s"
    elif stopped is not None:
        result.update(status="stopped", note=stopped)
    elif process.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines() or ["no output"]
        result["note"] = f"exit {process.returncode}: {tail[-1]}"
    return result


def _remote_servers() -> ModuleType:
    """tests/remote_servers.py (``OxigraphServer``), loaded from its file: tests/ is no package
    on this script's path."""
    spec = importlib.util.spec_from_file_location(
        "remote_servers", ROOT / "tests" / "remote_servers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Servers:
    """Starts Oxigraph servers in folders of the work folder; stops and deletes them all."""

    def __init__(self, work: Path, binary: Path) -> None:
        self.work = work
        self.binary = binary
        self.module = _remote_servers()
        self.running: list[Any] = []

    def start(self, name: str) -> Any:
        """A new ``oxigraph serve`` on an empty database in ``work/name``."""
        server = self.module.OxigraphServer(self.work / name, self.binary)
        self.running.append(server)
        return server

    def stop(self, server: Any) -> None:
        """Stop one server and delete its folder."""
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
        if server in self.running:
            self.running.remove(server)

    def stop_all(self) -> None:
        """Stop every server still running."""
        for server in list(self.running):
            self.stop(server)


def server_peak_mb(server: Any) -> float | None:
    """The server process's peak resident memory (``VmHWM``), in MB; None if unknown."""
    process = getattr(server, "_process", None)
    if process is None:
        return None
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def memory_available_mb() -> float:
    """MemAvailable of /proc/meminfo, in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


class ServerGuard:
    """Follows a server's peak memory during a run, and stops the server (then the run) when
    the machine has less than ``floor_mb`` available, before the kernel's OOM killer picks a
    process of someone else's."""

    def __init__(self, server: Any, floor_mb: float) -> None:
        self.server = server
        self.floor_mb = floor_mb
        self.peak_mb: float | None = None
        self._next = 0.0

    def __call__(self) -> str | None:
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + 1.0
        self.peak_mb = server_peak_mb(self.server) or self.peak_mb
        available = memory_available_mb()
        if available >= self.floor_mb:
            return None
        self.server.stop()
        return (
            f"the server was stopped at {self.peak_mb or 0:,.0f} MB, with {available:,.0f} MB "
            f"left on the machine (--min-free-mb {self.floor_mb:.0f})"
        )


def register_graphs(server: Any, graphs: list[str]) -> None:
    """Record graphs in a server's scholarkg index, as a remote ingest does, so that a
    ``RemoteStore`` sees data loaded by other means."""
    marks = " ".join(f"<{name}> a <{SD_NAMED_GRAPH}> ." for name in graphs)
    server.update(f"INSERT DATA {{ GRAPH <{DEFAULT_BASE + INDEX}> {{ {marks} }} }}")


def server_quads(server: Any, *, but: str | None = None) -> int:
    """How many quads the server holds in named graphs (scholarkg writes nothing else), not
    counting the graph ``but``."""
    text = (
        _COUNT_QUADS
        if but is None
        else _COUNT_QUADS.replace("} }", f"}} FILTER (?g != <{but}>) }}")
    )
    rows = server.select(text)
    return int(rows[0]["n"]["value"])


def check_quads(result: dict[str, Any], server: Any, expected: int, but: str | None) -> None:
    """Count what the server holds; a run that left other than the expected quads failed."""
    held = server_quads(server, but=but)
    result["quads"] = held
    if held != expected:
        result["status"] = "wrong"
        result["note"] = f"the server holds {held:,} quads, not the {expected:,} sent"


def folder_mb(folder: Path) -> float:
    """Bytes on disk under a folder, in MB."""
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return total / 1e6


def find_binary(given: Path | None) -> Path:
    """The ``oxigraph`` CLI: --oxigraph, else as tests/remote_servers.py finds it."""
    found = given or _remote_servers().find_oxigraph()
    if found is None:
        raise SystemExit("no `oxigraph` binary: pip install oxigraph (or give --oxigraph PATH)")
    return Path(found)


# -- one size -----------------------------------------------------------------------------------


def scholarkg_run(
    name: str,
    cli_args: list[str],
    work: Path,
    args: argparse.Namespace,
    watch: Callable[[], str | None] | None = None,
) -> dict[str, Any]:
    """One ``scholarkg`` command in an instrumented child; its measurements and phases."""
    phases = work / f"{name}.phases.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child-phases", str(phases)]
    if args.http_timeout is not None:
        command += ["--http-timeout", str(args.http_timeout)]
    log = work / f"{name}.log"
    result = run_process([*command, "--", *cli_args], log, args.timeout, watch)
    if phases.is_file():
        recorded = json.loads(phases.read_text(encoding="utf-8"))
        result["phases"] = recorded["seconds"]
        result["calls"] = recorded["calls"]
    return result


def post_nquads(server: Any, data: Path, bulk: bool, timeout: float) -> dict[str, Any]:
    """POST an N-Quads file to the server's /store in one request (streamed from disk)."""
    url = server.gsp_url + ("?no_transaction" if bulk else "")
    start = time.perf_counter()
    with data.open("rb") as body:
        response = httpx.post(
            url, content=body, headers={"Content-Type": "application/n-quads"}, timeout=timeout
        )
    seconds = time.perf_counter() - start
    if response.status_code >= 400:
        note = f"HTTP {response.status_code}: {' '.join(response.text.split())[:200]}"
        return {"seconds": seconds, "status": "failed", "note": note}
    return {"seconds": seconds, "status": "ok"}


def dump_nquads(store_dir: Path, target: Path) -> tuple[int, list[str]]:
    """The embedded store's quads as N-Quads (pyoxigraph's dump, streamed); their number and
    the named graphs."""
    store = pyoxigraph.Store.read_only(str(store_dir / "oxigraph"))
    try:
        with target.open("wb") as output:
            store.dump(output, format=pyoxigraph.RdfFormat.N_QUADS)
        graphs = sorted(
            g.value for g in store.named_graphs() if isinstance(g, pyoxigraph.NamedNode)
        )
        return len(store), graphs
    finally:
        del store


def run_size(
    entries: int, args: argparse.Namespace, work: Path, servers: Servers
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Every selected run at one size, then the query latencies; (runs, queries, listing)."""
    listing, generated = ensure_listing(entries, args.seed, False, OUT)
    info = {"entries": entries, "path": str(listing), "bytes": listing.stat().st_size}
    info["generation_s"] = generated or None
    runs: list[dict[str, Any]] = []
    selected = set(args.runs)

    def record(name: str, result: dict[str, Any]) -> dict[str, Any]:
        result.update(size=entries, run=name, label=LABELS[name], load_1m=os.getloadavg()[0])
        runs.append(result)
        shown = f"{result['seconds']:9.2f} s" if "seconds" in result else ""
        print(
            f"  {entries:>9,} {LABELS[name]:<42} {result['status']:<8} {shown}",
            file=sys.stderr,
            flush=True,
        )
        return result

    def progress(name: str) -> None:
        print(f"  {entries:>9,} {LABELS[name]} ...", file=sys.stderr, flush=True)

    embedded = work / "embedded"
    progress("embedded")
    command = ["ingest", "--store", str(embedded), str(listing)]
    first = record("embedded", scholarkg_run("embedded", command, work, args))
    if first["status"] != "ok":
        return runs, [], info
    first["disk_mb"] = folder_mb(embedded)
    data = work / "data.nq"
    start = time.perf_counter()
    quads, graphs = dump_nquads(embedded, data)
    dump_s = time.perf_counter() - start
    info["nquads"] = {"quads": quads, "bytes": data.stat().st_size, "dump_s": dump_s}
    first["quads"] = quads
    index = DEFAULT_BASE + INDEX  # the remote store's list of its graphs: not sent by the others

    if "embedded-no-validate" in selected:
        other = work / "embedded-no-validate"
        progress("embedded-no-validate")
        command = ["ingest", "--no-validate", "--store", str(other), str(listing)]
        result = scholarkg_run("embedded-no-validate", command, work, args)
        result["quads"] = quads if result["status"] == "ok" else None  # the same data
        record("embedded-no-validate", result)
        shutil.rmtree(other, ignore_errors=True)

    if "load" in selected:
        location = work / "load"
        progress("load")
        command = [str(args.oxigraph), "load", "--location", str(location), "--file", str(data)]
        result = run_process(command, work / "load.log", args.timeout)
        if result["status"] == "ok":
            loaded = pyoxigraph.Store.read_only(str(location))
            result["quads"] = len(loaded)
            del loaded
        result["disk_mb"] = folder_mb(location) if location.exists() else None
        record("load", result)
        shutil.rmtree(location, ignore_errors=True)

    spare = None  # the post-bulk server: queried when no remote ingest completes
    for name, bulk in (("post", False), ("post-bulk", True)):
        if name not in selected:
            continue
        progress(name)
        server = servers.start(name)
        try:
            result = post_nquads(server, data, bulk, args.timeout)
            result["server_peak_mb"] = server_peak_mb(server)
            if result["status"] == "ok":
                check_quads(result, server, quads, None)
            result["disk_mb"] = folder_mb(server.folder / "db")
            record(name, result)
            if bulk and result["status"] == "ok" and args.cases:
                register_graphs(server, graphs)
                spare = server
        finally:
            if server is not spare:
                servers.stop(server)
    data.unlink()

    kept = None
    for name in ("remote-no-validate", "remote"):
        if name not in selected:
            continue
        progress(name)
        server = servers.start(name)
        endpoints = ["--endpoint", server.query_url, "--update-endpoint", server.update_url]
        endpoints += ["--gsp-endpoint", server.gsp_url]
        flags = ["--no-validate"] if name == "remote-no-validate" else []
        command = [*endpoints, "ingest", *flags, str(listing)]
        guard = ServerGuard(server, args.min_free_mb)
        result = scholarkg_run(name, command, work, args, guard)
        result["server_peak_mb"] = server_peak_mb(server) or guard.peak_mb
        if result["status"] == "ok":
            check_quads(result, server, quads, index)
            result["disk_mb"] = folder_mb(server.folder / "db")
        record(name, result)
        if result["status"] == "ok":
            if kept is not None:
                servers.stop(kept)
            kept = server
        else:
            servers.stop(server)

    queries: list[dict[str, Any]] = []
    filled_by = "remote" if kept is not None else "post-bulk"
    if kept is not None and spare is not None:
        servers.stop(spare)
    kept = kept or spare
    if kept is not None:
        if args.cases:
            print(f"  {entries:>9,} stored queries, embedded and over HTTP ...", file=sys.stderr)
            queries = measure_queries(entries, embedded, kept, args)
            for row in queries:
                row["server_filled_by"] = filled_by
        servers.stop(kept)
    shutil.rmtree(embedded, ignore_errors=True)
    return runs, queries, info


# -- stored-query latency -----------------------------------------------------------------------


def _answer_size(result: QueryResult) -> int:
    return len(result.rows) + len(result.triples) + (result.boolean is not None)


def measure_queries(
    entries: int, embedded: Path, server: Any, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Median latency of the selected stored queries, embedded and over HTTP."""
    local = Settings(store=str(embedded), endpoint=None, base=DEFAULT_BASE)
    remote = Settings(
        store=str(embedded),
        endpoint=server.query_url,
        update_endpoint=server.update_url,
        gsp_endpoint=server.gsp_url,
        base=DEFAULT_BASE,
    )
    store = open_backend(local)
    http = open_backend(remote)
    assert isinstance(store, EmbeddedStore) and isinstance(http, RemoteStore)
    rows: list[dict[str, Any]] = []
    try:
        catalogue = load_catalogue()
        names = {label.split(" @")[0] for label in args.cases}
        cases = [
            case
            for case in choose_cases(store, catalogue, set(catalogue) - names)
            if case.label in args.cases
        ]
        for case in cases:

            def on(db: Any, query: Any = case.query, raw: dict[str, str] = case.raw) -> QueryResult:
                return run_stored(db, query, raw, base=DEFAULT_BASE)

            def cold(query: Any = case.query, raw: dict[str, str] = case.raw) -> QueryResult:
                db = open_backend(remote)
                try:
                    return run_stored(db, query, raw, base=DEFAULT_BASE)
                finally:
                    db.close()

            row: dict[str, Any] = {"size": entries, "query": case.label, "params": case.raw}
            try:
                ours = _answer_size(on(store))
                theirs = _answer_size(on(http))
                row.update(
                    rows=ours,
                    same_size=ours == theirs,
                    embedded_ms=median_ms(functools.partial(on, store), args.repeat, args.slow),
                    http_ms=median_ms(functools.partial(on, http), args.repeat, args.slow),
                    cold_ms=median_ms(cold, args.repeat, args.slow),
                    load_1m=os.getloadavg()[0],
                )
            except ScholarkgError as exc:
                row["error"] = exc.message
                rows.append(row)
                print(f"  {entries:>9,} {case.label:<26} {exc.message}", file=sys.stderr)
                continue
            row["ratio"] = row["http_ms"] / row["embedded_ms"] if row["embedded_ms"] else None
            rows.append(row)
            print(
                f"  {entries:>9,} {case.label:<26} embedded {row['embedded_ms']:9.1f} ms"
                f"  http {row['http_ms']:9.1f} ms  cold {row['cold_ms']:9.1f} ms",
                file=sys.stderr,
                flush=True,
            )
    finally:
        store.close()
        http.close()
    return rows


# -- summary and tables -------------------------------------------------------------------------


def ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size: each remote ingest against oxigraph load, the one-request POST and the
    embedded ingest of the same options."""
    ok = {(r["size"], r["run"]): r["seconds"] for r in runs if r["status"] == "ok"}
    out = []
    for size in sorted({r["size"] for r in runs}):
        for name, embedded in (
            ("remote", "embedded"),
            ("remote-no-validate", "embedded-no-validate"),
        ):
            ours = ok.get((size, name))
            if ours is None:
                continue
            row: dict[str, Any] = {"size": size, "run": name, "seconds": ours}
            for key, base in (("load", "load"), ("post", "post"), ("embedded", embedded)):
                theirs = ok.get((size, base))
                row[f"vs_{key}"] = ours / theirs if theirs else None
            vs_load = row["vs_load"]
            row["target_met"] = None if vs_load is None else vs_load <= TARGET_RATIO
            out.append(row)
    return out


def _num(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:,.{digits}f}{suffix}"


def render_runs(runs: list[dict[str, Any]]) -> str:
    """The ingest table: a row per size and run, the ratio to `oxigraph load` beside."""
    load = {r["size"]: r["seconds"] for r in runs if r["run"] == "load" and r["status"] == "ok"}
    head = (
        f"{'entries':>9}  {'run':<42} {'quads':>10} {'seconds':>9} {'quads/s':>9} "
        f"{'vs load':>8} {'client MB':>9} {'server MB':>9} {'disk MB':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        if r["status"] not in {"ok", "wrong"}:
            lines.append(f"{r['size']:>9,}  {r['label']:<42} {r['status']}: {r.get('note', '')}")
            continue
        quads = r.get("quads")
        base = load.get(r["size"])
        lines.append(
            f"{r['size']:>9,}  {r['label']:<42} {_num(quads, 0):>10} {r['seconds']:9.2f} "
            f"{_num(quads / r['seconds'] if quads else None, 0):>9} "
            f"{_num(r['seconds'] / base if base else None, 2, 'x'):>8} "
            f"{_num(r.get('peak_rss_mb'), 0):>9} {_num(r.get('server_peak_mb'), 0):>9} "
            f"{_num(r.get('disk_mb'), 0):>8}"
        )
        if r["status"] == "wrong":
            lines.append(f"{'':>9}  WRONG: {r['note']}")
    return "\n".join(lines)


PHASES = (
    ("startup", "interpreter, imports, tagger, exit"),
    ("map", "parse + map (+ store load overlapping)"),
    ("store_rest", "rest of the store load, commit"),
    ("vocabularies", "vocabularies"),
    ("validate", "validation"),
    ("upload_wait", "waiting for the last uploads"),
    ("commit", "final update (MOVE where a graph existed)"),
    ("other", "index updates, cleanup"),
)


def phase_split(run: dict[str, Any]) -> dict[str, float]:
    """A scholarkg run's wall time split into the phases of PHASES (seconds)."""
    got = run.get("phases") or {}
    split = {
        "startup": run["seconds"] - got.get("cli", run["seconds"]),
        "map": got.get("map", 0.0),
        "vocabularies": got.get("vocabularies", 0.0),
        "validate": got.get("validate", 0.0),
        "upload_wait": got.get("upload_wait", 0.0),
        "commit": got.get("commit", 0.0),
    }
    local = got.get("ingest_local")
    rest = None if local is None else local - split["map"] - split["vocabularies"]
    split["store_rest"] = 0.0 if rest is None else rest - split["validate"]
    split["other"] = run["seconds"] - sum(split.values())
    return split


def render_phases(runs: list[dict[str, Any]]) -> str:
    """Where each scholarkg run's time went."""
    ours = [r for r in runs if "phases" in r]
    if not ours:
        return ""
    names = [f"{r['size'] // 1000}k {SHORT[r['run']]}" for r in ours]
    width = max(11, *(len(n) for n in names))
    head = f"{'phase (seconds)':<42} " + " ".join(f"{n:>{width}}" for n in names)
    lines = [head, "-" * len(head)]
    splits = [phase_split(r) for r in ours]
    for key, label in PHASES:
        cells = " ".join(f"{s[key]:>{width}.2f}" for s in splits)
        lines.append(f"{label:<42} {cells}")
    total = " ".join(f"{r['seconds']:>{width}.2f}" for r in ours)
    lines.append(f"{'total (wall)':<42} {total}")
    sending = " ".join(f"{(r.get('phases') or {}).get('upload', 0.0):>{width}.2f}" for r in ours)
    lines.append(f"{'uploads (in a thread, overlapping the above)':<42} {sending}")
    chunks = " ".join(f"{r.get('calls', {}).get('upload', 0):>{width}}" for r in ours)
    lines.append(f"{'upload requests':<42} {chunks}")
    status = " ".join(f"{r['status']:>{width}}" for r in ours)
    lines.append(f"{'status':<42} {status}")
    return "\n".join(lines)


def render_ratios(rows: list[dict[str, Any]]) -> str:
    """The remote ingests against the baselines, and issue 7's target."""
    lines = [
        f"Target of issue 7: remote ingest within {TARGET_RATIO:g}x of `oxigraph load` "
        "(reported, not asserted):"
    ]
    for row in rows:
        verdict = {True: "met", False: "NOT met", None: "-"}[row["target_met"]]
        lines.append(
            f"  {row['size']:>9,} {LABELS[row['run']]:<42} {_num(row['vs_load'], 2, 'x'):>8} "
            f"of load, {_num(row['vs_post'], 2, 'x'):>7} of one POST, "
            f"{_num(row['vs_embedded'], 2, 'x'):>6} of embedded   {verdict}"
        )
    return "\n".join(lines)


def render_queries(rows: list[dict[str, Any]]) -> str:
    """Stored-query latency, embedded against HTTP."""
    head = (
        f"{'query':<26} {'entries':>8} {'rows':>7} {'embedded ms':>12} {'http ms':>10} "
        f"{'http/emb':>9} {'cold ms':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['query']:<26} {r['size']:>8,} error: {r['error']}")
            continue
        same = "" if r["same_size"] else "  (answer sizes differ!)"
        lines.append(
            f"{r['query']:<26} {r['size']:>8,} {r['rows']:>7,} {r['embedded_ms']:12.1f} "
            f"{r['http_ms']:10.1f} {_num(r['ratio'], 1, 'x'):>9} {r['cold_ms']:10.1f}{same}"
        )
    return "\n".join(lines)


# -- driver -------------------------------------------------------------------------------------


def _versions(binary: Path) -> dict[str, str]:
    names = ("scholarkg", "pyoxigraph", "rdflib", "httpx")
    versions = {name: importlib.metadata.version(name) for name in names}
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    versions["oxigraph server"] = done.stdout.strip()
    return versions


@contextlib.contextmanager
def _work_folder(parent: Path | None) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-remote-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Every size, every selected run; the results. Servers and folders go also on failure."""
    OUT.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    runs: list[dict[str, Any]] = []
    queries: list[dict[str, Any]] = []
    listings: list[dict[str, Any]] = []
    with _work_folder(args.workdir) as work:
        servers = Servers(work, args.oxigraph)
        try:
            for entries in args.entries:
                folder = work / f"n{entries}"
                folder.mkdir()
                try:
                    got_runs, got_queries, info = run_size(entries, args, folder, servers)
                except Exception as exc:  # the next size may still work; say what broke
                    print(f"  {entries:>9,} failed: {exc!r}", file=sys.stderr)
                    listings.append({"entries": entries, "error": repr(exc)})
                    continue
                finally:
                    servers.stop_all()
                    shutil.rmtree(folder, ignore_errors=True)
                runs += got_runs
                queries += got_queries
                listings.append(info)
        finally:
            servers.stop_all()
    return {
        "benchmark": "remote",
        "seed": args.seed,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "versions": _versions(args.oxigraph),
        },
        "checkout": _checkout(),
        "scholarkg_from": str(Path(cli.__file__).resolve().parent),  # PYTHONPATH may point away
        "http_timeout": (
            "scholarkg's own" if args.http_timeout is None else args.http_timeout or "none"
        ),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "listings": listings,
        "runs": runs,
        "ratios": ratios(runs),
        "target_ratio": TARGET_RATIO,
        "queries": queries,
        "repeat": args.repeat,
    }


def _runs(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(RUNS))
    if unknown:
        raise argparse.ArgumentTypeError(f"runs are {', '.join(RUNS)}; not {unknown}")
    return ["embedded", *(r for r in RUNS if r in chosen and r != "embedded")]


def _cases(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--entries",
        type=parse_sizes,
        default=[10_000, 100_000],
        help="listing sizes, comma-separated (default 10000,100000)",
    )
    parser.add_argument(
        "--large", action="store_true", help=f"allow sizes above {LARGE:,} (1M: see the README)"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--runs",
        type=_runs,
        default=list(RUNS),
        help=f"what to run, comma-separated (default all: {','.join(RUNS)}); "
        "embedded always runs (it makes the N-Quads and the query baseline)",
    )
    parser.add_argument(
        "--queries",
        dest="cases",
        type=_cases,
        default=list(DEFAULT_CASES),
        help="stored-query cases to time, comma-separated labels as in bench_queries.py "
        "('' for none)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument(
        "--slow", type=float, default=10.0, help="one timed run after a warm-up longer than this"
    )
    parser.add_argument(
        "--timeout", type=float, default=7200, help="seconds per run before 'timeout' (7200)"
    )
    parser.add_argument(
        "--http-timeout",
        type=float,
        default=0.0,
        help="the remote ingest's HTTP client timeout in seconds (default 0: none); "
        "--shipped-timeout keeps scholarkg's own (120 s), which loses data at 10k (README)",
    )
    parser.add_argument(
        "--shipped-timeout",
        dest="http_timeout",
        action="store_const",
        const=None,
        help="run the remote ingest with scholarkg's own HTTP client timeout",
    )
    parser.add_argument(
        "--min-free-mb",
        type=float,
        default=2500,
        help="stop a remote ingest's server when the machine has less memory available than "
        "this (default 2500)",
    )
    parser.add_argument("--oxigraph", type=Path, help="the oxigraph CLI binary")
    parser.add_argument(
        "--workdir", type=Path, help="where the temporary databases go (default: system temp)"
    )
    parser.add_argument("--output", type=Path, default=OUT / "remote.json", help="JSON results")
    parser.add_argument("--child-phases", type=Path, help=argparse.SUPPRESS)  # internal: a child
    parser.add_argument("cli_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_phases:
        return run_instrumented(args.cli_args, args.child_phases, args.http_timeout)
    if max(args.entries) > LARGE and not args.large:
        parser.error(f"sizes above {LARGE:,} need --large (they need hours and tens of GB)")
    args.oxigraph = find_binary(args.oxigraph)
    signal.signal(signal.SIGTERM, _terminate)
    results = run_benchmark(args)
    print(render_runs(results["runs"]))
    print()
    print(render_phases(results["runs"]))
    print()
    print(render_ratios(results["ratios"]))
    if results["queries"]:
        print()
        print(render_queries(results["queries"]))
    start, end = results["load_average_start"], results["load_average_end"]
    print(
        f"\n(load average 1/5/15 min: {start[0]:.2f}/{start[1]:.2f}/{start[2]:.2f} at the start, "
        f"{end[0]:.2f}/{end[1]:.2f}/{end[2]:.2f} at the end; {os.cpu_count()} CPUs)"
    )
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

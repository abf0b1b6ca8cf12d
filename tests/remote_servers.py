"""Real SPARQL servers on 127.0.0.1 for the remote-store tests: Oxigraph server and Virtuoso 7.

Each server runs as a child process on free loopback ports with a database in a temporary folder,
and exposes the three protocol routes a remote backend talks to (``query_url``, ``update_url``,
``gsp_url``), the credentials the update and Graph Store routes need (``auth``), and ``stop()``.
Both classes are context managers. The session-scoped pytest fixtures at the bottom skip, naming
what to install, when a binary is missing. docs/remote-stores.md records how each server behaves.

Binaries are looked up in this order:

- Oxigraph: ``$SCHOLARKG_OXIGRAPH``, then ``oxigraph`` next to ``sys.executable`` (where
  ``pip install oxigraph`` puts it), then ``oxigraph`` on ``PATH``.
- Virtuoso: ``$SCHOLARKG_VIRTUOSO``, then ``virtuoso-t`` on ``PATH`` (Debian's
  ``virtuoso-opensource``); its SQL client is ``isql-vt`` (Debian) or ``isql`` next to it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Self

import httpx
import pytest

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
PORT_ATTEMPTS = 3  # a free port can be taken between probing it and the server binding it


class ServerAuth(NamedTuple):
    """Credentials for a server's update and Graph Store routes; ``scheme`` is digest or basic."""

    user: str
    password: str
    scheme: str

    def httpx_auth(self) -> httpx.Auth:
        """The same credentials as an httpx auth object."""
        if self.scheme == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return httpx.BasicAuth(self.user, self.password)


class ServerStartError(RuntimeError):
    """A server did not come up; the message holds the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_oxigraph() -> Path | None:
    """The ``oxigraph`` CLI binary (``pip install oxigraph``), or None."""
    return _find_binary("SCHOLARKG_OXIGRAPH", "oxigraph")


def find_virtuoso() -> Path | None:
    """Virtuoso's server binary ``virtuoso-t``, or None."""
    return _find_binary("SCHOLARKG_VIRTUOSO", "virtuoso-t")


def find_isql(virtuoso: Path) -> Path | None:
    """Virtuoso's SQL client: Debian renames it ``isql-vt`` (``isql`` is unixODBC's)."""
    for candidate in (virtuoso.parent / "isql-vt", virtuoso.parent / "isql"):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("isql-vt")
    return Path(found) if found else None


def _find_binary(variable: str, name: str) -> Path | None:
    if os.environ.get(variable):  # set but not executable counts as missing: the skip names it
        given = Path(os.environ[variable])
        return given if os.access(given, os.X_OK) else None
    beside = Path(sys.executable).parent / name
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class RemoteServer:
    """A SPARQL server child process; subclasses start it and set the URLs."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    auth: ServerAuth | None
    startup_seconds: float
    log: Path
    system_graphs: frozenset[str] = frozenset()  # graphs the server holds of its own
    _process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def httpx_auth(self) -> httpx.Auth | None:
        """``auth`` as an httpx auth object (None when the server needs none)."""
        return self.auth.httpx_auth() if self.auth else None

    def update(self, text: str) -> httpx.Response:
        """Run one SPARQL update on the authenticated route; raises on an HTTP error status."""
        response = httpx.post(
            self.update_url, data={"update": text}, auth=self.httpx_auth(), timeout=60
        )
        response.raise_for_status()
        return response

    def select(self, text: str, **params: str | list[str]) -> list[dict[str, dict[str, str]]]:
        """Run a SELECT on the query route; the SPARQL JSON bindings."""
        response = httpx.post(
            self.query_url,
            data={"query": text, **params},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        response.raise_for_status()
        bindings: list[dict[str, dict[str, str]]] = response.json()["results"]["bindings"]
        return bindings

    def graphs(self) -> set[str]:
        """The named graphs holding at least one triple."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {row["g"]["value"] for row in rows}

    def clear(self) -> None:
        """Drop every graph the tests wrote (a session server is shared between tests)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server (politely, then by force) and wait for it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _spawn(self, command: list[str], cwd: Path) -> None:
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_ready(self, probe: str, started: float) -> bool:
        """Poll ``probe`` until it answers 200; False if the process exited (port taken?)."""
        if self._process is None:
            raise ServerStartError(f"{self.name} was not started")
        deadline = started + START_TIMEOUT
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False
                try:
                    if client.get(probe, params={"query": "ASK {}"}).status_code == 200:
                        self.startup_seconds = time.monotonic() - started
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        self.stop()
        raise ServerStartError(
            f"{self.name} did not answer {probe} in {START_TIMEOUT:.0f} s; log {self.log}:\n"
            + _log_tail(self.log)
        )


class OxigraphServer(RemoteServer):
    """``oxigraph serve`` on a free 127.0.0.1 port with a RocksDB folder under ``folder``.

    Plain ``serve`` (no ``--union-default-graph``): the default graph is the store's own default
    graph, and requests choose graphs with ``default-graph-uri``/``named-graph-uri``. No auth.
    """

    name = "oxigraph"

    def __init__(self, folder: Path, binary: Path | None = None) -> None:
        found = binary or find_oxigraph()
        if found is None:
            raise FileNotFoundError("no `oxigraph` binary: pip install oxigraph")
        self.binary = found
        self.folder = folder
        self.auth = None
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "oxigraph.log"
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            base = f"http://127.0.0.1:{self.port}"
            self.query_url = f"{base}/query"
            self.update_url = f"{base}/update"
            self.gsp_url = f"{base}/store"
            started = time.monotonic()
            command = [str(self.binary), "serve", "--location", str(folder / "db")]
            self._spawn([*command, "--bind", f"127.0.0.1:{self.port}"], folder)
            if self._wait_ready(self.query_url, started):
                return
        raise ServerStartError(
            f"oxigraph exited at startup; log {self.log}:\n{_log_tail(self.log)}"
        )

    def clear(self) -> None:
        """Drop the default graph and every named graph."""
        self.update("DROP ALL")


VIRTUOSO_INI = """\
; Written by tests/remote_servers.py: loopback ports, a temporary database, run with -f.
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 512M
ThreadsPerQuery = 2
MaxSortedTopRows = {max_rows}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}/www
MaxClientConnections = 10
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
"""

# Run as dba right after the first start. The anonymous SPARQL user keeps its read-only roles
# (SPARQL_SELECT only), so /sparql and /sparql-graph-crud refuse writes; the writer gets
# SPARQL_UPDATE, which /sparql-auth and /sparql-graph-crud-auth check after HTTP Digest login.
VIRTUOSO_SETUP = """\
DB.DBA.USER_CREATE ('{user}', '{password}');
GRANT SPARQL_UPDATE TO "{user}";
USER_SET_PASSWORD ('dba', '{dba_password}');
"""


class VirtuosoServer(RemoteServer):
    """``virtuoso-t -f`` with its own virtuoso.ini: loopback ports, a new database in ``folder``.

    ``auth`` is a generated writer user (HTTP Digest, role SPARQL_UPDATE); ``admin_auth`` is dba
    with a generated password (the default dba/dba is replaced at startup).
    ``max_rows`` is [SPARQL] ResultSetMaxRows: Virtuoso cuts every SELECT answer at that many
    rows without an error; 10000 is Debian's default and DBpedia's.
    """

    name = "virtuoso"
    writer = "scholarkg"

    def __init__(
        self,
        folder: Path,
        binary: Path | None = None,
        isql: Path | None = None,
        max_rows: int = 10000,
    ) -> None:
        found = binary or find_virtuoso()
        if found is None:
            raise FileNotFoundError("no `virtuoso-t` binary: apt-get install virtuoso-opensource")
        client = isql or find_isql(found)
        if client is None:
            raise FileNotFoundError(f"no Virtuoso isql (isql-vt) next to {found}")
        self.binary, self.isql_binary = found, client
        self.folder = folder
        self.max_rows = max_rows
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "www").mkdir(exist_ok=True)
        self.log = folder / "virtuoso.stdout.log"
        self.admin_auth = ServerAuth("dba", "dba", "digest")
        for _ in range(PORT_ATTEMPTS):
            self.sql_port, self.http_port = free_port(), free_port()
            base = f"http://127.0.0.1:{self.http_port}"
            self.query_url = f"{base}/sparql"
            self.update_url = f"{base}/sparql-auth"
            self.gsp_url = f"{base}/sparql-graph-crud-auth"
            self.anonymous_gsp_url = f"{base}/sparql-graph-crud"
            ini = folder / "virtuoso.ini"
            ini.write_text(
                VIRTUOSO_INI.format(
                    db=folder,
                    sql_port=self.sql_port,
                    http_port=self.http_port,
                    max_rows=max_rows,
                )
            )
            started = time.monotonic()
            self._spawn([str(self.binary), "-f", "-c", str(ini)], folder)
            if self._wait_ready(self.query_url, started):
                break
        else:
            raise ServerStartError(
                f"virtuoso exited at startup; log {self.log}:\n{_log_tail(self.log)}"
            )
        self._secure(started)

    def _secure(self, started: float) -> None:
        """Create the writer and replace dba's default password."""
        self.auth = ServerAuth(self.writer, secrets.token_urlsafe(18), "digest")
        dba_password = secrets.token_urlsafe(18)
        try:
            self.sql(
                VIRTUOSO_SETUP.format(
                    user=self.auth.user,
                    password=self.auth.password,
                    dba_password=dba_password,
                )
            )
        except Exception:
            self.stop()
            raise
        self.admin_auth = ServerAuth("dba", dba_password, "digest")
        self.system_graphs = frozenset(self.graphs())
        self.startup_seconds = time.monotonic() - started

    def sql(self, script: str) -> str:
        """Run SQL statements (each ending in ``;``) as dba through isql; its output."""
        result = subprocess.run(
            [
                str(self.isql_binary),
                f"127.0.0.1:{self.sql_port}",
                self.admin_auth.user,
                self.admin_auth.password,
                "VERBOSE=OFF",
                "BANNER=OFF",
                "PROMPT=OFF",
                "ERRORS=STDOUT",
            ],
            input=script.encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        if result.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed ({result.returncode}):\n{output}")
        return output

    def clear(self) -> None:
        """Drop the graphs written since startup (``DROP ALL`` would take Virtuoso's own), and
        look again until none is left: a loaded Virtuoso may list the graphs only in part."""
        for _ in range(5):
            left = sorted(self.graphs() - self.system_graphs)
            if not left:
                return
            for graph in left:
                self.update(f"DROP SILENT GRAPH <{graph}>")
        raise RuntimeError(f"graphs left on the test server: {left}")


# ---------------------------------------------------------------------------------------------
# pytest fixtures (session-scoped: one server of each kind per test run)


def _folder(factory: pytest.TempPathFactory, name: str) -> Path:
    # Short paths: Virtuoso's ini and RocksDB's lock files are happier without deep nesting.
    return Path(tempfile.mkdtemp(prefix=f"skg-{name}-", dir=factory.getbasetemp()))


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """An Oxigraph server with an empty store, for the whole test session."""
    if find_oxigraph() is None:
        pytest.skip("no `oxigraph` binary: pip install oxigraph (or set SCHOLARKG_OXIGRAPH)")
    with OxigraphServer(_folder(tmp_path_factory, "oxigraph")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A Virtuoso 7 server with a new database, for the whole test session."""
    binary = find_virtuoso()
    if binary is None:
        pytest.skip("no `virtuoso-t`: apt-get install virtuoso-opensource (or SCHOLARKG_VIRTUOSO)")
    if find_isql(binary) is None:
        pytest.skip(f"no Virtuoso isql (isql-vt) next to {binary}")
    with VirtuosoServer(_folder(tmp_path_factory, "virtuoso"), binary) as server:
        yield server


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote_server(request: pytest.FixtureRequest) -> Iterator[RemoteServer]:
    """Each real server in turn, emptied of what the test wrote when it ends."""
    server: RemoteServer = request.getfixturevalue(f"{request.param}_server")
    yield server
    server.clear()

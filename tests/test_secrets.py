"""Secrets and access: the server's update token and the remote backend's endpoint credentials.

Updates need the bearer token (missing: 401 with a challenge; wrong: 403; none configured: no
updates at all), compared in constant time by construction. Neither the token nor an endpoint
password ever shows in the server's log, an error body, a process's command line
(``/proc/<pid>/cmdline``, what ``ps`` shows) or the remote backend's exceptions, against a real
loopback HTTP server that refuses them and echoes the Authorization header back. Secrets are
random per run, so finding one anywhere means it leaked. Timing is measured in
``benchmarks/bench_hostile_http.py``, not asserted here.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import inspect
import logging
import os
import secrets
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from scholarkg.errors import ScholarkgError
from scholarkg.remote import Credentials, Endpoints, RemoteStore
from scholarkg.server import app as server_app
from scholarkg.vocab import DEFAULT_BASE
from tests.conftest import ROOT
from tests.live_server import LiveServer, free_port

TOKEN = "tok-" + secrets.token_urlsafe(24)
USER = "reader"
PASSWORD = "pw-" + secrets.token_urlsafe(24)
ENDPOINT_TOKEN = "etok-" + secrets.token_urlsafe(24)
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
UPDATE = "INSERT DATA { GRAPH <https://w3id.org/scholarkg/id/graph/extra> { <x:a> <x:b> <x:c> } }"
SPARQL_UPDATE = {"Content-Type": "application/sparql-update"}


def secrets_in(text: str) -> list[str]:
    """The secrets of this run that ``text`` holds (the basic credentials also base64'd)."""
    return [s for s in (TOKEN, PASSWORD, ENDPOINT_TOKEN, BASIC) if s in text]


def process_tree(root: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def command_lines(root: int) -> list[str]:
    """What ``ps`` shows as the command of the process and each of its descendants."""
    lines = []
    for pid in process_tree(root):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        lines.append(raw.replace(b"\0", b" ").decode("utf-8", "replace"))
    return lines


needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="no /proc here")


# -- the update token -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def writable(
    ferret_store_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server taking updates with this run's token, over its own copy of the store."""
    folder = tmp_path_factory.mktemp("secrets") / "store"
    shutil.copytree(ferret_store_dir, folder)
    server = LiveServer(folder, "--enable-update", env={"SCHOLARKG_UPDATE_TOKEN": TOKEN})
    yield server
    server.stop()


def post_update(server: LiveServer, **headers: str) -> httpx.Response:
    """An update with these headers (sent as UTF-8 bytes: a non-ASCII token goes as it is)."""
    sent = [(k.encode(), v.encode()) for k, v in {**SPARQL_UPDATE, **headers}.items()]
    return httpx.post(f"{server.url}/sparql", content=UPDATE.encode(), headers=sent)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Basic {base64.b64encode(TOKEN.encode()).decode()}",
        f"Token {TOKEN}",
        f"{TOKEN}",
    ],
    ids=["missing", "empty", "scheme only", "basic", "other scheme", "bare"],
)
def test_an_update_without_a_bearer_token_is_401_with_a_challenge(
    writable: LiveServer, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = post_update(writable, **headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="scholarkg"'
    assert response.json()["error"] == "unauthenticated"
    assert secrets_in(response.text) == []


def _wrong_tokens() -> dict[str, str]:
    first = ("A" if TOKEN[0] != "A" else "B") + TOKEN[1:]
    last = TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B")
    return {
        "same length": "x" * len(TOKEN),
        "first byte differs": first,
        "last byte differs": last,
        "prefix": TOKEN[:-1],
        "longer": TOKEN + "x",
        "upper case": TOKEN.upper(),
        "non-ASCII": TOKEN[:-1] + "é",
    }


@pytest.mark.parametrize("name", list(_wrong_tokens()))
def test_a_wrong_token_is_403_and_changes_nothing(writable: LiveServer, name: str) -> None:
    wrong = _wrong_tokens()[name]
    response = post_update(writable, Authorization=f"Bearer {wrong}")
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "forbidden"
    assert secrets_in(response.text) == [] and wrong not in response.text
    count = httpx.get(
        f"{writable.url}/sparql",
        params={
            "query": "ASK { GRAPH <https://w3id.org/scholarkg/id/graph/extra> { <x:a> ?p ?o } }"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert count.json()["boolean"] is False


def test_the_token_in_the_query_string_is_not_a_token(writable: LiveServer) -> None:
    response = httpx.post(
        f"{writable.url}/sparql",
        params={"access_token": TOKEN},
        content=UPDATE.encode(),
        headers=SPARQL_UPDATE,
    )
    assert response.status_code == 401


def test_the_right_token_takes_the_update_by_every_protocol_form(writable: LiveServer) -> None:
    direct = post_update(writable, Authorization=f"bearer {TOKEN}")  # the scheme is any case
    assert direct.status_code == 204, direct.text
    form = httpx.post(
        f"{writable.url}/sparql",
        data={"update": UPDATE},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert form.status_code == 204, form.text


def test_the_update_token_never_shows_in_logs_or_process_lists(writable: LiveServer) -> None:
    # every kind of refusal and success first, so the log has had its chances
    for authorization in ("", f"Bearer {TOKEN}x", f"Bearer {TOKEN}"):
        post_update(writable, Authorization=authorization)
    httpx.post(
        f"{writable.url}/sparql",
        content=b"DROP ALL ; INSERT DATA { <a> <b> }",
        headers={**SPARQL_UPDATE, "Authorization": f"Bearer {TOKEN}"},
    )
    if Path("/proc/self/cmdline").exists():
        lines = command_lines(writable.process.pid)
        assert len(lines) >= 3  # the server, its reader workers and its writer
        assert [line for line in lines if secrets_in(line)] == []
        # nor inherited by its workers: the server takes it out of its environment (its own
        # /proc/PID/environ keeps what it was started with, readable by the same user only)
        for pid in process_tree(writable.process.pid)[1:]:
            with contextlib.suppress(OSError):
                assert TOKEN.encode() not in Path(f"/proc/{pid}/environ").read_bytes(), pid
    log = writable.log.read_text(errors="replace")
    assert secrets_in(log) == [] and TOKEN + "x" not in log


def test_the_token_comparison_is_constant_time_by_construction() -> None:
    """check_token compares with hmac.compare_digest and nothing else: no ==, no startswith."""
    source = textwrap.dedent(inspect.getsource(server_app.check_token))
    tree = ast.parse(source)
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "hmac.compare_digest" in calls
    compared = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare) and "token" in ast.unparse(node)
    ]
    assert all("given" not in c for c in compared), compared
    assert not {"startswith", "endswith", "find"} & {c.rsplit(".", 1)[-1] for c in calls}


def test_enable_update_without_a_token_does_not_start(
    ferret_store_dir: Path,
) -> None:
    for env_token in (None, ""):
        env = {k: v for k, v in os.environ.items() if k != "SCHOLARKG_UPDATE_TOKEN"}
        if env_token is not None:
            env["SCHOLARKG_UPDATE_TOKEN"] = env_token
        command = ["serve", "--store", str(ferret_store_dir), "--port", str(free_port())]
        done = subprocess.run(
            [sys.executable, "-m", "scholarkg.cli", *command, "--enable-update"],
            check=False,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "SCHOLARKG_UPDATE_TOKEN" in done.stderr


def test_serve_takes_no_token_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scholarkg.cli", "serve", "--token", TOKEN],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "No such option" in done.stderr


# -- endpoint credentials of the remote backend ------------------------------------------------


class EchoHandler(BaseHTTPRequestHandler):
    """A SPARQL server that refuses everything, echoing the request's Authorization header
    in its body: /401, /403, /400, /500, /502, /slow (waits, then 500)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        path = self.path.split("?")[0].strip("/").split("/")[0]
        if path == "slow":
            time.sleep(2)
            path = "500"
        status = int(path) if path.isdigit() else 404
        body = f"refused; you sent Authorization: {self.headers.get('Authorization')}".encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="echo"')
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer  # noqa: N815  (the names http.server calls)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    """The URL of a loopback server that echoes credentials in its refusals."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


CREDENTIALS = {
    "basic": Credentials(scheme="basic", user=USER, password=PASSWORD),
    "digest": Credentials(scheme="digest", user=USER, password=PASSWORD),
    "bearer": Credentials(scheme="bearer", token=ENDPOINT_TOKEN),
}


def refusal(url: str, credentials: Credentials) -> ScholarkgError:
    """The error the remote backend raises when the server at ``url`` refuses a query."""
    store = RemoteStore(
        Endpoints(query=url), DEFAULT_BASE, credentials=credentials, retries=1, backoff=0.01
    )
    try:
        with pytest.raises(ScholarkgError) as raised:
            store.query("ASK {}")
    finally:
        store.close()
    return raised.value


def shown(error: BaseException) -> str:
    """Everything an error shows: message, repr, JSON shape, and its chain."""
    parts = [str(error), repr(error)]
    if isinstance(error, ScholarkgError):
        parts.append(str(error.to_dict()))
    cause = error.__cause__ or error.__context__
    if cause is not None and not error.__suppress_context__:
        parts.append(shown(cause))
    return "\n".join(parts)


@pytest.mark.parametrize("scheme", list(CREDENTIALS))
@pytest.mark.parametrize("status", ["401", "403", "502"])
def test_refused_credentials_never_show_in_the_backends_errors(
    echo_server: str, scheme: str, status: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    error = refusal(f"{echo_server}/{status}", CREDENTIALS[scheme])
    assert status in str(error)
    assert secrets_in(shown(error)) == []
    assert secrets_in(caplog.text) == []


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
@pytest.mark.parametrize("status", ["400", "500"])
def test_an_echoed_authorization_header_is_not_relayed_in_errors(
    echo_server: str, scheme: str, status: str
) -> None:
    error = refusal(f"{echo_server}/{status}", CREDENTIALS[scheme])
    assert secrets_in(shown(error)) == []


def test_credentials_never_show_in_their_repr_or_their_auth() -> None:
    for credentials in CREDENTIALS.values():
        assert secrets_in(repr(credentials)) == []
        assert secrets_in(repr(credentials.httpx_auth())) == []
        assert secrets_in(repr([credentials])) == []  # containers use repr


def test_credentials_never_show_as_text() -> None:
    for credentials in CREDENTIALS.values():
        assert secrets_in(f"{credentials}") == []


def test_credentials_come_from_the_environment_only() -> None:
    env = {
        "SCHOLARKG_ENDPOINT_USER": USER,
        "SCHOLARKG_ENDPOINT_PASSWORD": PASSWORD,
    }
    found = Credentials.from_environment(env)
    assert found is not None and found.password == PASSWORD
    done = subprocess.run(
        [sys.executable, "-m", "scholarkg.cli", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    options = [w for w in done.stdout.split() if w.startswith("--")]
    assert not [o for o in options if any(s in o for s in ("password", "token", "user"))]


@needs_proc
def test_a_remote_cli_command_shows_no_secret_in_ps_or_its_output(echo_server: str) -> None:
    env = {
        **os.environ,
        "SCHOLARKG_ENDPOINT_USER": USER,
        "SCHOLARKG_ENDPOINT_PASSWORD": PASSWORD,
    }
    command = ["--endpoint", f"{echo_server}/slow", "query", "ASK {}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "scholarkg.cli", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    while process.poll() is None:
        seen += command_lines(process.pid)
        time.sleep(0.1)
    out, err = process.communicate(timeout=60)
    assert any("scholarkg.cli" in line for line in seen)  # it was looked at while running
    assert [line for line in seen if secrets_in(line)] == []
    assert process.returncode != 0
    assert secrets_in(out + err) == []

"""Run the real scholarkg CLI with one kill point armed: the Nth event at a chosen place sends
SIGKILL to the process itself, so nothing of Python's clean-up (finally, atexit) runs.

    python -m tests.kill_runner '{"target": "scholarkg.mapping:ListingMapper.map_entry",
                                  "n": 7, "when": "before"}' ingest FILE --store STORE

``target`` is ``module:attribute`` or ``module:Class.attribute``; the attribute is replaced, for
this process only, by a wrapper that counts events. ``when`` says what an event is and when the
kill happens:

- ``before``: the Nth call, before the original runs;
- ``after``: the Nth call, after the original returned (its effects are done);
- ``item``: the original returns an iterable; the kill comes when it has produced its Nth item.

Two places are not attributes a module exposes, and have names of their own:

- ``loader``: the function the store's background loader thread calls to load a chunk into the
  graph being replaced (``GraphWriter``'s ``load``); counted like ``after``;
- ``http``: ``httpx.Client.send``, every outgoing HTTP request; counted like ``before``.

The product code is not changed: the wrappers are installed here, then ``scholarkg.cli.main``
runs. If the kill point is never reached the CLI finishes normally and its exit code is the
runner's, so a caller can tell a kill (-SIGKILL) from a point that does not exist.

``python -m tests.kill_runner --fork-server`` is the same, many times over, without paying for
Python's start-up and the shapes' compilation each time: it imports scholarkg and compiles the
shapes once, then reads one JSON job a line on stdin (``{"argv": [...], "spec": {...} or null,
"env": {...}, "cwd": DIR, "log": FILE}``), runs each in a forked child (a fresh process with the
warm caches) and answers one JSON line: ``{"code": exit code}`` or ``{"signal": 9}``.
``KillServer`` drives one from Python.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

WHEN = ("before", "after", "item")


def die() -> None:
    """Kill this process at once, the way an out-of-memory killer or a power cut would."""
    os.kill(os.getpid(), signal.SIGKILL)


class Counter:
    """Counts events (from any thread) and kills the process at the Nth."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.seen += 1
            if self.seen == self.n:
                die()


def _counting_items(items: Iterable[Any], counter: Counter) -> Iterator[Any]:
    for item in items:
        counter.tick()
        yield item


def wrap(original: Callable[..., Any], when: str, counter: Counter) -> Callable[..., Any]:
    """``original`` with the kill point armed."""

    @functools.wraps(original)
    def armed(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            counter.tick()
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        if when == "item":
            return _counting_items(result, counter)
        counter.tick()
        return result

    return armed


def _resolve(target: str) -> tuple[Any, str]:
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def arm(target: str, n: int, when: str) -> None:
    """Install the kill point."""
    counter = Counter(n)
    if target == "loader":
        from scholarkg.store import GraphWriter  # noqa: PLC0415

        init = GraphWriter.__init__

        def armed_init(self: GraphWriter, load: Callable[..., None], *args: Any) -> None:
            init(self, wrap(load, "after", counter), *args)

        GraphWriter.__init__ = armed_init  # type: ignore[method-assign,assignment]
        return
    if target == "http":
        target, when = "httpx:Client.send", "before"
    if when not in WHEN:
        raise SystemExit(f"kill_runner: 'when' must be one of {WHEN}, not {when!r}")
    owner, name = _resolve(target)
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    if isinstance(original, staticmethod):
        setattr(owner, name, staticmethod(wrap(original.__func__, when, counter)))
    else:
        setattr(owner, name, wrap(original, when, counter))


def run_cli(spec: dict[str, Any] | None, argv: list[str]) -> int:
    """Arm the point (if any), then run the CLI."""
    if spec is not None:
        arm(spec["target"], int(spec["n"]), spec.get("when", "before"))
    from scholarkg.cli import main as cli_main  # noqa: PLC0415

    return cli_main(argv)


def _warm_up() -> None:
    """What every CLI run pays for once per process: imports and the shapes' compilation."""
    from scholarkg.cli import main as cli_main  # noqa: PLC0415, F401
    from scholarkg.pipeline import compile_cached  # noqa: PLC0415
    from scholarkg.shapes import load_shapes  # noqa: PLC0415
    from scholarkg.vocab import DEFAULT_BASE  # noqa: PLC0415

    compile_cached(load_shapes(base=DEFAULT_BASE))


def _child(job: dict[str, Any]) -> None:
    """In the forked child: run one job, never return."""
    code = 70
    try:
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(job.get("cwd") or ".")
        os.environ.update(job.get("env") or {})
        code = run_cli(job.get("spec"), list(job["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback  # noqa: PLC0415

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"timeout": 1}
        time.sleep(0.01)
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status)}


def fork_server() -> int:
    """Serve jobs from stdin, one forked child each, until EOF."""
    _warm_up()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(job)
        print(json.dumps(_wait(pid, float(job.get("timeout", 300)))), flush=True)
    return 0


class KillServer:
    """A fork server (see above) in a child process; a context manager."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd.resolve()
        root = Path(__file__).resolve().parents[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.kill_runner", "--fork-server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        ready = self._line()
        if not ready.get("ready"):
            raise RuntimeError(f"the kill runner did not start: {ready}")

    def _line(self) -> dict[str, int]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the kill runner exited")
        answer: dict[str, int] = json.loads(line)
        return answer

    def run(
        self,
        argv: list[str],
        spec: dict[str, Any] | None = None,
        *,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        timeout: float = 300,
    ) -> dict[str, int]:
        """Run the CLI once (with a kill point armed, if given); how the child ended."""
        assert self.process.stdin is not None
        job = {
            "argv": argv,
            "spec": spec,
            "env": env or {},
            "cwd": str(self.cwd),
            "log": str(log or self.cwd / "cli.log"),
            "timeout": timeout,
        }
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        return self._line()

    def close(self) -> None:
        """Stop the server (it ends at EOF)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def main(argv: list[str]) -> int:
    """``--fork-server``, or arm the point given as JSON in ``argv[0]`` and run the CLI on the
    rest."""
    if argv[:1] == ["--fork-server"]:
        return fork_server()
    return run_cli(json.loads(argv[0]), argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

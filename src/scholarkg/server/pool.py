"""Worker processes that run queries with a time limit that really stops them.

Each worker is a process with a pipe. A request takes an idle worker (waiting at most
``queue_wait`` seconds, else the server is busy: 503), sends its task and waits up to the time
limit; a worker past the limit is killed and replaced, so a runaway query costs nothing after its
time is up.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path

from scholarkg.errors import BusyError, QueryError, QueryTimeoutError, StoreError
from scholarkg.server.worker import Reply, Task, View, worker_main

_CONTEXT = multiprocessing.get_context("spawn")


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, path: Path, base: str, writable: bool) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process: BaseProcess = _CONTEXT.Process(
            target=worker_main,
            args=(child, str(path), base, writable),
            name="scholarkg-writer" if writable else "scholarkg-reader",
            daemon=True,
        )
        self.process.start()
        child.close()

    def ask(self, task: Task, view: View, timeout: float) -> Reply | None:
        """The worker's reply, or None if it did not answer in time."""
        self.conn.send((task, view))
        if not self.conn.poll(timeout):
            return None
        reply: Reply = self.conn.recv()
        return reply

    def stop(self) -> None:
        """Kill the process now (a query in it is abandoned; a write in it rolls back)."""
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """A fixed number of workers over one store; thread-safe."""

    def __init__(
        self, path: Path, base: str, *, size: int, queue_wait: float, writable: bool = False
    ) -> None:
        self.path = path
        self.base = base
        self.writable = writable
        self.queue_wait = queue_wait
        self.view = View()
        self._lock = threading.Lock()
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = Worker(self.path, self.base, self.writable)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.remove(worker)
        self._add()

    def run(self, task: Task, timeout: float) -> Reply:
        """Run one task in a worker, within ``timeout`` seconds."""
        try:
            worker = self._idle.get(timeout=self.queue_wait)
        except queue.Empty:
            raise BusyError(
                f"all query workers are busy (waited {self.queue_wait:g} s); retry shortly"
            ) from None
        try:
            reply = worker.ask(task, self.view, timeout)
        except (EOFError, OSError) as exc:
            worker.process.join(timeout=5)
            crashed = worker.process.exitcode == -signal.SIGSEGV
            self._replace(worker)
            if crashed:  # the engine overflows its stack on terms nested or chained too deep
                raise QueryError(
                    "the query engine crashed on this request, as it does on terms nested or "
                    "chained thousands deep; simplify it (split long chains of ||, UNION or "
                    "triple patterns, or use VALUES or IN)"
                ) from None
            raise StoreError(f"a query worker stopped unexpectedly ({exc}); retry") from None
        if reply is None:
            self._replace(worker)
            raise QueryTimeoutError(
                f"the query was stopped after the server's time limit of {timeout:g} s "
                "(scholarkg serve --timeout); narrow it down or add a LIMIT"
            )
        self._idle.put(worker)
        return reply

    def bump(self, snapshot: Path | None = None) -> None:
        """Tell readers the store changed (and where its latest snapshot is): each reopens it
        before its next task."""
        with self._lock:
            self.view = View(self.view.generation + 1, str(snapshot) if snapshot else None)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()

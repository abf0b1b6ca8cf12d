"""Long ingests show a count of entries on a terminal, and nothing when stderr is piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from .conftest import LISTING

COMMAND = [sys.executable, "-m", "scholarkg.cli", "ingest", str(LISTING), "--no-validate"]


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, "SCHOLARKG_STORE": str(tmp_path / "kg")}
    done = subprocess.run(
        COMMAND, stdout=subprocess.PIPE, stderr=follower, env=env, check=False, timeout=120
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"\rreading arxiv-listing-ferret.txt: 26 entries" in shown
    assert b"\r\x1b[K" in shown  # the count is wiped before the summary
    assert b"entries" not in done.stdout


def test_quiet_when_piped(tmp_path: Path) -> None:
    env = {**os.environ, "SCHOLARKG_STORE": str(tmp_path / "kg")}
    done = subprocess.run(COMMAND, capture_output=True, env=env, check=False, timeout=120)
    assert done.returncode == 0
    assert b"\r" not in done.stderr
    assert b"entries" not in done.stderr

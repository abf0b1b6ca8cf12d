"""Hostile HTTP input and token timing against a live ``scholarkg serve`` (issue 9, points 4-5).

Builds a store from ``data/`` (``scholarkg build``), starts the server as a real process on
loopback with small limits (the options of ``tests/test_hostile_http.py``) and:

1. runs schemathesis from the server's own ``/openapi.json`` (valid and invalid requests for
   every operation) and counts cases sent, 5xx answers and answers that break the document;
2. replays the hand-written hostile cases of ``tests/test_hostile_http.py`` (oversized bodies,
   nesting, runaway queries, row cap, SERVICE to loopback and private addresses, path
   traversal, header injection, CORS...) and counts those refused as expected, 5xx answers,
   other surprises, server crashes (the process gone, or no normal answer afterwards) and
   connections the server made to a loopback listener;
3. times the update-token check on a second server that takes updates: the right token (the
   baseline), a wrong token of the same length, wrong in the first byte only, wrong in the last
   byte only, and no token. The requests are interleaved in a shuffled order, and every variant
   stops right after the check (the right token's update is refused just after it, before any
   work), so the medians compare the check alone. Reported: medians, ratios to the baseline with
   a bootstrap 95% confidence interval, and a Mann-Whitney U test against the baseline.

    python benchmarks/bench_hostile_http.py            # 300 examples per operation, 2,000 requests
    python benchmarks/bench_hostile_http.py --quick    # 10 examples, 300 requests

Results go to ``benchmarks/out/hostile-http.json``; ``run(quick)`` returns the same dict for a
combined report. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the hostile cases and the live server live with the tests

from tests.live_server import LiveServer  # noqa: E402
from tests.test_hostile_http import (  # noqa: E402
    HOSTILE_CASES,
    SERVER_ARGS,
    Listener,
    Target,
    run_schemathesis,
)

from bench_ingest import _checkout  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TOKEN = "bench-" + "k" * 42
#: Passes the token check, then is refused at once (USING given twice): no update runs.
CHEAP_UPDATE = "WITH <x:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"


def build_store(folder: Path) -> Path:
    """A store built from data/ by ``scholarkg build``."""
    store = folder / "store"
    subprocess.run(
        [sys.executable, "-m", "scholarkg.cli", "build", str(ROOT / "data"), "--store", str(store)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return store


def normal_answer(url: str) -> bool:
    """True if the server answers a normal query."""
    try:
        response = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def run_hostile_cases(server: LiveServer) -> dict[str, Any]:
    """Every hand-written case once, with a normal query after each."""
    listener = Listener()
    counts = {
        "cases": 0,
        "refused_as_expected": 0,
        "unexpected": 0,
        "server_errors": 0,
        "server_crashes": 0,
        "listener_connections": 0,
    }
    by_kind: dict[str, dict[str, int]] = {}
    failures = []
    started = time.perf_counter()
    try:
        for case in HOSTILE_CASES:
            kind = by_kind.setdefault(case.kind, {"cases": 0, "as_expected": 0})
            counts["cases"] += 1
            kind["cases"] += 1
            before = len(listener.connections)
            try:
                response = case.send(Target(server.url, listener.port))
                verdict = case.verdict(response)
                status = response.status
            except OSError as exc:
                verdict, status = f"no answer: {exc}", 0
            called = len(listener.connections) - before
            counts["listener_connections"] += called
            if called:
                verdict = f"the server connected to the listener {called} time(s)"
            if status >= 500 and verdict is not None:
                counts["server_errors"] += 1
            if server.process.poll() is not None or not normal_answer(server.url):
                counts["server_crashes"] += 1
                verdict = verdict or "the server stopped answering"
            if verdict is None:
                counts["refused_as_expected"] += 1
                kind["as_expected"] += 1
            else:
                counts["unexpected"] += 1
                failures.append(f"{case.name}: {verdict}")
            if server.process.poll() is not None:
                break  # nothing more can be measured
    finally:
        listener.close()
    return {
        **counts,
        "seconds": round(time.perf_counter() - started, 1),
        "by_kind": by_kind,
        "failures": failures,
    }


def _variants() -> dict[str, dict[str, str]]:
    first = ("x" if TOKEN[0] != "x" else "y") + TOKEN[1:]
    last = TOKEN[:-1] + ("x" if TOKEN[-1] != "x" else "y")
    return {
        "right token": {"Authorization": f"Bearer {TOKEN}"},
        "wrong, same length": {"Authorization": "Bearer " + "z" * len(TOKEN)},
        "wrong first byte": {"Authorization": f"Bearer {first}"},
        "wrong last byte": {"Authorization": f"Bearer {last}"},
        "missing": {},
    }


def bootstrap_ratio(
    sample: list[float], baseline: list[float], rng: random.Random, rounds: int = 2000
) -> tuple[float, float]:
    """95% bootstrap confidence interval of median(sample) / median(baseline)."""
    ratios = sorted(
        statistics.median(rng.choices(sample, k=len(sample)))
        / statistics.median(rng.choices(baseline, k=len(baseline)))
        for _ in range(rounds)
    )
    return ratios[int(0.025 * rounds)], ratios[int(0.975 * rounds) - 1]


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties averaged)."""
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(r for r, (_, group) in zip(ranks, ranked, strict=True) if group == 0)
    u = r1 - n1 * (n1 + 1) / 2
    mean, sd = n1 * n2 / 2, math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    z = (u - mean) / sd if sd else 0.0
    return math.erfc(abs(z) / math.sqrt(2))


def time_token_check(server: LiveServer, requests: int, seed: int = 1) -> dict[str, Any]:
    """Median time of a refused or accepted token, per variant, interleaved."""
    variants = _variants()
    times: dict[str, list[float]] = {name: [] for name in variants}
    statuses: dict[str, set[int]] = {name: set() for name in variants}
    rng = random.Random(seed)
    url = f"{server.url}/sparql?using-graph-uri=x:u"
    body = CHEAP_UPDATE.encode()
    with httpx.Client(timeout=60) as client:
        for _ in range(50):  # warm the connection and the server
            client.post(url, content=body, headers={"Content-Type": "application/sparql-update"})
        for _ in range(requests):
            order = list(variants)
            rng.shuffle(order)
            for name in order:
                headers = {"Content-Type": "application/sparql-update", **variants[name]}
                started = time.perf_counter_ns()
                response = client.post(url, content=body, headers=headers)
                times[name].append((time.perf_counter_ns() - started) / 1000)
                statuses[name].add(response.status_code)
    baseline = times["right token"]
    out: dict[str, Any] = {
        "requests_per_variant": requests,
        "baseline": "right token",
        "variants": {},
    }
    for name, sample in times.items():
        low, high = bootstrap_ratio(sample, baseline, rng)
        quantiles = statistics.quantiles(sample, n=10)
        out["variants"][name] = {
            "statuses": sorted(statuses[name]),
            "median_us": round(statistics.median(sample), 1),
            "p10_us": round(quantiles[0], 1),
            "p90_us": round(quantiles[-1], 1),
            "ratio_to_baseline": round(statistics.median(sample) / statistics.median(baseline), 4),
            "ratio_ci95": [round(low, 4), round(high, 4)],
            "mann_whitney_p": round(mann_whitney_p(sample, baseline), 4),
        }
    first, last = times["wrong first byte"], times["wrong last byte"]
    low, high = bootstrap_ratio(last, first, rng)
    out["last_vs_first_byte"] = {
        "ratio": round(statistics.median(last) / statistics.median(first), 4),
        "ratio_ci95": [round(low, 4), round(high, 4)],
        "mann_whitney_p": round(mann_whitney_p(last, first), 4),
    }
    return out


def run(quick: bool) -> dict[str, Any]:
    """The whole benchmark; the figures as a dict (also written to out/hostile-http.json)."""
    examples = 10 if quick else 300
    requests = 300 if quick else 2000
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **_checkout(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "quick": quick,
        "server_args": list(SERVER_ARGS),
    }
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        store = build_store(Path(tmp))
        server = LiveServer(store, *SERVER_ARGS)
        try:
            started = time.perf_counter()
            schema_run = run_schemathesis(server.url, max_examples=examples, seed=1)
            result["schemathesis"] = {
                "max_examples": examples,
                "sent": schema_run.sent,
                "server_errors": schema_run.server_errors,
                "violations": schema_run.violations,
                "statuses": {str(k): v for k, v in sorted(schema_run.statuses.items())},
                "failures": schema_run.failures[:50],
                "server_alive": server.process.poll() is None and normal_answer(server.url),
                "seconds": round(time.perf_counter() - started, 1),
            }
            result["hostile"] = run_hostile_cases(server)
        finally:
            server.stop()
        writable = LiveServer(
            store, "--enable-update", "--workers", "1", env={"SCHOLARKG_UPDATE_TOKEN": TOKEN}
        )
        try:
            result["token_timing"] = time_token_check(writable, requests)
        finally:
            writable.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / "hostile-http.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def print_table(result: dict[str, Any]) -> None:
    """The figures as one table."""
    s, h, t = result["schemathesis"], result["hostile"], result["token_timing"]
    rows = [
        ("schemathesis cases sent", s["sent"]),
        ("  5xx answers", s["server_errors"]),
        ("  answers breaking the OpenAPI document", s["violations"]),
        ("  server alive afterwards", "yes" if s["server_alive"] else "NO"),
        ("hostile cases sent", h["cases"]),
        ("  refused (or handled) as expected", h["refused_as_expected"]),
        ("  unexpected answers", h["unexpected"]),
        ("  5xx answers", h["server_errors"]),
        ("  server crashes", h["server_crashes"]),
        ("  connections to the loopback listener", h["listener_connections"]),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"commit {result['commit']}, {result['date']}, load average {result['load_average']}")
    for label, value in rows:
        print(f"{label:<{width}}  {value:>8}")
    for name, kind in sorted(h["by_kind"].items()):
        print(f"  {name:<{width - 2}}  {kind['as_expected']:>4}/{kind['cases']}")
    print(f"\ntoken check, {t['requests_per_variant']} requests per variant, interleaved:")
    print(f"{'variant':<22}{'status':>8}{'median us':>11}{'ratio':>8}  {'95% CI':<17}{'MW p':>7}")
    for name, v in t["variants"].items():
        ci = f"[{v['ratio_ci95'][0]:.3f}, {v['ratio_ci95'][1]:.3f}]"
        status = ",".join(str(x) for x in v["statuses"])
        print(
            f"{name:<22}{status:>8}{v['median_us']:>11.1f}{v['ratio_to_baseline']:>8.3f}  "
            f"{ci:<17}{v['mann_whitney_p']:>7.3f}"
        )
    lf = t["last_vs_first_byte"]
    print(
        f"wrong last byte / wrong first byte: {lf['ratio']:.3f} "
        f"[{lf['ratio_ci95'][0]:.3f}, {lf['ratio_ci95'][1]:.3f}], MW p={lf['mann_whitney_p']:.3f}"
    )
    for failure in s["failures"][:10] + h["failures"][:10]:
        print("  !", failure)


def main() -> None:
    """Command line: run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and requests")
    print_table(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()

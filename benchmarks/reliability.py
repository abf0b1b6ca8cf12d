"""The reliability report: one table of the figures that say scholarkg holds.

It runs the three reliability benchmarks in turn and prints what each found, side by side:

- ``bench_reliability_load.py``: ingests, exports, releases and remote ingests killed with
  SIGKILL at chosen points (the store must be exactly as before, the next run must succeed), and
  16 clients querying ``scholarkg serve`` while a source is replaced in a loop;
- ``bench_hostile_files.py``: the listing, BibTeX and Atom readers fuzzed (only their own error
  may come out), and the peak memory of ingests of growing listings;
- ``bench_hostile_http.py``: schemathesis against the server's OpenAPI document, hand-written
  hostile requests, and the timing of the update-token check.

Each part's figures also go to its own JSON file in ``out/``; this one writes them all to
``out/reliability.json``. ``--quick`` runs every part at its CI size (a few minutes); without
it, the full sizes (an hour or more: 10,000 fuzz cases per reader, a 1 GB listing).

    python benchmarks/reliability.py --quick
    python benchmarks/reliability.py
    python benchmarks/reliability.py --parts faults,http
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import bench_hostile_files  # noqa: E402
import bench_hostile_http  # noqa: E402
import bench_reliability_load  # noqa: E402

OUT = HERE / "out"
PARTS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "faults": bench_reliability_load.run,
    "files": bench_hostile_files.run,
    "http": bench_hostile_http.run,
}


def rows_of(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(figure, value, verdict) for each part that ran; the verdict is "ok" or "FAILED"."""
    rows: list[tuple[str, str, str]] = []

    def add(name: str, value: str, ok: bool) -> None:
        rows.append((name, value, "ok" if ok else "FAILED"))

    if faults := results.get("faults"):
        survived, tried = faults["kill_points_survived"], faults["kill_points_tried"]
        phases = ", ".join(
            f"{p} {r['survived']}/{r['tried']}" for p, r in faults["kill_points"].items()
        )
        add("kill points survived (SIGKILL)", f"{survived}/{tried} ({phases})", survived == tried)
        writers = (("load", "SPARQL Updates"), ("load_ingest", "remote ingests"))
        for key, writes in writers:
            if (load := faults.get(key)) is None:
                continue
            served = f"{load['answered']:,} of {load['requests']:,} by {load['clients']} clients"
            add(
                f"requests served under load ({writes})",
                f"{served} in {load['seconds']} s, {load['writes']} writes",
                load["answered"] > 0 and load["failed_writes"] == 0,
            )
            errors = sum(load["errors"].values()) if load["errors"] else 0
            add(
                "  errors (other than 503/429) / inconsistent answers",
                f"{errors} / {load['inconsistent']}",
                errors == 0 and load["inconsistent"] == 0 and load["final_state_ok"],
            )
            add(
                "  latency p50 / p95 / p99",
                f"{load['p50_ms']} / {load['p95_ms']} / {load['p99_ms']} ms",
                True,
            )
    if files := results.get("files"):
        if fuzz := files.get("fuzz"):
            per = ", ".join(f"{n} {p['cases']:,}" for n, p in fuzz["parsers"].items())
            add(
                "fuzz cases run (only the parser's own error)",
                f"{fuzz['cases_total']:,} ({per}); {fuzz['unexpected_errors_total']} other errors",
                fuzz["unexpected_errors_total"] == 0,
            )
        for stage, flat in (files.get("memory") or {}).get("flatness", {}).items():
            add(
                f"peak memory, {stage}, {flat['size_ratio']}x larger input",
                f"{flat['peak_rss_mb_smallest']:,} -> {flat['peak_rss_mb_largest']:,} MB "
                f"({flat['rss_ratio']}x)",
                True,
            )
    if http := results.get("http"):
        schema, hostile = http["schemathesis"], http["hostile"]
        add(
            "schemathesis cases (no 5xx, none off the schema)",
            f"{schema['sent']:,}; {schema['server_errors']} 5xx, {schema['violations']} off",
            schema["server_errors"] == 0 and schema["violations"] == 0 and schema["server_alive"],
        )
        add(
            "hostile HTTP cases refused or handled",
            f"{hostile['refused_as_expected']}/{hostile['cases']}; "
            f"{hostile['server_crashes']} crashes, "
            f"{hostile['listener_connections']} calls out",
            hostile["refused_as_expected"] == hostile["cases"]
            and hostile["server_crashes"] == 0
            and hostile["listener_connections"] == 0,
        )
        timing = http["token_timing"]["last_vs_first_byte"]
        low, high = timing["ratio_ci95"]
        add(
            "token check: wrong last byte / wrong first byte",
            f"{timing['ratio']:.3f} (95% CI {low:.3f}-{high:.3f})",
            low <= 1.0 <= high or abs(timing["ratio"] - 1.0) < 0.02,
        )
    return rows


def render(rows: list[tuple[str, str, str]]) -> str:
    """The rows as one aligned table."""
    width = max(len(name) for name, _, _ in rows)
    lines = [f"{'figure':<{width}}  verdict  value", "-" * (width + 40)]
    lines += [f"{name:<{width}}  {verdict:<7}  {value}" for name, value, verdict in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for; print the table; exit 1 if any figure failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every part at its CI size")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}"
    )
    args = parser.parse_args(argv)
    parts = [p for p in args.parts.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    results: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    for part in parts:
        print(f"running {part} ...", file=sys.stderr, flush=True)
        results[part] = PARTS[part](args.quick)
    rows = rows_of(results)
    print(render(rows))
    OUT.mkdir(exist_ok=True)
    report = {
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "rows": [{"figure": n, "value": v, "verdict": d} for n, v, d in rows],
        "parts": results,
    }
    (OUT / "reliability.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0 if all(verdict == "ok" for _, _, verdict in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

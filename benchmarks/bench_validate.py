"""Benchmark: repeated whole-library validation, counting flips.

Runs `leakkit validate --json` round after round and appends each round's results (with the
commit and the start time) to a JSON Lines file as soon as the round ends, so a run stopped
early keeps every finished round, and rounds run on different days add up. A flip
is a scenario that passed in one round and failed in another. Prints one line per round and a
summary: rounds, scenarios, flips, failures, and the time per round and per scenario.

    .venv/bin/python benchmarks/bench_validate.py --rounds 20 [--out FILE] [SCENARIO ...]
    .venv/bin/python benchmarks/bench_validate.py --summary benchmarks/results/validate-rounds.jsonl \
        [--commit bc7990c --commit ee374af]

The rounds file is committed: rounds of the same commit, run on different days, add up, and
`--commit` picks them out of the rest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _commit() -> str:
    """The commit validated, marked `+dirty` when the work tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + (
        "+dirty" if git("status", "--porcelain", "--", "kit", "scenarios", "go_samples") else ""
    )


def run_round(ids: list[str], backend: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "kit", "validate", "--json", "--backend", backend, *ids]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    commit = _commit()
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    elapsed = time.monotonic() - start
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.exit(f"validate printed no JSON (exit {done.returncode}); run it by hand to see why")
    return {
        "started": started,
        "commit": commit,
        "backend": backend,
        "duration_s": round(elapsed, 1),
        "results": report["results"],
    }


def summarize(rounds: list[dict[str, Any]]) -> int:
    outcomes: dict[str, list[bool]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    for r in rounds:
        for res in r["results"]:
            outcomes[res["scenario"]].append(res["ok"])
            times[res["scenario"]].append(res["duration_s"])
    flips = sorted(s for s, oks in outcomes.items() if len(set(oks)) > 1)
    always_fail = sorted(s for s, oks in outcomes.items() if not any(oks))
    round_times = [r["duration_s"] for r in rounds]
    commits = sorted({r.get("commit", "unknown") for r in rounds})
    print(
        f"\n{len(rounds)} round(s) of {len(outcomes)} scenario(s), commit(s) {', '.join(commits)}"
    )
    print(f"{'scenario':<24} {'passed':>8} {'median s':>9} {'max s':>7}")
    for s in sorted(outcomes):
        oks = outcomes[s]
        print(
            f"{s:<24} {sum(oks):>4}/{len(oks):<3} {statistics.median(times[s]):>9.1f}"
            f" {max(times[s]):>7.1f}"
        )
    if round_times:
        print(
            f"round time: median {statistics.median(round_times) / 60:.1f} min, "
            f"total {sum(round_times) / 3600:.2f} h"
        )
    print(f"flips: {len(flips)}{' (' + ', '.join(flips) + ')' if flips else ''}")
    print(
        f"failed every round: {len(always_fail)}{' ' + ', '.join(always_fail) if always_fail else ''}"
    )
    return 1 if flips or always_fail else 0


def _of(round_: dict[str, Any], commit: str) -> bool:
    return str(round_.get("commit", "")).startswith(commit)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("ids", nargs="*", help="scenarios (default: all)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--backend", default="local")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "validate-rounds.jsonl"
    )
    ap.add_argument("--summary", type=Path, help="only summarize an existing rounds file")
    ap.add_argument(
        "--commit",
        action="append",
        default=[],
        help="with --summary: only rounds of this commit (a prefix; repeat for several)",
    )
    args = ap.parse_args()
    if args.commit and not args.summary:
        ap.error("--commit picks rounds out of a file: use it with --summary FILE")
    if args.summary:
        if not args.summary.is_file():
            ap.error(
                f"{args.summary}: no such rounds file (bench_validate.py --rounds N writes one)"
            )
        lines = args.summary.read_text().splitlines()
        rounds = [json.loads(line) for line in lines if line.strip()]
        if args.commit:
            missing = [c for c in args.commit if not any(_of(r, c) for r in rounds)]
            if missing:
                known = ", ".join(sorted({r.get("commit", "unknown") for r in rounds}))
                ap.error(f"{args.summary}: no rounds of commit {', '.join(missing)} (has: {known})")
            rounds = [r for r in rounds if any(_of(r, c) for c in args.commit)]
        sys.exit(summarize(rounds))
    rounds = []
    for n in range(1, args.rounds + 1):
        r = run_round(args.ids, args.backend) | {"round": n}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a") as f:
            f.write(json.dumps(r) + "\n")
        rounds.append(r)
        failed = [res["scenario"] for res in r["results"] if not res["ok"]]
        print(
            f"round {n}/{args.rounds}: {r['duration_s'] / 60:.1f} min, "
            f"{len(r['results']) - len(failed)}/{len(r['results'])} ok"
            + (f" (failed: {', '.join(failed)})" if failed else ""),
            flush=True,
        )
    sys.exit(summarize(rounds))


if __name__ == "__main__":
    main()

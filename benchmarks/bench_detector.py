"""Benchmark the leak detector on go_samples/calibration: sensitivity and false positives.

The calibration service keeps one 16-byte payload on every K-th request (K = 1, 2, 4, ...),
so the leak ranges from 16 down to a fraction of a byte of payload per request. Each setting
runs N times under the default load (warm-up 500, 5 phases of 2,000 requests, concurrency 8)
and counts "leak" verdicts; the zero-leak setting runs M times and counts false positives.
Also checks one parked goroutine per request, and one per 100 requests.

    .venv/bin/python benchmarks/bench_detector.py [--runs 10] [--zero-runs 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from kit.runner.run import RunRequest
from kit.runner.session import run_request
from kit.scenarios.manifest import LoadPlan, RequestTemplate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOAD = LoadPlan(
    "requests", 500, 5, 2000, 8, 1, (RequestTemplate("GET", "/work?id={i}", status=(200,)),)
)


def verdicts(
    bytes_kept: int, goroutines: int, runs: int, every: int = 1
) -> list[tuple[str, float]]:
    os.environ["LEAKKIT_CAL_BYTES"] = str(bytes_kept)
    os.environ["LEAKKIT_CAL_GOROUTINES"] = str(goroutines)
    os.environ["LEAKKIT_CAL_EVERY"] = str(every)
    out = []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="leakkit-cal-"))
        findings = run_request(
            RunRequest(ROOT / "go_samples" / "calibration", DEFAULT_LOAD, folder)
        )
        metric = "goroutines" if goroutines else "heap_alloc"
        out.append((findings.verdict, findings.growth[metric].per_1k))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--zero-runs", type=int, default=20)
    ap.add_argument("--every", default="1,2,4,8,16,32,64")
    args = ap.parse_args()
    start = time.monotonic()
    smallest = None
    print(
        f"default load: warm-up 500, 5 phases x 2000 requests, concurrency 8; {args.runs} runs each"
    )
    for every in (int(k) for k in args.every.split(",")):
        results = verdicts(16, 0, args.runs, every)
        caught = sum(v == "leak" for v, _ in results)
        slopes = sorted(p for _, p in results)
        payload = 16 / every
        print(
            f"16 B every {every:>2} requests ({payload:5.2f} B/request payload): "
            f"caught {caught}/{args.runs}; "
            f"heap_alloc per 1k requests {slopes[0]:,.0f}..{slopes[-1]:,.0f} B"
        )
        if caught == args.runs:
            smallest = payload
    for every in (1, 100):
        caught = sum(v == "leak" for v, _ in verdicts(0, 1, args.runs, every))
        print(f"1 goroutine every {every} requests: caught {caught}/{args.runs}")
    zero = verdicts(0, 0, args.zero_runs)
    false_pos = sum(v == "leak" for v, _ in zero)
    slopes = sorted(p for _, p in zero)
    print(
        f"zero leak: {false_pos}/{args.zero_runs} false positives; heap_alloc per 1k requests "
        f"{slopes[0]:,.0f}..{slopes[-1]:,.0f} B; verdicts {sorted({v for v, _ in zero})}"
    )
    print(f"smallest payload caught in every run: {smallest} B/request")
    print(f"total time {time.monotonic() - start:.0f}s")
    return 0 if smallest is not None and smallest <= 16 and false_pos == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

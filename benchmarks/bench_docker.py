"""Benchmark: a whole grade on the Docker backend against the same grade on the local backend.

For each scenario, makes a workspace with the reference fix and the model diagnosis, then
alternately grades it with --backend local and --backend docker (each grade measures the
original, the fix and a variant, runs the functional checks and the Go tests). Prints the
median wall time of each and the ratio docker/local; the goal is at most 1.5.

    .venv/bin/python benchmarks/bench_docker.py [--repeat 2] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kit.grading.grade import grade
from kit.grading.patching import apply_patch
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace

GOAL = 1.5


def workspace(scenario_id: str, root: Path) -> Path:
    scenario = get_scenario(scenario_id)
    ws = create_workspace(scenario, root / scenario_id).path
    apply_patch(scenario.folder / "solution.patch", ws)
    (ws / "diagnosis.md").write_text((scenario.folder / "diagnosis.md").read_text())
    return ws


def timed_grade(ws: Path, backend: str) -> float:
    start = time.monotonic()
    verdict = grade(ws, backend=backend)
    took = time.monotonic() - start
    if verdict.status != "pass":
        sys.exit(f"{ws.name} on {backend}: the reference fix did not pass ({verdict.status})")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=["cache-map", "ticker-leak"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="leakkit-bench-docker-") as tmp:
        for scenario_id in args.scenarios:
            ws = workspace(scenario_id, Path(tmp))
            times: dict[str, list[float]] = {"local": [], "docker": []}
            for _ in range(args.repeat):
                for backend in ("local", "docker"):
                    times[backend].append(timed_grade(ws, backend))
            local, docker = (statistics.median(times[b]) for b in ("local", "docker"))
            ratio = docker / local
            worst = max(worst, ratio)
            print(
                f"{scenario_id:<18} local {local:6.1f}s  docker {docker:6.1f}s  "
                f"ratio {ratio:.2f}  (goal <= {GOAL}; runs: {times})"
            )
    print(f"worst ratio {worst:.2f}: {'meets' if worst <= GOAL else 'misses'} the goal")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())

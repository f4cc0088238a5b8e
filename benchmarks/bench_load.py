"""Benchmark: the kit's load driver (go_samples/loadgen) against `wrk` on the same endpoint.

Builds go_samples/calibration and go_samples/loadgen, starts the calibration service (which
retains nothing), then alternately runs `wrk -t2 -c8` and loadgen (concurrency 8) against
GET /work for the same duration, and prints the median requests per second of each and the
ratio loadgen/wrk (the goal is >= 0.5).

    .venv/bin/python benchmarks/bench_load.py [--repeat 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from kit.toolchain import find_toolchain

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.5
CONCURRENCY = 8


def start_service(binary: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the calibration service on a free port; return it and its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKKIT_CAL_")}
    env["LEAKKIT_LISTEN"] = "127.0.0.1:0"
    proc = subprocess.Popen([str(binary)], env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if m := re.search(r"listening on (\S+)", line):
            return proc, f"http://{m.group(1)}"
    raise SystemExit(f"calibration exited ({proc.wait()}) before listening")


def wrk_rps(url: str, seconds: int) -> float:
    cmd = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", f"{url}/work?id=1"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise SystemExit(f"no Requests/sec in wrk output:\n{out}")
    return float(m.group(1))


def loadgen_rps(binary: Path, spec: Path, url: str, seconds: int) -> float:
    cmd = [str(binary), "-target", url, "-spec", str(spec)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    if json.loads(proc.stdout.readline()).get("ready") is not True:
        raise SystemExit("loadgen did not report ready")
    proc.stdin.write(json.dumps({"cmd": "run", "seconds": seconds, "start": 0}) + "\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    proc.stdin.write('{"cmd": "quit"}\n')
    proc.stdin.close()
    proc.wait(timeout=30)
    if "error" in answer or answer["errors"]:
        raise SystemExit(f"loadgen run failed: {answer}")
    return float(answer["done"]) / float(answer["elapsed_s"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed; install it with `apt-get install -y wrk`", file=sys.stderr)
        return 1
    tc = find_toolchain()
    work = Path(tempfile.mkdtemp(prefix="leakkit-bench-load-"))
    for name in ("calibration", "loadgen"):
        done = tc.run("build", "-o", str(work / name), f"./{name}", cwd=ROOT / "go_samples")
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    spec = work / "spec.json"
    request = {"method": "GET", "path": "/work?id={i}", "status": [200]}
    spec.write_text(json.dumps({"concurrency": CONCURRENCY, "seed": 1, "requests": [request]}))

    service, url = start_service(work / "calibration")
    wrk: list[float] = []
    ours: list[float] = []
    try:
        for n in range(args.repeat):
            wrk.append(wrk_rps(url, args.seconds))
            ours.append(loadgen_rps(work / "loadgen", spec, url, args.seconds))
            print(f"round {n + 1}: wrk {wrk[-1]:,.0f} rps, loadgen {ours[-1]:,.0f} rps")
    finally:
        service.kill()
        service.wait()
        shutil.rmtree(work, ignore_errors=True)

    med_wrk, med_ours = statistics.median(wrk), statistics.median(ours)
    ratio = med_ours / med_wrk
    print(f"wrk      median {med_wrk:,.0f} rps")
    print(f"loadgen  median {med_ours:,.0f} rps")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"ratio loadgen/wrk {ratio:.2f} (goal >= {GOAL}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

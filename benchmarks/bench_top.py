"""Benchmark: `leakkit top` against `go tool pprof -top` on the same large heap profile.

Builds benchmarks/gen/bigprofile, writes a heap profile of tens of thousands of distinct stacks
(>= 1 MB gzipped), builds this toolchain's pprof, then runs both tools alternately, each as a
fresh process doing the same report (every node, no trimming), and prints the median wall time,
the ratio leakkit/pprof and each tool's peak RSS.

    .venv/bin/python benchmarks/bench_top.py [--repeat 7] [--stacks 80000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kit.toolchain import find_toolchain

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of `cmd`, whose output is discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--stacks", type=int, default=80000)
    args = ap.parse_args()

    tc = find_toolchain()
    work = Path(tempfile.mkdtemp(prefix="leakkit-bench-"))
    gen = work / "bigprofile"
    pprof = work / "pprof"
    for out, pkg, cwd in (
        (gen, "./bigprofile", ROOT / "benchmarks" / "gen"),
        (pprof, "cmd/pprof", ROOT),
    ):
        done = tc.run("build", "-o", str(out), pkg, cwd=cwd, timeout=900)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    profile = work / "big.pb.gz"
    subprocess.run(
        [str(gen), "-out", str(profile), "-stacks", str(args.stacks)],
        check=True,
        capture_output=True,
    )
    size = profile.stat().st_size

    leakkit = [sys.executable, "-m", "kit", "top", "--json", str(profile)]
    go_pprof = [str(pprof), "-top", "-nodefraction=0", "-edgefraction=0", "-unit=B", str(profile)]
    timed(leakkit), timed(go_pprof)  # warm the page cache and Python's bytecode cache
    ours: list[tuple[float, int]] = []
    theirs: list[tuple[float, int]] = []
    for _ in range(args.repeat):
        ours.append(timed(leakkit))
        theirs.append(timed(go_pprof))
    t_ours = statistics.median(t for t, _ in ours)
    t_theirs = statistics.median(t for t, _ in theirs)
    rss_ours = max(r for _, r in ours) / 1024
    rss_theirs = max(r for _, r in theirs) / 1024
    print(f"profile: {size / 1e6:.2f} MB gzipped, {args.stacks} leaf stacks ({tc.version_text})")
    print(f"leakkit top --json      median {t_ours:.3f}s  peak RSS {rss_ours:.0f} MiB")
    print(f"pprof -top (same flags) median {t_theirs:.3f}s  peak RSS {rss_theirs:.0f} MiB")
    print("leakkit runs:", " ".join(f"{t:.2f}" for t, _ in ours))
    print("pprof runs:  ", " ".join(f"{t:.2f}" for t, _ in theirs))
    print(f"ratio leakkit/pprof: {t_ours / t_theirs:.2f} (goal <= 1.00), {args.repeat} runs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())

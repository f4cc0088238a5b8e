"""Time-driven load (`mode = "time"`): phases last a set time and work is counted in ms."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.paths import samples_dir
from kit.runner.recording import load as load_recording

LOAD = """
[load]
mode = "time"
warmup = 500
phases = 3
per_phase = 1000
concurrency = 2

[[load.requests]]
path = "/work?id={i}"
status = [200]
"""
KEEP = 1024  # bytes the calibration program keeps per request (an exact size class)


@pytest.mark.slow
def test_time_mode_phases_last_their_time_and_count_ms(tmp_path: Path) -> None:
    load = tmp_path / "load.toml"
    load.write_text(LOAD)
    out = tmp_path / "out"
    env = dict(os.environ, LEAKKIT_CAL_BYTES=str(KEEP))
    cmd = [sys.executable, "-m", "kit", "run", "--program", str(samples_dir() / "calibration")]
    done = subprocess.run(
        [*cmd, "--load", str(load), "--out", str(out), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rec = load_recording(out)
    assert rec.outcome.status == "completed"
    assert rec.work_unit == "ms" and report["work_unit"] == "ms"
    assert rec.load["mode"] == "time"

    cps = rec.checkpoints
    assert len(cps) == 4
    # Each phase sends for its time (0.5 s warm-up, then 1 s), not for a number of requests.
    for c, seconds in zip(cps, (0.5, 1.0, 1.0, 1.0), strict=True):
        assert seconds * 0.95 <= c.load.elapsed_s <= seconds + 5.0, c.load
        assert c.load.done > 0 and c.load.errors == 0, c.load
        assert c.load.statuses == {"200": c.load.done}
    # Work is milliseconds since the load began: at least the load time, plus the pauses.
    works = [c.work for c in cps]
    assert 500 <= works[0] < 500 + 3000, works
    steps = [b - a for a, b in itertools.pairwise(works)]
    assert all(1000 <= s < 1000 + 5000 for s in steps), works
    assert report["metrics"]["heap_alloc"]["work"] == works

    # The recording is sane: the heap grew by what the requests between checkpoints kept.
    sent = sum(c.load.done for c in cps[1:])
    grown = cps[-1].metrics["heap_alloc"] - cps[0].metrics["heap_alloc"]
    assert 0.9 * KEEP * sent < grown < 1.3 * KEEP * sent, (grown, sent)
    assert report["metrics"]["heap_alloc"]["per_1k"] > 0
    assert all((out / c.profiles["heap"]).is_file() for c in cps)

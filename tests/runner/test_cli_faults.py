"""Faults through the command line: one clear message, a non-zero exit, the recording kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.runner.recording import load as load_recording
from tests.runner.test_faults import CRASHER, _program

LOAD = """
[load]
warmup = 100
phases = 4
per_phase = 200
concurrency = 2

[[load.requests]]
path = "/hit"
status = [200]
"""


def _run(tmp_path: Path, prog: Path, **env: str) -> subprocess.CompletedProcess[str]:
    load = tmp_path / "load.toml"
    load.write_text(LOAD)
    cmd = [sys.executable, "-m", "kit", "run", "--program", str(prog), "--load", str(load)]
    return subprocess.run(
        [*cmd, "--out", str(tmp_path / "out")],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _error(stderr: str) -> str:
    """The one error message: from `leakkit: error:` to the end, with no traceback anywhere."""
    assert "Traceback" not in stderr
    assert stderr.count("leakkit: error:") == 1, stderr
    return stderr[stderr.index("leakkit: error:") :]


@pytest.mark.slow
def test_cli_compile_error(tmp_path: Path) -> None:
    prog = _program(tmp_path, "func main() { undefinedThing(); otherThing() }\n")
    done = _run(tmp_path, prog)
    assert done.returncode == 2
    message = _error(done.stderr)
    first, *output = message.splitlines()
    assert (
        first == f"leakkit: error: {prog}: does not compile (fix the errors below and run again):"
    )
    assert any("main.go" in ln and "undefined: undefinedThing" in ln for ln in output)
    assert any("undefined: otherThing" in ln for ln in output)
    assert len(output) <= 41  # compiler output trimmed to 40 lines and a "more lines" note
    assert not done.stdout
    rec = load_recording(tmp_path / "out")
    assert rec.outcome.status == "build-failed"
    assert rec.outcome.message == f"{prog}: does not compile (fix the errors below and run again)"
    assert "undefined: undefinedThing" in rec.outcome.stderr_tail
    assert rec.checkpoints == ()


@pytest.mark.slow
def test_cli_never_ready(tmp_path: Path) -> None:
    body = 'func main() {\n\tlog.Print("warming caches")\n\tselect {}\n}\n'
    prog = _program(tmp_path, body)
    started = time.monotonic()
    done = _run(tmp_path, prog, LEAKKIT_READY_TIMEOUT="3")
    assert time.monotonic() - started < 60
    assert done.returncode == 2
    first, *tail = _error(done.stderr).splitlines()
    assert first.startswith("leakkit: error: prog-")
    assert "did not say 'listening on ADDR' within 3s; its stderr ends with:" in first
    assert len(tail) == 1 and tail[0].endswith("warming caches")
    rec = load_recording(tmp_path / "out")
    assert rec.outcome.status == "start-failed"
    assert rec.outcome.message.endswith("did not say 'listening on ADDR' within 3s")
    assert "warming caches" in rec.outcome.stderr_tail
    assert rec.checkpoints == ()


@pytest.mark.slow
def test_cli_exit_before_listening(tmp_path: Path) -> None:
    body = 'func main() {\n\tlog.Fatal("config: PRICES_URL is not set")\n}\n'
    prog = _program(tmp_path, body)
    done = _run(tmp_path, prog)
    assert done.returncode == 2
    message = _error(done.stderr)
    assert "exited with status 1 before listening" in message.splitlines()[0]
    assert "config: PRICES_URL is not set" in message
    rec = load_recording(tmp_path / "out")
    assert (rec.outcome.status, rec.outcome.exit_code) == ("start-failed", 1)
    assert "PRICES_URL" in rec.outcome.stderr_tail


@pytest.mark.slow
def test_cli_crash_mid_run_keeps_checkpoints(tmp_path: Path) -> None:
    prog = _program(tmp_path, CRASHER)
    done = _run(tmp_path, prog)
    assert done.returncode == 1
    out = tmp_path / "out"
    message = _error(done.stderr)
    assert message.strip() == (
        "leakkit: error: the run ended early (crashed): exited with status 3 after 700 "
        f"requests; 3 checkpoints kept in {out / 'recording.json'}"
    )
    # The report still shows what was measured, with the crash and the program's last words.
    assert "!! The program exited with status 3" in done.stdout
    assert "ledger corrupted, giving up" in done.stdout
    rec = load_recording(out)
    assert (rec.outcome.status, rec.outcome.exit_code) == ("crashed", 3)
    assert [c.work for c in rec.checkpoints] == [100, 300, 500]
    assert all((out / c.profiles["heap"]).is_file() for c in rec.checkpoints)

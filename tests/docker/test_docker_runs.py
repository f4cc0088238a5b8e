"""Whole runs on the Docker backend: a leak under a small memory limit ends in a reported OOM kill."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.runner.container import DockerBackend
from kit.runner.load import build_driver
from kit.runner.recording import load as load_recording
from kit.runner.run import RunRequest, execute
from kit.scenarios.manifest import LoadPlan, RequestTemplate
from kit.toolchain import Toolchain
from tests.docker.conftest import GOFIXTURES

pytestmark = pytest.mark.slow

# Each /hoard keeps 256 KiB: 15 MiB per phase of 60, against a 64 MiB limit.
HOARD = LoadPlan("requests", 20, 8, 60, 2, 1, (RequestTemplate("GET", "/hoard", status=(200,)),))


def test_a_leak_under_a_memory_limit_is_oom_killed_and_reported(
    sandbox: DockerBackend, toolchain: Toolchain, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    rec = execute(
        RunRequest(GOFIXTURES / "hostile", HOARD, out),
        sandbox,
        build_driver(toolchain, tmp_path / "bin"),
        toolchain.version_text,
    )
    assert rec.outcome.status == "oom", rec.outcome
    assert re.fullmatch(r"OOM-killed at 64 MiB after [\d,]+ requests", rec.outcome.message)
    assert rec.outcome.exit_code == 137
    # The checkpoints before the kill are kept, and the container's memory is the RSS curve.
    assert 1 <= len(rec.checkpoints) < HOARD.phases + 1
    rss = [c.metrics["rss"] for c in rec.checkpoints]
    assert all(r > 0 for r in rss)
    if len(rss) >= 2:
        assert rss[-1] > rss[0] + (10 << 20)
    saved = load_recording(out)
    assert saved.outcome.status == "oom" and saved.backend == "docker"


def test_ctrl_c_removes_the_container_and_keeps_the_recording(
    docker_client: object, tmp_path: Path
) -> None:
    load = tmp_path / "load.toml"
    load.write_text(
        "[load]\nwarmup = 20\nphases = 200\nper_phase = 2\nconcurrency = 1\n"
        '[[load.requests]]\npath = "/hoard"\nstatus = [200]\n'
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "kit", "run", "--backend", "docker"]
    cmd += ["--program", str(GOFIXTURES / "hostile"), "--load", str(load), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rec_file = out / "recording.json"
        if rec_file.is_file() and json.loads(rec_file.read_text())["checkpoints"]:
            break
        time.sleep(0.1)
    owner = {"label": f"dev.leakkit.owner={socket.gethostname()}:{proc.pid}"}
    assert docker_client.containers.list(filters=owner)  # type: ignore[attr-defined]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert load_recording(out).outcome.status == "interrupted"
    assert not docker_client.containers.list(all=True, filters=owner)  # type: ignore[attr-defined]
    assert not docker_client.images.list(filters=owner)  # type: ignore[attr-defined]

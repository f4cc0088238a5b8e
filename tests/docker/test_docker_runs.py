"""Whole runs on the Docker backend: a leak under a small memory limit ends in a reported OOM kill."""

from __future__ import annotations

import re
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

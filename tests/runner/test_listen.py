"""The kit picks the program's address itself: a LEAKKIT_LISTEN in the user's shell is ignored."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kit.paths import samples_dir
from kit.runner.run import RunRequest
from kit.runner.session import run_request
from kit.scenarios.manifest import LoadPlan, RequestTemplate

PLAN = LoadPlan("requests", 50, 2, 100, 2, 1, (RequestTemplate("GET", "/work?id={i}"),))


@pytest.mark.slow
def test_a_busy_port_in_the_environment_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        busy_port = busy.getsockname()[1]
        monkeypatch.setenv("LEAKKIT_LISTEN", f"127.0.0.1:{busy_port}")
        findings = run_request(RunRequest(samples_dir() / "calibration", PLAN, tmp_path / "out"))
    rec = findings.recording
    assert rec.outcome.status == "completed", rec.outcome
    assert [c.work for c in rec.checkpoints] == [50, 150, 250]
    logs = (tmp_path / "out" / "logs" / "stderr.log").read_text()
    address = logs.split("listening on ", 1)[1].split()[0]
    host, port = address.rsplit(":", 1)
    assert host == "127.0.0.1"
    assert int(port) != busy_port

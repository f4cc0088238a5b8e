"""A program listening on a Unix socket (how the Docker backend reaches it) runs and is measured."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kit.analysis.report import analyse
from kit.paths import cache_dir, samples_dir
from kit.runner.http import Endpoint
from kit.runner.load import build_driver
from kit.runner.local import LocalBackend
from kit.runner.run import RunRequest, execute
from kit.scenarios.manifest import LoadPlan, RequestTemplate
from kit.toolchain import Toolchain

PLAN = LoadPlan("requests", 200, 3, 400, 4, 1, (RequestTemplate("GET", "/work?id={i}"),))


@pytest.mark.slow
def test_a_run_over_a_unix_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toolchain: Toolchain
) -> None:
    monkeypatch.setenv("LEAKKIT_CAL_BYTES", "4096")
    driver = build_driver(toolchain, cache_dir() / "bin")
    # Socket paths are limited to ~107 bytes, so not under pytest's long tmp_path.
    with tempfile.TemporaryDirectory(prefix="lk-") as short:
        sock = Path(short) / "svc.sock"
        backend = LocalBackend(toolchain, cache_dir() / "bin", listen=f"unix:{sock}")
        request = RunRequest(samples_dir() / "calibration", PLAN, tmp_path / "out")
        findings = analyse(execute(request, backend, driver, toolchain.version_text))
    logs = (tmp_path / "out" / "logs" / "stderr.log").read_text()
    assert f"listening on {sock}" in logs
    rec = findings.recording
    assert rec.outcome.status == "completed", rec.outcome
    assert [c.work for c in rec.checkpoints] == [200, 600, 1000, 1400]
    assert all(c.load.errors == 0 for c in rec.checkpoints)
    # 4 KiB kept per request: heap_alloc grows about 4 MiB per 1k requests.
    growth = findings.growth["heap_alloc"].per_1k
    assert 3.5 * (1 << 20) < growth < 5 * (1 << 20), growth


def test_endpoint_reports_a_missing_socket_by_path(tmp_path: Path) -> None:
    from kit.errors import KitError

    api = Endpoint(f"unix:{tmp_path / 'none.sock'}", timeout=1.0)
    with pytest.raises(KitError) as err:
        api.get("/debug/vars")
    assert f"GET /debug/vars on {tmp_path / 'none.sock'} failed" in str(err.value)

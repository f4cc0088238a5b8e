"""Each bundled scenario, built and run for real: the leaky program leaks where it should,
and the reference fix (solution.patch in a fresh workspace) does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kit.analysis.curves import GrowthClass
from kit.cli import app
from kit.grading.patching import apply_patch
from kit.runner.run import RunRequest
from kit.runner.session import run_request
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace

# `leakkit validate` (run by .ci/run) proves every scenario, with wrong fixes and grading; these
# keep a quick end-to-end run inside `make test` for the first three: one heap leak and two
# goroutine leaks.
E2E_SCENARIOS = ["cache-map", "timeout-leak", "unclosed-collector"]


@pytest.mark.slow
@pytest.mark.parametrize("scenario_id", E2E_SCENARIOS)
def test_leaky_program_leaks_with_expected_hot_function(scenario_id: str, tmp_path: Path) -> None:
    scenario = get_scenario(scenario_id)
    findings = run_request(RunRequest(scenario.program_dir, scenario.load, tmp_path, scenario_id))
    assert findings.recording.outcome.status == "completed"
    assert findings.verdict == "leak"
    growth = findings.growth[scenario.expect.metric]
    assert growth.cls is GrowthClass.LEAK, growth.reason
    assert growth.per_1k >= scenario.expect.min_per_1k
    for hot in scenario.expect.hot:
        top = [h.name for h in findings.hot if h.profile == hot.profile]
        assert top and top[0] == hot.function, (hot, top)


@pytest.mark.slow
@pytest.mark.parametrize("scenario_id", E2E_SCENARIOS)
def test_reference_fix_stays_bounded(scenario_id: str, tmp_path: Path) -> None:
    scenario = get_scenario(scenario_id)
    ws = create_workspace(scenario, tmp_path / "ws")
    apply_patch(scenario.folder / "solution.patch", ws.path)
    findings = run_request(RunRequest(ws.path, scenario.load, tmp_path / "run", scenario_id))
    assert findings.recording.outcome.status == "completed"
    growth = findings.growth[scenario.expect.metric]
    assert growth.per_1k < scenario.expect.fixed_max_per_1k, growth.reason
    assert findings.verdict == "no-leak", {m: g.reason for m, g in findings.growth.items()}


@pytest.mark.slow
def test_run_json_and_curves_agree(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rec"
    result = runner.invoke(app, ["run", "unclosed-collector", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    assert doc["scenario"] == "unclosed-collector"
    assert doc["verdict"] == "leak"
    assert doc["metrics"]["goroutines"]["class"] == "leak"
    assert doc["metrics"]["goroutines"]["per_1k"] > 0
    assert any(h["profile"] == "goroutine" for h in doc["hot_functions"])
    assert Path(doc["recording"]).is_file()
    again = runner.invoke(app, ["curves", str(out), "--json"])
    assert again.exit_code == 0, again.output
    redo = json.loads(again.stdout)
    assert redo["metrics"] == doc["metrics"]
    assert redo["hot_functions"] == doc["hot_functions"]
    text = runner.invoke(app, ["curves", str(out)])
    assert "Verdict: LEAK" in text.stdout
    assert (
        "(the verdict reads heap_alloc and goroutines; the other rows are context)" in text.stdout
    )
    assert "  goroutines: " in text.stdout.split("Verdict: LEAK", 1)[1]
    assert "go tool pprof -top -sample_index=goroutine -base" in text.stdout

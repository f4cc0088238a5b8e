"""Bad input to the grader: every learner failure is a verdict with a message, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kit.grading.grade import grade
from kit.grading.patching import apply_patch
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace

HANDLER_START = "\treturn func(w http.ResponseWriter, r *http.Request) {\n"


def _fixed_workspace(tmp_path: Path) -> Path:
    scenario = get_scenario("cache-map")
    ws = create_workspace(scenario, tmp_path / "ws").path
    apply_patch(scenario.folder / "solution.patch", ws)
    return ws


def _edit(ws: Path, old: str, new: str) -> None:
    text = (ws / "main.go").read_text()
    assert old in text
    (ws / "main.go").write_text(text.replace(old, new, 1))


def _checks(verdict: object) -> dict[str, tuple[str, str]]:
    return {c.id: (c.status, c.message) for c in verdict.checks}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_no_diagnosis_still_grades_the_fix(tmp_path: Path) -> None:
    ws = _fixed_workspace(tmp_path)
    (ws / "diagnosis.md").unlink()
    checks = _checks(grade(ws))
    for cid in ("function", "category", "evidence"):
        assert checks[cid][0] == "fail"
        assert "no diagnosis.md" in checks[cid][1]
    assert checks["leak_gone"][0] == "pass"
    assert checks["behaviour"][0] == "pass"


@pytest.mark.slow
def test_compile_error_is_a_failed_check_with_compiler_output(tmp_path: Path) -> None:
    ws = _fixed_workspace(tmp_path)
    _edit(ws, HANDLER_START, HANDLER_START + "\t\tnotDeclared++\n")
    verdict = grade(ws)
    checks = _checks(verdict)
    assert verdict.status == "fail"
    for cid in ("leak_gone", "hot_gone", "behaviour"):
        assert checks[cid][0] == "fail"
        assert "does not compile" in checks[cid][1]
        assert "undefined: notDeclared" in checks[cid][1]


@pytest.mark.slow
def test_panic_at_start_never_listens(tmp_path: Path) -> None:
    ws = _fixed_workspace(tmp_path)
    _edit(ws, "func main() {\n", 'func main() {\n\tpanic("config missing")\n')
    checks = _checks(grade(ws))
    assert checks["leak_gone"][0] == "fail"
    assert "never became ready" in checks["leak_gone"][1]
    assert "config missing" in checks["leak_gone"][1]


@pytest.mark.slow
def test_panic_mid_run_is_reported(tmp_path: Path) -> None:
    ws = _fixed_workspace(tmp_path)
    _edit(
        ws,
        HANDLER_START,
        HANDLER_START + '\t\tif r.PathValue("id") == "424242" {\n\t\t\tpanic("boom")\n\t\t}\n',
    )
    _edit(
        ws,
        "func main() {\n",
        'func main() {\n\tgo func() {\n\t\ttime.Sleep(300 * time.Millisecond)\n\t\tpanic("worker crashed")\n\t}()\n',
    )
    checks = _checks(grade(ws))
    assert checks["leak_gone"][0] == "fail"
    assert "did not complete" in checks["leak_gone"][1]
    assert (
        "worker crashed" in checks["leak_gone"][1]
        or "exited with status 2" in checks["leak_gone"][1]
    )


@pytest.mark.slow
def test_hanging_handler_ends_the_phase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKKIT_PHASE_TIMEOUT", "5")
    ws = _fixed_workspace(tmp_path)
    _edit(ws, HANDLER_START, HANDLER_START + "\t\tselect {}\n")
    verdict = grade(ws)
    checks = _checks(verdict)
    assert verdict.status == "fail"
    assert checks["leak_gone"][0] == "fail"
    assert "did not complete" in checks["leak_gone"][1]
    assert "no answer within" in checks["leak_gone"][1]


def test_not_a_workspace_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit", "grade", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"leakkit: error: {tmp_path}: not a leakkit workspace (no .leakkit/workspace.json) "
        "(make one with `leakkit start SCENARIO --dir FOLDER`)"
    ]


@pytest.mark.slow
def test_cli_writes_json_on_fail_and_records_the_attempt(tmp_path: Path) -> None:
    scenario = get_scenario("unclosed-collector")
    ws = create_workspace(scenario, tmp_path / "ws").path
    report = tmp_path / "grade.json"
    home = tmp_path / "home"
    env = {"LEAKKIT_HOME": str(home), "PATH": "/usr/bin:/bin"}
    import os

    done = subprocess.run(
        [sys.executable, "-m", "kit", "grade", str(ws), "--json", "--out", str(report)],
        capture_output=True, text=True, env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    doc = json.loads(report.read_text())
    assert doc["version"] == 1
    assert doc["status"] == "fail"
    assert {c["id"] for c in doc["checks"]} == {
        "function",
        "category",
        "evidence",
        "leak_gone",
        "hot_gone",
        "behaviour",
    }
    assert doc["max_score"] == 100
    progress = subprocess.run(
        [sys.executable, "-m", "kit", "progress", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    rows = json.loads(progress.stdout)["scenarios"]
    assert [(r["scenario"], r["attempts"], r["passed"]) for r in rows] == [
        ("unclosed-collector", 1, False)
    ]


def test_kit_error_while_grading_writes_an_error_verdict_and_records_it(tmp_path: Path) -> None:
    """The docker backend with no engine: exit 2, one error line, a verdict with status error."""
    import os

    ws = create_workspace(get_scenario("cache-map"), tmp_path / "ws").path
    env = {
        **os.environ,
        "LEAKKIT_HOME": str(tmp_path / "home"),
        "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock",
    }
    report = tmp_path / "grade.json"
    done = subprocess.run(
        [sys.executable, "-m", "kit", "grade", str(ws), "--backend", "docker", "--json", "--out", str(report)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"leakkit: error: no Docker engine answers at unix://{tmp_path}")
    assert "Traceback" not in done.stderr and done.stdout == ""
    doc = json.loads(report.read_text())
    assert (doc["status"], doc["score"], doc["max_score"]) == ("error", 0, 100)
    assert [c["id"] for c in doc["checks"]] == ["grading"]
    assert "no Docker engine answers" in doc["checks"][0]["message"]
    to_stdout = subprocess.run(
        [sys.executable, "-m", "kit", "grade", str(ws), "--backend", "docker", "--json"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert to_stdout.returncode == 2
    assert json.loads(to_stdout.stdout)["status"] == "error"
    progress = subprocess.run(
        [sys.executable, "-m", "kit", "progress", "--json"], capture_output=True, text=True, env=env
    )
    rows = json.loads(progress.stdout)["scenarios"]
    assert [(r["scenario"], r["attempts"], r["passed"]) for r in rows] == [("cache-map", 2, False)]

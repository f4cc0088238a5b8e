"""The scenario's hidden tests: run on every grading, never left in the learner's workspace, and
not switched off by test files the learner adds. Real gradings of cache-map."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.analysis.report import Findings
from kit.errors import KitError
from kit.grading import grade as grading
from kit.grading.grade import grade, measure
from kit.grading.patching import apply_patch
from kit.paths import cache_dir
from kit.runner.local import LocalBackend
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace
from kit.toolchain import find_toolchain
from tests.grading.test_verdict_contract import assert_verdict_contract

SCENARIO = "cache-map"
HIDDEN = sorted(p.name for p in (get_scenario(SCENARIO).folder / "tests").glob("*_test.go"))
TEST_MAIN = 'package main\n\nimport (\n\t"os"\n\t"testing"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(0) }\n'
ETAG = '\t\tw.Header().Set("ETag", entry.etag)\n'


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Findings:
    scenario = get_scenario(SCENARIO)
    backend = LocalBackend(find_toolchain(), cache_dir() / "bin")
    return measure(scenario.program_dir, scenario, tmp_path_factory.mktemp("original"), backend)


def _fixed(tmp_path: Path) -> Path:
    scenario = get_scenario(SCENARIO)
    ws = create_workspace(scenario, tmp_path / "ws").path
    apply_patch(scenario.folder / "solution.patch", ws)
    (ws / "diagnosis.md").write_text((scenario.folder / "diagnosis.md").read_text())
    return ws


def _hidden_left_in(ws: Path) -> list[Path]:
    return [p for p in ws.rglob("*") if p.name in HIDDEN]


@pytest.mark.slow
def test_no_hidden_test_stays_in_the_workspace_after_grading(
    tmp_path: Path, original: Findings
) -> None:
    assert HIDDEN
    ws = _fixed(tmp_path)
    verdict = grade(ws, original=original)
    assert verdict.status == "pass", [(c.id, c.message) for c in verdict.checks]
    assert _hidden_left_in(ws) == []
    assert not any(ws.glob(".leakkit/grades/*/build"))
    fixed = verdict.recordings["fixed"]
    assert fixed is not None and Path(fixed).is_file()  # recordings are kept
    assert_verdict_contract(verdict.to_json())


@pytest.mark.slow
def test_the_build_copy_goes_when_grading_stops_on_an_error(
    tmp_path: Path, original: Findings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _fixed(tmp_path)
    seen: list[Path] = []

    def engine_gone(*args: object, **kwargs: object) -> Findings:
        seen.extend(_hidden_left_in(ws))  # the hidden tests are there while grading ...
        raise KitError("the engine went away")

    monkeypatch.setattr(grading, "settled", engine_gone)
    with pytest.raises(KitError, match="the engine went away"):
        grade(ws, original=original)
    assert [p.name for p in seen] == HIDDEN
    assert _hidden_left_in(ws) == []  # ... and gone after it stopped


@pytest.mark.slow
def test_a_learner_test_main_does_not_switch_the_hidden_tests_off(
    tmp_path: Path, original: Findings
) -> None:
    """A wrong fix only the hidden tests catch (no ETag header), plus a TestMain that exits 0."""
    ws = _fixed(tmp_path)
    main = ws / "main.go"
    assert ETAG in main.read_text()
    main.write_text(main.read_text().replace(ETAG, "\t\t_ = entry.etag\n", 1))
    (ws / "zz_skip_test.go").write_text(TEST_MAIN)
    verdict = grade(ws, original=original)
    checks = {c.id: c for c in verdict.checks}
    assert checks["leak_gone"].status == "pass", checks["leak_gone"].message
    behaviour = checks["behaviour"]
    assert behaviour.status == "fail", behaviour.message
    assert "go test failed" in behaviour.message and "no ETag header" in behaviour.message
    assert "test files you added were left out" in behaviour.message
    assert "zz_skip_test.go" in behaviour.message
    assert verdict.status == "fail"
    assert (ws / "zz_skip_test.go").is_file()  # the learner's own folder is not touched

"""The verdict JSON's fields, the per-scenario rubric, and the one rerun of an inconclusive run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kit.analysis.curves import GrowthClass
from kit.errors import KitError
from kit.grading.grade import diagnosis_checks, error_verdict
from kit.grading.measured import settled
from kit.grading.verdict import CheckResult, Verdict
from kit.scenarios.catalog import get_scenario
from kit.scenarios.manifest import DEFAULT_WEIGHTS, load_scenario
from kit.scenarios.workspace import create_workspace

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"version", "scenario", "status", "score", "max_score", "checks", "hints_used"}
REQUIRED |= {"duration_s", "recordings"}
CHECK_FIELDS = {"id": str, "title": str, "status": str, "score": float, "max_score": float}
CHECK_FIELDS |= {"message": str}


def documented_extras() -> set[str]:
    """Fields the table under "## The verdict JSON" in docs/grading.md documents."""
    doc = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    section = doc.split("## The verdict JSON", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_.]+)` \|", section, re.M))


def assert_verdict_contract(doc: dict[str, Any]) -> None:
    """Exactly the issue's fields plus documented extras, with the types the issue gives."""
    assert set(doc) >= REQUIRED, REQUIRED - set(doc)
    assert set(doc) - REQUIRED <= documented_extras(), set(doc) - REQUIRED
    assert doc["version"] == 1
    assert doc["status"] in ("pass", "fail", "inconclusive", "error")
    assert isinstance(doc["scenario"], str) and isinstance(doc["hints_used"], int)
    for key in ("score", "max_score", "duration_s"):
        assert isinstance(doc[key], int | float), key
    assert {"original", "fixed"} <= set(doc["recordings"])
    extra_runs = {f"recordings.{k}" for k in set(doc["recordings"]) - {"original", "fixed"}}
    assert extra_runs <= documented_extras(), extra_runs
    assert all(v is None or isinstance(v, str) for v in doc["recordings"].values())
    assert doc["checks"]
    for check in doc["checks"]:
        assert set(check) == set(CHECK_FIELDS), check
        for key, kind in CHECK_FIELDS.items():
            want = (int, float) if kind is float else kind
            assert isinstance(check[key], want), (key, check)
        assert check["status"] in ("pass", "partial", "fail", "skipped", "inconclusive")


def test_documented_extras_are_the_ones_the_verdict_writes() -> None:
    assert documented_extras() == {"hint_cost", "growth", "next_steps", "recordings.variant"}


def test_verdict_json_has_exactly_the_contract_fields() -> None:
    checks = (CheckResult("function", "Names it", "pass", 20, 20, "named main.f"),)
    verdict = Verdict(
        "cache-map", "pass", checks, 1, 5, 2.5,
        recordings={"original": "/o/recording.json", "fixed": "/f/recording.json", "variant": "/v/recording.json"},
        growth={"original": {}, "fixed": {}}, next_steps=("x",),
    )  # fmt: skip
    doc = verdict.to_json()
    assert_verdict_contract(doc)
    assert set(doc) == REQUIRED | {"hint_cost", "growth", "next_steps"}


def test_error_verdict_fits_the_contract(tmp_path: Path) -> None:
    scenario = get_scenario("cache-map")
    ws = create_workspace(scenario, tmp_path / "ws").path
    doc = error_verdict(ws, scenario, KitError("the engine is gone"), 1.5).to_json()
    assert_verdict_contract(doc)
    assert (doc["status"], doc["score"], doc["max_score"]) == ("error", 0, 100)
    assert [c["id"] for c in doc["checks"]] == ["grading"]
    assert "the engine is gone" in doc["checks"][0]["message"]


def test_grading_weights_from_scenario_toml_change_the_rubric() -> None:
    churn = get_scenario("alloc-churn")  # [grading] weights: category 25, hot_gone 0
    model = churn.folder / "diagnosis.md"
    maxima = {c.id: c.max_score for c in diagnosis_checks(model, churn)}
    assert maxima == {"function": 20, "category": 25, "evidence": 15}
    assert DEFAULT_WEIGHTS["category"] == 15
    assert churn.grading.weight("hot_gone") == 0


def test_hint_cost_and_weights_from_scenario_toml(tmp_path: Path) -> None:
    source = get_scenario("cache-map")
    folder = tmp_path / "cache-map"
    shutil.copytree(source.folder, folder)
    toml = (folder / "scenario.toml").read_text()
    toml = toml.replace('path = "../../go_samples/cache_map"', f'path = "{source.program_dir}"')
    toml += "\n[grading]\nhint_cost = 9\nweights = { function = 30 }\n"
    (folder / "scenario.toml").write_text(toml)
    scenario = load_scenario(folder)
    ws = create_workspace(scenario, tmp_path / "ws").path
    (ws / ".leakkit" / "hints.json").write_text('{"used": 2}')
    verdict = error_verdict(ws, scenario, KitError("stop"), 0.1)
    assert (verdict.hint_cost, verdict.hints_used, verdict.max_score) == (9, 2, 110)
    maxima = {c.id: c.max_score for c in diagnosis_checks(folder / "diagnosis.md", scenario)}
    assert maxima["function"] == 30
    full = Verdict("cache-map", "pass", (CheckResult("f", "t", "pass", 30, 30, ""),), 2, 9, 1.0)
    assert full.score == 30 - 2 * 9


def _findings(cls: GrowthClass) -> Any:
    return SimpleNamespace(growth={"heap_alloc": SimpleNamespace(cls=cls)})


@pytest.mark.parametrize("second", [GrowthClass.LEAK, GrowthClass.BOUNDED])
def test_an_inconclusive_measurement_is_rerun_once(second: GrowthClass) -> None:
    scenario = get_scenario("cache-map")
    results = [_findings(GrowthClass.INCONCLUSIVE), _findings(second), _findings(second)]
    calls: list[str] = []
    notes: list[str] = []

    def run(name: str) -> Any:
        calls.append(name)
        return results[len(calls) - 1]

    got = settled(run, "fixed", scenario, notes.append)
    assert calls == ["fixed", "fixed-again"]
    assert got is results[1]
    assert notes == ["the fixed measurement was inconclusive; measuring once more"]


def test_a_conclusive_measurement_is_not_rerun_and_a_second_inconclusive_is_kept() -> None:
    scenario = get_scenario("cache-map")
    calls: list[str] = []
    first = _findings(GrowthClass.BOUNDED)
    assert settled(lambda n: calls.append(n) or first, "variant", scenario, print) is first
    assert calls == ["variant"]
    twice = [_findings(GrowthClass.INCONCLUSIVE), _findings(GrowthClass.INCONCLUSIVE)]
    calls.clear()
    got = settled(lambda n: calls.append(n) or twice[len(calls) - 1], "v", scenario, print)
    assert calls == ["v", "v-again"] and got is twice[1]

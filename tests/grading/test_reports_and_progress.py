"""Verdict renderers, the hint ladder and the progress store, without running programs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kit.cli import app
from kit.grading.verdict import CheckResult, Verdict
from kit.progress import home, record_attempt, summary
from kit.render.verdict_html import render_html
from kit.render.verdict_text import render_markdown, render_text
from kit.scenarios.catalog import get_scenario


def _verdict(status: str = "fail", leak_score: float = 0) -> Verdict:
    checks = (
        CheckResult(
            "function", "Names the leaking function", "pass", 20, 20, "named main.(*s).Put"
        ),
        CheckResult(
            "leak_gone",
            "The leak is gone",
            "fail" if not leak_score else "pass",
            leak_score,
            25,
            "expected heap_alloc under 100 | per 1k\nsecond line",
        ),
    )
    return Verdict(
        "cache-map", status, checks, hints_used=1, hint_cost=5, duration_s=3.2,
        growth={"original": {"heap_alloc": {"per_1k": 1000.0, "class": "leak"}}, "fixed": {"heap_alloc": {"per_1k": 2.0, "class": "bounded"}}},
        next_steps=("Run leakkit run .",),
    )  # fmt: skip


def test_score_subtracts_hints_and_json_is_versioned() -> None:
    v = _verdict()
    doc = v.to_json()
    assert (doc["version"], doc["score"], doc["max_score"], doc["hints_used"]) == (1, 15, 45, 1)
    assert [c["id"] for c in doc["checks"]] == ["function", "leak_gone"]


def test_text_markdown_html() -> None:
    v = _verdict()
    text = render_text(v)
    assert "Grade for cache-map: FAIL  15/45" in text
    assert "[FAIL] The leak is gone" in text
    assert "heap_alloc" in text and "1,000.0 (leak)" in text and "2.0 (bounded)" in text
    md = render_markdown(v)
    assert (
        "| The leak is gone | fail | 0.0/25 | expected heap_alloc under 100 \\| per 1k<br>second line |"
        in md
    )
    html = render_html(v)
    assert html.startswith("<!doctype html>")
    assert "<tr class='fail'>" in html and "15 / 45 points" in html


def test_progress_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKKIT_HOME", str(tmp_path / "home"))
    assert home() == tmp_path / "home"
    record_attempt(_verdict("fail"), "unbounded-cache")
    record_attempt(_verdict("pass", 25), "unbounded-cache")
    per, mastery = summary()
    assert [(p.scenario, p.attempts, p.passed, p.best, p.hints) for p in per] == [
        ("cache-map", 2, True, 40, 1)
    ]
    assert mastery == {"unbounded-cache": pytest.approx(40 / 45)}
    with sqlite3.connect(tmp_path / "home" / "progress.db") as conn:
        checks = json.loads(conn.execute("SELECT checks FROM attempts LIMIT 1").fetchone()[0])
    assert checks[1]["id"] == "leak_gone"


def test_hint_ladder(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["start", "cache-map", "--dir", str(ws)]).exit_code == 0
    ladder = get_scenario("cache-map").hints()
    for n in range(1, len(ladder) + 1):
        result = runner.invoke(app, ["hint", str(ws)])
        assert result.exit_code == 0, result.output
        assert f"Hint {n} of {len(ladder)} (costs 5 points" in result.stdout
        assert ladder[n - 1][:40] in result.stdout
    done = runner.invoke(app, ["hint", str(ws)])
    assert done.exit_code != 0
    assert "already revealed" in str(done.exception)
    assert json.loads((ws / ".leakkit" / "hints.json").read_text()) == {"used": len(ladder)}


def test_progress_counts_a_workspaces_hints_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hints, then three graded attempts: progress shows 2 hints, not 6."""
    from kit.grading.grade import hints_used

    monkeypatch.setenv("LEAKKIT_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["start", "cache-map", "--dir", str(ws)]).exit_code == 0
    for _ in range(2):
        assert runner.invoke(app, ["hint", str(ws)]).exit_code == 0
    for score in (0, 10, 25):
        v = _verdict("fail", score)
        record_attempt(
            Verdict(v.scenario, v.status, v.checks, hints_used(ws), 5, 1.0), "unbounded-cache"
        )
    doc = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert [(r["scenario"], r["attempts"], r["hints"]) for r in doc["scenarios"]] == [
        ("cache-map", 3, 2)
    ]
    text = runner.invoke(app, ["progress"]).stdout.splitlines()
    row = next(line for line in text if line.startswith("cache-map"))
    assert row.split()[2:4] == ["3", "2"]

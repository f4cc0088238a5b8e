"""list, show and start on the bundled scenarios, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kit.cli import app
from kit.scenarios.catalog import all_scenarios, get_scenario, scenario_ids
from kit.scenarios.workspace import META_DIR, open_workspace, sha256

runner = CliRunner()


def test_every_bundled_scenario_loads() -> None:
    scenarios = all_scenarios()
    assert len(scenarios) >= 3
    for s in scenarios:
        assert s.prompt("en").strip()
        assert s.prompt("zh").strip()
        assert len(s.hints()) >= 2
        assert (s.folder / "Dockerfile").is_file()
        assert s.expect.hot


def test_list_json() -> None:
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == scenario_ids()
    assert set(rows[0]) == {"id", "title", "level", "category", "tags", "minutes"}


def test_show_both_languages() -> None:
    sid = scenario_ids()[0]
    en = runner.invoke(app, ["show", sid])
    zh = runner.invoke(app, ["show", sid, "--lang", "zh"])
    assert en.exit_code == 0 and zh.exit_code == 0
    assert get_scenario(sid).title in en.stdout
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.stdout)


def test_unknown_id_suggests_the_closest() -> None:
    result = runner.invoke(app, ["show", "cache-mapp"])
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert "did you mean cache-map" in str(result.exception)


def test_start_makes_a_workspace(tmp_path: Path) -> None:
    sid = "cache-map"
    dest = tmp_path / "ws"
    result = runner.invoke(app, ["start", sid, "--dir", str(dest)])
    assert result.exit_code == 0, result.output
    scenario = get_scenario(sid)
    assert (dest / "go.mod").read_text().startswith("module ")
    assert "## What leaks" in (dest / "diagnosis.md").read_text()
    assert f"leakkit run {dest}" in (dest / "README.md").read_text()
    ws = open_workspace(dest)
    assert ws.scenario_id == sid
    for name in scenario.editable:
        assert ws.checksums[name] == sha256(dest / name)
    assert (dest / META_DIR / "workspace.json").is_file()
    # A second start into the same folder refuses instead of overwriting the learner's work.
    again = runner.invoke(app, ["start", sid, "--dir", str(dest)])
    assert again.exit_code != 0
    assert "already exists and is not empty" in str(again.exception)

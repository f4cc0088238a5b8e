"""apply_patch: a scenario's solution.patch in a fresh workspace, with git or with patch."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kit.doctor import check_patch
from kit.grading.patching import PatchFailed, apply_patch
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace

REAL_WHICH = shutil.which
ADDED_LINE = '\t"container/list"\n'  # an import solution.patch adds to cache-map's main.go


def _only(*tools: str) -> Callable[[str], str | None]:
    """shutil.which that finds only `tools` (the one seam: which programs are installed)."""
    return lambda name, *a, **k: REAL_WHICH(name) if name in tools else None


@pytest.fixture(params=["git", "patch"])
def only_tool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The one patching tool the kit may find in this test (skipped when not installed)."""
    tool: str = request.param
    if REAL_WHICH(tool) is None:
        pytest.skip(f"{tool} is not installed")
    monkeypatch.setattr(shutil, "which", _only(tool))
    return tool


def _fresh(tmp_path: Path) -> tuple[Path, Path]:
    scenario = get_scenario("cache-map")
    ws = create_workspace(scenario, tmp_path / "ws").path
    return ws, scenario.folder / "solution.patch"


def test_solution_patch_applies_in_a_fresh_workspace(only_tool: str, tmp_path: Path) -> None:
    ws, patch = _fresh(tmp_path)
    assert ADDED_LINE not in (ws / "main.go").read_text()
    apply_patch(patch, ws)
    assert ADDED_LINE in (ws / "main.go").read_text()
    assert not list(ws.glob("*.orig")) and not list(ws.glob("*.rej"))


def test_a_patch_that_does_not_apply_names_the_file_and_changes_nothing(
    only_tool: str, tmp_path: Path
) -> None:
    ws, patch = _fresh(tmp_path)
    apply_patch(patch, ws)
    patched = (ws / "main.go").read_text()
    with pytest.raises(PatchFailed) as err:
        apply_patch(patch, ws)  # already applied: the hunks no longer match
    message = str(err.value)
    assert str(patch) in message and "does not apply" in message
    assert f"({only_tool}" in message and "main.go" in message
    assert "\n" not in message
    assert (ws / "main.go").read_text() == patched


def test_git_ignores_a_repository_around_the_workspace(tmp_path: Path) -> None:
    """A workspace inside someone's git repository is still patched as a plain folder."""
    if REAL_WHICH("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    ws, patch = _fresh(tmp_path / "sub")
    apply_patch(patch, ws)
    assert ADDED_LINE in (ws / "main.go").read_text()


def test_neither_tool_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", _only())
    ws, patch = _fresh(tmp_path)
    with pytest.raises(PatchFailed, match="neither git nor patch is on PATH"):
        apply_patch(patch, ws)


def test_doctor_accepts_git_or_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    for tools, ok in ((("git",), True), (("patch",), True), ((), False)):
        monkeypatch.setattr(shutil, "which", _only(*tools))
        found = check_patch()
        assert found.ok is ok, (tools, found)
        if tools:
            assert found.detail.startswith(tools[0])
        else:
            assert "git" in found.fix

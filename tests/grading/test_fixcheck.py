"""Checks on the learner's files, without running programs: edits, added files, tricks, the copy."""

from __future__ import annotations

from pathlib import Path

from kit.grading.fixcheck import edited_outside, grading_copy, tricks_used
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import Workspace, create_workspace

TEST_MAIN = 'package main\n\nimport (\n\t"os"\n\t"testing"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(0) }\n'


def _workspace(tmp_path: Path) -> Workspace:
    return create_workspace(get_scenario("cache-map"), tmp_path / "ws")


def test_a_new_go_file_is_an_edit_outside_the_editable_files(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert edited_outside(ws, get_scenario("cache-map")) == []
    (ws.path / "evict.go").write_text("package main\n\nfunc init() {}\n")
    (ws.path / "notes.txt").write_text("not Go: not an edit\n")
    assert edited_outside(ws, get_scenario("cache-map")) == ["evict.go (added)"]


def test_learner_test_files_are_left_out_of_the_grading_copy(tmp_path: Path) -> None:
    scenario = get_scenario("cache-map")
    ws = _workspace(tmp_path)
    (ws.path / "zz_cheat_test.go").write_text(TEST_MAIN)
    (ws.path / "sub").mkdir()
    (ws.path / "sub" / "more_test.go").write_text("package sub\n")
    copy = grading_copy(ws, scenario, tmp_path / "build")
    assert copy.left_out == ("sub/more_test.go", "zz_cheat_test.go")
    assert not (copy.folder / "zz_cheat_test.go").exists()
    assert not (copy.folder / "sub" / "more_test.go").exists()
    hidden = sorted(p.name for p in (scenario.folder / "tests").glob("*_test.go"))
    assert hidden and all((copy.folder / name).is_file() for name in hidden)
    assert (copy.folder / "main.go").is_file() and not (copy.folder / "diagnosis.md").exists()


def test_switching_tests_off_from_the_program_is_a_trick(tmp_path: Path) -> None:
    scenario = get_scenario("cache-map")
    ws = _workspace(tmp_path)
    main = ws.path / "main.go"
    main.write_text(
        main.read_text().replace(
            "func main() {\n",
            "func init() {\n\tif testing.Testing() {\n\t\tsyscall.Exit(0)\n\t}\n}\n\nfunc main() {\n",
            1,
        )
    )
    assert tricks_used(ws, scenario) == [
        "main.go restarts, kills or exits the process",
        "main.go behaves differently under go test (testing.Testing)",
    ]

"""`leakkit validate` over a scenarios folder where one scenario's own program does not compile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.scenarios.catalog import get_scenario

HANDLER_START = "\treturn func(w http.ResponseWriter, r *http.Request) {\n"


def _copy_scenario(root: Path, sid: str, program: str, wrong_fixes: bool) -> Path:
    """cache-map copied as scenario `sid`, its program as go_samples/`program` (the same
    relative layout as the bundled scenarios: [program] path is relative to the folder)."""
    source = get_scenario("cache-map")
    folder = root / "scenarios" / sid
    shutil.copytree(source.folder, folder)
    if not wrong_fixes:
        shutil.rmtree(folder / "wrong-fixes")
    toml = (folder / "scenario.toml").read_text()
    toml = toml.replace('id = "cache-map"', f'id = "{sid}"')
    toml = toml.replace("../../go_samples/cache_map", f"../../go_samples/{program}")
    (folder / "scenario.toml").write_text(toml)
    shutil.copytree(source.program_dir, root / "go_samples" / program)
    shutil.copy2(source.program_dir.parent / "go.mod", root / "go_samples" / "go.mod")
    return root / "go_samples" / program


@pytest.mark.slow
def test_a_scenario_that_does_not_compile_fails_and_the_others_are_still_validated(
    tmp_path: Path,
) -> None:
    broken = _copy_scenario(tmp_path, "broken-map", "broken_map", wrong_fixes=True)
    main = broken / "main.go"
    assert HANDLER_START in main.read_text()
    main.write_text(main.read_text().replace(HANDLER_START, HANDLER_START + "\t\tnotDeclared++\n"))
    # A good scenario after it; without wrong fixes its self-test is short (and fails on that).
    _copy_scenario(tmp_path, "cache-map", "cache_map", wrong_fixes=False)

    done = subprocess.run(
        [sys.executable, "-m", "kit", "validate", "--scenarios-dir", str(tmp_path / "scenarios"), "--json"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the failed runs' kept workspaces go here
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["ok"] is False
    results = {r["scenario"]: r for r in doc["results"]}
    assert list(results) == ["broken-map", "cache-map"]

    bad = results["broken-map"]
    assert bad["ok"] is False
    built = [p for p in bad["problems"] if p.startswith("the program as given builds and starts")]
    assert len(built) == 1, bad["problems"]
    assert "broken-map's program does not compile" in built[0]
    assert "undefined: notDeclared" in built[0]

    good = results["cache-map"]
    assert {
        "the program builds and passes go vet",
        "the program as given builds and starts",
        "the reference fix with the model diagnosis gets full marks",
    } <= set(good["steps"]), good
    assert good["problems"][0] == "at least two wrong fixes: found 0"

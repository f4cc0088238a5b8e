"""The hint ladder: reveal the next hint of a workspace's scenario and remember it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kit.errors import KitError
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import META_DIR, open_workspace


def next_hint(workspace: Path) -> tuple[int, int, str, int]:
    """(number, of, text, cost) of the next hint; the count is stored in the workspace."""
    ws = open_workspace(workspace)
    scenario = get_scenario(ws.scenario_id)
    ladder = scenario.hints()
    path = workspace / META_DIR / "hints.json"
    try:
        used = int(json.loads(path.read_text(encoding="utf-8")).get("used", 0))
    except (FileNotFoundError, ValueError):
        used = 0
    if used >= len(ladder):
        raise KitError(
            f"all {len(ladder)} hints of {scenario.id} are already revealed",
            "see them again in the scenario's hints.md",
        )
    used += 1
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"used": used}) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return used, len(ladder), ladder[used - 1], scenario.grading.hint_cost

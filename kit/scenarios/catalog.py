"""The catalog: every scenario folder under a scenarios directory, found by id."""

from __future__ import annotations

import difflib
from pathlib import Path

from kit.errors import KitError
from kit.paths import scenarios_dir
from kit.scenarios.manifest import Scenario, load_scenario


def scenario_ids(root: Path | None = None) -> list[str]:
    base = root or scenarios_dir()
    return sorted(p.parent.name for p in base.glob("*/scenario.toml"))


def all_scenarios(root: Path | None = None) -> list[Scenario]:
    base = root or scenarios_dir()
    return [load_scenario(base / sid) for sid in scenario_ids(base)]


def get_scenario(scenario_id: str, root: Path | None = None) -> Scenario:
    """The scenario with this id; an unknown id suggests the closest ones."""
    base = root or scenarios_dir()
    known = scenario_ids(base)
    if scenario_id not in known:
        close = difflib.get_close_matches(scenario_id, known, n=3, cutoff=0.4)
        hint = f"did you mean {' or '.join(close)}?" if close else "`leakkit list` shows them all"
        raise KitError(f"no scenario {scenario_id!r} in {base}", hint)
    return load_scenario(base / scenario_id)

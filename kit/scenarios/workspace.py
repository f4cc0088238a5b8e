"""Learner workspaces: an editable copy of a scenario's program with its own go.mod."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from kit import __version__
from kit.errors import KitError
from kit.scenarios.manifest import Scenario

META_DIR = ".leakkit"
META_FILE = "workspace.json"
DIAGNOSIS_TEMPLATE = """\
# Diagnosis

## What leaks

<!-- Memory or goroutines? What kind of leak is it (for example: an unbounded cache,
     a goroutine blocked on a channel send)? -->

## Where

<!-- The function(s) responsible, as Go symbols, e.g. `main.(*Store).Put`. -->

## Evidence

<!-- Which profile, which sample type, which numbers, which commands
     (e.g. `go tool pprof -sample_index=inuse_space -base heap-1.pb.gz heap-5.pb.gz`). -->

## Fix

<!-- What you changed and why it stops the growth without breaking the service. -->
"""


@dataclass(frozen=True, slots=True)
class Workspace:
    """A folder made by `leakkit start`: the program, diagnosis.md, and hidden metadata."""

    path: Path
    scenario_id: str
    checksums: dict[str, str]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def program_files(program_dir: Path) -> list[Path]:
    """The program's files, relative to its folder (Go sources, tests, data)."""
    return sorted(
        p.relative_to(program_dir)
        for p in program_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def create_workspace(scenario: Scenario, dest: Path) -> Workspace:
    """Copy the program into `dest` (which must be new or empty) and write the metadata."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise KitError(
            f"{dest}: already exists and is not empty",
            "choose another folder with --dir, or remove this one",
        )
    dest.mkdir(parents=True, exist_ok=True)
    checksums: dict[str, str] = {}
    for rel in program_files(scenario.program_dir):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(scenario.program_dir / rel, target)
        checksums[rel.as_posix()] = sha256(target)
    (dest / "go.mod").write_text(f"module leakkit.dev/workspace/{scenario.id}\n\ngo 1.23\n")
    checksums["go.mod"] = sha256(dest / "go.mod")
    (dest / "diagnosis.md").write_text(DIAGNOSIS_TEMPLATE, encoding="utf-8")
    (dest / "README.md").write_text(_readme(scenario, dest), encoding="utf-8")
    meta = dest / META_DIR
    meta.mkdir(exist_ok=True)
    (meta / META_FILE).write_text(
        json.dumps(
            {
                "version": 1,
                "scenario": scenario.id,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "kit_version": __version__,
                "checksums": checksums,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return Workspace(dest, scenario.id, checksums)


def open_workspace(path: Path) -> Workspace:
    """Read a workspace's metadata; KitError if `path` is not a workspace."""
    meta = path / META_DIR / META_FILE
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
        return Workspace(path, str(doc["scenario"]), dict(doc["checksums"]))
    except FileNotFoundError:
        raise KitError(
            f"{path}: not a leakkit workspace (no {META_DIR}/{META_FILE})",
            "make one with `leakkit start SCENARIO --dir FOLDER`",
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise KitError(f"{meta}: unreadable workspace metadata ({exc})") from None


def is_workspace(path: Path) -> bool:
    return (path / META_DIR / META_FILE).is_file()


def _readme(scenario: Scenario, dest: Path) -> str:
    editable = ", ".join(f"`{name}`" for name in scenario.editable)
    return f"""# {scenario.title}

Scenario `{scenario.id}` ({scenario.level}, about {scenario.minutes} minutes).
Read the brief with `leakkit show {scenario.id}` (`--lang zh` for Chinese).

Next steps:

1. `leakkit run {dest}` builds this program, drives the scenario's load, and saves
   heap, allocs and goroutine profiles at every checkpoint; it prints the
   `go tool pprof` commands to dig further.
2. Find what grows and where; write it down in `diagnosis.md`.
3. Fix the leak in {editable} (only these files count) and run again to
   see the growth gone.
"""

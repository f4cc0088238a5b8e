"""Checks on the learner's code itself: edited files, forbidden tricks, Go tests, behaviour."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kit.runner.http import Endpoint
from kit.scenarios.manifest import Check, Scenario
from kit.scenarios.workspace import META_DIR, Workspace, program_files, sha256

# Calls and settings that hide a leak from the measurements instead of fixing it.
TRICKS = (
    (re.compile(r"\bruntime\.GC\s*\("), "calls runtime.GC()"),
    (re.compile(r"\bdebug\.FreeOSMemory\s*\("), "calls debug.FreeOSMemory()"),
    (re.compile(r"\bos\.Exit\s*\("), "exits the process (os.Exit)"),
    (re.compile(r"\bsyscall\.(?:Exec|Kill|Exit)\s*\("), "restarts, kills or exits the process"),
    (re.compile(r"\btesting\.Testing\s*\("), "behaves differently under go test (testing.Testing)"),
    (re.compile(r"\bMemProfileRate\b"), "changes runtime.MemProfileRate"),
    (re.compile(r"\bSetGCPercent\s*\(|\bSetMemoryLimit\s*\("), "retunes the garbage collector"),
    (re.compile(r"/debug/pprof|/debug/vars"), "touches the pprof or expvar endpoints"),
    (re.compile(r"\bruntime\.Goexit\s*\("), "calls runtime.Goexit()"),
)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _code(text: str) -> str:
    return _COMMENT.sub("", text)


def edited_outside(ws: Workspace, scenario: Scenario) -> list[str]:
    """Files the learner changed, removed or added that the scenario does not let them edit."""
    problems = []
    editable = set(scenario.editable)
    for name, digest in ws.checksums.items():
        path = ws.path / name
        if name in editable:
            continue
        if not path.is_file():
            problems.append(f"{name} (removed)")
        elif sha256(path) != digest:
            problems.append(f"{name} (changed)")
    for rel in program_files(ws.path):
        name = rel.as_posix()
        if rel.parts[0] == META_DIR or name in ws.checksums or not name.endswith(".go"):
            continue
        if not name.endswith("_test.go"):
            problems.append(f"{name} (added)")
    return problems


def tricks_used(ws: Workspace, scenario: Scenario) -> list[str]:
    """Tricks that appear in the learner's editable files more often than in the original."""
    found = []
    for name in scenario.editable:
        original = _code((scenario.program_dir / name).read_text(encoding="utf-8"))
        try:
            mine = _code((ws.path / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        for pattern, what in TRICKS:
            if len(pattern.findall(mine)) > len(pattern.findall(original)):
                found.append(f"{name} {what}")
    return found


@dataclass(frozen=True, slots=True)
class GradingCopy:
    """The folder the fix is built and tested in, and the learner's test files kept out of it."""

    folder: Path
    left_out: tuple[str, ...]


def grading_copy(ws: Workspace, scenario: Scenario, dest: Path) -> GradingCopy:
    """A copy of the learner's program to build and test, with the hidden tests added.

    Test files the learner added are left out: a `TestMain` that exits 0 would otherwise
    switch the hidden tests off. The caller removes `dest` when grading ends.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    left_out = []
    for rel in program_files(ws.path):
        name = rel.as_posix()
        if rel.parts[0] == META_DIR or rel.name == "diagnosis.md":
            continue
        if name.endswith("_test.go") and name not in ws.checksums:
            left_out.append(name)
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ws.path / rel, dest / rel)
    hidden = scenario.folder / "tests"
    if hidden.is_dir():
        for test in sorted(hidden.glob("*_test.go")):
            shutil.copy2(test, dest / test.name)
    return GradingCopy(dest, tuple(left_out))


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    check: Check
    ok: bool
    message: str


def functional_checks(base_url: str, checks: tuple[Check, ...]) -> list[CheckOutcome]:
    """Send each check's request and compare status and body with what a working program says."""
    api = Endpoint(base_url, timeout=10.0)
    out = []
    for check in checks:
        try:
            status, body = api.request(check.method, check.path, check.body.encode() or None)
        except Exception as exc:  # a dead or hanging program is a failed check, not a kit error
            out.append(CheckOutcome(check, False, f"{check.name}: request failed ({exc})"))
            continue
        text = body.decode(errors="replace")
        if status != check.status:
            out.append(
                CheckOutcome(
                    check,
                    False,
                    f"{check.name}: expected HTTP {check.status}, got {status}: {text[:120]!r}",
                )
            )
        elif check.body_contains and check.body_contains not in text:
            out.append(
                CheckOutcome(
                    check,
                    False,
                    f"{check.name}: expected the body to contain {check.body_contains!r}, got {text[:120]!r}",
                )
            )
        else:
            out.append(CheckOutcome(check, True, f"{check.name}: ok"))
    api.close()
    return out

"""Grade a workspace: score the diagnosis, rebuild the fix, measure it, and explain each point."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from kit.analysis.curves import GrowthClass
from kit.analysis.report import Findings, analyse
from kit.errors import KitError
from kit.grading import diagnosis as dx
from kit.grading.fixcheck import GradingCopy, edited_outside, grading_copy, tricks_used
from kit.grading.measured import (
    FIX_TITLES,
    behaviour_check,
    hot_gone_check,
    hot_gone_skipped,
    leak_gone_check,
    settled,
)
from kit.grading.verdict import (
    FAIL,
    INCONCLUSIVE,
    PARTIAL,
    PASS,
    SKIPPED,
    CheckResult,
    Verdict,
    make_check,
)
from kit.paths import cache_dir
from kit.runner.backend import Backend
from kit.runner.backends import make_backend
from kit.runner.load import build_driver
from kit.runner.local import BuildFailed, StartFailed
from kit.runner.run import RunRequest, execute
from kit.scenarios.catalog import get_scenario
from kit.scenarios.manifest import Scenario
from kit.scenarios.workspace import META_DIR, Workspace, open_workspace
from kit.toolchain import find_toolchain

Say = Callable[[str], None]
VARIANT_SEED_OFFSET = 7919


def measure(
    program: Path, scenario: Scenario, out: Path, backend: Backend, seed_offset: int = 0
) -> Findings:
    """Run `program` under the scenario's load (seed shifted for a variant) and analyse it."""
    toolchain = find_toolchain()
    plan = dataclasses.replace(scenario.load, seed=scenario.load.seed + seed_offset)
    rec = execute(
        RunRequest(program, plan, out, scenario.id, scenario.limits),
        backend,
        build_driver(toolchain, cache_dir() / "bin"),
        toolchain.version_text,
    )
    return analyse(rec)


def diagnosis_checks(path: Path, scenario: Scenario) -> list[CheckResult]:
    w = scenario.grading.weight
    d = dx.read_diagnosis(path)
    titles = {
        "function": "Names the leaking function",
        "category": "Names the kind of leak",
        "evidence": "Cites the right evidence",
    }
    if scenario.not_a_leak:
        titles |= {
            "function": "Names the function the alarm points at",
            "category": "Says it is not a leak",
        }
    if isinstance(d, dx.Unreadable):
        return [make_check(k, t, 0, w(k), d.reason) for k, t in titles.items()]
    level = (
        f" (wrong heading level: {', '.join('`# ' + h + '`' for h in d.wrong_level)} {'is' if len(d.wrong_level) == 1 else 'are'} level 1; the grader reads the sections under level-2 headings such as `## {d.wrong_level[0]}`)"
        if d.wrong_level
        else ""
    )
    layout = ""
    if d.missing:
        layout += f" (missing or empty sections: {', '.join(d.missing)})"
    if d.extra:
        layout += f" (headings not graded: {', '.join(d.extra)})"
    hot = scenario.expect.hot
    function = dx.mark_function(d, [h.named_as for h in hot], w("function"))
    category = dx.mark_category(d, scenario.category, w("category"))
    evidence = dx.mark_evidence(d, hot[0].profile, w("evidence"))
    return [
        make_check(
            "function",
            titles["function"],
            function.score,
            function.max_score,
            function.message + layout + level,
        ),
        make_check(
            "category",
            titles["category"],
            category.score,
            category.max_score,
            category.message + level,
        ),
        make_check(
            "evidence",
            titles["evidence"],
            evidence.score,
            evidence.max_score,
            evidence.message + level,
        ),
    ]


def grade(
    workspace: Path,
    say: Say | None = None,
    original: Findings | None = None,
    backend: str = "local",
    scenario: Scenario | None = None,
) -> Verdict:
    """Grade the workspace on `backend`; the recordings go under .leakkit/grades/.

    `original` is a run of the scenario's unchanged program to compare against; without one,
    the grader makes it. `scenario` defaults to the bundled one the workspace was made from.
    """
    ws = open_workspace(workspace)
    scenario = scenario or get_scenario(ws.scenario_id)
    runner = make_backend(backend, find_toolchain(), scenario.limits)
    try:
        return _grade(workspace, scenario, runner, say, original)
    finally:
        runner.close()


def error_verdict(
    workspace: Path, scenario: Scenario, error: KitError, duration_s: float
) -> Verdict:
    """The verdict of a grading the kit could not finish: status error, no points."""
    total = sum(points for _, points in scenario.grading.weights)
    check = make_check(
        "grading", "The grader finished", 0, total,
        f"grading stopped on a kit error, not on your fix: {error}",
    )  # fmt: skip
    return Verdict(
        scenario=scenario.id,
        status="error",
        checks=(check,),
        hints_used=hints_used(workspace),
        hint_cost=scenario.grading.hint_cost,
        duration_s=duration_s,
        recordings={"original": None, "fixed": None},
        next_steps=("Fix what the message names (`leakkit doctor` checks this machine), then grade again.",),
    )  # fmt: skip


def _grade(
    workspace: Path,
    scenario: Scenario,
    backend: Backend,
    say: Say | None,
    original: Findings | None,
) -> Verdict:
    start = time.monotonic()
    note = say or (lambda message: None)
    ws = open_workspace(workspace)
    hints = hints_used(workspace)
    checks = diagnosis_checks(workspace / "diagnosis.md", scenario)
    out = workspace / META_DIR / "grades" / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")

    def run(program: Path, name: str, seed_offset: int = 0) -> Findings:
        note(f"running the {name} program under load ({backend.name} backend)")
        return measure(program, scenario, out / name, backend, seed_offset)

    problems = _problems(ws, scenario)
    if original is None:
        original = run(scenario.program_dir, "original")
    recordings: dict[str, str | None] = {
        "original": str(original.recording.folder / "recording.json"),
        "fixed": None,
    }
    growth = {"original": _growth(original)}
    try:
        # The hidden tests live in this copy only while grading: it goes, whatever happens.
        copy = grading_copy(ws, scenario, out / "build")
        fix_checks, runs = _fix_checks(scenario, backend, original, copy, run, out, problems, note)
    finally:
        shutil.rmtree(out / "build", ignore_errors=True)
    for name, f in runs.items():
        recordings[name] = str(f.recording.folder / "recording.json")
        growth[name] = _growth(f)
    if problems:
        # Tricks and forbidden edits void the fix, whatever the measurements say.
        fix_checks = [
            dataclasses.replace(c, status=FAIL, score=0, message="; ".join(problems))
            if c.id in ("leak_gone", "hot_gone")
            else c
            for c in fix_checks
        ]
    checks.extend(fix_checks)
    return Verdict(
        scenario=scenario.id,
        status=_status(checks, scenario),
        checks=tuple(checks),
        hints_used=hints,
        hint_cost=scenario.grading.hint_cost,
        duration_s=time.monotonic() - start,
        recordings=recordings,
        growth=growth,
        next_steps=tuple(_next_steps(checks, scenario)),
    )


Run = Callable[[Path, str, int], Findings]


def _problems(ws: Workspace, scenario: Scenario) -> list[str]:
    """Forbidden edits and tricks: each voids the fix whatever the measurements say."""
    problems: list[str] = []
    edits = edited_outside(ws, scenario)
    if edits:
        problems.append(
            f"files you may not edit were touched: {', '.join(edits)} (editable: {', '.join(scenario.editable)})"
        )
    tricks = tricks_used(ws, scenario)
    if tricks:
        problems.append(f"the fix hides the leak instead of removing it: {'; '.join(tricks)}")
    return problems


def _fix_checks(
    scenario: Scenario,
    backend: Backend,
    original: Findings,
    copy: GradingCopy,
    run: Run,
    out: Path,
    problems: list[str],
    note: Say,
) -> tuple[list[CheckResult], dict[str, Findings]]:
    """leak_gone, hot_gone and behaviour from runs of the copy; and the runs by name."""
    w = scenario.grading.weight
    try:
        fixed = settled(lambda name: run(copy.folder, name, 0), "fixed", scenario, note)
        if fixed.recording.outcome.status != "completed" or _still_leaks(fixed, scenario):
            # It already failed; a second load could only fail again.
            variant = fixed
        else:
            variant = settled(
                lambda name: run(copy.folder, name, VARIANT_SEED_OFFSET), "variant", scenario, note
            )
        note("checking behaviour")
        checks = [
            leak_gone_check(scenario, original, fixed, variant, w("leak_gone")),
            hot_gone_skipped()
            if scenario.not_a_leak
            else hot_gone_check(scenario, original, fixed, w("hot_gone")),
            behaviour_check(
                scenario, original, fixed, variant, backend, copy, out, problems, w("behaviour")
            ),
        ]
    except BuildFailed as exc:
        msg = f"the program does not compile:\n{exc.output}"
        return [make_check(k, t, 0, w(k), msg) for k, t in FIX_TITLES.items()], {}
    except StartFailed as exc:
        msg = f"the fixed program never became ready: {exc}"
        return [make_check(k, t, 0, w(k), msg) for k, t in FIX_TITLES.items()], {}
    return checks, {"fixed": fixed, "variant": variant}


def _still_leaks(f: Findings, scenario: Scenario) -> bool:
    g = f.growth.get(scenario.expect.metric)
    return g is not None and (
        g.cls is GrowthClass.LEAK or g.per_1k >= scenario.expect.fixed_max_per_1k
    )


def _growth(f: Findings) -> dict[str, object]:
    return {
        m: {"per_1k": round(g.per_1k, 2), "class": g.cls.value} for m, g in f.growth.items()
    } | {"outcome": f.recording.outcome.status}


def _status(checks: list[CheckResult], scenario: Scenario) -> str:
    fix = [c for c in checks if c.id in FIX_TITLES]
    if any(c.status == FAIL for c in fix):
        return "fail"
    if any(c.status == INCONCLUSIVE for c in fix):
        return "inconclusive"
    if scenario.not_a_leak and any(c.id == "category" and c.status != PASS for c in checks):
        # Seeing that nothing leaks is the whole exercise; a right fix for a wrong reason fails.
        return "fail"
    diag = [c for c in checks if c.id not in FIX_TITLES and c.status != SKIPPED]
    earned, total = sum(c.score for c in diag), sum(c.max_score for c in diag)
    return "pass" if total == 0 or earned >= 0.6 * total else "fail"


def _next_steps(checks: list[CheckResult], scenario: Scenario) -> list[str]:
    tips = {
        "function": "Name the function that allocates (heap) or parks (goroutine), as pprof prints it, under Where.",
        "category": "Say what kind of leak it is in What leaks; docs/taxonomy.md lists the words the grader knows.",
        "evidence": "Under Evidence, cite the profile, the sample type and the comparison you made (e.g. go tool pprof -base).",
        "leak_gone": "Run `leakkit run .` on your workspace and watch the curve of the leaking metric: it must go flat.",
        "hot_gone": "Compare `go tool pprof -top -base` of two checkpoints from your fixed run: the hot function should vanish.",
        "behaviour": "Keep the feature: the fix must still answer every request correctly (see the failed checks).",
    }
    if scenario.not_a_leak:
        tips["category"] = (
            "Before calling it a leak, check that something is kept: compare inuse_space across"
            " checkpoints with -base and HeapAlloc after a GC. If they stay flat, say so."
        )
    return [tips[c.id] for c in checks if c.status in (FAIL, PARTIAL) and c.id in tips]


def hints_used(workspace: Path) -> int:
    path = workspace / META_DIR / "hints.json"
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get("used", 0))
    except (FileNotFoundError, ValueError):
        return 0

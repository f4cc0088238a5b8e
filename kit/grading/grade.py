"""Grade a workspace: score the diagnosis, rebuild the fix, measure it, and explain each point."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from kit.analysis.curves import GrowthClass
from kit.analysis.report import Findings, analyse
from kit.errors import KitError
from kit.grading import diagnosis as dx
from kit.grading.fixcheck import edited_outside, functional_checks, grading_copy, tricks_used
from kit.grading.verdict import FAIL, INCONCLUSIVE, PARTIAL, PASS, SKIPPED, CheckResult, Verdict
from kit.paths import cache_dir
from kit.runner.backend import Backend
from kit.runner.backends import make_backend
from kit.runner.load import build_driver
from kit.runner.local import BuildFailed, StartFailed
from kit.runner.run import RunRequest, execute
from kit.scenarios.catalog import get_scenario
from kit.scenarios.manifest import Scenario
from kit.scenarios.workspace import META_DIR, open_workspace
from kit.toolchain import find_toolchain

Say = Callable[[str], None]
VARIANT_SEED_OFFSET = 7919
# Growth a profile must show before one function can be said to dominate it. The heap profile
# samples about one allocation per 512 KiB, so a few samples either way are noise.
DOMINANCE_FLOOR = {"heap": 2 << 20, "goroutine": 10}
# ... and a fixed program's hot function must have shrunk to under this share of the original's.
DOMINANCE_SHARE_OF_ORIGINAL = 0.1


def _check(
    cid: str, title: str, score: float, max_score: float, message: str, status: str | None = None
) -> CheckResult:
    if status is None:
        status = PASS if score >= max_score else (PARTIAL if score > 0 else FAIL)
    return CheckResult(cid, title, status, score, max_score, message)


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
    if d is None:
        return [
            _check(
                k, t, 0, w(k), "no diagnosis.md in the workspace; write one with the four headings"
            )
            for k, t in titles.items()
        ]
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
        _check(
            "function",
            titles["function"],
            function.score,
            function.max_score,
            function.message + layout,
        ),
        _check(
            "category", titles["category"], category.score, category.max_score, category.message
        ),
        _check(
            "evidence", titles["evidence"], evidence.score, evidence.max_score, evidence.message
        ),
    ]


def grade(
    workspace: Path,
    say: Say | None = None,
    original: Findings | None = None,
    backend: str = "local",
) -> Verdict:
    """Grade the workspace on `backend`; the recordings go under .leakkit/grades/.

    `original` is a run of the scenario's unchanged program to compare against; without one,
    the grader makes it.
    """
    ws = open_workspace(workspace)
    scenario = get_scenario(ws.scenario_id)
    runner = make_backend(backend, find_toolchain(), scenario.limits)
    try:
        return _grade(workspace, scenario, runner, say, original)
    finally:
        runner.close()


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
    w = scenario.grading.weight
    out = workspace / META_DIR / "grades" / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")

    def run(program: Path, name: str, seed_offset: int = 0) -> Findings:
        note(f"running the {name} program under load ({backend.name} backend)")
        return measure(program, scenario, out / name, backend, seed_offset)

    problems: list[str] = []
    edits = edited_outside(ws, scenario)
    if edits:
        problems.append(
            f"files you may not edit were touched: {', '.join(edits)} (editable: {', '.join(scenario.editable)})"
        )
    tricks = tricks_used(ws, scenario)
    if tricks:
        problems.append(f"the fix hides the leak instead of removing it: {'; '.join(tricks)}")

    if original is None:
        original = run(scenario.program_dir, "original")
    copy = grading_copy(ws, scenario, out / "build")
    recordings: dict[str, str | None] = {
        "original": str(original.recording.folder / "recording.json"),
        "fixed": None,
    }
    growth = {"original": _growth(original)}
    fix_checks: list[CheckResult]
    try:
        fixed = run(copy, "fixed")
        if _metric_class(fixed, scenario) is GrowthClass.INCONCLUSIVE:
            note("the measurement was inconclusive; measuring once more")
            fixed = run(copy, "fixed-again")
        if fixed.recording.outcome.status != "completed" or _still_leaks(fixed, scenario):
            # It already failed; a second load could only fail again.
            variant = fixed
        else:
            variant = run(copy, "variant", VARIANT_SEED_OFFSET)
            if _metric_class(variant, scenario) is GrowthClass.INCONCLUSIVE:
                variant = run(copy, "variant-again", VARIANT_SEED_OFFSET)
        recordings["fixed"] = str(fixed.recording.folder / "recording.json")
        recordings["variant"] = str(variant.recording.folder / "recording.json")
        growth["fixed"] = _growth(fixed)
        growth["variant"] = _growth(variant)
        note("checking behaviour")
        fix_checks = [
            leak_gone_check(scenario, original, fixed, variant, w("leak_gone")),
            hot_gone_check(scenario, original, fixed, w("hot_gone"))
            if not scenario.not_a_leak
            else _check(
                "hot_gone",
                _FIX_TITLES["hot_gone"],
                0,
                0,
                "skipped: nothing leaks in this scenario, so no function has growth to lose",
                SKIPPED,
            ),
            behaviour_check(
                scenario,
                original,
                fixed,
                variant,
                backend,
                copy,
                out,
                problems,
                w("behaviour"),
            ),
        ]
    except BuildFailed as exc:
        msg = f"the program does not compile:\n{exc.output}"
        fix_checks = [_check(k, t, 0, w(k), msg) for k, t in _FIX_TITLES.items()]
    except StartFailed as exc:
        msg = f"the fixed program never became ready: {exc}"
        fix_checks = [_check(k, t, 0, w(k), msg) for k, t in _FIX_TITLES.items()]
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


_FIX_TITLES = {
    "leak_gone": "The leak is gone",
    "hot_gone": "The hot function no longer dominates",
    "behaviour": "The service still works",
}


def _still_leaks(f: Findings, scenario: Scenario) -> bool:
    g = f.growth.get(scenario.expect.metric)
    return g is not None and (
        g.cls is GrowthClass.LEAK or g.per_1k >= scenario.expect.fixed_max_per_1k
    )


def _loads(fixed: Findings, variant: Findings) -> list[tuple[Findings, str]]:
    """The runs a check looks at: the variant is left out when it was not run separately."""
    runs = [(fixed, "scenario's load")]
    if variant is not fixed:
        runs.append((variant, "load with other keys and seed"))
    return runs


def _metric_class(f: Findings, scenario: Scenario) -> GrowthClass | None:
    g = f.growth.get(scenario.expect.metric)
    return g.cls if g else None


def _growth(f: Findings) -> dict[str, object]:
    return {
        m: {"per_1k": round(g.per_1k, 2), "class": g.cls.value} for m, g in f.growth.items()
    } | {"outcome": f.recording.outcome.status}


def _run_problem(f: Findings, label: str) -> str | None:
    out = f.recording.outcome
    if out.status != "completed":
        return f"the {label} run did not complete: the program {out.message or out.status}"
    return None


def leak_gone_check(
    scenario: Scenario, original: Findings, fixed: Findings, variant: Findings, points: int
) -> CheckResult:
    metric, bound = scenario.expect.metric, scenario.expect.fixed_max_per_1k
    title = "Nothing leaks" if scenario.not_a_leak else _FIX_TITLES["leak_gone"]
    was = original.growth.get(metric)
    was_text = f"{was.per_1k:,.1f}" if was else "?"
    for f, label in _loads(fixed, variant):
        problem = _run_problem(f, label)
        if problem:
            return _check("leak_gone", title, 0, points, problem)
        g = f.growth.get(metric)
        if g is None:
            return _check(
                "leak_gone", title, 0, points, f"{metric} was not measured in the {label} run"
            )
        if g.cls is GrowthClass.INCONCLUSIVE:
            return _check(
                "leak_gone",
                title,
                0,
                points,
                f"with the {label}, {metric} was inconclusive twice: {g.reason}",
                INCONCLUSIVE,
            )
        # A steady rise under the bound is a leak in a fix, but in a program that does not
        # leak it is the runtime settling (GC pacing, size classes): only the bound judges.
        steady = g.cls is GrowthClass.LEAK and not scenario.not_a_leak
        if g.per_1k >= bound or steady:
            return _check(
                "leak_gone", title, 0, points,
                f"expected {metric} under {bound:,.0f} per 1k {scenario.load.work_unit}; with the {label} it grew {g.per_1k:,.1f} per 1k ({g.reason}); the original grew {was_text}",
            )  # fmt: skip
    g = fixed.growth[metric]
    return _check(
        "leak_gone", title, points, points,
        f"{metric} grows {g.per_1k:,.1f} per 1k {scenario.load.work_unit} (bound {bound:,.0f}; original {was_text}), also with other keys and seed",
    )  # fmt: skip


def hot_gone_check(
    scenario: Scenario, original: Findings, fixed: Findings, points: int
) -> CheckResult:
    title = _FIX_TITLES["hot_gone"]
    for hot in scenario.expect.hot:
        before = next(
            (h for h in original.hot if h.profile == hot.profile and h.name == hot.function), None
        )
        after = next(
            (h for h in fixed.hot if h.profile == hot.profile and h.name == hot.function), None
        )
        before_text = f"{before.delta:,}" if before else "0"
        floor = max(
            DOMINANCE_FLOOR[hot.profile],
            DOMINANCE_SHARE_OF_ORIGINAL * (before.delta if before else 0),
        )
        if after is not None and after.share >= 0.5 and after.delta >= floor:
            return _check(
                "hot_gone", title, 0, points,
                f"{hot.function} still holds {after.share:.0%} of the {hot.profile} growth ({after.delta:,}; original {before_text})",
            )  # fmt: skip
    names = ", ".join(h.function for h in scenario.expect.hot)
    return _check(
        "hot_gone",
        title,
        points,
        points,
        f"{names} no longer dominates the growth between checkpoints",
    )


def behaviour_check(
    scenario: Scenario,
    original: Findings,
    fixed: Findings,
    variant: Findings,
    backend: Backend,
    copy: Path,
    out: Path,
    problems: list[str],
    points: int,
) -> CheckResult:
    title = _FIX_TITLES["behaviour"]
    failures: list[str] = []
    for f, label in _loads(fixed, variant):
        problem = _run_problem(f, label)
        if problem:
            failures.append(problem)
        errors = sum(c.load.errors for c in f.recording.checkpoints)
        if errors:
            first = next(
                (c.load.first_error for c in f.recording.checkpoints if c.load.first_error), ""
            )
            failures.append(f"{errors} requests failed under the {label} (first: {first})")
    slow = _slowdown(original, fixed)
    if slow is not None:
        failures.append(slow)
    if fixed.recording.outcome.status != "completed":
        failures.append(
            "functional checks and Go tests not run: the program did not survive the load"
        )
    elif slow is not None:
        failures.append("functional checks and Go tests not run: the service is too slow to test")
    else:
        instance = None
        try:
            instance = backend.launch(backend.build(copy), out / "checks")
            results = functional_checks(instance.base_url, scenario.checks)
            failures.extend(r.message for r in results if not r.ok)
        except (StartFailed, KitError) as exc:
            failures.append(f"could not start the program for the functional checks: {exc}")
        finally:
            if instance is not None:
                instance.stop()
        ok, output = backend.run_tests(copy)
        if not ok:
            failures.append(f"go test failed:\n{output}")
    failures.extend(p for p in problems if p.startswith("files you may not edit"))
    if failures:
        return _check("behaviour", title, 0, points, "; ".join(failures))
    n = len(scenario.checks)
    return _check(
        "behaviour",
        title,
        points,
        points,
        f"stayed up through both loads with no failed requests; {n} functional checks and the Go tests pass",
    )


def _slowdown(original: Findings, fixed: Findings) -> str | None:
    def rate(f: Findings) -> float:
        done = sum(c.load.done for c in f.recording.checkpoints[1:])
        secs = sum(c.load.elapsed_s for c in f.recording.checkpoints[1:])
        return done / secs if secs else 0.0

    before, after = rate(original), rate(fixed)
    if before and after < before / 4:
        return f"the fixed program serves {after:,.0f} requests/s against the original's {before:,.0f}: fixing a leak by slowing the service down does not count"
    return None


def _status(checks: list[CheckResult], scenario: Scenario) -> str:
    fix = [c for c in checks if c.id in _FIX_TITLES]
    if any(c.status == FAIL for c in fix):
        return "fail"
    if any(c.status == INCONCLUSIVE for c in fix):
        return "inconclusive"
    if scenario.not_a_leak and any(c.id == "category" and c.status != PASS for c in checks):
        # Seeing that nothing leaks is the whole exercise; a right fix for a wrong reason fails.
        return "fail"
    diag = [c for c in checks if c.id not in _FIX_TITLES and c.status != SKIPPED]
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
        import json

        return int(json.loads(path.read_text(encoding="utf-8")).get("used", 0))
    except (FileNotFoundError, ValueError):
        return 0

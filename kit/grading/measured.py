"""Checks on measured runs of the fixed program: the leak is gone, the hot function no longer
dominates, and the service still works. Also the one rerun of an inconclusive measurement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kit.analysis.curves import GrowthClass
from kit.analysis.report import Findings
from kit.errors import KitError
from kit.grading.fixcheck import GradingCopy, functional_checks
from kit.grading.verdict import INCONCLUSIVE, SKIPPED, CheckResult, make_check
from kit.runner.backend import Backend
from kit.runner.local import StartFailed
from kit.scenarios.manifest import Scenario

# Growth a profile must show before one function can be said to dominate it. The heap profile
# samples about one allocation per 512 KiB, so a few samples either way are noise.
DOMINANCE_FLOOR = {"heap": 2 << 20, "goroutine": 10}
# ... and a fixed program's hot function must have shrunk to under this share of the original's.
DOMINANCE_SHARE_OF_ORIGINAL = 0.1
FIX_TITLES = {
    "leak_gone": "The leak is gone",
    "hot_gone": "The hot function no longer dominates",
    "behaviour": "The service still works",
}


def metric_class(f: Findings, scenario: Scenario) -> GrowthClass | None:
    g = f.growth.get(scenario.expect.metric)
    return g.cls if g else None


def settled(
    run: Callable[[str], Findings], name: str, scenario: Scenario, note: Callable[[str], None]
) -> Findings:
    """`run(name)`, and once more (as `name-again`) when the scenario's metric was inconclusive.

    The second result is the one reported, inconclusive or not.
    """
    first = run(name)
    if metric_class(first, scenario) is not GrowthClass.INCONCLUSIVE:
        return first
    note(f"the {name} measurement was inconclusive; measuring once more")
    return run(f"{name}-again")


def hot_gone_skipped() -> CheckResult:
    return make_check(
        "hot_gone",
        FIX_TITLES["hot_gone"],
        0,
        0,
        "skipped: nothing leaks in this scenario, so no function has growth to lose",
        SKIPPED,
    )


def _loads(fixed: Findings, variant: Findings) -> list[tuple[Findings, str]]:
    """The runs a check looks at: the variant is left out when it was not run separately."""
    runs = [(fixed, "scenario's load")]
    if variant is not fixed:
        runs.append((variant, "load with other keys and seed"))
    return runs


def _run_problem(f: Findings, label: str) -> str | None:
    out = f.recording.outcome
    if out.status != "completed":
        return f"the {label} run did not complete: the program {out.message or out.status}"
    return None


def leak_gone_check(
    scenario: Scenario, original: Findings, fixed: Findings, variant: Findings, points: int
) -> CheckResult:
    metric, bound = scenario.expect.metric, scenario.expect.fixed_max_per_1k
    title = "Nothing leaks" if scenario.not_a_leak else FIX_TITLES["leak_gone"]
    was = original.growth.get(metric)
    was_text = f"{was.per_1k:,.1f}" if was else "?"
    for f, label in _loads(fixed, variant):
        problem = _run_problem(f, label)
        if problem:
            return make_check("leak_gone", title, 0, points, problem)
        g = f.growth.get(metric)
        if g is None:
            return make_check(
                "leak_gone", title, 0, points, f"{metric} was not measured in the {label} run"
            )
        if g.cls is GrowthClass.INCONCLUSIVE:
            return make_check(
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
            return make_check(
                "leak_gone", title, 0, points,
                f"expected {metric} under {bound:,.0f} per 1k {scenario.load.work_unit}; with the {label} it grew {g.per_1k:,.1f} per 1k ({g.reason}); the original grew {was_text}",
            )  # fmt: skip
    g = fixed.growth[metric]
    return make_check(
        "leak_gone", title, points, points,
        f"{metric} grows {g.per_1k:,.1f} per 1k {scenario.load.work_unit} (bound {bound:,.0f}; original {was_text}), also with other keys and seed",
    )  # fmt: skip


def hot_gone_check(
    scenario: Scenario, original: Findings, fixed: Findings, points: int
) -> CheckResult:
    title = FIX_TITLES["hot_gone"]
    now: list[str] = []
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
            return make_check(
                "hot_gone", title, 0, points,
                f"{hot.function} still holds {after.share:.0%} of the {hot.profile} growth ({after.delta:,}; original {before_text})",
            )  # fmt: skip
        if after is None:
            held = f"has no growth in the {hot.profile} profile"
        elif after.share < 0.5:
            held = f"holds {after.share:.0%} of the {hot.profile} growth ({after.delta:,})"
        else:
            held = f"grows {after.delta:,}, under the {floor:,.0f} a leak would need"
        now.append(f"{hot.function} {held} (originally {before_text})")
    return make_check(
        "hot_gone",
        title,
        points,
        points,
        "expected under half of the growth, or too little to matter; " + "; ".join(now),
    )


def behaviour_check(
    scenario: Scenario,
    original: Findings,
    fixed: Findings,
    variant: Findings,
    backend: Backend,
    copy: GradingCopy,
    out: Path,
    problems: list[str],
    points: int,
) -> CheckResult:
    title = FIX_TITLES["behaviour"]
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
            instance = backend.launch(backend.build(copy.folder), out / "checks")
            results = functional_checks(instance.base_url, scenario.checks)
            failures.extend(r.message for r in results if not r.ok)
        except (StartFailed, KitError) as exc:
            failures.append(f"could not start the program for the functional checks: {exc}")
        finally:
            if instance is not None:
                instance.stop()
        ok, output = backend.run_tests(copy.folder)
        if not ok:
            failures.append(f"go test failed:\n{output}")
    failures.extend(p for p in problems if p.startswith("files you may not edit"))
    left_out = (
        f" (test files you added were left out, only the program's and the scenario's hidden tests run: {', '.join(copy.left_out)})"
        if copy.left_out
        else ""
    )
    if failures:
        return make_check("behaviour", title, 0, points, "; ".join(failures) + left_out)
    n = len(scenario.checks)
    return make_check(
        "behaviour", title, points, points,
        f"stayed up through both loads with no failed requests; {n} functional checks and the Go tests (with the scenario's hidden tests) pass{left_out}",
    )  # fmt: skip


def _slowdown(original: Findings, fixed: Findings) -> str | None:
    def rate(f: Findings) -> float:
        done = sum(c.load.done for c in f.recording.checkpoints[1:])
        secs = sum(c.load.elapsed_s for c in f.recording.checkpoints[1:])
        return done / secs if secs else 0.0

    before, after = rate(original), rate(fixed)
    if before and after < before / 4:
        return f"the fixed program serves {after:,.0f} requests/s against the original's {before:,.0f}: fixing a leak by slowing the service down does not count"
    return None

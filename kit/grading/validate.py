"""`leakkit validate`: prove a scenario works, the way the design asks.

The program builds and vets; the leaky program leaks with the expected hot function on top;
the reference fix with the model diagnosis gets full marks; every wrong fix is rejected by
the check its header names; an empty diagnosis earns no diagnosis points.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kit.analysis.curves import GrowthClass
from kit.analysis.report import Findings
from kit.grading.grade import diagnosis_checks, grade, measure
from kit.grading.patching import PatchFailed, apply_patch
from kit.grading.verdict import Verdict
from kit.runner.backends import make_backend
from kit.runner.local import BuildFailed, StartFailed, trim_output
from kit.scenarios.manifest import Scenario
from kit.scenarios.workspace import DIAGNOSIS_TEMPLATE, create_workspace
from kit.toolchain import find_toolchain

_EXPECT = re.compile(r"^expect-fail:\s*(\w+)\s*$", re.M)


@dataclass(frozen=True, slots=True)
class ScenarioValidation:
    scenario: str
    problems: tuple[str, ...]
    steps: tuple[str, ...]
    duration_s: float
    repeats: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Log:
    say: Callable[[str], None]
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str, detail: str = "") -> None:
        (self.steps if ok else self.problems).append(what if ok else f"{what}: {detail}")
        self.say(("ok    " if ok else "FAIL  ") + what + ("" if ok else f": {detail}"))


def wrong_fixes(scenario: Scenario) -> list[tuple[Path, str]]:
    """Each wrong fix with the check its header says must reject it."""
    out = []
    for patch in sorted((scenario.folder / "wrong-fixes").glob("*.patch")):
        m = _EXPECT.search(patch.read_text(encoding="utf-8"))
        out.append((patch, m.group(1) if m else ""))
    return out


def _workspace_with(scenario: Scenario, patch: Path | None, diagnosis: str, root: Path) -> Path:
    dest = root / (patch.stem if patch else "reference")
    ws = create_workspace(scenario, dest)
    if patch is not None:
        apply_patch(patch, ws.path)
    (dest / "diagnosis.md").write_text(diagnosis, encoding="utf-8")
    return dest


def validate_scenario(
    scenario: Scenario, say: Callable[[str], None] | None = None, backend: str = "local"
) -> ScenarioValidation:
    start = time.monotonic()
    log = _Log(say or (lambda message: None))
    toolchain = find_toolchain()
    vet = toolchain.run("vet", ".", cwd=scenario.program_dir)
    log.check(
        vet.returncode == 0,
        "the program builds and passes go vet",
        (vet.stderr or vet.stdout).strip()[:400],
    )
    root = Path(tempfile.mkdtemp(prefix=f"leakkit-validate-{scenario.id}-"))
    try:
        original = _measure_original(scenario, root, backend, log)
        if original is not None:
            _check_against(scenario, original, root, backend, log)
    except (ValueError, PatchFailed) as exc:
        log.check(False, "scenario files", str(exc))
    finally:
        if log.problems:
            log.problems.append(f"workspaces and recordings kept for a look in {root}")
            log.say(f"kept  {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return _result(scenario, log, start)


def _check_against(
    scenario: Scenario, original: Findings, root: Path, backend: str, log: _Log
) -> None:
    """The leak, the reference fix, every wrong fix and the empty diagnosis, against `original`."""
    _check_leaks(scenario, original, log)
    model = (
        (scenario.folder / "diagnosis.md").read_text(encoding="utf-8")
        if (scenario.folder / "diagnosis.md").is_file()
        else ""
    )
    log.check(bool(model), "a model diagnosis.md exists", "scenarios need a diagnosis.md")
    reference = grade(
        _workspace_with(scenario, _solution(scenario), model, root),
        original=original,
        backend=backend,
        scenario=scenario,
    )
    failed = [f"{c.id}: {c.message}" for c in reference.checks if c.score < c.max_score]
    log.check(
        reference.status == "pass" and not failed,
        "the reference fix with the model diagnosis gets full marks",
        "; ".join(failed) or reference.status,
    )
    fixes = wrong_fixes(scenario)
    log.check(len(fixes) >= 2, "at least two wrong fixes", f"found {len(fixes)}")
    for patch, expected in fixes:
        verdict = grade(
            _workspace_with(scenario, patch, model, root),
            original=original,
            backend=backend,
            scenario=scenario,
        )
        rejected = verdict.status != "pass"
        right_reason = rejected_by(verdict, expected)
        log.check(
            rejected and right_reason,
            f"wrong fix {patch.name} is rejected by {expected or '?'}",
            f"status {verdict.status}; " + "; ".join(f"{c.id}={c.status}" for c in verdict.checks),
        )
    empty = sum(c.score for c in diagnosis_checks(_template(root), scenario))
    log.check(empty == 0, "an empty diagnosis earns no diagnosis points", f"it earned {empty}")
    if scenario.not_a_leak:
        claim = root / "claims-a-leak.md"
        claim.write_text(_claiming_a_leak(model), encoding="utf-8")
        category = next(c for c in diagnosis_checks(claim, scenario) if c.id == "category")
        log.check(
            category.status != "pass",
            "a diagnosis that calls it an unbounded cache fails the category check",
            category.message,
        )


def _result(scenario: Scenario, log: _Log, start: float) -> ScenarioValidation:
    return ScenarioValidation(
        scenario.id, tuple(log.problems), tuple(log.steps), time.monotonic() - start
    )


def _measure_original(scenario: Scenario, root: Path, backend: str, log: _Log) -> Findings | None:
    """A run of the scenario's own program; None (and a failed check) if it cannot run."""
    what = "the program as given builds and starts"
    runner = make_backend(backend, find_toolchain(), scenario.limits)
    try:
        original = measure(scenario.program_dir, scenario, root / "original", runner)
    except BuildFailed as exc:
        log.check(
            False, what, f"{scenario.id}'s program does not compile:\n{trim_output(exc.output, 12)}"
        )
        return None
    except StartFailed as exc:
        log.check(
            False, what, f"{scenario.id}'s program never became ready: {trim_output(str(exc), 12)}"
        )
        return None
    finally:
        runner.close()
    log.check(True, what)
    return original


def rejected_by(verdict: Verdict, expected: str) -> bool:
    """Whether the verdict fails the check a wrong fix's header names.

    `tricks` and `build` are not checks of their own: a trick voids leak_gone with a message
    that says so, and a compile error fails every fix check with the compiler's output.
    """
    by_id = {c.id: c for c in verdict.checks}
    leak = by_id["leak_gone"]
    if expected == "tricks":
        return leak.status == "fail" and "hides the leak" in leak.message
    if expected == "build":
        return leak.status == "fail" and "does not compile" in leak.message
    return expected in by_id and by_id[expected].status == "fail"


def _solution(scenario: Scenario) -> Path | None:
    """The reference fix; a not-a-leak scenario's is no change at all (no or an empty patch)."""
    patch = scenario.folder / "solution.patch"
    if scenario.not_a_leak and (not patch.is_file() or not patch.read_text().strip()):
        return None
    if not patch.is_file():
        raise ValueError(f"{patch} is missing: a leak scenario needs its reference fix")
    return patch


def _claiming_a_leak(model: str) -> str:
    """The model diagnosis with its What leaks section replaced by a wrong claim."""
    head, sep, rest = model.partition("## What leaks")
    after = rest.split("\n## ", 1)
    tail = "\n## " + after[1] if len(after) > 1 else ""
    claim = "\n\nAn unbounded cache: the map only grows and is never evicted.\n"
    return head + sep + claim + tail


def _template(root: Path) -> Path:
    path = root / "empty-diagnosis.md"
    path.write_text(DIAGNOSIS_TEMPLATE, encoding="utf-8")
    return path


def _check_leaks(scenario: Scenario, original: Findings, log: _Log) -> None:
    if scenario.not_a_leak:
        _check_bounded(scenario, original, log)
        return
    g = original.growth.get(scenario.expect.metric)
    ok = g is not None and g.cls is GrowthClass.LEAK and g.per_1k >= scenario.expect.min_per_1k
    log.check(
        ok,
        f"the leaky program leaks {scenario.expect.metric} (>= {scenario.expect.min_per_1k:,.0f} per 1k)",
        g.reason if g else "not measured",
    )
    for hot in scenario.expect.hot:
        top = _on_top(original, hot.profile, hot.function)
        log.check(
            top == hot.function,
            f"{hot.function} is on top of the {hot.profile} growth",
            f"found {top}",
        )


def _check_bounded(scenario: Scenario, original: Findings, log: _Log) -> None:
    metric, bound = scenario.expect.metric, scenario.expect.fixed_max_per_1k
    g = original.growth.get(metric)
    log.check(
        g is not None and g.cls is not GrowthClass.LEAK and g.per_1k < bound,
        f"the program as given does not leak {metric} (under {bound:,.0f} per 1k)",
        g.reason if g else "not measured",
    )
    for hot in scenario.expect.hot:
        top = _on_top(original, hot.profile, hot.function)
        log.check(
            top == hot.function,
            f"{hot.function} is on top of the {hot.profile} profile",
            f"found {top}",
        )


# Functions whose growth is within this share of the top one's count as on top with it: three
# goroutines per connection grow by the same count, give or take one in flight.
TIE_SHARE = 0.95


def _on_top(findings: Findings, profile: str, expected: str) -> str:
    """`expected` if it is on top of `profile`'s growth (ties included), else what is."""
    rows = [h for h in findings.hot if h.profile == profile]
    if not rows:
        return "nothing"
    if any(h.name == expected and h.delta >= TIE_SHARE * rows[0].delta for h in rows):
        return expected
    return rows[0].name

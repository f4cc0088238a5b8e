"""How validate reads wrong-fix headers and decides a rejection happened for the right reason."""

from __future__ import annotations

import dataclasses

from kit.grading.validate import rejected_by, wrong_fixes
from kit.grading.verdict import CheckResult, Verdict
from kit.scenarios.catalog import all_scenarios


def _verdict(leak: tuple[str, str], behaviour: str = "pass") -> Verdict:
    checks = (
        CheckResult("leak_gone", "The leak is gone", leak[0], 0, 25, leak[1]),
        CheckResult("behaviour", "The service still works", behaviour, 0, 15, ""),
    )
    return Verdict("s", "fail", checks, 0, 5, 1.0)


def test_every_wrong_fix_names_a_known_check() -> None:
    known = {"leak_gone", "hot_gone", "behaviour", "tricks", "build"}
    for scenario in all_scenarios():
        fixes = wrong_fixes(scenario)
        assert len(fixes) >= 2, scenario.id
        for patch, expected in fixes:
            assert expected in known, f"{patch}: expect-fail {expected!r}"


def test_rejection_reasons() -> None:
    trick = _verdict(
        ("fail", "the fix hides the leak instead of removing it: main.go calls runtime.GC()")
    )
    assert rejected_by(trick, "tricks")
    assert rejected_by(trick, "leak_gone")
    assert not rejected_by(trick, "build")
    broken = _verdict(("fail", "the program does not compile:\n./main.go:3: undefined: x"))
    assert rejected_by(broken, "build")
    assert not rejected_by(broken, "tricks")
    still_leaks = _verdict(("fail", "expected heap_alloc under 100"), behaviour="pass")
    assert rejected_by(still_leaks, "leak_gone")
    assert not rejected_by(still_leaks, "behaviour")


def test_a_claimed_leak_replaces_only_what_leaks() -> None:
    from kit.grading.validate import _claiming_a_leak

    model = "# Diagnosis\n\n## What leaks\n\nNothing leaks.\n\n## Where\n\n`main.render`\n"
    claim = _claiming_a_leak(model)
    assert "Nothing leaks" not in claim
    assert "An unbounded cache" in claim
    assert claim.endswith("## Where\n\n`main.render`\n")


def test_not_a_leak_fails_without_the_right_category() -> None:
    from kit.grading.grade import _status
    from kit.scenarios.catalog import get_scenario

    scenario = get_scenario("cache-map")
    calm = dataclasses.replace(scenario, category="not-a-leak")
    checks = [
        CheckResult("function", "f", "pass", 20, 20, ""),
        CheckResult("category", "c", "partial", 7.5, 15, ""),
        CheckResult("evidence", "e", "pass", 15, 15, ""),
        CheckResult("leak_gone", "l", "pass", 25, 25, ""),
    ]
    assert _status(checks, scenario) == "pass"  # 42.5 of 50 diagnosis points is enough
    assert _status(checks, calm) == "fail"  # but not when seeing no leak is the exercise


def _findings(per_1k: float, cls: str) -> object:
    from types import SimpleNamespace

    from kit.analysis.curves import Growth, GrowthClass

    growth = Growth("heap_alloc", "bytes", (1, 2, 3), (0, 1, 2), per_1k, 0.9, per_1k, 2,
                    GrowthClass(cls), "steadily")  # fmt: skip
    outcome = SimpleNamespace(status="completed", message="")
    return SimpleNamespace(
        recording=SimpleNamespace(outcome=outcome), growth={"heap_alloc": growth}
    )


def test_a_steady_rise_under_the_bound_fails_a_fix_but_not_a_program_that_does_not_leak() -> None:
    from typing import Any

    from kit.grading.measured import leak_gone_check
    from kit.scenarios.catalog import get_scenario

    leaky = get_scenario("cache-map")
    calm = get_scenario("alloc-churn")
    bound = calm.expect.fixed_max_per_1k
    small: Any = _findings(bound / 4, "leak")
    big: Any = _findings(bound * 2, "leak")
    level: Any = _findings(bound / 4, "bounded")
    assert leak_gone_check(calm, small, small, small, 25).status == "pass"
    assert leak_gone_check(calm, big, big, big, 25).status == "fail"
    assert leak_gone_check(calm, level, level, level, 25).status == "pass"
    steady_small: Any = _findings(min(bound, leaky.expect.fixed_max_per_1k) / 4, "leak")
    assert leak_gone_check(leaky, steady_small, steady_small, steady_small, 25).status == "fail"

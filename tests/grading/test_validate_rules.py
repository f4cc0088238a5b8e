"""How validate reads wrong-fix headers and decides a rejection happened for the right reason."""

from __future__ import annotations

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

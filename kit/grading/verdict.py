"""The Verdict: rubric checks with points and messages, written as versioned JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERSION = 1
PASS, PARTIAL, FAIL, SKIPPED, INCONCLUSIVE = "pass", "partial", "fail", "skipped", "inconclusive"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One rubric check: what was expected, what was measured, and the points for it."""

    id: str
    title: str
    status: str
    score: float
    max_score: float
    message: str


def make_check(
    cid: str, title: str, score: float, max_score: float, message: str, status: str | None = None
) -> CheckResult:
    """A check whose status follows from its points unless given (skipped, inconclusive)."""
    if status is None:
        status = PASS if score >= max_score else (PARTIAL if score > 0 else FAIL)
    return CheckResult(cid, title, status, score, max_score, message)


@dataclass(frozen=True, slots=True)
class Verdict:
    scenario: str
    status: str  # pass | fail | inconclusive | error
    checks: tuple[CheckResult, ...]
    hints_used: int
    hint_cost: int
    duration_s: float
    recordings: dict[str, str | None] = field(default_factory=dict)
    growth: dict[str, dict[str, Any]] = field(default_factory=dict)  # original/fixed per_1k
    next_steps: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    @property
    def score(self) -> float:
        earned = sum(c.score for c in self.checks)
        return max(0.0, earned - self.hints_used * self.hint_cost)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "scenario": self.scenario,
            "status": self.status,
            "score": round(self.score, 2),
            "max_score": round(self.max_score, 2),
            "checks": [
                {
                    "id": c.id,
                    "title": c.title,
                    "status": c.status,
                    "score": round(c.score, 2),
                    "max_score": round(c.max_score, 2),
                    "message": c.message,
                }
                for c in self.checks
            ],
            "hints_used": self.hints_used,
            "hint_cost": self.hint_cost,
            "duration_s": round(self.duration_s, 2),
            "recordings": self.recordings,
            "growth": self.growth,
            "next_steps": list(self.next_steps),
        }

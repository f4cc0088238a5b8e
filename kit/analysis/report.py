"""Findings of a run: growth per metric, the verdict, hot functions and leaked stacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kit.analysis.curves import Growth, analyse_curves, verdict
from kit.analysis.findings import HotFunction, LeakedStack, hot_functions, leaked_stacks
from kit.runner.recording import Recording

VERSION = 1


@dataclass(frozen=True, slots=True)
class Findings:
    recording: Recording
    growth: dict[str, Growth]
    verdict: str
    hot: tuple[HotFunction, ...]
    leaked: tuple[LeakedStack, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "scenario": self.recording.scenario,
            "recording": str(self.recording.folder / "recording.json"),
            "verdict": self.verdict,
            "outcome": {
                "status": self.recording.outcome.status,
                "message": self.recording.outcome.message,
                "exit_code": self.recording.outcome.exit_code,
            },
            "work_unit": self.recording.work_unit,
            "metrics": {
                name: {
                    "per_1k": round(g.per_1k, 3),
                    "class": g.cls.value,
                    "reason": g.reason,
                    "r2": round(g.r2, 4),
                    "total": g.total,
                    "unit": g.unit,
                    "values": list(g.values),
                    "work": list(g.work),
                }
                for name, g in self.growth.items()
            },
            "hot_functions": [
                {
                    "profile": h.profile,
                    "sample_type": h.sample_type,
                    "name": h.name,
                    "delta": h.delta,
                }
                for h in self.hot
            ],
            "leaked_stacks": [{"count": s.count, "frames": list(s.frames)} for s in self.leaked],
        }


def analyse(recording: Recording) -> Findings:
    growth = analyse_curves(recording)
    outcome = verdict(growth)
    if outcome == "inconclusive" and recording.outcome.status == "oom":
        outcome = "leak"  # ran out of its memory limit before the curve was long enough
    return Findings(
        recording,
        growth,
        outcome,
        tuple(hot_functions(recording)),
        tuple(leaked_stacks(recording)),
    )

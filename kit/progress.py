"""The progress store: one SQLite row per graded attempt, under LEAKKIT_HOME.

Each attempt is written in one transaction, so a crash mid-write leaves the database as it
was; readers never see half an attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.grading.verdict import Verdict

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    category TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    checks TEXT NOT NULL,
    hints INTEGER NOT NULL,
    duration_s REAL NOT NULL,
    created TEXT NOT NULL
)
"""


def home() -> Path:
    """LEAKKIT_HOME, else the user data directory (XDG_DATA_HOME/leakkit)."""
    configured = os.environ.get("LEAKKIT_HOME")
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "leakkit"


def _connect() -> sqlite3.Connection:
    folder = home()
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "progress.db", timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(SCHEMA)
    return conn


def record_attempt(verdict: Verdict, category: str, mode: str = "practice") -> int:
    """Store one graded attempt; returns its id."""
    with closing(_connect()) as conn, conn:
        cur = conn.execute(
            "INSERT INTO attempts (scenario, category, mode, status, score, max_score, checks,"
            " hints, duration_s, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                verdict.scenario,
                category,
                mode,
                verdict.status,
                verdict.score,
                verdict.max_score,
                json.dumps(verdict.to_json()["checks"]),
                verdict.hints_used,
                verdict.duration_s,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
        return int(cur.lastrowid or 0)


@dataclass(frozen=True, slots=True)
class ScenarioProgress:
    scenario: str
    category: str
    best: float
    max_score: float
    attempts: int
    passed: bool
    hints: int
    time_s: float


def summary() -> tuple[list[ScenarioProgress], dict[str, float]]:
    """Best score per scenario, and mastery (mean best fraction) per leak category.

    An attempt's `hints` is its workspace's running total, so the hints of a scenario are the
    largest count seen, not a sum over attempts.
    """
    with closing(_connect()) as conn:
        rows = conn.execute(
            "SELECT scenario, category, MAX(score), MAX(max_score), COUNT(*),"
            " MAX(status = 'pass'), MAX(hints), SUM(duration_s)"
            " FROM attempts GROUP BY scenario, category ORDER BY scenario"
        ).fetchall()
    per = [
        ScenarioProgress(r[0], r[1], r[2], r[3], r[4], bool(r[5]), int(r[6]), float(r[7]))
        for r in rows
    ]
    mastery: dict[str, list[float]] = {}
    for p in per:
        mastery.setdefault(p.category, []).append(p.best / p.max_score if p.max_score else 0.0)
    return per, {c: sum(v) / len(v) for c, v in mastery.items()}


def summary_json() -> dict[str, Any]:
    per, mastery = summary()
    return {
        "version": 1,
        "scenarios": [
            {
                "scenario": p.scenario,
                "category": p.category,
                "best_score": p.best,
                "max_score": p.max_score,
                "attempts": p.attempts,
                "passed": p.passed,
                "hints": p.hints,
                "time_s": round(p.time_s, 1),
            }
            for p in per
        ],
        "mastery": {c: round(v, 3) for c, v in mastery.items()},
    }

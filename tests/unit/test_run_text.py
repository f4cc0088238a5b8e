"""The run report says when the program answered requests with statuses the load rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.analysis.report import Findings
from kit.render.run_text import render_run
from kit.runner.recording import Checkpoint, LoadResult, Outcome, Recording


def _recording(requests: list[dict[str, Any]], results: list[LoadResult]) -> Recording:
    return Recording(
        scenario=None,
        program="/src/svc",
        backend="local",
        toolchain="go1.23.4",
        started="2026-11-27T00:00:00+00:00",
        work_unit="requests",
        load={"mode": "requests", "requests": requests},
        checkpoints=tuple(
            Checkpoint(i, 100 * (i + 1), float(i), {}, {}, r) for i, r in enumerate(results)
        ),
        outcome=Outcome("completed"),
        folder=Path("/runs/svc"),
    )


def _report(rec: Recording) -> list[str]:
    return render_run(Findings(rec, {}, "inconclusive", (), ())).splitlines()


def test_rejected_statuses_are_counted_and_named() -> None:
    first = "POST /checkouts: status 503 (want [200 409]): overloaded"
    rec = _recording(
        [{"path": "/checkouts", "status": [200, 409]}],
        [
            LoadResult(100, 0, 0.1, {"200": 90, "409": 10}),
            LoadResult(100, 30, 0.1, {"200": 70, "503": 25, "429": 5}, first),
            LoadResult(100, 9, 0.1, {"200": 91, "503": 5, "418": 2}, "GET /x: connection reset"),
        ],
    )
    assert rec.rejected_statuses() == {"503": 30, "429": 5, "418": 2}
    lines = _report(rec)
    i = lines.index(
        "!! 37 of 300 requests got a status the load does not accept: 503 x 30, 429 x 5, 418 x 2"
    )
    assert lines[i + 1] == "!! 2 of 300 requests failed otherwise"
    assert lines[i + 2] == f"   first failure: {first}"


def test_a_template_without_status_accepts_any_2xx() -> None:
    rec = _recording(
        [{"path": "/a", "status": []}, {"path": "/b", "status": [404]}],
        [LoadResult(50, 1, 0.1, {"200": 20, "204": 10, "404": 19, "500": 1}, "GET /a: 500")],
    )
    assert rec.rejected_statuses() == {"500": 1}
    assert "!! 1 of 50 requests got a status the load does not accept: 500 x 1" in _report(rec)


def test_no_line_when_every_status_is_accepted() -> None:
    rec = _recording(
        [{"path": "/checkouts", "status": [200, 409]}],
        [LoadResult(100, 0, 0.1, {"200": 60, "409": 40}), LoadResult(80, 0, 0.1, {"200": 80})],
    )
    assert rec.rejected_statuses() == {}
    assert not any(ln.startswith("!!") for ln in _report(rec))

"""Growth curves: fit each metric against work done and call it leak, bounded or inconclusive.

A metric is fitted by least squares against work (requests, or milliseconds for time-driven
loads). Its growth per 1,000 work units is the slope; how steady it is, R² of the fit. A leak
grows steadily above the metric's noise floor and keeps growing in the second half of the run;
growth that stops is bounded; anything in between is inconclusive, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kit.runner.recording import Recording

# Per 1,000 work units: growth below this is noise for a program that does not leak.
# The values come from the calibration benchmark (docs/performance.md).
NOISE_FLOOR = {
    "heap_alloc": 16384.0,
    "heap_objects": 32.0,
    "heap_inuse": 65536.0,
    "stack_inuse": 16384.0,
    "goroutines": 1.0,
    "sys": 1 << 20,
    "rss": 1 << 20,
}
# Total growth below this over the whole run never counts as a leak.
MIN_TOTAL = {"goroutines": 3.0}
# heap_objects is reported but does not decide: real services churn a few hundred objects
# between checkpoints, which a per-1k floor low enough to matter would call growth.
VERDICT_METRICS = ("heap_alloc", "goroutines")
UNITS = {
    "heap_alloc": "bytes",
    "heap_inuse": "bytes",
    "heap_objects": "objects",
    "stack_inuse": "bytes",
    "goroutines": "goroutines",
    "sys": "bytes",
    "rss": "bytes",
}
MIN_R2 = 0.8


class GrowthClass(StrEnum):
    LEAK = "leak"
    BOUNDED = "bounded"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class Growth:
    """One metric's curve and what it says."""

    metric: str
    unit: str
    values: tuple[int, ...]
    work: tuple[int, ...]
    per_1k: float
    r2: float
    late_per_1k: float
    total: int
    cls: GrowthClass
    reason: str


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope and R² (1.0 for a flat or perfect line)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, 1.0
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    ss_tot = sum((y - my) ** 2 for y in ys)
    if ss_tot == 0:
        return slope, 1.0
    ss_res = sum((y - (my + slope * (x - mx))) ** 2 for x, y in zip(xs, ys, strict=True))
    return slope, max(0.0, 1.0 - ss_res / ss_tot)


def classify(
    metric: str, work: list[int], values: list[int], unit_name: str = "requests"
) -> Growth:
    """Growth of one metric over checkpoints, with its class and a one-line reason."""
    floor = NOISE_FLOOR.get(metric, 0.0)
    unit = UNITS.get(metric, "")
    n = len(values)
    if n < 3:
        return Growth(
            metric, unit, tuple(values), tuple(work), 0.0, 0.0, 0.0, 0,
            GrowthClass.INCONCLUSIVE, f"only {n} checkpoint(s); at least 3 are needed",
        )  # fmt: skip
    xs = [float(w) for w in work]
    ys = [float(v) for v in values]
    slope, r2 = fit(xs, ys)
    late = n // 2
    late_slope, _ = fit(xs[late:], ys[late:])
    per_1k, late_per_1k = slope * 1000, late_slope * 1000
    total = values[-1] - values[0]
    per = f"{_fmt(per_1k, unit)} per 1k {unit_name}"
    if per_1k < floor and late_per_1k < floor:
        cls, reason = GrowthClass.BOUNDED, f"{per}, under the noise floor of {_fmt(floor, unit)}"
    elif total < MIN_TOTAL.get(metric, 0.0):
        cls, reason = GrowthClass.BOUNDED, f"grew by only {total} over the run"
    elif late_per_1k < floor / 2:
        cls, reason = GrowthClass.BOUNDED, f"{per} early, then levelled off (saturating)"
    elif r2 >= MIN_R2:
        cls, reason = GrowthClass.LEAK, f"{per}, steadily (R²={r2:.2f})"
    else:
        cls, reason = GrowthClass.INCONCLUSIVE, f"{per}, but unsteadily (R²={r2:.2f})"
    return Growth(
        metric, unit, tuple(values), tuple(work), per_1k, r2, late_per_1k, total, cls, reason
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "bytes":
        for name, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
            if abs(value) >= size:
                return f"{value / size:,.1f} {name}"
        return f"{value:,.0f} B"
    return f"{value:,.1f} {unit}"


def analyse_curves(recording: Recording) -> dict[str, Growth]:
    """Growth of every metric the recording holds (checkpoints in order)."""
    cps = recording.checkpoints
    if not cps:
        return {}
    names = [m for m in NOISE_FLOOR if all(m in c.metrics for c in cps)]
    unit_name = "requests" if recording.work_unit == "requests" else "ms"
    work = [c.work for c in cps]
    return {m: classify(m, work, [c.metrics[m] for c in cps], unit_name) for m in names}


def verdict(growth: dict[str, Growth]) -> str:
    """leak if any verdict metric leaks; no-leak if all are bounded; inconclusive otherwise."""
    classes = [growth[m].cls for m in VERDICT_METRICS if m in growth]
    if GrowthClass.LEAK in classes:
        return "leak"
    if classes and all(c is GrowthClass.BOUNDED for c in classes):
        return "no-leak"
    return "inconclusive"


def sparkline(values: tuple[int, ...] | list[int]) -> str:
    if not values:
        return ""
    bars = "▁▂▃▄▅▆▇█"
    lo, hi = min(values), max(values)
    if hi == lo:
        return bars[0] * len(values)
    return "".join(bars[min(7, math.floor((v - lo) / (hi - lo) * 8))] for v in values)

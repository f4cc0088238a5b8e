"""Terminal report of a run: growth table with sparklines, hot functions, what to do next."""

from __future__ import annotations

import shlex

from kit.analysis.curves import VERDICT_METRICS, GrowthClass, sparkline
from kit.analysis.report import Findings
from kit.runner.recording import Recording

_ORDER = ("heap_alloc", "heap_objects", "goroutines", "heap_inuse", "stack_inuse", "rss", "sys")
_CLASS_MARK = {GrowthClass.LEAK: "LEAK", GrowthClass.BOUNDED: "ok", GrowthClass.INCONCLUSIVE: "??"}


def _per_1k(value: float, unit: str) -> str:
    if unit == "bytes":
        if abs(value) >= 1 << 20:
            return f"{value / (1 << 20):,.1f} MiB"
        return f"{value / 1024:,.1f} KiB" if abs(value) >= 1024 else f"{value:,.0f} B"
    return f"{value:,.1f}"


def _request_failures(rec: Recording) -> list[str]:
    """Lines about requests the program answered with a status the load does not accept."""
    sent = sum(c.load.done for c in rec.checkpoints)
    errors = sum(c.load.errors for c in rec.checkpoints)
    first = next((c.load.first_error for c in rec.checkpoints if c.load.first_error), "")
    rejected = rec.rejected_statuses()
    count = sum(rejected.values())
    lines = []
    if count:
        codes = ", ".join(f"{code} x {n:,}" for code, n in rejected.items())
        lines.append(
            f"!! {count:,} of {sent:,} requests got a status the load does not accept: {codes}"
        )
    if errors > count:
        lines.append(f"!! {errors - count:,} of {sent:,} requests failed otherwise")
    if lines and first:
        lines.append(f"   first failure: {first}")
    return lines


def render_run(findings: Findings) -> str:
    rec = findings.recording
    unit = "requests" if rec.work_unit == "requests" else "ms"
    lines = []
    title = f"scenario {rec.scenario}" if rec.scenario else rec.program
    lines.append(f"Run of {title} on the {rec.backend} backend ({rec.toolchain})")
    if rec.checkpoints:
        lines.append(
            f"{len(rec.checkpoints)} checkpoints, {rec.checkpoints[-1].work:,} {unit} of work"
        )
    lines.extend(_request_failures(rec))
    if rec.outcome.status not in ("completed", "running"):
        lines.append("")
        lines.append(f"!! The program {rec.outcome.message or rec.outcome.status}.")
        if rec.outcome.stderr_tail:
            lines.append("   Its stderr ends with:")
            lines.extend(f"   | {ln}" for ln in rec.outcome.stderr_tail.splitlines()[-10:])
    lines.append("")
    lines.append(f"{'metric':<13} {'per 1k ' + unit:>16} {'R²':>5}  {'class':<5} curve")
    for name in _ORDER:
        g = findings.growth.get(name)
        if g is None:
            continue
        mark = _CLASS_MARK[g.cls]
        if name not in VERDICT_METRICS and g.cls is GrowthClass.LEAK:
            mark = "rises"
        lines.append(
            f"{name:<13} {_per_1k(g.per_1k, g.unit):>16} {g.r2:>5.2f}  "
            f"{mark:<5} {sparkline(g.values)}"
        )
    judged = [m for m in _ORDER if m in VERDICT_METRICS and m in findings.growth]
    lines.append(f"(the verdict reads {' and '.join(judged)}; the other rows are context)")
    lines.append("")
    lines.append(f"Verdict: {findings.verdict.upper()}")
    context = []
    for name in _ORDER:
        g = findings.growth.get(name)
        if g is None or g.cls is GrowthClass.BOUNDED:
            continue
        if name in VERDICT_METRICS:
            lines.append(f"  {name}: {g.reason}")
        else:
            context.append(f"{name} ({g.reason})")
    if context:
        lines.append(f"  not judged: {'; '.join(context)}")
    kept = [h for h in findings.hot if h.profile != "allocs"]
    churn = [h for h in findings.hot if h.profile == "allocs"]
    for title, rows in (
        ("Growth by function (first to last checkpoint, credited to your code):", kept),
        ("Allocated between the first and last checkpoint, kept or not (allocs profile):", churn),
    ):
        if not rows:
            continue
        lines.append("")
        lines.append(title)
        for h in rows:
            amount = _per_1k(h.delta, "" if h.sample_type == "goroutine" else "bytes")
            lines.append(
                f"  {h.profile:<9} {h.sample_type:<11} {amount:>12} {h.share:>6.1%}  {h.name}"
            )
    if findings.leaked:
        lines.append("")
        lines.append("The runtime's goroutineleak profile reports goroutines that can never wake:")
        for stack in findings.leaked:
            lines.append(f"  {stack.count} x " + " <- ".join(stack.frames[:6]))
    cps = rec.checkpoints
    if len(cps) >= 2:
        lines.append("")
        lines.append("Dig further with pprof:")
        for kind, index in (("heap", "inuse_space"), ("goroutine", "goroutine")):
            first, last = rec.profile_path(cps[0], kind), rec.profile_path(cps[-1], kind)
            if first and last:
                lines.append(
                    "  "
                    + shlex.join(
                        [
                            *("go", "tool", "pprof", "-top", f"-sample_index={index}"),
                            *("-base", str(first), str(last)),
                        ]
                    )
                )
    lines.append("")
    lines.append(f"Recording: {rec.folder / 'recording.json'} (re-analyse: leakkit curves)")
    return "\n".join(lines)

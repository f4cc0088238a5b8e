"""A Verdict as terminal text or Markdown: each check with points and message, growth side by side."""

from __future__ import annotations

from kit.grading.verdict import Verdict

_MARK = {
    "pass": "PASS",
    "partial": "PART",
    "fail": "FAIL",
    "skipped": "SKIP",
    "inconclusive": "????",
}
_SIDE_BY_SIDE = ("heap_alloc", "heap_objects", "goroutines", "rss")


def _growth_rows(v: Verdict) -> list[tuple[str, str, str]]:
    rows = []
    original, fixed = v.growth.get("original", {}), v.growth.get("fixed", {})
    for metric in _SIDE_BY_SIDE:
        a, b = original.get(metric), fixed.get(metric)
        if isinstance(a, dict):
            after = f"{b['per_1k']:,.1f} ({b['class']})" if isinstance(b, dict) else "not measured"
            rows.append((metric, f"{a['per_1k']:,.1f} ({a['class']})", after))
    return rows


def render_text(v: Verdict) -> str:
    lines = [f"Grade for {v.scenario}: {v.status.upper()}  {v.score:.0f}/{v.max_score:.0f}"]
    if v.hints_used:
        lines.append(f"  (hints used: {v.hints_used}, -{v.hints_used * v.hint_cost} points)")
    lines.append("")
    for c in v.checks:
        lines.append(
            f"[{_MARK.get(c.status, c.status)}] {c.title:<40} {c.score:>5.1f}/{c.max_score:<4.0f}"
        )
        lines.extend("       " + part for part in c.message.splitlines())
    rows = _growth_rows(v)
    if rows:
        lines.append("")
        lines.append(f"{'growth per 1k':<14} {'original':>24} {'your fix':>24}")
        lines.extend(f"{m:<14} {a:>24} {b:>24}" for m, a, b in rows)
    if v.next_steps:
        lines.append("")
        lines.append("What to try next:")
        lines.extend(f"  - {tip}" for tip in v.next_steps)
    lines.append("")
    lines.append(
        f"Graded in {v.duration_s:.0f}s; recordings: {v.recordings.get('fixed') or v.recordings.get('original')}"
    )
    return "\n".join(lines)


def render_markdown(v: Verdict) -> str:
    lines = [
        f"# Grade for `{v.scenario}`: {v.status} ({v.score:.0f}/{v.max_score:.0f})",
        "",
        "| check | status | points | message |",
        "|---|---|---|---|",
    ]
    for c in v.checks:
        msg = c.message.replace("|", "\\|").replace("\n", "<br>")
        lines.append(f"| {c.title} | {c.status} | {c.score:.1f}/{c.max_score:.0f} | {msg} |")
    rows = _growth_rows(v)
    if rows:
        lines += ["", "| growth per 1k | original | your fix |", "|---|---|---|"]
        lines.extend(f"| {m} | {a} | {b} |" for m, a, b in rows)
    if v.hints_used:
        lines += ["", f"Hints used: {v.hints_used} (-{v.hints_used * v.hint_cost} points)."]
    if v.next_steps:
        lines += ["", "## What to try next", ""]
        lines.extend(f"- {tip}" for tip in v.next_steps)
    return "\n".join(lines) + "\n"

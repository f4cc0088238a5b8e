"""A self-contained HTML report of a Verdict, with SVG growth curves of original and fix."""

from __future__ import annotations

import html
import json
from pathlib import Path

from kit.grading.verdict import Verdict

_CURVE_METRICS = ("heap_alloc", "goroutines")


def _series(recording: str | None, metric: str) -> list[tuple[int, int]]:
    if not recording:
        return []
    try:
        doc = json.loads(Path(recording).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [
        (c["work"], c["metrics"][metric])
        for c in doc.get("checkpoints", [])
        if metric in c["metrics"]
    ]


def _svg(metric: str, lines: dict[str, list[tuple[int, int]]]) -> str:
    points = [p for series in lines.values() for p in series]
    if not points:
        return ""
    w, h, pad = 420, 160, 30
    xmax = max(x for x, _ in points) or 1
    ymin, ymax = min(y for _, y in points), max(y for _, y in points)
    span = (ymax - ymin) or 1
    colours = {"original": "#c0392b", "fixed": "#27ae60"}
    paths = []
    for name, series in lines.items():
        coords = " ".join(
            f"{pad + x / xmax * (w - 2 * pad):.1f},{h - pad - (y - ymin) / span * (h - 2 * pad):.1f}"
            for x, y in series
        )
        paths.append(
            f'<polyline fill="none" stroke="{colours[name]}" stroke-width="2" points="{coords}"/>'
        )
        paths.append(
            f'<text x="{w - pad}" y="{14 + 14 * len(paths) // 2}" font-size="11" text-anchor="end" fill="{colours[name]}">{name}</text>'
        )
    axis = f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#999"/>'
    labels = (
        f'<text x="{pad}" y="{pad - 8}" font-size="11">{html.escape(metric)} ({ymin:,} .. {ymax:,})</text>'
        f'<text x="{w - pad}" y="{h - 8}" font-size="11" text-anchor="end">work: 0 .. {xmax:,}</text>'
    )
    return f'<svg width="{w}" height="{h}" role="img" aria-label="{metric} growth">{axis}{"".join(paths)}{labels}</svg>'


def render_html(v: Verdict) -> str:
    rows = "".join(
        f"<tr class='{c.status}'><td>{html.escape(c.title)}</td><td>{c.status}</td>"
        f"<td>{c.score:.1f}/{c.max_score:.0f}</td><td><pre>{html.escape(c.message)}</pre></td></tr>"
        for c in v.checks
    )
    curves = "".join(
        _svg(m, {k: s for k in ("original", "fixed") if (s := _series(v.recordings.get(k), m))})
        for m in _CURVE_METRICS
    )
    steps = "".join(f"<li>{html.escape(t)}</li>" for t in v.next_steps)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leakkit grade: {html.escape(v.scenario)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #ddd; padding: .4rem; vertical-align: top; }}
tr.pass td:nth-child(2) {{ color: #27ae60; font-weight: bold; }} tr.fail td:nth-child(2) {{ color: #c0392b; font-weight: bold; }}
tr.partial td:nth-child(2) {{ color: #d68910; font-weight: bold; }}
pre {{ white-space: pre-wrap; margin: 0; font-size: .85rem; }} .score {{ font-size: 1.4rem; }}
svg {{ margin: .5rem 1rem .5rem 0; border: 1px solid #eee; }}
</style></head><body>
<h1>{html.escape(v.scenario)}: {v.status.upper()}</h1>
<p class="score">{v.score:.0f} / {v.max_score:.0f} points{f" (hints used: {v.hints_used})" if v.hints_used else ""}</p>
<table><tr><th>check</th><th>status</th><th>points</th><th>message</th></tr>{rows}</table>
<h2>Growth: original against your fix</h2>
<div>{curves or "<p>No recordings to plot.</p>"}</div>
{f"<h2>What to try next</h2><ul>{steps}</ul>" if steps else ""}
<p><small>Graded by leakkit in {v.duration_s:.0f}s.</small></p>
</body></html>
"""

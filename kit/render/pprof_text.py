"""Terminal text for pprof reports (top, source, info), in pprof's own column layout."""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from pathlib import Path

from kit.pprof.model import Profile
from kit.pprof.report import Selection, SourceFunction, TopReport
from kit.pprof.units import format_value, percentage


def pprof_command(mode: str, args: Sequence[str], files: Sequence[str]) -> str:
    """The `go tool pprof` command line that reproduces a report."""
    return shlex.join(["go", "tool", "pprof", mode, *args, *files])


def render_top(report: TopReport, command: str) -> str:
    unit = report.sample_type.unit
    shown = sum(r.flat for r in report.rows)
    lines = [
        f"Type: {report.sample_type.type}" + (" (difference from base)" if report.diff else ""),
        f"Showing nodes accounting for {format_value(shown, unit)}, "
        f"{percentage(shown, report.total).strip()} of {format_value(report.total, unit)} total",
    ]
    if len(report.rows) < report.node_count:
        lines.append(f"Showing top {len(report.rows)} nodes out of {report.node_count}")
    lines.append(f"{'flat':>10} {'flat':>5}% {'sum':>5}% {'cum':>10} {'cum':>5}%")
    running = 0
    for row in report.rows:
        running += row.flat
        suffix = f" {row.inline_label}" if row.inline_label else ""
        lines.append(
            f"{format_value(row.flat, unit):>10} {percentage(row.flat, report.total)} "
            f"{percentage(running, report.total)} {format_value(row.cum, unit):>10} "
            f"{percentage(row.cum, report.total)}  {row.name}{suffix}"
        )
    if not report.rows:
        lines.append("(no samples match)")
    lines.append("")
    lines.append(f"Same numbers from pprof: {command}")
    return "\n".join(lines)


def render_source(selection: Selection, functions: Sequence[SourceFunction], command: str) -> str:
    unit = selection.sample_type.unit
    out = [f"Total: {format_value(selection.total, unit)}"]
    for fn in functions:
        out.append(f"ROUTINE ======================== {fn.name} in {fn.filename}")
        out.append(
            f"{format_value(fn.flat, unit):>10} {format_value(fn.cum, unit):>10} (flat, cum) "
            f"{percentage(fn.cum, selection.total).strip()} of Total"
        )
        source_lines = _read_source(fn.filename)
        by_line = {sl.line: sl for sl in fn.lines}
        if source_lines is None:
            for sl in fn.lines:
                out.append(_source_row(sl.flat, sl.cum, sl.line, "", unit))
            continue
        first = min([fn.start_line or min(by_line), *by_line])
        last = max(by_line)
        # Show through the function's closing brace, as pprof does, when it is near.
        for number in range(last + 1, min(last + 40, len(source_lines)) + 1):
            if source_lines[number - 1].startswith("}"):
                last = number
                break
        for number in range(first, last + 1):
            hit = by_line.get(number)
            text = source_lines[number - 1] if 0 < number <= len(source_lines) else ""
            out.append(
                _source_row(hit.flat if hit else 0, hit.cum if hit else 0, number, text, unit)
            )
    if not functions:
        out.append("(no function matches)")
    out.append("")
    out.append(f"Same numbers from pprof: {command}")
    return "\n".join(out)


def _source_row(flat: int, cum: int, number: int, text: str, unit: str) -> str:
    flat_text = format_value(flat, unit) if flat else "."
    cum_text = format_value(cum, unit) if cum else "."
    return f"{flat_text:>10} {cum_text:>10} {number:>5}:{text}"


def _read_source(filename: str) -> list[str] | None:
    try:
        return Path(filename).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def render_info(profile: Profile) -> str:
    types = ", ".join(
        str(st) + (" (default)" if st.type == profile.default_sample_type else "")
        for st in profile.sample_types
    )
    when = (
        dt.datetime.fromtimestamp(profile.time_nanos / 1e9, tz=dt.UTC).isoformat(timespec="seconds")
        if profile.time_nanos
        else "not recorded"
    )
    period = (
        f"{profile.period} {profile.period_type}" if profile.period_type else str(profile.period)
    )
    rows = [
        ("File", profile.source),
        ("Sample types", types or "none"),
        ("Default type", profile.default_sample_type or "(none; pprof uses the last)"),
        ("Period", period),
        ("Duration", f"{profile.duration_nanos / 1e9:.3f}s" if profile.duration_nanos else "0s"),
        ("Time", when),
        ("Samples", str(len(profile.samples))),
        ("Locations", str(len(profile.locations))),
        ("Functions", str(len(profile.functions))),
        ("Mappings", str(len(profile.mappings))),
    ]
    if profile.comments:
        rows.append(("Comments", "; ".join(profile.comments)))
    if profile.doc_url:
        rows.append(("Docs", profile.doc_url))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in rows)

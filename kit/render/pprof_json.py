"""JSON shapes of pprof reports; every document carries a `version`."""

from __future__ import annotations

from typing import Any

from kit.pprof.model import Profile
from kit.pprof.report import TopReport

VERSION = 1


def top_json(report: TopReport) -> dict[str, Any]:
    return {
        "version": VERSION,
        "sample_type": report.sample_type.type,
        "unit": report.sample_type.unit,
        "total": report.total,
        "rows": [
            {"name": r.name, "flat": r.flat, "cum": r.cum, "inline": r.inline} for r in report.rows
        ],
    }


def info_json(profile: Profile) -> dict[str, Any]:
    return {
        "version": VERSION,
        "file": profile.source,
        "sample_types": [{"type": st.type, "unit": st.unit} for st in profile.sample_types],
        "default_sample_type": profile.default_sample_type,
        "period_type": (
            {"type": profile.period_type.type, "unit": profile.period_type.unit}
            if profile.period_type
            else None
        ),
        "period": profile.period,
        "duration_nanos": profile.duration_nanos,
        "time_nanos": profile.time_nanos,
        "samples": len(profile.samples),
        "locations": len(profile.locations),
        "functions": len(profile.functions),
        "mappings": len(profile.mappings),
        "comments": list(profile.comments),
        "doc_url": profile.doc_url,
    }

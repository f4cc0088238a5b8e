"""Every row of `leakkit top --json` equals `go tool pprof -top` on real profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kit.cli import app
from kit.pprof import TopOptions, load_profile, top
from tests.conftest import run_pprof

ROW = re.compile(
    r"^\s*(?P<flat>-?\d+)B?\s+\S+%\s+\S+%\s+(?P<cum>-?\d+)B?\s+\S+%\s+"
    r"(?P<name>.+?)(?: (?P<inl>\((?:partial-)?inline\)))?$"
)
TOTAL = re.compile(r"of (?P<total>-?\d+)B? total$")


def pprof_top(pprof_bin: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]]]:
    """Run `pprof -top` with exact byte units and parse its rows."""
    out = run_pprof(pprof_bin, "-top", "-nodefraction=0", "-edgefraction=0", "-unit=B", *args)
    lines = out.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["flat", "flat%"])
    total_line = next(ln for ln in lines[:header] if "total" in ln)
    m = TOTAL.search(total_line)
    assert m, total_line
    rows = []
    for ln in lines[header + 1 :]:
        if not ln.strip():
            continue
        r = ROW.match(ln)
        assert r, f"unparsed pprof row: {ln!r}"
        rows.append((r["name"], int(r["flat"]), int(r["cum"]), r["inl"] or ""))
    return int(m["total"]), rows


KINDS = {
    "heap": ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space", None],
    "allocs": ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space", None],
    "goroutine": ["goroutine", "0", None],
}
CASES = [
    (kind, index, with_base)
    for kind, indexes in KINDS.items()
    for index in indexes
    for with_base in (False, True)
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "index", "with_base"), CASES)
def test_top_matches_pprof(
    pprof_bin: Path, fixture_profiles: Path, kind: str, index: str | None, with_base: bool
) -> None:
    path = fixture_profiles / f"{kind}-2.pb.gz"
    base = fixture_profiles / f"{kind}-1.pb.gz"
    args = [f"-sample_index={index}"] if index is not None else []
    if with_base:
        args += ["-base", str(base)]
    total, expected = pprof_top(pprof_bin, *args, str(path))

    report = top(load_profile(path), load_profile(base) if with_base else None, TopOptions(index))
    got = [(r.name, r.flat, r.cum, r.inline_label) for r in report.rows]
    assert got == expected
    assert report.total == total
    assert len(got) > 3


FILTERS = [
    ("-focus=main\\.", TopOptions(focus="main\\.")),
    ("-ignore=runtime", TopOptions(ignore="runtime")),
    ("-focus=main", TopOptions(focus="main", ignore="Put")),
    ("-nodecount=5", TopOptions(nodecount=5)),
    ("-nodecount=12", TopOptions(nodecount=12)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("flag", "options"), FILTERS, ids=[f[0] for f in FILTERS])
@pytest.mark.parametrize("kind", ["heap", "goroutine"])
@pytest.mark.parametrize("with_base", [False, True])
def test_filters_match_pprof(
    pprof_bin: Path,
    fixture_profiles: Path,
    flag: str,
    options: TopOptions,
    kind: str,
    with_base: bool,
) -> None:
    path = fixture_profiles / f"{kind}-2.pb.gz"
    base = fixture_profiles / f"{kind}-1.pb.gz"
    args = [flag]
    if options.ignore and options.focus:
        args.append(f"-ignore={options.ignore}")
    if with_base:
        args += ["-base", str(base)]
    total, expected = pprof_top(pprof_bin, *args, str(path))
    report = top(load_profile(path), load_profile(base) if with_base else None, options)
    got = [(r.name, r.flat, r.cum, r.inline_label) for r in report.rows]
    assert got == expected
    assert report.total == total


@pytest.mark.slow
def test_cli_json_matches_pprof(pprof_bin: Path, fixture_profiles: Path) -> None:
    path = fixture_profiles / "heap-2.pb.gz"
    base = fixture_profiles / "heap-1.pb.gz"
    result = CliRunner().invoke(
        app, ["top", str(path), "--base", str(base), "--sample-index", "inuse_space", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    total, expected = pprof_top(
        pprof_bin, "-sample_index=inuse_space", "-base", str(base), str(path)
    )
    assert doc["version"] == 1
    assert (doc["sample_type"], doc["unit"], doc["total"]) == ("inuse_space", "bytes", total)
    assert [(r["name"], r["flat"], r["cum"], r["inline"]) for r in doc["rows"]] == [
        (name, flat, cum, inl == "(inline)") for name, flat, cum, inl in expected
    ]
    assert any(r["flat"] < 0 for r in doc["rows"]), "the base diff should shrink something"

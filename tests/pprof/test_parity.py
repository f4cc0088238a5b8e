"""Every row of `leakkit top --json` equals `go tool pprof -top` on real profiles."""

from __future__ import annotations

import functools
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


Rows = list[tuple[str, int, int, str]]


def pprof_top(pprof_bin: Path, *args: str) -> tuple[int, Rows]:
    """Run `pprof -top` with exact byte units and parse its rows."""
    _, total, rows = pprof_top_typed(pprof_bin, *args)
    return total, rows


@functools.cache
def pprof_top_typed(pprof_bin: Path, *args: str) -> tuple[str, int, Rows]:
    """(sample type, total, rows) of `pprof -top`; each command runs once per session."""
    out = run_pprof(pprof_bin, "-top", "-nodefraction=0", "-edgefraction=0", "-unit=B", *args)
    lines = out.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["flat", "flat%"])
    sample_type = next(ln.split()[1] for ln in lines[:header] if ln.startswith("Type: "))
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
    return sample_type, int(m["total"]), rows


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
@pytest.mark.parametrize(("kind", "index", "with_base"), CASES)
def test_cli_json_matches_pprof(
    pprof_bin: Path, fixture_profiles: Path, kind: str, index: str | None, with_base: bool
) -> None:
    """`leakkit top --json` row for row against pprof, every sample type, with and without -base."""
    path = fixture_profiles / f"{kind}-2.pb.gz"
    base = fixture_profiles / f"{kind}-1.pb.gz"
    cli = ["top", str(path), "--json"]
    args = []
    if index is not None:
        cli += ["--sample-index", index]
        args.append(f"-sample_index={index}")
    if with_base:
        cli += ["--base", str(base)]
        args += ["-base", str(base)]
    result = CliRunner().invoke(app, cli)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    sample_type, total, expected = pprof_top_typed(pprof_bin, *args, str(path))
    units = {st.type: st.unit for st in load_profile(path).sample_types}
    assert doc["version"] == 1
    assert (doc["sample_type"], doc["unit"], doc["total"]) == (
        sample_type,
        units[sample_type],
        total,
    )
    assert [(r["name"], r["flat"], r["cum"], r["inline"]) for r in doc["rows"]] == [
        (name, flat, cum, inl == "(inline)") for name, flat, cum, inl in expected
    ]
    assert len(doc["rows"]) > 3
    if with_base and (kind, sample_type) == ("heap", "inuse_space"):
        assert any(r["flat"] < 0 for r in doc["rows"]), "the base diff should shrink something"

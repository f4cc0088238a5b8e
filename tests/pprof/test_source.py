"""`leakkit source` gives the per-line flat and cum that `go tool pprof -list` gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kit.cli import app
from kit.pprof import load_profile, source
from tests.conftest import run_pprof

ROUTINE = re.compile(r"^ROUTINE =+ (?P<name>\S+) in (?P<file>.+)$")
TOTALS = re.compile(r"^\s*(?P<flat>-?\d+)B?\s+(?P<cum>-?\d+)B?\s+\(flat, cum\)")
LINE = re.compile(r"^\s*(?P<flat>\.|-?\d+B?)\s+(?P<cum>\.|-?\d+B?)\s+(?P<line>\d+):")


def _value(text: str) -> int:
    return 0 if text == "." else int(text.rstrip("B"))


def pprof_list(
    pprof_bin: Path, regex: str, *args: str
) -> dict[str, tuple[int, int, dict[int, tuple[int, int]]]]:
    out = run_pprof(pprof_bin, f"-list={regex}", "-unit=B", *args)
    functions: dict[str, tuple[int, int, dict[int, tuple[int, int]]]] = {}
    name = ""
    for ln in out.splitlines():
        if m := ROUTINE.match(ln):
            name = m["name"]
            functions[name] = (0, 0, {})
        elif name and (m := TOTALS.match(ln)):
            functions[name] = (int(m["flat"]), int(m["cum"]), functions[name][2])
        elif name and (m := LINE.match(ln)):
            flat, cum = _value(m["flat"]), _value(m["cum"])
            if flat or cum:
                functions[name][2][int(m["line"])] = (flat, cum)
    return functions


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "regex", "index", "with_base"),
    [
        ("heap", "main\\.", None, False),
        ("heap", "main\\.(build|ping|pong|fillSmall)$", "alloc_space", False),
        ("heap", "main\\.", None, True),
        ("goroutine", "main\\.", None, False),
    ],
)
def test_source_matches_pprof_list(
    pprof_bin: Path,
    fixture_profiles: Path,
    kind: str,
    regex: str,
    index: str | None,
    with_base: bool,
) -> None:
    path = fixture_profiles / f"{kind}-2.pb.gz"
    base = fixture_profiles / f"{kind}-1.pb.gz"
    args = [f"-sample_index={index}"] if index else []
    if with_base:
        args += ["-base", str(base)]
    expected = pprof_list(pprof_bin, regex, *args, str(path))

    _, functions = source(
        load_profile(path), regex, load_profile(base) if with_base else None, index
    )
    got = {
        fn.name: (
            fn.flat,
            fn.cum,
            {sl.line: (sl.flat, sl.cum) for sl in fn.lines if sl.flat or sl.cum},
        )
        for fn in functions
    }
    assert got == expected
    assert any(lines for _, _, lines in expected.values())


@pytest.mark.slow
def test_source_cli_shows_local_source(fixture_profiles: Path) -> None:
    result = CliRunner().invoke(
        app, ["source", str(fixture_profiles / "heap-2.pb.gz"), "main.build$"]
    )
    assert result.exit_code == 0, result.output
    assert "ROUTINE ======================== main.build in " in result.output
    # The fixture's source file exists here, so its text is printed beside the numbers.
    assert "func build(depth int) {" in result.output
    assert "-list=main.build$" in result.output

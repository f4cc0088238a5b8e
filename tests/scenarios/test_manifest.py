"""scenario.toml errors name the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.scenarios.manifest import ManifestError, load_scenario, parse_size

GOOD = """
id = "demo-leak"
title = "Demo"
level = "easy"
minutes = 10
category = "unbounded-cache"
tags = ["heap"]

[program]
path = "prog"
editable = ["main.go"]

[load]
warmup = 10
phases = 3
per_phase = 100

[[load.requests]]
path = "/x/{key}"
status = [200]

[[checks]]
name = "home"
path = "/"

[limits]
memory = "128MiB"

[expect]
metric = "heap_alloc"
min_per_1k = 1000
fixed_max_per_1k = 10

[[expect.hot]]
profile = "heap"
function = "main.put"
"""


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "demo-leak"
    (folder / "prog").mkdir(parents=True)
    (folder / "prog" / "main.go").write_text("package main\n")
    (folder / "scenario.toml").write_text(text)
    return folder


def test_good_manifest(tmp_path: Path) -> None:
    s = load_scenario(_write(tmp_path, GOOD))
    assert (s.id, s.level, s.load.phases, s.load.concurrency) == ("demo-leak", "easy", 3, 8)
    assert s.load.requests[0].status == (200,)
    assert s.limits.memory_bytes == 128 << 20
    assert s.expect.hot[0].function == "main.put"
    assert s.program_dir == (tmp_path / "demo-leak" / "prog").resolve()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('level = "easy"', 'level = "trivial"', "level: expected one of easy, medium, hard"),
        ("minutes = 10", 'minutes = "ten"', "minutes: expected an integer >= 1"),
        ("phases = 3", "phases = 1", "load.phases: expected an integer >= 2"),
        (
            'path = "/x/{key}"',
            'path = "x"',
            "load.requests[0].path: expected a path starting with /",
        ),
        ("status = [200]", "status = [42]", "load.requests[0].status: expected a list of HTTP"),
        ('memory = "128MiB"', 'memory = "lots"', "limits.memory: expected a size such as 256MiB"),
        ("fixed_max_per_1k = 10", "fixed_max_per_1k = 5000", "below min_per_1k"),
        ('profile = "heap"', 'profile = "cpu"', "expect.hot[0].profile: expected one of heap"),
        ('editable = ["main.go"]', 'editable = ["nope.go"]', "program.editable: expected files"),
        ('id = "demo-leak"', 'id = "other"', "id: expected the folder name 'demo-leak'"),
        ("[limits]", "colour = 1\n[limits]", "colour: unknown key"),
        ('title = "Demo"\n', "", "title: expected a string, missing"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    folder = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ManifestError) as err:
        load_scenario(folder)
    text = str(err.value)
    assert text.startswith(str(folder / "scenario.toml") + ": ")
    assert message in text


def test_invalid_toml(tmp_path: Path) -> None:
    folder = _write(tmp_path, GOOD + "\n[[[broken")
    with pytest.raises(ManifestError, match="invalid TOML"):
        load_scenario(folder)


def test_sizes() -> None:
    assert parse_size("256MiB") == 256 << 20
    assert parse_size("1.5GiB") == 3 << 29
    assert parse_size("1000") == 1000
    with pytest.raises(ValueError):
        parse_size("big")


def _not_a_leak(text: str) -> str:
    return text.replace('category = "unbounded-cache"', 'category = "not-a-leak"').replace(
        'profile = "heap"', 'profile = "allocs"'
    )


def test_not_a_leak_has_a_bound_and_no_minimum(tmp_path: Path) -> None:
    text = _not_a_leak(GOOD).replace("min_per_1k = 1000\n", "")
    s = load_scenario(_write(tmp_path, text))
    assert s.not_a_leak
    assert (s.expect.min_per_1k, s.expect.fixed_max_per_1k) == (0.0, 10.0)
    assert s.expect.hot[0].profile == "allocs"


def test_not_a_leak_refuses_a_minimum(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as err:
        load_scenario(_write(tmp_path, _not_a_leak(GOOD)))
    assert "expect.min_per_1k" in str(err.value)
    assert "no min_per_1k in a not-a-leak scenario" in str(err.value)

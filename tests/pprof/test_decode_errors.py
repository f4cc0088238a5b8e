"""Bad input gives one ProfileError naming the file and what is wrong, never a traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kit.cli import app
from kit.errors import ProfileError
from kit.pprof import decode_profile, load_profile
from kit.pprof.schema import message_class


def _profile_bytes(change: Callable[[Any], object] | None = None) -> bytes:
    """A tiny valid profile (one sample, one function), edited by `change` if given."""
    msg = message_class("Profile")()
    msg.string_table.extend(["", "inuse_space", "bytes", "main.leak", "main.go"])
    st = msg.sample_type.add()
    st.type, st.unit = 1, 2
    fn = msg.function.add()
    fn.id, fn.name, fn.filename = 1, 3, 4
    loc = msg.location.add()
    loc.id = 1
    line = loc.line.add()
    line.function_id, line.line = 1, 10
    sample = msg.sample.add()
    sample.location_id.append(1)
    sample.value.append(64)
    if change is not None:
        change(msg)
    data: bytes = msg.SerializeToString()
    return data


def test_valid_profile_round_trip() -> None:
    prof = decode_profile(gzip.compress(_profile_bytes()), "ok.pb.gz")
    assert [st.type for st in prof.sample_types] == ["inuse_space"]
    (sample,) = prof.samples
    assert sample.values == (64,)
    assert sample.locations[0].lines[0].function.name == "main.leak"
    assert sample.locations[0].lines[0].function is prof.functions[0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty file"),
        (gzip.compress(b""), "gzip holds no data"),
        (gzip.compress(_profile_bytes())[:-12], "gzip data is truncated or corrupt"),
        (b"\x1f\x8bnot really gzip", "gzip data is truncated or corrupt"),
        (_profile_bytes()[:-3], "not a pprof profile, or truncated"),
        (b"goroutine profile: total 3\n1 @ 0x1\n", "text, not a protobuf profile"),
        (b"\xff\xfe\xfd\xfc\xfb", "not a pprof profile"),
        (b"\x08\x01", "no string table"),
    ],
    ids=[
        "empty",
        "empty-gzip",
        "truncated-gzip",
        "bad-gzip",
        "truncated-protobuf",
        "text-profile",
        "random-bytes",
        "not-a-profile",
    ],
)
def test_bad_bytes(data: bytes, expected: str) -> None:
    with pytest.raises(ProfileError) as err:
        decode_profile(data, "bad.pb.gz")
    assert str(err.value).startswith("bad.pb.gz: ")
    assert expected in str(err.value)


def _replace(field: Any, values: list[Any]) -> None:
    del field[:]
    field.extend(values)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m: _replace(m.sample[0].location_id, [7]),
            "sample 0 refers to location 7, which is not in the profile",
        ),
        (
            lambda m: _replace(m.sample[0].value, [1, 2]),
            "sample 0 has 2 values for 1 sample types",
        ),
        (
            lambda m: setattr(m.location[0].line[0], "function_id", 9),
            "location 1 has a line with function id 9",
        ),
        (lambda m: setattr(m.function[0], "name", 99), "function 1 refers to string 99"),
        (lambda m: setattr(m.location[0], "id", 0), "reserved id 0"),
        (lambda m: _replace(m.string_table, ["x", "inuse_space"]), 'must start with ""'),
    ],
    ids=["missing-location", "value-count", "missing-function", "bad-string", "zero-id", "strings"],
)
def test_malformed_profiles(change: Callable[[Any], object], expected: str) -> None:
    with pytest.raises(ProfileError) as err:
        decode_profile(_profile_bytes(change), "m.pb")
    assert str(err.value).startswith("m.pb: malformed profile: ")
    assert expected in str(err.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "nope.pb.gz")
    with pytest.raises(ProfileError, match="is a directory"):
        load_profile(tmp_path)


def test_cli_reports_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "heap.pb.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    done = subprocess_leakkit("top", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"leakkit: error: {bad}: gzip data is truncated or corrupt")
    assert "Traceback" not in done.stderr


def test_cli_bad_sample_index(tmp_path: Path) -> None:
    good = tmp_path / "heap.pb"
    good.write_bytes(_profile_bytes())
    done = subprocess_leakkit("top", str(good), "--sample-index", "nope")
    assert done.returncode == 2
    assert "must be one of: inuse_space" in done.stderr


def test_cli_incompatible_base(tmp_path: Path) -> None:
    def goroutines(msg: Any) -> None:
        msg.string_table[1] = "goroutine"
        msg.string_table[2] = "count"

    a, b = tmp_path / "heap.pb", tmp_path / "goroutine.pb"
    a.write_bytes(_profile_bytes())
    b.write_bytes(_profile_bytes(goroutines))
    done = subprocess_leakkit("top", str(a), "--base", str(b))
    assert done.returncode == 2
    assert "incompatible sample types" in done.stderr


def test_cli_help_teaches() -> None:
    result = CliRunner().invoke(app, ["top", "--help"])
    assert result.exit_code == 0
    for flag in ("--base", "--sample-index", "--focus", "--ignore", "--nodecount", "--json"):
        assert flag in result.output


def subprocess_leakkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kit", *args], capture_output=True, text=True, check=False
    )

"""`leakkit info` reports what `go tool pprof -raw` shows; the schema stays out of protobuf's
default descriptor pool."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from typer.testing import CliRunner

from kit.cli import app
from kit.pprof import load_profile, schema
from kit.pprof.schema import message_class
from tests.conftest import run_pprof

SAMPLE_LINE = re.compile(r"^\s*-?\d+(\s+-?\d+)*:(\s+\d+)*\s*$")
LOCATION_LINE = re.compile(r"^\s*\d+: 0x")


def _info(path: Path) -> dict[str, str]:
    result = CliRunner().invoke(app, ["info", str(path)])
    assert result.exit_code == 0, result.output
    fields = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["heap", "allocs", "goroutine"])
def test_info_agrees_with_pprof_raw(pprof_bin: Path, fixture_profiles: Path, kind: str) -> None:
    path = fixture_profiles / f"{kind}-2.pb.gz"
    raw = run_pprof(pprof_bin, "-raw", str(path))
    head, _, rest = raw.partition("\nSamples:\n")
    header = dict(line.split(": ", 1) for line in head.splitlines())
    sample_part, _, loc_part = rest.partition("\nLocations\n")
    types_line, *sample_lines = sample_part.splitlines()
    samples = sum(1 for ln in sample_lines if SAMPLE_LINE.match(ln))
    locations = sum(
        1 for ln in loc_part.split("\nMappings\n")[0].splitlines() if LOCATION_LINE.match(ln)
    )

    info = _info(path)
    # pprof marks the default type "[dflt]", leakkit " (default)".
    expected_types = ", ".join(types_line.split()).replace("[dflt]", " (default)")
    assert info["Sample types"] == expected_types
    period_type = header["PeriodType"].replace(" ", "/")
    assert info["Period"] == f"{header['Period']} {period_type}"
    # pprof prints "2026-11-27 04:08:08.614419478 +0000 UTC"; leakkit to the second, in ISO form.
    assert info["Time"] == header["Time"][:19].replace(" ", "T") + "+00:00"
    assert info["Duration"] == "0s"  # Go's heap and goroutine profiles carry no duration
    assert int(info["Samples"]) == samples > 0
    assert int(info["Locations"]) == locations > 0


def test_info_of_a_built_profile(tmp_path: Path) -> None:
    msg = message_class("Profile")()
    msg.string_table.extend(["", "samples", "count", "cpu", "nanoseconds", "main.spin", "m.go"])
    for t, u in ((1, 2), (3, 4)):
        st = msg.sample_type.add()
        st.type, st.unit = t, u
    msg.period_type.type, msg.period_type.unit = 3, 4
    msg.period = 10_000_000
    msg.duration_nanos = 2_500_000_000
    msg.time_nanos = 1_700_000_000_000_000_000
    msg.default_sample_type = 3
    fn = msg.function.add()
    fn.id, fn.name, fn.filename = 1, 5, 6
    for loc_id in (1, 2):
        loc = msg.location.add()
        loc.id = loc_id
        line = loc.line.add()
        line.function_id, line.line = 1, 10 + loc_id
    for loc_id in (1, 2, 2):
        sample = msg.sample.add()
        sample.location_id.append(loc_id)
        sample.value.extend([1, 10_000_000])
    path = tmp_path / "cpu.pb.gz"
    path.write_bytes(gzip.compress(msg.SerializeToString()))

    info = _info(path)
    assert info["File"] == str(path)
    assert info["Sample types"] == "samples/count, cpu/nanoseconds (default)"
    assert info["Default type"] == "cpu"
    assert info["Period"] == "10000000 cpu/nanoseconds"
    assert info["Duration"] == "2.500s"
    assert info["Time"] == "2023-11-14T22:13:20+00:00"
    assert (info["Samples"], info["Locations"], info["Functions"]) == ("3", "2", "1")

    result = CliRunner().invoke(app, ["info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sample_types"] == [
        {"type": "samples", "unit": "count"},
        {"type": "cpu", "unit": "nanoseconds"},
    ]
    assert doc["period_type"] == {"type": "cpu", "unit": "nanoseconds"}
    assert (doc["period"], doc["duration_nanos"]) == (10_000_000, 2_500_000_000)
    assert doc["time_nanos"] == 1_700_000_000_000_000_000
    assert (doc["samples"], doc["locations"]) == (3, 2)
    assert load_profile(path).duration_nanos == 2_500_000_000


def test_schema_is_not_in_the_default_descriptor_pool() -> None:
    # Build the private pool first (as decoding any profile does).
    assert message_class("Profile")().DESCRIPTOR.file.name == schema._FILE_NAME
    assert schema._pool().FindFileByName(schema._FILE_NAME).name == schema._FILE_NAME
    default = descriptor_pool.Default()
    for name in (schema._FILE_NAME, "profile.proto"):
        with pytest.raises(KeyError):
            default.FindFileByName(name)
    with pytest.raises(KeyError):
        default.FindMessageTypeByName("perftools.profiles.Profile")

"""Value and percentage formatting follows pprof's measurement package."""

from __future__ import annotations

import pytest

from kit.pprof.model import Profile, ValueType
from kit.pprof.units import format_value, percentage


@pytest.mark.parametrize(
    ("value", "unit", "to", "expected"),
    [
        (1536, "bytes", "auto", "1.50kB"),
        (1024, "bytes", "auto", "1kB"),
        (512, "bytes", "auto", "512B"),
        (-3 * 1024 * 1024, "bytes", "auto", "-3MB"),
        (0, "bytes", "auto", "0"),
        (123456789, "bytes", "B", "123456789B"),
        (12, "count", "B", "12B"),
        (12, "count", "auto", "12"),
        (1500, "nanoseconds", "auto", "1.50us"),
    ],
)
def test_format_value(value: int, unit: str, to: str, expected: str) -> None:
    assert format_value(value, unit, to) == expected


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [
        (50, 100, "50.00%"),
        (100, 100, "  100%"),
        (1, 1000, "  0.1%"),
        (3, 10000, " 0.03%"),
        (0, 0, "    0%"),
    ],
)
def test_percentage(value: int, total: int, expected: str) -> None:
    assert percentage(value, total) == expected


def _profile(types: list[str], default: str = "") -> Profile:
    return Profile(tuple(ValueType(t, "count") for t in types), (), default_sample_type=default)


def test_sample_index_rules() -> None:
    heap = _profile(["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"])
    assert heap.sample_index(None) == 3  # no default: the last type
    assert _profile(["alloc_objects", "alloc_space"], "alloc_objects").sample_index(None) == 0
    assert heap.sample_index("1") == 1
    assert heap.sample_index("alloc_space") == 1
    legacy = _profile(["objects", "space"])
    assert legacy.sample_index("inuse_space") == 1  # pprof's legacy inuse_ prefix
    with pytest.raises(ValueError, match=r"outside the range \[0..3\]"):
        heap.sample_index("4")
    with pytest.raises(ValueError, match="must be one of: alloc_objects"):
        heap.sample_index("bogus")

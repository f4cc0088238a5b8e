"""The resolved profile model: strings, functions, locations and mappings as references.

Decoding (decode.py) builds these once from the wire format; nothing outside kit/pprof sees
protobuf messages or string-table indexes.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

EMPTY_LABELS: MappingType[str, tuple[str, ...]] = MappingProxyType({})
EMPTY_NUM_LABELS: MappingType[str, tuple[int, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ValueType:
    """What a sample value measures: a type such as `inuse_space` and a unit such as `bytes`."""

    type: str
    unit: str

    def __str__(self) -> str:
        return f"{self.type}/{self.unit}"


@dataclass(frozen=True, slots=True, eq=False)
class Mapping:
    """A binary or library mapped into the profiled process."""

    id: int
    start: int
    limit: int
    offset: int
    file: str
    build_id: str
    has_functions: bool = False
    has_filenames: bool = False
    has_line_numbers: bool = False
    has_inline_frames: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Function:
    """A function as named in the profile (Go symbol such as `main.(*Store).Put`)."""

    id: int
    name: str
    system_name: str
    filename: str
    start_line: int


@dataclass(frozen=True, slots=True)
class Line:
    """One source line at a location; a location's first line is the innermost inlined call."""

    function: Function
    line: int
    column: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class Location:
    """A program counter and the source lines it stands for."""

    id: int
    mapping: Mapping | None
    address: int
    lines: tuple[Line, ...]
    is_folded: bool = False


class Sample(NamedTuple):
    """One stack (leaf first) with one value per sample type, and its labels."""

    locations: tuple[Location, ...]
    values: tuple[int, ...]
    labels: MappingType[str, tuple[str, ...]] = EMPTY_LABELS
    num_labels: MappingType[str, tuple[int, ...]] = EMPTY_NUM_LABELS
    num_units: MappingType[str, tuple[str, ...]] = EMPTY_LABELS


@dataclass(frozen=True, slots=True)
class Profile:
    """A decoded, validated profile."""

    sample_types: tuple[ValueType, ...]
    samples: tuple[Sample, ...]
    mappings: tuple[Mapping, ...] = ()
    locations: tuple[Location, ...] = ()
    functions: tuple[Function, ...] = ()
    drop_frames: str = ""
    keep_frames: str = ""
    time_nanos: int = 0
    duration_nanos: int = 0
    period_type: ValueType | None = None
    period: int = 0
    comments: tuple[str, ...] = ()
    default_sample_type: str = ""
    doc_url: str = ""
    source: str = field(default="", compare=False)

    def sample_index(self, selector: str | int | None) -> int:
        """Index of the sample type chosen as `go tool pprof -sample_index` would choose it.

        None picks `default_sample_type`, else the last type. A number picks by position; a
        name matches a type (with or without an `inuse_` prefix). Raises ValueError otherwise.
        """
        names = [st.type for st in self.sample_types]
        if not names:
            raise ValueError("the profile has no sample types")
        if selector is None or selector == "":
            if self.default_sample_type in names:
                return names.index(self.default_sample_type)
            return len(names) - 1
        if isinstance(selector, int) or selector.lstrip("-").isdigit():
            index = int(selector)
            if not 0 <= index < len(names):
                raise ValueError(f"sample index {index} is outside the range [0..{len(names) - 1}]")
            return index
        bare = selector.removeprefix("inuse_")
        for i, name in enumerate(names):
            if name in (selector, bare):
                return i
        raise ValueError(f"sample index {selector!r} must be one of: {', '.join(names)}")

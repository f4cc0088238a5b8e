"""Decode gzipped or raw pprof profiles from the wire format into the resolved model."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from google.protobuf.message import DecodeError

from kit.errors import ProfileError
from kit.pprof._gcpause import paused_gc
from kit.pprof.model import (
    EMPTY_LABELS,
    EMPTY_NUM_LABELS,
    Function,
    Line,
    Location,
    Mapping,
    Profile,
    Sample,
    ValueType,
)
from kit.pprof.schema import message_class

_GZIP_MAGIC = b"\x1f\x8b"


class _Malformed(Exception):
    """Internal: what is wrong inside an otherwise decodable profile."""


def load_profile(path: str | Path) -> Profile:
    """Read, decode and validate the profile at `path`; ProfileError names the file on failure."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{p}: no such file", "check the path") from None
    except IsADirectoryError:
        raise ProfileError(f"{p}: is a directory, not a profile file") from None
    except OSError as exc:
        raise ProfileError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return decode_profile(data, str(p))


def decode_profile(data: bytes, source: str = "<bytes>") -> Profile:
    """Decode profile bytes (gzipped or not); `source` names the input in errors."""
    if not data:
        raise ProfileError(f"{source}: empty file, not a profile")
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise ProfileError(f"{source}: gzip data is truncated or corrupt ({exc})") from None
        if not data:
            raise ProfileError(f"{source}: gzip holds no data, not a profile")
    if _looks_like_text(data):
        raise ProfileError(
            f"{source}: text, not a protobuf profile",
            "fetch profiles with ?debug=0 (the default) to get the binary format",
        )
    msg = message_class("Profile")()
    try:
        msg.ParseFromString(data)
    except DecodeError as exc:
        raise ProfileError(
            f"{source}: not a pprof profile, or truncated (protobuf decoding failed: {exc})"
        ) from None
    try:
        with paused_gc():
            return _resolve(msg, source)
    except _Malformed as exc:
        raise ProfileError(f"{source}: malformed profile: {exc}") from None


def _looks_like_text(data: bytes) -> bool:
    head = data[:256]
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\n\r\t" for ch in text)


def _resolve(msg: Any, source: str) -> Profile:
    strings: list[str] = list(msg.string_table)
    if not strings or strings[0] != "":
        if not strings and not msg.sample_type and not msg.sample:
            raise _Malformed("no string table, sample types or samples (is this a pprof profile?)")
        raise _Malformed('string table must start with ""')

    def string(index: int, what: str) -> str:
        if 0 <= index < len(strings):
            return strings[index]
        raise _Malformed(f"{what} refers to string {index}, but the table has {len(strings)}")

    def value_type(vt: Any, what: str) -> ValueType:
        return ValueType(string(vt.type, what), string(vt.unit, what))

    sample_types = tuple(value_type(st, "sample type") for st in msg.sample_type)
    if not sample_types and len(msg.sample):
        raise _Malformed("samples without sample types")

    mappings: dict[int, Mapping] = {}
    for m in msg.mapping:
        if m.id == 0:
            raise _Malformed("a mapping has the reserved id 0")
        if m.id in mappings:
            raise _Malformed(f"two mappings have id {m.id}")
        mappings[m.id] = Mapping(
            id=m.id,
            start=m.memory_start,
            limit=m.memory_limit,
            offset=m.file_offset,
            file=string(m.filename, f"mapping {m.id}"),
            build_id=string(m.build_id, f"mapping {m.id}"),
            has_functions=m.has_functions,
            has_filenames=m.has_filenames,
            has_line_numbers=m.has_line_numbers,
            has_inline_frames=m.has_inline_frames,
        )

    functions: dict[int, Function] = {}
    for f in msg.function:
        if f.id == 0:
            raise _Malformed("a function has the reserved id 0")
        if f.id in functions:
            raise _Malformed(f"two functions have id {f.id}")
        what = f"function {f.id}"
        functions[f.id] = Function(
            id=f.id,
            name=string(f.name, what),
            system_name=string(f.system_name, what),
            filename=string(f.filename, what),
            start_line=f.start_line,
        )

    locations: dict[int, Location] = {}
    for loc in msg.location:
        if loc.id == 0:
            raise _Malformed("a location has the reserved id 0")
        if loc.id in locations:
            raise _Malformed(f"two locations have id {loc.id}")
        lines = []
        for ln in loc.line:
            fn = functions.get(ln.function_id)
            if fn is None:
                raise _Malformed(
                    f"location {loc.id} has a line with function id {ln.function_id}, "
                    "which is not in the profile"
                )
            lines.append(Line(fn, ln.line, ln.column))
        locations[loc.id] = Location(
            id=loc.id,
            # As pprof does, a mapping id that names no mapping leaves the location unmapped.
            mapping=mappings.get(loc.mapping_id),
            address=loc.address,
            lines=tuple(lines),
            is_folded=loc.is_folded,
        )

    samples = _resolve_samples(msg, locations, len(sample_types), string)
    period_type = (
        value_type(msg.period_type, "period type") if msg.HasField("period_type") else None
    )
    return Profile(
        sample_types=sample_types,
        samples=samples,
        mappings=tuple(mappings.values()),
        locations=tuple(locations.values()),
        functions=tuple(functions.values()),
        drop_frames=string(msg.drop_frames, "drop_frames"),
        keep_frames=string(msg.keep_frames, "keep_frames"),
        time_nanos=msg.time_nanos,
        duration_nanos=msg.duration_nanos,
        period_type=period_type,
        period=msg.period,
        comments=tuple(string(c, "a comment") for c in msg.comment),
        default_sample_type=string(msg.default_sample_type, "default_sample_type"),
        doc_url=string(msg.doc_url, "doc_url"),
        source=source,
    )


def _resolve_samples(
    msg: Any, locations: dict[int, Location], n_types: int, string: Any
) -> tuple[Sample, ...]:
    get_location = locations.__getitem__
    # Heap profiles label every sample (e.g. bytes=64) from a small set of distinct labels.
    label_sets: dict[tuple[tuple[int, int, int, int], ...], tuple[Any, Any, Any]] = {}
    out: list[Sample] = []
    append = out.append
    new_sample = Sample
    for index, s in enumerate(msg.sample):
        values = tuple(s.value)
        if len(values) != n_types:
            raise _Malformed(f"sample {index} has {len(values)} values for {n_types} sample types")
        try:
            locs = tuple(map(get_location, s.location_id))
        except KeyError as exc:
            raise _Malformed(
                f"sample {index} refers to location {exc.args[0]}, which is not in the profile"
            ) from None
        labels = s.label
        if labels:
            if len(labels) == 1:
                lb = labels[0]
                raw: tuple[tuple[int, int, int, int], ...] = (
                    (lb.key, lb.str, lb.num, lb.num_unit),
                )
            else:
                raw = tuple((lb.key, lb.str, lb.num, lb.num_unit) for lb in labels)
            resolved = label_sets.get(raw)
            if resolved is None:
                resolved = label_sets[raw] = _resolve_labels(raw, string)
            append(new_sample(locs, values, *resolved))
        else:
            append(new_sample(locs, values))
    return tuple(out)


def _resolve_labels(
    raw: tuple[tuple[int, int, int, int], ...], string: Any
) -> tuple[Any, Any, Any]:
    text: dict[str, list[str]] = {}
    nums: dict[str, list[int]] = {}
    units: dict[str, list[str]] = {}
    for key_index, str_index, num, unit_index in raw:
        key = string(key_index, "a label key")
        if str_index:
            text.setdefault(key, []).append(string(str_index, "a label value"))
        elif num or unit_index:
            nums.setdefault(key, []).append(num)
            units.setdefault(key, []).append(string(unit_index, "a label unit"))
    return (
        MappingProxyType({k: tuple(v) for k, v in text.items()}) if text else EMPTY_LABELS,
        MappingProxyType({k: tuple(v) for k, v in nums.items()}) if nums else EMPTY_NUM_LABELS,
        MappingProxyType({k: tuple(v) for k, v in units.items()}) if units else EMPTY_LABELS,
    )

"""Subtract a base profile the way `go tool pprof -base` does, and prune uninteresting frames.

pprof negates every base value, then merges both profiles: samples whose stacks (by location
key) and labels agree are summed, and samples left all-zero are dropped. The merge decides both
the report's total and which call edges exist, so it is reproduced key for key here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kit.errors import ProfileError
from kit.pprof.model import Location, Mapping, Profile, Sample

_MAP_SIZE_ROUNDING = 0x1000


def subtract_base(profile: Profile, base: Profile) -> list[Sample]:
    """Samples of `profile` minus `base`, merged as pprof merges them (zero samples dropped)."""
    _check_compatible(profile, base)
    merged: dict[tuple[object, ...], list[int]] = {}
    first: dict[tuple[object, ...], Sample] = {}
    loc_keys: dict[int, object] = {}

    def add(samples: Iterable[Sample], sign: int) -> None:
        for s in samples:
            values = s.values if sign > 0 else tuple(_negate(v) for v in s.values)
            if not any(values):
                continue
            key = _sample_key(s, loc_keys)
            acc = merged.get(key)
            if acc is None:
                merged[key] = list(values)
                first[key] = s
            else:
                for i, v in enumerate(values):
                    acc[i] += v

    add(profile.samples, 1)
    add(base.samples, -1)
    return [first[key]._replace(values=tuple(vals)) for key, vals in merged.items() if any(vals)]


def _negate(v: int) -> int:
    # pprof scales by -1 in float64 and rounds; beyond 2**53 that loses precision, so do the same.
    return -int(float(v))


def _check_compatible(profile: Profile, base: Profile) -> None:
    def describe(p: Profile) -> str:
        return "[" + " ".join(str(st) for st in p.sample_types) + "]"

    pt, bt = profile.period_type, base.period_type
    if (pt is None) != (bt is None) or (pt and bt and (pt.type, pt.unit) != (bt.type, bt.unit)):
        raise ProfileError(
            f"{base.source}: cannot be a base for {profile.source}: incompatible period types "
            f"{pt} and {bt}"
        )
    if [(s.type, s.unit) for s in profile.sample_types] != [
        (s.type, s.unit) for s in base.sample_types
    ]:
        raise ProfileError(
            f"{base.source}: cannot be a base for {profile.source}: incompatible sample types "
            f"{describe(profile)} and {describe(base)}",
            "compare profiles of the same kind (heap with heap, goroutine with goroutine)",
        )


def _mapping_key(m: Mapping) -> tuple[int, int, str]:
    size = m.limit - m.start
    size = size + _MAP_SIZE_ROUNDING - 1
    size -= size % _MAP_SIZE_ROUNDING
    return (size, m.offset, m.build_id or m.file)


def _location_key(loc: Location) -> object:
    m = loc.mapping
    addr = loc.address - m.start if m is not None else loc.address
    # pprof builds this key with overlapping slots (line i's column shares a slot with line
    # i+1's function); reproducing the layout keeps "same location" meaning what it means there.
    slots: list[object] = [""] * (len(loc.lines) * 3)
    for i, line in enumerate(loc.lines):
        fn = line.function
        slots[i * 2] = (fn.start_line, fn.name, fn.system_name, fn.filename)
        slots[i * 2 + 1] = line.line
        slots[i * 2 + 2] = line.column
    return (addr, _mapping_key(m) if m is not None else None, tuple(slots), loc.is_folded)


def _sample_key(s: Sample, loc_keys: dict[int, object]) -> tuple[object, ...]:
    keys = []
    for loc in s.locations:
        k = loc_keys.get(id(loc))
        if k is None:
            k = loc_keys[id(loc)] = _location_key(loc)
        keys.append(k)
    labels = tuple(sorted(s.labels.items())) if s.labels else ()
    nums = (
        tuple((k, s.num_labels[k], s.num_units.get(k, ())) for k in sorted(s.num_labels))
        if s.num_labels
        else ()
    )
    return (tuple(keys), labels, nums)


def go_regexp(pattern: str, what: str) -> re.Pattern[str]:
    """Compile a Go (RE2) regular expression with Python's re; the common syntax agrees."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ProfileError(f"invalid {what} regular expression {pattern!r}: {exc}") from None


def prune_uninteresting(profile: Profile, samples: list[Sample]) -> list[Sample]:
    """Apply the profile's drop_frames/keep_frames as pprof's RemoveUninteresting does."""
    if not profile.drop_frames:
        return samples
    drop = go_regexp(f"^(?:{profile.drop_frames})\\Z", "drop_frames")
    keep = (
        go_regexp(f"^(?:{profile.keep_frames})\\Z", "keep_frames") if profile.keep_frames else None
    )

    def prune_here(name: str) -> bool:
        simple = _simplify_func(name)
        return bool(drop.search(simple)) and not (keep is not None and keep.search(simple))

    # Keyed by object identity: after a -base merge, locations come from two profiles.
    unique = {id(loc): loc for s in samples for loc in s.locations}
    replaced: dict[int, Location] = {}
    prune: set[int] = set()
    beneath: set[int] = set()
    for key, loc in unique.items():
        i = len(loc.lines) - 1
        while i >= 0:
            fn = loc.lines[i].function
            if fn.name and prune_here(fn.name):
                break
            i -= 1
        if i >= 0:
            beneath.add(key)
            if i == len(loc.lines) - 1:
                prune.add(key)
            else:
                replaced[key] = Location(
                    loc.id, loc.mapping, loc.address, loc.lines[i + 1 :], loc.is_folded
                )
    out = []
    for s in samples:
        keys = [id(loc) for loc in s.locations]
        locs = tuple(replaced.get(k, loc) for k, loc in zip(keys, s.locations, strict=True))
        found_user = False
        for i in range(len(locs) - 1, -1, -1):
            lid = keys[i]
            if lid not in prune and lid not in beneath:
                found_user = True
                continue
            if not found_user:
                continue
            locs = locs[i + 1 :] if lid in prune else locs[i:]
            break
        out.append(s._replace(locations=locs))
    return out


_RESERVED = ("(anonymous namespace)", "operator()")
_BRACKET = re.compile("|".join(re.escape(n) for n in (*_RESERVED, "(")))


def _simplify_func(name: str) -> str:
    name = name.removeprefix(".")
    for m in _BRACKET.finditer(name):
        if m.group(0) not in _RESERVED:
            return name[: m.start()]
    return name

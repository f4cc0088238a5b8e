"""Where the growth is: functions behind the delta between the first and last checkpoint.

The delta is pprof's `-base` arithmetic (kit.pprof). Each sample's value is credited to the
innermost frame that belongs to the program rather than to Go's standard library, because a
goroutine parks in runtime.gopark and memory is allocated in runtime.makeslice, while the
question a learner answers is which of *their* functions did it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.pprof import load_profile
from kit.pprof.model import Location
from kit.pprof.report import select
from kit.runner.recording import Recording

HOT_PROFILES = {"heap": "inuse_space", "goroutine": "goroutine", "allocs": "alloc_space"}
MIN_DELTA = {"goroutine": 3}


@dataclass(frozen=True, slots=True)
class HotFunction:
    profile: str
    sample_type: str
    name: str
    delta: int
    share: float  # of the profile's total growth


@dataclass(frozen=True, slots=True)
class LeakedStack:
    """A stack the runtime's goroutineleak profile reports, with how many goroutines hold it."""

    count: int
    frames: tuple[str, ...]


def is_user_function(name: str) -> bool:
    """True for package main and for packages outside the standard library (dotted paths)."""
    if name.startswith("main."):
        return True
    if "/" not in name:
        return False
    return "." in name.split("/", 1)[0]


def _is_machinery(name: str) -> bool:
    """The runtime's own frames, which every parked goroutine and allocation passes through."""
    return name.startswith(("runtime.", "internal/", "runtime/"))


def _credited(locations: Sequence[Location]) -> str:
    """The innermost user frame. A stack with none belongs to a goroutine the standard library
    started (net/http's connection loops, say): it is credited to that goroutine's outermost
    frame outside the runtime, the function it was started with, which says what it is."""
    innermost = outermost = ""
    for loc in locations:
        for line in loc.lines:
            name = line.function.name
            if not innermost:
                innermost = name
            if not _is_machinery(name):
                outermost = name
            if is_user_function(name):
                return name
    return outermost or innermost or "<unknown>"


def hot_functions(recording: Recording, limit: int = 5) -> list[HotFunction]:
    """Top growing functions per profile: heap by inuse_space, goroutines by count, allocs by
    alloc_space (what was allocated between the checkpoints, kept or not)."""
    cps = recording.checkpoints
    if len(cps) < 2:
        return []
    out: list[HotFunction] = []
    for kind, sample_type in HOT_PROFILES.items():
        first, last = recording.profile_path(cps[0], kind), recording.profile_path(cps[-1], kind)
        if first is None or last is None:
            continue
        out.extend(profile_delta(first, last, kind, sample_type, limit))
    return out


def profile_delta(
    base: Path, current: Path, kind: str, sample_type: str, limit: int = 5
) -> list[HotFunction]:
    """Functions whose value grew most from `base` to `current`, credited as described above."""
    sel = select(load_profile(current), load_profile(base), sample_type)
    delta: Counter[str] = Counter()
    for locations, value in sel.stacks:
        if locations:
            delta[_credited(locations)] += value
    growth = sum(v for v in delta.values() if v > 0)
    # A goroutine or two come and go with the load's connections; that is not growth.
    floor = MIN_DELTA.get(kind, 1)
    rows = [(name, v) for name, v in delta.items() if v >= floor]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return [
        HotFunction(kind, sample_type, name, v, v / growth if growth else 0.0)
        for name, v in rows[:limit]
    ]


def leaked_stacks(recording: Recording, limit: int = 5) -> list[LeakedStack]:
    """Stacks from the last checkpoint's goroutineleak profile, when the toolchain has one."""
    if not recording.checkpoints:
        return []
    path = recording.profile_path(recording.checkpoints[-1], "goroutineleak")
    if path is None or not path.is_file():
        return []
    profile = load_profile(path)
    counts: Counter[tuple[str, ...]] = Counter()
    for sample in profile.samples:
        frames = tuple(line.function.name for loc in sample.locations for line in loc.lines)
        counts[frames] += sample.values[0] if sample.values else 0
    return [LeakedStack(c, f) for f, c in counts.most_common(limit) if c > 0]

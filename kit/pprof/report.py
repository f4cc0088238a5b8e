"""Reports built from the model plus options: top (per function), source (per line), info."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from kit.errors import UsageError
from kit.pprof._gcpause import paused_gc
from kit.pprof.graph import Node, NodeKey, Stack, build_graph, line_key, sort_nodes
from kit.pprof.merge import go_regexp, prune_uninteresting, subtract_base
from kit.pprof.model import Location, Profile, Sample, ValueType


@dataclass(frozen=True, slots=True)
class TopOptions:
    """What `leakkit top` was asked for; the same names as pprof's flags."""

    sample_index: str | None = None
    focus: str | None = None
    ignore: str | None = None
    nodecount: int = 0


@dataclass(frozen=True, slots=True)
class TopRow:
    """One function: its own value (flat), with callees (cum), and how it is reached."""

    name: str
    flat: int
    cum: int
    inline_label: str = ""

    @property
    def inline(self) -> bool:
        return self.inline_label == "(inline)"


@dataclass(frozen=True, slots=True)
class TopReport:
    """The rows of `top`, in pprof's order, with the totals its header shows."""

    sample_type: ValueType
    total: int
    rows: tuple[TopRow, ...]
    node_count: int
    diff: bool


@dataclass(frozen=True, slots=True)
class Selection:
    """Samples chosen for a report: one value each, after -base, pruning and filters."""

    sample_type: ValueType
    total: int
    stacks: tuple[Stack, ...]
    diff: bool


def select(
    profile: Profile,
    base: Profile | None = None,
    sample_index: str | None = None,
    focus: str | None = None,
    ignore: str | None = None,
) -> Selection:
    """Apply -base, drop_frames, the sample index and focus/ignore, in pprof's order."""
    try:
        index = profile.sample_index(sample_index)
    except ValueError as exc:
        raise UsageError(f"{profile.source}: {exc}") from None
    samples: Sequence[Sample] = (
        subtract_base(profile, base) if base is not None else profile.samples
    )
    samples = prune_uninteresting(profile, list(samples)) if profile.drop_frames else samples
    # pprof computes the total before focus and ignore, so percentages stay of the whole.
    total = sum(map(abs, map(itemgetter(index), map(itemgetter(1), samples))))
    focus_re = go_regexp(focus, "--focus") if focus else None
    ignore_re = go_regexp(ignore, "--ignore") if ignore else None
    if focus_re is not None or ignore_re is not None:
        samples = _filter(samples, focus_re, ignore_re)
    # Sample is a NamedTuple: (locations, values, ...); pair each stack with its one value.
    stacks = tuple(
        zip(
            map(itemgetter(0), samples),
            map(itemgetter(index), map(itemgetter(1), samples)),
            strict=True,
        )
    )
    return Selection(profile.sample_types[index], total, stacks, base is not None)


def _filter(
    samples: Iterable[Sample], focus: re.Pattern[str] | None, ignore: re.Pattern[str] | None
) -> list[Sample]:
    decided: dict[int, bool | None] = {}

    def decide(loc: Location) -> bool | None:
        key = id(loc)
        if key in decided:
            return decided[key]
        verdict: bool | None = None
        if ignore is not None and _matches(loc, ignore):
            verdict = False
        elif focus is None or _matches(loc, focus):
            verdict = True
        decided[key] = verdict
        return verdict

    kept = []
    for s in samples:
        focused = False
        for loc in s.locations:
            verdict = decide(loc)
            if verdict is False:
                focused = False
                break
            if verdict:
                focused = True
        if focused:
            kept.append(s)
    return kept


def _matches(loc: Location, pattern: re.Pattern[str]) -> bool:
    # As pprof: a location matches on any of its functions' names or files, or its binary.
    for line in loc.lines:
        if pattern.search(line.function.name) or pattern.search(line.function.filename):
            return True
    return loc.mapping is not None and bool(pattern.search(loc.mapping.file))


def top(
    profile: Profile, base: Profile | None = None, options: TopOptions | None = None
) -> TopReport:
    """Per-function flat and cum, as `go tool pprof -top -nodefraction=0` reports them."""
    opts = options or TopOptions()
    if opts.nodecount < 0:
        raise UsageError(f"--nodecount must be 0 (all) or more, not {opts.nodecount}")
    with paused_gc():
        sel = select(profile, base, opts.sample_index, opts.focus, opts.ignore)
        nodes = sort_nodes(build_graph(sel.stacks))
        node_count = len(nodes)
        if 0 < opts.nodecount < len(nodes):
            kept: set[NodeKey] = {n.key for n in nodes[: opts.nodecount]}
            nodes = sort_nodes(build_graph(sel.stacks, kept=kept))
    rows = tuple(TopRow(n.name, n.flat, n.cum, n.inline_label) for n in nodes)
    return TopReport(sel.sample_type, sel.total, rows, node_count, sel.diff)


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Flat and cum of one source line of a function."""

    line: int
    flat: int
    cum: int


@dataclass(frozen=True, slots=True)
class SourceFunction:
    """A function matched by `source`, with its totals and per-line values."""

    name: str
    filename: str
    start_line: int
    flat: int
    cum: int
    lines: tuple[SourceLine, ...]


def source(
    profile: Profile,
    pattern: str,
    base: Profile | None = None,
    sample_index: str | None = None,
) -> tuple[Selection, tuple[SourceFunction, ...]]:
    """Per-line flat and cum for every function whose name matches `pattern` (pprof -list)."""
    regex = go_regexp(pattern, "function")
    sel = select(profile, base, sample_index)
    nodes: list[Node] = build_graph(sel.stacks, frame_key=line_key)
    starts: dict[tuple[str, str], int] = {}
    for s in sel.stacks:
        for loc in s[0]:
            for ln in loc.lines:
                fn = ln.function
                starts.setdefault((fn.name, fn.filename), fn.start_line)
    grouped: dict[tuple[str, str], list[SourceLine]] = {}
    for n in nodes:
        if len(n.key) != 3:
            continue
        name, filename, lineno = n.key
        assert isinstance(name, str) and isinstance(filename, str) and isinstance(lineno, int)
        if not regex.search(name):
            continue
        grouped.setdefault((name, filename), []).append(SourceLine(lineno, n.flat, n.cum))
    functions = []
    for (name, filename), lines in grouped.items():
        lines.sort(key=lambda sl: sl.line)
        # As pprof's list, a function's totals are the sums over its lines.
        flat = sum(sl.flat for sl in lines)
        cum = sum(sl.cum for sl in lines)
        functions.append(
            SourceFunction(name, filename, starts.get((name, filename), 0), flat, cum, tuple(lines))
        )
    functions.sort(key=lambda f: (f.name, f.filename))
    return sel, tuple(functions)

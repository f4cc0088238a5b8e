"""Function- and line-level call graphs built as pprof's internal/graph builds them.

Each frame of a sample becomes a node: a location contributes one node per line, innermost
(inlined) first. A sample adds its value once to the cum of every node it holds (recursion
counts once), and to the flat of its innermost frame. An edge between two frames of the same
location is an inlined call; a node whose every incoming edge is inlined is shown "(inline)",
one reached both ways "(partial-inline)". pprof keeps, per sample, only the first (root-most)
occurrence of an edge, and an edge stays inlined only if every sample saw it inlined.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from kit.pprof.model import Line, Location

# A node's identity. At function granularity pprof keys nodes by function name; nameless
# frames fall back to the binary they came from.
NodeKey = tuple[Hashable, ...]
Stack = tuple[Sequence[Location], int]
FrameKey = Callable[[Location, Line | None], tuple[NodeKey, str]]


@dataclass(slots=True)
class Node:
    """One node of the graph with its totals and how it is reached."""

    key: NodeKey
    name: str
    flat: int = 0
    cum: int = 0
    inline_in: bool = False
    direct_in: bool = False

    @property
    def inline_label(self) -> str:
        if self.inline_in:
            return "(partial-inline)" if self.direct_in else "(inline)"
        return ""


def function_key(loc: Location, line: Line | None) -> tuple[NodeKey, str]:
    """Key and printable name of a frame at function granularity."""
    if line is not None and line.function.name:
        return (line.function.name,), line.function.name
    objfile = loc.mapping.file if loc.mapping is not None else ""
    start = line.function.start_line if line is not None else 0
    return ("", objfile, start), _objfile_name(objfile)


def line_key(loc: Location, line: Line | None) -> tuple[NodeKey, str]:
    """Key and printable name of a frame at line granularity (function, file, line)."""
    if line is None:
        return function_key(loc, line)
    fn = line.function
    name = f"{fn.name} {fn.filename}:{line.line}" if fn.name else f"{fn.filename}:{line.line}"
    return (fn.name, fn.filename, line.line), name


def _objfile_name(objfile: str) -> str:
    if not objfile:
        return "<unknown>"
    trimmed = objfile.rstrip("/")
    base = trimmed.rsplit("/", 1)[-1] if trimmed else "/"
    return f"[{base}]"


_DROPPED = 0  # node index standing for frames outside `kept` (pprof's residual frames)


class _Frames(dict[Location, tuple[int, ...]]):
    """Per location, node indexes of its lines, innermost first; filled on first use."""

    def __init__(self, frame_key: FrameKey, kept: set[NodeKey] | None) -> None:
        super().__init__()
        self.frame_key = frame_key
        self.kept = kept
        self.nodes: list[Node] = [Node(("<dropped>",), "<dropped>")]
        self.index: dict[NodeKey, int] = {}
        self.inner_edges: dict[Location, tuple[tuple[int, int], ...]] = {}
        self.candidates: set[int] = set()  # nodes that some location reaches by inlining

    def __missing__(self, loc: Location) -> tuple[int, ...]:
        lines: Sequence[Line | None] = loc.lines or (None,)
        ids = []
        for line in lines:
            key, name = self.frame_key(loc, line)
            if self.kept is not None and key not in self.kept:
                ids.append(_DROPPED)
                continue
            n = self.index.get(key)
            if n is None:
                n = self.index[key] = len(self.nodes)
                self.nodes.append(Node(key, name))
            ids.append(n)
        result = self[loc] = tuple(ids)
        # Edges inside the location, root-most first: caller line -> inlined callee line.
        inner = tuple(
            (ids[i + 1], ids[i]) for i in range(len(ids) - 2, -1, -1) if ids[i] != ids[i + 1]
        )
        self.inner_edges[loc] = inner
        self.candidates.update(callee for _, callee in inner)
        return result


_MULTI = -1


class _SingleNode(dict[Location, int]):
    """Per location, its one node index, or _MULTI when it holds inlined lines."""

    def __init__(self, frames: _Frames) -> None:
        super().__init__()
        self.frames = frames

    def __missing__(self, loc: Location) -> int:
        ids = self.frames[loc]
        result = self[loc] = ids[0] if len(ids) == 1 else _MULTI
        return result


def build_graph(
    stacks: Iterable[Stack], frame_key: FrameKey = function_key, kept: set[NodeKey] | None = None
) -> list[Node]:
    """Nodes with non-zero flat or cum, unsorted; `kept` restricts the graph to those keys."""
    frames = _Frames(frame_key, kept)
    live = list(filter(itemgetter(1), stacks))
    get = frames.__getitem__
    # Most locations are one line, one node: map those straight to an int, and expand only
    # the stacks that hold a location with inlined lines (marked _MULTI).
    to_node = _SingleNode(frames).__getitem__
    flat: dict[int, int] = {}
    # Group samples by value so that counting nodes runs in C (Counter), then scale once.
    by_value: dict[int, list[set[int]]] = {}
    for locs, w in live:
        group = by_value.get(w)
        if group is None:
            group = by_value[w] = []
        ids = set(map(to_node, locs))
        if _MULTI in ids:
            ids = set(chain.from_iterable(map(get, locs)))
        group.append(ids)
        if locs:
            leaf = get(locs[0])[0]
            flat[leaf] = flat.get(leaf, 0) + w
    nodes = frames.nodes
    cum = [0] * len(nodes)
    for w, groups in by_value.items():
        for n, count in Counter(chain.from_iterable(groups)).items():
            cum[n] += count * w
    for node, c in zip(nodes, cum, strict=True):
        node.cum = c
    for n, f in flat.items():
        nodes[n].flat = f
    edges = _edges_general(live, frames) if kept is not None else _edges_fast(live, frames)
    for (_, dest), inlined in edges.items():
        node = nodes[dest]
        if inlined:
            node.inline_in = True
        else:
            node.direct_in = True
    return [n for n in nodes[1:] if n.flat != 0 or n.cum != 0]


def _edges_fast(live: list[Stack], frames: _Frames) -> dict[tuple[int, int], bool]:
    """Edges into nodes that are ever inlined; the only ones that decide a label.

    Only samples holding a location with such a node can add an edge into one, and within
    those only the frames of such locations need a look.
    """
    candidates = frames.candidates
    edges: dict[tuple[int, int], bool] = {}
    if not candidates:
        return edges
    relevant = {loc for loc, ids in frames.items() if not candidates.isdisjoint(ids)}
    inner_edges = frames.inner_edges
    for locs, _ in live:
        if relevant.isdisjoint(locs):
            continue
        seen: set[tuple[int, int]] = set()
        last = len(locs) - 1
        for i in range(last, -1, -1):
            loc = locs[i]
            if loc not in relevant:
                continue
            ids = frames[loc]
            outer = ids[-1]
            if i < last and outer in candidates:
                caller = frames[locs[i + 1]][0]
                if caller != outer:
                    _add_edge(edges, seen, (caller, outer), False)
            for pair in inner_edges[loc]:
                if pair[1] in candidates:
                    _add_edge(edges, seen, pair, True)
    return edges


def _add_edge(
    edges: dict[tuple[int, int], bool], seen: set[tuple[int, int]], pair: tuple[int, int], inl: bool
) -> None:
    if pair in seen:
        return
    seen.add(pair)
    if not inl or pair not in edges:
        edges[pair] = edges.get(pair, True) and inl


def _edges_general(live: list[Stack], frames: _Frames) -> dict[tuple[int, int], bool]:
    """Every edge of every sample, walking frames root first and skipping dropped ones."""
    edges: dict[tuple[int, int], bool] = {}
    for locs, _ in live:
        seen: set[tuple[int, int]] = set()
        parent = _DROPPED
        for i in range(len(locs) - 1, -1, -1):
            ids = frames[locs[i]]
            last = len(ids) - 1
            for j in range(last, -1, -1):
                n = ids[j]
                if n == _DROPPED:
                    continue
                if parent != _DROPPED and n != parent:
                    _add_edge(edges, seen, (parent, n), j != last)
                parent = n
    return edges


def sort_nodes(nodes: list[Node]) -> list[Node]:
    """pprof's flat order: |flat| descending, then name, then |cum| descending."""
    return sorted(nodes, key=lambda n: (-abs(n.flat), n.name, -abs(n.cum), repr(n.key)))

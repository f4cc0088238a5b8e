"""Function- and line-level call graphs built as pprof's internal/graph builds them.

Each frame of a sample becomes a node: a location contributes one node per line, innermost
(inlined) first. A sample adds its value once to the cum of every node it holds (recursion
counts once), and to the flat of its innermost frame. An edge between two frames of the same
location is an inlined call; a node whose every incoming edge is inlined is shown "(inline)".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from kit.pprof.model import Line, Location

# A node's identity. At function granularity pprof keys nodes by function name; nameless
# frames fall back to the binary they came from.
NodeKey = tuple[Hashable, ...]
Stack = tuple[Sequence[Location], int]


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


def build_graph(
    stacks: Iterable[Stack],
    frame_key: Callable[[Location, Line | None], tuple[NodeKey, str]] = function_key,
    kept: set[NodeKey] | None = None,
) -> list[Node]:
    """Nodes with non-zero flat or cum, unsorted; `kept` restricts the graph to those keys."""
    nodes: dict[NodeKey, Node] = {}
    # Per location, the frames root-most first: (node, reached by an inlined call).
    frames_of: dict[int, tuple[tuple[Node, bool], ...]] = {}
    edges: dict[tuple[int, int], bool] = {}

    def frames(loc: Location) -> tuple[tuple[Node, bool], ...]:
        lines: Sequence[Line | None] = loc.lines or (None,)
        out = []
        last = len(lines) - 1
        for ni in range(last, -1, -1):
            key, name = frame_key(loc, lines[ni])
            if kept is not None and key not in kept:
                out.append((_RESIDUAL, False))
                continue
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = Node(key, name)
            out.append((node, ni != last))
        result = tuple(out)
        frames_of[id(loc)] = result
        return result

    for locations, value in stacks:
        if value == 0:
            continue
        seen: set[int] = set()
        seen_edges: set[tuple[int, int]] = set()
        parent: Node | None = None
        residual = False
        for i in range(len(locations) - 1, -1, -1):
            loc = locations[i]
            for node, inlined in frames_of.get(id(loc)) or frames(loc):
                if node is _RESIDUAL:
                    residual = True
                    continue
                nid = id(node)
                if nid not in seen:
                    seen.add(nid)
                    node.cum += value
                if parent is not None and node is not parent:
                    pair = (id(parent), nid)
                    if pair not in seen_edges:
                        seen_edges.add(pair)
                        previous = edges.get(pair)
                        if previous is None:
                            edges[pair] = inlined
                        elif previous and not inlined:
                            edges[pair] = False
                parent = node
                residual = False
        if parent is not None and not residual:
            parent.flat += value

    by_id = {id(n): n for n in nodes.values()}
    for (_, dest), inlined in edges.items():
        node = by_id[dest]
        if inlined:
            node.inline_in = True
        else:
            node.direct_in = True
    return [n for n in nodes.values() if n.flat != 0 or n.cum != 0]


_RESIDUAL = Node(("<residual>",), "<residual>")


def sort_nodes(nodes: list[Node]) -> list[Node]:
    """pprof's flat order: |flat| descending, then name, then |cum| descending."""
    return sorted(nodes, key=lambda n: (-abs(n.flat), n.name, -abs(n.cum), repr(n.key)))

"""Take a checkpoint with the load paused: forced GC, exact memstats, counts and profiles."""

from __future__ import annotations

import re
import time
from pathlib import Path

from kit.errors import KitError, ProfileError
from kit.pprof import decode_profile
from kit.runner.http import Endpoint

# Read by runtime/pprof right after the forced GC and before the profile is written, so the
# figures hold live objects only (expvar's memstats would also count the garbage left by
# writing the heap profile just before).
_MEMSTATS = {
    "heap_alloc": "HeapAlloc",
    "heap_inuse": "HeapInuse",
    "heap_objects": "HeapObjects",
    "sys": "Sys",
    "num_gc": "NumGC",
}
_STACK = re.compile(r"^# Stack = (\d+) / \d+$", re.M)


def parse_memstats(text: str) -> dict[str, int]:
    """The `# Name = value` lines that close a debug=1 heap profile."""
    out: dict[str, int] = {}
    for metric, name in _MEMSTATS.items():
        m = re.search(rf"^# {name} = (\d+)$", text, re.M)
        if m is None:
            raise KitError(f"heap profile (debug=1) has no '# {name} =' line")
        out[metric] = int(m.group(1))
    m = _STACK.search(text)
    if m is None:
        raise KitError("heap profile (debug=1) has no '# Stack =' line")
    out["stack_inuse"] = int(m.group(1))
    return out


def prime(api: Endpoint) -> None:
    """Fetch every endpoint a checkpoint reads once, discarding the answers.

    The first call of each handler initialises state the program then keeps (profile
    builders, expvar's map, lazily built tables); doing it before the first checkpoint keeps
    that one-off growth out of the curves.
    """
    for path in (
        "/debug/pprof/heap?gc=1&debug=1",
        "/debug/pprof/heap",
        "/debug/pprof/allocs",
        "/debug/pprof/goroutine",
        "/debug/pprof/goroutineleak",
        "/debug/vars",
    ):
        api.request("GET", path)


_TOTAL = re.compile(rb"goroutine profile: total (\d+)")


def settle(api: Endpoint, wait: float = 0.1, limit: float = 1.5) -> int | None:
    """Wait until the goroutine count holds still between two reads `wait` apart.

    When the load pauses, goroutines serving the last requests may still be finishing; a
    checkpoint taken then would count them as growth. Gives up after `limit` seconds (a leak
    that grows on its own never holds still) and returns the last count read.
    """
    deadline = time.monotonic() + limit
    last: int | None = None
    while True:
        m = _TOTAL.search(api.get("/debug/pprof/goroutine?debug=1")[:200])
        count = int(m.group(1)) if m else None
        if count is None or count == last or time.monotonic() + wait > deadline:
            return count
        last = count
        time.sleep(wait)


def capture(
    api: Endpoint, folder: Path, index: int, rss: int | None
) -> tuple[dict[str, int], dict[str, str]]:
    """Metrics and saved profile names for checkpoint `index`; files go into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = parse_memstats(api.get("/debug/pprof/heap?gc=1&debug=1").decode(errors="replace"))
    profiles: dict[str, str] = {}
    for kind in ("heap", "allocs", "goroutine"):
        name = f"{kind}-{index}.pb.gz"
        data = api.get(f"/debug/pprof/{kind}")
        (folder / name).write_bytes(data)
        profiles[kind] = name
        if kind == "goroutine":
            metrics["goroutines"] = _goroutine_count(data, name)
    status, leak = api.request("GET", "/debug/pprof/goroutineleak")
    if status == 200:
        name = f"goroutineleak-{index}.pb.gz"
        (folder / name).write_bytes(leak)
        profiles["goroutineleak"] = name
    status, body = api.request("GET", "/debug/vars")
    if status == 200:
        (folder / f"vars-{index}.json").write_bytes(body)  # custom expvars, kept for reference
    if rss is not None:
        metrics["rss"] = rss
    return metrics, profiles


def _goroutine_count(data: bytes, name: str) -> int:
    try:
        profile = decode_profile(data, name)
    except ProfileError as exc:
        raise KitError(f"the program's goroutine profile is unreadable: {exc}") from None
    return sum(s.values[0] for s in profile.samples if s.values)

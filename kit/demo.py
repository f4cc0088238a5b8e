"""`leakkit demo`: build a leaky login service, load it, and diff two heap profiles."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from kit.paths import cache_dir, samples_dir
from kit.pprof import TopOptions, load_profile, top
from kit.render.pprof_text import pprof_command, render_top
from kit.runner import local
from kit.runner.http import Endpoint
from kit.toolchain import find_toolchain


def run_demo(requests: int, out: Path | None, progress: Callable[[str], None]) -> str:
    """Run the demo end to end and return the report to print."""
    toolchain = find_toolchain()
    out = out or Path(tempfile.mkdtemp(prefix="leakkit-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    progress(f"building go_samples/demo with {toolchain.version_text}")
    binary = local.build(toolchain, samples_dir(), "./demo", cache_dir() / "bin" / "demo")
    progress("starting the service on 127.0.0.1")
    proc = local.start(binary, out / "logs")
    try:
        api = Endpoint(proc.base_url)
        _login_many(api, 200, offset=0)  # warm up: first allocations of maps and buffers
        before = out / "heap-1.pb.gz"
        before.write_bytes(api.get("/debug/pprof/heap?gc=1"))
        heap_before = _heap_alloc(api)
        progress(f"heap snapshot 1 saved; sending {requests} logins")
        _login_many(api, requests, offset=200)
        after = out / "heap-2.pb.gz"
        after.write_bytes(api.get("/debug/pprof/heap?gc=1"))
        heap_after = _heap_alloc(api)
        progress("heap snapshot 2 saved")
        api.close()
    finally:
        proc.stop()
    report = top(load_profile(after), load_profile(before), TopOptions("inuse_space", nodecount=8))
    command = pprof_command(
        "-top",
        ["-nodefraction=0", "-sample_index=inuse_space", "-nodecount=8", "-base", str(before)],
        [str(after)],
    )
    per_request = (heap_after - heap_before) / requests
    return "\n".join(
        [
            f"After {requests} logins the live heap grew by {heap_after - heap_before:,} bytes: "
            f"{per_request:,.0f} bytes per login (HeapAlloc from /debug/vars, after a forced GC).",
            "The heap profile samples about one allocation per 512 KiB, so it shows where, "
            "not exactly how much:",
            "",
            render_top(report, command),
            "",
            f"Profiles: {out}",
            "Question for you: which function holds the memory, and why is it never freed?",
        ]
    )


def _heap_alloc(api: Endpoint) -> int:
    api.get("/debug/pprof/heap?gc=1")  # forces a GC so HeapAlloc counts only live objects
    vars_doc = json.loads(api.get("/debug/vars"))
    return int(vars_doc["memstats"]["HeapAlloc"])


def _login_many(api: Endpoint, count: int, offset: int) -> None:
    for i in range(offset, offset + count):
        status, _ = api.request("POST", f"/login?user=user{i}")
        if status != 200:
            raise RuntimeError(f"login {i} returned HTTP {status}")

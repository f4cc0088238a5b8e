"""Every trick the grader must reject, tried for real on the cache-map scenario.

Each test starts from a fresh workspace, applies a trick (on top of the reference fix where
the trick would otherwise hide behind a leak), grades it, and checks the rejection and the
reason the verdict gives.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kit.analysis.report import Findings
from kit.grading.grade import grade, measure
from kit.grading.patching import apply_patch
from kit.grading.verdict import Verdict
from kit.paths import cache_dir
from kit.runner.load import build_driver, spec_json
from kit.runner.local import LocalBackend
from kit.scenarios.catalog import get_scenario
from kit.scenarios.workspace import create_workspace
from kit.toolchain import find_toolchain

SCENARIO = "cache-map"
DIAGNOSIS = """# Diagnosis
## What leaks
Memory: an unbounded cache, the map only grows with no eviction.
## Where
`main.(*priceCache).Put`
## Evidence
Heap profile, inuse_space, `go tool pprof -base` between the first and last checkpoint.
## Fix
Bound the cache.
"""
HANDLER_START = "\treturn func(w http.ResponseWriter, r *http.Request) {\n"


def _workspace(tmp_path: Path, fixed: bool) -> Path:
    scenario = get_scenario(SCENARIO)
    ws = create_workspace(scenario, tmp_path / "ws")
    if fixed:
        apply_patch(scenario.folder / "solution.patch", ws.path)
    (ws.path / "diagnosis.md").write_text(DIAGNOSIS)
    return ws.path


def _edit(path: Path, old: str, new: str, imports: tuple[str, ...] = ()) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    text = text.replace(old, new, 1)
    for imp in imports:
        text = text.replace("import (\n", f'import (\n\t"{imp}"\n', 1)
    path.write_text(text)


def _by_id(v: Verdict) -> dict[str, tuple[str, str]]:
    return {c.id: (c.status, c.message) for c in v.checks}


def delete_the_feature(ws: Path) -> None:
    _edit(ws / "main.go", "\tc.entries[key] = e\n", "\t_ = key\n")


def call_runtime_gc(ws: Path) -> None:
    _edit(ws / "main.go", HANDLER_START, HANDLER_START + "\t\tdefer runtime.GC()\n", ("runtime",))


def free_os_memory(ws: Path) -> None:
    _edit(
        ws / "main.go",
        HANDLER_START,
        HANDLER_START + "\t\tdefer debug.FreeOSMemory()\n",
        ("runtime/debug",),
    )


def exit_and_restart(ws: Path) -> None:
    _edit(
        ws / "main.go",
        HANDLER_START,
        HANDLER_START
        + '\t\tif stats.Get("misses") != nil && stats.Get("misses").String() == "4000" {\n\t\t\tos.Exit(0)\n\t\t}\n',
        ("os",),
    )


def lower_mem_profile_rate(ws: Path) -> None:
    _edit(
        ws / "main.go",
        "func main() {\n",
        "func init() { runtime.MemProfileRate = 0 }\n\nfunc main() {\n",
        ("runtime",),
    )


def remove_pprof(ws: Path) -> None:
    _edit(ws / "serve.go", '\t_ "net/http/pprof"\n', "")


def refuse_requests(ws: Path) -> None:
    _edit(
        ws / "main.go",
        "\t\tkey := strconv.Itoa(id)\n",
        '\t\tif id%3 != 0 {\n\t\t\twriteError(w, http.StatusServiceUnavailable, "busy")\n\t\t\treturn\n\t\t}\n\t\tkey := strconv.Itoa(id)\n',
    )


def slow_down(ws: Path) -> None:
    _edit(ws / "main.go", HANDLER_START, HANDLER_START + "\t\ttime.Sleep(10 * time.Millisecond)\n")


def only_the_load_keys(ws: Path) -> None:
    """Skip caching exactly the products the scenario's load asks for (and nothing else)."""
    scenario = get_scenario(SCENARIO)
    toolchain = find_toolchain()
    driver = build_driver(toolchain, cache_dir() / "bin")
    spec = ws.parent / "spec.json"
    spec.write_text(json.dumps(spec_json(scenario.load)))
    total = scenario.load.warmup + scenario.load.phases * scenario.load.per_phase
    dry = subprocess.run(
        [str(driver), "-target", "http://127.0.0.1:1", "-spec", str(spec), "-dry", str(total)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    keys = sorted({int(m.group(1)) for m in re.finditer(r"/products/(\d+)/price", dry.stdout)})
    listing = ",".join(map(str, keys))
    (ws / "main.go").write_text(
        (ws / "main.go").read_text()
        + f"\nvar uncached = map[int]bool{{{listing[:0]}}}\n\nfunc init() {{\n\tfor _, k := range []int{{{listing}}} {{\n\t\tuncached[k] = true\n\t}}\n}}\n"
    )
    _edit(
        ws / "main.go",
        "\t\t\tentry = cache.Put(key, bytes.TrimSpace(buf.Bytes()))\n",
        "\t\t\tif uncached[id] {\n\t\t\t\tentry = &cachedSheet{body: append([]byte(nil), bytes.TrimSpace(buf.Bytes())...), storedAt: time.Now()}\n\t\t\t} else {\n\t\t\t\tentry = cache.Put(key, bytes.TrimSpace(buf.Bytes()))\n\t\t\t}\n",
    )


TRICKS: list[tuple[str, Callable[[Path], None], bool, str, str]] = [
    ("delete-the-feature", delete_the_feature, False, "behaviour", "answered from the cache"),
    ("runtime-gc", call_runtime_gc, True, "leak_gone", "calls runtime.GC()"),
    ("free-os-memory", free_os_memory, True, "leak_gone", "calls debug.FreeOSMemory()"),
    ("exit-and-restart", exit_and_restart, False, "leak_gone", "exits the process"),
    (
        "lower-mem-profile-rate",
        lower_mem_profile_rate,
        False,
        "leak_gone",
        "changes runtime.MemProfileRate",
    ),
    ("remove-pprof", remove_pprof, True, "behaviour", "serve.go (changed)"),
    ("refuse-requests", refuse_requests, True, "behaviour", "requests failed"),
    ("slow-down", slow_down, True, "behaviour", "slowing the service down does not count"),
    (
        "only-the-load-keys",
        only_the_load_keys,
        False,
        "leak_gone",
        "with the load with other keys and seed",
    ),
]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Findings:
    """One run of the unchanged program, shared by every trick (grade would make its own)."""
    scenario = get_scenario(SCENARIO)
    backend = LocalBackend(find_toolchain(), cache_dir() / "bin")
    return measure(scenario.program_dir, scenario, tmp_path_factory.mktemp("original"), backend)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "trick", "on_fix", "check", "reason"), TRICKS, ids=[t[0] for t in TRICKS]
)
def test_trick_is_rejected(
    tmp_path: Path,
    original: Findings,
    name: str,
    trick: Callable[[Path], None],
    on_fix: bool,
    check: str,
    reason: str,
) -> None:
    ws = _workspace(tmp_path, fixed=on_fix)
    trick(ws)
    verdict = grade(ws, original=original)
    checks = _by_id(verdict)
    assert verdict.status == "fail", checks
    status, message = checks[check]
    assert status == "fail", checks
    assert reason in message, message

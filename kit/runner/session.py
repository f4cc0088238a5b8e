"""Resolve what `leakkit run` was pointed at, run it on a backend, and analyse the recording."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kit.analysis.report import Findings, analyse
from kit.errors import KitError, UsageError
from kit.paths import cache_dir
from kit.runner.backends import BACKENDS, make_backend
from kit.runner.load import build_driver
from kit.runner.run import Progress, RunRequest, execute
from kit.scenarios.catalog import get_scenario
from kit.scenarios.manifest import load_plan_from_file
from kit.scenarios.workspace import is_workspace, open_workspace
from kit.toolchain import find_toolchain

__all__ = ["BACKENDS", "resolve", "run_request"]


def resolve(
    target: str | None, program: Path | None, load_file: Path | None, out: Path | None
) -> RunRequest:
    """A RunRequest for a scenario id, a workspace folder, or --program with --load."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if program is not None:
        if target is not None:
            raise UsageError("give either a scenario/workspace or --program, not both")
        if load_file is None:
            raise UsageError("--program needs --load FILE (a TOML file with a [load] table)")
        if not program.is_dir():
            raise UsageError(f"{program}: not a folder with a Go main package")
        plan = load_plan_from_file(load_file)
        return RunRequest(program.resolve(), plan, _out(out, program.name, stamp), None)
    if load_file is not None:
        raise UsageError("--load goes with --program")
    if target is None:
        if not is_workspace(Path.cwd()):
            raise UsageError(
                "name a scenario (see `leakkit list`) or a workspace folder, "
                "or run inside a workspace"
            )
        target = "."
    path = Path(target)
    if path.is_dir():
        if not is_workspace(path):
            raise KitError(
                f"{path}: not a leakkit workspace",
                "for your own program use --program DIR --load FILE",
            )
        ws = open_workspace(path)
        scenario = get_scenario(ws.scenario_id)
        return RunRequest(
            path.resolve(),
            scenario.load,
            _out(out, scenario.id, stamp),
            scenario.id,
            scenario.limits,
        )
    scenario = get_scenario(target)
    return RunRequest(
        scenario.program_dir,
        scenario.load,
        _out(out, scenario.id, stamp),
        scenario.id,
        scenario.limits,
    )


def _out(out: Path | None, name: str, stamp: str) -> Path:
    folder = out or Path("leakkit-runs") / f"{name}-{stamp}"
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder}: already holds files; choose an empty --out folder")
    return folder


def run_request(
    request: RunRequest,
    backend: str = "local",
    progress: Progress | None = None,
    ready_timeout: float | None = None,
) -> Findings:
    """Build and run on `backend`, then analyse; the recording is saved under request.out."""
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    toolchain = find_toolchain()
    driver = build_driver(toolchain, cache_dir() / "bin")
    runner = make_backend(backend, toolchain, request.limits, ready_timeout)
    try:
        recording = execute(request, runner, driver, toolchain.version_text, progress)
    finally:
        runner.close()
    return analyse(recording)

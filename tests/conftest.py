"""Shared fixtures: the Go toolchain, a pprof binary built from it, and real profiles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kit.toolchain import Toolchain, find_toolchain

ROOT = Path(__file__).resolve().parent.parent
GOFIXTURES = ROOT / "tests" / "gofixtures"


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    return find_toolchain()


@pytest.fixture(scope="session")
def pprof_bin(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real pprof of this toolchain (`go tool pprof`), built once per test session."""
    out = tmp_path_factory.mktemp("pprof") / "pprof"
    done = toolchain.run("build", "-o", str(out), "cmd/pprof", timeout=900)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def fixture_profiles(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Heap, allocs and goroutine profiles (two rounds each) from tests/gofixtures/profilegen."""
    out = tmp_path_factory.mktemp("profiles")
    done = toolchain.run("run", "./profilegen", "-out", str(out), cwd=GOFIXTURES, timeout=900)
    assert done.returncode == 0, done.stderr
    return out


def run_pprof(pprof_bin: Path, *args: str) -> str:
    done = subprocess.run(
        [str(pprof_bin), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout

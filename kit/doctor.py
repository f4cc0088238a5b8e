"""`leakkit doctor`: is this machine ready to run, grade and sandbox? One fix per problem."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kit.errors import KitError
from kit.paths import cache_dir
from kit.toolchain import find_toolchain

MIN_FREE_BYTES = 2 << 30
MIN_DOCKER_API = (1, 41)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing doctor looked at: `ok`, what it saw, and the fix when it is not ok."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # False: only the docker backend needs it


def check_go() -> Finding:
    try:
        tc = find_toolchain()
    except KitError as exc:
        return Finding("go toolchain", False, exc.message, exc.hint or "")
    return Finding("go toolchain", True, f"{tc.version_text} from {tc.origin} ({tc.go})")


def check_patch() -> Finding:
    """git (preferred) or patch: `leakkit validate` applies the scenarios' fixes with one."""
    for tool in ("git", "patch"):
        found = shutil.which(tool)
        if found:
            return Finding("git or patch", True, f"{tool} at {found} (applies scenario patches)")
    return Finding(
        "git or patch",
        False,
        "neither git nor patch is on PATH (validate applies the scenarios' fixes with one)",
        "install one: `apt-get install git` (Debian/Ubuntu) or your system's package",
        required=False,
    )


def check_disk(paths: list[Path] | None = None) -> list[Finding]:
    out = []
    for path in paths or [cache_dir(), Path(os.environ.get("TMPDIR", "/tmp"))]:
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        text = f"{free / (1 << 30):.1f} GiB free at {probe}"
        if free >= MIN_FREE_BYTES:
            out.append(Finding(f"disk ({path})", True, text))
        else:
            out.append(
                Finding(
                    f"disk ({path})",
                    False,
                    text + f"; builds, images and recordings need about {MIN_FREE_BYTES >> 30} GiB",
                    "free some space, or point LEAKKIT_CACHE and TMPDIR at a larger disk",
                )
            )
    return out


def check_docker() -> list[Finding]:
    """The engine: reachable, allowed, recent enough, and on this machine."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        import docker
    except ImportError:
        return [
            Finding(
                "docker engine",
                False,
                "the docker Python package is missing",
                "reinstall leakkit (`make dev`)",
                False,
            )
        ]
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        text = str(exc)
        if "Permission denied" in text or "PermissionError" in text:
            fix = "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)"
        elif "No such file" in text or "FileNotFoundError" in text or "Connection refused" in text:
            fix = "start the engine: `sudo systemctl start docker`, or `sudo dockerd &`; install it with `apt-get install docker.io`"
        else:
            fix = "check DOCKER_HOST and the engine's logs"
        last = text.strip().splitlines()[-1][:200] if text.strip() else type(exc).__name__
        return [
            Finding("docker engine", False, f"no engine answers at {where}: {last}", fix, False)
        ]
    version = client.version()
    api = tuple(int(p) for p in str(version.get("ApiVersion", "0.0")).split(".")[:2])
    found = [
        Finding(
            "docker engine",
            api >= MIN_DOCKER_API,
            f"Docker {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}) at {where}",
            "" if api >= MIN_DOCKER_API else "upgrade the engine to Docker 20.10 or later",
            False,
        )
    ]
    from kit.runner.container import is_local_engine

    local = is_local_engine(client)
    found.append(
        Finding(
            "docker engine on this machine",
            local,
            "yes" if local else "the engine is remote",
            "" if local else "run leakkit on the engine's machine (docs/docker.md)",
            False,
        )
    )
    client.close()
    return found


def run_checks() -> list[Finding]:
    return [check_go(), check_patch(), *check_disk(), *check_docker()]

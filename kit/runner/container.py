"""The Docker backend: the program runs in a locked-down container, reached over a Unix socket.

Images are made without a registry: the program is built as a static Linux binary with the
local toolchain and packed into an image `FROM scratch`. The container has no network (only its
own loopback), a read-only root with a small tmpfs at /tmp, no capabilities, no new privileges,
a non-root user, and memory, pids and CPU limits. The kit talks to it through a Unix socket in a
folder mounted from this machine, so nothing is exposed beyond it. Everything the backend makes
carries the label `dev.leakkit.managed` and the owner `HOST:PID`; it is removed on close, and
leftovers of owners that no longer run are swept when the next backend starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kit.errors import KitError
from kit.runner.local import BuildFailed, CappedLog, StartFailed, trim_output
from kit.scenarios.manifest import Limits
from kit.toolchain import Toolchain

MANAGED = "dev.leakkit.managed"
OWNER = "dev.leakkit.owner"
SOCKET_DIR_IN_CONTAINER = "/run/leakkit"
TMPFS_BYTES = 16 << 20
NOBODY = "65534:65534"
# Settings of the Go runtime and the calibration program that a run passes into the container.
PASSED_ENV = ("GOGC", "GODEBUG", "GOMEMLIMIT", "GOMAXPROCS")
PASSED_ENV_PREFIX = "LEAKKIT_CAL_"
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DockerUnavailable(KitError):
    """No Docker engine could be reached; the message says how to get one."""


def owner_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def connect() -> Any:
    """A Docker client from the usual settings (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)."""
    import docker  # imported here: the local backend must work without an engine

    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:
        raise DockerUnavailable(
            f"no Docker engine answers at {where}: {_short(exc)}",
            "start one (`dockerd &`, or `sudo systemctl start docker`), or set DOCKER_HOST; "
            "`leakkit doctor` checks the setup",
        ) from None
    return client


def is_local_engine(client: Any) -> bool:
    """Whether the engine shares this machine's filesystem (needed for the socket folder).

    A Unix socket or a loopback TCP address is this machine; LEAKKIT_DOCKER_SHARED_FS=1 says
    so for an engine elsewhere that mounts the same /tmp (docker-in-docker, for example).
    """
    if os.environ.get("LEAKKIT_DOCKER_SHARED_FS") == "1":
        return True
    base = str(getattr(client.api, "base_url", ""))
    if base.startswith("http+docker://"):  # docker-py's name for a Unix socket or named pipe
        return True
    host = urlsplit(base).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__


def _alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(client: Any) -> int:
    """Remove containers and images left by kit processes that no longer run; how many."""
    removed = 0
    for c in client.containers.list(all=True, filters={"label": MANAGED}):
        if not _alive(c.labels.get(OWNER, "")):
            with contextlib.suppress(Exception):
                c.remove(force=True)
                removed += 1
    for image in client.images.list(filters={"label": MANAGED}):
        if not _alive((image.labels or {}).get(OWNER, "")):
            with contextlib.suppress(Exception):
                client.images.remove(image.id, force=True)
                removed += 1
    for folder in Path(tempfile.gettempdir()).glob("leakkit-sock-*"):
        pid = folder.name.split("-")[2] if folder.name.count("-") >= 3 else ""
        if pid.isdigit() and not _alive(f"{socket.gethostname()}:{pid}"):
            shutil.rmtree(folder, ignore_errors=True)
    return removed


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace") + "\n"
    if pending:
        yield pending.decode(errors="replace")


def cgroup_memory(
    pid: int, root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc")
) -> int | None:
    """Memory usage less inactive file cache of the cgroup `pid` is in (cgroup v1 or v2)."""
    if pid <= 0:
        return None
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):  # v1: memory.usage_in_bytes
            folder, usage_file, inactive_key = (
                root / "memory",
                "memory.usage_in_bytes",
                "total_inactive_file",
            )
        elif controllers == "" and (root / "cgroup.controllers").exists():  # v2, unified
            folder, usage_file, inactive_key = root, "memory.current", "inactive_file"
        else:
            continue
        folder = folder / path.lstrip("/")
        try:
            usage = int((folder / usage_file).read_text())
            stat = dict(
                row.split()
                for row in (folder / "memory.stat").read_text().splitlines()
                if " " in row
            )
        except (OSError, ValueError):
            return None
        return usage - int(stat.get(inactive_key, 0))
    return None


@dataclass
class Container:
    """A program running in a container; the kit reaches it through `socket_path`."""

    container: Any
    socket_dir: Path
    limits: Limits
    stdout: CappedLog
    stderr: CappedLog
    _state: dict[str, Any] = field(default_factory=dict)
    _removed: bool = False
    exit_code_seen: int | None = None

    @property
    def socket_path(self) -> Path:
        return self.socket_dir / "app.sock"

    @property
    def base_url(self) -> str:
        return f"unix:{self.socket_path}"

    def _refresh(self) -> dict[str, Any]:
        if not self._removed:
            with contextlib.suppress(Exception):
                self.container.reload()
                self._state = dict(self.container.attrs.get("State") or {})
        return self._state

    def exit_code(self) -> int | None:
        state = self._refresh()
        if state.get("Status") in ("exited", "dead"):
            return int(state.get("ExitCode", -1))
        return None

    def rss_bytes(self) -> int | None:
        """The container's memory usage, less inactive page cache (as `docker stats` shows).

        Read from the container's memory cgroup when this machine can see it (instant), else
        through the Engine API's stats (which takes about a second).
        """
        from_cgroup = cgroup_memory(int(self._refresh().get("Pid") or 0))
        if from_cgroup is not None:
            return from_cgroup
        try:
            stats = self.container.stats(stream=False, one_shot=True)
        except Exception:
            return None
        mem = stats.get("memory_stats") or {}
        usage = mem.get("usage")
        if usage is None:
            return None
        detail = mem.get("stats") or {}
        inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
        return int(usage) - int(inactive)

    def oom_killed(self) -> bool:
        return bool(self._refresh().get("OOMKilled"))

    def memory_limit(self) -> int | None:
        return self.limits.memory_bytes

    def stderr_tail(self, lines: int = 15) -> str:
        return self.stderr.tail(lines)

    def stop(self, grace: float = 5.0) -> int | None:
        """Stop (SIGTERM, then SIGKILL after `grace`), keep the exit status, remove it all."""
        if self._removed:
            return self.exit_code_seen
        with contextlib.suppress(Exception):
            self.container.stop(timeout=int(grace))
        code: int | None = None
        with contextlib.suppress(Exception):
            code = int(self.container.wait(timeout=grace + 5).get("StatusCode", -1))
        self._refresh()
        self.stdout.join(2.0)
        self.stderr.join(2.0)
        with contextlib.suppress(Exception):
            self.container.remove(force=True)
        self._removed = True
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.exit_code_seen = code
        return code


class DockerBackend:
    """Builds a static binary locally, packs it into an image from scratch, runs it sandboxed."""

    name = "docker"

    def __init__(
        self,
        toolchain: Toolchain,
        bin_dir: Path,
        limits: Limits | None = None,
        ready_timeout: float = 30.0,
        client: Any = None,
    ) -> None:
        self.toolchain = toolchain
        self.bin_dir = bin_dir
        self.limits = limits or Limits()
        self.ready_timeout = ready_timeout
        self.client = client or connect()
        if not is_local_engine(self.client):
            raise DockerUnavailable(
                "the Docker engine is on another machine; the kit reaches programs through a "
                "Unix socket in a folder it mounts, so it must run where the engine runs",
                "run leakkit on the engine's machine (docs/docker.md, 'A remote engine')",
            )
        info = self.client.info()
        self.goarch = _GOARCH.get(str(info.get("Architecture", "")), "amd64")
        self.owner = owner_tag()
        self._images: dict[str, str] = {}
        self._containers: list[Container] = []
        self._lock = threading.Lock()
        sweep(self.client)

    # -- building ---------------------------------------------------------------------------

    def _static_env(self) -> dict[str, str]:
        return {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": self.goarch}

    def build(self, program_dir: Path) -> Path:
        key = hashlib.sha256(str(program_dir.resolve()).encode()).hexdigest()[:16]
        out = self.bin_dir / f"{program_dir.name}-{key}-linux-{self.goarch}-static"
        out.parent.mkdir(parents=True, exist_ok=True)
        done = self.toolchain.run(
            "build", "-trimpath", "-o", str(out), ".", cwd=program_dir, env=self._static_env()
        )
        if done.returncode != 0:
            raise BuildFailed(str(program_dir), trim_output(done.stderr or done.stdout))
        return out

    def image_for(self, binary: Path) -> str:
        """An image holding only `binary` (as /app), built from scratch; cached per content."""
        data = binary.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        with self._lock:
            if digest in self._images:
                return self._images[digest]
        tag = f"leakkit/program:{digest}-{os.getpid()}"
        # An image from scratch in one Engine API call: import a filesystem holding only /app,
        # with the Dockerfile's instructions as changes (FROM scratch, COPY app /app, USER,
        # ENTRYPOINT). The builder would commit a container per instruction, ten times slower.
        layer = io.BytesIO()
        with tarfile.open(fileobj=layer, mode="w") as tar:
            entry = tarfile.TarInfo("app")
            entry.size, entry.mode = len(data), 0o755
            tar.addfile(entry, io.BytesIO(data))
        changes = [
            f'LABEL {MANAGED}="1" {OWNER}="{self.owner}"',
            f"USER {NOBODY}",
            'ENTRYPOINT ["/app"]',
        ]
        repository, version = tag.rsplit(":", 1)
        try:
            self.client.api.import_image_from_data(
                layer.getvalue(), repository=repository, tag=version, changes=changes
            )
            self.client.images.get(tag)
        except Exception as exc:
            raise KitError(f"could not build an image for {binary.name}: {_short(exc)}") from None
        with self._lock:
            self._images[digest] = tag
        return tag

    # -- running ----------------------------------------------------------------------------

    def _user(self) -> str:
        uid = os.getuid()
        return NOBODY if uid == 0 else f"{uid}:{os.getgid()}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.startswith(PASSED_ENV_PREFIX)}
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        env["LEAKKIT_LISTEN"] = f"unix:{SOCKET_DIR_IN_CONTAINER}/app.sock"
        return env

    def run_options(self, socket_dir: Path) -> dict[str, Any]:
        """The sandbox: the keyword arguments every container of the kit is created with."""
        limits = self.limits
        return {
            "user": self._user(),
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,noexec,mode=1777,size={TMPFS_BYTES}"},
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "mem_limit": limits.memory_bytes,
            "memswap_limit": limits.memory_bytes,
            "pids_limit": limits.pids,
            "nano_cpus": int(limits.cpus * 1e9),
            "volumes": {str(socket_dir): {"bind": SOCKET_DIR_IN_CONTAINER, "mode": "rw"}},
            "labels": {MANAGED: "1", OWNER: self.owner},
            "environment": self._env(),
        }

    def _socket_dir(self) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=f"leakkit-sock-{os.getpid()}-"))
        folder.chmod(0o777)  # the program runs as another user and creates its socket here
        return folder

    def create(self, binary: Path, command: list[str] | None = None) -> tuple[Any, Path]:
        image = self.image_for(binary)
        socket_dir = self._socket_dir()
        try:
            container = self.client.containers.create(
                image, command=command, detach=True, **self.run_options(socket_dir)
            )
        except Exception as exc:
            shutil.rmtree(socket_dir, ignore_errors=True)
            raise KitError(
                f"could not create a container for {binary.name}: {_short(exc)}"
            ) from None
        return container, socket_dir

    def launch(self, target: Path, run_dir: Path) -> Container:
        log_dir = run_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        container, socket_dir = self.create(target)
        container.start()
        out = CappedLog(
            _lines(container.logs(stream=True, follow=True, stdout=True, stderr=False)),
            log_dir / "stdout.log",
        )
        err = CappedLog(
            _lines(container.logs(stream=True, follow=True, stdout=False, stderr=True)),
            log_dir / "stderr.log",
        )
        inst = Container(container, socket_dir, self.limits, out, err)
        self._containers.append(inst)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if (out.listening.is_set() or err.listening.is_set()) and inst.socket_path.exists():
                return inst
            code = inst.exit_code()
            if code is not None:
                err.join(2.0)
                oom = " (OOM-killed)" if inst.oom_killed() else ""
                inst.stop()
                raise StartFailed(
                    f"{target.name} exited with status {code}{oom} before listening; "
                    f"its stderr ends with:\n{err.tail()}",
                    code,
                )
            time.sleep(0.05)
        inst.stop()
        raise StartFailed(
            f"{target.name} did not say 'listening on ADDR' within {self.ready_timeout:.0f}s "
            f"in its container; its stderr ends with:\n{err.tail()}"
        )

    def run_once(self, binary: Path, args: list[str], timeout: float) -> tuple[int | None, str]:
        """Run `binary ARGS` to completion in the sandbox: (exit status or None on timeout, output)."""
        container, socket_dir = self.create(binary, args)
        try:
            container.start()
            try:
                code: int | None = int(container.wait(timeout=timeout).get("StatusCode", -1))
            except Exception:
                code = None
                with contextlib.suppress(Exception):
                    container.kill()
            output = container.logs(stdout=True, stderr=True).decode(errors="replace")
            return code, output
        finally:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            shutil.rmtree(socket_dir, ignore_errors=True)

    def run_tests(self, folder: Path, timeout: float = 90.0) -> tuple[bool, str]:
        """Compile the package's tests on this machine, run the test binary in the sandbox."""
        if not any(folder.glob("*_test.go")):
            return True, "no Go tests"
        binary = self.bin_dir / f"tests-{hashlib.sha256(str(folder).encode()).hexdigest()[:16]}"
        binary.parent.mkdir(parents=True, exist_ok=True)
        done = self.toolchain.run(
            "test", "-c", "-trimpath", "-o", str(binary), ".", cwd=folder, env=self._static_env()
        )
        if done.returncode != 0:
            return False, trim_output(done.stdout + done.stderr, 25)
        code, output = self.run_once(
            binary, ["-test.count=1", f"-test.timeout={int(timeout - 10)}s"], timeout
        )
        if code is None:
            return False, f"go test did not finish within {timeout:.0f}s"
        return code == 0, trim_output(output, 25)

    def close(self) -> None:
        for inst in self._containers:
            inst.stop(grace=2.0)
        self._containers.clear()
        for tag in self._images.values():
            with contextlib.suppress(Exception):
                self.client.images.remove(tag, force=True)
        self._images.clear()

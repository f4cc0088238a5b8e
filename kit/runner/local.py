"""The local backend: build a Go main package with the found toolchain and run it on loopback."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kit.errors import KitError
from kit.toolchain import Toolchain

_LISTENING = re.compile(r"listening on (\S+)")
OUTPUT_CAP = 256 * 1024
LOOPBACK = "127.0.0.1:0"  # port 0: the system picks a free port


class BuildFailed(KitError):
    """The program did not compile; `output` holds the compiler's messages (trimmed)."""

    def __init__(self, package: str, output: str) -> None:
        super().__init__(
            f"{package}: does not compile (fix the errors below and run again):\n{output}"
        )
        self.output = output


class StartFailed(KitError):
    """The program exited or never listened; the message carries its stderr tail."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.program_exit = exit_code  # the program's exit status (KitError.exit_code is ours)


def trim_output(text: str, max_lines: int = 40) -> str:
    lines = text.strip().splitlines()
    if len(lines) <= max_lines:
        return "\n".join(lines)
    return "\n".join([*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"])


def build(toolchain: Toolchain, module_dir: Path, package: str, out: Path) -> Path:
    """`go build` one main package of a module into `out` (Go's build cache is reused)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = toolchain.run("build", "-o", str(out), package, cwd=module_dir)
    if done.returncode != 0:
        raise BuildFailed(str(module_dir / package), trim_output(done.stderr or done.stdout))
    return out


class CappedLog:
    """Copies a child's stream to a file, keeping at most OUTPUT_CAP bytes, and remembers it."""

    def __init__(self, stream: object, path: Path) -> None:
        self.path = path
        self.text = ""
        self.listening = threading.Event()
        self.address = ""
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: object) -> None:
        written = 0
        with self.path.open("w", encoding="utf-8", errors="replace") as sink:
            for line in stream:  # type: ignore[attr-defined]
                if not self.listening.is_set():
                    m = _LISTENING.search(line)
                    if m:
                        self.address = m.group(1)
                        self.listening.set()
                if written < OUTPUT_CAP:
                    sink.write(line)
                    sink.flush()
                    written += len(line)
                self.text = (self.text + line)[-8192:]

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.text.strip().splitlines()[-lines:])

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@dataclass
class Process:
    """A running program: its address, its process, and the files its output goes to."""

    binary: Path
    popen: subprocess.Popen[str]
    address: str
    stdout: CappedLog
    stderr: CappedLog

    @property
    def base_url(self) -> str:
        # A Unix socket's address prints as its path (LEAKKIT_LISTEN=unix:/path).
        return f"unix:{self.address}" if self.address.startswith("/") else f"http://{self.address}"

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def rss_bytes(self) -> int | None:
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) * 1024 if m else None

    def oom_killed(self) -> bool:
        return False

    def memory_limit(self) -> int | None:
        return None

    def stderr_tail(self, lines: int = 15) -> str:
        return self.stderr.tail(lines)

    def stop(self, grace: float = 5.0) -> int | None:
        """Ask the program to stop (SIGTERM), then kill it after `grace` seconds."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(grace)
        self.stdout.join(1.0)
        self.stderr.join(1.0)
        return self.popen.returncode


def start(
    binary: Path,
    log_dir: Path,
    env: dict[str, str] | None = None,
    ready_timeout: float = 20.0,
    listen: str = LOOPBACK,
) -> Process:
    """Start `binary` on `listen` and wait until it says it is listening.

    The kit always picks the address: a LEAKKIT_LISTEN left in the user's shell (a port that
    may be busy) is overridden, so by default the program gets a free loopback port.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ)
    if env:
        child_env.update(env)
    child_env["LEAKKIT_LISTEN"] = listen
    popen = subprocess.Popen(
        [str(binary)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env=child_env,
        start_new_session=True,
    )
    out = CappedLog(popen.stdout, log_dir / "stdout.log")
    err = CappedLog(popen.stderr, log_dir / "stderr.log")
    proc = Process(binary, popen, "", out, err)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        for log in (err, out):
            if log.listening.is_set():
                proc.address = log.address
                return proc
        if popen.poll() is not None:
            err.join(1.0)
            out.join(1.0)
            raise StartFailed(
                f"{binary.name} exited with status {popen.returncode} before listening; "
                f"its stderr ends with:\n{err.tail()}",
                popen.returncode,
            )
        time.sleep(0.02)
    proc.stop()
    raise StartFailed(
        f"{binary.name} did not say 'listening on ADDR' within {ready_timeout:.0f}s; "
        f"its stderr ends with:\n{err.tail()}"
    )


def go_test(toolchain: Toolchain, folder: Path, timeout: float = 90.0) -> tuple[bool, str]:
    """`go test ./...` in the grading copy; (passed, trimmed output)."""
    has_tests = any(folder.rglob("*_test.go"))
    if not has_tests:
        return True, "no Go tests"
    try:
        done = toolchain.run(
            "test",
            "-count=1",
            f"-timeout={int(timeout - 10)}s",
            "./...",
            cwd=folder,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"go test did not finish within {timeout:.0f}s"
    output = trim_output(done.stdout + done.stderr, 25)
    return done.returncode == 0, output


class LocalBackend:
    """Builds with the found Go toolchain; runs the program as a child bound to 127.0.0.1."""

    name = "local"

    def __init__(
        self,
        toolchain: Toolchain,
        bin_dir: Path,
        ready_timeout: float = 30.0,
        listen: str = LOOPBACK,
    ) -> None:
        self.toolchain = toolchain
        self.bin_dir = bin_dir
        self.ready_timeout = ready_timeout
        self.listen = listen  # LOOPBACK, or "unix:/path" for a socket of the kit's choosing

    def build(self, program_dir: Path) -> Path:
        key = hashlib.sha256(str(program_dir.resolve()).encode()).hexdigest()[:16]
        out = self.bin_dir / f"{program_dir.name}-{key}"
        return build(self.toolchain, program_dir, ".", out)

    def launch(self, target: Path, run_dir: Path) -> Process:
        return start(target, run_dir / "logs", ready_timeout=self.ready_timeout, listen=self.listen)

    def run_tests(self, folder: Path, timeout: float = 90.0) -> tuple[bool, str]:
        return go_test(self.toolchain, folder, timeout)

    def close(self) -> None:
        """Nothing to remove: built binaries stay in the cache for the next run."""

"""What a backend gives the runner: a built program it can launch, and a running instance."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Instance(Protocol):
    """A running program the kit can reach over HTTP."""

    @property
    def base_url(self) -> str: ...

    def exit_code(self) -> int | None:
        """None while running; the exit status once it has stopped."""

    def rss_bytes(self) -> int | None:
        """Resident memory now (the container's usage on Docker), or None if unknown."""

    def oom_killed(self) -> bool:
        """Whether the program was killed for exceeding its memory limit."""

    def memory_limit(self) -> int | None:
        """The memory limit the program runs under, in bytes, or None if it has none."""

    def stderr_tail(self, lines: int = 15) -> str: ...

    def stop(self) -> int | None:
        """Stop gracefully, then kill; return the exit status."""


class Backend(Protocol):
    """Builds a Go main package and launches it."""

    name: str

    def build(self, program_dir: Path) -> Path:
        """Build the program; raise BuildFailed with the compiler's output on error."""

    def launch(self, target: Path, run_dir: Path) -> Instance:
        """Start the program, wait until it listens; raise StartFailed otherwise."""

    def run_tests(self, folder: Path, timeout: float = 90.0) -> tuple[bool, str]:
        """Run the Go tests of the package in `folder`: (passed, trimmed output)."""

    def close(self) -> None:
        """Remove whatever the backend made (containers, images); safe to call twice."""

"""The kit's one error family: a KitError becomes one clear line and a non-zero exit."""

from __future__ import annotations


class KitError(Exception):
    """A failure of the kit or of its input (not of a learner's program).

    `message` says what is wrong and where; `hint` (optional) says what to do about it.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ProfileError(KitError):
    """A profile file that cannot be read, decoded or trusted."""


class ToolchainError(KitError):
    """No usable Go toolchain, or a toolchain command that failed."""


class UsageError(KitError):
    """Options that do not fit together or do not fit the input."""

"""Run settings read from the environment (documented in docs/authoring.md)."""

from __future__ import annotations

import math
import os

from kit.errors import UsageError

READY_TIMEOUT = "LEAKKIT_READY_TIMEOUT"
PHASE_TIMEOUT = "LEAKKIT_PHASE_TIMEOUT"


def env_seconds(name: str, default: float) -> float:
    """A number of seconds from environment variable `name`, or `default` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise UsageError(
            f"{name}={raw!r} in the environment is not a number of seconds",
            f"set it to a number above 0, e.g. {name}={default:g}, or unset it",
        )
    return value

"""Where the kit's bundled Go programs and scenarios live, and where its run data goes."""

from __future__ import annotations

import os
from pathlib import Path

from kit.errors import KitError

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    # A source checkout (or editable install) keeps them beside kit/; a wheel carries a copy.
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise KitError(f"cannot find the bundled {name}/ folder", "reinstall leakkit")


def samples_dir() -> Path:
    """The Go module holding the bundled programs (go_samples/)."""
    return _bundled("go_samples")


def scenarios_dir() -> Path:
    """The bundled scenario folders (scenarios/)."""
    return _bundled("scenarios")


def cache_dir() -> Path:
    """Where built binaries go: LEAKKIT_CACHE, else XDG_CACHE_HOME/leakkit or ~/.cache/leakkit."""
    configured = os.environ.get("LEAKKIT_CACHE")
    if configured:
        path = Path(configured)
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "leakkit"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Apply a unified diff inside a folder, with `git apply` when git is found, else `patch`.

Scenario patches (`solution.patch`, `wrong-fixes/*.patch`) are relative to the program folder
(`a/main.go`, `b/main.go`), so they apply with `-p1` from inside a workspace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kit.errors import KitError

TIMEOUT_S = 60.0


class PatchFailed(KitError):
    """A patch that does not apply, or no program to apply it with."""


def apply_patch(patch: Path, folder: Path) -> None:
    """Apply `patch` inside `folder` as `patch -p1` would; nothing changes if it does not apply."""
    git = shutil.which("git")
    if git is not None:
        # Outside a repository `git apply` is a stricter, all-or-nothing `patch`. The ceiling
        # keeps git from finding a repository above `folder` and rebasing the patch's paths.
        env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
        env["GIT_CEILING_DIRECTORIES"] = str(folder.resolve().parent)
        _run([git, "apply", "-p1", str(patch.resolve())], patch, folder, env)
        return
    tool = shutil.which("patch")
    if tool is None:
        raise PatchFailed(
            f"cannot apply {patch}: neither git nor patch is on PATH",
            "install one of them, e.g. `apt-get install git`",
        )
    # A dry run first, so a patch that fails halfway leaves the folder as it was; -N -f: no
    # questions, and a patch that looks applied already is an error, not reversed.
    for extra in (["--dry-run"], []):
        _run([tool, "-p1", "-N", "-f", *extra, "-i", str(patch.resolve())], patch, folder)


def _run(cmd: list[str], patch: Path, folder: Path, env: dict[str, str] | None = None) -> None:
    name = Path(cmd[0]).name + (" apply" if Path(cmd[0]).name == "git" else "")
    try:
        done = subprocess.run(
            cmd,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PatchFailed(f"{patch}: {name} did not finish within {TIMEOUT_S:.0f}s") from None
    if done.returncode != 0:
        said = "; ".join(line.strip() for line in (done.stderr + done.stdout).splitlines()[:4])
        raise PatchFailed(f"{patch} does not apply in {folder} ({name}): {said or 'no output'}")

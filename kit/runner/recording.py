"""A Recording: the checkpoints of one run, saved as recording.json beside its profiles."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kit.errors import KitError

VERSION = 1
FILE_NAME = "recording.json"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What the load driver reported for one phase."""

    done: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    first_error: str = ""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Runtime figures and profile files taken with the load paused, after `work` units."""

    index: int
    work: int
    elapsed_s: float
    metrics: dict[str, int]
    profiles: dict[str, str]  # kind -> file name relative to the recording's folder
    load: LoadResult = field(default_factory=LoadResult)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the run ended.

    `status` is one of: running (saved before the build; a run that is still going or was
    killed outright), completed, build-failed, start-failed (never listened), crashed, oom,
    interrupted (Ctrl-C or SIGTERM), failed (the kit could not take a checkpoint).
    """

    status: str = "completed"
    message: str = ""
    exit_code: int | None = None
    stderr_tail: str = ""


@dataclass(frozen=True, slots=True)
class Recording:
    """Everything needed to analyse a run again, offline."""

    scenario: str | None
    program: str
    backend: str
    toolchain: str
    started: str
    work_unit: str
    load: dict[str, Any]
    checkpoints: tuple[Checkpoint, ...]
    outcome: Outcome
    folder: Path = field(default=Path("."), compare=False)

    def profile_path(self, checkpoint: Checkpoint, kind: str) -> Path | None:
        name = checkpoint.profiles.get(kind)
        return self.folder / name if name else None

    def rejected_statuses(self) -> dict[str, int]:
        """Responses, by status, that no request template of the load accepts (all phases).

        A template without `status` accepts any 2xx, as the load driver does.
        """
        accepted: set[int] = set()
        any_2xx = False
        for template in self.load.get("requests") or ():
            codes = template.get("status") or ()
            accepted.update(int(c) for c in codes)
            any_2xx = any_2xx or not codes
        totals: dict[str, int] = {}
        for checkpoint in self.checkpoints:
            for code, n in checkpoint.load.statuses.items():
                value = int(code)
                if value not in accepted and not (any_2xx and 200 <= value < 300):
                    totals[code] = totals.get(code, 0) + n
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("folder")
        return {"version": VERSION, **doc}


def save(recording: Recording) -> Path:
    """Write recording.json atomically (a crash mid-write keeps the previous file)."""
    recording.folder.mkdir(parents=True, exist_ok=True)
    path = recording.folder / FILE_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(recording.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load(path: Path) -> Recording:
    """Read a recording from its folder or its recording.json."""
    file = path / FILE_NAME if path.is_dir() else path
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(
            f"{file}: no such recording", "pass a run folder or its recording.json"
        ) from None
    except ValueError as exc:
        raise KitError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise KitError(f"{file}: not a version {VERSION} leakkit recording")
    try:
        checkpoints = tuple(
            Checkpoint(
                index=int(c["index"]),
                work=int(c["work"]),
                elapsed_s=float(c["elapsed_s"]),
                metrics={k: int(v) for k, v in c["metrics"].items()},
                profiles=dict(c["profiles"]),
                load=LoadResult(**c.get("load", {})),
            )
            for c in doc["checkpoints"]
        )
        return Recording(
            scenario=doc["scenario"],
            program=doc["program"],
            backend=doc["backend"],
            toolchain=doc["toolchain"],
            started=doc["started"],
            work_unit=doc["work_unit"],
            load=doc["load"],
            checkpoints=checkpoints,
            outcome=Outcome(**doc["outcome"]),
            folder=file.parent,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KitError(f"{file}: malformed recording ({exc!r})") from None

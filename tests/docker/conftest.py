"""Docker tests need an engine. Without one they skip with the reason, unless
LEAKKIT_REQUIRE_DOCKER=1 (set by .ci/run once it has an engine), where a missing engine fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.errors import KitError
from kit.runner.container import DockerBackend, connect
from kit.scenarios.manifest import Limits
from kit.toolchain import Toolchain

GOFIXTURES = Path(__file__).resolve().parent.parent / "gofixtures"


@pytest.fixture(scope="session")
def docker_client() -> object:
    try:
        return connect()
    except KitError as exc:
        if os.environ.get("LEAKKIT_REQUIRE_DOCKER") == "1":
            pytest.fail(f"LEAKKIT_REQUIRE_DOCKER=1 but {exc}")
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture
def sandbox(docker_client: object, toolchain: Toolchain, tmp_path: Path) -> Iterator[DockerBackend]:
    backend = DockerBackend(
        toolchain, tmp_path / "bin", Limits(64 << 20, 64, 1.0), client=docker_client
    )
    yield backend
    backend.close()

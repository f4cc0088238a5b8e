"""A program built to misbehave, run in the kit's container: what it can and cannot do."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.runner.container import MANAGED, DockerBackend
from tests.docker.conftest import GOFIXTURES

pytestmark = pytest.mark.slow


def _facts(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


@pytest.fixture
def host_server() -> Iterator[tuple[int, list[int]]]:
    """A TCP server on this machine's 127.0.0.1 that counts the connections it accepts."""
    accepted: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture
def hostile(sandbox: DockerBackend) -> Path:
    return sandbox.build(GOFIXTURES / "hostile")


def test_identity_capabilities_and_files(
    sandbox: DockerBackend, hostile: Path, host_server: tuple[int, list[int]]
) -> None:
    port, accepted = host_server
    code, output = sandbox.run_once(hostile, ["probe", str(port)], timeout=60)
    facts = _facts(output)
    assert code == 0, output
    assert facts["uid"] != "0" and facts["gid"] != "0"
    assert int(facts["capeff"], 16) == 0 and int(facts["capprm"], 16) == 0
    assert facts["nonewprivs"] == "1"
    assert facts["write_root"].startswith("denied") and facts["write_etc"].startswith("denied")
    assert facts["write_tmp"] == "ok", facts["write_tmp"]
    # No network: the container's 127.0.0.1 is its own, and it has no other interface.
    assert facts["dial_host"] == "failed"
    assert facts["interfaces"] == "lo"
    assert accepted == []


def test_fork_without_end_is_stopped_by_the_pids_limit(
    sandbox: DockerBackend, hostile: Path
) -> None:
    code, output = sandbox.run_once(hostile, ["fork"], timeout=120)
    facts = _facts(output)
    assert code == 0, output
    assert facts["fork_error"] != "none", output
    assert int(facts["fork_stopped_after"]) < sandbox.limits.pids


def test_close_removes_containers_and_images(
    sandbox: DockerBackend, hostile: Path, docker_client: object, tmp_path: Path
) -> None:
    inst = sandbox.launch(hostile, tmp_path / "run")
    assert inst.exit_code() is None
    mine = {"label": f"dev.leakkit.owner={sandbox.owner}"}
    client = docker_client
    assert client.containers.list(all=True, filters=mine)  # type: ignore[attr-defined]
    sandbox.close()
    assert not client.containers.list(all=True, filters=mine)  # type: ignore[attr-defined]
    assert not client.images.list(filters=mine)  # type: ignore[attr-defined]
    assert not inst.socket_dir.exists()


def test_leftovers_of_a_dead_run_are_swept(
    sandbox: DockerBackend, hostile: Path, docker_client: object, toolchain: object
) -> None:
    client = docker_client
    image = sandbox.image_for(hostile)
    dead_owner = f"{socket.gethostname()}:{2**22 + 7}"  # above pid_max: never a live process
    client.containers.create(  # type: ignore[attr-defined]
        image, command=["sleep"], labels={MANAGED: "1", "dev.leakkit.owner": dead_owner}
    )
    left = {"label": f"dev.leakkit.owner={dead_owner}"}
    assert client.containers.list(all=True, filters=left)  # type: ignore[attr-defined]
    DockerBackend(sandbox.toolchain, sandbox.bin_dir, client=client).close()
    assert not client.containers.list(all=True, filters=left)  # type: ignore[attr-defined]

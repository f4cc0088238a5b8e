"""The load driver: go_samples/loadgen, started by the kit and steered one phase at a time.

The driver is a Go program so that a Python kit can push as many requests per second as the
service under test can take. Protocol: JSON lines; see go_samples/loadgen.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from kit.errors import KitError
from kit.paths import samples_dir
from kit.runner.local import build, trim_output
from kit.runner.recording import LoadResult
from kit.runner.settings import PHASE_TIMEOUT, env_seconds
from kit.scenarios.manifest import LoadPlan
from kit.toolchain import Toolchain


def spec_json(plan: LoadPlan) -> dict[str, Any]:
    return {
        "concurrency": plan.concurrency,
        "seed": plan.seed,
        "requests": [
            {
                "method": r.method,
                "path": r.path,
                "body": r.body,
                "headers": dict(r.headers),
                "weight": r.weight,
                "keys": r.keys,
                "status": list(r.status),
            }
            for r in plan.requests
        ],
    }


def build_driver(toolchain: Toolchain, bin_dir: Path) -> Path:
    return build(toolchain, samples_dir(), "./loadgen", bin_dir / "loadgen")


class Driver:
    """A running load driver aimed at one program."""

    def __init__(self, binary: Path, base_url: str, plan: LoadPlan) -> None:
        fd, spec_name = tempfile.mkstemp(prefix="leakkit-load-", suffix=".json")
        with os.fdopen(fd, "w") as spec:
            json.dump(spec_json(plan), spec)
        self._spec_path = Path(spec_name)
        self.proc = subprocess.Popen(
            [str(binary), "-target", base_url, "-spec", spec_name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the kit, which stops the driver itself
        )
        self._sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)
        reply = self._read(30.0)
        if not reply.get("ready"):
            raise KitError(f"load driver did not start: {reply.get('error') or reply}")

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        if not self._sel.select(timeout):
            self.close()
            raise KitError(f"load driver gave no answer within {timeout:.0f}s")
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise KitError(f"load driver exited: {trim_output(err, 10)}")
        doc: dict[str, Any] = json.loads(line)
        if "error" in doc and len(doc) == 1:
            raise KitError(f"load driver: {doc['error']}")
        return doc

    def run(self, start: int, requests: int = 0, seconds: float = 0.0) -> LoadResult:
        """Send `requests` requests (or send for `seconds`), numbered from `start`.

        A phase that takes longer than LEAKKIT_PHASE_TIMEOUT seconds (default 300) ends the
        run: a program that stops answering must not hang the kit.
        """
        timeout = env_seconds(PHASE_TIMEOUT, 300.0) + seconds
        cmd: dict[str, Any] = {"cmd": "run", "start": start}
        if seconds:
            cmd["seconds"] = seconds
        else:
            cmd["requests"] = requests
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        doc = self._read(timeout)
        return LoadResult(
            done=int(doc.get("done", 0)),
            errors=int(doc.get("errors", 0)),
            elapsed_s=float(doc.get("elapsed_s", 0.0)),
            statuses={str(k): int(v) for k, v in (doc.get("statuses") or {}).items()},
            first_error=str(doc.get("first_error") or ""),
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self._sel.close()
        self._spec_path.unlink(missing_ok=True)

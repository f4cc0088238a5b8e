"""Faults end a run with one clear message and keep the checkpoints already taken."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.runner.local import BuildFailed, StartFailed
from kit.runner.recording import load as load_recording
from kit.runner.run import RunRequest
from kit.runner.session import run_request
from kit.scenarios.manifest import LoadPlan, RequestTemplate

SERVE = """
func serve() {
	addr := os.Getenv("LEAKKIT_LISTEN")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}
"""
HEADER = """package main

import (
	_ "expvar"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync/atomic"
)

var _ atomic.Int64
"""
CRASHER = """
var served atomic.Int64

func main() {
	http.HandleFunc("/hit", func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 700 {
			log.Print("ledger corrupted, giving up")
			os.Exit(3)
		}
		w.Write([]byte("ok"))
	})
	serve()
}
"""
PLAN = LoadPlan("requests", 100, 4, 200, 2, 1, (RequestTemplate("GET", "/hit", status=(200,)),))


def _program(tmp_path: Path, body: str, with_serve: bool = True) -> Path:
    prog = tmp_path / "prog"
    prog.mkdir()
    (prog / "go.mod").write_text("module example.test/prog\n\ngo 1.23\n")
    (prog / "main.go").write_text(HEADER + body + (SERVE if with_serve else ""))
    return prog


@pytest.mark.slow
def test_compile_error_reports_compiler_output(tmp_path: Path) -> None:
    prog = _program(tmp_path, "func main() { undefinedThing() }\n")
    with pytest.raises(BuildFailed) as err:
        run_request(RunRequest(prog, PLAN, tmp_path / "out"))
    assert "undefined: undefinedThing" in err.value.output
    assert f"{prog}: does not compile" in str(err.value)


@pytest.mark.slow
def test_never_ready_times_out_with_stderr_tail(tmp_path: Path) -> None:
    body = 'func main() {\n\tlog.Print("warming caches")\n\tselect {}\n}\n'
    prog = _program(tmp_path, body)
    start = time.monotonic()
    with pytest.raises(StartFailed) as err:
        run_request(RunRequest(prog, PLAN, tmp_path / "out"), ready_timeout=3.0)
    assert time.monotonic() - start < 30
    assert "did not say 'listening on ADDR' within 3s" in str(err.value)
    assert "warming caches" in str(err.value)


@pytest.mark.slow
def test_crash_mid_run_keeps_checkpoints(tmp_path: Path) -> None:
    prog = _program(tmp_path, CRASHER)
    findings = run_request(RunRequest(prog, PLAN, tmp_path / "out"))
    rec = findings.recording
    assert rec.outcome.status == "crashed"
    assert rec.outcome.exit_code == 3
    assert "exited with status 3" in rec.outcome.message
    assert "ledger corrupted" in rec.outcome.stderr_tail
    # 100 warm-up + 200 per phase: checkpoints after 100, 300 and 500; the crash is at 700.
    assert [c.work for c in rec.checkpoints] == [100, 300, 500]
    saved = load_recording(tmp_path / "out")
    assert saved.outcome.status == "crashed"
    assert len(saved.checkpoints) == 3
    assert all((tmp_path / "out" / c.profiles["heap"]).is_file() for c in saved.checkpoints)


@pytest.mark.slow
def test_refused_request_is_reported_on_one_line(tmp_path: Path) -> None:
    body = """
var served atomic.Int64

func main() {
	http.HandleFunc("/hit", func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%50 == 0 {
			http.Error(w, "ledger busy, retry later", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	serve()
}
"""
    prog = _program(tmp_path, body)
    findings = run_request(RunRequest(prog, PLAN, tmp_path / "out"))
    loads = [c.load for c in findings.recording.checkpoints]
    assert sum(load.errors for load in loads) > 0
    first = next(load.first_error for load in loads if load.first_error)
    # http.Error ends the body with a newline; the report keeps the message on one line.
    assert first == "GET /hit: status 503 (want [200]): ledger busy, retry later"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_program_and_keeps_the_recording(
    tmp_path: Path, signum: signal.Signals
) -> None:
    body = """
func main() {
	http.HandleFunc("/hit", func(w http.ResponseWriter, r *http.Request) {
		os.WriteFile(os.Getenv("PIDFILE"), []byte(""), 0o644)
		w.Write([]byte("ok"))
	})
	serve()
}
"""
    prog = _program(tmp_path, body)
    load = tmp_path / "load.toml"
    load.write_text(
        "[load]\nwarmup = 100\nphases = 200\nper_phase = 2000\nconcurrency = 2\n"
        '[[load.requests]]\npath = "/hit"\nstatus = [200]\n'
    )
    out = tmp_path / "out"
    env = dict(os.environ, PIDFILE=str(tmp_path / "alive"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kit",
            "run",
            "--program",
            str(prog),
            "--load",
            str(load),
            "--out",
            str(out),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rec_file = out / "recording.json"
        if rec_file.is_file() and json.loads(rec_file.read_text())["checkpoints"]:
            break
        time.sleep(0.1)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    rec = load_recording(out)
    assert rec.outcome.status == "interrupted"
    assert len(rec.checkpoints) >= 1
    # The program was stopped: no process is left serving on its address.
    logs = (out / "logs" / "stderr.log").read_text()
    assert "listening on" in logs
    address = logs.split("listening on ", 1)[1].split()[0]
    import socket

    with pytest.raises(OSError):
        socket.create_connection(tuple(address.rsplit(":", 1)), timeout=2)  # type: ignore[arg-type]

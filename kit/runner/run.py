"""One run: build, launch, warm up, then phases of load with a checkpoint after each."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from kit.errors import KitError
from kit.runner import recording as rec
from kit.runner.backend import Backend, Instance
from kit.runner.capture import capture, prime, settle
from kit.runner.http import Endpoint
from kit.runner.load import Driver
from kit.runner.local import StartFailed
from kit.scenarios.manifest import Limits, LoadPlan

Progress = Callable[[str, int, int], None]  # (what, step, steps)


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to run and where its recording goes."""

    program_dir: Path
    plan: LoadPlan
    out: Path
    scenario: str | None = None
    limits: Limits | None = None  # enforced by the docker backend


def execute(
    request: RunRequest,
    backend: Backend,
    driver_binary: Path,
    toolchain_version: str,
    progress: Progress | None = None,
) -> rec.Recording:
    """Run the program under load and return its Recording (also saved as it grows).

    A crash, an OOM kill, a failure mid-run or Ctrl-C ends the run early; the checkpoints
    taken so far are kept and the outcome says what happened. Ctrl-C is re-raised after saving.
    """
    plan = request.plan
    steps = plan.phases + 2  # build+start, warm-up, phases
    say = progress or (lambda what, step, total: None)
    recording = rec.Recording(
        scenario=request.scenario,
        program=str(request.program_dir),
        backend=backend.name,
        toolchain=toolchain_version,
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        work_unit=plan.work_unit,
        load=asdict(plan),
        checkpoints=(),
        outcome=rec.Outcome("running"),
        folder=request.out,
    )
    rec.save(recording)
    instance = _build_and_launch(request, backend, recording, lambda what: say(what, 0, steps))
    driver: Driver | None = None
    checkpoints: list[rec.Checkpoint] = []
    outcome = rec.Outcome("completed")
    try:
        driver = Driver(driver_binary, instance.base_url, plan)
        api = Endpoint(instance.base_url)
        t0 = time.monotonic()
        sent = 0
        for phase in range(plan.phases + 1):
            amount = plan.warmup if phase == 0 else plan.per_phase
            say("warming up" if phase == 0 else f"phase {phase}/{plan.phases}", phase + 1, steps)
            if plan.mode == "time":
                result = driver.run(sent, seconds=amount / 1000.0)
            else:
                result = driver.run(sent, requests=amount)
            sent += result.done
            died = _ended(instance, sent, plan.work_unit, grace=1.0 if result.errors else 0.0)
            if died is not None:
                outcome = died
                break
            work = int((time.monotonic() - t0) * 1000) if plan.mode == "time" else sent
            try:
                if phase == 0:
                    prime(api)
                settle(api)
                metrics, profiles = capture(api, request.out, phase, instance.rss_bytes())
            except KitError as exc:
                outcome = _ended(instance, sent, plan.work_unit, grace=3.0) or rec.Outcome(
                    "failed", f"checkpoint {phase} failed: {exc}"
                )
                break
            checkpoints.append(
                rec.Checkpoint(
                    phase, work, round(time.monotonic() - t0, 3), metrics, profiles, result
                )
            )
            recording = replace(recording, checkpoints=tuple(checkpoints))
            rec.save(recording)
    except KeyboardInterrupt:
        outcome = rec.Outcome("interrupted", "stopped by Ctrl-C; checkpoints so far are kept")
        raise
    except KitError as exc:
        outcome = _ended(instance, 0, plan.work_unit, grace=3.0) or rec.Outcome("failed", str(exc))
    finally:
        if driver is not None:
            driver.close()
        code = instance.stop()
        if outcome.status in ("crashed", "oom", "failed") and outcome.exit_code is None:
            outcome = replace(outcome, exit_code=code, stderr_tail=instance.stderr_tail())
        recording = replace(recording, checkpoints=tuple(checkpoints), outcome=outcome)
        rec.save(recording)
    return recording


def _build_and_launch(
    request: RunRequest, backend: Backend, recording: rec.Recording, say: Callable[[str], None]
) -> Instance:
    """Build and start the program; on failure save the outcome that says why, then re-raise."""
    status = "build-failed"
    try:
        say("building")
        target = backend.build(request.program_dir)
        status = "start-failed"
        say("starting")
        return backend.launch(target, request.out)
    except KeyboardInterrupt:
        rec.save(replace(recording, outcome=rec.Outcome("interrupted", "stopped by Ctrl-C")))
        raise
    except KitError as exc:
        # The first line says what failed; the rest is compiler output or the stderr tail.
        head, _, rest = exc.message.partition("\n")
        message = head.removesuffix(":").removesuffix("; its stderr ends with")
        code = exc.program_exit if isinstance(exc, StartFailed) else None
        rec.save(replace(recording, outcome=rec.Outcome(status, message, code, rest)))
        raise


def _ended(instance: Instance, work: int, unit: str, grace: float = 0.0) -> rec.Outcome | None:
    """The outcome if the program has stopped; None while it runs.

    After a failed request the program may be dying but not yet reaped, so callers that saw a
    failure give it `grace` seconds to be seen as stopped before calling the failure the kit's.
    """
    code = instance.exit_code()
    deadline = time.monotonic() + grace
    while code is None and time.monotonic() < deadline:
        time.sleep(0.05)
        code = instance.exit_code()
    if code is None:
        return None
    if instance.oom_killed():
        limit = instance.memory_limit()
        at = f" at {limit / (1 << 20):g} MiB" if limit else ""
        return rec.Outcome(
            "oom", f"OOM-killed{at} after {work:,} {unit}", code, instance.stderr_tail()
        )
    return rec.Outcome(
        "crashed", f"exited with status {code} after {work} {unit}", code, instance.stderr_tail()
    )

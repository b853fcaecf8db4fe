"""Build one holding's index in a process of its own, reporting progress as JSON lines;
and, on the server's side, follow such a process and say in words how it ended.

The server starts ``python -m jupyter_jasmin.holdings.refresh`` so a scan of
millions of files never competes with its event loop for the GIL. It runs in a
session of its own, so the build and the scan workers it forks are ended as one
process group; stopping it at any moment leaves the previous index in place.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .drs import DrsTemplate
from .index import IndexBuildError, build_index
from .scan import ScanStats

EXIT_WAIT = 1.0  # seconds between looks at whether a silent build has exited


def report(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--drs", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--full", action="store_true", help="rescan every folder")
    parser.add_argument("--progress-every", type=float, default=0.5, help="seconds")
    args = parser.parse_args(argv)

    def progress(stats: ScanStats) -> None:
        report("progress", **asdict(stats))

    try:
        result = build_index(
            args.name,
            args.root,
            DrsTemplate.named(args.drs),
            args.index,
            progress=progress,
            incremental=not args.full,
            progress_every=args.progress_every,
        )
    except IndexBuildError as error:
        report("failed", error=str(error))
        return 1
    except Exception as error:
        report("failed", error=f"{type(error).__name__}: {error}")
        return 1
    report("done", **asdict(result))
    return 0


# --- the server's side --------------------------------------------------------------


def command(name: str, root: str, drs: str, index: str, full: bool) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyter_jasmin.holdings.refresh",
        f"--name={name}",
        f"--root={root}",
        f"--drs={drs}",
        f"--index={index}",
        *(["--full"] if full else []),
    ]


async def follow(
    process: asyncio.subprocess.Process, on_report: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Every report of a build, until its output closes; returns the last one.

    A build that has exited while something it started still holds its output open
    (a scan worker left behind) has its process group ended, so this always returns."""
    assert process.stdout is not None
    last: dict[str, Any] = {}
    while True:
        try:
            line = await asyncio.wait_for(process.stdout.readline(), EXIT_WAIT)
        except TimeoutError:
            if process.returncode is not None:
                end_group(process.pid)
            continue
        if not line:
            return last
        with contextlib.suppress(ValueError):
            last = json.loads(line)
            on_report(last)


def end_group(leader: int, signum: int = signal.SIGKILL) -> None:
    """Signal a build's whole process group (it leads one), scan workers included."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signum)


def failure(returncode: int, last: dict[str, Any], errors: str, seconds: float) -> str:
    """How a build that did not succeed ended, in words."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the index build was killed by {name} after {seconds:.1f} s"
    if last.get("event") == "failed":
        return str(last.get("error"))
    lines = errors.strip().splitlines() or ["it said nothing"]
    return f"the index build stopped with exit code {returncode}: {lines[-1]}"


if __name__ == "__main__":
    sys.exit(main())

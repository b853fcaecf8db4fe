#!/usr/bin/env python3
"""A recording stand-in for a batch scheduler's command (qsub, qstat, qdel, bsub, bjobs,
bkill, or squeue/sacct when asked for): called by any of those names (a symlink to this
file), it appends what it was given to the JSON-lines file $STANDIN_RECORD, then replays
what the real command would print.

Recorded per call: the command name, its arguments, its stdin, the text of any
argument that names a file (qsub is given its script as a path), and the values of the
environment variables named in $STANDIN_ENV (comma-separated; null when unset).

Replayed from the folder $STANDIN_REPLAY (else replays/default): <name>.stdout and
<name>.stderr are printed, <name>.rc is the exit code (default 0), <name>.sleep seconds
are waited first (a scheduler that hangs). Standard library only: any python3 runs it.
"""

import json
import os
import select
import stat
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_stdin() -> str:
    """What the caller piped in; nothing from a terminal or a pipe left open and idle."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return ""
    if os.isatty(0):
        return ""
    if (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) and not select.select([0], [], [], 1)[0]:
        return ""
    return sys.stdin.read()


def files_named(arguments: list[str]) -> dict[str, str]:
    found = {}
    for argument in arguments:
        path = Path(argument)
        if not argument.startswith("-") and path.is_file():
            found[argument] = path.read_text(errors="replace")
    return found


def replayed(name: str, suffix: str) -> str | None:
    for folder in (os.environ.get("STANDIN_REPLAY"), HERE / "replays" / "default"):
        if folder and (Path(folder) / f"{name}.{suffix}").is_file():
            return (Path(folder) / f"{name}.{suffix}").read_text()
    return None


def main() -> int:
    name = Path(sys.argv[0]).name
    arguments = sys.argv[1:]
    call = {
        "command": name,
        "argv": [name, *arguments],
        "stdin": read_stdin(),
        "files": files_named(arguments),
        "cwd": os.getcwd(),
        "environ": {
            variable: os.environ.get(variable)
            for variable in os.environ.get("STANDIN_ENV", "").split(",")
            if variable
        },
    }
    record = os.environ.get("STANDIN_RECORD")
    if record:
        with open(record, "a") as calls:
            calls.write(json.dumps(call) + "\n")
    delay = replayed(name, "sleep")
    if delay:
        time.sleep(float(delay))
    sys.stdout.write(replayed(name, "stdout") or "")
    sys.stderr.write(replayed(name, "stderr") or "")
    return int((replayed(name, "rc") or "0").strip())


if __name__ == "__main__":
    sys.exit(main())

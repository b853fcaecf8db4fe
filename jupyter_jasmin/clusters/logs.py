"""Each pool's logs: its controller's output and each engine set's, kept in one folder
per pool (``<profile>/jasmin/logs/<pool id>/``) until the pool is dismissed.

ipyparallel deletes a process's output file when the process stops. A hard link made
when the process starts keeps the same file under the pool's folder, so the output
outlives that deletion (and a failed pool, or one taken over after a crash, still has
it). Where no local file can be linked (a batch job's output appears only when the job
runs; an SSH engine writes on its host), what the launcher read back at the end is
written instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil

from ..errors import NotFound
from ..timestamps import isoformat
from .output import last_lines
from .shapes import LogReply, LogTailReply

LOG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def logs_folder(profile_dir: str, pool_id: str) -> str:
    return os.path.join(profile_dir, "jasmin", "logs", pool_id)


def _log_path(folder: str, name: str) -> str:
    return os.path.join(folder, f"{name}.log")


def keep(folder: str, name: str, path: str | None) -> None:
    """Link a running process's output file into the pool's folder (once)."""
    if not path or not os.path.exists(path):
        return
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError, OSError):
        os.link(path, _log_path(folder, name))


def keep_text(folder: str, name: str, text: str) -> None:
    """Write what a launcher read back of its output, unless its files were linked."""
    if not text or glob.glob(_log_path(folder, name)) or glob.glob(_log_path(folder, f"{name}.*")):
        return
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(_log_path(folder, name), "w") as stream:
        stream.write(text)


def list_logs(folder: str, live: dict[str, str]) -> list[LogReply]:
    """The logs kept in ``folder``, and the live files (name -> path) not kept there yet,
    the controller's first (blocking)."""
    paths = dict(live)
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.name.endswith(".log"):
                paths[entry.name[: -len(".log")]] = entry.path
    logs: list[LogReply] = []
    for name in sorted(paths, key=lambda n: (n != "controller", n)):
        try:
            found = os.stat(paths[name])
        except FileNotFoundError:
            continue
        engine_set = None if name == "controller" else name.split(".")[0]
        logs.append(
            {
                "name": name,
                "label": "Controller" if engine_set is None else f"Engine set {name}",
                "engine_set": engine_set,
                "size": found.st_size,
                "modified": isoformat(found.st_mtime),
            }
        )
    return logs


def read_log(folder: str, live: dict[str, str], name: str, lines: int) -> LogTailReply:
    """The last ``lines`` of one log, reading at most its last 256 KiB (blocking)."""
    path = live.get(name) if LOG_NAME.fullmatch(name) else None
    if LOG_NAME.fullmatch(name) and os.path.exists(_log_path(folder, name)):
        path = _log_path(folder, name)
    if path is None or not os.path.exists(path):
        raise NotFound(f"this pool has no log named {name!r}")
    text, truncated, size = last_lines(path, lines)
    return {"name": name, "text": text, "truncated": truncated, "size": size}


def remove_logs(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)

"""Processes of a pool as psutil handles: found as a tree, stopped for good."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import psutil


def process_tree(pid: int | None) -> list[psutil.Process]:
    """The process and all its descendants, as psutil handles safe against pid reuse."""
    if not pid or pid <= 0:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def reap(processes: Iterable[psutil.Process], timeout: float = 3.0) -> None:
    """Terminate, then kill, whatever is still running of ``processes``."""
    alive = [process for process in processes if process.is_running()]
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, still = psutil.wait_procs(alive, timeout=timeout)
    for process in still:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(still, timeout=timeout)

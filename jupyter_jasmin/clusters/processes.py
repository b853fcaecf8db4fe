"""Processes of a pool as psutil handles: found as a tree, stopped for good."""

from __future__ import annotations

import contextlib
import time
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


def cluster_processes(
    profile_dir: str, cluster_ids: Iterable[str] | None = None
) -> dict[str, list[psutil.Process]]:
    """This host's processes of ipyparallel clusters in ``profile_dir``, by cluster id.

    Found by the environment ipyparallel's local launchers give controllers and engines
    (``IPP_PROFILE_DIR``, ``IPP_CLUSTER_ID``), which their schedulers and nannies
    inherit: those leave the launched process's tree (a nanny starts its own session
    and outlives its engine by seconds), so a process tree alone misses them."""
    wanted = None if cluster_ids is None else set(cluster_ids)
    found: dict[str, list[psutil.Process]] = {}
    for process in psutil.process_iter(["environ"]):
        environ = process.info["environ"] or {}
        cluster_id = environ.get("IPP_CLUSTER_ID")
        if cluster_id is None or environ.get("IPP_PROFILE_DIR") != profile_dir:
            continue
        if wanted is None or cluster_id in wanted:
            found.setdefault(cluster_id, []).append(process)
    return found


def reap_cluster(profile_dir: str, cluster_id: str, timeout: float = 10.0) -> int:
    """Stop every process of one cluster, however it escaped; returns how many there were."""
    deadline = time.monotonic() + timeout
    stopped: set[psutil.Process] = set()
    while time.monotonic() < deadline:
        left = cluster_processes(profile_dir, [cluster_id]).get(cluster_id, [])
        left = [process for process in left if _running(process)]
        if not left:
            break
        stopped.update(left)
        reap(left)
    return len(stopped)


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False

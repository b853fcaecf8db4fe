"""What a restarted server finds of the pools an earlier server started.

Each live pool keeps ``<profile>/jasmin/pool-<id>.json`` up to date: its host,
the server process that owns it, and every process of its controller and
engines, identified by pid *and* start time (so a reused pid is never taken
for one of ours). A server that is killed outright cannot stop its pools; the
next server on the same host finds their records and stops what is left.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any

import psutil

from .processes import reap


def record_path(profile_dir: str, pool_id: str) -> str:
    return os.path.join(profile_dir, "jasmin", f"pool-{pool_id}.json")


def this_server() -> dict[str, Any]:
    me = psutil.Process()
    return {"host": socket.gethostname(), "pid": me.pid, "started": me.create_time()}


def write_record(
    profile_dir: str, pool_id: str, name: str, processes: Iterable[psutil.Process]
) -> None:
    """Replace the pool's record atomically."""
    identities = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            identities.append([process.pid, process.create_time()])
    path = record_path(profile_dir, pool_id)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    partial = f"{path}.part"
    with open(partial, "w") as stream:
        json.dump(
            {"id": pool_id, "name": name, "server": this_server(), "processes": identities}, stream
        )
    os.replace(partial, path)


def remove_record(profile_dir: str, pool_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(record_path(profile_dir, pool_id))


def _alive(server: dict[str, Any]) -> bool:
    try:
        return bool(abs(psutil.Process(server["pid"]).create_time() - server["started"]) < 1)
    except (psutil.Error, KeyError, TypeError):
        return False


def _ours(identity: list[Any]) -> psutil.Process | None:
    try:
        pid, started = identity
        process = psutil.Process(pid)
        return process if abs(process.create_time() - started) < 1 else None
    except (psutil.Error, ValueError, TypeError):
        return None


def reap_leftovers(profile_dir: str, log: logging.Logger) -> list[str]:
    """Stop the processes of pools whose server on this host is gone; returns their ids."""
    host = socket.gethostname()
    stopped = []
    for path in glob.glob(os.path.join(profile_dir, "jasmin", "pool-*.json")):
        try:
            with open(path) as stream:
                record = json.load(stream)
        except (OSError, ValueError):
            continue
        server = record.get("server", {})
        if server.get("host") != host or _alive(server):
            continue  # another VM's pool, or a server still running
        processes = [p for p in map(_ours, record.get("processes", [])) if p is not None]
        if processes:
            log.warning(
                "stopping %d processes of pool %s (%s), left by a server that is gone",
                len(processes),
                record.get("name"),
                record.get("id"),
            )
            reap(processes)
        pool_id = str(record.get("id", ""))
        for leftover in [
            path,
            os.path.join(profile_dir, "security", f"cluster-{pool_id}.json"),
            *glob.glob(os.path.join(profile_dir, "security", f"ipcontroller-{pool_id}-*.json")),
        ]:
            with contextlib.suppress(OSError):
                os.remove(leftover)
        stopped.append(pool_id)
    return stopped

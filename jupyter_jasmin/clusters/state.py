"""What a restarted server finds of the pools an earlier server started.

Each pool keeps ``<profile>/jasmin/pool-<id>.json`` up to date from before its
controller starts: what the pool is (name, backend, engine sets, options), the server
process that owns it, and every process of its controller and engines known so far,
identified by pid *and* start time (so a reused pid is never taken for one of ours).
ipyparallel keeps its own state beside it (``security/cluster-<id>.json``).

A server that is killed (or stopped, for a pool kept across stops) cannot go on
watching its pools. The next server on the same host takes over each pool whose
controller still runs (:class:`Orphan`), and stops what is left of the others: the
recorded processes and any process ipyparallel's environment marks as theirs. It keeps
their records, marked as ended, so the user is told what happened until they dismiss
the pool.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from ..timestamps import clock_time, isoformat
from .processes import cluster_processes, reap
from .rules import pool_actions
from .schedulers import Scheduler
from .shapes import PoolReply


@dataclass(frozen=True)
class PoolRecord:
    """What a pool's record says of the pool itself."""

    id: str
    name: str
    backend: str
    created: float
    engines: int
    options: dict[str, Any] = field(default_factory=dict)
    connection_file: str = ""
    # each engine set: {"id", "backend", "requested", "job", "where"}
    engine_sets: list[dict[str, Any]] = field(default_factory=list)
    ready_seconds: float | None = None
    # the pool's parts on other backends (bursts): {"backend", "options", "requested"}
    parts: list[dict[str, Any]] = field(default_factory=list)
    idle_minutes: float | None = None
    last_active: float | None = None  # when work was last seen (wall clock)
    adapt: dict[str, Any] | None = None  # adaptive scaling's range (clusters/adapt.py)


@dataclass(frozen=True)
class Orphan:
    """A pool whose server is gone while its controller still runs: a server takes it over
    from its record and ipyparallel's cluster file."""

    record: dict[str, Any]
    cluster_file: str


@dataclass(frozen=True)
class Survey:
    """What a server starting on this host found of earlier servers' pools."""

    orphans: list[Orphan]
    ended: list[PoolReply]


def cluster_file(profile_dir: str, pool_id: str) -> str:
    return os.path.join(profile_dir, "security", f"cluster-{pool_id}.json")


def record_path(profile_dir: str, pool_id: str) -> str:
    return os.path.join(profile_dir, "jasmin", f"pool-{pool_id}.json")


def this_server() -> dict[str, Any]:
    me = psutil.Process()
    return {"host": socket.gethostname(), "pid": me.pid, "started": me.create_time()}


def write_record(profile_dir: str, pool: PoolRecord, processes: Iterable[psutil.Process]) -> None:
    """Replace the pool's record atomically."""
    identities = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            identities.append([process.pid, process.create_time()])
    _write(
        record_path(profile_dir, pool.id),
        {**asdict(pool), "server": this_server(), "processes": identities},
    )


def _write(path: str, record: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "w") as stream:
        json.dump(record, stream)
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


def records(profile_dir: str) -> list[dict[str, Any]]:
    """Every pool record in a profile folder that can be read now."""
    return [r for r in map(_read, glob.glob(record_path(profile_dir, "*"))) if r]


def _read(path: str) -> dict[str, Any] | None:
    try:
        with open(path) as stream:
            record = json.load(stream)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("id"), str) else None


def survey(
    profile_dir: str, log: logging.Logger, schedulers: Mapping[str, Scheduler] | None = None
) -> Survey:
    """Pools of servers on this host that are gone: those whose controller still runs,
    to take over, and the others, whose leftovers this stops, as ``failed`` pools saying
    what happened (with those of earlier restarts, until dismissed). Processes of pools
    no record owns (a server killed as it started them) are stopped too."""
    host = socket.gethostname()
    found = records(profile_dir)
    owned = {
        r["id"]
        for r in found
        if "ended" not in r and (r.get("server", {}).get("host") != host or _alive(r["server"]))
    }
    running = cluster_processes(profile_dir)
    orphans, ended = [], []
    for record in found:
        if record["id"] in owned:
            continue
        if "ended" not in record:
            found = running.pop(record["id"], [])
            state = cluster_file(profile_dir, record["id"])
            if _controller_alive(state, found):
                orphans.append(Orphan(record, state))
                continue
            end(profile_dir, record, found, log, schedulers=schedulers)
        ended.append(failed_pool(record))
    for cluster_id, processes in running.items():
        if cluster_id not in owned:  # no record at all: nobody can be told, just stop it
            log.warning("stopping %d processes of unrecorded pool %s", len(processes), cluster_id)
            reap(processes)
            _remove_connection_files(profile_dir, cluster_id)
    return Survey(orphans, ended)


def _controller_alive(state: str, found: list[psutil.Process]) -> bool:
    """Whether the controller ipyparallel's cluster file names is among ``found`` (its
    schedulers outlive a killed controller and look like it)."""
    try:
        with open(state) as stream:
            pid = json.load(stream)["controller"]["state"]["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(process.pid == pid and _is_controller(process) for process in found)


def end(
    profile_dir: str,
    record: dict[str, Any],
    found: list[psutil.Process],
    log: logging.Logger,
    why: str = "",
    schedulers: Mapping[str, Scheduler] | None = None,
) -> PoolReply:
    """Stop what is left of a pool whose server is gone (its processes, and its batch
    jobs through their schedulers), and keep its record, marked as ended (with ``why``,
    when it is known), until the user dismisses it."""
    _cancel_jobs(record, schedulers or {}, log)
    record["ended"] = {**_stop_orphans(record, found, log), "why": why}
    _write(record_path(profile_dir, record["id"]), record)
    _remove_connection_files(profile_dir, record["id"])
    return failed_pool(record)


def _stop_orphans(
    record: dict[str, Any], found: list[psutil.Process], log: logging.Logger
) -> dict[str, Any]:
    recorded = [p for p in map(_ours, record.get("processes", [])) if p is not None]
    processes = list({*recorded, *found})
    engines = sum(1 for p in processes if _is_engine(p))
    controller = any(_is_controller(p) for p in processes)
    if processes:
        log.warning(
            "stopping %d processes of pool %s (%s), left by a server that is gone",
            len(processes),
            record.get("name"),
            record["id"],
        )
        reap(processes)
    server = record.get("server", {})
    return {"at": time.time(), "engines": engines, "controller": controller, "server": server}


def _cancel_jobs(
    record: dict[str, Any], schedulers: Mapping[str, Scheduler], log: logging.Logger
) -> None:
    """A batch job is cancelled through its scheduler, never left to run out its time."""
    by_backend: dict[str, list[str]] = {}
    for engine_set in record.get("engine_sets", []):
        if engine_set.get("job"):
            by_backend.setdefault(str(engine_set.get("backend")), []).append(str(engine_set["job"]))
    for backend, jobs in by_backend.items():
        scheduler = schedulers.get(backend)
        if scheduler is None:
            log.warning(
                "pool %s: no scheduler for %s to cancel jobs %s", record["id"], backend, jobs
            )
            continue
        try:
            scheduler.cancel(jobs)
        except Exception as error:
            log.warning("pool %s: cancelling jobs %s failed: %s", record["id"], jobs, error)


def _cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _is_engine(process: psutil.Process) -> bool:
    command = _cmdline(process)
    return "ipyparallel.engine" in command and "nanny" not in command


def _is_controller(process: psutil.Process) -> bool:
    return "ipyparallel.controller" in _cmdline(process)


def _remove_connection_files(profile_dir: str, pool_id: str) -> None:
    for leftover in [
        cluster_file(profile_dir, pool_id),
        *glob.glob(os.path.join(profile_dir, "security", f"ipcontroller-{pool_id}-*.json")),
    ]:
        with contextlib.suppress(OSError):
            os.remove(leftover)


def failed_pool(record: dict[str, Any]) -> PoolReply:
    """A pool whose server died, as the REST API shows it until it is dismissed."""
    ended = record["ended"]
    server = ended.get("server", {})
    what = []
    if ended.get("controller"):
        what.append("its controller")
    if ended.get("engines"):
        what.append(f"{ended['engines']} engine{'s' if ended['engines'] != 1 else ''}")
    stopped = (
        f"{' and '.join(what)} {'were' if len(what) > 1 or ended.get('engines', 0) > 1 else 'was'}"
        f" stopped at {clock_time(ended['at'])}"
        if what
        else "nothing of it was still running"
    )
    why = ended.get("why") or "its controller was no longer running"
    error = (
        f"Its Jupyter server (process {server.get('pid', '?')} on {server.get('host', '?')}) "
        f"stopped, and when a server started again {why}; {stopped}. "
        "Dismiss it and start a new pool."
    )
    primary = {
        "backend": record.get("backend", "local"),
        "options": record.get("options", {}),
        "requested": record.get("engines", 0),
    }
    parts = [primary, *record.get("parts", [])]
    return {
        "id": record["id"],
        "name": str(record.get("name", record["id"])),
        "backend": str(record.get("backend", "local")),
        "state": "failed",
        "error": error,
        "options": dict(record.get("options", {})),
        "created": isoformat(float(record.get("created", ended["at"]))),
        "ready_seconds": None,
        "engines": {
            "requested": sum(int(part.get("requested", 0)) for part in parts),
            "running": 0,
            "starting": 0,
            "lost": 0,
            "list": [],
        },
        "engine_sets": [],
        "adapt": None,
        "tasks": None,
        "parts": [
            {
                "backend": str(part.get("backend")),
                "label": str(part.get("backend")),
                "options": dict(part.get("options", {})),
                "requested": int(part.get("requested", 0)),
                "running": 0,
                "starting": 0,
                "lost": 0,
                "whole_sets": False,
                "primary": part is primary,
            }
            for part in parts
        ],
        "idle": {
            "minutes": record.get("idle_minutes"),
            "idle_seconds": None,
            "culls_in_seconds": None,
        },
        "controller": None,
        "connection_file": str(record.get("connection_file", "")),
        "actions": pool_actions("failed", 0),
    }

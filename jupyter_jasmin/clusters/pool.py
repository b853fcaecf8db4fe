"""One engine pool: an ipyparallel controller, its engine sets and engines, and what users
see of them.

Every method here runs on the pools' own event loop (see ``runner.py``); the server
thread only reads :attr:`EnginePool.snapshot`, a plain dict replaced whole after every
change.

A pool is one controller with one or more *engine sets*, each started by one backend
and holding one or more engines: one local process, one ``mpiexec`` of N, one batch job
of N. Engines are known by the ids the controller gives them when they register; each
then says, from inside, which engine set it belongs to and where it runs (host, pid,
batch job), so that is right on any host. Scaling down stops chosen engines through
the client; an engine set ends when its last engine is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import psutil

from ..errors import BadRequest, Conflict, NotFound
from ..timestamps import clock_time, isoformat
from .adapt import Adapt
from .backends import PoolBackend, SetPlace, SetPlan
from .engines import (
    Engine,
    EngineSet,
    exit_reason,
    job_reply,
    last_words,
    merge_processes,
    sample_usage,
)
from .logs import keep, keep_text, logs_folder
from .processes import process_tree, reap, reap_cluster
from .rules import pool_actions
from .schedulers import BatchJob
from .shapes import (
    EngineSetReply,
    EngineState,
    IdleReply,
    PartReply,
    PoolReply,
    PoolState,
    TaskCounts,
)
from .state import PoolRecord, remove_record, write_record

# What users see: ``state`` of a pool in the REST API and the panel.
POOL_STATES = ("starting", "running", "degraded", "stopping", "stopped", "failed")
FINISHED = ("stopping", "stopped", "failed")
SAVE_ACTIVE_SECONDS = 15.0  # how often a busy pool's idle clock is written down
SET_VARIABLE = "JASMIN_ENGINE_SET"
# Asked of each engine once it registers. An expression evaluated by the builtin ``eval``
# rather than a function of this package, so an engine needs nothing but Python to answer
# (a function defined here would be pickled by reference and must be importable there).
WHEREABOUTS = (
    "(__import__('socket').gethostname(), __import__('os').getpid(),"
    f" __import__('os').environ.get({SET_VARIABLE!r}),"
    " __import__('os').environ.get('SLURM_JOB_ID'),"
    " (__import__('os').environ.get('SSH_CONNECTION') or '').split()[2:3])"
)


@dataclass
class Part:
    """The engines of one backend in a pool: the pool's own backend, or another one it
    bursts onto (engines as batch jobs beside local ones), with that backend's options."""

    backend: PoolBackend
    options: dict[str, Any]
    requested: int
    primary: bool = False

    @property
    def name(self) -> str:
        return self.backend.name

    def record(self) -> dict[str, Any]:
        return {"backend": self.name, "options": dict(self.options), "requested": self.requested}


@dataclass(frozen=True)
class PoolSettings:
    """How every pool of a server is run (from the admin's configuration)."""

    profile_dir: str
    heartbeat_ms: int = 250
    engine_timeout: float = 60.0
    stop_timeout: float = 10.0
    idle_check_seconds: float = 10.0


class EnginePool:
    """A controller and engine sets started through backends, with their live state."""

    def __init__(
        self,
        pool_id: str,
        name: str,
        backend: PoolBackend,
        options: dict[str, Any],
        engines: int,
        settings: PoolSettings,
        log: logging.Logger,
    ) -> None:
        self.id = pool_id
        self.name = name
        self.backend = backend
        self.options = options
        self.parts: dict[str, Part] = {backend.name: Part(backend, options, engines, True)}
        self.logs = logs_folder(settings.profile_dir, pool_id)
        # idle culling: minutes without work before the pool is stopped (None: never),
        # when work was last seen (wall clock, so a restarted server keeps the clock),
        # whether the controller had work at its last look, and tasks done per engine
        self.idle_minutes: float | None = None
        self.last_active: float | None = None
        self._busy = False
        self._completed: dict[int, int] = {}
        self.tasks: TaskCounts | None = None  # from the controller, every second or so
        self.adapt: Adapt | None = None  # adaptive scaling (None: a fixed engine count)
        self._adapting: asyncio.Task[None] | None = None
        self._saved_at = 0.0  # monotonic time of the last record written
        self._own_tasks: dict[int, int] = {}  # tasks the server itself sent, per engine
        self.settings = settings
        self.log = log
        self.phase: PoolState = "starting"
        self.error: str | None = None
        self.created = time.time()
        self.ready_seconds: float | None = None
        self.engines: dict[int, Engine] = {}
        self.engine_sets: dict[str, EngineSet] = {}
        self.cluster: Any = None
        self.client: Any = None
        self._launched = time.monotonic()
        self._sets_started = 0
        self._asked: dict[int, Any] = {}  # engine id -> its pending whereabouts reply
        self._adopted = False  # taken over from a server that is gone
        # engines stopped or forgotten: the controller may list them for a few heartbeats
        # more, and they must not come back as new engines
        self._gone: set[int] = set()
        # called when the scheduler should be asked now (a job submitted, an engine of a
        # batch job lost), not at the poller's next turn
        self.on_job_news: Callable[[], None] | None = None
        self._lock = asyncio.Lock()
        self._start_task: asyncio.Task[None] | None = None
        self._controller_processes: list[psutil.Process] = []
        self._recorded: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.snapshot: PoolReply = self.describe()

    # --- what users see -------------------------------------------------

    @property
    def state(self) -> PoolState:
        if self.phase != "running":
            return self.phase
        if any(s.lost or s.state == "failed" for s in self.engine_sets.values()):
            return "degraded"
        if self.count("lost"):
            return "degraded"
        return "running"

    @property
    def live(self) -> bool:
        return self.phase not in ("stopped", "failed")

    @property
    def requested(self) -> int:
        return sum(part.requested for part in self.parts.values())

    def backend_of(self, engine_set: EngineSet) -> PoolBackend:
        part = self.parts.get(engine_set.backend)
        return part.backend if part is not None else self.backend

    def sets_of(self, part: Part) -> list[EngineSet]:
        return [s for s in self.engine_sets.values() if s.backend == part.name]

    def count(self, state: EngineState) -> int:
        return sum(1 for engine in self.engines.values() if engine.state == state)

    def waiting(self) -> int:
        """Engines asked for that have not registered yet, over every live engine set."""
        return sum(engine_set.waiting for engine_set in self.engine_sets.values())

    def connection_file(self) -> str:
        return os.path.join(
            self.settings.profile_dir, "security", f"ipcontroller-{self.id}-client.json"
        )

    def describe(self) -> PoolReply:
        controller = self.cluster.controller if self.cluster is not None else None
        state = self.state
        # an engine is counted running once it has said where it runs (moments after it
        # registers), so a reader never sees a running engine without a host and pid
        running = sum(1 for e in self.engines.values() if e.state == "running" and e.located)
        locating = self.count("running") - running
        return {
            "id": self.id,
            "name": self.name,
            "backend": self.backend.name,
            "state": state,
            "error": self.error or self._trouble(),
            "options": dict(self.options),
            "created": isoformat(self.created),
            "ready_seconds": self.ready_seconds,
            "engines": {
                "requested": self.requested,
                "running": running,
                "starting": self.waiting() + locating,
                "lost": self.count("lost"),
                "list": [engine.to_json() for engine in self.engines.values()],
            },
            "engine_sets": [self._describe_set(s) for s in self.engine_sets.values()],
            "parts": [self._describe_part(part) for part in self.parts.values()],
            "idle": self._describe_idle(),
            "adapt": self.adapt.reply() if self.adapt is not None else None,
            "tasks": self.tasks if self.phase == "running" else None,
            "controller": {"pid": getattr(controller, "pid", None)} if controller else None,
            "connection_file": self.connection_file(),
            "actions": pool_actions(state, running),
        }

    def _describe_set(self, engine_set: EngineSet) -> EngineSetReply:
        members = [self.engines[i] for i in engine_set.engines if i in self.engines]
        return {
            "id": engine_set.id,
            "backend": engine_set.backend,
            "where": engine_set.where,
            "state": engine_set.state,
            "requested": engine_set.requested,
            "running": sum(1 for engine in members if engine.state == "running"),
            "starting": engine_set.waiting,
            "lost": engine_set.lost,
            "error": engine_set.error,
            "job": None if engine_set.job_id is None else job_reply(engine_set),
        }

    def _describe_part(self, part: Part) -> PartReply:
        sets = self.sets_of(part)
        members = [self.engines[i] for s in sets for i in s.engines if i in self.engines]
        return {
            "backend": part.name,
            "label": part.backend.label,
            "options": dict(part.options),
            "requested": part.requested,
            "running": sum(1 for e in members if e.state == "running" and e.located),
            "starting": sum(s.waiting for s in sets),
            "lost": sum(s.lost for s in sets),
            "whole_sets": part.backend.whole_sets,
            "primary": part.primary,
        }

    def _describe_idle(self) -> IdleReply:
        watching = self.idle_minutes and self.phase == "running" and self.last_active
        if not watching or self._busy or self.last_active is None or self.idle_minutes is None:
            return {"minutes": self.idle_minutes, "idle_seconds": None, "culls_in_seconds": None}
        idle = max(0.0, time.time() - self.last_active)
        return {
            "minutes": self.idle_minutes,
            "idle_seconds": round(idle, 1),
            "culls_in_seconds": round(max(0.0, self.idle_minutes * 60 - idle), 1),
        }

    def _trouble(self) -> str | None:
        """Lost engines and engine sets in trouble, in a sentence each."""
        said = [f"engine {e.id} lost: {e.error}" for e in self.engines.values() if e.error]
        told = {e.engine_set for e in self.engines.values() if e.error}
        said += [
            f"engine set {s.id}: {s.error}"
            for s in self.engine_sets.values()
            if s.error and s.id not in told
        ]
        if not said:
            return None
        if self.count("lost") and self.phase == "running":
            said.append("Scale the pool to replace lost engines")
        return "; ".join(said)

    def refresh(self) -> None:
        self.snapshot = self.describe()

    def processes(self) -> list[psutil.Process]:
        known = list(self._controller_processes)
        for engine in self.engines.values():
            known += engine.processes
        return known

    def _save(self, force: bool = False) -> None:
        """Record this pool and its processes where a restarted server will find them."""
        processes = self.processes()
        pids = {process.pid for process in processes}
        if force or pids != self._recorded:
            record = PoolRecord(
                self.id,
                self.name,
                self.backend.name,
                self.created,
                self._primary.requested,  # the other parts say their own
                dict(self.options),
                self.connection_file(),
                [
                    {
                        "id": s.id,
                        "backend": s.backend,
                        "requested": s.requested,
                        "job": s.job_id,
                        "where": s.where,
                    }
                    for s in self.engine_sets.values()
                    if s.live
                ],
                self.ready_seconds,
                [part.record() for part in self.parts.values() if not part.primary],
                self.idle_minutes,
                self.last_active,
                self.adapt.record() if self.adapt is not None else None,
            )
            write_record(self.settings.profile_dir, record, processes)
            self._recorded = pids
            self._saved_at = time.monotonic()

    # --- life cycle -----------------------------------------------------

    def launch(self) -> None:
        """Start the controller and engines in the background."""
        self._start_task = asyncio.create_task(self._start())

    @classmethod
    def orphaned(
        cls,
        record: dict[str, Any],
        backends: dict[str, PoolBackend],
        settings: PoolSettings,
        log: logging.Logger,
    ) -> EnginePool:
        """A pool of a server that is gone, as its record describes it, to take over."""
        pool = cls(
            record["id"],
            str(record.get("name", record["id"])),
            backends[record["backend"]],
            dict(record.get("options", {})),
            int(record.get("engines", 0)),
            settings,
            log,
        )
        pool.created = float(record.get("created", pool.created))
        pool.ready_seconds = record.get("ready_seconds")
        pool.idle_minutes = record.get("idle_minutes")
        pool.last_active = record.get("last_active")
        pool.adapt = Adapt.from_record(record.get("adapt"))
        for part in record.get("parts", []):
            backend = backends[part["backend"]]
            pool.parts[backend.name] = Part(backend, dict(part["options"]), int(part["requested"]))
        for spec in record.get("engine_sets", []):
            engine_set = EngineSet(spec["id"], spec["backend"], int(spec["requested"]))
            engine_set.job_id = spec.get("job")
            engine_set.where = spec.get("where")
            # a local set's engines are all up or gone; a batch job's may still wait in the
            # queue: its engines count as starting until the scheduler says otherwise
            engine_set.state = "starting" if engine_set.job_id else "running"
            pool.engine_sets[engine_set.id] = engine_set
        pool._sets_started = len(pool.engine_sets) + int(time.time())  # ids never repeat
        pool.refresh()
        return pool

    def take_over(self, cluster_file: str) -> None:
        """Take over the controller and engines an earlier server left running."""
        self._start_task = asyncio.create_task(self._take_over(cluster_file))

    async def _take_over(self, cluster_file: str) -> None:
        async with self._lock:
            try:
                self.cluster = self._reattach(cluster_file)
                self._controller_processes = process_tree(self.cluster.controller.pid)
                for set_id, launcher in self.cluster.engines.items():
                    if set_id in self.engine_sets:
                        launcher.on_stop(partial(self._set_ended, self.engine_sets[set_id]))
                self.client = await asyncio.wait_for(
                    self.cluster.connect_client(), self.settings.engine_timeout
                )
                self._adopted = True
                self._save(force=True)  # the record now names this server
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.log.exception("pool %s (%s) could not be taken over", self.name, self.id)
                self.phase = "failed"
                self.error = f"its server stopped, and this server could not take it over: {error}"
                await self._teardown()
        self.refresh()

    def _reattach(self, cluster_file: str) -> Any:
        import ipyparallel

        quiet = self.log.getChild("ipyparallel")
        quiet.setLevel(logging.ERROR)
        cluster = ipyparallel.Cluster.from_file(cluster_file, log=quiet)
        if cluster.controller is None:
            raise RuntimeError("its controller is no longer running")
        return cluster

    async def _start(self) -> None:
        async with self._lock:
            try:
                # recorded before anything starts: a server killed from here on leaves
                # processes that the next server can tell are this pool's
                self._save(force=True)
                self.cluster = self._make_cluster()
                await self.cluster.start_controller()
                self._controller_processes = process_tree(self.cluster.controller.pid)
                keep(self.logs, "controller", getattr(self.cluster.controller, "output_file", None))
                self._save()
                self.refresh()
                await self._add_engines(self.requested, self._primary)
                self.client = await self.cluster.connect_client()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.log.exception("pool %s (%s) failed to start", self.name, self.id)
                self.phase, self.error = "failed", f"could not start the pool: {error}"
                await self._teardown()
        self.refresh()

    def _make_cluster(self) -> Any:
        from .cluster import PoolCluster

        os.makedirs(os.path.join(self.settings.profile_dir, "security"), mode=0o700, exist_ok=True)
        # ipyparallel logs every normal engine stop as a warning with a traceback;
        # what users need to know reaches them through the pool's state and errors
        quiet = self.log.getChild("ipyparallel")
        quiet.setLevel(logging.ERROR)
        return PoolCluster(
            cluster_id=self.id,
            profile_dir=self.settings.profile_dir,
            controller_args=[f"--HeartMonitor.period={self.settings.heartbeat_ms}"],
            delay=0,
            engine_timeout=int(self.settings.engine_timeout),
            shutdown_atexit=True,
            log=quiet,
            config=self.backend.config,
            **self.backend.cluster_kwargs(self.options),
        )

    async def _add_engines(self, count: int, part: Part) -> None:
        """Start ``count`` more engines of a part, in the engine sets its backend makes."""
        plans = part.backend.plan_engine_sets(count, part.options, self._placed(part))
        # together: an SSH host's set or a batch submission need not wait for the last
        await asyncio.gather(*(self._start_set(plan, part) for plan in plans))

    def _placed(self, part: Part) -> dict[str, int]:
        """A part's engines live or on their way in each place (SSH host)."""
        placed: dict[str, int] = {}
        for engine_set in self.sets_of(part):
            if engine_set.live and engine_set.where is not None:
                placed[engine_set.where] = placed.get(engine_set.where, 0) + engine_set.requested
        return placed

    async def _start_set(self, plan: SetPlan, part: Part) -> None:
        engine_set = EngineSet(f"{part.name}-{self._sets_started}", part.name, plan.size)
        engine_set.where = plan.where
        self._sets_started += 1
        self.engine_sets[engine_set.id] = engine_set
        place = SetPlace(self.id, engine_set.id, self.settings.profile_dir, plan.where)
        launch = part.backend.engine_launch(part.options, place)
        launch.environment[SET_VARIABLE] = engine_set.id
        chosen = part.backend.cluster_kwargs(part.options)
        await self.cluster.start_engines(
            plan.size,
            engine_set_id=engine_set.id,
            launcher_class=chosen.get("engine_launcher_class"),
            connection_env=chosen.get("send_engines_connection_env"),
            **launch.as_kwargs(),
        )
        launcher = self.cluster.engines[engine_set.id]
        launcher.on_stop(partial(self._set_ended, engine_set))
        self._keep_output(engine_set.id, launcher)
        engine_set.job_id = getattr(launcher, "job_id", None) or None
        if engine_set.job_id is not None and self.on_job_news is not None:
            self.on_job_news()
        self._save(force=True)
        self.refresh()

    def _keep_output(self, set_id: str, launcher: Any) -> None:
        """Link the output files of a set's processes into the pool's logs."""
        children = getattr(launcher, "launchers", None)
        if isinstance(children, dict) and children:
            for key, child in children.items():
                name = set_id if len(children) == 1 else f"{set_id}.{key}"
                keep(self.logs, name, getattr(child, "output_file", None))
        else:
            keep(self.logs, set_id, getattr(launcher, "output_file", None))

    def _set_ended(self, engine_set: EngineSet, stop_data: dict[str, Any] | None = None) -> None:
        """ipyparallel calls this when an engine set's processes or job have ended."""
        launcher = self.cluster.engines.get(engine_set.id) if self.cluster else None
        with contextlib.suppress(Exception):
            # what could not be linked (a job's output, an SSH engine's), as read back
            keep_text(self.logs, engine_set.id, launcher.get_output() if launcher else "")
        if engine_set.state in ("stopping", "ended"):
            engine_set.state = "ended"
            self.refresh()
            return
        if engine_set.state == "failed":
            return  # it already says why (its launcher was stopped because of it)
        reason = (stop_data or {}).get("reason")
        if isinstance(reason, str) and reason:  # its launcher said why, in words
            self._end_set(engine_set, reason)
            return
        output = ""
        code = (stop_data or {}).get("exit_code")
        if launcher is not None and not (isinstance(code, int) and code < 0):
            with contextlib.suppress(Exception):  # a signal says it all; a crash says why
                output = last_words(launcher.get_output())
        why = f"the engine process {exit_reason(stop_data)}"
        why += f' (it said: "{output}")' if output else ""
        self._end_set(engine_set, why)

    def _end_set(self, engine_set: EngineSet, why: str) -> None:
        """An engine set ended on its own: its engines are lost, for this reason."""
        if engine_set.where is not None:
            why = f"on {engine_set.where}: {why}"
        members = [self.engines[i] for i in engine_set.engines if i in self.engines]
        never = engine_set.waiting
        engine_set.state = "failed"
        engine_set.error = why
        for engine in members:
            if engine.state == "running":
                self._lose(engine, why)
            elif engine.state == "lost":  # more precise than the missed heartbeats
                when = (engine.error or "").rpartition(" at ")[2]
                engine.error = f"{why} at {when}" if when else why
        if never and not members:
            self.log.warning("pool %s: engine set %s failed: %s", self.name, engine_set.id, why)
        self.refresh()

    def _lose(self, engine: Engine, why: str) -> None:
        if engine.state == "lost":
            return
        self.log.warning("pool %s: engine %s lost: %s", self.name, engine.id, why)
        engine.state = "lost"
        engine.error = f"{why} at {clock_time(time.time())}"
        engine.cpu_percent = None
        engine_set = self.engine_sets.get(engine.engine_set or "")
        if engine_set is not None:
            engine_set.lost += 1
            if engine_set.job_id is not None and self.on_job_news is not None:
                self.on_job_news()  # ask the scheduler now why, not at its next turn
        if engine.processes:
            self._in_background(asyncio.to_thread(reap, engine.processes))
        self.refresh()

    def _in_background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _check_scalable(self) -> None:
        if not pool_actions(self.state, self.count("running"))["scale"] or self.phase == "stopping":
            raise Conflict(f"pool '{self.name}' is {self.state}; only a live pool can be scaled")

    async def scale(self, engines: int, part: Part | None = None) -> None:
        """Have ``engines`` engines of a part (the pool's own backend by default; a new
        part bursts the pool onto another backend). A part whose backend scales by whole
        engine sets shrinks only by whole sets."""
        self._check_scalable()
        async with self._lock:
            self._check_scalable()  # it may have failed or been stopped while we waited
            part = self.parts.setdefault(part.name, part) if part else self._primary
            await self._forget_the_lost(part)
            have = self._have(part)
            ending = self._whole_sets_ending(part, have - engines) if engines < have else []
            part.requested = engines
            if engines > have:
                await self._add_engines(engines - have, part)
            elif ending:
                for engine_set in ending:
                    await self._retire_set(engine_set)
            elif engines < have:
                await self._remove(have - engines, part)
            if not part.primary and not part.requested and not self.sets_of(part):
                del self.parts[part.name]
            self._save(force=True)
        self.refresh()

    @property
    def _primary(self) -> Part:
        return self.parts[self.backend.name]

    def _part_of(self, engine: Engine) -> str:
        engine_set = self.engine_sets.get(engine.engine_set or "")
        return engine_set.backend if engine_set is not None else self.backend.name

    def _have(self, part: Part) -> int:
        """A part's engines running or on their way."""
        return len(self._running_in(part)) + sum(s.waiting for s in self.sets_of(part))

    def _running_in(self, part: Part) -> list[Engine]:
        return [
            e
            for e in self.engines.values()
            if e.state == "running" and self._part_of(e) == part.name
        ]

    def _whole_sets_ending(self, part: Part, count: int) -> list[EngineSet]:
        """The engine sets (newest first) that take exactly ``count`` engines away from a
        part whose backend cannot shrink a set (an MPI world); BadRequest when none do."""
        if not part.backend.whole_sets:
            return []
        chosen, left = [], count
        for engine_set in reversed(self.sets_of(part)):
            if engine_set.live and 0 < engine_set.requested <= left:
                chosen.append(engine_set)
                left -= engine_set.requested
        if left:
            sizes = ", ".join(str(s.requested) for s in self.sets_of(part) if s.live) or "none"
            raise BadRequest(
                f"{part.backend.label or part.name} engines stop only as whole engine sets "
                f"(this pool's sets have {sizes} engines): {count} fewer is not possible"
            )
        return chosen

    async def _retire_set(self, engine_set: EngineSet) -> None:
        """Stop a whole engine set and forget its engines."""
        for engine_id in engine_set.engines:
            if engine_id in self.engines:
                self.engines[engine_id].state = "stopping"
        self.refresh()
        await self._stop_set(engine_set)
        for engine_id in engine_set.engines:
            engine = self.engines.pop(engine_id, None)
            self._gone.add(engine_id)
            if engine is not None and engine.processes:
                await asyncio.to_thread(reap, engine.processes)
        self.engine_sets.pop(engine_set.id, None)

    async def _forget_the_lost(self, part: Part) -> None:
        """A part's lost engines and failed engine sets make room for their replacements."""
        for engine in [e for e in self.engines.values() if e.state == "lost"]:
            if self._part_of(engine) == part.name:
                self.engines.pop(engine.id, None)
                self._gone.add(engine.id)
        for engine_set in [s for s in self.sets_of(part) if s.state == "failed"]:
            await self._stop_set(engine_set)
            self.engine_sets.pop(engine_set.id, None)
        for engine_set in self.sets_of(part):
            engine_set.lost = 0

    async def _remove(self, count: int, part: Part) -> None:
        """Stop ``count`` of a part's engines: sets still waiting for all their engines
        first (newest first, never more than asked), then idle engines, then busy ones."""
        for engine_set in reversed(self.sets_of(part)):
            if count <= 0:
                return
            if engine_set.live and not engine_set.engines and engine_set.waiting <= count:
                count -= engine_set.waiting
                await self._stop_set(engine_set)
                self.engine_sets.pop(engine_set.id, None)
        for engine in await self._choose_to_stop(count, part):
            engine.state = "stopping"
            self.refresh()
            await self._retire(engine)

    async def _choose_to_stop(self, count: int, part: Part) -> list[Engine]:
        """Idle engines before busy ones, newest first."""
        if count <= 0:
            return []
        running = self._running_in(part)
        busy = await self._busy_engines()
        ranked = sorted(running, key=lambda e: (busy.get(e.id, 0) > 0, -e.id))
        return ranked[:count]

    async def _busy_engines(self) -> dict[int, int]:
        if self.client is None:
            return {}
        try:
            status = await queue_status(self.client, 2)
        except Exception:
            return {}
        return {
            key: value.get("queue", 0) + value.get("tasks", 0)
            for key, value in status.items()
            if isinstance(key, int) and isinstance(value, dict)
        }

    async def _retire(self, engine: Engine) -> None:
        """Shut one engine down through the client and wait until the controller has let
        it go (so no client connecting afterwards sends work to it); its engine set
        ends with its last engine."""
        engine_set = self.engine_sets.get(engine.engine_set or "")
        if engine_set is not None and engine_set.engines <= {engine.id} and not engine_set.waiting:
            engine_set.state = "stopping"  # its last engine: its end is no failure
        client = self.client
        if client is not None and engine.id in client.ids:
            with contextlib.suppress(Exception):
                client.shutdown(targets=[engine.id], block=False)
            deadline = time.monotonic() + self.settings.stop_timeout
            while engine.id in client.ids and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        if engine.processes:
            await asyncio.to_thread(reap, engine.processes)
        self.engines.pop(engine.id, None)
        self._gone.add(engine.id)
        if engine_set is not None:
            engine_set.engines.discard(engine.id)
            if not engine_set.engines and not engine_set.waiting:
                await self._stop_set(engine_set)
                self.engine_sets.pop(engine_set.id, None)

    async def _stop_set(self, engine_set: EngineSet) -> None:
        """Stop an engine set's launcher (its processes, or its batch job)."""
        if engine_set.state != "failed":
            engine_set.state = "stopping"
        if self.cluster is not None and engine_set.id in self.cluster.engines:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.cluster.stop_engines(engine_set.id), self.settings.stop_timeout
                )

    async def settle(self) -> None:
        """Wait for background work (reaping lost engines, failing) to finish."""
        others = [task for task in self._background if task is not asyncio.current_task()]
        await asyncio.gather(*others, return_exceptions=True)

    async def stop(self) -> None:
        """Stop the controller and every engine; the pool ends ``stopped``.

        A failed pool is already stopped; this waits until its cleanup is done."""
        if not self.live:
            await self.settle()
            return
        self.phase = "stopping"
        self.refresh()
        if self._start_task is not None and not self._start_task.done():
            self._start_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._start_task
        async with self._lock:
            await self._teardown()
        await self.settle()
        self.phase = "stopped"
        self.refresh()

    def keeps_running(self) -> bool:
        """Whether this pool outlives a clean stop of the server (see the backend)."""
        return self.live and all(
            part.backend.keeps_running_on_stop(part.options) for part in self.parts.values()
        )

    async def detach(self) -> None:
        """Leave the pool running for the next server to take over: close the client,
        keep the controller, the jobs and the record."""
        async with self._lock:
            if self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.close()
                self.client = None
            if self.cluster is not None:
                self.cluster.shutdown_atexit = False
            self._save(force=True)
        self.log.info("pool %s (%s) keeps running for the next server", self.name, self.id)

    async def fail(self, why: str) -> None:
        """Record why the pool cannot go on and stop what is left of it."""
        if not self.live or self.phase == "stopping":
            return
        self.log.error("pool %s (%s) failed: %s", self.name, self.id, why)
        self.phase, self.error = "failed", why
        self.refresh()
        async with self._lock:
            await self._teardown()
        self.refresh()

    async def _teardown(self) -> None:
        """Close the client, stop ipyparallel's processes, and reap any leftovers."""
        for engine in self.engines.values():
            if engine.state != "lost":
                engine.state = "stopping"
        for engine_set in self.engine_sets.values():
            if engine_set.live:
                engine_set.state = "stopping"
        self.refresh()
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        processes = self.processes()
        if self.cluster is not None:
            if self.cluster.controller is not None:
                processes += process_tree(self.cluster.controller.pid)
            try:
                await asyncio.wait_for(self.cluster.stop_cluster(), self.settings.stop_timeout)
            except Exception as error:
                self.log.warning("pool %s: ipyparallel stop failed: %s", self.name, error)
        await asyncio.to_thread(reap, processes)
        # schedulers of a killed controller and nannies of engines stopped mid-start
        # are in no process tree we hold: find them by their environment
        await asyncio.to_thread(reap_cluster, self.settings.profile_dir, self.id)
        await self._cancel_jobs()
        self.engines.clear()
        for engine_set in self.engine_sets.values():
            if engine_set.state == "stopping":
                engine_set.state = "ended"
        self._remove_files()
        remove_record(self.settings.profile_dir, self.id)
        self._recorded = set()

    async def _cancel_jobs(self) -> None:
        """Cancel every batch job of the pool through its scheduler, whatever ipyparallel
        did: a job is never left to run out its walltime."""
        for part in self.parts.values():
            scheduler = part.backend.scheduler()
            jobs = [s.job_id for s in self.sets_of(part) if s.job_id]
            if scheduler is None or not jobs:
                continue
            try:
                await asyncio.to_thread(scheduler.cancel, jobs)
            except Exception as error:
                self.log.warning("pool %s: cancelling jobs %s failed: %s", self.name, jobs, error)

    def _remove_files(self) -> None:
        profile = self.settings.profile_dir
        leftovers = [
            os.path.join(profile, "security", f"cluster-{self.id}.json"),
            os.path.join(profile, "log", f"engines{self.id}.json"),
            *glob.glob(os.path.join(profile, "security", f"ipcontroller-{self.id}-*.json")),
        ]
        for path in leftovers:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    # --- idle culling ---------------------------------------------------

    async def check_tasks(self) -> None:
        """Ask the controller how much work the pool has: tasks waiting for an engine,
        running on each engine, done. Unknown (None) when it does not answer in time."""
        if self.phase != "running" or self.client is None:
            self.tasks = None
            return
        try:
            status = await queue_status(self.client, 5)
        except Exception as error:
            self.log.debug("pool %s: no queue status: %s", self.name, error)
            self.tasks = None
            return
        # engines being retired or lost may still be listed, with the questions the server
        # sent them: only the pool's live engines' work counts
        engines = {
            k: v
            for k, v in status.items()
            if isinstance(k, int)
            and isinstance(v, dict)
            and k in self.engines
            and self.engines[k].state == "running"
        }
        # the server's questions to the engines are not work: neither running nor done
        own = {k: self._own_tasks.get(k, 0) - (k in self._asked) for k in engines}
        running = {
            k: int(v.get("queue", 0) + v.get("tasks", 0)) - (k in self._asked)
            for k, v in engines.items()
        }
        done = {k: max(0, int(v.get("completed", 0)) - own[k]) for k, v in engines.items()}
        for engine_id, engine in self.engines.items():
            on_it = running.get(engine_id)
            engine.tasks = (
                max(0, on_it) if on_it is not None and engine.state == "running" else None
            )
            engine.done = done.get(engine_id)
        self.tasks = {
            "queued": int(status.get("unassigned", 0)),
            "running": sum(running.values()),
            "done": sum(done.values()),
            "busy_engines": sum(1 for e in self.engines.values() if e.tasks),
        }
        self._note_work(done)
        self.refresh()

    def _note_work(self, completed: dict[int, int]) -> None:
        """The idle clock: work is tasks queued or running, or more done than last time."""
        tasks = self.tasks or {"queued": 0, "running": 0}
        busy = bool(tasks["queued"] or tasks["running"]) or any(
            done > self._completed.get(k, 0) for k, done in completed.items()
        )
        self._completed = completed
        was_busy, self._busy = self._busy, busy
        if busy or self.last_active is None or was_busy:
            self.last_active = time.time()
            # a restarted server keeps the idle clock: saved when work ends, and while
            # work goes on every SAVE_ACTIVE_SECONDS (not every second)
            due = time.monotonic() - self._saved_at >= SAVE_ACTIVE_SECONDS
            if self.idle_minutes and (not busy or due):
                self._save(force=True)

    async def check_idle(self) -> None:
        """Stop the pool once it has had no work (see :meth:`check_tasks`) for its idle
        time. When the controller cannot tell, the pool is never stopped."""
        if not self.idle_minutes or self.phase != "running" or self.client is None:
            return
        if self.tasks is None or self.last_active is None:
            return
        if not self._busy and time.time() - self.last_active >= self.idle_minutes * 60:
            await self.cull()
        self.refresh()

    async def set_idle(self, minutes: float | None) -> None:
        """A new idle time; the clock keeps running from when work was last seen."""
        self.idle_minutes = minutes
        if self.live:
            self._save(force=True)
        self.refresh()

    async def cull(self) -> None:
        """Stop a pool that has had no work for its idle time; it stays listed, saying so,
        until dismissed."""
        why = f"stopped after {self.idle_minutes:g} min without work (idle culling)"
        self.log.info("pool %s (%s) %s", self.name, self.id, why)
        await self.stop()
        self.error = why
        self.refresh()

    # --- adaptive scaling -----------------------------------------------

    async def set_adapt(self, adapt: Adapt | None) -> None:
        """Follow the controller's queue within ``adapt``'s range (None: stop adapting and
        keep the engines the pool has)."""
        self._check_scalable()
        if adapt is not None and any(p.backend.whole_sets for p in self.parts.values()):
            label = self.backend.label or self.backend.name
            raise BadRequest(
                f"{label} engines stop only as whole engine sets, so this pool cannot "
                "adapt; scale it by hand",
                "adapt",
            )
        self.adapt = adapt
        self._save(force=True)
        self.refresh()

    def check_adapt(self) -> None:
        """Start one adaptive step in the background when the counts call for it (the
        watcher calls this after each count of the tasks)."""
        adapt, tasks = self.adapt, self.tasks
        if adapt is None or tasks is None or self.phase != "running" or self._lock.locked():
            return
        if self._adapting is not None and not self._adapting.done():
            return
        part = self._primary
        have = self._have(part)
        work = tasks["queued"] + tasks["running"]
        waiting = sum(s.waiting for s in self.sets_of(part))
        wanted = adapt.wanted(have, work, waiting, time.monotonic())
        if wanted is None:
            return
        self._adapting = asyncio.ensure_future(self._adapt_to(adapt, have, wanted, tasks))
        self._background.add(self._adapting)
        self._adapting.add_done_callback(self._background.discard)

    async def _adapt_to(self, adapt: Adapt, have: int, wanted: int, tasks: TaskCounts) -> None:
        self.log.info("pool %s (%s) adapts: %d -> %d engines", self.name, self.id, have, wanted)
        adapt.note(have, wanted, tasks["queued"], tasks["running"])
        try:
            await self.scale(wanted)
        except (BadRequest, Conflict) as error:
            adapt.last = f"could not scale to {wanted} engines: {error.message}"
        except Exception as error:
            self.log.exception("pool %s: adaptive scaling failed", self.id)
            adapt.last = f"could not scale to {wanted} engines: {error}"
        self.refresh()

    # --- watching -------------------------------------------------------

    def poll(self, measure: bool) -> None:
        """Bring engine states up to date; ``measure`` also samples CPU and memory."""
        if not self.live or self.phase == "stopping" or self.cluster is None:
            return
        controller = self.cluster.controller
        if controller is None:
            return
        if controller.state == "after":
            code = (controller.stop_data or {}).get("exit_code")
            output = (
                "" if isinstance(code, int) and code < 0 else last_words(controller.get_output())
            )
            why = f"the controller {exit_reason(controller.stop_data)}"
            why += f' (it said: "{output}")' if output else ""
            why += f" at {clock_time(time.time())}; its log is under Logs"
            self._in_background(self.fail(why))
            return
        if measure:
            self._controller_processes = merge_processes(
                self._controller_processes, process_tree(controller.pid)
            )
        if self.client is not None:
            self._track_engines(set(self.client.ids))
            self._collect_whereabouts()
        self._time_out_sets()
        if measure:
            for engine in self.engines.values():
                if engine.processes:  # its nanny starts after it
                    engine.processes = merge_processes(engine.processes, process_tree(engine.pid))
                sample_usage(engine)
            self._save()
        self._settle_phase()
        self.refresh()

    def _track_engines(self, registered: set[int]) -> None:
        # an id the controller no longer lists is not the old engine coming back: the
        # controller may give it again (an MPI engine asks for its rank as its id)
        self._gone &= registered
        for engine_id in registered - set(self.engines) - self._gone:
            self.engines[engine_id] = Engine(engine_id)
            self._ask_whereabouts(engine_id)
        for engine in list(self.engines.values()):
            if engine.state == "running" and engine.id not in registered:
                self._lose(engine, "the engine stopped answering the controller's heartbeats")

    def _ask_whereabouts(self, engine_id: int) -> None:
        with contextlib.suppress(Exception):
            ask = self.client[engine_id].apply_async
            self._asked[engine_id] = ask(eval, WHEREABOUTS)
            # the server's own task: not the user's work
            self._own_tasks[engine_id] = self._own_tasks.get(engine_id, 0) + 1

    def _collect_whereabouts(self) -> None:
        for engine_id, reply in list(self._asked.items()):
            engine = self.engines.get(engine_id)
            if engine is None or engine.state != "running":
                self._asked.pop(engine_id)
                continue
            if not reply.ready():
                continue
            self._asked.pop(engine_id)
            try:
                host, pid, set_id, _job, reached = reply.get(0)
            except Exception as error:
                self.log.warning(
                    "pool %s: engine %s did not say where it runs: %s", self.name, engine_id, error
                )
                host, pid, set_id, reached = None, None, None, []
            engine.ssh_address = reached[0] if reached else None
            self._place(engine, host, pid, set_id)

    def _place(self, engine: Engine, host: str | None, pid: int | None, set_id: str | None) -> None:
        engine.host, engine.pid, engine.located = host, pid, True
        engine_set = self.engine_sets.get(set_id or "")
        if engine_set is not None:
            engine.engine_set = engine_set.id
            engine_set.engines.add(engine.id)
            if len(engine_set.engines) >= engine_set.requested and engine_set.state == "starting":
                engine_set.state = "running"
        if host == socket.gethostname() and pid:
            engine.processes = process_tree(pid)

    def _set(self, set_id: str) -> EngineSet:
        engine_set = self.engine_sets.get(set_id)
        if engine_set is None:
            raise NotFound(f"pool '{self.name}' has no engine set {set_id!r}")
        return engine_set

    def job_of(self, set_id: str) -> str | None:
        return self._set(set_id).job_id

    def output_file(self, set_id: str) -> str | None:
        """Where an engine set's launcher writes its output (batch jobs), if anywhere."""
        engine_set = self._set(set_id)
        launcher = self.cluster.engines.get(set_id) if self.cluster is not None else None
        path = getattr(launcher, "output_file", None)
        if path:
            return str(path)
        if self.backend_of(engine_set).scheduler() is not None:
            # its launcher is gone: where it wrote
            return SetPlace(self.id, set_id, self.settings.profile_dir).file(".out")
        return None

    def live_logs(self) -> dict[str, str]:
        """Output files being written that the pool's logs folder has no link to (a
        batch job's, which appears only once the job runs)."""
        live: dict[str, str] = {}
        for engine_set in self.engine_sets.values():
            with contextlib.suppress(NotFound):
                path = self.output_file(engine_set.id)
                if path and self.backend_of(engine_set).scheduler() is not None:
                    live[engine_set.id] = path
        return live

    def batch_jobs(self, backend: str) -> list[str]:
        """Ids of this pool's batch jobs of a backend that its scheduler should be asked
        about."""
        return [
            s.job_id
            for s in self.engine_sets.values()
            if s.backend == backend
            and s.job_id is not None
            and s.state in ("starting", "running", "stopping")
        ]

    def update_jobs(self, jobs: dict[str, BatchJob], backend: str) -> bool:
        """Take what the scheduler says of this pool's jobs; a job that ended while its
        engine set was live loses the set's engines, saying why. Returns whether any job
        changed."""
        changed = False
        for engine_set in self.engine_sets.values():
            job = jobs.get(engine_set.job_id or "")
            if job is None or engine_set.backend != backend:
                continue
            # the walltime left counts down on every call: only state, reason and nodes
            # are news (which decide how soon the scheduler is asked again)
            changed = changed or _what_matters(engine_set.job) != _what_matters(job)
            engine_set.job = job
            engine_set.job_seen = time.monotonic()
            if job.active and engine_set.running_since is None:
                engine_set.running_since = time.monotonic()
            if job.finished and engine_set.live:
                self._end_set(
                    engine_set,
                    f"job {job.id} {job.state_in_words} ({job.state})",
                )
        if changed:
            self.refresh()
        return changed

    def _count_the_missing(self) -> None:
        """Engines of a taken-over pool that did not come back ended while no server was
        watching: each set says how many."""
        for engine_set in self.engine_sets.values():
            if engine_set.job_id is not None:
                continue  # a batch job's engines may still be waiting for it to start
            missing = engine_set.requested - len(engine_set.engines)
            if missing > 0:
                engine_set.lost += missing
                engine_set.error = (
                    f"{missing} of its {engine_set.requested} engines ended while no server "
                    "was watching"
                )
                if not engine_set.engines:
                    engine_set.state = "failed"
        self._adopted = False

    def _time_out_sets(self) -> None:
        """Engines that do not register in time count as failed: from their start, or for
        a batch job from when it started running (it may wait in the queue for hours)."""
        limit = self.settings.engine_timeout
        for engine_set in self.engine_sets.values():
            batch = self.backend_of(engine_set).scheduler() is not None
            since = engine_set.running_since if batch else engine_set.launched
            late = since is not None and time.monotonic() - since > limit
            if engine_set.state == "starting" and engine_set.waiting and late:
                missing = engine_set.waiting
                self._end_set(
                    engine_set,
                    f"{missing} of its {engine_set.requested} engines did not register "
                    f"within {limit:g} s",
                )
                self._in_background(self._stop_set(engine_set))

    def _settle_phase(self) -> None:
        """A starting pool is running once every engine asked for has registered and said
        where it runs; it failed if no engine could start at all."""
        if self.phase != "starting" or self.client is None:
            return
        if self.waiting() or any(not e.located for e in self.engines.values()):
            return
        if self._adopted:
            self._count_the_missing()
        if self.count("running"):
            self.phase = "running"
            self.ready_seconds = round(time.monotonic() - self._launched, 3)
        elif self.engine_sets and all(not s.live for s in self.engine_sets.values()):
            errors = "; ".join(s.error for s in self.engine_sets.values() if s.error)
            self._in_background(self.fail(f"no engine started: {errors}"))


async def queue_status(client: Any, timeout: float) -> dict[Any, Any]:
    """``client.queue_status()`` without a thread waiting on it: ipyparallel's own call
    waits forever for a controller that died unnoticed, and each such wait would hold a
    worker of the loop's executor for good."""
    from ipyparallel import util

    asked = client._send(client._query_stream, "queue_request", content={"targets": None})
    reply = await asyncio.wait_for(asyncio.wrap_future(asked), timeout)
    content = dict(reply["content"])
    if content.pop("status") != "ok":
        raise RuntimeError(f"the controller refused to say its queues: {content}")
    status: dict[Any, Any] = util.int_keys(content)
    return status


def _what_matters(job: BatchJob | None) -> tuple[str, str, str] | None:
    return None if job is None else (job.state, job.reason, job.nodes)

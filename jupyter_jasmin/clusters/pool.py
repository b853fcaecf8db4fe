"""One engine pool: an ipyparallel controller, its engines, and what users see of them.

Every method here runs on the pools' own event loop (see ``runner.py``); the
server thread only reads :attr:`EnginePool.snapshot`, a plain dict replaced
whole after every change.

Each engine is started as its own ipyparallel engine set and asks the
controller for an engine id equal to its index, so scaling down can stop
exactly the engines it chooses and every engine's process is known.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psutil

from ..errors import Conflict
from ..timestamps import isoformat
from .backends import PoolBackend
from .processes import process_tree, reap, reap_cluster
from .shapes import EngineReply, EngineState, PoolReply, PoolState
from .state import PoolRecord, remove_record, write_record

# What users see: ``state`` of a pool in the REST API and the panel.
POOL_STATES = ("starting", "running", "degraded", "stopping", "stopped", "failed")
ENGINE_STATES = ("starting", "running", "stopping", "lost")
FINISHED = ("stopping", "stopped", "failed")


@dataclass(frozen=True)
class PoolSettings:
    """How every pool of a server is run (from the admin's configuration)."""

    profile_dir: str
    heartbeat_ms: int = 250
    engine_timeout: float = 60.0
    stop_timeout: float = 10.0


@dataclass
class Engine:
    """One engine of a pool, from launch until it is stopped or lost."""

    index: int
    launched: float = field(default_factory=time.monotonic)
    state: EngineState = "starting"
    host: str | None = None
    pid: int | None = None
    error: str | None = None
    processes: list[psutil.Process] = field(default_factory=list)
    cpu_percent: float | None = None
    memory_bytes: int | None = None

    @property
    def set_id(self) -> str:
        return f"engine-{self.index}"

    def to_json(self) -> EngineReply:
        return {
            "id": self.index,
            "host": self.host,
            "pid": self.pid,
            "state": self.state,
            "cpu_percent": self.cpu_percent,
            "memory_bytes": self.memory_bytes,
            "error": self.error,
        }


def tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def exit_reason(stop_data: dict[str, Any] | None) -> str:
    """'exited with code 1' or 'was killed by SIGKILL', from a launcher's stop data."""
    code = (stop_data or {}).get("exit_code")
    if isinstance(code, int) and code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


class EnginePool:
    """A controller and engines started through one backend, with their live state."""

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
        self.requested = engines
        self.settings = settings
        self.log = log
        self.phase: PoolState = "starting"
        self.error: str | None = None
        self.created = time.time()
        self.ready_seconds: float | None = None
        self.engines: dict[int, Engine] = {}
        self.cluster: Any = None
        self.client: Any = None
        self._launched = time.monotonic()
        self._next_index = 0
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
        if any(engine.state == "lost" for engine in self.engines.values()):
            return "degraded"
        return "running"

    @property
    def live(self) -> bool:
        return self.phase not in ("stopped", "failed")

    def count(self, state: EngineState) -> int:
        return sum(1 for engine in self.engines.values() if engine.state == state)

    def connection_file(self) -> str:
        return os.path.join(
            self.settings.profile_dir, "security", f"ipcontroller-{self.id}-client.json"
        )

    def describe(self) -> PoolReply:
        controller = self.cluster.controller if self.cluster is not None else None
        return {
            "id": self.id,
            "name": self.name,
            "backend": self.backend.name,
            "state": self.state,
            "error": self.error or self._lost_summary(),
            "options": dict(self.options),
            "created": isoformat(self.created),
            "ready_seconds": self.ready_seconds,
            "engines": {
                "requested": self.requested,
                "running": self.count("running"),
                "starting": self.count("starting"),
                "lost": self.count("lost"),
                "list": [engine.to_json() for engine in self.engines.values()],
            },
            "controller": {"pid": getattr(controller, "pid", None)} if controller else None,
            "connection_file": self.connection_file(),
        }

    def _lost_summary(self) -> str | None:
        lost = [e for e in self.engines.values() if e.state == "lost"]
        if not lost:
            return None
        return "; ".join(f"engine {e.index} lost: {e.error}" for e in lost)

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
                self.requested,
                dict(self.options),
                self.connection_file(),
            )
            write_record(self.settings.profile_dir, record, processes)
            self._recorded = pids

    # --- life cycle -----------------------------------------------------

    def launch(self) -> None:
        """Start the controller and engines in the background."""
        self._start_task = asyncio.create_task(self._start())

    async def _start(self) -> None:
        async with self._lock:
            try:
                # recorded before anything starts: a server killed from here on leaves
                # processes that the next server can tell are this pool's
                self._save(force=True)
                self.cluster = self._make_cluster()
                await self.cluster.start_controller()
                self._controller_processes = process_tree(self.cluster.controller.pid)
                self._save()
                self.refresh()
                await self._add_engines(self.requested)
                self.client = await self.cluster.connect_client()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.log.exception("pool %s (%s) failed to start", self.name, self.id)
                self.phase, self.error = "failed", f"could not start the pool: {error}"
                await self._teardown()
        self.refresh()

    def _make_cluster(self) -> Any:
        import ipyparallel

        os.makedirs(os.path.join(self.settings.profile_dir, "security"), mode=0o700, exist_ok=True)
        # ipyparallel logs every normal engine stop as a warning with a traceback;
        # what users need to know reaches them through the pool's state and errors
        quiet = self.log.getChild("ipyparallel")
        quiet.setLevel(logging.ERROR)
        return ipyparallel.Cluster(
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

    async def _add_engines(self, count: int) -> None:
        for _ in range(count):
            engine = Engine(index=self._next_index)
            self._next_index += 1
            self.engines[engine.index] = engine
            launch = self.backend.engine_launch(self.options)
            launch.engine_args = [f"--IPEngine.id={engine.index}", *launch.engine_args]
            await self.cluster.start_engines(1, engine_set_id=engine.set_id, **launch.as_kwargs())
            engine_set = self.cluster.engines[engine.set_id]
            where = self.backend.locate(engine_set)
            engine.host, engine.pid = where.host, where.pid
            if where.local:
                engine.processes = process_tree(where.pid)
            engine_set.on_stop(partial(self._engine_exited, engine))
            self._save()
            self.refresh()

    def _engine_exited(self, engine: Engine, stop_data: dict[str, Any] | None = None) -> None:
        """ipyparallel calls this when an engine set's processes have ended."""
        if engine.state == "stopping" or engine.index not in self.engines:
            return
        output = ""
        engine_set = self.cluster.engines.get(engine.set_id) if self.cluster else None
        if engine_set is not None:
            output = tail(engine_set.get_output(), 3)
        why = f"the engine process {exit_reason(stop_data)}"
        self._lose(engine, why + (f": {output}" if output else ""))

    def _lose(self, engine: Engine, why: str) -> None:
        if engine.state == "lost":
            return
        self.log.warning("pool %s: engine %s lost: %s", self.name, engine.index, why)
        engine.state = "lost"
        engine.error = why
        engine.cpu_percent = None
        self._in_background(self._retire(engine, forget=False))
        self.refresh()

    async def _retire(self, engine: Engine, forget: bool = True) -> None:
        """Stop one engine's processes and tell ipyparallel it is gone."""
        if engine.state == "stopping":
            await self._unregister(engine)
        if self.cluster is not None and engine.set_id in self.cluster.engines:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.cluster.stop_engines(engine.set_id), self.settings.stop_timeout
                )
        await asyncio.to_thread(reap, engine.processes)
        if forget:
            self.engines.pop(engine.index, None)

    async def _unregister(self, engine: Engine) -> None:
        """Ask a running engine to shut down and wait until the controller has let it go,
        so no client connecting after a scale-down sends work to it."""
        client = self.client
        if client is None or engine.index not in client.ids:
            return
        with contextlib.suppress(Exception):
            client.shutdown(targets=[engine.index], block=False)
        deadline = time.monotonic() + self.settings.stop_timeout
        while engine.index in client.ids and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def _in_background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _check_scalable(self) -> None:
        if not self.live or self.phase == "stopping":
            raise Conflict(f"pool '{self.name}' is {self.state}; only a live pool can be scaled")

    async def scale(self, engines: int) -> None:
        self._check_scalable()
        async with self._lock:
            self._check_scalable()  # it may have failed or been stopped while we waited
            for engine in [e for e in self.engines.values() if e.state == "lost"]:
                await self._retire(engine)
            alive = [e for e in self.engines.values() if e.state in ("starting", "running")]
            self.requested = engines
            if engines > len(alive):
                await self._add_engines(engines - len(alive))
            for engine in await self._choose_to_stop(alive, len(alive) - engines):
                engine.state = "stopping"
                self.refresh()
                await self._retire(engine)
        self.refresh()

    async def _choose_to_stop(self, alive: list[Engine], count: int) -> list[Engine]:
        """Engines still starting first, then idle ones, newest first."""
        if count <= 0:
            return []
        busy = await self._busy_engines()
        ranked = sorted(
            alive,
            key=lambda e: (e.state == "running", busy.get(e.index, 0) > 0, -e.index),
        )
        return ranked[:count]

    async def _busy_engines(self) -> dict[int, int]:
        if self.client is None:
            return {}
        try:
            status = await asyncio.wait_for(asyncio.to_thread(self.client.queue_status), 2)
        except Exception:
            return {}
        return {
            key: value.get("queue", 0) + value.get("tasks", 0)
            for key, value in status.items()
            if isinstance(key, int) and isinstance(value, dict)
        }

    async def settle(self) -> None:
        """Wait for background work (retiring lost engines, failing) to finish."""
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
        self.refresh()
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        processes = list(self._controller_processes)
        if self.cluster is not None:
            if self.cluster.controller is not None:
                processes += process_tree(self.cluster.controller.pid)
            try:
                await asyncio.wait_for(self.cluster.stop_cluster(), self.settings.stop_timeout)
            except Exception as error:
                self.log.warning("pool %s: ipyparallel stop failed: %s", self.name, error)
        for engine in self.engines.values():
            processes += engine.processes
        await asyncio.to_thread(reap, processes)
        # schedulers of a killed controller and nannies of engines stopped mid-start
        # are in no process tree we hold: find them by their environment
        await asyncio.to_thread(reap_cluster, self.settings.profile_dir, self.id)
        self.engines.clear()
        self._remove_files()
        remove_record(self.settings.profile_dir, self.id)
        self._recorded = set()

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

    # --- watching -------------------------------------------------------

    def poll(self, measure: bool) -> None:
        """Bring engine states up to date; ``measure`` also samples CPU and memory."""
        if not self.live or self.phase == "stopping" or self.cluster is None:
            return
        controller = self.cluster.controller
        if controller is None:
            return
        if controller.state == "after":
            output = tail(controller.get_output(), 3)
            why = f"the controller {exit_reason(controller.stop_data)}"
            why += f": {output}" if output else ""
            self._in_background(self.fail(why))
            return
        if measure:
            self._controller_processes = _merge(
                self._controller_processes, process_tree(controller.pid)
            )
        registered = set(self.client.ids) if self.client is not None else set()
        self._track_engines(registered, measure)
        if measure:
            self._save()
        if self.phase == "starting" and self.client is not None and not self.count("starting"):
            if self.count("running"):
                self.phase = "running"
                self.ready_seconds = round(time.monotonic() - self._launched, 3)
            else:
                errors = "; ".join(e.error for e in self.engines.values() if e.error)
                self._in_background(self.fail(f"no engine started: {errors}"))
        self.refresh()

    def _track_engines(self, registered: set[int], measure: bool) -> None:
        now = time.monotonic()
        for engine in list(self.engines.values()):
            if engine.state == "starting":
                if engine.index in registered:
                    engine.state = "running"
                    if engine.processes:
                        engine.processes = _merge(engine.processes, process_tree(engine.pid))
                elif now - engine.launched > self.settings.engine_timeout:
                    self._lose(
                        engine,
                        f"engine did not register within {self.settings.engine_timeout:g} s",
                    )
            elif engine.state == "running":
                if engine.index not in registered and self.client is not None:
                    self._lose(engine, "engine stopped answering the controller's heartbeats")
                elif measure:
                    _measure(engine)


def _merge(known: list[psutil.Process], found: list[psutil.Process]) -> list[psutil.Process]:
    """Union of two process lists (psutil compares pid and creation time)."""
    merged = [process for process in known if process.is_running()]
    merged += [process for process in found if process not in merged]
    return merged


def _measure(engine: Engine) -> None:
    if not engine.processes:
        return
    process = engine.processes[0]
    try:
        with process.oneshot():
            engine.cpu_percent = round(process.cpu_percent(interval=None), 1)
            engine.memory_bytes = process.memory_info().rss
    except psutil.Error:
        engine.cpu_percent = None

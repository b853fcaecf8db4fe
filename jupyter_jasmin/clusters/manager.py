"""Every engine pool of one Jupyter server: admission against the admin's limits,
and the background loop the pools run and are watched on.

Handlers call one method here per request. Reads come from each pool's
snapshot on the calling thread; anything that changes a pool runs on the
pools' own loop (:class:`LoopThread`), so the server's loop never waits on
a process start or stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, Conflict, NotFound
from ..resources import suggested_engines, usable_cores
from ..timestamps import isoformat
from ..validation import NAME_RULE, is_name, whole_number
from .adapt import adapt_request
from .backends import PoolBackend
from .logs import list_logs, logs_folder, read_log, remove_logs
from .output import read_tail
from .pool import EnginePool, Part, PoolSettings
from .preview import preview_pool
from .processes import cluster_processes
from .runner import LoopThread
from .schedulers import SchedulerError
from .shapes import (
    BackendsReply,
    EstimateReply,
    LogsReply,
    LogTailReply,
    OutputReply,
    PoolReply,
    PreviewReply,
)
from .state import Orphan, end, remove_record, survey


@dataclass(frozen=True)
class JobPolling:
    """How often schedulers are asked about jobs (seconds): ``fastest`` while jobs wait
    or start, doubling to ``slowest`` while nothing changes; facts every ``facts_every``."""

    fastest: float = 3.0
    slowest: float = 60.0
    facts_every: float = 300.0


@dataclass(frozen=True)
class PoolLimits:
    """The admin's limits on pools (``c.Jasmin.max_pools`` and friends)."""

    max_pools: int = 4
    max_engines_per_pool: int = 8
    default_engines: int | None = None


class EnginePools:
    """The pools this server started, and the rules for starting more."""

    def __init__(
        self,
        backends: dict[str, PoolBackend],
        settings: PoolSettings,
        limits: PoolLimits,
        log: logging.Logger,
        measure_interval: float = 1.0,
        job_poll: JobPolling | None = None,
    ) -> None:
        self.backends = backends
        self.settings = settings
        self.limits = limits
        self.log = log
        self.measure_interval = measure_interval
        self.job_poll = job_poll or JobPolling()
        self._pools: dict[str, EnginePool] = {}
        self._job_news = asyncio.Event()  # set and waited on the pools' loop only
        schedulers = {
            name: scheduler
            for name, backend in backends.items()
            if (scheduler := backend.scheduler()) is not None
        }
        found = survey(settings.profile_dir, log, schedulers)
        # pools whose server died, shown as failed until dismissed (replaced whole)
        self._ended: dict[str, PoolReply] = {pool["id"]: pool for pool in found.ended}
        self._runner = LoopThread("jasmin-pools")
        self.taken_over = [orphan.record["id"] for orphan in found.orphans]
        for orphan in found.orphans:
            self._runner.call(self._take_over(orphan))
        self._watchers = self._runner.call(self._start_watching())

    # --- reading (any thread) -----------------------------------------

    @property
    def leftovers(self) -> list[str]:
        """Ids of pools whose server died, stopped when this one started."""
        return list(self._ended)

    async def _take_over(self, orphan: Orphan) -> None:
        """A pool of a server that is gone, with its controller still running."""
        record = orphan.record
        needed = [record.get("backend"), *(part.get("backend") for part in record.get("parts", []))]
        missing = [str(name) for name in needed if name not in self.backends]
        if missing:
            why = f"its backend {missing[0]!r} is not enabled on this server"
            found = cluster_processes(self.settings.profile_dir, [record["id"]])
            ended = end(
                self.settings.profile_dir, record, found.get(record["id"], []), self.log, why
            )
            self._ended = {**self._ended, ended["id"]: ended}
            return
        pool = EnginePool.orphaned(record, self.backends, self.settings, self.log.getChild("pool"))
        pool.on_job_news = self._job_news.set
        self._pools[pool.id] = pool
        self.log.info("taking over pool %s (%s), left by a server that is gone", pool.name, pool.id)
        pool.take_over(orphan.cluster_file)

    def all(self) -> list[PoolReply]:
        return [*self._ended.values(), *(pool.snapshot for pool in list(self._pools.values()))]

    def get(self, pool_id: str) -> PoolReply:
        ended = self._ended.get(pool_id)
        return ended if ended is not None else self._find(pool_id).snapshot

    def connectable(self, pool_id: str) -> PoolReply:
        """A pool that work can be run on now, or a Conflict saying why not."""
        pool = self.get(pool_id)
        if not pool["actions"]["connect"]:
            if pool["state"] == "starting":
                why = "its engines are still starting; try again once it is running"
            elif pool["state"] in ("running", "degraded"):
                why = "it has no running engine; scale it up first"
            else:
                why = "there is nothing to connect to; start a pool first"
            raise Conflict(f"pool '{pool['name']}' is {pool['state']}: {why}")
        return pool

    async def output(self, pool_id: str, set_id: str, lines: int) -> OutputReply:
        """The last ``lines`` of an engine set's output (at most 256 KiB of it)."""
        pool = self._find(pool_id)
        path = pool.output_file(set_id)
        return await asyncio.to_thread(read_tail, path, set_id, lines)

    async def estimate(self, pool_id: str, set_id: str) -> EstimateReply:
        """The scheduler's estimated start of an engine set's pending job."""
        pool = self._find(pool_id)
        job_id = pool.job_of(set_id)
        backend = pool.backend_of(pool.engine_sets[set_id])
        estimate = None
        if backend.scheduler() is not None and job_id is not None:
            try:
                estimate = await asyncio.to_thread(backend.estimated_start, job_id)
            except SchedulerError as error:
                raise Conflict(f"the scheduler could not say: {error.message}") from None
        return {
            "engine_set": set_id,
            "job": job_id,
            "estimated_start": None
            if estimate is None or estimate.start is None
            else isoformat(estimate.start),
            "nodes": estimate.nodes if estimate is not None and estimate.nodes else None,
        }

    async def logs(self, pool_id: str) -> LogsReply:
        """A pool's logs: live, failed and culled pools, and pools whose server died."""
        folder, live = self._logs_of(pool_id)
        return {"logs": await asyncio.to_thread(list_logs, folder, live)}

    async def log_tail(self, pool_id: str, name: str, lines: int) -> LogTailReply:
        folder, live = self._logs_of(pool_id)
        return await asyncio.to_thread(read_log, folder, live, name, lines)

    def _logs_of(self, pool_id: str) -> tuple[str, dict[str, str]]:
        if pool_id in self._ended:
            return logs_folder(self.settings.profile_dir, pool_id), {}
        pool = self._find(pool_id)
        return pool.logs, pool.live_logs()

    def _find(self, pool_id: str) -> EnginePool:
        pool = self._pools.get(pool_id)
        if pool is None:
            raise NotFound(f"no engine pool with id '{pool_id}'")
        return pool

    def engines_on_this_vm(self) -> int:
        """Engines asked for by live pools whose backends run them on this VM's cores."""
        return sum(
            part.requested
            for pool in list(self._pools.values())
            if pool.live
            for part in list(pool.parts.values())
            if part.backend.on_this_vm
        )

    def suggested_engines(self) -> int:
        import psutil

        return suggested_engines(
            usable_cores(), psutil.getloadavg()[0], self.limits.max_engines_per_pool
        )

    def offer(self) -> BackendsReply:
        """The backends a user may choose, with this server's limits (``GET backends``)."""
        return {
            "backends": [
                backend.describe(self.limits.max_engines_per_pool)
                for backend in self.backends.values()
            ],
            "limits": {
                "max_pools": self.limits.max_pools,
                "max_engines_per_pool": self.limits.max_engines_per_pool,
            },
            "suggested_engines": self.suggested_engines(),
        }

    # --- changing (runs on the pools' loop) ----------------------------

    async def create(
        self,
        name: str | None = None,
        backend: str = "local",
        engines: int | None = None,
        options: dict[str, Any] | None = None,
        idle_minutes: Any = None,
    ) -> PoolReply:
        """Admit a new pool and start it in the background; returns it ``starting``.
        A request over the scheduler's limits is refused, saying which."""
        chosen, count, chosen_options = self._request(name, backend, engines, options)
        idle = chosen.idle_minutes(idle_minutes)
        _refuse_failed_checks(chosen, chosen_options, count)
        return await self._runner.run(self._admit(name, chosen, count, chosen_options, idle))

    async def preview(
        self,
        name: str | None = None,
        backend: str = "local",
        engines: int | None = None,
        options: dict[str, Any] | None = None,
        idle_minutes: Any = None,
    ) -> PreviewReply:
        """What ``create`` would do, creating nothing: the engine sets, the batch script,
        the checks, and the scheduler's estimated start."""
        chosen, count, chosen_options = self._request(name, backend, engines, options)
        chosen.idle_minutes(idle_minutes)
        return await self._runner.run(
            preview_pool(chosen, count, chosen_options, self.settings, self.log)
        )

    def _request(
        self, name: Any, backend: Any, engines: Any, options: Any
    ) -> tuple[PoolBackend, int, dict[str, Any]]:
        """A pool request's backend, engine count and options, each checked."""
        chosen = self._backend(backend)
        if name is not None and not is_name(name):
            raise BadRequest(f"'name' must be {NAME_RULE}, not {name!r}")
        if options is not None and not isinstance(options, dict):
            raise BadRequest("'options' must be an object of option names and values")
        chosen_options = chosen.validate_options(options or {})
        if engines is None:
            engines = self.limits.default_engines or self.suggested_engines()
        count = whole_number(engines, "engines", "Engines", 1, self.limits.max_engines_per_pool)
        return chosen, count, chosen_options

    def _backend(self, name: Any) -> PoolBackend:
        if not isinstance(name, str) or name not in self.backends:
            offered = ", ".join(sorted(self.backends))
            raise BadRequest(f"unknown backend {name!r}; this server offers: {offered}")
        return self.backends[name]

    async def _admit(
        self,
        name: str | None,
        backend: PoolBackend,
        engines: int,
        options: dict[str, Any],
        idle: float | None,
    ) -> PoolReply:
        live = [pool for pool in self._pools.values() if pool.live]
        if len(live) >= self.limits.max_pools:
            raise Conflict(
                f"this server allows at most {self.limits.max_pools} pools at once; "
                "stop one before starting another"
            )
        taken = {pool.name for pool in self._pools.values()}
        taken |= {pool["name"] for pool in self._ended.values()}
        if name is None:
            name = next(f"pool-{n}" for n in range(1, len(taken) + 2) if f"pool-{n}" not in taken)
        elif name in taken:
            raise Conflict(f"a pool named '{name}' already exists")
        pool_id = secrets.token_hex(4)
        while pool_id in self._pools or pool_id in self._ended:
            pool_id = secrets.token_hex(4)
        pool = EnginePool(
            pool_id, name, backend, options, engines, self.settings, self.log.getChild("pool")
        )
        pool.on_job_news = self._job_news.set
        pool.idle_minutes = idle
        pool.refresh()
        self._pools[pool.id] = pool
        self.log.info("starting pool %s (%s): %d %s engines", name, pool_id, engines, backend.name)
        pool.launch()
        return pool.snapshot

    async def scale(
        self,
        pool_id: str,
        engines: Any = None,
        backend: Any = None,
        options: Any = None,
        **more: Any,
    ) -> PoolReply:
        """Have ``engines`` engines of ``backend`` (the pool's own by default; another
        bursts the pool onto it), and/or change the pool's idle time (``idle_minutes``),
        and/or have it follow its queue (``adapt``: a range, or None for a fixed count;
        an engine count for the pool's own backend without ``adapt`` ends adapting)."""
        if pool_id in self._ended:
            raise Conflict(f"pool '{self._ended[pool_id]['name']}' is failed; dismiss it")
        pool = self._find(pool_id)
        if "adapt" in more:
            adapt = adapt_request(more["adapt"], self.limits.max_engines_per_pool)
            if adapt is not None and engines is not None:
                raise BadRequest("give 'engines' or an 'adapt' range, not both", "adapt")
            await self._runner.run(pool.set_adapt(adapt))
        if engines is None:
            if backend is not None or options is not None:
                raise BadRequest("'backend' and 'options' go with 'engines'")
        else:
            part = self._part(pool, backend, options)
            count = whole_number(engines, "engines", "Engines", 0, self.limits.max_engines_per_pool)
            others = sum(p.requested for p in pool.parts.values() if p.name != part.name)
            if others + count > self.limits.max_engines_per_pool:
                raise BadRequest(
                    f"the pool would have {others + count} engines; this server allows at "
                    f"most {self.limits.max_engines_per_pool} per pool"
                )
            if count > part.requested:
                _refuse_failed_checks(part.backend, part.options, count - part.requested)
            if part.name not in pool.parts:
                burst = _burst_idle(pool.idle_minutes, part.backend)
                await self._runner.run(pool.set_idle(burst))
            if part.primary and pool.adapt is not None:
                await self._runner.run(pool.set_adapt(None))  # the user takes over
            await self._runner.run(pool.scale(count, part))
        if "idle_minutes" in more:
            chosen = [p.backend.idle_minutes(more["idle_minutes"]) for p in pool.parts.values()]
            await self._runner.run(pool.set_idle(chosen[0]))
        return pool.snapshot

    def _part(self, pool: EnginePool, backend: Any, options: Any) -> Part:
        """The part of a pool a scale request names, or a new one (a burst) with its
        backend's options checked."""
        if options is not None and not isinstance(options, dict):
            raise BadRequest("'options' must be an object of option names and values")
        if backend is None or backend == pool.backend.name:
            part = pool.parts[pool.backend.name]
        elif isinstance(backend, str) and backend in pool.parts:
            part = pool.parts[backend]
        else:
            chosen = self._backend(backend)
            return Part(chosen, chosen.validate_options(options or {}), 0)
        if options is not None and part.backend.validate_options(options) != part.options:
            raise Conflict(
                f"the {part.name} engines of pool '{pool.name}' were started with other "
                "options; a part's options are fixed (scale it to 0 first)"
            )
        return part

    async def stop(self, pool_id: str) -> PoolReply:
        """Stop a pool (or dismiss a failed one) and forget it."""
        ended = self._ended.get(pool_id)
        if ended is not None:
            self._ended = {key: pool for key, pool in self._ended.items() if key != pool_id}
            remove_record(self.settings.profile_dir, pool_id)
            await asyncio.to_thread(remove_logs, logs_folder(self.settings.profile_dir, pool_id))
            return ended
        pool = self._find(pool_id)
        await self._runner.run(pool.stop())
        self._pools.pop(pool_id, None)
        await asyncio.to_thread(remove_logs, pool.logs)
        snapshot = pool.snapshot.copy()
        if snapshot["state"] != "failed":
            snapshot["state"] = "stopped"
        # forgotten: nothing more can be done with it
        snapshot["actions"] = {"scale": False, "connect": False, "stop": False, "dismiss": False}
        return snapshot

    async def shutdown(self) -> None:
        """Stop every pool and the pools' loop (when the server stops)."""
        await self._runner.run(self._stop_all())
        self._runner.stop()

    def shutdown_now(self) -> None:
        """Blocking form of :meth:`shutdown`, for callers without an event loop."""
        with contextlib.suppress(Exception):
            self._runner.call(self._stop_all(), timeout=60)
        self._runner.stop()

    async def _start_watching(self) -> list[asyncio.Task[None]]:
        """The pools' watchers, as tasks of the pools' loop (so they can be ended there)."""
        return [
            asyncio.create_task(self._watch()),
            asyncio.create_task(self._watch_jobs()),
            asyncio.create_task(self._learn_backends()),
            asyncio.create_task(self._watch_idle()),
            asyncio.create_task(self._watch_tasks()),
        ]

    async def _stop_all(self) -> None:
        """Stop every pool, but those kept running across a stop (batch jobs waited for)."""
        for task in self._watchers:
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        pools = list(self._pools.values())
        await asyncio.gather(
            *(pool.detach() if pool.keeps_running() else pool.stop() for pool in pools),
            return_exceptions=True,
        )
        self._pools.clear()

    async def _watch(self) -> None:
        """Keep every pool's state current: fast while engines start, slower after."""
        last_measure = 0.0
        while True:
            now = time.monotonic()
            measure = now - last_measure >= self.measure_interval
            if measure:
                last_measure = now
            busy = False
            for pool in list(self._pools.values()):
                try:
                    pool.poll(measure)
                except Exception:
                    self.log.exception("watching pool %s failed", pool.id)
                busy = busy or pool.phase == "starting" or pool.waiting() > 0
            await asyncio.sleep(0.05 if busy else 0.25)

    async def _watch_jobs(self) -> None:
        """Ask each scheduler about every batch job of every pool, in one call per
        interval: every few seconds while something waits or starts, backing off to a
        minute while nothing changes (facilities forbid tight polling)."""
        interval = self.job_poll.fastest
        while True:
            # a submitted job, or a lost engine of a batch job, wakes this early
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._job_news.wait(), interval)
            self._job_news.clear()
            changed = await self._poll_jobs()
            waiting = any(pool.waiting() for pool in self._pools.values())
            if changed or waiting:
                interval = self.job_poll.fastest
            else:
                interval = min(interval * 2, self.job_poll.slowest)

    async def _poll_jobs(self) -> bool:
        changed = False
        for backend in self.backends.values():
            scheduler = backend.scheduler()
            pools = [p for p in self._pools.values() if p.batch_jobs(backend.name)]
            if scheduler is None or not pools:
                continue
            ids = [job for pool in pools for job in pool.batch_jobs(backend.name)]
            try:
                jobs = await asyncio.to_thread(scheduler.job_states, ids)
            except SchedulerError as error:
                self.log.warning(
                    "asking %s about %d jobs failed: %s", backend.name, len(ids), error
                )
                continue
            for pool in pools:
                changed = pool.update_jobs(jobs, backend.name) or changed
        return changed

    async def _watch_tasks(self) -> None:
        """Each running pool's work as its controller counts it (the panel's progress,
        the idle clock, the question before a stop)."""
        while True:
            await asyncio.sleep(TASK_CHECK_SECONDS)
            pools = list(self._pools.values())
            results = await asyncio.gather(
                *(pool.check_tasks() for pool in pools), return_exceptions=True
            )
            for pool, result in zip(pools, results, strict=True):
                if isinstance(result, Exception):
                    self.log.warning("counting the tasks of pool %s failed: %s", pool.id, result)
                else:
                    pool.check_adapt()

    async def _watch_idle(self) -> None:
        """Stop pools that have had no work for their idle time."""
        while True:
            await asyncio.sleep(self.settings.idle_check_seconds)
            for pool in list(self._pools.values()):
                try:
                    await pool.check_idle()
                except Exception:
                    self.log.exception("checking whether pool %s is idle failed", pool.id)

    async def _learn_backends(self) -> None:
        """Ask the schedulers what they offer, at start and every few minutes."""
        while True:
            for backend in self.backends.values():
                if backend.scheduler() is not None:
                    await asyncio.to_thread(backend.refresh_facts)
            await asyncio.sleep(self.job_poll.facts_every)


TASK_CHECK_SECONDS = 1.0


def _refuse_failed_checks(backend: PoolBackend, options: dict[str, Any], engines: int) -> None:
    """A request over the scheduler's limits is refused before anything is submitted."""
    failed = [c["message"] for c in backend.checks(options, engines) if not c["ok"]]
    if failed:
        raise BadRequest("; ".join(failed))


def _burst_idle(minutes: float | None, backend: PoolBackend) -> float | None:
    """A pool's idle time once it bursts onto ``backend``: that backend's default when the
    pool had none, and never over that backend's maximum."""
    if minutes is None:
        minutes = backend.idle_minutes_default or None
    most = backend.idle_minutes_max
    if most and (minutes is None or minutes > most):
        minutes = most
    return minutes

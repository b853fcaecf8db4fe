"""What starting a pool would do, creating nothing (``POST clusters`` with ``dry_run``)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from typing import Any

from ..timestamps import isoformat
from .backends import PoolBackend, SetPlace
from .pool import EnginePool, PoolSettings
from .shapes import PreviewReply


async def preview_pool(
    backend: PoolBackend,
    engines: int,
    options: dict[str, Any],
    settings: PoolSettings,
    log: logging.Logger,
) -> PreviewReply:
    """What starting this pool would do, creating nothing: its engine sets, the batch
    script of the first (exactly as the launcher writes it), the checks, and the
    scheduler's estimated start (``sbatch --test-only``)."""
    sizes = [plan.size for plan in backend.plan_engine_sets(engines, options, {})]
    checks = backend.checks(options, engines)
    reply: PreviewReply = {
        "backend": backend.name,
        "engines": engines,
        "engine_sets": sizes,
        "script": None,
        "checks": checks,
        "estimated_start": None,
        "estimated_nodes": None,
        "scheduler_said": None,
    }
    scheduler = backend.scheduler()
    if scheduler is None:
        return reply
    pool = EnginePool("preview", "preview", backend, options, engines, settings, log)
    with tempfile.TemporaryDirectory() as folder:
        cluster = pool._make_cluster()
        place = SetPlace("preview", f"{backend.name}-0", folder)
        launch = backend.engine_launch(options, place)
        launcher = cluster.engine_launcher_class(
            work_dir=folder,
            parent=cluster,
            log=cluster.log,
            profile_dir=settings.profile_dir,
            cluster_id=cluster.cluster_id,
            engine_set_id=place.set_id,
            **launch.as_kwargs(),
        )
        launcher.write_batch_script(sizes[0] if sizes else 1)
        with open(launcher.batch_file) as stream:
            script = reply["script"] = stream.read()
    if all(check["ok"] for check in checks):
        try:
            estimate = await asyncio.to_thread(backend.estimate_start, script)
        except Exception as error:  # the scheduler's own words are what the user needs
            reply["scheduler_said"] = str(error)
        else:
            if estimate is not None and estimate.start is not None:
                reply["estimated_start"] = isoformat(estimate.start)
            reply["estimated_nodes"] = (estimate.nodes or None) if estimate else None
    return reply

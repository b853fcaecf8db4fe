"""The server extension: the admin's configuration (``c.Jasmin.*``) and the wiring
of managers and routes into the Jupyter server."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Dict, Float, Integer, List, Unicode, default

from .clusters import EnginePools, PoolLimits, PoolSettings
from .clusters.backends import load_backends
from .clusters.manager import JobPolling
from .diagnostics import LoopWatch
from .handlers import api_routes
from .holdings.config import HOLDINGS_ENV, HoldingSpec, default_index_dir, sample_holdings
from .holdings.manager import Holdings
from .kernel_citations import KERNEL_ACTIONS, KernelCitations
from .pools import PROFILE_ENV, SERVER_TOKEN_ENV, SERVER_URL_ENV
from .provenance import read_tracking_ids
from .resources import usable_cores


class Jasmin(ExtensionApp):
    """Parallel engine pools and dataset holdings for JupyterLab on a cluster facility."""

    name = "jupyter_jasmin"
    _stopping: asyncio.Future[None] | None = None

    backends = List(
        Unicode(),
        default_value=["local"],
        config=True,
        help="Pool backends users may choose, by name (e.g. ['local']).",
    )
    max_pools = Integer(4, config=True, help="Most pools one user's server may run at once.")
    max_engines_per_pool = Integer(
        config=True, help="Most engines in one pool (default: this VM's usable cores)."
    )
    default_engines = Integer(
        None,
        allow_none=True,
        config=True,
        help="Engines in a new pool when none are asked for (default: one per idle core).",
    )
    profile_dir = Unicode(
        config=True,
        help="IPython profile folder holding the pools' connection and state files.",
    )
    heartbeat_period = Integer(
        250,
        config=True,
        help="Controller heartbeat period in ms: engines register within about two "
        "periods and a dead engine is noticed after ten (ipyparallel's default is 3000).",
    )
    watch_event_loop = Bool(
        False,
        config=True,
        help="Measure how long the server's event loop is blocked, served at "
        "/jasmin/api/diagnostics/event-loop (for benchmarks).",
    )
    job_poll_seconds = Float(
        3.0,
        config=True,
        help="Seconds between asking batch schedulers about jobs while some wait or start "
        "(one call per scheduler for all pools); doubles while nothing changes.",
    )
    job_poll_max_seconds = Float(
        60.0, config=True, help="Longest wait between asking batch schedulers about jobs."
    )
    engine_timeout = Float(
        60, config=True, help="Seconds an engine may take to register before it counts as lost."
    )
    idle_check_seconds = Float(
        10.0,
        config=True,
        help="Seconds between asking each pool's controller whether it has work (idle culling).",
    )

    holdings = List(
        Dict(),
        config=True,
        help="Dataset holdings: [{'name': 'cmip5', 'root': '/badc/cmip5/data', 'drs': 'cmip5'}]. "
        "'drs' is a built-in template (cmip6, cmip5, cordex) or a custom one such as "
        "'{project}/{model}/{experiment}/{variable}'. Default: the CMIP6 sample archive of "
        "esmvaltool-sample-data, when it is installed.",
    )
    index_dir = Unicode(
        config=True,
        help="Folder of the holdings' SQLite indexes (one file per holding); may be a "
        "shared, read-only folder kept up to date by an admin's cron job.",
    )
    cache_dir = Unicode(
        config=True, help="Folder for this user's quick-look pictures and catalog CSVs."
    )
    quicklook_cache_pictures = Integer(
        500,
        config=True,
        help="Most quick-look pictures kept in cache_dir; the least recently used go first.",
    )
    index_on_start = Bool(
        True,
        config=True,
        help="Build the index of any holding that has none when the server starts.",
    )
    inspect_processes = Integer(
        2, config=True, help="Worker processes reading datasets with xarray (metadata, pictures)."
    )

    @default("index_dir")
    def _default_index_dir(self) -> str:
        return default_index_dir()

    @default("cache_dir")
    def _default_cache_dir(self) -> str:
        from jupyter_core.paths import jupyter_runtime_dir

        return os.path.join(jupyter_runtime_dir(), "jasmin-cache")

    def holding_entries(self) -> list[dict[str, Any]]:
        """The configured holdings, or the embedded sample archive when none are."""
        return list(self.holdings) or sample_holdings()

    def holding_specs(self) -> list[HoldingSpec]:
        return [HoldingSpec.from_config(entry) for entry in self.holding_entries()]

    def export_for_kernels(self) -> None:
        """Put the effective profile folder and holdings in this process's environment,
        which the kernels and terminals this server starts inherit: there ``pools`` and
        ``holdings`` find this server's pools and indexes even when it was configured on
        the command line or in memory, which the config files they read cannot say."""
        os.environ[PROFILE_ENV] = os.path.abspath(self.profile_dir)
        exported = {
            "holdings": self.holding_entries(),
            "index_dir": os.path.abspath(self.index_dir),
        }
        os.environ[HOLDINGS_ENV] = json.dumps(exported, default=str)
        # the server's address is known once it listens: kernels start after that
        IOLoop.current().add_callback(self._export_address)

    def _export_address(self) -> None:
        """This server's URL and token, so ``pools.start()`` in a kernel it started
        shows the pool in the panel without the user copying a token. The kernel runs
        as the same user, who can read the token in the server's runtime file anyway."""
        server = self.serverapp
        if server is None:
            return
        os.environ[SERVER_URL_ENV] = server.connection_url
        token = server.identity_provider.token
        if token:
            os.environ[SERVER_TOKEN_ENV] = token
        else:
            os.environ.pop(SERVER_TOKEN_ENV, None)

    def make_holdings(self) -> Holdings:
        return Holdings(
            self.holding_specs(),
            index_dir=os.path.abspath(self.index_dir),
            cache_dir=os.path.abspath(self.cache_dir),
            log=self.log.getChild("holdings"),
            inspect_processes=self.inspect_processes,
            quicklook_pictures=self.quicklook_cache_pictures,
        )

    def make_citations(self, holdings: Holdings) -> KernelCitations:
        """The kernels' citation files: those of kernels gone are removed now (off the
        loop) and as each kernel shuts down."""
        assert self.serverapp is not None  # settings are made for a server
        kernels = self.serverapp.kernel_manager
        citations = KernelCitations(
            os.path.abspath(self.profile_dir),
            [spec.root for spec in self.holding_specs()],
            lambda kernel_id: kernel_id in kernels,
            lambda paths: holdings.inspector.run(read_tracking_ids, paths),
        )
        IOLoop.current().run_in_executor(None, citations.sweep)
        events = getattr(self.serverapp, "event_logger", None)
        if events is not None:
            events.add_listener(schema_id=KERNEL_ACTIONS, listener=citations.on_kernel_action)
        return citations

    @default("max_engines_per_pool")
    def _default_max_engines(self) -> int:
        return usable_cores()

    @default("profile_dir")
    def _default_profile_dir(self) -> str:
        from IPython.paths import get_ipython_dir

        return os.path.join(get_ipython_dir(), "profile_jasmin")

    def initialize_settings(self) -> None:
        pools = EnginePools(
            backends=load_backends(list(self.backends), parent=self),
            settings=PoolSettings(
                profile_dir=os.path.abspath(self.profile_dir),
                heartbeat_ms=self.heartbeat_period,
                engine_timeout=self.engine_timeout,
                idle_check_seconds=self.idle_check_seconds,
            ),
            limits=PoolLimits(
                max_pools=self.max_pools,
                max_engines_per_pool=self.max_engines_per_pool,
                default_engines=self.default_engines,
            ),
            log=self.log.getChild("jasmin"),
            job_poll=JobPolling(self.job_poll_seconds, self.job_poll_max_seconds),
        )
        holdings = self.make_holdings()
        self.export_for_kernels()
        citations = self.make_citations(holdings)
        self.settings.update(
            {"jasmin_pools": pools, "jasmin_holdings": holdings, "jasmin_citations": citations}
        )
        if self.index_on_start:
            IOLoop.current().add_callback(holdings.build_missing)
        if self.watch_event_loop:
            watch = LoopWatch()
            IOLoop.current().add_callback(watch.start)
            self.settings["jasmin_loop_watch"] = watch

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_routes())

    async def stop_extension(self) -> None:
        # jupyter_server stops its extensions once per SIGTERM, and a server started by
        # yarn (``jlpm start``) gets two when the process group is signalled: yarn
        # forwards its own. A second stop waits for the first instead of stopping the
        # managers again while they stop.
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop_managers())
        await asyncio.shield(self._stopping)

    async def _stop_managers(self) -> None:
        citations: KernelCitations | None = self.settings.get("jasmin_citations")
        events = getattr(self.serverapp, "event_logger", None)
        if citations is not None and events is not None:
            # the kernels stop after the extensions: the next server's sweep clears them
            events.remove_listener(schema_id=KERNEL_ACTIONS, listener=citations.on_kernel_action)
        for key in ("jasmin_holdings", "jasmin_pools"):
            manager: Any = self.settings.get(key)
            if manager is not None:
                await manager.shutdown()

"""The server extension: the admin's configuration (``c.Jasmin.*``) and the wiring
of managers and routes into the Jupyter server."""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Float, Integer, List, Unicode, default

from .clusters import EnginePools, PoolLimits, PoolSettings
from .clusters.backends import load_backends
from .diagnostics import LoopWatch
from .handlers import api_routes
from .resources import usable_cores


class Jasmin(ExtensionApp):
    """Parallel engine pools and dataset holdings for JupyterLab on a cluster facility."""

    name = "jupyter_jasmin"

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
    engine_timeout = Float(
        60, config=True, help="Seconds an engine may take to register before it counts as lost."
    )

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
            ),
            limits=PoolLimits(
                max_pools=self.max_pools,
                max_engines_per_pool=self.max_engines_per_pool,
                default_engines=self.default_engines,
            ),
            log=self.log.getChild("jasmin"),
        )
        self.settings.update({"jasmin_pools": pools})
        if self.watch_event_loop:
            watch = LoopWatch()
            IOLoop.current().add_callback(watch.start)
            self.settings["jasmin_loop_watch"] = watch

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_routes())

    async def stop_extension(self) -> None:
        pools: Any = self.settings.get("jasmin_pools")
        if pools is not None:
            await pools.shutdown()

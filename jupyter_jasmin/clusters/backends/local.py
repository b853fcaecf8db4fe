"""Engines as processes on this VM's own cores (ipyparallel's local launchers)."""

from __future__ import annotations

from typing import Any

from traitlets import Float, Integer, Unicode

from ...resources import usable_cores
from .base import EngineLaunch, Option, PoolBackend, SetPlace

# Numerical libraries start one thread per core in every engine unless told
# otherwise; with one engine per core that oversubscribes the VM many times.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def threads_option() -> Option:
    """How many threads each engine on this VM may use (its ``THREAD_VARIABLES``)."""
    return Option(
        name="threads_per_engine",
        kind="integer",
        label="Threads per engine",
        default=1,
        help="Threads that NumPy, BLAS and numexpr may use inside each engine.",
        minimum=1,
        maximum=usable_cores(),
    )


class LocalBackend(PoolBackend):
    """One process per engine on the VM that runs the Jupyter server."""

    name = "local"
    on_this_vm = True
    label = "This VM's cores"
    description = "Engines run as processes on the cores of the VM you are logged into."

    max_nice = Integer(19, config=True, help="Highest niceness a user may ask for (0-19).")
    controller_ip = Unicode(
        "127.0.0.1",
        config=True,
        help="The address a local pool's controller listens on: loopback unless engines on "
        "other hosts (a burst onto batch jobs or SSH hosts) must reach it.",
    )
    connection_wait = Float(
        60, config=True, help="Seconds a new engine waits for its controller's connection file."
    )

    def options(self) -> list[Option]:
        return [
            threads_option(),
            Option(
                name="nice",
                kind="integer",
                label="Niceness",
                default=0,
                help="Run engines at lower CPU priority so the VM stays responsive (0-19).",
                minimum=0,
                maximum=self.max_nice,
            ),
        ]

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "engine_launcher_class": "local",
            "controller_ip": self.controller_ip,
            # engines read the controller's connection file from the shared profile
            # folder, so they can start importing while the controller starts
            "send_engines_connection_env": False,
        }

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        threads = str(options["threads_per_engine"])
        launch = EngineLaunch(
            engine_args=[f"--IPEngine.wait_for_url_file={self.connection_wait:g}"],
            environment=dict.fromkeys(THREAD_VARIABLES, threads),
        )
        if options["nice"]:
            from ipyparallel.cluster.launcher import ipengine_cmd_argv

            launch.engine_cmd = ["nice", "-n", str(options["nice"]), *ipengine_cmd_argv]
        return launch

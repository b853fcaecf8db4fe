"""Engines as the ranks of one MPI world on this VM: ``mpiexec -n N ipengine --mpi``
through ipyparallel's MPI launcher, so code using mpi4py works across the engines.

Each request for engines starts one world (one engine set of N ranks). A running MPI
world can neither grow nor shrink, so a pool of this backend is scaled by whole worlds
(``whole_sets``). In the first world of a pool engine ids equal ranks (``ipengine --mpi``
asks the controller for its rank as its id); every engine has ``mpi_rank`` and
``mpi_size`` of its own world in its namespace.
"""

from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Integer, List, Unicode, default

from ...errors import BadRequest
from .base import EngineLaunch, Option, PoolBackend, SetPlace
from .local import THREAD_VARIABLES, threads_option

# Open MPI refuses to run as root unless both are set (or --allow-run-as-root is given);
# the variables are Open MPI's own, so another MPI's mpiexec simply ignores them.
RUN_AS_ROOT = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


class MPIBackend(PoolBackend):
    """One ``mpiexec`` of N engines per engine set, on the VM that runs the server."""

    name = "mpi"
    on_this_vm = True
    label = "MPI on this VM"
    description = (
        "Engines run as the ranks of one MPI world (mpiexec) on this VM, so code using "
        "mpi4py works across them; in a pool's first world engine ids equal ranks. "
        "An MPI world cannot grow or shrink: the pool grows by starting another world "
        "and shrinks by stopping whole worlds."
    )
    whole_sets = True

    mpi_cmd = List(
        Unicode(), ["mpiexec"], config=True, help="The mpiexec command, e.g. ['mpirun']."
    )
    mpi_args = List(
        Unicode(),
        [],
        config=True,
        help="More arguments for mpiexec, before the engine command (e.g. ['--bind-to', 'none']).",
    )
    allow_run_as_root = Bool(
        config=True,
        help="Let Open MPI run when the server runs as root (it refuses otherwise); "
        "default: true when the server runs as root.",
    )
    oversubscribe = Bool(
        True,
        config=True,
        help="Pass --oversubscribe (Open MPI) so a world may have more ranks than the VM "
        "has cores.",
    )
    max_world_size = Integer(
        16, config=True, help="Most engines in one MPI world (one request for engines)."
    )

    @default("allow_run_as_root")
    def _running_as_root(self) -> bool:
        return os.geteuid() == 0

    def options(self) -> list[Option]:
        return [threads_option()]

    def limits(self) -> dict[str, Any]:
        return {"max_world_size": self.max_world_size}

    def engine_set_sizes(self, engines: int, options: dict[str, Any]) -> list[int]:
        if engines > self.max_world_size:
            raise BadRequest(
                f"an MPI world has at most {self.max_world_size} engines; "
                f"{engines} more were asked for"
            )
        return [engines]  # one world per request: MPI cannot resize a running world

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            # imported by ipyparallel when a pool starts, not with the server
            "engine_launcher_class": "jupyter_jasmin.clusters.launchers.MPIEngines",
            "controller_ip": "127.0.0.1",
        }

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        environment = dict.fromkeys(THREAD_VARIABLES, str(options["threads_per_engine"]))
        if self.allow_run_as_root:
            environment.update(RUN_AS_ROOT)
        oversubscribe = ["--oversubscribe"] if self.oversubscribe else []
        return EngineLaunch(
            environment=environment,
            launcher={"mpi_cmd": list(self.mpi_cmd), "mpi_args": [*oversubscribe, *self.mpi_args]},
        )

"""An ipyparallel ``Cluster`` whose engine sets may each come from another launcher.

One pool may hold engines of several backends under one controller (local processes
and Slurm jobs, say). ipyparallel keeps one engine launcher class per cluster and
writes only that class into the cluster file, so a re-attached cluster would rebuild
every engine set with it. Here each engine set is started with its own class, and
the cluster file names each set's class, so ``Cluster.from_file`` (which dispatches
to this class by the name it also wrote) rebuilds every set as it was started.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import ipyparallel
from ipyparallel.cluster import launcher

SET_CLASS = "jasmin_launcher_class"


class PoolCluster(ipyparallel.Cluster):  # type: ignore[misc]
    """A cluster whose engine sets each name their launcher class."""

    async def start_engines(
        self,
        n: int | None = None,
        engine_set_id: str | None = None,
        *,
        launcher_class: Any = None,
        connection_env: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Start an engine set with ``launcher_class`` (ipyparallel's name or class),
        sending the controller's connection in the environment when ``connection_env``
        (engines that cannot read this host's profile folder need it)."""
        if launcher_class is not None:
            self.engine_launcher_class = launcher_class
        if connection_env is not None:
            self.send_engines_connection_env = connection_env
        set_id: str = await super().start_engines(n, engine_set_id, **kwargs)
        return set_id

    def to_dict(self) -> dict[str, Any]:
        described: dict[str, Any] = super().to_dict()
        sets = described["engines"]["sets"]
        for set_id, engine_set in self.engines.items():
            if set_id in sets:
                sets[set_id][SET_CLASS] = launcher.abbreviate_launcher_class(type(engine_set))
        return described

    @classmethod
    def from_dict(cls, d: dict[str, Any], **kwargs: Any) -> PoolCluster:
        """Rebuild the cluster and then each engine set with the class it was started with."""
        without_sets = copy.deepcopy(d)
        sets: dict[str, Any] = without_sets.get("engines", {}).pop("sets", {})
        cluster: PoolCluster = super().from_dict(without_sets, **kwargs)
        default_class = d.get("engines", {}).get("class")
        for set_id, state in sets.items():
            state = dict(state)
            cluster.engine_launcher_class = state.pop(SET_CLASS, default_class)
            try:
                engine_set = cluster.engine_launcher_class.from_dict(
                    state, engine_set_id=set_id, parent=cluster
                )
            except launcher.NotRunning as error:
                cluster.log.error("engine set %s of %s not running: %s", set_id, cluster, error)
                continue
            cluster.engines[set_id] = engine_set
            engine_set.on_stop(partial(cluster._engines_stopped, set_id))
        cluster.update_cluster_file()
        return cluster

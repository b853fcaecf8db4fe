"""Backends for tests: local engines grouped into engine sets the way an mpiexec or a
batch job groups them, so pool rules about engine sets run without MPI or a scheduler."""

from __future__ import annotations

from typing import Any

from jupyter_jasmin.clusters.backends.local import LocalBackend


class PairsBackend(LocalBackend):
    """Local engines started two to an engine set."""

    name = "pairs"
    label = "Local engines in pairs (tests)"

    def engine_set_sizes(self, engines: int, options: dict[str, Any]) -> list[int]:
        return [2] * (engines // 2) + [1] * (engines % 2)


class WorldsBackend(LocalBackend):
    """Local engines started as one engine set per request that only stops whole, like
    an MPI world."""

    name = "worlds"
    label = "Local worlds (tests)"
    whole_sets = True

    def engine_set_sizes(self, engines: int, options: dict[str, Any]) -> list[int]:
        return [engines]

"""Asking batch schedulers about their queues and jobs: Slurm, PBS and LSF.

Plain blocking adapters over each scheduler's client commands (no shell, a timeout,
one :class:`SchedulerError` for every failure), with typed results. A pool backend
calls them from a background thread.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import GONE, BatchJob, Scheduler, SchedulerError, state_in_words
from .lsf import LSF
from .pbs import PBS
from .slurm import Node, Partition, Slurm, StartEstimate

# By the name a site's configuration uses; each takes ``timeout`` and ``bin_dir``.
SCHEDULERS: dict[str, Callable[..., Scheduler]] = {
    "slurm": Slurm,
    "pbs": PBS,
    "lsf": LSF,
}

__all__ = [
    "GONE",
    "LSF",
    "PBS",
    "SCHEDULERS",
    "BatchJob",
    "Node",
    "Partition",
    "Scheduler",
    "SchedulerError",
    "Slurm",
    "StartEstimate",
    "state_in_words",
]

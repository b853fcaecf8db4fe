"""What this VM offers: cores, memory and load, and how many engines to suggest."""

from __future__ import annotations

import os
import socket
from typing import TypedDict

import psutil


def usable_cores() -> int:
    """Cores this process may run on (CPU affinity respects cgroups and taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return psutil.cpu_count(logical=True) or 1


def suggested_engines(cores: int, load_1min: float, limit: int) -> int:
    """One engine per idle core, at least one and never more than the admin's limit.

    On a shared analysis VM the cores other users keep busy are not really free,
    so the current load is taken off the core count.
    """
    idle = cores - int(load_1min)
    return max(1, min(idle, cores, limit))


class Cores(TypedDict):
    logical: int | None
    physical: int | None
    usable: int
    in_use: int


class Memory(TypedDict):
    total_bytes: int
    available_bytes: int


class Resources(TypedDict):
    """``GET /jasmin/api/resources`` (``openapi.yaml``'s ``Resources``)."""

    hostname: str
    cores: Cores
    memory: Memory
    load_average: list[float]
    cpu_percent: float
    suggested_engines: int


def vm_resources(max_engines_per_pool: int, engines_here: int = 0) -> Resources:
    """A JSON-ready description of this VM, as served by ``GET /jasmin/api/resources``;
    ``engines_here``: the engines of this user's pools that run on this VM."""
    memory = psutil.virtual_memory()
    load = psutil.getloadavg()
    cores = usable_cores()
    return {
        "hostname": socket.gethostname(),
        "cores": {
            "logical": psutil.cpu_count(logical=True),
            "physical": psutil.cpu_count(logical=False),
            "usable": cores,
            "in_use": engines_here,
        },
        "memory": {"total_bytes": memory.total, "available_bytes": memory.available},
        "load_average": [round(value, 2) for value in load],
        "cpu_percent": psutil.cpu_percent(interval=None),
        "suggested_engines": suggested_engines(cores, load[0], max_engines_per_pool),
    }

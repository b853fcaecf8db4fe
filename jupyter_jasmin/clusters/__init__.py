"""Engine pools: ipyparallel controllers and engines started through pluggable backends.

The manager and the pool are imported on first use, so that code reading the pools'
records (``state``, for the notebook API in a kernel) imports nothing of the server's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .manager import EnginePools, PoolLimits
    from .pool import POOL_STATES, EnginePool, PoolSettings

__all__ = ["POOL_STATES", "EnginePool", "EnginePools", "PoolLimits", "PoolSettings"]


def __getattr__(name: str) -> Any:
    if name in ("EnginePools", "PoolLimits"):
        from . import manager

        return getattr(manager, name)
    if name in ("POOL_STATES", "EnginePool", "PoolSettings"):
        from . import pool

        return getattr(pool, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

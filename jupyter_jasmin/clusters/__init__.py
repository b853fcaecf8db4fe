"""Engine pools: ipyparallel controllers and engines started through pluggable backends."""

from .manager import EnginePools, PoolLimits
from .pool import POOL_STATES, EnginePool, PoolSettings

__all__ = ["POOL_STATES", "EnginePool", "EnginePools", "PoolLimits", "PoolSettings"]

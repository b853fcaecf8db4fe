"""What a user may do with a pool in each state: the one place these rules live. The
pool JSON carries the answer (``actions``), so neither handlers nor the panel derive it."""

from __future__ import annotations

from .shapes import PoolActions, PoolState


def pool_actions(state: PoolState, running_engines: int) -> PoolActions:
    """Scale and stop a live pool; connect to one with engines to run work; dismiss a
    failed one, or one stopped for being idle (a pool stopped on request is forgotten)."""
    live = state in ("starting", "running", "degraded")
    return {
        "scale": live,
        "connect": state in ("running", "degraded") and running_engines > 0,
        "stop": live,
        "dismiss": state in ("failed", "stopped"),
    }

"""Times as the REST API and messages to users write them, in UTC."""

from __future__ import annotations

import time


def isoformat(epoch: float) -> str:
    """``2026-11-25T12:31:07Z``: the one timestamp format of every reply."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def clock_time(epoch: float) -> str:
    """``12:31 UTC``: a time of day for messages about what just happened."""
    return time.strftime("%H:%M UTC", time.gmtime(epoch))

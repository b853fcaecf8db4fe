"""An optional watch on the server's event loop, for benchmarks: how late do
callbacks run, i.e. how long was the loop blocked at worst?"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TypedDict

SLOW_MS = 50


class LoopStalls(TypedDict):
    """``GET /jasmin/api/diagnostics/event-loop`` (``openapi.yaml``'s ``LoopStalls``)."""

    max_stall_ms: float
    p99_stall_ms: float
    stalls_over_50ms: int
    ticks: int
    interval_ms: float
    since: float


class LoopWatch:
    """Schedule a tick every ``interval`` seconds and record how late each one runs."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self.reset()

    def reset(self) -> None:
        self.late: deque[float] = deque(maxlen=100_000)
        self.since = time.time()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._expected = loop.time() + self.interval
        self._handle = loop.call_at(self._expected, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.late.append(now - self._expected)
        self._expected = now + self.interval
        self._handle = loop.call_at(self._expected, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def read(self) -> LoopStalls:
        late = sorted(self.late)
        p99 = late[int(0.99 * (len(late) - 1))] if late else 0.0
        return {
            "max_stall_ms": round((late[-1] if late else 0.0) * 1000, 2),
            "p99_stall_ms": round(p99 * 1000, 2),
            "stalls_over_50ms": sum(1 for value in late if value * 1000 > SLOW_MS),
            "ticks": len(late),
            "interval_ms": self.interval * 1000,
            "since": self.since,
        }

"""An optional watch on the server's event loop, for benchmarks: how late do
callbacks run, i.e. how long was the loop blocked at worst?"""

from __future__ import annotations

import asyncio
import time
from typing import Any


class LoopWatch:
    """Schedule a tick every ``interval`` seconds and record how late each one runs."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self.reset()

    def reset(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self.since = time.time()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._expected = loop.time() + self.interval
        self._handle = loop.call_at(self._expected, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.worst = max(self.worst, now - self._expected)
        self.ticks += 1
        self._expected = now + self.interval
        self._handle = loop.call_at(self._expected, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def read(self) -> dict[str, Any]:
        return {
            "max_stall_ms": round(self.worst * 1000, 2),
            "ticks": self.ticks,
            "interval_ms": self.interval * 1000,
            "since": self.since,
        }

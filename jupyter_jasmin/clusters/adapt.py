"""Adaptive scaling: a pool that sizes itself to its controller's queue.

Every second the server counts each running pool's tasks (queued on the controller and
running on engines). A pool that adapts asks for one engine a task, between its minimum
and maximum: more engines at once when work waits, fewer only after the pool has had
more engines than work for ``wait_seconds`` (so a notebook pausing between two maps
keeps its engines). The scheduler gives each engine one task at a time (ipyparallel's
``TaskScheduler.hwm`` of 1), so work left queued is exactly what new engines can take.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest
from ..timestamps import clock_time
from ..validation import field_name, whole_number
from .shapes import AdaptReply

WAIT_SECONDS_DEFAULT = 30.0
WAIT_SECONDS_MAX = 3600.0


@dataclass
class Adapt:
    """A pool's adaptive range and what it last did."""

    minimum: int
    maximum: int
    wait_seconds: float = WAIT_SECONDS_DEFAULT
    surplus_since: float | None = None  # monotonic time the pool first had spare engines
    last: str | None = None  # the last change, in words

    def wanted(self, have: int, work: int, waiting: int, now: float) -> int | None:
        """The engine count to scale to now, or None to keep ``have``. ``work`` is tasks
        queued or running; ``waiting`` engines asked for and not registered yet."""
        wanted = min(max(work, self.minimum), self.maximum)
        if wanted > have:
            self.surplus_since = None
            return wanted
        if wanted == have or waiting:
            self.surplus_since = None
            return None
        if self.surplus_since is None:
            self.surplus_since = now
        if now - self.surplus_since < self.wait_seconds:
            return None
        self.surplus_since = None
        return wanted

    def note(self, have: int, wanted: int, queued: int, running: int) -> None:
        """Say what was done and why, with the time."""
        at = clock_time(time.time())
        if wanted > have:
            why = f"{queued} tasks waiting" if queued else f"below the minimum of {self.minimum}"
            self.last = f"{have} → {wanted} engines at {at} ({why})"
        else:
            busy = f"{running} tasks running" if running else "no work"
            self.last = f"{have} → {wanted} engines at {at} ({busy} for {self.wait_seconds:g} s)"

    def reply(self) -> AdaptReply:
        return {
            "minimum": self.minimum,
            "maximum": self.maximum,
            "wait_seconds": self.wait_seconds,
            "last": self.last,
        }

    def record(self) -> dict[str, Any]:
        return {"minimum": self.minimum, "maximum": self.maximum, "wait_seconds": self.wait_seconds}

    @classmethod
    def from_record(cls, record: Any) -> Adapt | None:
        """The adaptive range a pool's record kept (None if it kept none or a broken one)."""
        if not isinstance(record, dict):
            return None
        try:
            minimum, maximum = int(record["minimum"]), int(record["maximum"])
            return cls(minimum, maximum, float(record["wait_seconds"]))
        except (KeyError, TypeError, ValueError):
            return None


def adapt_request(value: Any, most: int) -> Adapt | None:
    """A request's ``adapt`` (null stops adapting), each field checked and named."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(
            "'adapt' must be an object with 'minimum' and 'maximum' engines, or null", "adapt"
        )
    unknown = sorted(set(value) - {"minimum", "maximum", "wait_seconds"})
    if unknown:
        raise BadRequest(f"'adapt' has unknown fields: {', '.join(unknown)}", "adapt")
    for key in ("minimum", "maximum"):
        if key not in value:
            raise BadRequest(f"'adapt' needs '{key}' (engines)", f"adapt.{key}")
    minimum = whole_number(value["minimum"], "adapt.minimum", "Minimum engines", 0, most)
    maximum = whole_number(value["maximum"], "adapt.maximum", "Maximum engines", 1, most)
    if minimum > maximum:
        raise BadRequest(
            f"{field_name('Minimum engines', 'adapt.minimum')} must be at most the maximum "
            f"({minimum} > {maximum})",
            "adapt.minimum",
        )
    wait = value.get("wait_seconds", WAIT_SECONDS_DEFAULT)
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not wait >= 0:  # NaN too
        raise BadRequest(
            f"{field_name('Wait', 'adapt.wait_seconds')} must be a number of seconds from 0 "
            f"to {WAIT_SECONDS_MAX:g}",
            "adapt.wait_seconds",
        )
    if wait > WAIT_SECONDS_MAX:
        raise BadRequest(
            f"{field_name('Wait', 'adapt.wait_seconds')} must be at most "
            f"{WAIT_SECONDS_MAX:g} seconds ({wait:g} asked)",
            "adapt.wait_seconds",
        )
    return Adapt(minimum, maximum, float(wait))

"""The engines and engine sets of a pool, as the pool tracks them, and how they are
told to users (an engine set's batch job in the scheduler's words beside its codes)."""

from __future__ import annotations

import contextlib
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from ..timestamps import isoformat
from .schedulers import BatchJob
from .shapes import EngineReply, EngineSetState, EngineState, JobReply


@dataclass
class Engine:
    """One registered engine of a pool, until it is stopped or lost."""

    id: int
    state: EngineState = "running"
    engine_set: str | None = None  # known once the engine has told us
    host: str | None = None
    ssh_address: str | None = None  # what its SSH connection reached, if it came that way
    pid: int | None = None
    error: str | None = None
    located: bool = False
    # when it runs on this host: the engine and what it started (its nanny)
    processes: list[psutil.Process] = field(default_factory=list)
    cpu_percent: float | None = None
    memory_bytes: int | None = None
    tasks: int | None = None  # tasks given to it and not yet done (None: not known)
    done: int | None = None  # tasks it has finished

    def to_json(self) -> EngineReply:
        return {
            "id": self.id,
            "engine_set": self.engine_set,
            "host": self.host,
            "ssh_address": self.ssh_address,
            "pid": self.pid,
            "state": self.state,
            "cpu_percent": self.cpu_percent,
            "memory_bytes": self.memory_bytes,
            "error": self.error,
            "tasks": self.tasks,
            "done": self.done,
        }


@dataclass
class EngineSet:
    """Engines started together by one backend (one launcher of ipyparallel's)."""

    id: str
    backend: str
    requested: int
    launched: float = field(default_factory=time.monotonic)
    state: EngineSetState = "starting"
    error: str | None = None
    # engines that told us they belong here, and how many of those were lost
    engines: set[int] = field(default_factory=set)
    lost: int = 0
    where: str | None = None  # the host it was started on, where the backend chose one
    job_id: str | None = None  # its batch job, if it is one
    job: BatchJob | None = None  # what the scheduler last said of it
    job_seen: float = 0.0  # when it said so (monotonic)
    running_since: float | None = None  # when its job started (monotonic)

    @property
    def live(self) -> bool:
        return self.state in ("starting", "running")

    @property
    def waiting(self) -> int:
        """Engines of this set that have not registered yet."""
        return max(0, self.requested - len(self.engines)) if self.state == "starting" else 0


def tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


# "2026-12-06 01:01:02.157 [IPEngine.0] " or "[IPControllerApp] ": a log line's prefix
_LOG_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\d[ T][\d:.,]+\s+)?(\[[^\]]*\]\s*)+")


_TELLING = re.compile(
    r"error|exception|refused|denied|not found|no module|cannot|could not|failed|killed", re.I
)


def last_words(text: str) -> str:
    """A process's last line of output, without the log's time stamp and logger name:
    the one line worth showing beside what happened (the rest is in the log)."""
    said = [s for s in (_LOG_PREFIX.sub("", line).strip() for line in text.splitlines()) if s]
    # the last line that says what went wrong, else the last line
    telling = [s for s in said if _TELLING.search(s)] or said
    if not telling:
        return ""
    last = telling[-1]
    return last if len(last) <= 300 else last[:297] + "..."


def exit_reason(stop_data: dict[str, Any] | None) -> str:
    """'exited with code 1', 'was killed by SIGKILL' or 'ended', from a launcher's stop data."""
    code = (stop_data or {}).get("exit_code")
    if code is None:  # its exit status is unknown (an engine watched over ssh)
        return "ended"
    if isinstance(code, int) and code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def merge_processes(
    known: list[psutil.Process], found: list[psutil.Process]
) -> list[psutil.Process]:
    """Union of two process lists (psutil compares pid and creation time)."""
    merged = [process for process in known if process.is_running()]
    merged += [process for process in found if process not in merged]
    return merged


def sample_usage(engine: Engine) -> None:
    if not engine.processes or engine.state != "running":
        return
    process = engine.processes[0]
    try:
        with process.oneshot():
            engine.cpu_percent = round(process.cpu_percent(interval=None), 1)
            engine.memory_bytes = process.memory_info().rss
    except psutil.Error:
        engine.cpu_percent = None


def job_reply(engine_set: EngineSet) -> JobReply:
    """An engine set's batch job as users see it: the scheduler's words beside its codes."""
    job = engine_set.job
    if job is None:
        return {
            "id": engine_set.job_id or "",
            "state": "SUBMITTED",
            "state_in_words": "submitted; the scheduler has not been asked yet",
            "reason": "",
            "reason_in_words": "",
            "nodes": "",
            "time_left_seconds": None,
            "submitted": None,
            "started": None,
        }
    return {
        "id": job.id,
        "state": job.state,
        "state_in_words": job.state_in_words,
        "reason": job.reason if job.pending else "",
        "reason_in_words": job.reason_in_words if job.pending else "",
        "nodes": job.nodes,
        # counted down from when the scheduler was last asked (it is asked seldom)
        "time_left_seconds": None
        if job.time_left is None
        else max(0, job.time_left - int(time.monotonic() - engine_set.job_seen)),
        "submitted": None if job.submitted is None else isoformat(job.submitted),
        "started": None if job.started is None else isoformat(job.started),
    }

"""Asking PBS about jobs: ``qstat -f`` and ``qdel``, parsed into :class:`BatchJob`.

Two flavours: OpenPBS / PBS Professional, asked with ``qstat -f -F json -x`` (JSON, and
finished jobs from the job history), and Torque, whose ``qstat -f`` prints text
(``-x`` means XML there). PBS gives no reason codes: a pending job's ``comment``
attribute, written by the scheduler, is its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from .base import (
    DEFAULT_TIMEOUT,
    BatchJob,
    CommandLine,
    SchedulerError,
    checked_ids,
    gone,
    local_time,
    words_for,
)

# 123, 123.server, an array 123[] or a subjob 123[4], with or without the server.
JOB_ID = re.compile(r"\d+(\[\d*\])?(\.[\w.-]+)?")
UNKNOWN_JOB = re.compile(r"Unknown Job Id|Job has finished")
TIME_FORMAT = "%a %b %d %H:%M:%S %Y"  # ctime(3): "Wed Mar 17 20:36:48 2021"

# Exit_status values PBS uses for its own kills (OpenPBS job.h, JOB_EXEC_KILL_*).
KILLED_BY_PBS = {-29: "TIMEOUT", -27: "OUT_OF_MEMORY", -26: "OUT_OF_MEMORY"}
# Job substates of finished jobs in the history (OpenPBS job.h, JOB_SUBSTATE_*).
FINISHED_SUBSTATES = {"91": "CANCELLED", "93": "FAILED", "94": "REVOKED"}
STATES = {
    "Q": "PENDING",
    "H": "PENDING",
    "W": "PENDING",
    "T": "PENDING",
    "R": "RUNNING",
    "B": "RUNNING",  # an array with at least one subjob running
    "E": "COMPLETING",
    "S": "SUSPENDED",
    "U": "SUSPENDED",
    "M": "REVOKED",  # moved to another server
}
FINISHED = ("F", "X", "C")  # OpenPBS finished, finished subjob, Torque completed

# Phrases of the scheduler's comments (most specific first), in plain words.
REASONS_IN_WORDS = (
    ("Can Never Run", "can never run: asks for more than the queue or its nodes have"),
    ("held", "held"),
    ("Insufficient amount of queue resource", "waiting for the queue's resources"),
    ("Insufficient amount of resource", "waiting for free nodes"),
    ("Insufficient amount of server resource", "waiting for free nodes"),
    ("Not enough free nodes", "waiting for free nodes"),
    ("top job", "waiting behind higher-priority jobs"),
    ("reservation", "waiting for a reservation"),
    ("limit", "at a user or queue limit"),
    ("Queue not started", "the queue is stopped"),
    ("execution time", "waiting for its requested start time"),
)
HOLDS_IN_WORDS = {"u": "held", "o": "held by an administrator", "s": "held by the system"}


def reason_in_words(comment: str) -> str:
    """A scheduler comment (``Not Running: Insufficient amount of resource: ncpus``)
    in plain words; an unknown one is given as written, without 'Not Running:'."""
    if not comment:
        return ""
    return words_for(comment, REASONS_IN_WORDS).removeprefix("Not Running:").strip()


def walltime(text: str) -> int | None:
    """PBS walltime (``HH:MM:SS``, ``MM:SS`` or seconds) in seconds."""
    parts = text.strip().split(":")
    if not text.strip() or not all(part.isdigit() for part in parts) or len(parts) > 3:
        return None
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return total


class PBS(CommandLine):
    """PBS's client commands; ``flavour`` picks how ``qstat`` is asked and read."""

    name = "pbs"

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        bin_dir: str | None = None,
        flavour: Literal["openpbs", "torque"] = "openpbs",
    ) -> None:
        super().__init__(timeout, bin_dir)
        self.flavour = flavour

    def job_states(self, job_ids: Iterable[str]) -> dict[str, BatchJob]:
        """Every job asked for, from one ``qstat`` call, by the id as given; a job qstat
        does not know is :data:`~.base.GONE`."""
        ids = checked_ids(job_ids, JOB_ID, "PBS")
        if not ids:
            return {}
        if self.flavour == "openpbs":
            argv = self._command("qstat", "-f", "-F", "json", "-x", *ids)
        else:
            argv = self._command("qstat", "-f", *ids)
        output = self._ask_about_jobs(argv, UNKNOWN_JOB)
        if self.flavour == "openpbs":
            reported = dict(_json_jobs(argv, output.stdout))
        else:
            reported = dict(_text_jobs(output.stdout))
        jobs = {}
        for job_id in ids:
            found = _matching(job_id, reported)
            jobs[job_id] = _job(job_id, reported[found]) if found else gone(job_id)
        return jobs

    def cancel(self, job_ids: Iterable[str]) -> None:
        """``qdel``; an unknown or finished job is not an error."""
        ids = checked_ids(job_ids, JOB_ID, "PBS")
        if not ids:
            return
        self._ask_about_jobs(self._command("qdel", *ids), UNKNOWN_JOB)


def _json_jobs(argv: list[str], stdout: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``qstat -f -F json``: ``{"Jobs": {id: {attribute: value or {sub: value}}}}``."""
    if not stdout.strip():
        return
    try:
        # strict=False: some PBS versions leave control characters unescaped in strings
        document = json.loads(stdout, strict=False)
    except ValueError as error:
        raise SchedulerError(argv, f"printed what is not JSON ({error})") from error
    for job_id, attributes in (document.get("Jobs") or {}).items():
        yield job_id, dict(_flattened(attributes))


def _flattened(attributes: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Nested attributes as the text format names them: ``Resource_List.walltime``."""
    for key, value in attributes.items():
        if isinstance(value, dict):
            yield from _flattened(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", str(value)


def _text_jobs(stdout: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``qstat -f`` text: ``Job Id: 12.server`` then ``    name = value`` lines, long
    values continued on lines that start with a tab."""
    job_id, attributes, last = "", dict[str, str](), ""
    for line in stdout.splitlines():
        if line.startswith("Job Id:"):
            if job_id:
                yield job_id, attributes
            job_id, attributes, last = line.split(":", 1)[1].strip(), {}, ""
        elif line.startswith("\t") and last:
            attributes[last] += line.strip()
        elif " = " in line:
            last, value = (part.strip() for part in line.split(" = ", 1))
            attributes[last] = value
    if job_id:
        yield job_id, attributes


def _matching(job_id: str, reported: dict[str, dict[str, str]]) -> str | None:
    """The reported id of the job asked for: the same, or with the server added."""
    if job_id in reported:
        return job_id
    return next((found for found in reported if found.split(".")[0] == job_id), None)


def _job(job_id: str, attributes: dict[str, str]) -> BatchJob:
    code = attributes.get("job_state", "")
    state = _final_state(attributes) if code in FINISHED else STATES.get(code, "UNKNOWN")
    limit = walltime(attributes.get("Resource_List.walltime", ""))
    used = walltime(attributes.get("resources_used.walltime", ""))
    reason = _reason(code, attributes)
    return BatchJob(
        id=job_id,
        state=state,
        scheduler_state=code,
        reason=reason,
        reason_in_words=_reason_words(code, attributes, reason),
        queue=attributes.get("queue", ""),
        nodes=_hosts(attributes.get("exec_host", "")),
        time_left=max(limit - used, 0) if state == "RUNNING" and limit and used else None,
        time_limit=limit,
        submitted=_time(attributes.get("ctime", "")),
        expected_start=_time(attributes.get("estimated.start_time", "")),
        started=_time(attributes.get("stime", "") or attributes.get("start_time", "")),
        ended=_ended(attributes) if code in FINISHED else None,
    )


def _exit_status(attributes: dict[str, str]) -> int | None:
    # OpenPBS writes Exit_status, Torque exit_status.
    text = attributes.get("Exit_status", attributes.get("exit_status", ""))
    return int(text) if re.fullmatch(r"-?\d+", text.strip()) else None


def _final_state(attributes: dict[str, str]) -> str:
    by_substate = FINISHED_SUBSTATES.get(attributes.get("substate", ""))
    if by_substate:
        return by_substate
    status = _exit_status(attributes)
    if status is None:
        return "CANCELLED"  # deleted before it ran: no exit status
    if status == 0:
        return "COMPLETED"
    if status >= 256:
        return "CANCELLED"  # killed by signal (status - 256), as qdel does
    return KILLED_BY_PBS.get(status, "FAILED")


def _reason(code: str, attributes: dict[str, str]) -> str:
    if code in FINISHED:
        status = _exit_status(attributes)
        return f"exit status {status}" if status is not None else ""
    if STATES.get(code) != "PENDING":
        return ""
    return attributes.get("comment", "") or {"H": "Held", "W": "Execution_Time"}.get(code, "")


def _reason_words(code: str, attributes: dict[str, str], reason: str) -> str:
    if code == "H":
        holds = attributes.get("Hold_Types", "u")
        return next((w for h, w in HOLDS_IN_WORDS.items() if h in holds), "held")
    if code == "W":
        return "waiting for its requested start time"
    if code in FINISHED:
        return reason
    return reason_in_words(reason)


def _hosts(exec_host: str) -> str:
    """``node1/0*2+node2/0`` -> ``node1,node2``."""
    names = [part.split("/")[0] for part in exec_host.split("+") if part]
    return ",".join(dict.fromkeys(names))


def _time(text: str) -> float | None:
    # Torque gives some times (start_time, comp_time) as seconds since the epoch.
    return float(text) if text.strip().isdigit() else local_time(text, TIME_FORMAT)


def _ended(attributes: dict[str, str]) -> float | None:
    for key in ("obittime", "comp_time", "mtime"):
        if attributes.get(key):
            return _time(attributes[key])
    return None

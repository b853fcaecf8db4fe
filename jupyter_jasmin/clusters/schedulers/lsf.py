"""Asking LSF about jobs: ``bjobs -o`` and ``bkill``, parsed into :class:`BatchJob`.

``bjobs -a -noheader -o "<fields> delimiter='|'"`` prints one line per job, recently
finished ones included, '-' for an empty field. LSF gives no reason codes: a pending
job's ``pend_reason`` is a sentence, and a job that exited says why in ``exit_reason``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from .base import (
    BatchJob,
    CommandLine,
    SchedulerError,
    checked_ids,
    gone,
    local_time,
    words_for,
)

JOB_ID = re.compile(r"\d+(\[\d+\])?")  # 123 or an array element 123[4]
UNKNOWN_JOB = re.compile(r"Job <[^>]*> is not found")
ENDED_OR_UNKNOWN = re.compile(r"Job has already finished|is not found")
FIELDS = (
    "jobid",
    "stat",
    "queue",
    "exec_host",
    "submit_time",
    "start_time",
    "finish_time",
    "estimated_start_time",
    "time_left",
    "exit_code",
    "exit_reason",
    "pend_reason",  # last: free text
)
OUTPUT_FORMAT = " ".join(FIELDS) + " delimiter='|'"
# LSF writes times as "Nov 25 14:16" or "Nov 25 14:16:35 2026", perhaps followed by
# a flag letter (E estimated, L limit, X exceeded, A actual).
TIME_FORMATS = ("%b %d %H:%M:%S %Y", "%b %d %H:%M %Y", "%b %d %H:%M:%S", "%b %d %H:%M")

STATES = {
    "PEND": "PENDING",
    "PSUSP": "PENDING",  # suspended while pending: held
    "WAIT": "PENDING",
    "RUN": "RUNNING",
    "USUSP": "SUSPENDED",
    "SSUSP": "SUSPENDED",
    "DONE": "COMPLETED",
    "ZOMBI": "CANCELLED",
    "UNKWN": "UNKNOWN",
}
# Why an EXIT job ended, from its exit_reason (TERM_* codes or their sentences).
EXIT_REASONS = (
    ("RUNLIMIT", "TIMEOUT"),
    ("run time limit", "TIMEOUT"),
    ("MEMLIMIT", "OUT_OF_MEMORY"),
    ("memory", "OUT_OF_MEMORY"),
    ("TERM_OWNER", "CANCELLED"),
    ("TERM_ADMIN", "CANCELLED"),
    ("TERM_FORCE", "CANCELLED"),
    ("killed by owner", "CANCELLED"),
    ("killed by root", "CANCELLED"),
    ("PREEMPT", "PREEMPTED"),
)
# Phrases of LSF's pending reasons (most specific first), in plain words.
REASONS_IN_WORDS = (
    ("suspended by the user while pending", "held"),
    ("suspended by LSF admin or root while pending", "held by an administrator"),
    ("dependency", "waiting for another job to finish (dependency)"),
    ("begin time", "waiting for its requested start time"),
    ("user has reached", "at your limit of running jobs"),
    ("limit", "at a user or queue limit"),
    ("Not enough", "waiting for free job slots"),
    ("requirements", "waiting for hosts that meet its resource requirements"),
    ("inactivated", "the queue is closed"),
    ("waiting for scheduling", "waiting to be scheduled"),
)


def reason_in_words(reason: str) -> str:
    """An LSF pending reason in plain words; an unknown one is given as written."""
    return words_for(reason, REASONS_IN_WORDS) if reason else ""


def lsf_time(text: str) -> float | None:
    """A time bjobs printed; without a year, the most recent such date not in the future."""
    text = re.sub(r"\s+[ELXA]$", "", text.strip())
    for pattern in TIME_FORMATS:
        with_year = pattern.endswith("%Y")
        found = local_time(text, pattern) if with_year else _this_year(text, pattern)
        if found is not None:
            return found
    return None


def _this_year(text: str, pattern: str) -> float | None:
    year = time.localtime().tm_year
    found = local_time(f"{text} {year}", f"{pattern} %Y")
    # an estimate may lie ahead, a past date not a year ahead
    if found is not None and found > time.time() + 180 * 86400:
        found = local_time(f"{text} {year - 1}", f"{pattern} %Y")
    return found


def clock_left(text: str) -> int | None:
    """``time_left`` (``hh:mm X``) in seconds."""
    found = re.match(r"(\d+):(\d+)", text.strip())
    return (int(found[1]) * 60 + int(found[2])) * 60 if found else None


class LSF(CommandLine):
    """LSF's client commands (``LSF(timeout=30, bin_dir=None)``)."""

    name = "lsf"

    def job_states(self, job_ids: Iterable[str]) -> dict[str, BatchJob]:
        """Every job asked for, from one ``bjobs`` call, by id; a job bjobs does not
        know (finished longer ago than CLEAN_PERIOD) is :data:`~.base.GONE`."""
        ids = checked_ids(job_ids, JOB_ID, "LSF")
        if not ids:
            return {}
        argv = self._command("bjobs", "-a", "-noheader", "-o", OUTPUT_FORMAT, *ids)
        output = self._ask_about_jobs(argv, UNKNOWN_JOB)
        reported = {}
        for line in output.stdout.splitlines():
            if not line.strip() or UNKNOWN_JOB.search(line):
                continue  # some versions print "not found" on stdout
            fields = line.split("|", len(FIELDS) - 1)
            if len(fields) != len(FIELDS):
                raise SchedulerError(argv, f"printed a line it should not have: {line!r}")
            job = _job(dict(zip(FIELDS, map(_value, fields), strict=True)))
            reported[job.id] = job
        return {job_id: reported.get(job_id) or gone(job_id) for job_id in ids}

    def cancel(self, job_ids: Iterable[str]) -> None:
        """``bkill``; a job that already ended is not an error."""
        ids = checked_ids(job_ids, JOB_ID, "LSF")
        if not ids:
            return
        self._ask_about_jobs(self._command("bkill", *ids), ENDED_OR_UNKNOWN)


def _value(field: str) -> str:
    return "" if field.strip() == "-" else field.strip()


def _job(fields: dict[str, str]) -> BatchJob:
    code = fields["stat"]
    state = STATES.get(code, "UNKNOWN")
    if code == "EXIT":
        why = fields["exit_reason"]
        state = next((s for phrase, s in EXIT_REASONS if phrase in why), "FAILED")
    reason = _reason(code, fields)
    return BatchJob(
        id=fields["jobid"],
        state=state,
        scheduler_state=code,
        reason=reason,
        reason_in_words=reason_in_words(reason) if state == "PENDING" else reason,
        queue=fields["queue"],
        nodes=_hosts(fields["exec_host"]),
        time_left=clock_left(fields["time_left"]) if state == "RUNNING" else None,
        submitted=lsf_time(fields["submit_time"]),
        expected_start=lsf_time(fields["estimated_start_time"]) if state == "PENDING" else None,
        started=lsf_time(fields["start_time"]),
        ended=lsf_time(fields["finish_time"]) if code in ("DONE", "EXIT") else None,
    )


def _reason(code: str, fields: dict[str, str]) -> str:
    if code == "EXIT":
        return fields["exit_reason"] or f"exit code {fields['exit_code']}"
    if STATES.get(code) == "PENDING":
        return fields["pend_reason"].strip().rstrip(";")
    return ""


def _hosts(exec_host: str) -> str:
    """``4*hostA:2*hostB`` -> ``hostA,hostB``."""
    names = [part.split("*")[-1] for part in exec_host.split(":") if part]
    return ",".join(dict.fromkeys(names))

"""What every scheduler adapter shares: running a scheduler command, its one error type,
and the shape of a batch job as reported to the rest of the product.

Adapters block (they wait for a subprocess): call them from a background thread, never
from the server's event loop. Each command runs without a shell, with a timeout.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ...errors import BadRequest, JasminError

DEFAULT_TIMEOUT = 30.0

# The common vocabulary of job states is Slurm's; PBS and LSF states are mapped onto it.
GONE = "GONE"
FINISHED_STATES = frozenset(
    {
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "REVOKED",
        "SPECIAL_EXIT",
        GONE,
    }
)
ACTIVE_STATES = frozenset(
    {"RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STAGE_OUT", "SIGNALING", "RESIZING"}
)

STATES_IN_WORDS = {
    "PENDING": "waiting in the queue",
    "CONFIGURING": "starting: its nodes are being prepared",
    "RUNNING": "running",
    "RESIZING": "changing size",
    "SUSPENDED": "suspended",
    "SIGNALING": "being signalled",
    "COMPLETING": "finishing",
    "STAGE_OUT": "staging out its files",
    "COMPLETED": "finished",
    "CANCELLED": "cancelled",
    "FAILED": "failed",
    "TIMEOUT": "ended at its walltime",
    "OUT_OF_MEMORY": "ran out of memory",
    "NODE_FAIL": "ended because a node it ran on failed",
    "PREEMPTED": "stopped to make room for another job",
    "BOOT_FAIL": "its nodes failed to boot",
    "DEADLINE": "ended at its deadline",
    "REVOKED": "moved to another cluster",
    "SPECIAL_EXIT": "held after ending with a special exit code",
    "REQUEUED": "put back in the queue",
    "REQUEUE_HOLD": "put back in the queue and held",
    "REQUEUE_FED": "put back in the queue of the federation",
    "STOPPED": "stopped (it keeps its nodes)",
    GONE: "no longer known to the scheduler (it ended a while ago)",
}


def state_in_words(state: str) -> str:
    """A job state in plain words; an unknown state is given as it is, in lower case."""
    return STATES_IN_WORDS.get(state, state.lower().replace("_", " "))


class SchedulerError(JasminError):
    """A scheduler command failed, could not be run, or did not answer in time.

    ``command`` is the argument list as run, ``stderr`` what the scheduler said.
    """

    status = 502

    def __init__(
        self,
        command: Sequence[str],
        problem: str,
        stderr: str = "",
        returncode: int | None = None,
    ) -> None:
        said = f": {stderr.strip()}" if stderr.strip() else ""
        super().__init__(f"'{' '.join(command)}' {problem}{said}")
        self.command = list(command)
        self.stderr = stderr
        self.returncode = returncode


class Output(NamedTuple):
    stdout: str
    stderr: str
    returncode: int


def run_command(
    argv: Sequence[str],
    timeout: float = DEFAULT_TIMEOUT,
    stdin: str | None = None,
    allowed: Iterable[int] = (0,),
) -> Output:
    """Run a scheduler command and return what it printed. Exit codes other than
    ``allowed``, a missing program and a timeout raise :class:`SchedulerError`."""
    # The C locale keeps month names and number formats parseable.
    environment = {**os.environ, "LC_ALL": "C"}
    # Never the server's own stdin: a command that reads it would wait for ever.
    feed: dict[str, Any] = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
            check=False,
            **feed,
        )
    except FileNotFoundError as error:
        raise SchedulerError(argv, "cannot run: the command is not installed here") from error
    except subprocess.TimeoutExpired as error:
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
        raise SchedulerError(argv, f"did not answer within {timeout:g} s", stderr) from error
    if done.returncode not in set(allowed):
        raise SchedulerError(
            argv, f"failed (exit code {done.returncode})", done.stderr, done.returncode
        )
    return Output(done.stdout, done.stderr, done.returncode)


class CommandLine:
    """A scheduler's client commands, run with a timeout; from ``bin_dir`` when they
    are not on PATH."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, bin_dir: str | None = None) -> None:
        self.timeout = timeout
        self.bin_dir = bin_dir

    def _command(self, name: str, *args: str) -> list[str]:
        return [os.path.join(self.bin_dir, name) if self.bin_dir else name, *args]

    def _ask_about_jobs(self, argv: list[str], unknown: re.Pattern[str]) -> Output:
        """Run a command about jobs. It may exit non-zero when some job is unknown to the
        scheduler: that is an answer; any other failure raises SchedulerError."""
        output = run_command(argv, self.timeout, allowed=range(256))
        if output.returncode and not only_unknown_jobs(output.stderr, unknown):
            problem = f"failed (exit code {output.returncode})"
            raise SchedulerError(argv, problem, output.stderr, output.returncode)
        return output


def only_unknown_jobs(stderr: str, unknown: re.Pattern[str]) -> bool:
    """True when ``stderr`` says that jobs are unknown and nothing else (schedulers exit
    non-zero for that, which is an answer, not a failure). A failure that says nothing
    is a failure."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return bool(lines) and all(unknown.search(line) for line in lines)


def words_for(text: str, table: Sequence[tuple[str, str]]) -> str:
    """Plain words for a scheduler's free-text reason: those of the first entry of
    ``table`` whose phrase the text contains (any case), else the text itself."""
    lowered = text.lower()
    for phrase, words in table:
        if phrase.lower() in lowered:
            return words
    return text.strip().rstrip(";").strip()


def checked_ids(job_ids: Iterable[str], pattern: re.Pattern[str], scheduler: str) -> list[str]:
    """The ids as given, each checked against the scheduler's id pattern (an id is passed
    as an argument: one starting with '-' would be read as an option)."""
    ids = [str(job_id) for job_id in job_ids]
    for job_id in ids:
        if not pattern.fullmatch(job_id):
            raise BadRequest(f"'{job_id}' is not a {scheduler} job id")
    return ids


def local_time(text: str, pattern: str) -> float | None:
    """Seconds since the epoch of a local time the scheduler printed, or None when it
    printed a placeholder ('N/A', 'Unknown', '-', ...) or something unparseable."""
    try:
        return time.mktime(time.strptime(text.strip(), pattern))
    except ValueError:
        return None


@dataclass(frozen=True)
class BatchJob:
    """What a scheduler says about one batch job.

    ``state`` is in the common vocabulary (Slurm's names, :data:`GONE` for a job the
    scheduler no longer knows); ``scheduler_state`` is the scheduler's own code.
    ``reason`` is the scheduler's own pending reason (a code such as ``Resources`` on
    Slurm, a sentence on PBS and LSF), "" when it gives none. Times are seconds since
    the epoch; ``expected_start`` is the scheduler's estimate while the job pends, when
    it has one; ``time_left`` and ``time_limit`` are seconds (None: not running, or
    no limit).
    """

    id: str
    state: str
    scheduler_state: str = ""
    reason: str = ""
    reason_in_words: str = ""
    queue: str = ""
    nodes: str = ""
    time_left: int | None = None
    time_limit: int | None = None
    submitted: float | None = None
    expected_start: float | None = None
    started: float | None = None
    ended: float | None = None

    @property
    def state_in_words(self) -> str:
        return state_in_words(self.state)

    @property
    def pending(self) -> bool:
        return self.state == "PENDING"

    @property
    def active(self) -> bool:
        """Holding nodes: running, suspended, starting or finishing."""
        return self.state in ACTIVE_STATES

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


def gone(job_id: str) -> BatchJob:
    """A job the scheduler no longer knows (ended longer ago than it keeps records)."""
    return BatchJob(job_id, GONE)


class Scheduler(Protocol):
    """What every adapter offers, whatever the scheduler."""

    name: str

    def job_states(self, job_ids: Iterable[str]) -> dict[str, BatchJob]:
        """Every job asked for, in one scheduler call; unknown ones as :data:`GONE`."""
        ...

    def cancel(self, job_ids: Iterable[str]) -> None: ...

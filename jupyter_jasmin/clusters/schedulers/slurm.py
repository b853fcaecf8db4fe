"""Asking Slurm about partitions, accounts and jobs: ``scontrol``, ``sacctmgr``,
``squeue``, ``sbatch --test-only`` and ``scancel``, parsed into typed results.

Every method blocks on one or two subprocesses: call them from a background thread.
``job_states`` asks for any number of jobs in one ``squeue`` call; ``estimated_start``
and ``test_only`` make the scheduler simulate, so they are for a user's explicit
question, never for a polling loop.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .base import (
    ACTIVE_STATES,
    FINISHED_STATES,
    BatchJob,
    CommandLine,
    SchedulerError,
    checked_ids,
    gone,
    local_time,
    run_command,
)

# A job id, an array task (12_3) or a heterogeneous job component (12+1).
JOB_ID = re.compile(r"\d+(_\d+)?(\+\d+)?")
UNKNOWN_JOB = re.compile(r"Invalid job id specified")
NO_ACCOUNTING = ("accounting storage is disabled", "supported accounting_storage plugin")
# What `squeue -o` prints per job, '|'-separated (no field can contain a '|').
SQUEUE_FIELDS = "%i|%T|%r|%P|%N|%L|%l|%V|%S|%e"
SACCT_FIELDS = "JobID,State,Partition,NodeList,Timelimit,Submit,Start,End"
TEST_ONLY = re.compile(
    r"Job \d+ to start at (?P<start>\S+) using (?P<cpus>\d+) processors"
    r" on nodes (?P<nodes>\S+) in partition (?P<partition>\S+)"
)
# `scontrol -o` prints Key=Value pairs; a value may hold spaces (OS=Linux 6.1 #1 SMP).
SCONTROL_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][\w:/.]*)=")
NO_LIMIT = ("UNLIMITED", "INFINITE", "NONE", "N/A", "NOT_SET", "INVALID", "Partition_Limit")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"

REASONS_IN_WORDS = {
    "Resources": "waiting for free nodes",
    "Priority": "waiting behind higher-priority jobs",
    "WaitingForScheduling": "waiting for the scheduler to consider it",
    "JobHeldUser": "held",
    "JobHeldAdmin": "held by an administrator",
    "launch failed requeued held": "held after it failed to launch",
    "BeginTime": "waiting for its requested start time",
    "Dependency": "waiting for another job to finish (dependency)",
    "DependencyNeverSatisfied": "its dependency can never be satisfied",
    "PartitionTimeLimit": "over the partition's time limit",
    "PartitionNodeLimit": "asks for more nodes than the partition allows",
    "PartitionConfig": "asks for more than the partition has",
    "PartitionDown": "the partition is down",
    "PartitionInactive": "the partition is inactive",
    "ReqNodeNotAvail": "the nodes it needs are unavailable",
    "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority"
    " partitions": "the nodes it needs are unavailable (down, drained or reserved)",
    "NodeDown": "a node it needs is down",
    "BadConstraints": "its constraints cannot be met",
    "InvalidAccount": "its account is not valid",
    "InvalidQOS": "its QOS is not valid",
    "Reservation": "waiting for its reservation",
    "Licenses": "waiting for licences",
    "BurstBufferResources": "waiting for burst buffer space",
    "BurstBufferStageIn": "staging in its files",
    "Prolog": "running its prolog",
    "Cleaning": "waiting while its nodes are cleaned up",
    "QOSMaxCpuPerUserLimit": "over its QOS's limit of CPUs per user",
    "QOSMaxCpuPerJobLimit": "asks for more CPUs than its QOS allows per job",
    "QOSMaxNodePerJobLimit": "asks for more nodes than its QOS allows per job",
    "QOSMaxMemoryPerJob": "asks for more memory than its QOS allows per job",
    "QOSMaxJobsPerUserLimit": "at its QOS's limit of running jobs per user",
    "QOSMaxSubmitJobPerUserLimit": "at its QOS's limit of queued jobs per user",
    "QOSMaxWallDurationPerJobLimit": "over its QOS's walltime limit",
    "QOSGrpCpuLimit": "its QOS's CPUs are all in use",
    "QOSGrpNodeLimit": "its QOS's nodes are all in use",
    "QOSGrpMemLimit": "its QOS's memory is all in use",
    "QOSJobLimit": "at its QOS's job limit",
    "QOSResourceLimit": "at a resource limit of its QOS",
    "QOSTimeLimit": "over its QOS's time limit",
    "QOSUsageThreshold": "its QOS has used up its allocation",
    "AssocGrpCpuLimit": "its account's CPUs are all in use",
    "AssocGrpNodeLimit": "its account's nodes are all in use",
    "AssocGrpMemLimit": "its account's memory is all in use",
    "AssocGrpJobsLimit": "at its account's limit of running jobs",
    "AssocMaxJobsLimit": "at its account's limit of running jobs per user",
    "AssocMaxWallDurationPerJobLimit": "over its account's walltime limit",
    "AssocGrpCPUMinutesLimit": "its account has used up its CPU time",
    "AssocGrpBillingMinutes": "its account has used up its allocation",
    "AssociationJobLimit": "at its account's job limit",
    "AssociationResourceLimit": "at a resource limit of its account",
    "AssociationTimeLimit": "over its account's time limit",
    # Reasons a finished job gives.
    "NonZeroExitCode": "ended with a non-zero exit code",
    "TimeLimit": "reached its walltime",
    "OutOfMemory": "ran out of memory",
    "JobLaunchFailure": "could not be launched",
    "SystemFailure": "failed because of a problem on the cluster",
    "InactiveLimit": "ended because it was inactive too long",
    "DeadLine": "reached its deadline",
}


def reason_in_words(code: str) -> str:
    """A Slurm reason code in plain words: ``Resources`` -> "waiting for free nodes".
    Details after a comma (``ReqNodeNotAvail, UnavailableNodes:n1``) are left out;
    an unknown code is given as it is."""
    if code in ("", "None", "(null)"):
        return ""
    words = REASONS_IN_WORDS.get(code) or REASONS_IN_WORDS.get(code.split(",")[0].strip())
    if words:
        return words
    if code.startswith("QOS") and code.endswith("Limit"):
        return f"at a limit of its QOS ({code})"
    if code.startswith("Assoc") and code.endswith("Limit"):
        return f"at a limit of its account ({code})"
    return code


def seconds(text: str) -> int | None:
    """A Slurm duration in seconds; None for UNLIMITED, N/A and the like.

    Slurm writes ``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M`` and ``D-H:M:S``."""
    found = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text.strip())
    if not found:
        return None
    days, first, second, third = found.groups()
    if days is not None:
        hours, minutes, secs = int(first), int(second or 0), int(third or 0)
    elif third is not None:
        hours, minutes, secs = int(first), int(second), int(third)
    elif second is not None:
        hours, minutes, secs = 0, int(first), int(second)
    else:
        hours, minutes, secs = 0, int(first), 0
    return ((int(days or 0) * 24 + hours) * 60 + minutes) * 60 + secs


def scontrol_fields(line: str) -> dict[str, str]:
    """The ``Key=Value`` pairs of one line of ``scontrol show ... -o``."""
    keys = list(SCONTROL_KEY.finditer(line))
    ends = [key.start() for key in keys[1:]] + [len(line)]
    pairs = zip(keys, ends, strict=True)
    return {key.group(1): line[key.end() : end].strip() for key, end in pairs}


def _number(text: str | None) -> int | None:
    """An integer limit; None for UNLIMITED and other placeholders."""
    if text is None or not text.isdigit():
        return None
    return int(text)


def _clock(total: int) -> str:
    """Seconds as Slurm writes a time limit: ``1-02:00:00``, ``2:00:00``, ``30:00``."""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Node:
    """One compute node: ``cpus`` and ``memory_mb`` (RealMemory, MiB) it offers."""

    name: str
    cpus: int
    memory_mb: int
    state: str
    cpus_allocated: int = 0
    memory_allocated_mb: int = 0


@dataclass(frozen=True)
class Partition:
    """One partition and its limits; a limit of None means unlimited. Times in seconds."""

    name: str
    default: bool
    state: str
    max_time: int | None
    default_time: int | None
    max_nodes: int | None
    max_cpus_per_node: int | None
    max_memory_per_node_mb: int | None
    max_memory_per_cpu_mb: int | None
    nodes: tuple[Node, ...]

    @property
    def largest_node_cpus(self) -> int:
        return max((node.cpus for node in self.nodes), default=0)

    @property
    def largest_node_memory_mb(self) -> int:
        return max((node.memory_mb for node in self.nodes), default=0)

    def problems(
        self,
        cpus_per_node: int,
        memory_per_node_mb: int | None = None,
        walltime: int | None = None,
        nodes: int = 1,
    ) -> list[str]:
        """Why a request could never run here, in words (empty: it fits). Slurm itself
        accepts such a request and leaves it pending for ever unless the site sets
        EnforcePartLimits, so ask before submitting."""
        found = []
        if self.state != "UP":
            found.append(f"partition {self.name} is {self.state.lower()}")
        if walltime is not None and self.max_time is not None and walltime > self.max_time:
            found.append(
                f"walltime {_clock(walltime)} is over partition {self.name}'s limit"
                f" of {_clock(self.max_time)}"
            )
        if nodes > len(self.nodes) or (self.max_nodes is not None and nodes > self.max_nodes):
            allowed = min(len(self.nodes), self.max_nodes or len(self.nodes))
            found.append(f"{nodes} nodes asked for, partition {self.name} allows {allowed}")
        cpus_allowed = self.largest_node_cpus
        if self.max_cpus_per_node is not None:
            cpus_allowed = min(cpus_allowed, self.max_cpus_per_node)
        if cpus_per_node > cpus_allowed:
            found.append(
                f"{cpus_per_node} CPUs per node asked for, partition {self.name}'s nodes"
                f" have at most {cpus_allowed}"
            )
        if memory_per_node_mb is not None:
            found.extend(self._memory_problems(cpus_per_node, memory_per_node_mb))
        return found

    def _memory_problems(self, cpus: int, memory_mb: int) -> list[str]:
        limits = [self.largest_node_memory_mb]
        if self.max_memory_per_node_mb is not None:
            limits.append(self.max_memory_per_node_mb)
        if self.max_memory_per_cpu_mb is not None:
            limits.append(self.max_memory_per_cpu_mb * cpus)
        if memory_mb <= min(limits):
            return []
        return [
            f"{memory_mb} MiB of memory per node asked for, partition {self.name}"
            f" allows at most {min(limits)} MiB"
        ]


class StartEstimate(NamedTuple):
    """When and where the scheduler expects a job to start (``start`` None: no estimate
    yet). An estimate, not a promise: later jobs and ending jobs move it."""

    start: float | None
    nodes: str
    queue: str
    cpus: int | None = None


class Slurm(CommandLine):
    """Slurm's client commands (``Slurm(timeout=30, bin_dir=None)``). The ``SLURM_CONF``
    of the environment decides which cluster is asked."""

    name = "slurm"

    # ----- the cluster ---------------------------------------------------------------

    def partitions(self) -> list[Partition]:
        """Every partition with its limits and its nodes' CPUs and memory."""
        nodes = self._nodes()
        output = run_command(self._command("scontrol", "show", "partition", "-o"), self.timeout)
        partitions = []
        for line in output.stdout.splitlines():
            fields = scontrol_fields(line)
            if "PartitionName" in fields:
                partitions.append(_partition(fields, nodes))
        return partitions

    def _nodes(self) -> list[tuple[Node, list[str]]]:
        """Every node with the partitions it is in."""
        output = run_command(self._command("scontrol", "show", "node", "-o"), self.timeout)
        found = []
        for line in output.stdout.splitlines():
            fields = scontrol_fields(line)
            if "NodeName" not in fields:
                continue
            node = Node(
                name=fields["NodeName"],
                # CPUEfctv (21.08+): the CPUs jobs can have, without cores kept for the OS
                cpus=_number(fields.get("CPUEfctv", fields.get("CPUTot"))) or 0,
                memory_mb=_number(fields.get("RealMemory")) or 0,
                state=fields.get("State", ""),
                cpus_allocated=_number(fields.get("CPUAlloc")) or 0,
                memory_allocated_mb=_number(fields.get("AllocMem")) or 0,
            )
            found.append((node, fields.get("Partitions", "").split(",")))
        return found

    def accounts(self) -> list[str] | None:
        """The accounts this user may charge; None when the cluster keeps no accounting
        (no slurmdbd), so there is nothing to choose from."""
        return self._associations("account")

    def qos(self) -> list[str] | None:
        """The QOS this user may ask for; None without accounting."""
        return self._associations("qos")

    def _associations(self, column: str) -> list[str] | None:
        argv = self._command(
            "sacctmgr", "-nP", "show", "assoc", f"user={getpass.getuser()}", f"format={column}"
        )
        try:
            output = run_command(argv, self.timeout)
        except SchedulerError as error:
            if any(words in error.stderr for words in NO_ACCOUNTING):
                return None
            raise
        values = {value.strip() for line in output.stdout.splitlines() for value in line.split(",")}
        return sorted(value for value in values if value)

    # ----- jobs ----------------------------------------------------------------------

    def job_states(self, job_ids: Iterable[str]) -> dict[str, BatchJob]:
        """Every job asked for, from one ``squeue`` call, by id. A job squeue no longer
        knows is asked of ``sacct`` (when the cluster keeps accounting) and is
        :data:`~.base.GONE` when neither knows it. The tasks of an array and the parts
        of a heterogeneous job asked for by their job's id come back under their own
        ids (``12_3``, ``12+1``)."""
        ids = checked_ids(job_ids, JOB_ID, "Slurm")
        if not ids:
            return {}
        argv = self._command("squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", SQUEUE_FIELDS)
        # squeue exits 1 when the only job asked for is unknown
        output = self._ask_about_jobs(argv, UNKNOWN_JOB)
        jobs = {job.id: job for job in _parse_lines(argv, output.stdout, _from_squeue, 10)}
        missing = [job_id for job_id in ids if not _reported(job_id, jobs)]
        if missing:
            found = self._from_accounting(missing)
            jobs.update({job_id: found.get(job_id) or gone(job_id) for job_id in missing})
        return jobs

    def _from_accounting(self, ids: list[str]) -> dict[str, BatchJob]:
        """The final state of jobs squeue dropped, from ``sacct``; empty when the cluster
        keeps no accounting (sacct then fails at once)."""
        argv = self._command("sacct", "-n", "-P", "-X", "-j", ",".join(ids), "-o", SACCT_FIELDS)
        try:
            output = run_command(argv, self.timeout)
        except SchedulerError:
            return {}
        return {job.id: job for job in _parse_lines(argv, output.stdout, _from_sacct, 8)}

    def estimated_start(self, job_id: str) -> StartEstimate | None:
        """``squeue --start``: when the scheduler expects a pending job to start; None if
        the job is not pending (or not known). Costly on a busy cluster: ask on demand."""
        (checked,) = checked_ids([job_id], JOB_ID, "Slurm")
        argv = self._command("squeue", "--start", "-h", "-j", checked, "-o", "%i|%S|%Y|%P")
        output = self._ask_about_jobs(argv, UNKNOWN_JOB)
        for line in output.stdout.splitlines():
            _, start, nodes, partition = line.split("|")
            return StartEstimate(_time(start), _node_list(nodes), partition)
        return None

    def test_only(self, script: str | Path, options: Sequence[str] = ()) -> StartEstimate:
        """``sbatch --test-only``: where and when a job would start, submitting nothing.
        ``script`` is the batch script's text, or a Path to it; ``options`` are sbatch
        options (``["-p", "short", "-t", "10"]``). A request the cluster can never run
        raises :class:`SchedulerError` with Slurm's words."""
        argv = self._command("sbatch", "--test-only", *options)
        if isinstance(script, Path):
            argv.append(str(script))
            output = run_command(argv, self.timeout)
        else:
            output = run_command(argv, self.timeout, stdin=script)
        found = TEST_ONLY.search(output.stderr)
        if not found:
            raise SchedulerError(argv, "gave no estimate", output.stderr)
        return StartEstimate(
            _time(found["start"]), found["nodes"], found["partition"], int(found["cpus"])
        )

    def cancel(self, job_ids: Iterable[str]) -> None:
        """``scancel``; cancelling a job that already ended is not an error."""
        ids = checked_ids(job_ids, JOB_ID, "Slurm")
        if ids:
            run_command(self._command("scancel", *ids), self.timeout)


def _partition(fields: dict[str, str], nodes: list[tuple[Node, list[str]]]) -> Partition:
    name = fields["PartitionName"]
    return Partition(
        name=name,
        default=fields.get("Default") == "YES",
        state=fields.get("State", ""),
        max_time=seconds(fields.get("MaxTime", "")),
        default_time=seconds(fields.get("DefaultTime", "")),
        max_nodes=_number(fields.get("MaxNodes")),
        max_cpus_per_node=_number(fields.get("MaxCPUsPerNode")),
        max_memory_per_node_mb=_number(fields.get("MaxMemPerNode")),
        max_memory_per_cpu_mb=_number(fields.get("MaxMemPerCPU")),
        nodes=tuple(node for node, partitions in nodes if name in partitions),
    )


def _parse_lines(
    argv: list[str], stdout: str, parse: Callable[[list[str]], BatchJob], width: int
) -> list[BatchJob]:
    """Each non-empty line split on '|' into ``width`` fields and parsed."""
    jobs = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) != width:
            raise SchedulerError(argv, f"printed a line it should not have: {line!r}")
        jobs.append(parse(fields))
    return jobs


def _reported(job_id: str, jobs: dict[str, BatchJob]) -> bool:
    """Whether squeue reported the job, or any task of an array (``12_3``) or component
    of a heterogeneous job (``12+1``) the id names."""
    parts = (f"{job_id}_", f"{job_id}+")
    return job_id in jobs or any(reported.startswith(parts) for reported in jobs)


def _time(text: str) -> float | None:
    return local_time(text, TIME_FORMAT)


def _node_list(text: str) -> str:
    return "" if text in ("(null)", "None", "N/A", "None assigned") else text


def _from_squeue(fields: list[str]) -> BatchJob:
    job_id, state, reason, partition, nodes, left, limit, submitted, start, end = fields
    reason = "" if reason in ("None", "(null)") else reason
    began = _time(start)
    ran = bool(_node_list(nodes)) and state != "PENDING"
    return BatchJob(
        id=job_id,
        state=state,
        scheduler_state=state,
        reason=reason,
        reason_in_words=reason_in_words(reason),
        queue=partition,
        nodes=_node_list(nodes),
        time_left=seconds(left) if state in ACTIVE_STATES else None,
        time_limit=seconds(limit),
        submitted=_time(submitted),
        expected_start=began if state == "PENDING" else None,
        started=began if ran else None,
        ended=_time(end) if state in FINISHED_STATES else None,
    )


def _from_sacct(fields: list[str]) -> BatchJob:
    job_id, state, partition, nodes, limit, submitted, start, end = fields
    state = state.split()[0] if state.strip() else "UNKNOWN"  # "CANCELLED by 1234"
    return BatchJob(
        id=job_id,
        state=state,
        scheduler_state=state,
        queue=partition,
        nodes=_node_list(nodes),
        time_limit=seconds(limit),
        submitted=_time(submitted),
        started=_time(start),
        ended=_time(end),
    )

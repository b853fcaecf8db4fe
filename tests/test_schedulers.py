"""Asking schedulers about partitions and jobs: Slurm for real (the test rig's single
node), PBS and LSF through recording stand-ins that replay their documented output."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_jasmin.clusters.schedulers import GONE, LSF, PBS, SchedulerError, Slurm
from jupyter_jasmin.clusters.schedulers import base as scheduler_base
from jupyter_jasmin.clusters.schedulers.lsf import lsf_time
from jupyter_jasmin.clusters.schedulers.slurm import reason_in_words, seconds
from jupyter_jasmin.errors import BadRequest

from . import slurm_rig
from .conftest import wait_until
from .slurm_rig import FINISHING, SlurmRig
from .standins import Standins, standins_fixture  # noqa: F401 (the fixture `standins`)

Submit = Callable[..., str]


@pytest.fixture
def submit(slurm: SlurmRig) -> Iterator[Submit]:
    """``submit("-c", "2")``: sbatch a ``sleep 60``; every job is cancelled, and its
    processes gone, when the test ends."""
    submitted: list[str] = []

    def one(*options: str, command: str = "sleep 60") -> str:
        job = slurm.submit(*options, command=command)
        submitted.append(job)
        return job

    yield one
    slurm.cancel(*submitted)

    def ended() -> bool:
        jobs = slurm.jobs()
        return not any(jobs[job].state in FINISHING for job in submitted if job in jobs)

    wait_until(ended)


def states_until(slurm: Slurm, job: str, check: Callable[[Any], bool], timeout: float = 30) -> Any:
    """Ask ``job_states`` until ``check(job's state)`` holds; returns that state."""

    def seen() -> Any:
        state = slurm.job_states([job])[job]
        return state if check(state) else None

    return wait_until(seen, timeout, every=0.2)


# ----- Slurm, for real ------------------------------------------------------------------


def test_partitions_are_read_with_their_limits_and_nodes(slurm: SlurmRig) -> None:
    partitions = {partition.name: partition for partition in Slurm().partitions()}

    main, short = partitions[slurm.partition], partitions[slurm.short_partition]
    assert (main.default, short.default) == (True, False)
    assert (main.state, short.state) == ("UP", "UP")
    assert (main.max_time, short.max_time) == (slurm.max_time, slurm.short_max_time)
    assert (main.max_nodes, short.max_nodes) == (None, 1)
    assert [node.name for node in main.nodes] == [slurm.node]
    node = main.nodes[0]
    assert (node.cpus, node.memory_mb) == (slurm.cpus, slurm.memory_mb)
    assert main.problems(slurm.cpus, slurm.memory_mb, walltime=slurm.max_time) == []
    assert short.problems(slurm.cpus + 1, slurm.memory_mb + 1, walltime=600, nodes=2) == [
        "walltime 10:00 is over partition short's limit of 5:00",
        "2 nodes asked for, partition short allows 1",
        f"{slurm.cpus + 1} CPUs per node asked for, partition short's nodes have at most"
        f" {slurm.cpus}",
        f"{slurm.memory_mb + 1} MiB of memory per node asked for, partition short allows at"
        f" most {slurm.memory_mb} MiB",
    ]


def test_a_job_runs_and_the_next_waits_for_free_nodes(slurm: SlurmRig, submit: Submit) -> None:
    scheduler = Slurm()
    whole_node = submit("-c", str(slurm.cpus))
    slurm.wait_for("RUNNING", whole_node)
    waiting = submit("-c", "1")

    queued = states_until(scheduler, waiting, lambda job: job.reason == "Resources")
    running = scheduler.job_states([whole_node])[whole_node]

    assert (running.state, running.nodes, running.queue) == ("RUNNING", slurm.node, "main")
    assert running.time_limit == slurm.max_time
    assert running.time_left is not None
    assert 0 < running.time_left <= slurm.max_time
    assert running.started is not None
    assert running.started <= time.time()
    assert (queued.state, queued.reason_in_words) == ("PENDING", "waiting for free nodes")
    assert queued.state_in_words == "waiting in the queue"
    assert (queued.nodes, queued.started, queued.time_left) == ("", None, None)

    # The backfill scheduler estimates a start once it has looked at the queue.
    estimate = wait_until(lambda: (scheduler.estimated_start(waiting) or [None])[0], 15)
    assert estimate > time.time()
    assert scheduler.estimated_start(whole_node) is None  # running: nothing to estimate


def test_a_held_job_says_it_is_held(slurm: SlurmRig, submit: Submit) -> None:
    scheduler = Slurm()
    later = submit("--begin=now+3600")
    waiting = states_until(scheduler, later, lambda job: job.reason == "BeginTime")
    assert waiting.reason_in_words == "waiting for its requested start time"
    assert waiting.expected_start is not None
    assert waiting.expected_start > time.time() + 3000

    slurm.hold(later)  # scontrol uhold: as its owner would
    held = scheduler.job_states([later])[later]
    assert (held.state, held.reason, held.reason_in_words) == ("PENDING", "JobHeldUser", "held")

    # Here `scontrol hold` is run by root, an administrator: Slurm records an admin hold.
    slurm.run("scontrol", "release", later)
    slurm.run("scontrol", "hold", later)
    held = scheduler.job_states([later])[later]
    assert (held.reason, held.reason_in_words) == ("JobHeldAdmin", "held by an administrator")


def test_requests_over_a_partitions_limits_pend_for_ever_with_the_reason(
    slurm: SlurmRig, submit: Submit
) -> None:
    """No EnforcePartLimits here (as on many sites): sbatch accepts them, they never run.
    Slurm 22.05 first gives the job over MaxTime ``PartitionConfig`` too, at submission,
    and ``PartitionTimeLimit`` from its first scheduling pass (about 1 s later)."""
    too_many_cpus = submit("-c", str(slurm.cpus + 1))
    too_long = submit("-p", slurm.short_partition, "-t", "10")

    def both_judged() -> dict[str, Any] | None:
        jobs = Slurm().job_states([too_many_cpus, too_long])
        return jobs if jobs[too_long].reason == "PartitionTimeLimit" else None

    jobs = wait_until(both_judged, 15)

    assert jobs[too_many_cpus].state == jobs[too_long].state == "PENDING"
    assert jobs[too_many_cpus].reason == "PartitionConfig"
    assert jobs[too_many_cpus].reason_in_words == "asks for more than the partition has"
    assert (jobs[too_long].reason, jobs[too_long].queue) == ("PartitionTimeLimit", "short")
    assert jobs[too_long].reason_in_words == "over the partition's time limit"
    assert jobs[too_long].time_limit == 600


def test_a_cancelled_job_is_cancelled_then_gone(slurm: SlurmRig, submit: Submit) -> None:
    scheduler = Slurm()
    job = submit()
    slurm.wait_for("RUNNING", job)

    scheduler.cancel([job])

    cancelled = states_until(scheduler, job, lambda state: state.finished)
    assert (cancelled.state, cancelled.state_in_words) == ("CANCELLED", "cancelled")
    assert cancelled.ended is not None
    assert cancelled.started is not None
    assert cancelled.nodes == slurm.node
    # slurmctld forgets it MinJobAge (10 s) after the end, at its next purge; no
    # accounting here, so sacct cannot tell either: the job is gone, not an error.
    forgotten = states_until(scheduler, job, lambda state: state.state == GONE, 90)
    assert forgotten.state_in_words.startswith("no longer known to the scheduler")
    scheduler.cancel([job])  # cancelling a forgotten job is not an error


def test_jobs_slurm_never_knew_are_gone_not_an_error(slurm: SlurmRig) -> None:
    scheduler = Slurm()
    # squeue exits 1 for one unknown id, 0 for several: both are answers
    assert scheduler.job_states(["999991"])["999991"].state == GONE
    jobs = scheduler.job_states(["999991", "999992"])
    assert {job.state for job in jobs.values()} == {GONE}
    assert scheduler.estimated_start("999991") is None
    assert scheduler.job_states([]) == {}


def test_twenty_jobs_are_asked_for_in_one_squeue_call(
    slurm: SlurmRig, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [submit("--hold") for _ in range(20)]
    commands: list[list[str]] = []
    run = subprocess.run

    def counted(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        commands.append(argv)
        return run(argv, *args, **kwargs)

    monkeypatch.setattr(scheduler_base.subprocess, "run", counted)
    states = Slurm().job_states(jobs)
    monkeypatch.undo()

    assert len(commands) == 1, commands
    assert commands[0][:5] == ["squeue", "-h", "-t", "all", "-j"]
    assert commands[0][5] == ",".join(jobs)
    assert sorted(states) == sorted(jobs)
    assert {(job.state, job.reason) for job in states.values()} == {("PENDING", "JobHeldUser")}


def test_test_only_estimates_without_submitting(slurm: SlurmRig, tmp_path: Path) -> None:
    scheduler = Slurm()
    before = set(slurm.jobs())
    script = "#!/bin/sh\nsleep 1\n"

    estimate = scheduler.test_only(script, ["-p", slurm.short_partition, "-t", "2", "-c", "1"])
    as_file = tmp_path / "engines.sbatch"
    as_file.write_text(script)
    from_file = scheduler.test_only(as_file, [f"--chdir={tmp_path}"])

    assert set(slurm.jobs()) <= before  # nothing was submitted
    assert (estimate.nodes, estimate.queue, estimate.cpus) == (slurm.node, "short", 1)
    assert estimate.start is not None
    assert estimate.start >= time.time() - 5
    assert (from_file.nodes, from_file.queue) == (slurm.node, "main")
    with pytest.raises(SchedulerError) as refused:
        scheduler.test_only(script, ["-c", str(slurm.cpus * 50)])
    assert refused.value.command[:2] == ["sbatch", "--test-only"]
    assert "Requested node configuration is not available" in refused.value.stderr
    assert refused.value.status == 502


def test_without_accounting_there_are_no_accounts_or_qos(slurm: SlurmRig) -> None:
    assert Slurm().accounts() is None
    assert Slurm().qos() is None


def test_without_slurm_installed_the_rig_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(slurm_rig, "SBIN", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"\.ci/test installs them"):
        slurm_rig.find_program("slurmctld")


# ----- Slurm through stand-ins ---------------------------------------------------------


def test_jobs_squeue_dropped_are_asked_of_sacct(standins: Standins) -> None:
    standins.add("squeue", "sacct")
    standins.replay("slurm-accounting")

    jobs = Slurm().job_states(["41", "42", "43"])

    assert [call.argv for call in standins.calls()] == [
        ["squeue", "-h", "-t", "all", "-j", "41,42,43", "-o", "%i|%T|%r|%P|%N|%L|%l|%V|%S|%e"],
        [
            "sacct",
            "-n",
            "-P",
            "-X",
            "-j",
            "41,42,43",
            "-o",
            "JobID,State,Partition,NodeList,Timelimit,Submit,Start,End",
        ],
    ]
    timed_out = jobs["41"]
    assert (timed_out.state, timed_out.nodes, timed_out.time_limit) == ("TIMEOUT", "node01", 1800)
    assert timed_out.state_in_words == "ended at its walltime"
    assert timed_out.ended == _local("2026-11-25 09:30:05")
    assert (jobs["42"].state, jobs["42"].nodes, jobs["42"].started) == ("CANCELLED", "", None)
    assert jobs["43"].state == GONE


def test_a_slurm_that_cannot_be_reached_is_one_error(standins: Standins, tmp_path: Path) -> None:
    standins.add("squeue")
    standins.replay("slurm-down")
    with pytest.raises(SchedulerError) as down:
        Slurm().job_states(["5"])
    assert down.value.command[0] == "squeue"
    assert "Unable to contact slurm controller" in down.value.message

    hanging = tmp_path / "hanging"
    hanging.mkdir()
    (hanging / "squeue.sleep").write_text("30")
    standins.replay(hanging)
    with pytest.raises(SchedulerError, match=r"did not answer within 0\.5 s"):
        Slurm(timeout=0.5).job_states(["5"])

    with pytest.raises(SchedulerError, match="not installed"):
        Slurm(bin_dir=str(tmp_path)).job_states(["5"])
    with pytest.raises(BadRequest):
        Slurm().cancel(["-u", "alice"])


def test_a_failure_that_says_nothing_is_not_taken_for_unknown_jobs(
    standins: Standins, tmp_path: Path
) -> None:
    standins.add("squeue")
    silent = tmp_path / "silent"
    silent.mkdir()
    (silent / "squeue.rc").write_text("1")
    standins.replay(silent)
    with pytest.raises(SchedulerError, match="exit code 1"):
        Slurm().job_states(["5"])


def test_the_parts_of_a_heterogeneous_job_answer_for_it(standins: Standins, tmp_path: Path) -> None:
    standins.add("squeue", "sacct")
    parts = tmp_path / "hetjob"
    parts.mkdir()
    line = "|RUNNING|None|main|node01|29:00|30:00|2026-11-25T10:00:00|2026-11-25T10:00:01|N/A"
    (parts / "squeue.stdout").write_text(f"12+0{line}\n12+1{line}\n")
    standins.replay(parts)

    jobs = Slurm().job_states(["12"])

    assert {job_id: job.state for job_id, job in jobs.items()} == {
        "12+0": "RUNNING",
        "12+1": "RUNNING",
    }
    assert [call.command for call in standins.calls()] == ["squeue"]  # sacct not needed


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("Resources", "waiting for free nodes"),
        ("Priority", "waiting behind higher-priority jobs"),
        ("JobHeldUser", "held"),
        ("PartitionTimeLimit", "over the partition's time limit"),
        ("PartitionConfig", "asks for more than the partition has"),
        ("ReqNodeNotAvail, UnavailableNodes:node[01-04]", "the nodes it needs are unavailable"),
        ("Dependency", "waiting for another job to finish (dependency)"),
        ("QOSMaxCpuPerUserLimit", "over its QOS's limit of CPUs per user"),
        ("AssocGrpCpuLimit", "its account's CPUs are all in use"),
        ("QOSMaxGRESPerUser", "QOSMaxGRESPerUser"),
        ("QOSGrpGRESRunMinutesLimit", "at a limit of its QOS (QOSGrpGRESRunMinutesLimit)"),
        ("SomethingNew", "SomethingNew"),
        ("None", ""),
    ],
)
def test_slurm_reasons_in_words(code: str, words: str) -> None:
    assert reason_in_words(code) == words


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30", 1800),
        ("29:59", 1799),
        ("1:00:00", 3600),
        ("1-00:00:00", 86400),
        ("2-12", 2 * 86400 + 12 * 3600),
        ("0-00:05", 300),
        ("UNLIMITED", None),
        ("N/A", None),
    ],
)
def test_slurm_durations(text: str, value: int | None) -> None:
    assert seconds(text) == value


# ----- PBS and LSF through stand-ins ---------------------------------------------------


def test_openpbs_jobs_from_qstat_json(standins: Standins) -> None:
    standins.replay("pbs-openpbs")
    asked = ["101", "102.pbs01", "103", "104", "105", "106", "199.pbs01"]

    jobs = PBS().job_states(asked)

    assert [call.argv for call in standins.calls()] == [["qstat", "-f", "-F", "json", "-x", *asked]]
    assert sorted(jobs) == sorted(asked)
    queued, running, held = jobs["101"], jobs["102.pbs01"], jobs["103"]
    assert (queued.state, queued.scheduler_state) == ("PENDING", "Q")
    assert queued.reason.startswith("Not Running: Insufficient amount of resource: ncpus")
    assert queued.reason_in_words == "waiting for free nodes"
    assert queued.expected_start == _local("2026-11-25 11:00:00")
    assert (running.state, running.nodes, running.queue) == ("RUNNING", "node01,node02", "workq")
    assert (running.time_limit, running.time_left) == (3600, 3000)
    assert running.started == _local("2026-11-25 10:01:00")
    assert (held.state, held.reason_in_words) == ("PENDING", "held")
    assert (jobs["104"].state, jobs["104"].reason) == ("TIMEOUT", "exit status -29")
    assert jobs["104"].ended == _local("2026-11-25 09:31:02")
    assert jobs["105"].state == "CANCELLED"
    assert jobs["106"].reason_in_words.startswith("can never run")
    assert jobs["199.pbs01"].state == GONE


def test_torque_jobs_from_qstat_text(standins: Standins) -> None:
    standins.replay("pbs-torque")

    jobs = PBS(flavour="torque").job_states(["201", "202", "203", "204", "205", "299"])

    assert standins.calls()[0].argv == ["qstat", "-f", "201", "202", "203", "204", "205", "299"]
    assert [jobs[n].state for n in ("201", "202", "203", "204", "205", "299")] == [
        "PENDING",
        "RUNNING",
        "COMPLETED",
        "PENDING",
        "CANCELLED",
        GONE,
    ]
    assert (jobs["202"].nodes, jobs["202"].time_left) == ("node01", 45 * 60)
    assert jobs["202"].started == _local("2026-11-25 10:01:00")
    assert jobs["203"].ended == _local("2026-11-25 10:05:00")
    assert jobs["204"].reason_in_words == "held"


def test_pbs_cancel_runs_qdel_and_an_unknown_job_is_no_error(standins: Standins) -> None:
    standins.replay("pbs-openpbs")
    PBS().cancel(["102.pbs01", "199.pbs01"])
    assert [call.argv for call in standins.calls()] == [["qdel", "102.pbs01", "199.pbs01"]]


def test_lsf_jobs_from_bjobs(standins: Standins) -> None:
    standins.replay("lsf")
    asked = [str(n) for n in range(301, 309)] + ["399"]

    jobs = LSF().job_states(asked)

    fields = (
        "jobid stat queue exec_host submit_time start_time finish_time estimated_start_time"
        " time_left exit_code exit_reason pend_reason delimiter='|'"
    )
    assert standins.calls()[0].argv == ["bjobs", "-a", "-noheader", "-o", fields, *asked]
    assert [jobs[n].state for n in asked] == [
        "PENDING",
        "RUNNING",
        "PENDING",
        "TIMEOUT",
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "OUT_OF_MEMORY",
        GONE,
    ]
    assert jobs["301"].reason == "New job is waiting for scheduling"
    assert jobs["301"].reason_in_words == "waiting to be scheduled"
    assert time.localtime(jobs["301"].expected_start)[1:5] == (11, 25, 11, 0)
    assert (jobs["302"].nodes, jobs["302"].time_left) == ("hostA,hostB", 50 * 60)
    assert time.localtime(jobs["302"].started)[1:5] == (11, 25, 10, 1)
    assert jobs["303"].reason_in_words == "held"
    assert jobs["307"].reason == "exit code 1"


def test_lsf_cancel_runs_bkill_and_a_finished_job_is_no_error(standins: Standins) -> None:
    standins.replay("lsf")
    LSF().cancel(["305"])
    assert [call.argv for call in standins.calls()] == [["bkill", "305"]]


def test_lsf_times_without_a_year_are_the_latest_such_date() -> None:
    soon = time.localtime(time.time() + 3600)
    assert lsf_time(time.strftime("%b %d %H:%M", soon) + " E") is not None
    assert time.localtime(lsf_time("Nov 25 10:00:05 2020"))[0] == 2020
    far = time.localtime(time.time() + 200 * 86400)
    assert time.localtime(lsf_time(time.strftime("%b %d %H:%M", far)))[0] == far.tm_year - 1
    assert lsf_time("-") is None


def test_the_standins_record_what_the_launchers_submit(standins: Standins, tmp_path: Path) -> None:
    """What ipyparallel's PBS and LSF launchers run: ``qsub ./pbs_engines`` and the shell
    command ``bsub<"./lsf_engines"`` (the script on stdin)."""
    script = tmp_path / "pbs_engines"
    script.write_text("#!/bin/sh\n#PBS -t 1-2\nipengine\n")
    qsub = subprocess.run(
        ["qsub", "./pbs_engines"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    (tmp_path / "lsf_engines").write_text("#!/bin/sh\n#BSUB -n 2\nipengine\n")
    command = 'bsub<"./lsf_engines"'  # as the launcher runs it: a shell command
    bsub = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True)  # noqa: S602

    assert qsub.stdout == "1001.pbs-standin\n"
    assert bsub.stdout.startswith("Job <1001> is submitted")
    submitted, lsf = standins.calls()
    assert submitted.argv == ["qsub", "./pbs_engines"]
    assert submitted.files == {"./pbs_engines": script.read_text()}
    assert (lsf.argv, lsf.stdin) == (["bsub"], "#!/bin/sh\n#BSUB -n 2\nipengine\n")


def _local(text: str) -> float:
    """Seconds since the epoch of a local time, as the replays were written."""
    return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))

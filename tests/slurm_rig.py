"""A real single-node Slurm for the tests: munged, slurmctld and slurmd started in a
temporary folder (no systemd, nothing in /etc), one node that is this machine.

Request the session fixture ``slurm``; it exports ``SLURM_CONF`` for the whole session,
so every Slurm client the tests run, and every process they start (a Jupyter server,
ipyparallel's launchers), talks to this Slurm. The daemons are started without
``JASMIN_TEST_RUN`` in their environment: the per-test leak check (``nothing_left_behind``
in conftest) looks for that variable, so it never counts the daemons as a test's leftover,
while a job's own processes (which inherit the submitter's environment) still are.

The configuration, and why:
- partition ``main`` (default, MaxTime 30 min, so ``squeue --start`` can estimate) and a
  small ``short`` (MaxTime 5 min, at most 1 node), both on the one node;
- no ``EnforcePartLimits``: a request over a limit is accepted and pends, as on many
  sites, so the product's own checks can be seen to matter;
- ``MinJobAge`` 10 s: a finished job leaves ``squeue`` after 10-25 s instead of 5 min;
- ``bf_interval=1``: the backfill scheduler estimates start times every second;
- memory is a consumable (``CR_Core_Memory``), each CPU getting its share by default.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import psutil
import pytest

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scancel")
FINISHING = ("RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STAGE_OUT", "SIGNALING")
GONE = "GONE"
SBIN = ("/usr/sbin", "/usr/local/sbin")  # daemons live here, often not on a user's PATH


class RigJob(NamedTuple):
    """One line of ``squeue -t all``: what the rig itself sees of a job."""

    id: str
    state: str
    reason: str
    partition: str
    nodes: str


def find_program(name: str) -> str:
    """The path of a Slurm or MUNGE program, on PATH or in /usr/sbin (root's daemons)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = shutil.which(name, path=search)
    if not found:
        pytest.fail(
            f"'{name}' is not installed: the Slurm tests need Debian's slurm-wlm and munge "
            "(.ci/test installs them: apt-get install slurm-wlm munge)"
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def this_node() -> dict[str, str]:
    """``slurmd -C``: this machine as Slurm sees it (CPUs, sockets, cores, RealMemory)."""
    output = subprocess.run(
        [find_program("slurmd"), "-C"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    first = output.splitlines()[0]
    return dict(item.split("=", 1) for item in first.split())


@dataclass
class SlurmRig:
    """A running Slurm in ``folder``, with helpers the tests need."""

    folder: Path
    node: str
    cpus: int
    memory_mb: int
    partition: str = "main"
    max_time: int = 30 * 60
    short_partition: str = "short"
    short_max_time: int = 5 * 60
    min_job_age: int = 10
    # munged wants every folder above its socket open to all, which pytest's are not
    munge_folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="munge-")))
    daemons: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started_in: float = 0.0
    stopped_in: float = 0.0

    @property
    def conf(self) -> Path:
        return self.folder / "slurm.conf"

    @property
    def partitions(self) -> tuple[str, str]:
        return (self.partition, self.short_partition)

    # ----- start and stop ------------------------------------------------------------

    @classmethod
    def start(cls, folder: Path) -> SlurmRig:
        for name in DAEMONS:
            find_program(name)
        began = time.monotonic()
        node = this_node()
        rig = cls(folder, node["NodeName"], int(node["CPUs"]), int(node["RealMemory"]))
        rig._write_conf(node)
        try:
            rig._start_munge()
            rig._start("slurmctld", find_program("slurmctld"), "-D", "-f", str(rig.conf))
            rig._start("slurmd", find_program("slurmd"), "-D", "-f", str(rig.conf))
            rig._wait_idle()
        except BaseException:
            rig.stop()
            raise
        rig.started_in = time.monotonic() - began
        return rig

    def _write_conf(self, node: dict[str, str]) -> None:
        folder = self.folder
        for name in ("state", "spool", "log"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        hardware = " ".join(f"{key}={value}" for key, value in node.items())
        lines = [
            "ClusterName=rig",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            f"DefMemPerCPU={self.memory_mb // self.cpus}",
            "SchedulerParameters=bf_interval=1",
            "MailProg=/bin/true",
            "ReturnToService=2",
            f"MinJobAge={self.min_job_age}",
            "KillWait=5",
            f"{hardware} NodeAddr=127.0.0.1 State=UNKNOWN",
            f"PartitionName={self.partition} Nodes=ALL Default=YES"
            f" MaxTime={self.max_time // 60} State=UP",
            f"PartitionName={self.short_partition} Nodes=ALL Default=NO"
            f" MaxTime={self.short_max_time // 60} MaxNodes=1 State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def munge_socket(self) -> Path:
        return self.munge_folder / "munge.socket"

    def _start_munge(self) -> None:
        key = self.folder / "munge.key"
        munge = self.munge_folder
        munge.chmod(0o755)  # and the socket's own folder too
        subprocess.run(
            [find_program("mungekey"), "--create", f"--keyfile={key}"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self._start(
            "munged",
            find_program("munged"),
            "-F",
            f"--key-file={key}",
            f"--socket={self.munge_socket}",
            f"--pid-file={munge / 'munged.pid'}",
            f"--seed-file={munge / 'munged.seed'}",
            f"--log-file={self.folder / 'log' / 'munged.log'}",
        )
        self._wait(lambda: self.munge_socket.exists(), 15, "munged to open its socket")

    def _start(self, name: str, *argv: str) -> None:
        # Without JASMIN_TEST_RUN: the daemons outlive every test by design (see module doc).
        environment = {k: v for k, v in os.environ.items() if k != "JASMIN_TEST_RUN"}
        environment["SLURM_CONF"] = str(self.conf)
        with open(self.folder / "log" / f"{name}.out", "wb") as output:
            self.daemons[name] = subprocess.Popen(
                argv,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=self.folder,
                start_new_session=True,  # a ^C to pytest reaches the teardown, not them
            )

    def _wait_idle(self) -> None:
        def idle() -> bool:
            result = self._client("sinfo", "-h", "-n", self.node, "-o", "%t", check=False)
            return result.returncode == 0 and result.stdout.strip().startswith("idle")

        self._wait(idle, 30, f"node {self.node} to be idle in sinfo")

    def _wait(self, condition: Callable[[], object], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            dead = [name for name, p in self.daemons.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = f"{', '.join(dead)} exited" if dead else f"not within {timeout} s"
                pytest.fail(f"waiting for {what}: {why}\n{self.logs()}")
            time.sleep(0.1)

    def logs(self, lines: int = 15) -> str:
        """The last lines of every daemon's log, for failure messages."""
        parts = []
        for path in sorted((self.folder / "log").glob("*")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel every job, wait for their processes to end, stop the daemons (SIGTERM
        by pid, then wait), and fail if any process of this Slurm is still running."""
        began = time.monotonic()
        if "slurmctld" in self.daemons and self.daemons["slurmctld"].poll() is None:
            self._cancel_everything()
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.daemons.get(name)
            if process is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.stopped_in = time.monotonic() - began
        shutil.rmtree(self.munge_folder, ignore_errors=True)
        left = self.processes()
        for process in left:
            with contextlib.suppress(psutil.Error):
                process.kill()
        if left:
            pytest.fail(f"processes of the test Slurm outlived it: {left}")

    def _cancel_everything(self) -> None:
        jobs = list(self.jobs())
        if jobs:
            self._client("scancel", *jobs, check=False)

        def settled() -> bool:
            return not any(job.state in FINISHING for job in self.jobs().values())

        self._wait(settled, 30, "every job to end")

    def processes(self) -> list[psutil.Process]:
        """Live processes of this Slurm other than its daemons: jobs, found by the
        ``SLURM_CONF`` they inherit, and job steps (``slurmstepd``, which has no
        environment of its own but writes to this Slurm's slurmd log)."""
        daemons = {p.pid for p in self.daemons.values() if p.poll() is None}
        found = []
        for process in psutil.process_iter(["environ", "name"]):
            if process.pid in daemons:
                continue
            with contextlib.suppress(psutil.Error):
                if process.status() != psutil.STATUS_ZOMBIE and self._belongs(process):
                    found.append(process)
        return found

    def _belongs(self, process: psutil.Process) -> bool:
        if (process.info["environ"] or {}).get("SLURM_CONF") == str(self.conf):
            return True
        if not (process.info["name"] or "").startswith("slurmstepd"):
            return False
        return any(f.path.startswith(f"{self.folder}/") for f in process.open_files())

    # ----- helpers for tests ---------------------------------------------------------

    def _client(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "SLURM_CONF": str(self.conf)}
        result = subprocess.run(
            [find_program(argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            env=environment,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
        return result

    def run(self, *argv: str) -> str:
        """Run a Slurm client (``rig.run("scontrol", "show", "job", "3")``); its stdout."""
        return self._client(*argv).stdout

    def submit(self, *options: str, command: str = "sleep 60") -> str:
        """``sbatch --wrap command`` with ``options``; the new job's id."""
        output = self.run(
            "sbatch",
            "--parsable",
            f"--chdir={self.folder}",
            f"--output={self.folder / 'log' / 'job-%j.out'}",
            *options,
            "--wrap",
            command,
        )
        return output.strip().split(";")[0]

    def jobs(self) -> dict[str, RigJob]:
        """Every job Slurm knows (finished ones for ``min_job_age`` seconds), by id."""
        output = self.run("squeue", "-h", "-t", "all", "-o", "%i|%T|%r|%P|%N")
        jobs = [RigJob(*line.split("|")) for line in output.splitlines() if line]
        return {job.id: job for job in jobs}

    def hold(self, job: str) -> None:
        """Hold a job as its owner would (``scontrol uhold``): reason ``JobHeldUser``."""
        self.run("scontrol", "uhold", job)

    def cancel(self, *jobs: str) -> None:
        if jobs:
            self.run("scancel", *jobs)

    def wait_for(self, state: str, job: str, timeout: float = 30) -> RigJob | None:
        """Wait until ``job`` is in ``state`` (``"GONE"``: until squeue forgets it)."""
        from .conftest import wait_until  # here: conftest imports this module

        def reached() -> RigJob | bool | None:
            seen = self.jobs().get(job)
            if state == GONE:
                return seen is None
            return seen if seen is not None and seen.state == state else None

        found = wait_until(reached, timeout, every=0.2)
        return found if isinstance(found, RigJob) else None


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmRig]:
    """A real Slurm for the whole session, ``SLURM_CONF`` exported while it runs."""
    rig = SlurmRig.start(tmp_path_factory.mktemp("slurm"))
    patch = pytest.MonkeyPatch()
    patch.setenv("SLURM_CONF", str(rig.conf))
    try:
        yield rig
    finally:
        patch.undo()
        rig.stop()

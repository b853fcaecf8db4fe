"""Engines as Slurm batch jobs (JASMIN's LOTUS), through ipyparallel's Slurm launcher.

Users never write a batch script: they choose a partition, a walltime, memory and cores
per engine and engines per job within the admin's limits, and the backend writes the
script. Each engine set is one job of ``engines_per_job`` engines started by ``srun``.
What the scheduler offers (partitions and their limits, accounts, QoS) is asked of it in
the background and checked before a job is submitted: Slurm accepts a job over a
partition's limits and leaves it pending for ever, unless the site enforces them.
"""

from __future__ import annotations

import math
import socket
import threading
from dataclasses import dataclass
from typing import Any

from traitlets import Bool, Float, Integer, List, Unicode

from ..schedulers import Partition, SchedulerError, Slurm, StartEstimate
from ..shapes import CheckReply
from .base import EngineLaunch, Option, PoolBackend, SetPlace
from .local import THREAD_VARIABLES


@dataclass(frozen=True)
class SlurmFacts:
    """What the scheduler said it offers, last time it was asked (swapped whole)."""

    partitions: tuple[Partition, ...] = ()
    accounts: tuple[str, ...] | None = None
    qos: tuple[str, ...] | None = None
    error: str | None = None


class SlurmBackend(PoolBackend):
    """Engines in Slurm jobs; the controller runs beside the Jupyter server."""

    name = "slurm"
    label = "Batch jobs (Slurm)"
    description = (
        "Engines run as batch jobs on the cluster's compute nodes. Jobs may wait in the "
        "queue before they start; the pool shows why."
    )

    partitions = List(
        Unicode(),
        config=True,
        help="Partitions users may choose (default: every partition the scheduler lists).",
    )
    accounts = List(
        Unicode(), config=True, help="Accounts users may choose when Slurm keeps no accounting."
    )
    qos_levels = List(
        Unicode(), config=True, help="QoS users may choose when Slurm keeps no accounting."
    )
    max_walltime = Integer(
        24 * 60, config=True, help="Longest walltime a user may ask for, minutes."
    )
    default_walltime = Integer(
        60, config=True, help="Walltime of a job when none is chosen, minutes."
    )
    max_memory_per_engine = Float(64.0, config=True, help="Most memory per engine, GB.")
    default_memory_per_engine = Float(2.0, config=True, help="Memory per engine by default, GB.")
    max_cores_per_engine = Integer(16, config=True, help="Most cores per engine.")
    max_engines_per_job = Integer(
        16, config=True, help="Most engines in one job (LOTUS's standard QoS allows one CPU)."
    )
    extra_directives = List(
        Unicode(),
        config=True,
        help="More sbatch options for every job, e.g. ['--constraint=amd'].",
    )
    engine_setup = Unicode(
        "",
        config=True,
        help="Shell lines run before the engines start, e.g. activating their environment.",
    )
    controller_ip = Unicode(
        "",
        config=True,
        help="Address the compute nodes reach the controller at (default: this host's).",
    )
    keep_on_stop_default = Bool(
        True, config=True, help="Keep batch pools running when the server stops cleanly."
    )
    facts_timeout = Float(30.0, config=True, help="Seconds a scheduler command may take.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scheduler = Slurm(timeout=self.facts_timeout)
        self._facts = SlurmFacts()
        self._facts_lock = threading.Lock()

    # --- what the scheduler offers ----------------------------------------------------

    def scheduler(self) -> Slurm:
        return self._scheduler

    def estimate_start(self, script: str) -> StartEstimate:
        return self._scheduler.test_only(script)

    def estimated_start(self, job_id: str) -> StartEstimate | None:
        return self._scheduler.estimated_start(job_id)

    def refresh_facts(self) -> None:
        try:
            facts = SlurmFacts(
                tuple(self._scheduler.partitions()),
                _maybe(self._scheduler.accounts()),
                _maybe(self._scheduler.qos()),
            )
        except SchedulerError as error:
            self.log.warning("asking Slurm what it offers failed: %s", error)
            facts = SlurmFacts(
                self._facts.partitions, self._facts.accounts, self._facts.qos, str(error)
            )
        with self._facts_lock:
            self._facts = facts

    def _offered(self) -> list[Partition]:
        """The partitions users may choose, of those the scheduler lists."""
        allowed = set(self.partitions)
        return [p for p in self._facts.partitions if not allowed or p.name in allowed]

    # --- options --------------------------------------------------------------------

    def options(self) -> list[Option]:
        offered = self._offered()
        default = next((p.name for p in offered if p.default), offered[0].name if offered else "")
        return [
            _choice(
                "partition",
                "Partition",
                [p.name for p in offered] or list(self.partitions),
                default,
                "The queue the jobs go to.",
            ),
            Option(
                "walltime",
                "integer",
                "Walltime (minutes)",
                min(self.default_walltime, self.max_walltime),
                "How long each job may run; a job ends at its walltime.",
                1,
                self.max_walltime,
            ),
            Option(
                "memory_per_engine",
                "number",
                "Memory per engine (GB)",
                min(self.default_memory_per_engine, self.max_memory_per_engine),
                "Memory each engine may use.",
                0.1,
                self.max_memory_per_engine,
            ),
            Option(
                "cores_per_engine",
                "integer",
                "Cores per engine",
                1,
                "Cores each engine may use (threads of NumPy and BLAS).",
                1,
                self.max_cores_per_engine,
            ),
            Option(
                "engines_per_job",
                "integer",
                "Engines per job",
                1,
                "Engines started together in one job.",
                1,
                self.max_engines_per_job,
            ),
            _choice(
                "account",
                "Account",
                list(self._facts.accounts or self.accounts),
                "",
                "The account the jobs are charged to (empty: your default).",
            ),
            _choice(
                "qos",
                "QoS",
                list(self._facts.qos or self.qos_levels),
                "",
                "The quality of service of the jobs (empty: the default).",
            ),
            Option(
                "keep_on_stop",
                "boolean",
                "Keep running when the server stops",
                self.keep_on_stop_default,
                "The next server takes the pool over; if none comes, its walltime ends it.",
            ),
        ]

    def limits(self) -> dict[str, Any]:
        return {
            "max_walltime_minutes": self.max_walltime,
            "max_memory_per_engine_gb": self.max_memory_per_engine,
            "max_cores_per_engine": self.max_cores_per_engine,
            "max_engines_per_job": self.max_engines_per_job,
            "partitions": [
                {
                    "name": p.name,
                    "max_walltime_minutes": None if p.max_time is None else p.max_time // 60,
                    "cores_per_node": p.largest_node_cpus,
                    "memory_per_node_gb": round(p.largest_node_memory_mb / 1024, 1),
                    "nodes": len(p.nodes),
                }
                for p in self._offered()
            ],
        }

    def keeps_running_on_stop(self, options: dict[str, Any]) -> bool:
        return bool(options.get("keep_on_stop", self.keep_on_stop_default))

    # --- checks before submission ----------------------------------------------------

    def checks(self, options: dict[str, Any], engines: int) -> list[CheckReply]:
        found: list[CheckReply] = []
        name = options["partition"]
        partition = next((p for p in self._facts.partitions if p.name == name), None)
        if partition is None:
            known = ", ".join(p.name for p in self._offered()) or "none known yet"
            found.append(_check("partition", False, f"no partition {name!r} (partitions: {known})"))
            return found
        per_job = min(engines, options["engines_per_job"]) or 1
        cores = options["cores_per_engine"]
        memory_mb = math.ceil(options["memory_per_engine"] * 1024)
        problems = partition.problems(
            cpus_per_node=cores, memory_per_node_mb=memory_mb, walltime=options["walltime"] * 60
        )
        total_cpus = sum(node.cpus for node in partition.nodes)
        if cores * per_job > total_cpus:
            problems.append(
                f"a job of {per_job} engines needs {cores * per_job} CPUs, partition "
                f"{partition.name} has {total_cpus}"
            )
        found.append(
            _check(
                "partition limits",
                not problems,
                "; ".join(problems) or f"fits partition {partition.name}",
            )
        )
        return found

    # --- starting engines -------------------------------------------------------------

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "engine_launcher_class": "slurm",
            "controller_ip": self.controller_ip or _this_host_address(),
            # engines on compute nodes may not see this host's profile folder
            "send_engines_connection_env": True,
        }

    def engine_set_sizes(self, engines: int, options: dict[str, Any]) -> list[int]:
        per_job = int(options["engines_per_job"])
        return [per_job] * (engines // per_job) + ([engines % per_job] if engines % per_job else [])

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        threads = str(options["cores_per_engine"])
        return EngineLaunch(
            environment=dict.fromkeys(THREAD_VARIABLES, threads),
            launcher={
                "batch_template": self.batch_template(options),
                "batch_file_name": place.file(".sbatch"),
                "output_file": place.file(".out"),
            },
        )

    def batch_template(self, options: dict[str, Any]) -> str:
        """The job script for these options, as ipyparallel's launcher fills it in (its
        ``{n}``, ``{cluster_id}``, ``{output_file}`` and ``{program_and_args}``)."""
        cores = int(options["cores_per_engine"])
        memory_per_cpu = math.ceil(options["memory_per_engine"] * 1024 / cores)
        minutes = int(options["walltime"])
        lines = [
            "#!/bin/sh",
            "#SBATCH --job-name=ipengine-{cluster_id}",
            "#SBATCH --export=ALL",
            "#SBATCH --ntasks={n}",
            f"#SBATCH --cpus-per-task={cores}",
            f"#SBATCH --mem-per-cpu={memory_per_cpu}M",
            f"#SBATCH --time={minutes // 60}:{minutes % 60:02d}:00",
            f"#SBATCH --partition={_literal(options['partition'])}",
            "#SBATCH --output={output_file}",
        ]
        if options["account"]:
            lines.append(f"#SBATCH --account={_literal(options['account'])}")
        if options["qos"]:
            lines.append(f"#SBATCH --qos={_literal(options['qos'])}")
        lines += [f"#SBATCH {_literal(directive)}" for directive in self.extra_directives]
        if self.engine_setup.strip():
            lines.append(_literal(self.engine_setup.strip()))
        lines.append("srun {program_and_args}")
        return "\n".join(lines) + "\n"


def _choice(name: str, label: str, choices: list[str], default: str, help: str) -> Option:
    """A select when the choices are known (with "" for the scheduler's default when
    ``default`` is ""), else free text that the scheduler will judge."""
    if not choices:
        return Option(name, "string", label, default, help)
    listed = ([""] if default == "" else []) + choices
    return Option(
        name,
        "select",
        label,
        default if default in listed else listed[0],
        help,
        choices=tuple(listed),
    )


def _check(check: str, ok: bool, message: str) -> CheckReply:
    return {"check": check, "ok": ok, "message": message}


def _maybe(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _literal(text: str) -> str:
    """Text put into a template that ipyparallel fills in with ``str.format``."""
    return text.replace("{", "{{").replace("}", "}}")


def _this_host_address() -> str:
    """This host's address as other hosts see it (not a loopback name)."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"

"""Engines as Slurm batch jobs (JASMIN's LOTUS), through ipyparallel's Slurm launcher.

Each engine set is one job of ``engines_per_job`` engines started by ``srun``, wherever
Slurm places them. What the scheduler offers (partitions and their limits, accounts,
QoS) is asked of it in the background and checked before a job is submitted: Slurm
accepts a job over a partition's limits and leaves it pending for ever, unless the site
enforces them.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from traitlets import List, Unicode

from ..schedulers import Partition, SchedulerError, Slurm, StartEstimate
from ..shapes import CheckReply
from .base import Option
from .batch import BatchBackend, choice, hours_minutes, literal


@dataclass(frozen=True)
class SlurmFacts:
    """What the scheduler said it offers, last time it was asked (swapped whole)."""

    partitions: tuple[Partition, ...] = ()
    accounts: tuple[str, ...] | None = None
    qos: tuple[str, ...] | None = None
    error: str | None = None


class SlurmBackend(BatchBackend[Slurm]):
    """Engines in Slurm jobs; the controller runs beside the Jupyter server."""

    name = "slurm"
    label = "Batch jobs (Slurm)"
    description = (
        "Engines run as batch jobs on the cluster's compute nodes. Jobs may wait in the "
        "queue before they start; the pool shows why."
    )
    launcher = "slurm"
    script_suffix = ".sbatch"
    directive = "#SBATCH"

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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._facts = SlurmFacts()
        self._facts_lock = threading.Lock()

    # --- what the scheduler offers ----------------------------------------------------

    def make_scheduler(self) -> Slurm:
        return Slurm(timeout=self.facts_timeout)

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

    def queue_options(self) -> list[Option]:
        offered = self._offered()
        default = next((p.name for p in offered if p.default), offered[0].name if offered else "")
        return [
            choice(
                "partition",
                "Partition",
                [p.name for p in offered] or list(self.partitions),
                default,
                "The queue the jobs go to.",
            )
        ]

    def charge_options(self) -> list[Option]:
        return [
            choice(
                "account",
                "Account",
                list(self._facts.accounts or self.accounts),
                "",
                "The account the jobs are charged to (empty: your default).",
            ),
            choice(
                "qos",
                "QoS",
                list(self._facts.qos or self.qos_levels),
                "",
                "The quality of service of the jobs (empty: the default).",
            ),
        ]

    def limits(self) -> dict[str, Any]:
        return {
            **super().limits(),
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

    # --- the job script ----------------------------------------------------------------

    def batch_template(self, options: dict[str, Any]) -> str:
        """``--ntasks={n}`` engines, each ``--cpus-per-task`` cores and the memory per
        engine spread over them, started by ``srun`` wherever Slurm places them."""
        cores = int(options["cores_per_engine"])
        memory_per_cpu = math.ceil(options["memory_per_engine"] * 1024 / cores)
        directives = [
            "#SBATCH --job-name=ipengine-{cluster_id}",
            "#SBATCH --export=ALL",
            "#SBATCH --ntasks={n}",
            f"#SBATCH --cpus-per-task={cores}",
            f"#SBATCH --mem-per-cpu={memory_per_cpu}M",
            f"#SBATCH --time={hours_minutes(int(options['walltime']))}:00",
            f"#SBATCH --partition={literal(options['partition'])}",
            "#SBATCH --output={output_file}",
        ]
        if options["account"]:
            directives.append(f"#SBATCH --account={literal(options['account'])}")
        if options["qos"]:
            directives.append(f"#SBATCH --qos={literal(options['qos'])}")
        return self.script(directives, ["srun {program_and_args}"])


def _check(check: str, ok: bool, message: str) -> CheckReply:
    return {"check": check, "ok": ok, "message": message}


def _maybe(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)

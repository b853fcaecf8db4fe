"""Engines as PBS batch jobs (OpenPBS, PBS Professional), through ipyparallel's PBS
launcher: the script is submitted with ``qsub``, the job cancelled with ``qdel``.

Each engine set is one job of ``engines_per_job`` chunks, one engine's cores and memory
each, packed on one host, where the job's shell starts the engines in the background.
PBS lists no limits to check here: a request over a queue's limits is refused by
``qsub`` or pends with the scheduler's comment, which the pool shows.
"""

from __future__ import annotations

from typing import Any

from traitlets import List, Unicode

from ..schedulers import PBS
from .base import Option
from .batch import (
    ENGINES_IN_BACKGROUND,
    LAUNCHER,
    BatchBackend,
    choice,
    engine_set_launcher,
    hours_minutes,
    literal,
    megabytes,
)

# What qsub prints: 123.server, or 123[].server for an array; the whole id names the job
# on every server, the number alone only on the default one.
JOB_ID = r"\d+(?:\[\d*\])?(?:\.[\w.-]+)?"


class PBSBackend(BatchBackend[PBS]):
    """Engines in PBS jobs; the controller runs beside the Jupyter server."""

    name = "pbs"
    label = "Batch jobs (PBS)"
    description = (
        "Engines run as PBS batch jobs on the cluster's compute nodes. Jobs may wait in the "
        "queue before they start; the pool shows why."
    )
    launcher = f"{__name__}.{LAUNCHER}"
    script_suffix = ".pbs"
    directive = "#PBS"

    queues = List(
        Unicode(),
        config=True,
        help="Queues users may choose (default: any name, the server's default queue if none).",
    )
    accounts = List(
        Unicode(),
        config=True,
        help="Accounts users may choose (default: any name, none if none is given).",
    )

    def make_scheduler(self) -> PBS:
        return PBS(timeout=self.facts_timeout, flavour="openpbs")

    def queue_options(self) -> list[Option]:
        return [
            choice(
                "queue",
                "Queue",
                list(self.queues),
                "",
                "The queue the jobs go to (empty: the server's default queue).",
            )
        ]

    def charge_options(self) -> list[Option]:
        return [
            choice(
                "account",
                "Account",
                list(self.accounts),
                "",
                "The account the jobs are charged to (empty: none).",
            )
        ]

    def launcher_settings(self) -> dict[str, Any]:
        return {"job_id_regexp": JOB_ID}

    def batch_template(self, options: dict[str, Any]) -> str:
        """``select={n}`` chunks of one engine's cores and memory, ``place=pack``ed on
        one host."""
        cores = int(options["cores_per_engine"])
        memory = megabytes(options["memory_per_engine"])
        directives = [
            "#PBS -N ipengine-{cluster_id}",
            "#PBS -V",
            f"#PBS -l select={{n}}:ncpus={cores}:mem={memory}mb",
            "#PBS -l place=pack",
            f"#PBS -l walltime={hours_minutes(int(options['walltime']))}:00",
        ]
        if options["queue"]:
            directives.append(f"#PBS -q {literal(options['queue'])}")
        directives += ["#PBS -j oe", "#PBS -o {output_file}"]
        if options["account"]:
            directives.append(f"#PBS -A {literal(options['account'])}")
        return self.script(directives, ENGINES_IN_BACKGROUND)


def __getattr__(name: str) -> type:
    return engine_set_launcher(globals(), name, "PBSEngineSetLauncher", PBS)

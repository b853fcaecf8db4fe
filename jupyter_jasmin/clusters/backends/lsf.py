"""Engines as LSF batch jobs, through ipyparallel's LSF launcher: the script is given
to ``bsub`` on its standard input, the job cancelled with ``bkill``.

Each engine set is one job of ``engines_per_job`` engines on one host, a slot per core,
where the job's shell starts the engines in the background.
"""

from __future__ import annotations

import math
from typing import Any

from traitlets import Bool, List, Unicode

from ..schedulers import LSF
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


class LSFBackend(BatchBackend[LSF]):
    """Engines in LSF jobs; the controller runs beside the Jupyter server."""

    name = "lsf"
    label = "Batch jobs (LSF)"
    description = (
        "Engines run as LSF batch jobs on the cluster's compute nodes. Jobs may wait in the "
        "queue before they start; the pool shows why."
    )
    launcher = f"{__name__}.{LAUNCHER}"
    script_suffix = ".lsf"
    directive = "#BSUB"

    queues = List(
        Unicode(),
        config=True,
        help="Queues users may choose (default: any name, LSF's default queue if none).",
    )
    projects = List(
        Unicode(),
        config=True,
        help="Projects users may choose (default: any name, your default project if none).",
    )
    memory_reserved_per_slot = Bool(
        False,
        config=True,
        help="Whether this LSF reserves rusage memory per slot (RESOURCE_RESERVE_PER_TASK=Y "
        "in lsb.params) rather than per host, LSF's default.",
    )

    def make_scheduler(self) -> LSF:
        return LSF(timeout=self.facts_timeout)

    def queue_options(self) -> list[Option]:
        return [
            choice(
                "queue",
                "Queue",
                list(self.queues),
                "",
                "The queue the jobs go to (empty: LSF's default queue).",
            )
        ]

    def charge_options(self) -> list[Option]:
        return [
            choice(
                "project",
                "Project",
                list(self.projects),
                "",
                "The project the jobs are charged to (empty: your default).",
            )
        ]

    def batch_template(self, options: dict[str, Any]) -> str:
        """``-n`` slots, one per core, for ``{n}`` engines on one host, and their memory
        reserved per host (or per slot, as the site reserves it)."""
        cores = int(options["cores_per_engine"])
        memory = megabytes(options["memory_per_engine"])
        if self.memory_reserved_per_slot:
            reserved = str(math.ceil(memory / cores))
        else:
            reserved = f"{{n*{memory}}}"
        directives = [
            "#BSUB -J ipengine-{cluster_id}",
            "#BSUB -env all",
            "#BSUB -n {n}" if cores == 1 else f"#BSUB -n {{n*{cores}}}",
            f'#BSUB -R "span[hosts=1] rusage[mem={reserved}MB]"',
            f"#BSUB -W {hours_minutes(int(options['walltime']))}",
        ]
        if options["queue"]:
            directives.append(f"#BSUB -q {literal(options['queue'])}")
        directives.append("#BSUB -o {output_file}")
        if options["project"]:
            directives.append(f"#BSUB -P {literal(options['project'])}")
        return self.script(directives, ENGINES_IN_BACKGROUND)


def __getattr__(name: str) -> type:
    return engine_set_launcher(globals(), name, "LSFEngineSetLauncher", LSF, script_on_stdin=True)

"""What every batch scheduler backend shares (Slurm, PBS, LSF).

Users never write a batch script: they choose a walltime, memory and cores per engine
and engines per job within the admin's limits (and a queue, an account... in the
scheduler's own words), and the backend writes the script. Each engine set is one job of
``engines_per_job`` engines, its script handed to ipyparallel's launcher for that
scheduler as ``batch_template``; the scheduler is asked about the jobs in the background.

A subclass adds its scheduler (:meth:`BatchBackend.make_scheduler`), its queue and
charging options (:meth:`~BatchBackend.queue_options`, :meth:`~BatchBackend.charge_options`)
and its script (:meth:`~BatchBackend.batch_template`).
"""

from __future__ import annotations

import math
import os
import re
import socket
import subprocess
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from traitlets import Bool, Float, Integer, List, Unicode

from ...errors import BadRequest
from ...validation import field_name, quoted
from ..schedulers import Scheduler, SchedulerError, StartEstimate
from ..schedulers.base import DEFAULT_TIMEOUT
from .base import EngineLaunch, Option, PoolBackend, SetPlace
from .local import THREAD_VARIABLES

# A text option is written into a directive line of the script: one word, no quotes.
AnyScheduler = TypeVar("AnyScheduler", bound=Scheduler)

DIRECTIVE_VALUE = re.compile(r"[^\x00-\x20\x7f\"'\\]*")

# Engines of one job on its one host, as background processes of the job's shell (the
# scheduler kills them with it); ``{n}`` and ``{program_and_args}`` are the launcher's.
ENGINES_IN_BACKGROUND = (
    "i=0",
    'while [ "$i" -lt {n} ]; do',
    "    {program_and_args} &",
    "    i=$((i + 1))",
    "done",
    "wait",
)


class BatchBackend(PoolBackend, Generic[AnyScheduler]):
    """Engines in batch jobs of one scheduler; the controller runs beside the Jupyter
    server."""

    # ipyparallel's engine launcher: an entry point name or an import path
    launcher: ClassVar[str] = ""
    # what the job script's file name ends with, and its directives start with
    script_suffix: ClassVar[str] = ""
    directive: ClassVar[str] = ""

    # batch engines hold nodes others queue for: idle pools end after an hour by default
    idle_minutes_default = Float(
        60.0,
        config=True,
        help="Minutes without work before a batch pool is stopped, unless its user chooses "
        "otherwise; 0: never.",
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
    max_engines_per_job = Integer(16, config=True, help="Most engines in one job.")
    extra_directives = List(
        Unicode(),
        config=True,
        help="More scheduler options for every job, each written after the script's "
        "directive prefix, e.g. ['--constraint=amd'] for Slurm, ['-l software=python'] "
        "for PBS.",
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
        self._scheduler = self.make_scheduler()

    # --- the scheduler ----------------------------------------------------------------

    def make_scheduler(self) -> AnyScheduler:
        raise NotImplementedError

    def scheduler(self) -> AnyScheduler:
        return self._scheduler

    def estimated_start(self, job_id: str) -> StartEstimate | None:
        """The estimate the scheduler gives with a pending job's state, if any."""
        job = self._scheduler.job_states([job_id]).get(job_id)
        if job is None or not job.pending:
            return None
        return StartEstimate(job.expected_start, job.nodes, job.queue)

    # --- options --------------------------------------------------------------------

    def queue_options(self) -> list[Option]:
        """Where the jobs go (a partition, a queue), in the scheduler's words."""
        return []

    def charge_options(self) -> list[Option]:
        """What the jobs are charged to (an account, a project, a QoS)."""
        return []

    def options(self) -> list[Option]:
        return [
            *self.queue_options(),
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
            *self.charge_options(),
            Option(
                "keep_on_stop",
                "boolean",
                "Keep running when the server stops",
                self.keep_on_stop_default,
                "The next server takes the pool over; if none comes, its walltime ends it.",
            ),
        ]

    def validate_options(self, given: dict[str, Any]) -> dict[str, Any]:
        chosen = super().validate_options(given)
        labels = {option.name: option.label for option in self.options()}
        for name, value in chosen.items():
            if isinstance(value, str) and not DIRECTIVE_VALUE.fullmatch(value):
                raise BadRequest(
                    f"{field_name(labels[name], name)} must be a name: no spaces, quotes or "
                    f"control characters ({quoted(value)} asked)",
                    f"options.{name}",
                )
        return chosen

    def limits(self) -> dict[str, Any]:
        return {
            "max_walltime_minutes": self.max_walltime,
            "max_memory_per_engine_gb": self.max_memory_per_engine,
            "max_cores_per_engine": self.max_cores_per_engine,
            "max_engines_per_job": self.max_engines_per_job,
        }

    def keeps_running_on_stop(self, options: dict[str, Any]) -> bool:
        return bool(options.get("keep_on_stop", self.keep_on_stop_default))

    # --- starting engines -------------------------------------------------------------

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "engine_launcher_class": self.launcher,
            "controller_ip": self.controller_ip or this_host_address(),
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
                "batch_file_name": place.file(self.script_suffix),
                "output_file": place.file(".out"),
                **self.launcher_settings(),
            },
        )

    def launcher_settings(self) -> dict[str, Any]:
        """More settings of the scheduler's launcher (how it reads a job id...)."""
        return {}

    def batch_template(self, options: dict[str, Any]) -> str:
        """The job script for these options, as ipyparallel's launcher fills it in (its
        ``{n}``, ``{cluster_id}``, ``{output_file}`` and ``{program_and_args}``, simple
        expressions such as ``{n*4}`` included)."""
        raise NotImplementedError

    def script(self, directives: list[str], start: list[str] | tuple[str, ...]) -> str:
        """A job script: the scheduler's directives, the admin's extra ones, the engines'
        set-up, then the lines that ``start`` the engines."""
        lines = ["#!/bin/sh", *directives]
        lines += [f"{self.directive} {literal(directive)}" for directive in self.extra_directives]
        if self.engine_setup.strip():
            lines.append(literal(self.engine_setup.strip()))
        lines += start
        return "\n".join(lines) + "\n"


class SubmitsAndCancels:
    """For an ipyparallel batch launcher: how its job is submitted and cancelled.

    ``start`` gives the submit command the engines' environment (ipyparallel's LSF
    launcher gives ``bsub`` the server's only: the engines would not know their
    controller, pool or engine set), and a refusal raises :class:`SchedulerError` with
    the scheduler's words (ipyparallel's launchers leave them on the server's stderr).
    ``stop`` cancels through this package's scheduler adapter, for which a job that has
    ended is no error: ``qdel`` and ``bkill`` fail for it, and ipyparallel's ``stop``
    would then keep the engine set in the pool's cluster file, to be stopped again when
    the pool is garbage-collected.
    """

    cancels_with: ClassVar[Callable[[], Scheduler]]
    script_on_stdin: ClassVar[bool]  # bsub reads its #BSUB lines only there

    def start(self: Any, n: int = 1) -> str:
        self.write_batch_script(n)
        argv = [*self.submit_command, *([] if self.script_on_stdin else [self.batch_file])]
        with open(self.batch_file) as script:
            given = script.read() if self.script_on_stdin else ""
        try:
            done = subprocess.run(
                argv,
                input=given,
                capture_output=True,
                text=True,
                env={**os.environ, **self.get_env()},
                timeout=DEFAULT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SchedulerError(argv, f"did not answer within {DEFAULT_TIMEOUT:g} s") from None
        if done.returncode:
            problem = f"failed (exit code {done.returncode})"
            raise SchedulerError(argv, problem, done.stderr or done.stdout, done.returncode)
        job_id: str = self.parse_job_id(done.stdout)
        self.notify_start(job_id)
        return job_id

    def stop(self: Any) -> str:
        if self.job_id:  # none if the submission failed
            self.cancels_with().cancel([self.job_id])
        self.notify_stop({"job_id": self.job_id, "output": ""})
        return ""


LAUNCHER = "EngineSetLauncher"


def engine_set_launcher(
    module_globals: dict[str, Any],
    name: str,
    ipyparallel_launcher: str,
    scheduler: Callable[[], Scheduler],
    script_on_stdin: bool = False,
) -> type:
    """A module's ``__getattr__`` for its launcher class :data:`LAUNCHER`: ipyparallel's
    ``ipyparallel_launcher`` submitting and cancelling as :class:`SubmitsAndCancels`
    says, made on first use (a server without such pools never imports ipyparallel for
    it) and found again by the import path ``<module>.EngineSetLauncher`` that a pool's
    cluster file names."""
    module = module_globals["__name__"]
    if name != LAUNCHER:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    from ipyparallel.cluster import launcher

    base = getattr(launcher, ipyparallel_launcher)
    made: type = type(base)(
        LAUNCHER,
        (SubmitsAndCancels, base),
        {
            "__module__": module,
            "__qualname__": LAUNCHER,
            "__doc__": f"ipyparallel's {ipyparallel_launcher}, as {module} needs it.",
            "entrypoint_name": f"{module}.{LAUNCHER}",  # how ipyparallel's files name it
            "cancels_with": staticmethod(scheduler),
            "script_on_stdin": script_on_stdin,
        },
    )
    module_globals[LAUNCHER] = made
    return made


def choice(name: str, label: str, choices: list[str], default: str, help: str) -> Option:
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


def literal(text: str) -> str:
    """Text put into a template that ipyparallel fills in with ``str.format``."""
    return text.replace("{", "{{").replace("}", "}}")


def hours_minutes(minutes: int) -> str:
    """A walltime in minutes as ``H:MM`` (``90`` -> ``1:30``)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def megabytes(gigabytes: float) -> int:
    """GB as whole MiB, rounded up (a job given less than asked for may be killed)."""
    return math.ceil(gigabytes * 1024)


def this_host_address() -> str:
    """This host's address as other hosts see it (not a loopback name)."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"

"""What every pool backend declares: its name, the options a user may set, and
how to ask ipyparallel for a controller and engines.

A backend is a traitlets ``Configurable`` so an admin can set its limits in
``jupyter_server_config.py``; the options a user may choose are declared once
as :class:`Option` fields, validated here and served as a schema to the panel.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from traitlets import Float
from traitlets.config import LoggingConfigurable

from ...errors import BadRequest
from ...validation import at_least, at_most, field_name, quoted
from ..shapes import BackendDescription, CheckReply, OptionDescription, OptionKind, OptionValue

if TYPE_CHECKING:
    from ..schedulers import Scheduler, StartEstimate


# the longest idle time a pool may be given (a year): beyond it minutes are no clock
IDLE_MINUTES_CEILING = 525_600


@dataclass(frozen=True)
class Option:
    """One typed option a user may set when starting a pool (dask-gateway style)."""

    name: str
    kind: OptionKind
    label: str
    default: OptionValue
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def to_json(self) -> OptionDescription:
        described: OptionDescription = {
            "name": self.name,
            "type": self.kind,
            "label": self.label,
            "default": self.default,
            "help": self.help,
        }
        if self.minimum is not None:
            described["minimum"] = self.minimum
        if self.maximum is not None:
            described["maximum"] = self.maximum
        if self.choices:
            described["choices"] = list(self.choices)
        return described

    def json_schema(self) -> dict[str, Any]:
        """The values this option takes, as JSON Schema (for the served OpenAPI document)."""
        if self.kind == "select":
            return {"type": "string", "enum": list(self.choices)}
        schema: dict[str, Any] = {"type": self.kind}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def validate(self, value: Any) -> Any:
        """Return the value in its proper type, or raise BadRequest saying why not."""
        where = field_name(self.label, self.name)
        key = f"options.{self.name}"
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise BadRequest(f"{where} must be true or false", key)
            return value
        if self.kind in ("integer", "number"):
            return self._validate_number(value, where, key)
        if not isinstance(value, str):
            raise BadRequest(f"{where} must be a string", key)
        if self.kind == "select" and value not in self.choices:
            raise BadRequest(f"{where} must be one of {', '.join(self.choices)}", key)
        return value

    def _validate_number(self, value: Any, where: str, key: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{where} must be a number ({quoted(value)} asked)", key)
        if isinstance(value, float) and not math.isfinite(value):
            raise BadRequest(f"{where} must be finite", key)
        if self.kind == "integer" and isinstance(value, float) and not value.is_integer():
            raise BadRequest(f"{where} must be a whole number ({quoted(value)} asked)", key)
        # ints and floats compare exactly, however many digits the int has
        if self.minimum is not None and value < self.minimum:
            raise BadRequest(f"{where} {at_least(self.minimum, value)}", key)
        if self.maximum is not None and value > self.maximum:
            raise BadRequest(f"{where} {at_most(self.maximum, value)}", key)
        try:
            return int(value) if self.kind == "integer" else float(value)
        except OverflowError:
            raise BadRequest(f"{where} is too large", key) from None


@dataclass
class EngineLaunch:
    """Keyword arguments for ``Cluster.start_engines`` for one engine set: the engines'
    arguments, environment and command, and any other setting of the backend's launcher
    (a batch script's template, where it is written...)."""

    engine_args: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    engine_cmd: list[str] | None = None
    launcher: dict[str, Any] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"engine_args": self.engine_args, **self.launcher}
        if self.environment:
            kwargs["environment"] = self.environment
        if self.engine_cmd is not None:
            kwargs["engine_cmd"] = self.engine_cmd
        return kwargs


@dataclass(frozen=True)
class SetPlan:
    """One engine set a backend means to start: how many engines, and where (the host
    of an SSH engine set; None where the backend has no choice of place)."""

    size: int
    where: str | None = None


@dataclass(frozen=True)
class SetPlace:
    """Which engine set of which pool is being started, and its profile folder (where a
    backend writes the set's files: batch scripts, job output), and where it runs
    (its plan's ``where``)."""

    pool_id: str
    set_id: str
    profile_dir: str
    where: str | None = None

    def file(self, suffix: str) -> str:
        """``<profile>/jasmin/jobs/<pool>-<set><suffix>``, its folder made."""
        folder = os.path.join(self.profile_dir, "jasmin", "jobs")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.path.join(folder, f"{self.pool_id}-{self.set_id}{suffix}")


class PoolBackend(LoggingConfigurable):
    """Base class of every backend; subclasses register themselves by ``name``."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[PoolBackend]]] = {}
    # True when engines can only be added and removed as whole engine sets (an MPI
    # world cannot shrink); the pool JSON and the form say so
    whole_sets: ClassVar[bool] = False
    # True when engines run on the VM of the Jupyter server, so they share its cores
    # (``GET resources`` counts them as cores in use)
    on_this_vm: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            PoolBackend.registry[cls.name] = cls

    idle_minutes_default = Float(
        0.0,
        config=True,
        help="Minutes without work (nothing queued or running) before a pool of this backend "
        "is stopped, unless its user chooses otherwise; 0: never.",
    )
    idle_minutes_max = Float(
        0.0,
        config=True,
        help="The longest idle time a user may choose for a pool of this backend; "
        "0: no maximum (and users may turn idle culling off).",
    )

    def idle_minutes(self, asked: Any) -> float | None:
        """The idle time of a pool whose user asked for ``asked`` minutes (None: the
        default), within the admin's maximum; None when the pool is never culled."""
        if asked is None:
            return self.idle_minutes_default or None
        where = field_name("Stop when idle for (minutes)", "idle_minutes")
        valid = isinstance(asked, int | float) and not isinstance(asked, bool)
        if not valid or not math.isfinite(asked) or asked < 0:
            raise BadRequest(
                f"{where} must be a number of minutes, 0 or more ({quoted(asked)} asked)",
                "idle_minutes",
            )
        if asked > IDLE_MINUTES_CEILING:
            raise BadRequest(
                f"{where} {at_most(IDLE_MINUTES_CEILING, asked)} (a year; 0 never stops it)",
                "idle_minutes",
            )
        most = self.idle_minutes_max
        if most and not asked:
            raise BadRequest(
                f"{where}: idle culling cannot be turned off for {self.name} pools: "
                f"choose at most {most:g} minutes",
                "idle_minutes",
            )
        if most and asked > most:
            raise BadRequest(
                f"{where} {at_most(most, asked, f' for {self.name} pools')}", "idle_minutes"
            )
        return float(asked) or None

    def options(self) -> list[Option]:
        """The options a user may set, with the admin's limits as bounds."""
        return []

    def limits(self) -> dict[str, Any]:
        """The admin's limits for this backend, as shown to users."""
        return {}

    def validate_options(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check a user's options; unknown names are refused rather than ignored."""
        declared = {option.name: option for option in self.options()}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise BadRequest(
                f"backend '{self.name}' has no option {', '.join(map(repr, unknown))} "
                f"(options: {known})"
            )
        chosen = {name: option.default for name, option in declared.items()}
        for name, value in given.items():
            chosen[name] = declared[name].validate(value)
        return chosen

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        """Extra keyword arguments for ``ipyparallel.Cluster`` (launcher classes...)."""
        return {}

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        """How to start an engine set of a pool with these options."""
        return EngineLaunch()

    def checks(self, options: dict[str, Any], engines: int) -> list[CheckReply]:
        """What is checked before anything is started (a batch scheduler's limits: a
        request over them would wait in the queue for ever); an empty list: nothing."""
        return []

    def scheduler(self) -> Scheduler | None:
        """The batch scheduler the engine sets go through (None: no batch jobs)."""
        return None

    def estimate_start(self, script: str) -> StartEstimate | None:
        """When and where the scheduler would start this batch script, submitting
        nothing (blocking); None when it cannot tell."""
        return None

    def estimated_start(self, job_id: str) -> StartEstimate | None:
        """When the scheduler expects a pending job to start (blocking; costly for the
        scheduler: asked on demand only)."""
        return None

    def refresh_facts(self) -> None:
        """Ask the scheduler again what it offers (partitions, accounts); blocking, so
        called from a background thread. Options come from what was last learnt."""

    def keeps_running_on_stop(self, options: dict[str, Any]) -> bool:
        """Whether a pool outlives a clean stop of the server, for the next to take over
        (batch jobs, whose queue wait is costly); local pools never do."""
        return False

    def engine_set_sizes(self, engines: int, options: dict[str, Any]) -> list[int]:
        """How ``engines`` more engines are started: the size of each engine set (one
        launcher each: a process, an ``mpiexec``, a batch job)."""
        return [1] * engines

    def plan_engine_sets(
        self, engines: int, options: dict[str, Any], placed: dict[str, int]
    ) -> list[SetPlan]:
        """The engine sets that start ``engines`` more engines; ``placed`` counts the
        engines this backend already runs in the pool by ``where`` (for backends that
        choose a place, such as SSH hosts). Raise BadRequest when they do not fit."""
        return [SetPlan(size) for size in self.engine_set_sizes(engines, options)]

    def describe(self, max_engines: int) -> BackendDescription:
        """The JSON served by ``GET /jasmin/api/backends``."""
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "options": [option.to_json() for option in self.options()],
            "limits": {"max_engines": max_engines, **self.limits()},
            "whole_sets": self.whole_sets,
            "on_this_vm": self.on_this_vm,
            "idle_minutes": {
                "default": self.idle_minutes_default or None,
                "maximum": self.idle_minutes_max or None,
            },
        }

"""The JSON shapes of engine pools in REST replies (``openapi.yaml``'s ``Pool``,
``Engine``...), as types, so mypy holds the code that builds them to the contract."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

PoolState = Literal["starting", "running", "degraded", "stopping", "stopped", "failed"]
EngineState = Literal["running", "stopping", "lost"]
EngineSetState = Literal["starting", "running", "stopping", "ended", "failed"]
OptionValue = int | float | str | bool
OptionKind = Literal["integer", "number", "string", "select", "boolean"]


class EngineReply(TypedDict):
    id: int
    engine_set: str | None
    host: str | None
    ssh_address: str | None
    pid: int | None
    state: EngineState
    cpu_percent: float | None
    memory_bytes: int | None
    error: str | None
    tasks: int | None
    done: int | None


class TaskCounts(TypedDict):
    """A pool's work as its controller counts it (``openapi.yaml``'s ``TaskCounts``)."""

    queued: int  # waiting for an engine
    running: int  # given to an engine, not done
    done: int  # finished (successfully or not) since the pool started
    busy_engines: int


class EngineCounts(TypedDict):
    requested: int
    running: int
    starting: int
    lost: int
    list: list[EngineReply]


class JobReply(TypedDict):
    """An engine set's batch job, as the scheduler last described it."""

    id: str
    state: str
    state_in_words: str
    reason: str
    reason_in_words: str
    nodes: str
    time_left_seconds: int | None
    submitted: str | None
    started: str | None


class EngineSetReply(TypedDict):
    id: str
    backend: str
    where: str | None
    state: EngineSetState
    requested: int
    running: int
    starting: int
    lost: int
    error: str | None
    job: JobReply | None


class PoolActions(TypedDict):
    """What a user may do with a pool now (``pool_actions`` decides)."""

    scale: bool
    connect: bool
    stop: bool
    dismiss: bool


class ControllerReply(TypedDict):
    pid: int | None


class PartReply(TypedDict):
    """The engines of one backend in a pool (a pool may burst onto other backends)."""

    backend: str
    label: str
    options: dict[str, OptionValue]
    requested: int
    running: int
    starting: int
    lost: int
    whole_sets: bool
    primary: bool


class IdleReply(TypedDict):
    """Idle culling: the pool stops after ``minutes`` without work (None: never)."""

    minutes: float | None
    idle_seconds: float | None
    culls_in_seconds: float | None


class AdaptReply(TypedDict):
    """Adaptive scaling: engines follow the controller's queue within a range."""

    minimum: int
    maximum: int
    wait_seconds: float  # spare engines stop after this long without work for them
    last: str | None  # the last change, in words


class PoolReply(TypedDict):
    id: str
    name: str
    backend: str
    state: PoolState
    error: str | None
    options: dict[str, OptionValue]
    created: str
    ready_seconds: float | None
    engines: EngineCounts
    engine_sets: list[EngineSetReply]
    parts: list[PartReply]
    idle: IdleReply
    adapt: AdaptReply | None
    tasks: TaskCounts | None
    controller: ControllerReply | None
    connection_file: str
    actions: PoolActions


class OptionDescription(TypedDict):
    """One option as ``GET /jasmin/api/backends`` describes it (``BackendOption``)."""

    name: str
    type: OptionKind
    label: str
    default: OptionValue
    help: str
    minimum: NotRequired[float]
    maximum: NotRequired[float]
    choices: NotRequired[list[str]]


class IdleLimits(TypedDict):
    """A backend's idle culling: its default and the most a user may choose (None: off,
    no maximum)."""

    default: float | None
    maximum: float | None


class BackendDescription(TypedDict):
    """One backend as ``GET /jasmin/api/backends`` describes it (``Backend``)."""

    name: str
    label: str
    description: str
    options: list[OptionDescription]
    limits: dict[str, Any]
    whole_sets: bool
    on_this_vm: bool
    idle_minutes: IdleLimits


class PoolLimitsReply(TypedDict):
    max_pools: int
    max_engines_per_pool: int


class BackendsReply(TypedDict):
    backends: list[BackendDescription]
    limits: PoolLimitsReply
    suggested_engines: int


class CheckReply(TypedDict):
    """One check of a request against the admin's and the scheduler's limits."""

    check: str
    ok: bool
    message: str


class PreviewReply(TypedDict):
    """What starting a pool would do (``POST clusters`` with ``dry_run``), creating nothing."""

    backend: str
    engines: int
    engine_sets: list[int]
    script: str | None
    checks: list[CheckReply]
    estimated_start: str | None
    estimated_nodes: str | None
    scheduler_said: str | None


class OutputReply(TypedDict):
    """The tail of an engine set's output file."""

    engine_set: str
    path: str
    text: str
    truncated: bool
    size: int


class LogReply(TypedDict):
    """One log of a pool: its controller's output, or an engine set's."""

    name: str
    label: str
    engine_set: str | None
    size: int
    modified: str | None


class LogsReply(TypedDict):
    logs: list[LogReply]


class LogTailReply(TypedDict):
    """The tail of one of a pool's logs."""

    name: str
    text: str
    truncated: bool
    size: int


class EstimateReply(TypedDict):
    """When the scheduler expects an engine set's pending job to start."""

    engine_set: str
    job: str | None
    estimated_start: str | None
    nodes: str | None

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
    pid: int | None
    state: EngineState
    cpu_percent: float | None
    memory_bytes: int | None
    error: str | None


class EngineCounts(TypedDict):
    requested: int
    running: int
    starting: int
    lost: int
    list: list[EngineReply]


class EngineSetReply(TypedDict):
    id: str
    backend: str
    state: EngineSetState
    requested: int
    running: int
    starting: int
    lost: int
    error: str | None


class PoolActions(TypedDict):
    """What a user may do with a pool now (``pool_actions`` decides)."""

    scale: bool
    connect: bool
    stop: bool
    dismiss: bool


class ControllerReply(TypedDict):
    pid: int | None


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


class BackendDescription(TypedDict):
    """One backend as ``GET /jasmin/api/backends`` describes it (``Backend``)."""

    name: str
    label: str
    description: str
    options: list[OptionDescription]
    limits: dict[str, Any]


class PoolLimitsReply(TypedDict):
    max_pools: int
    max_engines_per_pool: int


class BackendsReply(TypedDict):
    backends: list[BackendDescription]
    limits: PoolLimitsReply
    suggested_engines: int

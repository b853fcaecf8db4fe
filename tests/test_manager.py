"""The pool manager without any server, as a CLI or another tool would drive it."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from jupyter_jasmin.clusters import EnginePools, PoolLimits, PoolSettings
from jupyter_jasmin.clusters.backends import Option, available_backends, load_backends
from jupyter_jasmin.errors import BadRequest
from jupyter_jasmin.resources import suggested_engines

from .conftest import gone, wait_until


def test_manager_runs_pools_without_a_server_and_shutdown_stops_them(tmp_path: Path) -> None:
    pools = EnginePools(
        backends=load_backends(["local"], parent=None),
        settings=PoolSettings(profile_dir=str(tmp_path / "profile")),
        limits=PoolLimits(max_pools=2, max_engines_per_pool=2),
        log=logging.getLogger("test"),
    )
    try:
        first = asyncio.run(pools.create(name="a", engines=1))
        second = asyncio.run(pools.create(name="b", engines=2))
        ready = wait_until(
            lambda: all(pools.get(p["id"])["state"] == "running" for p in (first, second)), 60
        )
        assert ready
        pids = [
            e["pid"] for p in (first, second) for e in pools.get(p["id"])["engines"]["list"]
        ] + [pools.get(p["id"])["controller"]["pid"] for p in (first, second)]
        assert len(pids) == 5
    finally:
        started = time.monotonic()
        pools.shutdown_now()
    assert pools.all() == []
    assert gone(pids)
    assert time.monotonic() - started < 30


def test_local_backend_is_found_by_name() -> None:
    assert "local" in available_backends()
    with pytest.raises(ValueError, match="unknown backend"):
        load_backends(["pbs-from-the-future"], parent=None)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (Option("n", "integer", "N", 1, minimum=1, maximum=8), 4, 4),
        (Option("n", "integer", "N", 1, minimum=1, maximum=8), 4.0, 4),
        (Option("x", "number", "X", 0.5, minimum=0), 2, 2.0),
        (Option("q", "select", "Q", "short", choices=("short", "long")), "long", "long"),
        (Option("b", "boolean", "B", False), True, True),
        (Option("s", "string", "S", ""), "text", "text"),
    ],
)
def test_options_accept_good_values(option: Option, value: object, expected: object) -> None:
    assert option.validate(value) == expected


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            Option("n", "integer", "N", 1, minimum=1, maximum=8),
            9,
            r"N \('n'\) must be at most 8 \(9 asked\)",
        ),
        (
            Option("n", "integer", "N", 1, minimum=1, maximum=8),
            0,
            r"N \('n'\) must be at least 1 \(0 asked\)",
        ),
        (Option("n", "integer", "N", 1), True, "must be a number"),
        (Option("x", "number", "X", 0.5), float("nan"), "finite"),
        (Option("q", "select", "Q", "short", choices=("short", "long")), "huge", "one of"),
        (Option("b", "boolean", "B", False), "yes", "true or false"),
        (Option("s", "string", "S", ""), 5, "must be a string"),
    ],
)
def test_options_refuse_bad_values_saying_why(option: Option, value: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        option.validate(value)


@pytest.mark.parametrize(
    ("cores", "load", "limit", "expected"),
    [(8, 0.2, 64, 8), (8, 3.7, 64, 5), (8, 20.0, 64, 1), (8, 0.0, 4, 4), (1, 0.0, 64, 1)],
)
def test_suggestion_is_one_engine_per_idle_core(
    cores: int, load: float, limit: int, expected: int
) -> None:
    assert suggested_engines(cores, load, limit) == expected

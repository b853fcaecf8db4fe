"""Idle culling: a pool with no work for its idle time is stopped, says so until it is
dismissed, and is never stopped while it works."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from jupyter_jasmin.clusters.backends.local import LocalBackend
from jupyter_jasmin.clusters.pool import EnginePool, PoolSettings

from .conftest import Api, gone, running, wait_for_pool

QUICK = {"idle_check_seconds": 0.2}


def engine_pids(pool: dict[str, Any]) -> list[int]:
    return [engine["pid"] for engine in pool["engines"]["list"]]


@pytest.mark.jasmin(**QUICK)
async def test_an_idle_pool_is_stopped_a_busy_one_is_not(api: Api) -> None:
    # 0.05 min: culled after 3 s without work
    created = await api("POST", "clusters", {"engines": 1, "idle_minutes": 0.05})
    assert created.status == 202, created.body
    pool = await wait_for_pool(api, created.body["id"], running(1))
    pool = await wait_for_pool(api, pool["id"], lambda p: p["idle"]["idle_seconds"] is not None)
    assert pool["idle"]["minutes"] == 0.05
    assert 0 <= pool["idle"]["culls_in_seconds"] <= 3

    # work for 5 s, longer than the idle time: the pool stays, and says it is busy
    snippet = (await api("GET", f"clusters/{pool['id']}/snippet")).body["code"]
    work = asyncio.create_task(
        asyncio.create_subprocess_exec(
            "python", "-c", snippet + "\nimport time\nview.apply_sync(time.sleep, 5)"
        )
    )
    process = await work
    busy = await wait_for_pool(api, pool["id"], lambda p: p["idle"]["idle_seconds"] is None)
    assert busy["idle"]["culls_in_seconds"] is None
    await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0
    assert (await api("GET", f"clusters/{pool['id']}")).body["state"] == "running"

    # then idle: stopped about 3 s later, saying why, listed until dismissed
    began = time.monotonic()
    culled = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "stopped", timeout=30)
    assert time.monotonic() - began >= 2.5, "culled before its idle time had passed"
    assert culled["error"] == "stopped after 0.05 min without work (idle culling)"
    assert culled["actions"] == {"scale": False, "connect": False, "stop": False, "dismiss": True}
    assert gone(engine_pids(busy))
    assert (await api("GET", f"clusters/{pool['id']}/snippet")).status == 409

    dismissed = await api("DELETE", f"clusters/{pool['id']}")
    assert dismissed.status == 200
    listed = (await api("GET", "clusters")).body["clusters"]
    assert pool["id"] not in [p["id"] for p in listed]


@pytest.mark.server_config(LocalBackend={"idle_minutes_default": 30, "idle_minutes_max": 60})
async def test_idle_times_are_checked_against_the_backends_limits(api: Api) -> None:
    offered = (await api("GET", "backends")).body["backends"]
    assert offered[0]["idle_minutes"] == {"default": 30, "maximum": 60}

    too_long = await api("POST", "clusters", {"engines": 1, "idle_minutes": 90})
    assert too_long.status == 400
    assert "('idle_minutes') must be at most 60 for local pools" in too_long.body["message"]
    assert too_long.body["field"] == "idle_minutes"
    never = await api("POST", "clusters", {"engines": 1, "idle_minutes": 0})
    assert never.status == 400
    assert "cannot be turned off" in never.body["message"]
    assert (await api("GET", "clusters")).body["clusters"] == []

    created = await api("POST", "clusters", {"engines": 1})
    assert created.body["idle"]["minutes"] == 30
    shorter = await api("PATCH", f"clusters/{created.body['id']}", {"idle_minutes": 5})
    assert shorter.status == 200, shorter.body
    assert shorter.body["idle"]["minutes"] == 5
    assert (await api("DELETE", f"clusters/{created.body['id']}")).status == 200


def test_a_pool_taken_over_keeps_its_idle_clock(tmp_path: Any) -> None:
    """What a restarted server reads back of a pool's record: its idle time, and when it
    last had work (not the moment the new server started)."""
    an_hour_ago = time.time() - 3600
    record = {
        "id": "ab12cd34",
        "name": "p",
        "backend": "local",
        "created": an_hour_ago,
        "engines": 1,
        "idle_minutes": 90,
        "last_active": an_hour_ago + 600,
    }
    pool = EnginePool.orphaned(
        record, {"local": LocalBackend()}, PoolSettings(str(tmp_path)), logging.getLogger()
    )
    pool.phase = "running"
    idle = pool.describe()["idle"]
    assert idle["minutes"] == 90
    assert idle["idle_seconds"] is not None
    assert 2990 <= idle["idle_seconds"] <= 3010
    assert idle["culls_in_seconds"] is not None
    assert 2390 <= idle["culls_in_seconds"] <= 2410

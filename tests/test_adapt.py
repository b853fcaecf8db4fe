"""Adaptive scaling: a pool given a range of engines follows its controller's queue,
adding engines while work waits and stopping spare ones once the work is done."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import ipyparallel as ipp
import psutil
import pytest

from jupyter_jasmin.clusters import EnginePools, PoolLimits, PoolSettings
from jupyter_jasmin.clusters.adapt import Adapt
from jupyter_jasmin.clusters.backends import load_backends

from .conftest import Api, gone, processes_of_pool, start_pool, wait_for_pool, wait_until
from .servers import ServerProcess


def nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


nap.__module__ = "__main__"  # sent by value, as a notebook's function is


def engines_asked(count: int, running: int | None = None) -> Any:
    def check(pool: dict[str, Any]) -> bool:
        engines = pool["engines"]
        return engines["requested"] == count and (running is None or engines["running"] == running)

    check.__qualname__ = f"engines_asked({count}, running={running})"
    return check


def test_more_engines_at_once_for_waiting_work_fewer_only_after_the_wait() -> None:
    adapt = Adapt(minimum=1, maximum=4, wait_seconds=10)
    assert adapt.wanted(have=1, work=9, waiting=0, now=0) == 4, "up at once, to the maximum"
    assert adapt.wanted(have=4, work=4, waiting=0, now=1) is None
    assert adapt.wanted(have=4, work=0, waiting=0, now=2) is None, "spare engines wait"
    assert adapt.wanted(have=4, work=0, waiting=0, now=11) is None
    assert adapt.wanted(have=4, work=0, waiting=0, now=12) == 1, "down to the minimum"
    # work coming back in the wait starts the wait again
    assert adapt.wanted(have=4, work=0, waiting=0, now=20) is None
    assert adapt.wanted(have=4, work=3, waiting=0, now=25) is None
    assert adapt.wanted(have=4, work=3, waiting=0, now=29) is None
    assert adapt.wanted(have=4, work=3, waiting=0, now=36) == 3
    # engines still starting (a batch job in the queue) are not stopped by the wait
    assert adapt.wanted(have=3, work=0, waiting=2, now=40) is None
    assert adapt.wanted(have=3, work=0, waiting=2, now=60) is None
    assert Adapt(minimum=2, maximum=3).wanted(have=0, work=0, waiting=0, now=0) == 2


async def test_a_pool_grows_while_a_map_waits_and_shrinks_after_it(
    api: Api, profile_dir: Path
) -> None:
    pool = await start_pool(api, "adaptive", 1)
    reply = await api(
        "PATCH",
        f"clusters/{pool['id']}",
        {"adapt": {"minimum": 1, "maximum": 3, "wait_seconds": 2}},
    )
    assert reply.status == 200, reply.body
    assert reply.body["adapt"] == {"minimum": 1, "maximum": 3, "wait_seconds": 2, "last": None}

    client = await asyncio.to_thread(ipp.Client, pool["connection_file"])
    try:
        view = client.load_balanced_view()
        result = view.map_async(nap, [1.5] * 12)
        grown = await wait_for_pool(api, pool["id"], engines_asked(3, running=3), timeout=60)
        assert grown["adapt"]["last"].startswith("1 → 3 engines at "), grown["adapt"]
        assert "tasks waiting" in grown["adapt"]["last"]
        assert await asyncio.to_thread(result.get, 120) == [1.5] * 12
        assert len(set(result.engine_id)) == 3, "the new engines took work"
    finally:
        client.close()
    shrunk = await wait_for_pool(api, pool["id"], engines_asked(1, running=1), timeout=60)
    assert shrunk["adapt"]["last"].startswith("3 → 1 engines at "), shrunk["adapt"]
    assert "no work for 2 s" in shrunk["adapt"]["last"]
    kept = {e["pid"] for e in shrunk["engines"]["list"]}
    assert gone([e["pid"] for e in grown["engines"]["list"] if e["pid"] not in kept])
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_a_pool_adapting_from_zero_starts_engines_for_queued_work(
    api: Api, profile_dir: Path
) -> None:
    pool = await start_pool(api, "from-zero", 1)
    reply = await api(
        "PATCH",
        f"clusters/{pool['id']}",
        {"adapt": {"minimum": 0, "maximum": 2, "wait_seconds": 0}},
    )
    assert reply.status == 200, reply.body
    empty = await wait_for_pool(api, pool["id"], engines_asked(0, running=0), timeout=60)
    assert empty["state"] == "running"

    client = await asyncio.to_thread(ipp.Client, pool["connection_file"])
    try:
        # a load-balanced map waits in the controller's queue while there is no engine
        result = client.load_balanced_view().map_async(nap, [0.5] * 4)
        await wait_for_pool(api, pool["id"], engines_asked(2), timeout=30)
        assert await asyncio.to_thread(result.get, 120) == [0.5] * 4
    finally:
        client.close()
    await wait_for_pool(api, pool["id"], engines_asked(0, running=0), timeout=60)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_adapt_requests_are_checked_and_a_manual_scale_ends_adapting(api: Api) -> None:
    pool = await start_pool(api, "checked", 1)
    path = f"clusters/{pool['id']}"
    refused = {
        "minimum above maximum": ({"adapt": {"minimum": 3, "maximum": 2}}, "adapt.minimum"),
        "over the limit": ({"adapt": {"minimum": 0, "maximum": 9}}, "adapt.maximum"),
        "no maximum": ({"adapt": {"minimum": 1}}, "adapt.maximum"),
        "a string": ({"adapt": "auto"}, "adapt"),
        "negative wait": ({"adapt": {"minimum": 0, "maximum": 2, "wait_seconds": -1}}, None),
        "with engines": ({"adapt": {"minimum": 1, "maximum": 2}, "engines": 2}, "adapt"),
    }
    for why, (body, field) in refused.items():
        reply = await api("PATCH", path, body)
        assert reply.status == 400, (why, reply.body)
        assert reply.body["message"], why
        if field is not None:
            assert reply.body.get("field") == field, (why, reply.body)
    over = await api("PATCH", path, {"adapt": {"minimum": 0, "maximum": 9}})
    assert "Maximum engines ('adapt.maximum') must be at most 4" in over.body["message"]

    adapting = await api("PATCH", path, {"adapt": {"minimum": 1, "maximum": 2}})
    assert adapting.body["adapt"]["wait_seconds"] == 30
    manual = await api("PATCH", path, {"engines": 2})
    assert manual.status == 200
    assert manual.body["adapt"] is None, "a manual scale ends adapting"
    await wait_for_pool(api, pool["id"], engines_asked(2, running=2))
    assert (await api("PATCH", path, {"adapt": None})).body["adapt"] is None
    assert (await api("DELETE", path)).status == 200


def test_a_pool_keeps_adapting_under_the_server_that_takes_it_over(
    tmp_path: Path, profile_dir: Path
) -> None:
    server = ServerProcess(tmp_path, profile_dir)
    pids: list[int] = []
    try:
        pool = server.call("POST", "clusters", {"engines": 1})
        wait_until(lambda: server.call("GET", f"clusters/{pool['id']}")["state"] == "running", 60)
        range_ = {"minimum": 1, "maximum": 2, "wait_seconds": 1}
        assert server.call("PATCH", f"clusters/{pool['id']}", {"adapt": range_})["adapt"]
        record = profile_dir / "jasmin" / f"pool-{pool['id']}.json"
        assert json.loads(record.read_text())["adapt"] == range_
        pids = [p.pid for p in processes_of_pool(profile_dir, pool["id"])]
    finally:
        server.kill()

    pools = EnginePools(
        backends=load_backends(["local"], parent=None),
        settings=PoolSettings(profile_dir=str(profile_dir)),
        limits=PoolLimits(max_engines_per_pool=4),
        log=logging.getLogger("test"),
    )
    try:
        assert pools.taken_over == [pool["id"]]
        ready = wait_until(lambda: (p := pools.get(pool["id"]))["state"] == "running" and p, 60)
        assert ready["adapt"] == {**range_, "last": None}
        client = ipp.Client(ready["connection_file"])
        try:
            result = client.load_balanced_view().map_async(nap, [1.0] * 6)
            wait_until(lambda: pools.get(pool["id"])["engines"]["requested"] == 2, 30)
            assert result.get(60) == [1.0] * 6
        finally:
            client.close()
    finally:
        pools.shutdown_now()
        for pid in pids:
            if psutil.pid_exists(pid):
                psutil.Process(pid).kill()
    assert gone(pids)
    assert processes_of_pool(profile_dir, pool["id"]) == []


@pytest.mark.parametrize("record", [None, "x", {"minimum": 1}, {"minimum": "a", "maximum": 2}])
def test_a_broken_adapt_record_means_a_fixed_pool(record: Any) -> None:
    assert Adapt.from_record(record) is None

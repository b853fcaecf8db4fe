"""A pool's work as the panel shows it: tasks queued, running and done, and which engines
are busy, counted by the pool's controller while a notebook maps on it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ipyparallel as ipp

from .conftest import Api, start_pool, wait_for_pool


def nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


nap.__module__ = "__main__"  # sent by value, as a notebook's function is


def counted(**wanted: int) -> Any:
    def check(pool: dict[str, Any]) -> bool:
        tasks = pool["tasks"]
        return tasks is not None and all(tasks[k] == v for k, v in wanted.items())

    check.__qualname__ = f"counted({wanted})"
    return check


async def test_tasks_queued_running_and_done_while_a_map_runs(api: Api, profile_dir: Path) -> None:
    pool = await start_pool(api, "work", 2)
    idle = await wait_for_pool(api, pool["id"], counted(queued=0, running=0, busy_engines=0))
    assert idle["tasks"]["done"] == 0
    assert all(e["tasks"] == 0 for e in idle["engines"]["list"])

    client = await asyncio.to_thread(ipp.Client, pool["connection_file"])
    try:
        view = client.load_balanced_view()
        result = view.map_async(nap, [2.0] * 6)
        busy = await wait_for_pool(api, pool["id"], counted(running=2, queued=4, busy_engines=2))
        assert [e["tasks"] for e in busy["engines"]["list"]] == [1, 1]

        await asyncio.to_thread(result.get, 60)
        done = await wait_for_pool(api, pool["id"], counted(running=0, queued=0, done=6))
        assert sum(e["done"] for e in done["engines"]["list"]) == 6
    finally:
        client.close()
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200

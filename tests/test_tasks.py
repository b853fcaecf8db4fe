"""A pool's work as the panel shows it: tasks queued, running and done, and which engines
are busy, counted by the pool's controller while a notebook maps on it."""

from __future__ import annotations

import asyncio
import sys
import traceback
from pathlib import Path
from typing import Any

import ipyparallel as ipp
import psutil

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


async def test_a_frozen_controller_leaves_the_counts_unknown_and_no_thread_waiting(
    api: Api, profile_dir: Path
) -> None:
    """ipyparallel's queue_status waits forever for a controller that does not answer:
    the server asks without a thread, so a frozen controller holds none of its workers."""
    pool = await start_pool(api, "frozen", 1)
    await wait_for_pool(api, pool["id"], counted(running=0))
    controller = psutil.Process(pool["controller"]["pid"])
    controller.suspend()
    try:
        await wait_for_pool(api, pool["id"], lambda p: p["tasks"] is None, timeout=30)
        waiting = [
            thread
            for thread, frame in sys._current_frames().items()
            if any(f.name == "queue_status" for f in traceback.extract_stack(frame))
        ]
        assert waiting == [], "a thread waits on the frozen controller"
    finally:
        controller.resume()
    await wait_for_pool(api, pool["id"], counted(running=0), timeout=30)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200

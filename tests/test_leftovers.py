"""A server killed outright cannot watch its pools: the next server on the host takes over
those whose controller still runs, and stops what is left of the others, saying so."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from jupyter_jasmin.clusters import EnginePools, PoolLimits, PoolSettings
from jupyter_jasmin.clusters.backends import load_backends

from .conftest import gone, processes_of_pool, run_python, wait_until
from .servers import ServerProcess


def family(pids: list[int]) -> set[int]:
    """The processes and all their descendants (schedulers, nannies)."""
    found = set(pids)
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            found |= {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return found


def recorded(record: Path) -> set[int]:
    try:
        return {pid for pid, _ in json.loads(record.read_text())["processes"]}
    except (OSError, ValueError):
        return set()


@pytest.fixture
def killed_server_pool(tmp_path: Path, profile_dir: Path) -> Iterator[tuple[str, list[int]]]:
    server = ServerProcess(tmp_path, profile_dir)
    try:
        pool = server.call("POST", "clusters", {"engines": 2})
        ready = wait_until(
            lambda: (p := server.call("GET", f"clusters/{pool['id']}"))["state"] == "running" and p,
            60,
        )
        pids = [ready["controller"]["pid"], *(e["pid"] for e in ready["engines"]["list"])]
        record = profile_dir / "jasmin" / f"pool-{pool['id']}.json"
        wait_until(lambda: family(pids) <= recorded(record), 30)
    finally:
        server.kill()
    yield pool["id"], pids
    for pid in pids:  # whatever happens in the test, nothing outlives it
        try:
            for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
                process.kill()
        except psutil.Error:
            pass


def manager(profile_dir: Path) -> EnginePools:
    return EnginePools(
        backends=load_backends(["local"], parent=None),
        settings=PoolSettings(profile_dir=str(profile_dir)),
        limits=PoolLimits(),
        log=logging.getLogger("test"),
    )


def test_the_next_server_takes_over_a_pool_left_by_a_killed_one(
    killed_server_pool: tuple[str, list[int]], profile_dir: Path
) -> None:
    pool_id, pids = killed_server_pool
    assert all(psutil.pid_exists(pid) for pid in pids), "the kill left the pool running"

    pools = manager(profile_dir)
    try:
        assert pools.taken_over == [pool_id]
        pool = wait_until(lambda: (p := pools.get(pool_id))["state"] == "running" and p, 60)
        assert pool["engines"]["running"] == 2
        assert pool["controller"]["pid"] == pids[0]
        assert sorted(e["pid"] for e in pool["engines"]["list"]) == sorted(pids[1:])
        assert {e["engine_set"] for e in pool["engines"]["list"]} == {
            s["id"] for s in pool["engine_sets"]
        }
        record = json.loads((profile_dir / "jasmin" / f"pool-{pool_id}.json").read_text())
        assert record["server"]["pid"] == os.getpid(), "the record names its new server"
    finally:
        pools.shutdown_now()
    assert gone(list(family(pids)))
    assert processes_of_pool(profile_dir, pool_id) == []


async def test_a_pool_taken_over_after_a_kill_runs_work(
    killed_server_pool: tuple[str, list[int]], tmp_path: Path, profile_dir: Path
) -> None:
    pool_id, pids = killed_server_pool
    server = ServerProcess(tmp_path, profile_dir)
    try:
        pool = await asyncio.to_thread(
            wait_until,
            lambda: (p := server.call("GET", f"clusters/{pool_id}"))["state"] == "running" and p,
            60,
        )
        assert pool["engines"]["running"] == 2
        snippet = server.call("GET", f"clusters/{pool_id}/snippet")["code"]
        output = await run_python(
            snippet
            + "\ndef where(_):\n    import os, time\n    time.sleep(0.05)\n    return os.getpid()"
            + "\nprint(sorted(set(view.map_sync(where, range(20)))))"
        )
        assert str(sorted(pids[1:])) in output, output
        stopped = server.call("DELETE", f"clusters/{pool_id}")
        assert stopped["state"] == "stopped"
        assert processes_of_pool(profile_dir, pool_id) == []
    finally:
        server.stop()


def test_a_pool_whose_controller_died_with_its_server_is_failed_until_dismissed(
    killed_server_pool: tuple[str, list[int]], tmp_path: Path, profile_dir: Path
) -> None:
    pool_id, pids = killed_server_pool
    psutil.Process(pids[0]).kill()  # its controller
    for _restart in range(2):  # the notice survives another restart until dismissed
        server = ServerProcess(tmp_path, profile_dir)
        try:
            (pool,) = server.call("GET", "clusters")["clusters"]
            assert pool["id"] == pool_id
            assert pool["state"] == "failed"
            assert "Jupyter server" in pool["error"]
            assert "its controller was no longer running" in pool["error"]
            assert pool["engines"]["requested"] == 2
            assert pool["actions"]["dismiss"] is True
            assert processes_of_pool(profile_dir, pool_id) == []
            assert gone(list(family(pids)))
        finally:
            server.stop()

    server = ServerProcess(tmp_path, profile_dir)
    try:
        dismissed = server.call("DELETE", f"clusters/{pool_id}")
        assert dismissed["state"] == "failed"
        assert server.call("GET", "clusters") == {"clusters": []}
        assert not (profile_dir / "jasmin" / f"pool-{pool_id}.json").exists()
    finally:
        server.stop()


def test_a_server_killed_while_a_pool_starts_leaves_nothing_behind(
    tmp_path: Path, profile_dir: Path
) -> None:
    server = ServerProcess(tmp_path, profile_dir)
    try:
        pool = server.call("POST", "clusters", {"engines": 2})
        # killed as the engines start: some processes exist, none is registered yet
        wait_until(lambda: len(processes_of_pool(profile_dir, pool["id"])) >= 3, 30, 0.02)
    finally:
        server.kill()
    assert processes_of_pool(profile_dir, pool["id"]), "nothing was left to clean up"

    again = ServerProcess(tmp_path, profile_dir)
    try:
        # taken over with what came up, or failed: either way it is listed and can go
        listed = wait_until(
            lambda: (p := again.call("GET", f"clusters/{pool['id']}"))["state"] != "starting" and p,
            60,
        )
        assert listed["state"] in ("running", "degraded", "failed"), listed
        again.call("DELETE", f"clusters/{pool['id']}")
        assert processes_of_pool(profile_dir, pool["id"]) == []
    finally:
        again.stop()


def test_pools_of_a_running_server_are_left_alone(tmp_path: Path, profile_dir: Path) -> None:
    server = ServerProcess(tmp_path, profile_dir)
    try:
        pool = server.call("POST", "clusters", {"engines": 1})
        wait_until(lambda: server.call("GET", f"clusters/{pool['id']}")["state"] == "running", 60)
        other = manager(profile_dir)
        try:
            assert other.leftovers == []
            assert server.call("GET", f"clusters/{pool['id']}")["state"] == "running"
        finally:
            other.shutdown_now()
        server.call("DELETE", f"clusters/{pool['id']}")
    finally:
        server.stop()

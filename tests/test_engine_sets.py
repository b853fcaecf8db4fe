"""Engine sets of several engines (as an mpiexec or a batch job holds): scaling stops
chosen engines inside a set, and a set ends with its last engine."""

from __future__ import annotations

from typing import Any

import psutil
import pytest

from jupyter_jasmin.clusters.backends.local import LocalBackend

from . import stand_in_backends  # noqa: F401  (registers the backends these tests use)
from .conftest import Api, gone, running, wait_for_pool


def engine_pids(pool: dict[str, Any]) -> set[int]:
    return {engine["pid"] for engine in pool["engines"]["list"]}


@pytest.mark.jasmin(backends=["local", "pairs"])
async def test_a_set_of_two_shrinks_engine_by_engine_and_ends_with_its_last(api: Api) -> None:
    reply = await api("POST", "clusters", {"backend": "pairs", "engines": 2})
    pool = await wait_for_pool(api, reply.body["id"], running(2))
    (pair,) = pool["engine_sets"]
    assert (pair["requested"], pair["running"], pair["state"]) == (2, 2, "running")
    assert {e["engine_set"] for e in pool["engines"]["list"]} == {pair["id"]}
    both = engine_pids(pool)

    one = await api("PATCH", f"clusters/{pool['id']}", {"engines": 1})
    assert one.status == 200
    (left,) = one.body["engine_sets"]
    assert (left["id"], left["running"], left["state"]) == (pair["id"], 1, "running")
    assert gone(list(both - engine_pids(one.body)))
    assert one.body["state"] == "running", "an engine stopped on purpose is not lost"

    none = await api("PATCH", f"clusters/{pool['id']}", {"engines": 0})
    assert none.body["engine_sets"] == []
    assert none.body["engines"]["list"] == []
    assert gone(list(both))

    grown = await api("PATCH", f"clusters/{pool['id']}", {"engines": 3})
    assert grown.status == 200
    pool = await wait_for_pool(api, pool["id"], running(3))
    assert sorted(s["requested"] for s in pool["engine_sets"]) == [1, 2]
    assert all(psutil.pid_exists(pid) for pid in engine_pids(pool))
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert gone(list(engine_pids(pool)))


def test_a_running_jobs_countdown_is_no_news_but_a_new_state_is() -> None:
    """Job polling backs off while nothing changes; the walltime left always does."""
    import logging

    from jupyter_jasmin.clusters.engines import EngineSet
    from jupyter_jasmin.clusters.pool import EnginePool, PoolSettings
    from jupyter_jasmin.clusters.schedulers import BatchJob

    pool = EnginePool(
        "ab12cd34", "p", LocalBackend(), {}, 1, PoolSettings("/nonexistent"), logging.getLogger()
    )
    engine_set = pool.engine_sets["s"] = EngineSet("s", "local", 1)
    engine_set.job_id = "7"

    assert pool.update_jobs({"7": BatchJob("7", "PENDING", reason="Resources")}, "local")
    assert not pool.update_jobs({"7": BatchJob("7", "PENDING", reason="Resources")}, "local")
    assert pool.update_jobs({"7": BatchJob("7", "RUNNING", nodes="n1", time_left=300)}, "local")
    assert not pool.update_jobs({"7": BatchJob("7", "RUNNING", nodes="n1", time_left=297)}, "local")
    (listed,) = pool.describe()["engine_sets"]
    assert listed["job"] is not None
    assert 290 <= listed["job"]["time_left_seconds"] <= 297

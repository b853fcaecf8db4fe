"""A researcher's engine pools through the REST API: real controllers, real engines,
real work mapped on them, and nothing left running afterwards."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from pathlib import Path
from typing import Any

import psutil
import pytest

from .conftest import (
    Api,
    gone,
    processes_of_pool,
    run_python,
    running,
    wait_for_pool,
    wait_until,
)


def engine_pids(pool: dict[str, Any]) -> list[int]:
    return [engine["pid"] for engine in pool["engines"]["list"]]


async def start_pool(api: Api, engines: int, **fields: Any) -> dict[str, Any]:
    reply = await api("POST", "clusters", {"engines": engines, **fields})
    assert reply.status == 202, reply.body
    return await wait_for_pool(api, reply.body["id"], running(engines))


async def test_resources_describe_this_vm(api: Api) -> None:
    reply = await api("GET", "resources")

    assert reply.status == 200
    cores = reply.body["cores"]
    assert cores["logical"] == psutil.cpu_count()
    assert 1 <= cores["usable"] <= cores["logical"]
    assert reply.body["memory"]["total_bytes"] == psutil.virtual_memory().total
    assert 0 < reply.body["memory"]["available_bytes"] <= reply.body["memory"]["total_bytes"]
    assert len(reply.body["load_average"]) == 3
    assert 1 <= reply.body["suggested_engines"] <= min(cores["usable"], 4)


async def test_backends_offer_local_with_its_options_and_limits(api: Api) -> None:
    reply = await api("GET", "backends")

    assert reply.status == 200
    (local,) = reply.body["backends"]
    assert local["name"] == "local"
    assert local["limits"]["max_engines"] == 4
    options = {option["name"]: option for option in local["options"]}
    assert options["threads_per_engine"]["default"] == 1
    assert options["nice"]["maximum"] == 19
    assert reply.body["limits"] == {"max_pools": 3, "max_engines_per_pool": 4}


async def test_pool_life_cycle_with_real_work(api: Api, profile_dir: Path) -> None:
    reply = await api("POST", "clusters", {"name": "lifecycle", "engines": 2})
    assert reply.status == 202, reply.body
    assert reply.body["state"] == "starting"
    assert reply.body["engines"]["requested"] == 2
    pool_id = reply.body["id"]
    assert reply.headers["Location"].endswith(f"/jasmin/api/clusters/{pool_id}")

    pool = await wait_for_pool(api, pool_id, running(2))
    assert pool["ready_seconds"] > 0
    listing = await api("GET", "clusters")
    assert [p["id"] for p in listing.body["clusters"]] == [pool_id]
    first_pids = engine_pids(pool)
    assert all(psutil.pid_exists(pid) for pid in first_pids)

    snippet = await api("GET", f"clusters/{pool_id}/snippet")
    assert snippet.status == 200
    output = await run_python(
        snippet.body["code"]
        + "\ndef where(_):\n    import os, time\n    time.sleep(0.05)\n    return os.getpid()"
        + "\nprint(sorted(set(view.map_sync(where, range(40)))))"
        + "\nprint(view.map_sync(lambda x: x * x, range(10)))"
    )
    assert "Connected to 2 engines of pool lifecycle" in output
    assert str(sorted(first_pids)) in output, "the map did not run on both engines"
    assert "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in output

    scaled = await api("PATCH", f"clusters/{pool_id}", {"engines": 3})
    assert scaled.status == 200, scaled.body
    assert scaled.body["engines"]["requested"] == 3
    pool = await wait_for_pool(api, pool_id, running(3))

    scaled = await api("PATCH", f"clusters/{pool_id}", {"engines": 1})
    assert scaled.status == 200
    pool = await wait_for_pool(api, pool_id, running(1))
    assert len(pool["engines"]["list"]) == 1
    stopped_pids = set(first_pids) - set(engine_pids(pool))
    assert len(stopped_pids) >= 1
    assert gone(list(stopped_pids))
    fresh = await api("GET", f"clusters/{pool_id}/snippet")
    output = await run_python(fresh.body["code"])
    assert "Connected to 1 engines" in output

    controller_pid = pool["controller"]["pid"]
    stopped = await api("DELETE", f"clusters/{pool_id}")
    assert stopped.status == 200
    assert stopped.body["state"] == "stopped"
    assert (await api("GET", f"clusters/{pool_id}")).status == 404
    assert (await api("GET", "clusters")).body == {"clusters": []}
    assert gone([controller_pid, *engine_pids(pool)])
    assert not list((profile_dir / "security").glob(f"*{pool_id}*"))


async def test_options_reach_the_engines(api: Api) -> None:
    pool = await start_pool(api, 1, options={"threads_per_engine": 2, "nice": 5})

    engine = psutil.Process(engine_pids(pool)[0])
    assert engine.nice() == 5
    assert engine.environ()["OMP_NUM_THREADS"] == "2"
    assert pool["options"] == {"threads_per_engine": 2, "nice": 5}
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_lost_engine_degrades_the_pool_and_scaling_restores_it(api: Api) -> None:
    pool = await start_pool(api, 2)
    victim = pool["engines"]["list"][0]

    os.kill(victim["pid"], signal.SIGKILL)
    pool = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "degraded")
    lost = [e for e in pool["engines"]["list"] if e["state"] == "lost"]
    assert [e["id"] for e in lost] == [victim["id"]]
    assert "killed by SIGKILL" in lost[0]["error"]
    assert pool["error"].startswith(f"engine {victim['id']} lost: ")
    # in words, with the time, and what to do; the log's lines are under Logs, not here
    assert re.search(r"killed by SIGKILL at \d\d:\d\d UTC", lost[0]["error"]), lost[0]
    assert pool["error"].endswith("; Scale the pool to replace lost engines")
    assert "[IPEngine" not in pool["error"]
    assert pool["engines"]["running"] == 1

    reply = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert reply.status == 200
    pool = await wait_for_pool(api, pool["id"], running(2))
    assert pool["engines"]["lost"] == 0
    assert pool["error"] is None
    assert victim["id"] not in [e["id"] for e in pool["engines"]["list"]]
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert gone(engine_pids(pool))


async def test_killed_controller_fails_the_pool_and_nothing_is_left(api: Api) -> None:
    pool = await start_pool(api, 1)
    controller = psutil.Process(pool["controller"]["pid"])
    schedulers = [child.pid for child in controller.children(recursive=True)]

    controller.kill()
    failed = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "failed")
    assert "the controller was killed by SIGKILL" in failed["error"]
    assert gone([controller.pid, *schedulers, *engine_pids(pool)])

    dismissed = await api("DELETE", f"clusters/{pool['id']}")
    assert dismissed.status == 200
    assert dismissed.body["state"] == "failed"
    assert (await api("GET", "clusters")).body == {"clusters": []}


async def test_stop_while_starting_leaves_nothing(api: Api, profile_dir: Path) -> None:
    reply = await api("POST", "clusters", {"engines": 2})
    assert reply.status == 202

    stopped = await api("DELETE", f"clusters/{reply.body['id']}")
    assert stopped.status == 200
    assert stopped.body["state"] == "stopped"
    # "stopped" means stopped: no engine nanny or scheduler still running
    assert processes_of_pool(profile_dir, reply.body["id"]) == []
    assert not list((profile_dir / "security").glob(f"*{reply.body['id']}*"))


def nannies(profile_dir: Path, pool_id: str) -> list[psutil.Process]:
    return [
        process
        for process in processes_of_pool(profile_dir, pool_id)
        if "ipyparallel.engine.nanny" in process.cmdline()
    ]


async def test_stop_while_engines_register_leaves_nothing(api: Api, profile_dir: Path) -> None:
    reply = await api("POST", "clusters", {"engines": 2})
    # the engines have begun starting their nannies, but are not registered yet
    await asyncio.to_thread(wait_until, lambda: nannies(profile_dir, reply.body["id"]), 30, 0.02)

    stopped = await api("DELETE", f"clusters/{reply.body['id']}")

    assert stopped.body["state"] == "stopped"
    assert processes_of_pool(profile_dir, reply.body["id"]) == []


async def test_stop_answers_once_every_process_is_gone(api: Api, profile_dir: Path) -> None:
    pool = await start_pool(api, 2)
    assert len(processes_of_pool(profile_dir, pool["id"])) >= 5  # controller, schedulers...

    stopped = await api("DELETE", f"clusters/{pool['id']}")

    assert stopped.body["state"] == "stopped"
    assert processes_of_pool(profile_dir, pool["id"]) == []


@pytest.mark.server_config(EngineLauncher={"engine_cmd": ["false"]})
async def test_engines_that_cannot_start_fail_the_pool_with_a_reason(api: Api) -> None:
    reply = await api("POST", "clusters", {"engines": 1})
    failed = await wait_for_pool(api, reply.body["id"], lambda p: p["state"] != "starting")

    assert failed["state"] == "failed"
    assert "no engine started" in failed["error"]
    assert "exited with code 1" in failed["error"]
    assert (await api("DELETE", f"clusters/{failed['id']}")).status == 200


@pytest.mark.jasmin(max_pools=1)
async def test_pool_and_name_limits_are_enforced(api: Api) -> None:
    pool = await api("POST", "clusters", {"name": "only", "engines": 1})
    assert pool.status == 202

    second = await api("POST", "clusters", {"name": "second", "engines": 1})
    assert second.status == 409
    assert "at most 1 pools" in second.body["message"]

    await wait_for_pool(api, pool.body["id"], running(1))
    assert (await api("DELETE", f"clusters/{pool.body['id']}")).status == 200
    again = await api("POST", "clusters", {"name": "only", "engines": 1})
    assert again.status == 202, "a stopped pool's name and slot are free again"
    duplicate = await api("POST", "clusters", {"name": "only", "engines": 1})
    assert duplicate.status == 409
    assert (await api("DELETE", f"clusters/{again.body['id']}")).status == 200


async def test_default_engine_count_is_the_suggestion(api: Api) -> None:
    suggested = (await api("GET", "resources")).body["suggested_engines"]
    reply = await api("POST", "clusters", {})

    assert reply.status == 202
    assert reply.body["engines"]["requested"] == suggested
    assert reply.body["name"] == "pool-1"
    assert reply.body["backend"] == "local"
    assert (await api("DELETE", f"clusters/{reply.body['id']}")).status == 200


async def test_engines_say_where_they_run_and_which_set_they_belong_to(api: Api) -> None:
    pool = await start_pool(api, 2)

    sets = {s["id"]: s for s in pool["engine_sets"]}
    assert len(sets) == 2, "the local backend starts one engine per engine set"
    assert all(s["state"] == "running" and s["running"] == 1 for s in sets.values())
    for engine in pool["engines"]["list"]:
        assert engine["engine_set"] in sets
        assert engine["host"] == socket.gethostname()
        assert "ipyparallel.engine" in " ".join(psutil.Process(engine["pid"]).cmdline())
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_the_pool_says_what_may_be_done_with_it(api: Api) -> None:
    reply = await api("POST", "clusters", {"engines": 1})
    starting = reply.body
    assert starting["actions"] == {"scale": True, "connect": False, "stop": True, "dismiss": False}
    early = await api("GET", f"clusters/{starting['id']}/snippet")
    assert early.status == 409
    assert "still starting" in early.body["message"]

    pool = await wait_for_pool(api, starting["id"], running(1))
    assert pool["actions"]["connect"] is True
    assert (await api("GET", f"clusters/{pool['id']}/snippet")).status == 200

    empty = await api("PATCH", f"clusters/{pool['id']}", {"engines": 0})
    assert empty.body["actions"]["connect"] is False
    idle = await api("GET", f"clusters/{pool['id']}/snippet")
    assert idle.status == 409
    assert "no running engine" in idle.body["message"]

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.body["actions"] == {
        "scale": False,
        "connect": False,
        "stop": False,
        "dismiss": False,
    }

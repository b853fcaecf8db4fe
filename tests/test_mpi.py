"""Engine pools under MPI: one ``mpiexec`` world of real engines on this VM (Debian's
Open MPI, mpi4py from PyPI), engine ids equal to ranks, mpi4py working across them, a
failing mpiexec reported in words, and nothing left running after a stop."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from .conftest import Api, processes_of_pool, run_python, running, wait_for_pool

pytestmark = pytest.mark.jasmin(backends=["local", "mpi"])
HIDES_MPI4PY = Path(__file__).parent / "standins" / "no_mpi4py"

# Run on every engine of a pool through a client of its connection file: each engine's
# id, MPI rank and world size, the sum of (rank + 1) over the world by allreduce, and
# the threads its numerical libraries may use.
ACROSS_THE_WORLD = """
import json, sys
import ipyparallel

client = ipyparallel.Client(sys.argv[1])
client.wait_for_engines({engines}, timeout=30)
view = client[:]

def in_the_world():
    import os
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    total = world.allreduce(world.Get_rank() + 1, op=MPI.SUM)
    return world.Get_rank(), world.Get_size(), total, os.environ["OMP_NUM_THREADS"]

print(json.dumps({{"ids": view.targets, "answers": view.apply_sync(in_the_world)}}))
client.close()
"""


async def across_the_world(pool: dict[str, Any], engines: int) -> dict[str, Any]:
    code = ACROSS_THE_WORLD.format(engines=engines)
    output = await run_python(f"import sys; sys.argv[1:] = [{pool['connection_file']!r}]\n{code}")
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def mpiexecs(profile_dir: Path, pool_id: str) -> list[int]:
    return [p.pid for p in processes_of_pool(profile_dir, pool_id) if p.name() == "mpiexec"]


async def start_mpi_pool(api: Api, engines: int, **options: Any) -> dict[str, Any]:
    reply = await api(
        "POST", "clusters", {"backend": "mpi", "engines": engines, "options": options}
    )
    assert reply.status == 202, reply.body
    return await wait_for_pool(api, reply.body["id"], running(engines))


async def test_the_mpi_backend_says_its_pools_scale_by_whole_worlds(api: Api) -> None:
    backends = {b["name"]: b for b in (await api("GET", "backends")).body["backends"]}

    mpi = backends["mpi"]
    assert "one MPI world" in mpi["description"]
    assert "whole worlds" in mpi["description"]
    assert [option["name"] for option in mpi["options"]] == ["threads_per_engine"]
    assert mpi["limits"]["max_world_size"] == 16


async def test_an_mpi_pool_runs_its_engines_as_the_ranks_of_one_world(
    api: Api, profile_dir: Path
) -> None:
    pool = await start_mpi_pool(api, 2, threads_per_engine=2)

    (engine_set,) = pool["engine_sets"]
    assert engine_set["backend"] == "mpi"
    assert (engine_set["requested"], engine_set["running"]) == (2, 2)
    assert len(mpiexecs(profile_dir, pool["id"])) == 1, "one mpiexec for the whole world"

    seen = await across_the_world(pool, 2)
    ranks = [rank for rank, _size, _total, _threads in seen["answers"]]
    assert seen["ids"] == ranks == [0, 1], "engine ids are the ranks"
    assert [answer[1:] for answer in seen["answers"]] == [[2, 3, "2"], [2, 3, "2"]]

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.body["state"] == "stopped"
    assert processes_of_pool(profile_dir, pool["id"]) == []


async def failed_pool(api: Api) -> dict[str, Any]:
    reply = await api("POST", "clusters", {"backend": "mpi", "engines": 2})
    assert reply.status == 202, reply.body
    pool = await wait_for_pool(api, reply.body["id"], lambda p: p["state"] == "failed")
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    return pool


@pytest.mark.server_config(MPIBackend={"mpi_args": ["--no-such-option"]})
async def test_an_mpiexec_that_refuses_its_arguments_fails_the_pool_saying_why(
    api: Api, profile_dir: Path
) -> None:
    pool = await failed_pool(api)

    (engine_set,) = pool["engine_sets"]
    assert engine_set["state"] == "failed"
    assert 'mpiexec: Error: unknown option "--no-such-option"' in engine_set["error"]
    assert "exited with code" in engine_set["error"]
    assert engine_set["error"] in pool["error"]
    assert processes_of_pool(profile_dir, pool["id"]) == []


@pytest.mark.server_config(MPIBackend={"mpi_args": ["-x", f"PYTHONPATH={HIDES_MPI4PY}"]})
async def test_engines_without_mpi4py_fail_the_pool_saying_so(api: Api) -> None:
    pool = await failed_pool(api)

    (engine_set,) = pool["engine_sets"]
    assert "No module named 'mpi4py'" in engine_set["error"]
    assert "Exit code" not in engine_set["error"], "Open MPI's own report says nothing more"


def set_sizes(pool: dict[str, Any]) -> list[int]:
    return sorted(s["requested"] for s in pool["engine_sets"] if s["state"] != "ended")


async def test_an_mpi_pool_grows_and_shrinks_by_whole_worlds(api: Api, profile_dir: Path) -> None:
    pool = await start_mpi_pool(api, 2)

    grown = await api("PATCH", f"clusters/{pool['id']}", {"engines": 4})
    assert grown.status == 200, grown.body
    pool = await wait_for_pool(api, pool["id"], running(4))
    assert set_sizes(pool) == [2, 2], "two more engines are a world of their own"
    assert len(mpiexecs(profile_dir, pool["id"])) == 2

    refused = await api("PATCH", f"clusters/{pool['id']}", {"engines": 3})
    assert refused.status == 400, refused.body
    assert "2" in refused.body["message"], "the refusal says the sizes of the worlds"
    pool = (await api("GET", f"clusters/{pool['id']}")).body
    assert (pool["engines"]["running"], set_sizes(pool)) == (4, [2, 2])

    shrunk = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert shrunk.status == 200, shrunk.body
    pool = await wait_for_pool(api, pool["id"], lambda p: running(2)(p) and set_sizes(p) == [2])
    seen = await across_the_world(pool, 2)
    assert [answer[1:3] for answer in seen["answers"]] == [[2, 3], [2, 3]]
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_a_world_that_ended_is_replaced_by_a_new_one(api: Api, profile_dir: Path) -> None:
    pool = await start_mpi_pool(api, 2)
    (mpiexec,) = mpiexecs(profile_dir, pool["id"])

    os.kill(mpiexec, signal.SIGTERM)
    pool = await wait_for_pool(api, pool["id"], lambda p: p["engines"]["lost"] == 2)
    assert pool["state"] == "degraded"
    assert (
        "exited" in pool["engine_sets"][0]["error"] or "killed" in pool["engine_sets"][0]["error"]
    )
    # the controller lets the lost engines' ids go: the new ranks ask for them again
    await run_python(
        "import ipyparallel, time\n"
        f"client = ipyparallel.Client({pool['connection_file']!r})\n"
        "deadline = time.monotonic() + 30\n"
        "while client.ids and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "assert not client.ids, client.ids\n"
    )

    replaced = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert replaced.status == 200, replaced.body
    pool = await wait_for_pool(api, pool["id"], running(2), timeout=30)
    assert set_sizes(pool) == [2]
    seen = await across_the_world(pool, 2)
    assert [answer[:3] for answer in seen["answers"]] == [[0, 2, 3], [1, 2, 3]]
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200

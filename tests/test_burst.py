"""One pool across backends (a burst): engines of another backend join a running pool
under its controller, each part scaled on its own; and parts whose engine sets cannot
shrink (an MPI world) scale only by whole sets."""

from __future__ import annotations

from typing import Any

import pytest

from . import stand_in_backends  # noqa: F401  (registers the backends these tests use)
from .conftest import Api, gone, run_python, running, wait_for_pool


def pids(pool: dict[str, Any], backend: str | None = None) -> set[int]:
    sets = {s["id"] for s in pool["engine_sets"] if backend in (None, s["backend"])}
    return {e["pid"] for e in pool["engines"]["list"] if e["engine_set"] in sets}


def part(pool: dict[str, Any], backend: str) -> dict[str, Any]:
    (found,) = [p for p in pool["parts"] if p["backend"] == backend]
    return found


@pytest.mark.jasmin(backends=["local", "pairs"])
async def test_a_local_pool_bursts_onto_another_backend_and_back(api: Api) -> None:
    created = await api("POST", "clusters", {"name": "burst", "engines": 1})
    pool = await wait_for_pool(api, created.body["id"], running(1))
    assert [p["backend"] for p in pool["parts"]] == ["local"]
    assert part(pool, "local")["primary"] is True

    burst = await api(
        "PATCH", f"clusters/{pool['id']}", {"backend": "pairs", "engines": 2, "options": {}}
    )
    assert burst.status == 200, burst.body
    pool = await wait_for_pool(api, pool["id"], running(3))
    assert (part(pool, "local")["running"], part(pool, "pairs")["running"]) == (1, 2)
    assert part(pool, "pairs")["primary"] is False
    assert pool["engines"]["requested"] == 3
    assert sorted(s["backend"] for s in pool["engine_sets"]) == ["local", "pairs"]

    # one controller, one client: work reaches the engines of both backends
    snippet = await api("GET", f"clusters/{pool['id']}/snippet")
    output = await run_python(
        snippet.body["code"]
        + "\ndef where(_):\n    import os, time\n    time.sleep(0.05)\n    return os.getpid()"
        + "\nprint(sorted(set(view.map_sync(where, range(60)))))"
    )
    assert str(sorted(pids(pool))) in output

    # the parts scale apart: the local one is left alone when the burst grows and ends
    local = pids(pool, "local")
    more = await api("PATCH", f"clusters/{pool['id']}", {"backend": "pairs", "engines": 3})
    assert more.status == 200, more.body
    pool = await wait_for_pool(api, pool["id"], running(4))
    assert pids(pool, "local") == local

    over = await api("PATCH", f"clusters/{pool['id']}", {"backend": "pairs", "engines": 4})
    assert over.status == 400
    assert "would have 5 engines" in over.body["message"]

    bursted = pids(pool, "pairs")
    back = await api("PATCH", f"clusters/{pool['id']}", {"backend": "pairs", "engines": 0})
    assert back.status == 200, back.body
    assert [p["backend"] for p in back.body["parts"]] == ["local"]
    assert gone(list(bursted))
    assert pids(back.body) == local
    assert back.body["state"] == "running"

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.status == 200
    assert gone(list(local))


@pytest.mark.jasmin(backends=["local", "worlds"])
async def test_a_part_of_whole_sets_grows_and_shrinks_by_whole_sets(api: Api) -> None:
    offered = await api("GET", "backends")
    worlds = next(b for b in offered.body["backends"] if b["name"] == "worlds")
    assert worlds["whole_sets"] is True

    created = await api("POST", "clusters", {"backend": "worlds", "engines": 2})
    pool = await wait_for_pool(api, created.body["id"], running(2))
    assert part(pool, "worlds")["whole_sets"] is True
    grown = await api("PATCH", f"clusters/{pool['id']}", {"engines": 3})
    assert grown.status == 200, grown.body
    pool = await wait_for_pool(api, pool["id"], running(3))
    assert sorted(s["requested"] for s in pool["engine_sets"]) == [1, 2]

    first = pids(pool)
    refused = await api("PATCH", f"clusters/{pool['id']}", {"engines": 1})
    assert refused.status == 400
    assert "only as whole engine sets" in refused.body["message"]
    assert "1, 2" in refused.body["message"] or "2, 1" in refused.body["message"]
    assert pids((await api("GET", f"clusters/{pool['id']}")).body) == first, "nothing stopped"

    shrunk = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert shrunk.status == 200, shrunk.body
    assert [s["requested"] for s in shrunk.body["engine_sets"]] == [2]
    assert shrunk.body["engines"]["running"] == 2
    assert shrunk.body["state"] == "running", "a set stopped on purpose is not lost"

    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert gone(list(first))

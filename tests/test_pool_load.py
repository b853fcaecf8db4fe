"""How loaded this VM is by the user's own pools, and how a refused value is named: a
new user sees cores in use, and a refusal names the field as the form labels it."""

from __future__ import annotations

from .conftest import Api, wait_for_pool
from .conftest import start_pool as start_named_pool


async def cores_in_use(api: Api) -> int:
    reply = await api("GET", "resources")
    assert reply.status == 200, reply.body
    return int(reply.body["cores"]["in_use"])


async def test_cores_in_use_count_the_engines_of_pools_on_this_vm(api: Api) -> None:
    assert await cores_in_use(api) == 0

    pool = await start_named_pool(api, "busy", 2)
    assert await cores_in_use(api) == 2

    scaled = await api("PATCH", f"clusters/{pool['id']}", {"engines": 0})
    assert scaled.status == 200, scaled.body
    empty = await wait_for_pool(api, pool["id"], lambda p: p["engines"]["list"] == [])
    # a pool of no engines is still there (it can scale up again), it loads no core
    assert empty["state"] == "running"
    assert empty["engines"]["requested"] == 0
    assert await cores_in_use(api) == 0

    scaled = await api("PATCH", f"clusters/{pool['id']}", {"engines": 1})
    assert scaled.status == 200, scaled.body
    assert await cores_in_use(api) == 1

    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert await cores_in_use(api) == 0


async def test_backends_say_which_run_on_this_vm(api: Api) -> None:
    backends = (await api("GET", "backends")).body["backends"]
    assert {b["name"]: b["on_this_vm"] for b in backends}["local"] is True


async def test_a_refused_value_is_named_as_the_form_labels_it_and_its_field_given(
    api: Api,
) -> None:
    too_many = await api("POST", "clusters", {"engines": 999})
    assert too_many.status == 400
    assert too_many.body["message"] == (
        "Engines ('engines') must be at most 4 on this server (999 asked)"
    )
    assert too_many.body["field"] == "engines"

    too_nice = await api("POST", "clusters", {"engines": 1, "options": {"nice": 20}})
    assert too_nice.status == 400
    assert too_nice.body["message"] == "Niceness ('nice') must be at most 19 (20 asked)"
    assert too_nice.body["field"] == "options.nice"

    threads = await api(
        "POST", "clusters", {"engines": 1, "options": {"threads_per_engine": "two"}}
    )
    assert threads.status == 400
    assert threads.body["message"].startswith("Threads per engine ('threads_per_engine')")
    assert threads.body["field"] == "options.threads_per_engine"
    assert (await api("GET", "clusters")).body["clusters"] == []

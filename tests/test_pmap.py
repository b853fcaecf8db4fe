"""A researcher's notebook API: pools found by name from the profile folder, and ``pmap``
over real pools of the test server, with failing items, a killed engine and a pool
scaled during the map; the results always those of a serial run."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import jupyter_jasmin
from jupyter_jasmin import pools
from jupyter_jasmin.mapping import Failure, ItemError

from .conftest import Api, run_python, running, start_pool, wait_for_pool, wait_until

SERVER_MODULES = (
    "tornado",
    "jupyter_server",
    "jupyter_jasmin.app",
    "jupyter_jasmin.handlers",
    "jupyter_jasmin.clusters.manager",
)


def on_engines(func: Callable[..., Any]) -> Callable[..., Any]:
    """Send ``func`` by value, as a notebook's own function is (engines cannot import
    this test module)."""
    func.__module__ = "__main__"
    return func


@on_engines
def square_or_fail(x: int) -> int:
    if x % 7 == 3:
        raise ValueError(f"no square for {x}")
    return x * x


@on_engines
def slow_square(item: tuple[int, str]) -> int:
    """Marks that the item started on this engine, then takes its time."""
    import os
    import time

    index, folder = item
    open(os.path.join(folder, f"{index}.{os.getpid()}"), "w").close()
    time.sleep(0.5)
    return index * index


def test_importing_the_api_pulls_in_nothing_of_the_server() -> None:
    code = (
        "import sys, jupyter_jasmin, jupyter_jasmin.pools, jupyter_jasmin.mapping\n"
        "assert callable(jupyter_jasmin.pmap), jupyter_jasmin.pmap\n"
        "assert jupyter_jasmin.pools.list is not None\n"
        f"print(sorted(m for m in {SERVER_MODULES!r} if m in sys.modules))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert output.strip() == "[]"


def test_no_pool_is_a_clear_error(this_profile: Path) -> None:
    assert pools.list() == []
    with pytest.raises(pools.PoolNotFound, match=r"no engine pool 'nope' .*there are: none"):
        pools.get("nope")
    with pytest.raises(LookupError, match="no engine pool is running"):
        jupyter_jasmin.pmap(abs, [1])


async def test_pools_by_name_and_id_and_maps_equal_a_serial_run(
    api: Api, this_profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = await start_pool(api, "maps", 2)

    [found] = pools.list()
    assert (found.id, found.name, found.backend, found.engines) == (pool["id"], "maps", "local", 2)
    assert found.connection_file == pool["connection_file"]
    assert pools.get("maps") == pools.get(pool["id"]) == found
    with pytest.raises(pools.PoolNotFound, match=rf"no engine pool 'mpas'.*'maps' \({pool['id']}"):
        pools.connect("mpas")

    # a plain script, by name, as a kernel would do it (the profile from the environment)
    output = await run_python(
        "from jupyter_jasmin import pools, pmap\n"
        "client = pools.connect('maps')\n"
        "print('engines', len(client.ids))\n"
        "print(pmap(lambda x: -x, range(5), pool=client, progress=False))\n"
        "print(pmap(lambda x: x + 1, range(3)))\n"
    )
    assert "engines 2" in output
    assert "[0, -1, -2, -3, -4]" in output
    assert "[1, 2, 3]" in output

    items = list(range(30))  # more items than engines
    serial = [x * x for x in items if x % 7 != 3]
    client = await asyncio.to_thread(pools.connect, pool["id"])
    try:
        assert len(client.ids) == 2
        mapped = await asyncio.to_thread(
            jupyter_jasmin.pmap, on_engines(lambda x: x * x), items, client
        )
        assert mapped == [x * x for x in items]

        # the error a serial loop raises, whichever failing item an engine finishes first
        with pytest.raises(ItemError, match=r"item 3 \(3\) failed: ValueError: no square for 3"):
            await asyncio.to_thread(jupyter_jasmin.pmap, square_or_fail, items, client)

        with pytest.warns(UserWarning, match=r"pmap: 4 of 30 items failed \(first: item 3: "):
            collected = await asyncio.to_thread(
                jupyter_jasmin.pmap, square_or_fail, items, client, errors="collect"
            )
        failures = [r for r in collected if isinstance(r, Failure)]
        assert [(f.index, f.item) for f in failures] == [(3, 3), (10, 10), (17, 17), (24, 24)]
        assert "no square for 10" in failures[1].error
        assert "square_or_fail" in failures[1].traceback  # the engine's traceback
        assert "\x1b[" not in failures[1].traceback  # without IPython's terminal colours
        assert [r for r in collected if not isinstance(r, Failure)] == serial
    finally:
        client.close()

    pretend = {**pools.versions(), "numpy": "0.0.1"}
    monkeypatch.setattr(pools, "local_versions", lambda: pretend)
    with pytest.warns(UserWarning, match=r"pool 'maps': numpy \S+ on the engines, 0.0.1 here"):
        client = await asyncio.to_thread(pools.connect, "maps")
    client.close()
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_maps_survive_a_killed_engine_and_scaling(
    api: Api, this_profile: Path, tmp_path: Path
) -> None:
    pool = await start_pool(api, "story", 2)
    serial = [x * x for x in range(16)]

    async def map_while(change: Callable[[], Any], folder: Path) -> list[Any]:
        """A map of slow items, ``change`` made once a few of them started."""
        folder.mkdir()
        items = [(i, str(folder)) for i in range(16)]
        mapping = asyncio.create_task(
            asyncio.to_thread(jupyter_jasmin.pmap, slow_square, items, "story", False)
        )
        await asyncio.to_thread(wait_until, lambda: len(os.listdir(folder)) >= 3)
        await change()
        return await asyncio.wait_for(mapping, 120)

    victim = pool["engines"]["list"][0]["pid"]

    async def kill() -> None:
        os.kill(victim, signal.SIGKILL)

    killed = tmp_path / "killed"
    assert await map_while(kill, killed) == serial
    started = [name.split(".") for name in os.listdir(killed)]
    again = {i for i, pid in started if pid == str(victim)} & {
        i for i, pid in started if pid != str(victim)
    }
    assert again, f"no task of the killed engine ran again elsewhere: {sorted(started)}"

    pool = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "degraded")
    with pytest.warns(UserWarning, match="pool 'story': 1 of its 2 engines are up"):
        client = await asyncio.to_thread(pools.connect, "story")
    assert len(client.ids) == 1
    client.close()
    assert (await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})).status == 200
    await wait_for_pool(api, pool["id"], running(2))

    async def scale(engines: int) -> None:
        reply = await api("PATCH", f"clusters/{pool['id']}", {"engines": engines})
        assert reply.status == 200, reply.body

    assert await map_while(lambda: scale(3), tmp_path / "up") == serial
    await wait_for_pool(api, pool["id"], running(3))
    assert await map_while(lambda: scale(1), tmp_path / "down") == serial
    await wait_for_pool(api, pool["id"], running(1))
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_a_map_on_a_pool_stopped_under_it_fails_promptly_saying_so(
    api: Api, this_profile: Path, tmp_path: Path
) -> None:
    """Stopping a pool from the panel while a notebook maps on it: the map raises a clear
    error within seconds, instead of waiting forever on tasks no controller will run."""
    pool = await start_pool(api, "doomed", 2)
    started = tmp_path / "started"
    started.mkdir()
    items = [(i, str(started)) for i in range(40)]
    mapping = asyncio.create_task(
        asyncio.to_thread(jupyter_jasmin.pmap, slow_square, items, "doomed", False)
    )
    await asyncio.to_thread(wait_until, lambda: len(os.listdir(started)) >= 2)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200

    with pytest.raises(pools.PoolError) as raised:
        await asyncio.wait_for(mapping, 30)
    message = str(raised.value)
    assert f"engine pool 'doomed' ({pool['id']}) was stopped during the map" in message
    assert re.search(r": \d+ of 40 items were done; start a pool and run the map again", message)


async def test_start_and_stop_from_code_through_the_rest_api(
    api: Api, this_profile: Path, jp_http_port: int, jp_auth_header: dict[str, str]
) -> None:
    url = f"http://localhost:{jp_http_port}/"
    token = jp_auth_header["Authorization"].removeprefix("token ")
    with pytest.raises(PermissionError, match=r"server at http://localhost:\d+/ refused the token"):
        await asyncio.to_thread(pools.start, "coded", 1, url=url, token="wrong")
    with pytest.raises(pools.PoolError, match=r"POST clusters: .*4.* \(HTTP 4\d\d\)"):
        await asyncio.to_thread(pools.start, "big", 99, url=url, token=token)

    pool = await asyncio.to_thread(pools.start, "coded", 1, url=url, token=token)
    listed = (await api("GET", "clusters")).body["clusters"]
    assert [(p["id"], p["name"], p["state"]) for p in listed] == [(pool.id, "coded", "running")]
    assert pools.get("coded").connection_file == pool.connection_file
    assert await asyncio.to_thread(jupyter_jasmin.pmap, abs, [-1, -2], "coded", False) == [1, 2]

    adapting = await asyncio.to_thread(pools.adapt, "coded", 1, 2, url=url, token=token)
    assert adapting == {"minimum": 1, "maximum": 2, "wait_seconds": 30, "last": None}
    with pytest.raises(pools.PoolError, match=r"Minimum engines .* at most the maximum \(3 > 2\)"):
        await asyncio.to_thread(pools.adapt, "coded", 3, 2, url=url, token=token)
    assert await asyncio.to_thread(pools.adapt, pool.id, url=url, token=token) is None
    assert (await api("GET", f"clusters/{pool.id}")).body["adapt"] is None

    with pytest.raises(pools.PoolNotFound, match=rf"no engine pool 'other' .*'coded' \({pool.id}"):
        await asyncio.to_thread(pools.stop, "other", url=url, token=token)
    await asyncio.to_thread(pools.stop, "coded", url=url, token=token)
    assert (await api("GET", "clusters")).body == {"clusters": []}
    assert pools.list() == []


def test_start_outside_a_server_kernel_asks_for_the_server() -> None:
    """A script the server did not start has no server to ask: it is told what to pass."""
    with pytest.raises(ValueError, match=r"no Jupyter server started this process: pass url="):
        pools.start("coded", 1)
    with pytest.raises(ValueError, match=r"no Jupyter server started this process"):
        pools.stop("coded")

"""Engine pools on other "VMs" over SSH, on a real sshd started by the tests (loopback
addresses as hosts, see ssh_rig.py): engines spread over the hosts or placed as asked,
a host that cannot run engines failing only its own engine set, and nothing left after
a stop."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_jasmin.clusters.backends import SetPlan
from jupyter_jasmin.clusters.backends.ssh import SSHBackend
from jupyter_jasmin.errors import BadRequest

from .conftest import Api, processes_of_pool, run_python, running, wait_for_pool, wait_until
from .servers import ServerProcess
from .ssh_rig import BARE_PYTHON, SSHRig

pytestmark = pytest.mark.jasmin(backends=["local", "ssh"], max_engines_per_pool=8)

# vm-a and vm-b run engines; vm-down refuses connections; vm-bare's Python lacks ipyparallel
HOSTS: dict[str, dict[str, Any]] = {
    "vm-a": {"max_engines": 2},
    "vm-b": {"max_engines": 2},
    "vm-down": {"max_engines": 1},
    "vm-bare": {"max_engines": 1, "python": BARE_PYTHON},
}
SETUP = "JASMIN_SETUP=done; export JASMIN_SETUP"  # the engines' shell runs it first
WHERE_IT_RUNS = (
    "\ndef reached(_):\n    import os, time\n    time.sleep(0.05)\n"
    "    return os.environ['SSH_CONNECTION'].split()[2], os.environ.get('JASMIN_SETUP')"
    "\nprint(sorted(set(view.map_sync(reached, range(20)))))"
)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], ssh_hosts: SSHRig) -> dict[str, Any]:
    hosts = ssh_hosts.backend_config(**HOSTS)
    return {**jp_server_config, "SSHBackend": {**hosts, "engine_setup": SETUP}}


def sets_by_host(pool: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {engine_set["where"]: engine_set for engine_set in pool["engine_sets"]}


def addresses_match_sets(pool: dict[str, Any], rig: SSHRig) -> None:
    """Each engine's SSH connection reached the host its engine set was started on."""
    where = {s["id"]: s["where"] for s in pool["engine_sets"]}
    for engine in pool["engines"]["list"]:
        assert engine["ssh_address"] == rig.address(where[engine["engine_set"]]), engine


async def test_a_pool_spreads_over_two_hosts_runs_work_scales_and_stops(
    api: Api, ssh_hosts: SSHRig, profile_dir: Path
) -> None:
    offered = (await api("GET", "backends")).body["backends"]
    ssh = next(b for b in offered if b["name"] == "ssh")
    assert [o["name"] for o in ssh["options"]] == [f"engines_on_{alias}" for alias in HOSTS]
    assert ssh["options"][0]["maximum"] == 2

    reply = await api("POST", "clusters", {"backend": "ssh", "engines": 2})
    assert reply.status == 202, reply.body
    pool = await wait_for_pool(api, reply.body["id"], running(2), timeout=120)
    # hosts that cannot run engines are chosen last: one engine on each good host
    assert {w: s["requested"] for w, s in sets_by_host(pool).items()} == {"vm-a": 1, "vm-b": 1}
    addresses_match_sets(pool, ssh_hosts)

    snippet = await api("GET", f"clusters/{pool['id']}/snippet")
    output = await run_python(snippet.body["code"] + WHERE_IT_RUNS)
    assert "[('127.0.0.2', 'done'), ('127.0.0.3', 'done')]" in output

    scaled = await api("PATCH", f"clusters/{pool['id']}", {"engines": 3})
    assert scaled.status == 200, scaled.body
    pool = await wait_for_pool(api, pool["id"], running(3), timeout=120)
    counts = sorted(s["requested"] for s in pool["engine_sets"] if s["state"] != "ended")
    assert counts == [1, 1, 1], "the new engine is a set of its own on vm-a or vm-b"
    assert {s["where"] for s in pool["engine_sets"]} == {"vm-a", "vm-b"}
    addresses_match_sets(pool, ssh_hosts)

    # vm-a and vm-b have room for 1 more, vm-down and vm-bare for 1 each: 5 more do not fit
    over = await api("PATCH", f"clusters/{pool['id']}", {"engines": 8})
    assert over.status == 400, over.body
    assert "5 more engines do not fit: the hosts have room for 3" in over.body["message"]
    pool = (await api("GET", f"clusters/{pool['id']}")).body
    assert running(3)(pool), pool
    assert pool["engines"]["requested"] == 3

    scaled = await api("PATCH", f"clusters/{pool['id']}", {"engines": 1})
    assert scaled.status == 200, scaled.body
    pool = await wait_for_pool(api, pool["id"], running(1), timeout=60)
    addresses_match_sets(pool, ssh_hosts)

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.body["state"] == "stopped"
    assert processes_of_pool(profile_dir, pool["id"]) == []


async def test_hosts_that_cannot_run_engines_fail_their_own_sets_saying_why(
    api: Api, ssh_hosts: SSHRig, profile_dir: Path
) -> None:
    options = {"engines_on_vm-a": 1, "engines_on_vm-down": 1, "engines_on_vm-bare": 1}
    reply = await api("POST", "clusters", {"backend": "ssh", "engines": 3, "options": options})
    assert reply.status == 202, reply.body

    def settled(pool: dict[str, Any]) -> bool:
        return pool["state"] == "degraded" and pool["engines"]["running"] == 1

    pool = await wait_for_pool(api, reply.body["id"], settled, timeout=120)
    sets = sets_by_host(pool)
    assert sets["vm-a"]["state"] == "running"
    assert sets["vm-down"]["state"] == "failed"
    assert sets["vm-down"]["error"].startswith("on vm-down: ")
    assert "Connection refused" in sets["vm-down"]["error"]
    assert sets["vm-bare"]["state"] == "failed"
    assert sets["vm-bare"]["error"].startswith("on vm-bare: ")
    assert f"{BARE_PYTHON} cannot run engines there" in sets["vm-bare"]["error"]
    assert "No module named ipyparallel" in sets["vm-bare"]["error"]
    [engine] = pool["engines"]["list"]
    assert engine["ssh_address"] == "127.0.0.2"

    # an engine that dies on its host fails its set, which says where and how
    psutil.Process(engine["pid"]).kill()

    def vm_a_failed(pool: dict[str, Any]) -> bool:
        return sets_by_host(pool)["vm-a"]["state"] == "failed"

    pool = await wait_for_pool(api, pool["id"], vm_a_failed, timeout=60)
    # ssh cannot learn the exit status of a process it did not start: none is made up
    assert sets_by_host(pool)["vm-a"]["error"].startswith("on vm-a: the engine process ended")

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.body["state"] == "stopped"
    assert processes_of_pool(profile_dir, pool["id"]) == []

    # a pool on no host that can run engines fails, saying why
    only_down = {"backend": "ssh", "engines": 1, "options": {"engines_on_vm-down": 1}}
    reply = await api("POST", "clusters", only_down)
    assert reply.status == 202, reply.body
    failed = await wait_for_pool(api, reply.body["id"], lambda p: p["state"] == "failed")
    assert failed["error"].startswith("no engine started: on vm-down: ")
    assert "Connection refused" in failed["error"]
    await api("DELETE", f"clusters/{failed['id']}")  # dismissed once its cleanup is done
    assert processes_of_pool(profile_dir, failed["id"]) == []


async def test_requests_over_the_hosts_limits_are_refused_before_anything_starts(
    api: Api, ssh_hosts: SSHRig, profile_dir: Path
) -> None:
    over = await api(
        "POST", "clusters", {"backend": "ssh", "engines": 3, "options": {"engines_on_vm-a": 3}}
    )
    assert over.status == 400
    assert "engines_on_vm-a" in over.body["message"]
    assert "must be at most 2 (3 asked)" in over.body["message"]
    assert over.body["field"] == "options.engines_on_vm-a"

    unequal = {"engines_on_vm-a": 1, "engines_on_vm-b": 2}
    reply = await api("POST", "clusters", {"backend": "ssh", "engines": 2, "options": unequal})
    assert reply.status == 400
    assert "add up to 3, not 2" in reply.body["message"]

    too_many = await api("POST", "clusters", {"backend": "ssh", "engines": 7})
    assert too_many.status == 400
    assert "at most 6" in too_many.body["message"]

    preview = await api("POST", "clusters", {"backend": "ssh", "engines": 3, "dry_run": True})
    assert preview.status == 200, preview.body
    # over vm-a and vm-b (equal loads, but read a moment apart); vm-down and vm-bare last
    assert sorted(preview.body["engine_sets"]) == [1, 2]
    assert [check["ok"] for check in preview.body["checks"]] == [True]

    assert (await api("GET", "clusters")).body["clusters"] == []
    assert list(profile_dir.glob("security/cluster-*.json")) == []


def ssh_server(folder: Path, profile_dir: Path, rig: SSHRig) -> ServerProcess:
    """A server of its own (to kill) with the ssh backend on vm-a and vm-b."""
    config = folder / "ssh_server_config.json"
    settings = {"Jasmin": {"backends": ["local", "ssh"]}, "SSHBackend": rig.backend_config()}
    config.write_text(json.dumps(settings))
    return ServerProcess(folder, profile_dir, f"--config={config}")


def engines_running(server: ServerProcess, pool_id: str, engines: int) -> Any:
    pool = server.call("GET", f"clusters/{pool_id}")
    return pool["state"] == "running" and pool["engines"]["running"] == engines and pool


async def test_an_ssh_pool_is_taken_over_after_its_server_is_killed(
    ssh_hosts: SSHRig, tmp_path: Path, profile_dir: Path
) -> None:
    server = ssh_server(tmp_path, profile_dir, ssh_hosts)
    try:
        pool = server.call("POST", "clusters", {"backend": "ssh", "engines": 2})
        pool = await asyncio.to_thread(
            wait_until, lambda: engines_running(server, pool["id"], 2), 120
        )
    finally:
        server.kill()

    again = ssh_server(tmp_path, profile_dir, ssh_hosts)
    try:
        back = await asyncio.to_thread(
            wait_until, lambda: engines_running(again, pool["id"], 2), 60
        )
        assert sorted(s["where"] for s in back["engine_sets"]) == ["vm-a", "vm-b"]
        addresses_match_sets(back, ssh_hosts)
        snippet = again.call("GET", f"clusters/{pool['id']}/snippet")["code"]
        output = await run_python(snippet + WHERE_IT_RUNS)
        assert "[('127.0.0.2', None), ('127.0.0.3', None)]" in output  # no engine_setup here
        assert again.call("DELETE", f"clusters/{pool['id']}")["state"] == "stopped"
        assert processes_of_pool(profile_dir, pool["id"]) == []
    finally:
        again.stop()


def backend(rig: SSHRig, **hosts: dict[str, Any]) -> SSHBackend:
    return SSHBackend(**rig.backend_config(**hosts))


def test_engine_sets_are_planned_per_host_within_the_limits(ssh_hosts: SSHRig) -> None:
    both = backend(ssh_hosts)
    given = {"engines_on_vm-a": 1, "engines_on_vm-b": 2}
    assert both.plan_engine_sets(3, given, {}) == [SetPlan(1, "vm-a"), SetPlan(2, "vm-b")]
    with pytest.raises(BadRequest, match="add up to 3, not 2"):
        both.plan_engine_sets(2, given, {})

    # spread: equal hosts take turns; hosts that cannot run engines come last
    nothing = {"engines_on_vm-a": 0, "engines_on_vm-b": 0}
    assert both.plan_engine_sets(2, nothing, {}) == [SetPlan(1, "vm-a"), SetPlan(1, "vm-b")]
    four = backend(ssh_hosts, **HOSTS)
    assert four.plan_engine_sets(4, {}, {}) == [SetPlan(2, "vm-a"), SetPlan(2, "vm-b")]
    assert four.plan_engine_sets(5, {}, {})[2:] == [SetPlan(1, "vm-down")]

    # engines already placed count against each host's limit (scaling up)
    assert both.plan_engine_sets(1, nothing, {"vm-a": 2, "vm-b": 1}) == [SetPlan(1, "vm-b")]
    assert both.plan_engine_sets(2, given, {"vm-a": 1}) == [SetPlan(1, "vm-a"), SetPlan(1, "vm-b")]
    with pytest.raises(BadRequest, match=r"hosts vm-a \(2 of 2 engines\) and vm-b \(2 of 2"):
        both.plan_engine_sets(1, nothing, {"vm-a": 2, "vm-b": 2})
    with pytest.raises(BadRequest, match="room for 1"):
        both.plan_engine_sets(2, nothing, {"vm-a": 2, "vm-b": 1})


@pytest.mark.parametrize(
    ("hosts", "said"),
    [
        ({}, "is empty"),
        ({"-oProxyCommand=x": {"max_engines": 1}}, "must be an ssh alias"),
        ({"vm-a": {"max_engines": 0}}, "'max_engines'] must be a whole number"),
        ({"vm-a": {"max_engines": 1, "cpus": 2}}, "unknown keys ['cpus']"),
        ({"vm-a": {"max_engines": 1, "python": "python3"}}, "must be an absolute path"),
    ],
)
def test_the_admins_hosts_are_checked_when_the_server_starts(
    hosts: dict[str, Any], said: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        SSHBackend(hosts=hosts)


def test_a_missing_ssh_config_file_is_named_when_the_server_starts() -> None:
    with pytest.raises(ValueError, match="there is no file '/nowhere'"):
        SSHBackend(hosts={"vm-a": {"max_engines": 1}}, ssh_config="/nowhere")

"""Each pool's logs: its controller's and each engine set's output, readable while the
pool runs and after it failed, removed when it is dismissed."""

from __future__ import annotations

import os
from typing import Any

import pytest

from jupyter_jasmin.clusters.backends.base import EngineLaunch, SetPlace
from jupyter_jasmin.clusters.backends.local import LocalBackend

from .conftest import Api, running, wait_for_pool

BROKEN = "this engine cannot start: its Python has no ipyparallel"


class BrokenBackend(LocalBackend):
    """Local engines whose command fails at once, saying why."""

    name = "broken"

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        launch = super().engine_launch(options, place)
        launch.engine_cmd = ["python3", "-c", f"import sys; print({BROKEN!r}); sys.exit(3)"]
        return launch


async def test_a_running_pool_shows_its_controllers_and_engines_output(
    api: Api, profile_dir: Any
) -> None:
    created = await api("POST", "clusters", {"engines": 1})
    pool = await wait_for_pool(api, created.body["id"], running(1))
    (engine_set,) = pool["engine_sets"]

    logs = (await api("GET", f"clusters/{pool['id']}/logs")).body["logs"]
    assert [log["name"] for log in logs] == ["controller", engine_set["id"]]
    assert logs[1]["engine_set"] == engine_set["id"]
    controller = await api("GET", f"clusters/{pool['id']}/logs/controller?lines=500")
    assert controller.status == 200
    assert "ipcontroller" in controller.body["text"].lower() or controller.body["size"] > 0
    tail = await api("GET", f"clusters/{pool['id']}/logs/controller?lines=1")
    assert len(tail.body["text"].splitlines()) <= 1
    for bad in ("no-such-log", "..", "%2E%2E%2Fsecurity"):
        assert (await api("GET", f"clusters/{pool['id']}/logs/{bad}")).status == 404
    assert (await api("GET", f"clusters/{pool['id']}/logs/controller?lines=0")).status == 400

    folder = os.path.join(profile_dir, "jasmin", "logs", pool["id"])
    assert os.path.isdir(folder)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert not os.path.exists(folder), "logs go when the pool is dismissed"
    assert (await api("GET", f"clusters/{pool['id']}/logs")).status == 404


@pytest.mark.jasmin(backends=["local", "broken"])
async def test_a_failed_pool_keeps_its_logs_until_dismissed(api: Api, profile_dir: Any) -> None:
    created = await api("POST", "clusters", {"backend": "broken", "engines": 1})
    pool = await wait_for_pool(api, created.body["id"], lambda p: p["state"] == "failed")
    assert BROKEN in pool["error"]

    logs = (await api("GET", f"clusters/{pool['id']}/logs")).body["logs"]
    names = [log["name"] for log in logs]
    assert names[0] == "controller"
    (engine_log,) = [log for log in logs if log["engine_set"] is not None]
    text = await api("GET", f"clusters/{pool['id']}/logs/{engine_log['name']}")
    assert BROKEN in text.body["text"]

    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert not os.path.exists(os.path.join(profile_dir, "jasmin", "logs", pool["id"]))

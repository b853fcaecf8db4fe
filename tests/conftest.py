"""Fixtures: a real Jupyter server with the extension (pytest-jupyter), a small JSON
client for its REST API, and a watch that no engine or controller outlives the tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from tornado.httpclient import HTTPClientError

from .contract import check_reply
from .slurm_rig import slurm  # noqa: F401
from .ssh_rig import ssh_hosts  # noqa: F401

pytest_plugins = ["pytest_jupyter.jupyter_server"]

SESSION_STARTED = time.time()
POOL_PROCESS_MARKERS = ("ipyparallel.engine", "ipyparallel.controller", "ipengine", "ipcontroller")


def pool_processes(profile_root: str, since: float = SESSION_STARTED) -> list[psutil.Process]:
    """ipyparallel controllers, engines and nannies whose profile folder is under
    ``profile_root`` (so pools of other servers on this machine are left alone)."""
    found = []
    for process in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["create_time"] < since - 1 or not any(
            marker in cmdline for marker in POOL_PROCESS_MARKERS
        ):
            continue
        try:
            profile = process.environ().get("IPP_PROFILE_DIR", "")
        except psutil.Error:
            continue
        if profile.startswith(profile_root):
            found.append(process)
    return found


def processes_of_pool(profile_dir: str | Path, pool_id: str) -> list[psutil.Process]:
    """Every live process of one pool, found by the environment ipyparallel gives its
    controller and engines (schedulers and nannies inherit it, wherever they end up)."""
    found = []
    for process in psutil.process_iter(["environ"]):
        environ = process.info["environ"] or {}
        if (
            environ.get("IPP_CLUSTER_ID") == pool_id
            and environ.get("IPP_PROFILE_DIR") == str(profile_dir)
            and _alive(process.pid)
        ):
            found.append(process)
    return found


def wait_until(condition: Callable[[], Any], timeout: float = 30, every: float = 0.1) -> Any:
    """Return the first truthy value of ``condition()``, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {condition}")
        time.sleep(every)


def gone(pids: list[int], timeout: float = 15) -> bool:
    """True once none of ``pids`` is running (nannies linger a second or two after stop)."""

    def none_left() -> bool:
        return not [pid for pid in pids if psutil.pid_exists(pid) and _alive(pid)]

    return bool(wait_until(none_left, timeout))


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="session", autouse=True)
def no_pool_process_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole session, no controller or engine started by the tests may remain."""
    root = str(tmp_path_factory.getbasetemp())
    yield
    deadline = time.monotonic() + 20
    while pool_processes(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = [(p.pid, " ".join(p.cmdline())) for p in pool_processes(root)]
    for process in pool_processes(root):
        process.kill()
    assert not leftovers, f"processes outlived the tests: {leftovers}"


# Every process the tests start inherits this, so one that escapes its parent (an
# engine in its own session, a nanny, a worker of a killed server) is still known.
TEST_RUN = f"{os.getpid()}-{time.time():.0f}"
os.environ["JASMIN_TEST_RUN"] = TEST_RUN


@pytest.fixture(autouse=True)
def server_exports() -> Iterator[None]:
    """The extension exports its profile folder and holdings into ``os.environ`` for the
    kernels it starts (``jupyter_jasmin/app.py``); the test servers run in this process,
    so each test starts without a previous server's exports and ends without its own."""
    from jupyter_jasmin.holdings.config import HOLDINGS_ENV
    from jupyter_jasmin.pools import PROFILE_ENV, SERVER_TOKEN_ENV, SERVER_URL_ENV

    exported = (PROFILE_ENV, HOLDINGS_ENV, SERVER_URL_ENV, SERVER_TOKEN_ENV)
    saved = {name: os.environ.pop(name, None) for name in exported}
    yield
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value


Processes = set[tuple[int, float]]


def running_now() -> Processes:
    """Every process on the machine, as (pid, start time): a pid reused later differs."""
    return {(p.pid, p.info["create_time"]) for p in psutil.process_iter(["create_time"])}


def started_by_tests(before: Processes) -> list[psutil.Process]:
    """Live processes the tests started that were not running ``before``, but
    multiprocessing's resource tracker of this very process (it lives as long as pytest
    does, by design)."""
    me = os.getpid()
    found = []
    for process in psutil.process_iter(["create_time", "environ", "cmdline", "ppid"]):
        info = process.info
        if (process.pid, info["create_time"]) in before:
            continue
        if (info["environ"] or {}).get("JASMIN_TEST_RUN") != TEST_RUN:
            continue
        if info["ppid"] == me and "resource_tracker" in " ".join(info["cmdline"] or []):
            continue
        if _alive(process.pid):
            found.append(process)
    return found


@pytest.fixture(autouse=True)
def nothing_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test (its fixtures stopped), no process it started may still run:
    a leak is named by the test that caused it, not found at the session's end."""
    before = running_now()
    yield
    deadline = time.monotonic() + 20
    while started_by_tests(before) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = []
    for process in started_by_tests(before):
        with contextlib.suppress(psutil.Error):
            leftovers.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
            process.kill()
    if leftovers:
        pytest.fail(f"{request.node.nodeid} left processes running: {leftovers}")


@pytest.fixture(autouse=True)
def jp_server_cleanup(nothing_left_behind: None, jp_server_cleanup: None) -> None:
    """pytest-jupyter's cleanup stops the test server's extensions (and so its pools and
    readers): it must run before the check that nothing is left, not after it."""


@pytest.fixture(scope="session")
def sample() -> Path:
    """The real CMIP6 sample archive (PyPI esmvaltool-sample-data)."""
    from jupyter_jasmin.holdings.config import sample_holdings

    found = sample_holdings()
    if not found:
        pytest.fail("these tests need: pip install --no-deps esmvaltool-sample-data")
    return Path(found[0]["root"])


@pytest.fixture
def jp_base_url() -> str:
    """A plain base URL (pytest-jupyter's '/a%40b/' is re-quoted by aiohttp clients)."""
    return "/"


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    path = tmp_path / "profile_jasmin"
    path.mkdir()
    return path


@pytest.fixture
def jasmin_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """``c.Jasmin`` settings for this test; extend with ``@pytest.mark.jasmin(...)``."""
    config: dict[str, Any] = {
        "max_engines_per_pool": 4,
        "max_pools": 3,
        "index_dir": str(tmp_path / "index"),
        "cache_dir": str(tmp_path / "cache"),
    }
    for marker in request.node.iter_markers("jasmin"):
        config.update(marker.kwargs)
    return config


@pytest.fixture
def jp_server_config(
    request: pytest.FixtureRequest, profile_dir: Path, jasmin_config: dict[str, Any]
) -> dict[str, Any]:
    """The server's config; ``@pytest.mark.server_config(Section={...})`` adds sections."""
    config: dict[str, Any] = {
        "ServerApp": {"jpserver_extensions": {"jupyter_jasmin": True}},
        "Jasmin": {"profile_dir": str(profile_dir), **jasmin_config},
    }
    for marker in request.node.iter_markers("server_config"):
        config.update(marker.kwargs)
    return config


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


Api = Callable[..., Awaitable[Reply]]


@pytest.fixture
def api(http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str) -> Api:
    """``await api("GET", "clusters?x=1")``: a request to /jasmin/api/<path>, the path and
    query sent as written; errors are returned, not raised. Every reply is checked
    against the OpenAPI document."""

    async def call(
        method: str,
        path: str,
        body: Any = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {**jp_auth_header, **(headers or {})}
        kwargs: dict[str, Any] = {
            "method": method,
            "headers": sent,
            "allow_nonstandard_methods": True,
            "request_timeout": 60,
        }
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = ""
        try:
            response = await http_server_client.fetch(f"{jp_base_url}jasmin/api/{path}", **kwargs)
        except HTTPClientError as error:
            if error.response is None:
                raise
            response = error.response
        content = response.body or b""
        content_type = response.headers.get("Content-Type", "")
        check_reply(
            method, f"/jasmin/api/{path}".split("?")[0], response.code, response.headers, content
        )
        parsed: Any = content
        if "json" in content_type and content:
            parsed = json.loads(content)
        elif content_type.startswith("text/") or not content_type:
            parsed = content.decode()
        return Reply(response.code, parsed, response.headers)

    return call


async def run_python(code: str, timeout: float = 120) -> str:
    """Run code in a fresh interpreter, as a notebook kernel or a script would, without
    blocking the event loop the test server runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout)
    text = output.decode()
    assert process.returncode == 0, text
    return text


async def wait_for_pool(
    api: Api, pool_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> dict[str, Any]:
    """Poll ``GET clusters/{id}`` until ``check(pool)`` holds; returns that pool."""
    deadline = time.monotonic() + timeout
    while True:
        reply = await api("GET", f"clusters/{pool_id}")
        assert reply.status == 200, reply.body
        if check(reply.body):
            return reply.body  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"pool never satisfied {check}: {reply.body}")
        await asyncio.sleep(0.1)


def running(engines: int) -> Callable[[dict[str, Any]], bool]:
    def check(pool: dict[str, Any]) -> bool:
        return pool["state"] == "running" and pool["engines"]["running"] == engines

    check.__qualname__ = f"running({engines})"
    return check


async def start_pool(api: Api, name: str, engines: int) -> dict[str, Any]:
    """A local pool started through the REST API, once all its engines run."""
    reply = await api("POST", "clusters", {"name": name, "engines": engines})
    assert reply.status == 202, reply.body
    return await wait_for_pool(api, reply.body["id"], running(engines))


@pytest.fixture
def this_profile(profile_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``jupyter_jasmin.pools``, in this process and in the scripts it starts, looks in
    the test's profile."""
    monkeypatch.setenv("JASMIN_PROFILE_DIR", str(profile_dir))
    return profile_dir

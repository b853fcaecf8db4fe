"""A server killed outright cannot stop its pools: the next server on the host does."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_jasmin.clusters import EnginePools, PoolLimits, PoolSettings
from jupyter_jasmin.clusters.backends import load_backends

from .conftest import gone, wait_until


class ServerProcess:
    """A Jupyter server with the extension, in a process of its own (so it can be killed)."""

    def __init__(self, root: Path, profile: Path, **popen: Any) -> None:
        """``popen``: more arguments for ``subprocess.Popen`` (stderr, start_new_session)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.token = secrets.token_hex(8)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.jpserver_extensions=jupyter_jasmin=True",
                f"--Jasmin.profile_dir={profile}",
                f"--Jasmin.index_dir={root / 'index'}",
                f"--Jasmin.cache_dir={root / 'cache'}",
                "--Jasmin.index_on_start=False",
            ],
            **{"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **popen},
        )
        wait_until(self._answers, 60)

    def _answers(self) -> bool:
        try:
            self.call("GET", "resources")
        except OSError:
            return False
        return True

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/jasmin/api/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


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
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
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


def test_the_next_server_stops_pools_left_by_a_killed_one(
    killed_server_pool: tuple[str, list[int]], profile_dir: Path
) -> None:
    pool_id, pids = killed_server_pool
    assert all(psutil.pid_exists(pid) for pid in pids), "the kill left the pool running"
    record = profile_dir / "jasmin" / f"pool-{pool_id}.json"
    orphans = family(pids)
    assert orphans <= recorded(record)

    pools = manager(profile_dir)
    try:
        assert pools.leftovers == [pool_id]
        assert gone(list(orphans))
        assert not record.exists()
        assert not list((profile_dir / "security").glob(f"*{pool_id}*"))
    finally:
        pools.shutdown_now()


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
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(30)

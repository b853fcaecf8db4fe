"""A Jupyter server with the extension in a process of its own: for what the
in-process test server cannot show (a server killed outright, restarted, fuzzed
from another process, or whose log is read after it stops)."""

from __future__ import annotations

import json
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .conftest import wait_until
from .contract import check_reply


class ServerProcess:
    """``ServerProcess(root, profile, "--Jasmin.max_pools=2")``: started and answering."""

    def __init__(
        self,
        root: Path,
        profile: Path,
        *settings: str,
        own_session: bool = False,
        prefix: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``own_session``: a process group of its own, as a server started in a terminal
        has (signals sent to the tests' group do not reach it); ``prefix``: a command the
        server runs under (as another user); ``env``: its environment."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.token = secrets.token_hex(8)
        self.log_path = root / f"server-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed when the server stops)
        self.process = subprocess.Popen(
            [
                *prefix,
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.jpserver_extensions=jupyter_jasmin=True",
                *self._settings(root, profile, settings),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=own_session,
            env=env,
        )
        try:
            wait_until(self._answers, 60)
        except BaseException:
            self.kill()
            raise

    @staticmethod
    def _settings(root: Path, profile: Path, given: tuple[str, ...]) -> list[str]:
        """The test defaults, each replaced by a setting of the same name in ``given``."""
        chosen = {
            "--Jasmin.profile_dir": str(profile),
            "--Jasmin.index_dir": str(root / "index"),
            "--Jasmin.cache_dir": str(root / "cache"),
            "--Jasmin.index_on_start": "False",
        }
        for setting in given:
            name, _, value = setting.partition("=")
            chosen[name] = value
        return [f"{name}={value}" for name, value in chosen.items()]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, as a user or Playwright stops a server, and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        self._log.close()

    def kill(self) -> None:
        """SIGKILL: the server cannot stop anything it started."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited with {self.process.returncode}: {self.log()}")
        try:
            self.call("GET", "resources")
        except OSError:
            return False
        return True

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A request with the token that must succeed: its JSON body."""
        status, content = self.request(method, path, body)
        assert status < 400, f"{method} {path} answered {status}: {content}"
        return content

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A request with the token: its status and JSON body, errors included, the reply
        checked against the OpenAPI document."""
        request = urllib.request.Request(
            f"{self.url}/jasmin/api/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        if method in ("POST", "PATCH", "PUT") and request.data is None:
            request.data = b""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, content = error.code, error.headers, error.read()
        check_reply(method, f"/jasmin/api/{path}".split("?")[0], status, headers, content)
        return status, json.loads(content)

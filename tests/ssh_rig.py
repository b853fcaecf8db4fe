"""A real sshd for the tests: "hosts" that are loopback addresses of this machine.

Request the session fixture ``ssh_hosts``. One private ``sshd`` (its own host key, its
own authorized key, a free high port) listens on 127.0.0.2 (alias ``vm-a``), 127.0.0.3
(``vm-b``) and 127.0.0.4 (``vm-bare``, whose Python in :meth:`SSHRig.backend_config` is
the system's, without ipyparallel); ``vm-down`` is 127.0.0.5, where nothing listens
(connection refused). Every alias is in an ssh client config file (``ssh -F``).

Engines on every alias have this machine's hostname: the address their SSH connection
reached (``$SSH_CONNECTION``) tells the hosts apart. sshd is started without
``JASMIN_TEST_RUN`` (it outlives every test), but gives it to every session it runs
(``SetEnv``), so the per-test leak check sees engines left on a "host".

Why the settings: ``StrictModes no`` (the files live under /tmp, which sshd refuses
otherwise), ``Subsystem sftp internal-sftp`` (OpenSSH 9's scp speaks SFTP), ``UsePAM
no`` (no PAM session for root without a password), ``SetEnv IPYTHONDIR`` (remote
commands do not create ``~/.ipython``), ``/run/sshd`` made (sshd's privilege
separation folder, which no option moves).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from .slurm_rig import free_port

ADDRESSES = {"vm-a": "127.0.0.2", "vm-b": "127.0.0.3", "vm-bare": "127.0.0.4"}
DOWN = ("vm-down", "127.0.0.5")
SSHD = "/usr/sbin/sshd"
BARE_PYTHON = "/usr/bin/python3"  # Debian's: no ipyparallel


@dataclass
class SSHRig:
    """A running sshd in ``folder`` and the client config that reaches it."""

    folder: Path
    port: int
    daemon: subprocess.Popen[bytes] | None = None
    sessions: list[psutil.Process] = field(default_factory=list)

    @property
    def client_config(self) -> Path:
        return self.folder / "ssh_config"

    @property
    def log(self) -> Path:
        return self.folder / "sshd.log"

    def address(self, alias: str) -> str:
        return dict([*ADDRESSES.items(), DOWN])[alias]

    def backend_config(self, **hosts: dict[str, Any]) -> dict[str, Any]:
        """``c.SSHBackend`` for a test server: vm-a and vm-b (2 engines each) unless
        ``hosts`` says otherwise."""
        return {
            "hosts": hosts or {"vm-a": {"max_engines": 2}, "vm-b": {"max_engines": 2}},
            "ssh_config": str(self.client_config),
            "controller_ip": "127.0.0.1",
            "connect_timeout": 5,
            # a killed server's engine watchers (ssh sessions) end within this; the
            # per-test leak check waits 20 s
            "poll_seconds": 5,
        }

    def ssh(self, alias: str, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ssh", "-F", str(self.client_config), alias, command],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    # ----- start and stop ------------------------------------------------------------

    @classmethod
    def start(cls, folder: Path, test_run: str) -> SSHRig:
        if not os.path.exists(SSHD) or not shutil.which("ssh"):
            pytest.fail(
                "the SSH tests need Debian's openssh-server and openssh-client "
                "(.ci/test installs them)"
            )
        rig = cls(folder, free_port())
        rig._write_keys()
        rig._write_configs(test_run)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        environment = {k: v for k, v in os.environ.items() if k != "JASMIN_TEST_RUN"}
        rig.daemon = subprocess.Popen(
            [SSHD, "-f", str(folder / "sshd_config"), "-D", "-E", str(rig.log)],
            env=environment,
            start_new_session=True,  # a ^C to pytest reaches the teardown, not sshd
        )
        try:
            rig._wait_listening()
        except BaseException:
            rig.stop()
            raise
        return rig

    def _write_keys(self) -> None:
        for name in ("host_key", "client_key"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.folder / name)],
                check=True,
                timeout=30,
            )
        shutil.copy(self.folder / "client_key.pub", self.folder / "authorized_keys")

    def _write_configs(self, test_run: str) -> None:
        folder = self.folder
        (folder / "ipython").mkdir(exist_ok=True)
        listen = [f"ListenAddress {address}" for address in ADDRESSES.values()]
        server = [
            f"Port {self.port}",
            *listen,
            f"HostKey {folder / 'host_key'}",
            f"PidFile {folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {folder / 'authorized_keys'}",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "Subsystem sftp internal-sftp",
            f"SetEnv IPYTHONDIR={folder / 'ipython'} JASMIN_TEST_RUN={test_run}",
            "MaxStartups 50:30:100",
            "LogLevel VERBOSE",
        ]
        (folder / "sshd_config").write_text("\n".join(server) + "\n")
        client: list[str] = []
        for alias, address in [*ADDRESSES.items(), DOWN]:
            client += [f"Host {alias}", f"    HostName {address}"]
        client += [
            "Host *",
            f"    Port {self.port}",
            f"    User {getpass.getuser()}",
            f"    IdentityFile {folder / 'client_key'}",
            "    IdentitiesOnly yes",
            "    StrictHostKeyChecking no",
            "    UserKnownHostsFile /dev/null",
            "    BatchMode yes",
            "    LogLevel ERROR",
        ]
        self.client_config.write_text("\n".join(client) + "\n")

    def _wait_listening(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(ADDRESSES.values())
        while waiting:
            assert self.daemon is not None
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sshd did not start listening on {sorted(waiting)}:\n{self.logs()}")
            for address in list(waiting):
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection((address, self.port), timeout=1),
                ):
                    waiting.discard(address)
            time.sleep(0.05)

    def logs(self, lines: int = 20) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop sshd and any session of it still open; fail if any survives."""
        if self.daemon is None:
            return
        with contextlib.suppress(psutil.Error):
            self.sessions = psutil.Process(self.daemon.pid).children(recursive=True)
        self.daemon.terminate()
        try:
            self.daemon.wait(15)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait(15)
        for session in self.sessions:
            with contextlib.suppress(psutil.Error):
                session.terminate()
        _, alive = psutil.wait_procs(self.sessions, timeout=10)
        for session in alive:
            with contextlib.suppress(psutil.Error):
                session.kill()
        assert not alive, f"sshd sessions outlived it: {alive}"


@pytest.fixture(scope="session")
def ssh_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHRig]:
    """A private sshd for the whole session (stopped at its end)."""
    # conftest sets it for every process the tests start
    rig = SSHRig.start(tmp_path_factory.mktemp("sshd"), os.environ["JASMIN_TEST_RUN"])
    try:
        yield rig
    finally:
        rig.stop()

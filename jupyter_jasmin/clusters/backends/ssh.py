"""Engines on other VMs reached over SSH, through ipyparallel's SSH launcher.

The admin lists the hosts (ssh aliases) and how many engines a pool may put on each;
a user either names a count per host or lets the backend spread the pool's engines
over the hosts with room, the least loaded first. Each host gets one engine set, so a
host that cannot be reached fails only its own set and the pool runs on the others
(``degraded``). The controller runs beside the Jupyter server; engines get its
connection info in their environment (nothing is copied to the hosts), and each host
must have the same Python environment (ipyparallel, and whatever the work imports).
"""

from __future__ import annotations

import asyncio
import math
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, TypeGuard

from traitlets import Dict, Float, Integer, Unicode

from ...errors import BadRequest
from ...validation import NAME_RULE, is_name
from ..shapes import CheckReply
from .base import EngineLaunch, Option, PoolBackend, SetPlace, SetPlan

OPTION_PREFIX = "engines_on_"
HOST_KEYS = {"max_engines", "python", "cores"}
# what the load probe asks a host: its 1-minute load and its cores (and, last, whether
# its Python can run engines: a host that cannot is chosen last)
LOAD_PROBE = "cat /proc/loadavg && nproc && "
# whether a host's Python has ipyparallel, without the second it takes to import it
FINDS_IPYPARALLEL = (
    "import importlib.util, sys; "
    "importlib.util.find_spec('ipyparallel') or sys.exit('No module named ipyparallel')"
)


class Host(NamedTuple):
    """One host of the admin's ``hosts``, checked."""

    alias: str
    max_engines: int
    python: str
    cores: int | None  # None: ask the host (nproc)

    @property
    def option(self) -> str:
        return OPTION_PREFIX + self.alias


@dataclass(frozen=True)
class HostRoom:
    """What a host can still take: engines under its limit, and cores not busy (its
    cores less its load; -inf when it did not answer, so it is chosen last)."""

    alias: str
    room: int
    idle: float


class SSHBackend(PoolBackend):
    """Engines started over ssh on the admin's hosts; the controller stays here."""

    name = "ssh"
    label = "Other VMs (SSH)"
    description = (
        "Engines run on other VMs reached over SSH; choose how many on each, or let "
        "them be spread over the least loaded."
    )

    hosts = Dict(
        config=True,
        help="The hosts engines may run on: ssh alias -> {'max_engines': int (engines of "
        "one pool on that host), 'python': path (optional; default this server's Python: "
        "it must import ipyparallel there), 'cores': int (optional; default what nproc says "
        "there)}. Aliases are names (letters, digits, '.', '_', '-').",
    )
    ssh_config = Unicode(
        "",
        config=True,
        help="An ssh client config file (ssh -F) with each alias's HostName, Port, User "
        "and key; empty: ssh's own (~/.ssh/config). Logins must not ask for anything.",
    )
    controller_ip = Unicode(
        "127.0.0.1",
        config=True,
        help="The address the hosts reach this server's controller at. The default, "
        "127.0.0.1, only serves hosts on this VM: set this server's address for real hosts.",
    )
    engine_setup = Unicode(
        "",
        config=True,
        help="Shell lines run on a host before its engines start (e.g. environment "
        "variables); the host's Python must run without them.",
    )
    connect_timeout = Integer(10, config=True, help="Seconds ssh may take to connect to a host.")
    load_timeout = Float(
        3.0,
        config=True,
        help="Seconds the hosts' load may take to come back when engines are spread (at "
        "most 5: pools wait for it); a host that does not answer is chosen last.",
    )
    poll_seconds = Integer(
        30,
        config=True,
        help="Seconds each engine's watcher (an ssh session waiting for the engine to end) "
        "lasts before it is made again: each costs a Python start on the host. An engine's "
        "end is noticed at once either way.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hosts = checked_hosts(self.hosts, sys.executable)
        if self.ssh_config and not os.path.isfile(self.ssh_config):
            raise ValueError(f"c.SSHBackend.ssh_config: there is no file {self.ssh_config!r}")

    # --- options ------------------------------------------------------------------

    def options(self) -> list[Option]:
        return [
            Option(
                host.option,
                "integer",
                f"Engines on {host.alias}",
                0,
                f"Engines to start on {host.alias} (at most {host.max_engines}); leave every "
                "host at 0 to spread the pool's engines over the least loaded hosts.",
                0,
                host.max_engines,
            )
            for host in self._hosts
        ]

    def limits(self) -> dict[str, Any]:
        return {"max_engines_per_host": {host.alias: host.max_engines for host in self._hosts}}

    def checks(self, options: dict[str, Any], engines: int) -> list[CheckReply]:
        """The counts per host add up to the pool's engines, and the hosts have room."""
        chosen = explicit_counts(self._hosts, options)
        if chosen:
            added = sum(chosen.values())
            listed = ", ".join(f"{alias} {count}" for alias, count in chosen.items())
            ok = added == engines
            message = f"engines on the hosts ({listed})" + (
                " add up to the pool's engines" if ok else f" add up to {added}, not {engines}"
            )
            return [{"check": "engines per host", "ok": ok, "message": message}]
        room = sum(host.max_engines for host in self._hosts)
        ok = engines <= room
        message = (
            f"the hosts take {engines} engines (at most {room})"
            if ok
            else f"{engines} engines do not fit the hosts: they take at most {room} "
            f"({', '.join(f'{h.alias} {h.max_engines}' for h in self._hosts)})"
        )
        return [{"check": "room on the hosts", "ok": ok, "message": message}]

    # --- where engines go -----------------------------------------------------------

    def plan_engine_sets(
        self, engines: int, options: dict[str, Any], placed: dict[str, int]
    ) -> list[SetPlan]:
        """One engine set per host: the user's counts when the pool starts, else
        ``engines`` spread over the hosts with room (blocking up to ``load_timeout``
        while their load is asked, which is why it is capped at 5 s)."""
        chosen = explicit_counts(self._hosts, options)
        if chosen and not placed:
            added = sum(chosen.values())
            if added != engines:
                raise BadRequest(f"engines on the hosts add up to {added}, not {engines}")
            return [SetPlan(count, where=alias) for alias, count in chosen.items()]
        rooms = self._rooms(placed)
        free = sum(room.room for room in rooms)
        if engines > free:
            raise BadRequest(full_hosts(self._hosts, placed, engines, free))
        if sum(1 for room in rooms if room.room) > 1:
            rooms = self._with_load(rooms)
        counts = spread(engines, rooms)
        return [SetPlan(count, where=alias) for alias, count in counts.items()]

    def _rooms(self, placed: dict[str, int]) -> list[HostRoom]:
        return [
            HostRoom(host.alias, max(0, host.max_engines - placed.get(host.alias, 0)), 0.0)
            for host in self._hosts
        ]

    def _with_load(self, rooms: list[HostRoom]) -> list[HostRoom]:
        """The hosts with room, with their idle cores, asked of them all at once."""
        by_alias = {host.alias: host for host in self._hosts}
        wait = min(self.load_timeout, 5.0)
        open_rooms = [room for room in rooms if room.room]
        with ThreadPoolExecutor(len(open_rooms)) as threads:
            idle = threads.map(lambda r: self._idle_cores(by_alias[r.alias], wait), open_rooms)
            return [
                HostRoom(r.alias, r.room, cores) for r, cores in zip(open_rooms, idle, strict=True)
            ]

    def _idle_cores(self, host: Host, wait: float) -> float:
        try:
            probe = LOAD_PROBE + finds_ipyparallel(host.python)
            done = over_ssh(self.ssh_command(), host.alias, probe, wait)
            load, cores = parse_load(done.stdout) if done.returncode == 0 else (math.inf, 0)
        except (OSError, subprocess.TimeoutExpired):
            load, cores = math.inf, 0
        if load == math.inf:
            self.log.warning("ssh backend: %s cannot run engines now; chosen last", host.alias)
        return (host.cores or cores or 1) - load

    # --- starting engines -------------------------------------------------------------

    def ssh_command(self) -> list[str]:
        """``ssh`` with the admin's config file, never waiting long to connect."""
        return ["ssh", *self._client_args()]

    def _client_args(self) -> list[str]:
        """The admin's config file and connect timeout, for ssh and scp alike."""
        config = ["-F", self.ssh_config] if self.ssh_config else []
        return [*config, "-o", f"ConnectTimeout={self.connect_timeout}"]

    def cluster_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "engine_launcher_class": f"{__name__}.{LAUNCHER}",
            "controller_ip": self.controller_ip,
            # the hosts may not see this server's profile folder: no connection file,
            # no scp either
            "send_engines_connection_env": True,
        }

    def engine_launch(self, options: dict[str, Any], place: SetPlace) -> EngineLaunch:
        host = next(host for host in self._hosts if host.alias == place.where)
        launch = EngineLaunch(
            launcher={
                "ssh_cmd": self.ssh_command(),
                "scp_cmd": ["scp", *self._client_args()],
                "remote_python": host.python,
                # at most this many on the host (start(n) asks for the set's size); no
                # files to send: the connection info travels in the engines' environment
                "engines": {host.alias: {"n": host.max_engines, "to_send": []}},
                "delay": 0,
                "poll_seconds": self.poll_seconds,
                "engine_setup": self.engine_setup,
            }
        )
        if self.engine_setup.strip():
            # the setup runs in the engine's own shell, which then becomes the engine
            launch.engine_cmd = [
                "/bin/sh",
                "-c",
                f'{self.engine_setup.strip()}\nexec "$@"',
                "sh",
                host.python,
                "-m",
                "ipyparallel.engine",
            ]
        return launch


def checked_hosts(given: dict[str, Any], python: str) -> list[Host]:
    """The admin's ``c.SSHBackend.hosts``, checked; ValueError saying what is wrong."""
    where = "c.SSHBackend.hosts"
    if not given:
        raise ValueError(f"{where} is empty: name at least one host the engines may run on")
    hosts = []
    for alias, settings in given.items():
        if not is_name(alias):
            raise ValueError(f"{where}: host {alias!r} must be an ssh alias of {NAME_RULE}")
        if not isinstance(settings, dict):
            raise ValueError(f"{where}[{alias!r}] must be a dict with 'max_engines'")
        unknown = sorted(set(settings) - HOST_KEYS)
        if unknown:
            known = ", ".join(sorted(HOST_KEYS))
            raise ValueError(f"{where}[{alias!r}] has unknown keys {unknown} (keys: {known})")
        count = settings.get("max_engines")
        cores = settings.get("cores")
        chosen_python = settings.get("python", python)
        if not is_count(count):
            raise ValueError(f"{where}[{alias!r}]['max_engines'] must be a whole number >= 1")
        if cores is not None and not is_count(cores):
            raise ValueError(f"{where}[{alias!r}]['cores'] must be a whole number >= 1")
        if not isinstance(chosen_python, str) or not chosen_python.startswith("/"):
            raise ValueError(f"{where}[{alias!r}]['python'] must be an absolute path")
        hosts.append(Host(alias, count, chosen_python, cores))
    return hosts


def is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def explicit_counts(hosts: list[Host], options: dict[str, Any]) -> dict[str, int]:
    """The hosts a user gave a count of engines, with those counts (empty: spread)."""
    counts = {host.alias: int(options.get(host.option, 0)) for host in hosts}
    return {alias: count for alias, count in counts.items() if count}


def spread(engines: int, rooms: list[HostRoom]) -> dict[str, int]:
    """``engines`` over the hosts with room, each to the host with the most idle cores
    left (the earlier host on a tie), so equal hosts take turns."""
    counts: dict[str, int] = {}
    for _ in range(engines):
        open_rooms = [room for room in rooms if counts.get(room.alias, 0) < room.room]
        best = max(open_rooms, key=lambda room: room.idle - counts.get(room.alias, 0))
        counts[best.alias] = counts.get(best.alias, 0) + 1
    return {room.alias: counts[room.alias] for room in rooms if room.alias in counts}


def full_hosts(hosts: list[Host], placed: dict[str, int], engines: int, free: int) -> str:
    """Why ``engines`` more engines do not fit: each host's engines against its limit."""
    each = [
        f"{host.alias} ({placed.get(host.alias, 0)} of {host.max_engines} engines)"
        for host in hosts
    ]
    listed = ", ".join(each[:-1]) + (" and " if len(each) > 1 else "") + each[-1]
    if not free:
        return f"hosts {listed} are full" if len(each) > 1 else f"host {listed} is full"
    return f"{engines} more engines do not fit: the hosts have room for {free} ({listed})"


def parse_load(output: str) -> tuple[float, int]:
    """``cat /proc/loadavg; nproc`` -> (1-minute load, cores); (inf, 0) if unreadable."""
    lines = output.split("\n")
    try:
        return float(lines[0].split()[0]), int(lines[1].strip())
    except (IndexError, ValueError):
        return math.inf, 0


# --- ipyparallel's launcher, as the pools need it ------------------------------------

LAUNCHER = "EngineSetLauncher"


def __getattr__(name: str) -> type:
    """``EngineSetLauncher``, made on first use: a server without SSH pools never
    imports ipyparallel's launchers for it, and a pool's cluster file finds it again by
    its import path."""
    if name != LAUNCHER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = make_launcher()
    globals()[LAUNCHER] = made
    return made


def make_launcher() -> type:
    from ipyparallel.cluster.launcher import SSHEngineLauncher, SSHEngineSetLauncher
    from ipyparallel.cluster.shellcmd import ShellCommandSend
    from tornado.ioloop import IOLoop
    from traitlets import default

    class EngineLauncher(SSHEngineLauncher):  # type: ignore[misc]
        """One engine, started with one ssh call (ipyparallel's makes four: the remote
        shell, its Python, the profile folder, the engine; the set's check of the host
        did the middle two) and watched from its set's loop (it starts in a thread)."""

        @default("loop")
        def _default_loop(self) -> IOLoop:
            return self.parent.loop if self.parent is not None else IOLoop.current()

        _ssh_sender: Any = None
        _output: str | None = None

        @property
        def ssh_sender(self) -> Any:
            if self._ssh_sender is None:
                sender = ShellCommandSend(
                    self.ssh_cmd,
                    [*self.ssh_args, self.location],
                    self.remote_python,
                    initialize=False,
                    log=self.log,
                )
                # a POSIX shell, as ipyparallel would learn with one more ssh call
                sender.shell_info = ("posix", "sh")
                sender.is_powershell = sender._win = False
                self._ssh_sender = sender
            return self._ssh_sender

        def start(self, hostname: str, user: None = None, port: None = None) -> None:
            self.hostname = hostname  # the alias: no user@ or :port (checked_hosts)
            self.pid = self.ssh_sender.cmd_start(
                self.program + self.program_args,
                env=self.get_env(),
                output_file=self.remote_output_file,
            )
            self.notify_start({"host": self.location, "pid": self.pid})
            self._start_waiting()

        def get_output(self, remove: bool = False) -> str:
            """The engine's output file, in one ssh call (ipyparallel's makes three:
            does it exist, scp, rm; at every stop, on the pools' loop)."""
            if self._output is None:
                path = shlex.quote(self.remote_output_file)
                command = f"cat {path}" + (f" && rm -f {path}" if remove else "")
                self._output = self._run_there(command)
            return self._output

        def signal(self, sig: int) -> None:
            if self.state == "running":
                self._run_there(f"kill -{int(sig)} {int(self.pid)}")

        def _run_there(self, command: str) -> str:
            """A shell command on the engine's host: its output ("" if it failed)."""
            try:
                done = over_ssh([*self.ssh_cmd, *self.ssh_args], self.location, command, 30)
            except subprocess.TimeoutExpired:
                self.log.error("%s: %s did not answer within 30 s", self.location, command)
                return ""
            if done.returncode:
                self.log.error("%s: %s failed: %s", self.location, command, done.stderr[-300:])
            return done.stdout

        def wait_one(self, timeout: float) -> int | None:
            # the remote waiter cannot learn the exit status of a process it did not
            # start and says -1, which would read as SIGHUP: say "unknown" instead
            code: int = super().wait_one(timeout)
            return None if code == -1 else code

    class EngineSetLauncher(SSHEngineSetLauncher):  # type: ignore[misc]
        """ipyparallel's SSH engine set, started in a thread (ssh calls block), first
        asking the host whether its Python has ipyparallel, so a host that cannot run
        engines fails its set saying why in words (ipyparallel's own checks leave ssh's
        and Python's words on the server's stderr and say only "Are the ssh connection
        data correct?"); the failure's words are its ``get_output`` and its stop data's
        ``reason``."""

        launcher_class = EngineLauncher
        entrypoint_name = f"{__name__}.{LAUNCHER}"
        engine_setup = Unicode("")
        failure = Unicode("")

        async def start(self, n: int) -> list[str]:
            self.loop  # noqa: B018 -- its engines' watchers report to this loop
            try:
                await asyncio.to_thread(self._check_host)
                started: list[str] = await asyncio.to_thread(
                    partial(SSHEngineSetLauncher.start, self, n)
                )
            except HostUnusable as error:
                self._fail(str(error), error.exit_code)
                return []
            except Exception as error:  # an ssh call of ipyparallel's own failed
                await self.stop()  # the engines it had started
                self._fail(f"an engine could not be started: {error}", 255)
                return []
            return started

        def _check_host(self) -> None:
            host = next(iter(self.engines))
            folder = f"{self.remote_profile_dir}/log"  # the engines' output goes there
            check_host(self.ssh_cmd, host, self.remote_python, self.engine_setup, folder)

        def _fail(self, why: str, exit_code: int) -> None:
            self.failure = why
            self.notify_stop({"exit_code": exit_code, "reason": why})

        def get_output(self, remove: bool = False) -> str:
            output: str = super().get_output(remove=remove)
            return f"{output}\n{self.failure}" if self.failure else output

    EngineSetLauncher.__module__ = __name__
    EngineSetLauncher.__qualname__ = LAUNCHER
    return EngineSetLauncher


class HostUnusable(Exception):
    """A host cannot run engines: ssh cannot reach it, or its Python lacks ipyparallel."""

    def __init__(self, why: str, exit_code: int) -> None:
        super().__init__(why)
        self.exit_code = exit_code


def check_host(ssh: list[str], host: str, python: str, setup: str = "", folder: str = "") -> None:
    """Ask ``host`` over ssh whether ``python`` has ipyparallel there (after the engines'
    ``setup``), making ``folder`` if given; HostUnusable with ssh's or Python's own words
    if not."""
    command = f"{setup.strip()}\n" if setup.strip() else ""
    command += f"mkdir -p {shlex.quote(folder)} && " if folder else ""
    command += finds_ipyparallel(python)
    try:
        done = over_ssh(ssh, host, command, 60)
    except subprocess.TimeoutExpired:
        raise HostUnusable("ssh did not answer within 60 s", 255) from None
    if done.returncode == 0:
        return
    said = last_line(done.stderr) or last_line(done.stdout) or "no message"
    if done.returncode == 255:  # ssh's own failure, not the command's
        raise HostUnusable(f"not reachable over ssh: {said}", 255)
    raise HostUnusable(f"{python} cannot run engines there: {said}", done.returncode)


def over_ssh(
    ssh: list[str], host: str, command: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """A shell command run on ``host`` (its exit code: 255 when ssh itself failed)."""
    return subprocess.run(
        [*ssh, host, command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def finds_ipyparallel(python: str) -> str:
    """A shell command that fails, saying so, if ``python`` lacks ipyparallel."""
    return f"{shlex.quote(python)} -c {shlex.quote(FINDS_IPYPARALLEL)}"


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""

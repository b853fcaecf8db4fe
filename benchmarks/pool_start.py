"""How fast is a 2-engine local pool ready through the REST API, next to what a user
would otherwise type (``ipyparallel.Cluster(n=2).start_and_connect_sync()``), and
how long is the server's event loop blocked meanwhile?

    python benchmarks/pool_start.py [--rounds 5] [--engines 2] [--quick] [--json PATH]

Both are measured in the same run on the same machine, alternating, and reported
as medians and as a ratio. Results go to benchmarks/results/pool-start.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _figures import (
    RESULTS,  # noqa: F401 (holdings_index.py imports it from here)
    below,
    json_option,
    machine,
    now,
    pool_figures,
    write_result,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A real Jupyter server with the extension, the event-loop watch on."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/jasmin/api/"
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={workdir}",
            "--ServerApp.jpserver_extensions=jupyter_jasmin=True",
            f"--Jasmin.profile_dir={workdir / 'profile'}",
            "--Jasmin.max_engines_per_pool=8",
            "--Jasmin.watch_event_loop=True",
        ]
        self.log = open(workdir / "server.log", "w")  # noqa: SIM115
        # its own session: a Ctrl-C reaches only the benchmark, whose clean-up stops the server
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_serving(workdir)
        except BaseException:
            # the whole group: an index build may already be running under it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.log.close()
            raise

    def _wait_until_serving(self, workdir: Path) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.call("GET", "resources")
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = workdir / "server.log"
                    raise RuntimeError(f"server did not start; see {log}") from None
                time.sleep(0.1)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def rest_round(server: Server, engines: int) -> dict[str, float]:
    server.call("GET", "diagnostics/event-loop?reset=1")
    started = time.perf_counter()
    pool = server.call("POST", "clusters", {"engines": engines})
    while not (pool["state"] == "running" and pool["engines"]["running"] == engines):
        if pool["state"] == "failed":
            raise RuntimeError(pool["error"])
        time.sleep(0.02)
        pool = server.call("GET", f"clusters/{pool['id']}")
    ready = time.perf_counter() - started
    loop = server.call("GET", "diagnostics/event-loop?reset=1")
    stop_started = time.perf_counter()
    server.call("DELETE", f"clusters/{pool['id']}")
    stopped = time.perf_counter() - stop_started
    # the same length of time with the server idle: this VM's own scheduling noise
    time.sleep(ready)
    idle = server.call("GET", "diagnostics/event-loop")
    return {
        "ready_s": ready,
        "stop_s": stopped,
        "max_stall_ms": loop["max_stall_ms"],
        "p99_stall_ms": loop["p99_stall_ms"],
        "stalls_over_50ms": loop["stalls_over_50ms"],
        "idle_max_stall_ms": idle["max_stall_ms"],
    }


def raw_round(engines: int, tuned: bool) -> dict[str, float]:
    """ipyparallel as a user would call it, in a fresh interpreter each round."""
    code = f"""
import time, tempfile, ipyparallel as ipp
kwargs = dict(n={engines}, profile_dir=tempfile.mkdtemp())
if {tuned}:
    kwargs.update(delay=0, controller_args=["--HeartMonitor.period=250"])
cluster = ipp.Cluster(**kwargs)
started = time.perf_counter()
client = cluster.start_and_connect_sync()
ready = time.perf_counter() - started
client.close()
cluster.stop_cluster_sync()
print(ready)
"""
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {"ready_s": float(output.strip().splitlines()[-1])}


def summary(rounds: list[dict[str, float]], key: str) -> dict[str, float]:
    values = [r[key] for r in rounds]
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def figures(result: dict[str, Any]) -> list[Any]:
    loop = result["event_loop_while_starting"]["max_stall_ms"]["max"]
    idle = result["event_loop_idle_max_stall_ms"]["max"]
    return [
        *pool_figures(
            f"{result['engines']}-engine local pool",
            result["rest_ready_s"]["median"],
            result["ipyparallel_default_ready_s"]["median"],
            result["ipyparallel_tuned_ready_s"]["median"],
            result["rest_stop_s"]["median"],
        ),
        below(
            "event loop's worst stall while pools start",
            loop,
            "ms",
            50,
            f"an idle server's worst over as long: {idle} ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engines", type=int, default=2)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="no warm-up round: a smoke test (python -m benchmarks --quick)",
    )
    json_option(parser, "pool-start.json")
    args = parser.parse_args()

    rest: list[dict[str, float]] = []
    raw: list[dict[str, float]] = []
    tuned: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as workdir:
        server = Server(Path(workdir))
        try:
            if not args.quick:  # warm-up: first start imports ipyparallel
                rest_round(server, args.engines)
            for _ in range(args.rounds):
                rest.append(rest_round(server, args.engines))
                raw.append(raw_round(args.engines, tuned=False))
                tuned.append(raw_round(args.engines, tuned=True))
        finally:
            server.stop()

    result = {
        "benchmark": "pool-start",
        "engines": args.engines,
        "rounds": args.rounds,
        "machine": machine(),
        "when": now(),
        "rest_ready_s": summary(rest, "ready_s"),
        "rest_stop_s": summary(rest, "stop_s"),
        "event_loop_while_starting": {
            "max_stall_ms": summary(rest, "max_stall_ms"),
            "p99_stall_ms": summary(rest, "p99_stall_ms"),
            "stalls_over_50ms": sum(r["stalls_over_50ms"] for r in rest),
        },
        "event_loop_idle_max_stall_ms": summary(rest, "idle_max_stall_ms"),
        "ipyparallel_default_ready_s": summary(raw, "ready_s"),
        "ipyparallel_tuned_ready_s": summary(tuned, "ready_s"),
    }
    result["ratio_rest_to_ipyparallel_default"] = round(
        result["rest_ready_s"]["median"] / result["ipyparallel_default_ready_s"]["median"], 3
    )
    result["figures"] = figures(result)
    write_result(args.json, result)

    print(f"{args.engines}-engine local pool, {args.rounds} rounds (median [min-max], seconds)")
    for label, key in (
        ("jupyter_jasmin REST, POST to running", "rest_ready_s"),
        ("ipyparallel Cluster(n).start_and_connect_sync()", "ipyparallel_default_ready_s"),
        ("  same, delay=0 and 250 ms heartbeat", "ipyparallel_tuned_ready_s"),
        ("jupyter_jasmin REST, DELETE", "rest_stop_s"),
    ):
        s = result[key]
        print(f"  {label:<50} {s['median']:6.2f} [{s['min']:.2f}-{s['max']:.2f}]")
    print(f"  ratio REST / ipyparallel default: {result['ratio_rest_to_ipyparallel_default']}")
    loop = result["event_loop_while_starting"]
    print(
        f"  event loop while a pool starts: worst stall {loop['max_stall_ms']['max']} ms "
        f"(median of rounds {loop['max_stall_ms']['median']} ms, p99 tick "
        f"{loop['p99_stall_ms']['max']} ms, {loop['stalls_over_50ms']} ticks over 50 ms); "
        f"idle server, same duration: worst {result['event_loop_idle_max_stall_ms']['max']} ms"
    )


if __name__ == "__main__":
    main()

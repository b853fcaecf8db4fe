"""Does the REST API answer every request, and how fast, with 200 clients reading at
once, while pools start and stop, and while the intake-esm catalog is downloaded?

    python benchmarks/load.py [--clients 200] [--seconds 12] [--json PATH]

One Jupyter server with the extension (the sample CMIP6 holding ``cmip6-sample`` as
its default holding, the event-loop watch on) and ``--clients`` asyncio clients on
loopback, each reading in a loop: the pool list, one pool, facets with 0, 1 and 3
selections, a page of 50 datasets with and without a text query. A 2-engine pool
runs throughout so that there is a pool to read. After 3 s without any request (the
loop's own noise on this shared machine) and a 3 s warm-up that opens the
connections, three phases of ``--seconds`` each:

1. idle: only the readers;
2. pool: the readers while another 2-engine pool is started, waited for and stopped,
   over and over;
3. catalog: the readers while 3 more clients download catalog.csv over and over.

Per phase and route: requests, errors, p50/p99 latency, requests/s; per phase the
event loop's worst stall and stalls over 50 ms, the server's RSS and CPU. Results go
to ``--json`` (benchmarks/results/load.json). Exit status 1 if any request failed, a process was
left behind or the server logged an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from _figures import Figure, at_most, figure, json_option, machine, now, percentiles, write_result
from pool_start import Server

HOLDING = "cmip6-sample"
POOL_ENGINES = 2
CATALOG_CLIENTS = 3
KEPT_MESSAGES = 5
REQUEST_TIMEOUT_S = 60
WARM_UP_S = 3
QUIET_S = 3
LEFTOVER_WAIT_S = 20
# the order of the table's rows
ROUTES = (
    "GET clusters",
    "GET clusters/<id>",
    "GET facets",
    "GET facets, 1 selection",
    "GET facets, 3 selections",
    "GET datasets?limit=50",
    "GET datasets?limit=50&q=",
    "POST clusters",
    "GET clusters/<id>, pool starting",
    "DELETE clusters/<id>",
    "pool start",
    "GET catalog.csv",
)
POOL_PROCESS_MARKERS = ("ipyparallel.engine", "ipyparallel.controller", "ipengine", "ipcontroller")


# --- what the readers ask -------------------------------------------------------

Makers = list[Callable[[random.Random], tuple[str, str]]]


@dataclass(frozen=True)
class Sample:
    """Real facet values of the holding, so that selections find datasets."""

    models: list[str]
    triples: list[tuple[str, str, str]]  # (source_id, table_id, grid_label)


def holding_sample(server: Server) -> Sample:
    page = server.call("GET", f"holdings/{HOLDING}/datasets?limit=200")["datasets"]
    triples = {
        (d["facets"]["source_id"], d["facets"]["table_id"], d["facets"]["grid_label"]) for d in page
    }
    return Sample(models=sorted({t[0] for t in triples}), triples=sorted(triples))


def reader_requests(sample: Sample, pool_id: str) -> Makers:
    """One maker per route: (label, path under the API) with randomly chosen values."""
    facets = f"holdings/{HOLDING}/facets"
    datasets = f"holdings/{HOLDING}/datasets?limit=50"

    def one(rng: random.Random) -> str:
        return f"source_id={rng.choice(sample.models)}"

    def three(rng: random.Random) -> str:
        model, table, grid = rng.choice(sample.triples)
        return f"source_id={model}&table_id={table}&grid_label={grid}"

    def text(rng: random.Random) -> str:
        return f"q={rng.choice(sample.models).lower()}%20amon"

    return [
        lambda rng: ("GET clusters", "clusters"),
        lambda rng: ("GET clusters/<id>", f"clusters/{pool_id}"),
        lambda rng: ("GET facets", facets),
        lambda rng: ("GET facets, 1 selection", f"{facets}?{one(rng)}"),
        lambda rng: ("GET facets, 3 selections", f"{facets}?{three(rng)}"),
        lambda rng: ("GET datasets?limit=50", datasets),
        lambda rng: ("GET datasets?limit=50&q=", f"{datasets}&{text(rng)}"),
    ]


# --- recording ------------------------------------------------------------------


@dataclass
class RouteRecord:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # of the answered requests
    messages: list[str] = field(default_factory=list)


class Recorder:
    """Every request's outcome in one phase, by route label."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteRecord] = {}

    def add(self, label: str, seconds: float | None, error: str | None = None) -> None:
        record = self.routes.setdefault(label, RouteRecord())
        record.requests += 1
        if seconds is not None:
            record.latencies.append(seconds)
        if error is not None:
            record.errors += 1
            if len(record.messages) < KEPT_MESSAGES:
                record.messages.append(error[:300])

    def summary(self, elapsed: float) -> dict[str, dict[str, Any]]:
        out = {}
        for label, record in sorted(self.routes.items(), key=lambda item: _order(item[0])):
            timing = percentiles(record.latencies) if record.latencies else {}
            out[label] = {
                "requests": record.requests,
                "errors": record.errors,
                "p50_ms": timing.get("p50_ms"),
                "p99_ms": timing.get("p99_ms"),
                "per_s": round(record.requests / elapsed, 1),
                "first_errors": record.messages,
            }
        return out


def _order(label: str) -> int:
    return ROUTES.index(label) if label in ROUTES else len(ROUTES)


class Api:
    """The REST API through one shared aiohttp session, every call timed and recorded."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.recorder = Recorder()

    async def call(self, label: str, path: str, method: str = "GET", body: Any = None) -> Any:
        """The reply (JSON, or bytes when not JSON), or None if the request failed."""
        started = time.perf_counter()
        try:
            async with self.session.request(method, self.base + path, json=body) as response:
                payload = await response.read()
        except Exception as error:
            message = f"{type(error).__name__}: {error} ({method} {path})"
            self.recorder.add(label, None, message)
            return None
        elapsed = time.perf_counter() - started
        if not 200 <= response.status < 300:
            text = payload[:200].decode(errors="replace")
            self.recorder.add(label, elapsed, f"{response.status} {method} {path}: {text}")
            return None
        self.recorder.add(label, elapsed)
        if response.content_type == "application/json":
            return json.loads(payload)
        return payload

    def failed(self, label: str, message: str) -> None:
        """A failure that is no single request's (a pool that never ran)."""
        self.recorder.add(label, None, message)

    async def diagnostic(self, path: str) -> Any:
        """An untimed call the phases' figures leave out (event-loop readings)."""
        async with self.session.get(self.base + path) as response:
            response.raise_for_status()
            return await response.json()


# --- the loads ------------------------------------------------------------------


async def read_until(api: Api, makers: Makers, stop: asyncio.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        label, path = rng.choice(makers)(rng)
        await api.call(label, path)


async def cycle_pools(api: Api, deadline: float) -> dict[str, Any]:
    """Start, wait for and stop a pool, over and over until ``deadline``."""
    cycles = []
    while time.perf_counter() < deadline:
        cycle = await pool_cycle(api)
        if cycle is None:
            break  # the failure is recorded; starting more would only repeat it
        cycles.append(cycle)
    return {
        "pool_cycles": len(cycles),
        "pool_running_s": [c["running_s"] for c in cycles],
        "pool_stop_s": [c["stop_s"] for c in cycles],
    }


async def pool_cycle(api: Api) -> dict[str, float] | None:
    started = time.perf_counter()
    pool = await api.call("POST clusters", "clusters", "POST", {"engines": POOL_ENGINES})
    if pool is None:
        return None
    running = await wait_running(api, pool["id"])
    running_s = time.perf_counter() - started
    stopping = time.perf_counter()
    stopped = await api.call("DELETE clusters/<id>", f"clusters/{pool['id']}", "DELETE")
    if not running or stopped is None:
        return None
    return {"running_s": round(running_s, 3), "stop_s": round(time.perf_counter() - stopping, 3)}


async def wait_running(api: Api, pool_id: str, timeout: float = 60) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        pool = await api.call("GET clusters/<id>, pool starting", f"clusters/{pool_id}")
        if pool is not None and pool["state"] == "failed":
            api.failed("pool start", f"pool {pool_id} failed: {pool.get('error')}")
            return False
        if pool is not None and running(pool):
            return True
        await asyncio.sleep(0.05)
    api.failed("pool start", f"pool {pool_id} not running after {timeout} s")
    return False


def running(pool: dict[str, Any]) -> bool:
    return bool(pool["state"] == "running" and pool["engines"]["running"] == POOL_ENGINES)


async def download_catalogs(api: Api, deadline: float) -> dict[str, Any]:
    """A few more clients downloading catalog.csv over and over until ``deadline``."""

    async def one_client() -> int:
        size = 0
        while time.perf_counter() < deadline:
            csv = await api.call("GET catalog.csv", f"holdings/{HOLDING}/catalog.csv")
            size = len(csv) if isinstance(csv, bytes) else size
        return size

    sizes = await asyncio.gather(*(one_client() for _ in range(CATALOG_CLIENTS)))
    return {"catalog_clients": CATALOG_CLIENTS, "catalog_csv_bytes": max(sizes)}


async def nothing_more(api: Api, deadline: float) -> dict[str, Any]:
    return {}


SideLoad = Callable[[Api, float], Awaitable[dict[str, Any]]]

PHASES: list[tuple[str, SideLoad]] = [
    ("idle", nothing_more),
    ("pool", cycle_pools),
    ("catalog", download_catalogs),
]


# --- one phase ------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    clients: int
    seconds: float
    makers: Makers
    server: psutil.Process


async def run_phase(
    api: Api, load: Load, side: SideLoad, seconds: float, clients: int
) -> dict[str, Any]:
    """``clients`` readers for ``seconds`` (and until ``side`` is done), ``side`` beside them."""
    api.recorder = Recorder()
    await api.diagnostic("diagnostics/event-loop?reset=1")
    rss: list[int] = []
    sampler = asyncio.create_task(sample_rss(load.server, rss))
    server_cpu, client_cpu = cpu_seconds(load.server), time.process_time()
    machine_cpu = busy_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(read_until(api, load.makers, stop, seed)) for seed in range(clients)
    ]
    try:
        extra = await side(api, deadline)
        await asyncio.sleep(deadline - time.perf_counter())
    finally:
        stop.set()
        await asyncio.gather(*readers)  # each request gives up after REQUEST_TIMEOUT_S
        sampler.cancel()
    elapsed = time.perf_counter() - started
    loop = await api.diagnostic("diagnostics/event-loop")
    routes = api.recorder.summary(elapsed)
    requests = sum(r["requests"] for r in routes.values())
    return {
        "seconds": round(elapsed, 2),
        "requests": requests,
        "clients": clients,
        "requests_per_s": round(requests / elapsed, 1),
        "errors": sum(r["errors"] for r in routes.values()),
        "routes": routes,
        "event_loop": {k: loop[k] for k in ("max_stall_ms", "p99_stall_ms", "stalls_over_50ms")},
        "server_rss_mb": {"end": megabytes(rss[-1]), "max": megabytes(max(rss))},
        "server_cpu_percent": round(100 * (cpu_seconds(load.server) - server_cpu) / elapsed),
        "client_cpu_percent": round(100 * (time.process_time() - client_cpu) / elapsed),
        # all cores together (so up to 100 x cores): the pools, the inspect workers and
        # anything else running on this shared machine are in it too
        "machine_cpu_percent": round(100 * (busy_seconds() - machine_cpu) / elapsed),
        "server_open_files": load.server.num_fds(),
        "server_threads": load.server.num_threads(),
        **extra,
    }


async def sample_rss(process: psutil.Process, samples: list[int], every: float = 0.25) -> None:
    while True:
        samples.append(process.memory_info().rss)
        await asyncio.sleep(every)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def busy_seconds() -> float:
    """CPU seconds this machine's cores have spent busy since boot."""
    times = psutil.cpu_times()
    return float(times.user + times.nice + times.system + times.irq + times.softirq)


def megabytes(size: int) -> float:
    return round(size / 2**20, 1)


async def run_phases(server: Server, load: Load) -> dict[str, dict[str, Any]]:
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=load.clients + CATALOG_CLIENTS + 8),
        headers={"Authorization": f"token {server.token}"},
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    ) as session:
        api = Api(session, server.url)
        # the loop with no requests at all: this shared machine's own noise
        phases = {"quiet": await run_phase(api, load, nothing_more, QUIET_S, clients=0)}
        # opens every connection first, so that no phase pays for 200 connects at once
        phases["warm-up"] = await run_phase(api, load, nothing_more, WARM_UP_S, load.clients)
        for name, side in PHASES:
            phases[name] = await run_phase(api, load, side, load.seconds, load.clients)
        return phases


# --- the server and what it leaves ------------------------------------------------


def configure(workdir: Path) -> None:
    """Index and pictures inside ``workdir``; the holdings left to their default."""
    config = {"Jasmin": {"index_dir": str(workdir / "index"), "cache_dir": str(workdir / "cache")}}
    (workdir / "jupyter_server_config.json").write_text(json.dumps(config))
    os.environ["JUPYTER_CONFIG_DIR"] = str(workdir)


def wait_ready(server: Server, timeout: float = 300) -> float:
    """Seconds until the default holding's index is built."""
    started = time.perf_counter()
    while True:
        holding = server.call("GET", f"holdings/{HOLDING}")
        if holding["state"] == "ready":
            return time.perf_counter() - started
        if holding["state"] == "failed" or time.perf_counter() - started > timeout:
            raise RuntimeError(f"holding {HOLDING} is not ready: {holding}")
        time.sleep(0.2)


def start_pool(server: Server, timeout: float = 60) -> str:
    """The pool the readers read, running through every phase."""
    pool = server.call("POST", "clusters", {"engines": POOL_ENGINES})
    deadline = time.perf_counter() + timeout
    while not running(pool):
        if pool["state"] == "failed" or time.perf_counter() > deadline:
            raise RuntimeError(f"the readers' pool did not start: {pool}")
        time.sleep(0.1)
        pool = server.call("GET", f"clusters/{pool['id']}")
    return str(pool["id"])


def pool_processes(profile_dir: Path) -> list[psutil.Process]:
    """Controllers and engines of pools kept in ``profile_dir``, whoever their parent is."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if not any(marker in cmdline for marker in POOL_PROCESS_MARKERS):
            continue
        with contextlib.suppress(psutil.Error):
            if process.environ().get("IPP_PROFILE_DIR", "").startswith(str(profile_dir)):
                found.append(process)
    return found


def stop_everything(server: Server, profile_dir: Path) -> list[str]:
    """SIGTERM the server (which must stop its pools), then wait for every process it
    started to end; kills and returns whatever is left."""
    problems = []
    started: list[psutil.Process] = []
    with contextlib.suppress(psutil.Error):
        started = psutil.Process(server.process.pid).children(recursive=True)
    watched = {p.pid: p for p in started + pool_processes(profile_dir)}
    try:
        server.stop()
    except Exception as error:
        problems.append(f"server {server.process.pid} still running after SIGTERM: {error}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    _, alive = psutil.wait_procs(list(watched.values()), timeout=LEFTOVER_WAIT_S)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            problems.append(f"pid {process.pid} left: {' '.join(process.cmdline())[:200]}")
            process.kill()
    return problems


# --- the run --------------------------------------------------------------------


def enough_open_files(clients: int) -> dict[str, int]:
    """Raise this process's (and so the server's) open-file limit if it is tight."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 4 * clients + 256
    if soft < needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        soft = needed
    return {"open_files_soft_limit": soft, "open_files_hard_limit": hard}


def versions() -> dict[str, str]:
    names = ["jupyter_jasmin", "jupyter_server", "tornado", "ipyparallel", "aiohttp"]
    found = {name: importlib.metadata.version(name) for name in names}
    found["esmvaltool-sample-data"] = importlib.metadata.version("esmvaltool-sample-data")
    return {"python": platform.python_version(), **found}


def terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so that a SIGTERM cleans up as a Ctrl-C does


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    configure(workdir)
    server = Server(workdir)
    problems: list[str] = []
    try:
        index_s = wait_ready(server)
        pool_id = start_pool(server)
        makers = reader_requests(holding_sample(server), pool_id)
        load = Load(args.clients, args.seconds, makers, psutil.Process(server.process.pid))
        phases = asyncio.run(run_phases(server, load))
    finally:
        problems = stop_everything(server, workdir / "profile")
        for problem in problems:
            print(f"LEFT BEHIND: {problem}", file=sys.stderr)
        logged = logged_errors(workdir / "server.log")
    return {
        "index_build_s": round(index_s, 2),
        "phases": phases,
        "left_behind": problems,
        "server_log_errors": logged,
    }


def logged_errors(log: Path) -> list[str]:
    """Errors and tracebacks the server logged (a request can succeed while a
    background task fails)."""
    found = [
        line[:300]
        for line in log.read_text(errors="replace").splitlines()
        if (line.startswith(("[E", "[C")) or "Traceback" in line)
        and "received signal 15" not in line  # the benchmark's own SIGTERM
    ]
    return found[:20]


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['clients']} clients on loopback, {result['machine']['cores']} cores; "
        "latency in ms from the client's side"
    )
    for name, phase in result["phases"].items():
        loop, rss = phase["event_loop"], phase["server_rss_mb"]
        print(
            f"\n{name}: {phase['seconds']} s, {phase['requests']} requests "
            f"({phase['requests_per_s']}/s), {phase['errors']} errors; event loop worst stall "
            f"{loop['max_stall_ms']} ms, {loop['stalls_over_50ms']} stalls > 50 ms; server RSS "
            f"{rss['end']} MB (max {rss['max']}); CPU: server {phase['server_cpu_percent']}%, "
            f"clients {phase['client_cpu_percent']}%, whole machine "
            f"{phase['machine_cpu_percent']}% of {result['machine']['cores']}00%"
        )
        if "pool_cycles" in phase:
            print(
                f"  {phase['pool_cycles']} pools started and stopped; seconds to running: "
                f"{phase['pool_running_s']}, to stopped: {phase['pool_stop_s']}"
            )
        if "catalog_clients" in phase:
            print(
                f"  {phase['catalog_clients']} clients downloading catalog.csv "
                f"({phase['catalog_csv_bytes']} bytes)"
            )
        if not phase["routes"]:
            continue
        print(f"  {'route':<34} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50':>8} {'p99':>8}")
        for label, route in phase["routes"].items():
            print(
                f"  {label:<34} {route['requests']:>8} {route['errors']:>6} {route['per_s']:>7} "
                f"{route['p50_ms'] or '-':>8} {route['p99_ms'] or '-':>8}"
            )
            for message in route["first_errors"]:
                print(f"      {message}")


def figures(result: dict[str, Any]) -> list[Figure]:
    """Per phase: no request fails; throughput, the slowest route's p99, the loop's worst
    stall and the server's memory beside."""
    found: list[Figure] = []
    for name, _ in PHASES:
        phase = result["phases"].get(name)
        if phase is None:
            continue
        where = f"{result['clients']} clients, {name}"
        found.append(at_most(f"failed requests, {where}", phase["errors"], "", 0))
        found.append(figure(f"requests per second, {where}", phase["requests_per_s"], "/s"))
        p99s = [route["p99_ms"] for route in phase["routes"].values() if route["p99_ms"]]
        if p99s:
            found.append(figure(f"slowest route's p99, {where}", max(p99s), "ms"))
        found.append(
            figure(
                f"event loop's worst stall, {where}",
                phase["event_loop"]["max_stall_ms"],
                "ms",
                "saturated: requests queue on the loop",
            )
        )
        found.append(figure(f"server RSS, {where}", phase["server_rss_mb"]["max"], "MB"))
    found.append(
        at_most(
            "processes left behind and server log errors",
            len(result["left_behind"]) + len(result["server_log_errors"]),
            "",
            0,
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=12)
    json_option(parser, "load.json")
    args = parser.parse_args()
    if find_spec("esmvaltool_sample_data") is None:
        sys.exit("needs the sample archive: pip install --no-deps esmvaltool-sample-data")
    signal.signal(signal.SIGTERM, terminated)
    limits = enough_open_files(args.clients)
    load_before = round(os.getloadavg()[0], 2)

    try:
        with tempfile.TemporaryDirectory() as workdir:
            measured = measure(args, Path(workdir))
    except KeyboardInterrupt:
        sys.exit("interrupted; the server and its pools are stopped")
    result = {
        "benchmark": "load",
        "when": now(),
        "machine": {
            **machine(),
            # other work on the machine when the run began (it is shared)
            "load_average_1min_at_start": load_before,
            **limits,
        },
        "versions": versions(),
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        **measured,
    }
    result["figures"] = figures(result)
    write_result(args.json, result)
    print_table(result)
    errors = sum(phase["errors"] for phase in result["phases"].values())
    for line in result["server_log_errors"]:
        print(f"SERVER LOG: {line}")
    if errors or result["left_behind"] or result["server_log_errors"]:
        print(
            f"\nFAILED: {errors} requests failed, {len(result['left_behind'])} processes left, "
            f"{len(result['server_log_errors'])} errors in the server's log"
        )
        sys.exit(1)


if __name__ == "__main__":
    main()

"""How long a researcher waits for a 2-engine Slurm pool through the REST API, next to
ipyparallel's own Slurm launcher; how soon a cancelled job shows in the pool; what
watching Slurm costs the server's event loop and the scheduler.

    python benchmarks/slurm_pool.py [--rounds 5] [--settle 10] [--steady 45] [--quick]
                                    [--json PATH]

Everything runs on one real single-node Slurm (``tests/slurm_rig.py``) started for the
run and stopped at its end, with servers started as ``pool_start.Server`` (the event-loop
watch on), in three phases:

1. start and stop, alternating each round: a 2-engine Slurm pool from ``POST`` to
   running with both engines located (what a panel user waits for), then ``DELETE``
   until no job is left in ``squeue``; against ``ipyparallel.Cluster(
   engine_launcher_class="slurm", n=2, controller_ip="127.0.0.1").start_and_connect_sync()``
   in a fresh interpreter in a temporary folder (it writes ``slurm_engine.sbatch`` there),
   with ipyparallel's defaults and with a 250 ms heartbeat (the server's own period);
2. ``scancel`` of one engine's job, ``--settle`` seconds after the pool runs, until
   ``GET clusters/<id>`` (every 100 ms) says ``degraded``: with the default job polling
   (3 s, doubling while nothing changes) and with ``c.Jasmin.job_poll_seconds=1``;
3. ``--steady`` seconds with one pool running and one pending (the node is full): the
   event loop's stalls and the ``squeue`` calls the server makes (a counting ``squeue``
   first on the server's PATH), next to the same time with no pool; then twice as long
   with the running pool alone (the polling backs off).

The machine's load (CPU busy, load average) is sampled throughout. Results go to
``--json`` (benchmarks/results/slurm-pool.json). Exit status 1 if any step failed, a job was left in
``squeue``, a controller, engine or job process outlived its pool, or the rig did not
stop cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))

from _figures import (  # noqa: E402
    Figure,
    below,
    figure,
    json_option,
    machine,
    pool_figures,
    write_result,
)
from load import logged_errors, pool_processes, stop_everything, terminated  # noqa: E402
from pool_start import Server, summary  # noqa: E402

from tests.slurm_rig import SlurmRig, find_program  # noqa: E402

ENGINES = 2
OPTIONS = {"walltime": 10, "memory_per_engine": 0.5}
RAW_HEARTBEAT_MS = 250  # the server's own heartbeat period (c.Jasmin.heartbeat_period)
TAG = "JASMIN_SLURM_BENCH"  # in the environment of every process this run starts
START_TIMEOUT_S = 120
DEGRADED_TIMEOUT_S = 120
LEFTOVER_WAIT_S = 30

Pool = dict[str, Any]


# --- the machine ------------------------------------------------------------------


class MachineLoad:
    """CPU busy (all cores) every second, in a thread, to tell how loaded the shared
    machine was during each phase."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MachineLoad:
        psutil.cpu_percent()  # the first reading is meaningless
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append((time.time(), psutil.cpu_percent()))

    def between(self, began: float, ended: float) -> dict[str, Any]:
        busy = [value for when, value in self.samples if began <= when <= ended]
        return {
            "cpu_busy_percent_mean": round(statistics.fmean(busy), 1) if busy else None,
            "cpu_busy_percent_max": max(busy) if busy else None,
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        }


def versions(rig: SlurmRig) -> dict[str, str]:
    names = ["jupyter_jasmin", "jupyter_server", "tornado", "ipyparallel", "pyzmq"]
    found = {name: importlib.metadata.version(name) for name in names}
    munged = subprocess.run(
        [find_program("munged"), "--version"], capture_output=True, text=True, check=False
    )
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "python": platform.python_version(),
        **found,
        "slurm": rig.run("sinfo", "--version").strip(),
        "munge": (munged.stdout or munged.stderr).strip(),
        "jupyter_jasmin_commit": commit.stdout.strip(),
    }


def other_slurms(rig: SlurmRig) -> int:
    """slurmctld daemons on this machine that are not this run's (other developers' rigs)."""
    ours = {p.pid for p in rig.daemons.values()}
    return sum(
        1
        for p in psutil.process_iter(["name"])
        if (p.info["name"] or "").startswith("slurmctld") and p.pid not in ours
    )


# --- servers and pools ------------------------------------------------------------


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ while a child process is started, then as before."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def slurm_server(
    folder: Path, rig: SlurmRig, run: str, jasmin: dict[str, Any], path_first: Path | None = None
) -> tuple[Server, float]:
    """A server with the Slurm backend (its index and pictures in ``folder``), and the
    seconds until it offered Slurm's partitions (learnt in the background)."""
    folder.mkdir()
    config = {
        "Jasmin": {
            "backends": ["local", "slurm"],
            "index_on_start": False,
            "index_dir": str(folder / "index"),
            "cache_dir": str(folder / "cache"),
            **jasmin,
        },
        # a server stopped by the benchmark leaves no job behind for the next one
        "SlurmBackend": {"controller_ip": "127.0.0.1", "keep_on_stop_default": False},
    }
    (folder / "jupyter_server_config.json").write_text(json.dumps(config))
    variables = {"JUPYTER_CONFIG_DIR": str(folder), "SLURM_CONF": str(rig.conf), TAG: run}
    if path_first is not None:
        variables["PATH"] = f"{path_first}{os.pathsep}{os.environ['PATH']}"
    began = time.perf_counter()
    with environment(variables):
        server = Server(folder)
    try:
        wait_for(lambda: partitions_offered(server), 60, "Slurm's partitions to be offered")
    except BaseException:
        stop_everything(server, folder / "profile")
        raise
    return server, time.perf_counter() - began


def partitions_offered(server: Server) -> bool:
    backends = server.call("GET", "backends")["backends"]
    slurm = next(b for b in backends if b["name"] == "slurm")
    return bool(next(o for o in slurm["options"] if o["name"] == "partition").get("choices"))


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """The first truthy value of ``condition()``; RuntimeError after ``timeout`` s."""
    deadline = time.perf_counter() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise RuntimeError(f"waited {timeout} s for {what}")
        time.sleep(every)


def post_pool(server: Server, engines: int) -> Pool:
    body = {"backend": "slurm", "engines": engines, "options": OPTIONS}
    pool: Pool = server.call("POST", "clusters", body)
    return pool


def wait_pool(
    server: Server, pool_id: str, condition: Callable[[Pool], bool], timeout: float, every: float
) -> Pool:
    """The pool once ``condition`` holds, read every ``every`` s; fails on a failed pool."""

    def reached() -> Pool | None:
        pool: Pool = server.call("GET", f"clusters/{pool_id}")
        if pool["state"] == "failed":
            raise RuntimeError(f"pool {pool_id} failed: {pool['error']}")
        return pool if condition(pool) else None

    found: Pool = wait_for(reached, timeout, f"pool {pool_id}", every)
    return found


def running(engines: int) -> Callable[[Pool], bool]:
    return lambda p: p["state"] == "running" and p["engines"]["running"] == engines


def start_pool(server: Server, engines: int = ENGINES) -> tuple[Pool, float]:
    """A running pool, and the seconds from POST until it ran with every engine located."""
    began = time.perf_counter()
    pool = post_pool(server, engines)
    pool = wait_pool(server, pool["id"], running(engines), START_TIMEOUT_S, 0.02)
    return pool, time.perf_counter() - began


def jobs_of(pool: Pool) -> list[str]:
    return [s["job"]["id"] for s in pool["engine_sets"] if s["job"]]


def live_jobs(rig: SlurmRig) -> set[str]:
    """Jobs plain ``squeue`` lists (pending, running, completing; not ended ones)."""
    return set(rig.run("squeue", "-h", "-o", "%i").split())


def seconds_until_gone(rig: SlurmRig, jobs: list[str]) -> float:
    began = time.perf_counter()
    wait_for(lambda: not live_jobs(rig) & set(jobs), 60, f"jobs {jobs} to leave squeue")
    return time.perf_counter() - began


def delete_pool(server: Server, rig: SlurmRig, pool: Pool) -> dict[str, float]:
    """DELETE a pool: seconds until the reply said stopped, and until its jobs left squeue."""
    jobs = jobs_of(pool)
    began = time.perf_counter()
    reply = server.call("DELETE", f"clusters/{pool['id']}")
    replied = time.perf_counter() - began
    if reply["state"] != "stopped":
        raise RuntimeError(f"DELETE replied {reply['state']}: {reply['error']}")
    seconds_until_gone(rig, jobs)
    return {"stop_reply_s": replied, "stop_to_no_job_s": time.perf_counter() - began}


def delete_every_pool(server: Server) -> list[str]:
    """What a failed phase left in the server, deleted; their names, to report."""
    left = server.call("GET", "clusters")["clusters"]
    for pool in left:
        with contextlib.suppress(OSError):
            server.call("DELETE", f"clusters/{pool['id']}")
    return [f"pool {pool['id']} ({pool['state']})" for pool in left]


# --- phase 1: start and stop ------------------------------------------------------


def rounded(figures: dict[str, Any]) -> dict[str, Any]:
    """Seconds to the millisecond, for the per-round lists in the results."""
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def rest_round(server: Server, rig: SlurmRig) -> dict[str, float]:
    pool, ready = start_pool(server)
    jobs = jobs_of(pool)
    states = {job: rig.jobs()[job].state for job in jobs}
    if len(jobs) != ENGINES or set(states.values()) != {"RUNNING"}:
        raise RuntimeError(f"a running pool whose jobs are {states}")
    return {"ready_s": ready, **delete_pool(server, rig, pool)}


RAW = """
import json, sys, time, ipyparallel as ipp
kwargs = dict(engine_launcher_class="slurm", n={engines}, controller_ip="127.0.0.1",
              profile_dir=sys.argv[1])
if sys.argv[2] == "tuned":
    kwargs["controller_args"] = ["--HeartMonitor.period={heartbeat}"]
cluster = ipp.Cluster(**kwargs)
began = time.perf_counter()
client = cluster.start_and_connect_sync()
ready = time.perf_counter() - began
jobs = [str(launcher.job_id) for launcher in cluster.engines.values()]
client.close()
began = time.perf_counter()
cluster.stop_cluster_sync()
print(json.dumps({{"ready_s": ready, "stop_s": time.perf_counter() - began, "jobs": jobs}}))
"""


def raw_round(folder: Path, rig: SlurmRig, run: str, tuned: bool) -> dict[str, float]:
    """ipyparallel's Slurm launcher as a user would call it, in a fresh interpreter in
    a folder of its own (it writes slurm_engine.sbatch into the current folder)."""
    workdir = Path(tempfile.mkdtemp(prefix="raw-", dir=folder))
    code = RAW.format(engines=ENGINES, heartbeat=RAW_HEARTBEAT_MS)
    variables = {**os.environ, "SLURM_CONF": str(rig.conf), TAG: run}
    argv = [sys.executable, "-c", code, str(workdir / "profile"), "tuned" if tuned else "default"]
    done = subprocess.run(
        argv, cwd=workdir, env=variables, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"raw ipyparallel failed: {done.stderr.strip()[-800:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if not (workdir / "slurm_engine.sbatch").exists():
        raise RuntimeError("raw ipyparallel wrote no slurm_engine.sbatch where it ran")
    gone = seconds_until_gone(rig, measured["jobs"])
    return {
        "ready_s": measured["ready_s"],
        "stop_s": measured["stop_s"],
        "stop_to_no_job_s": measured["stop_s"] + gone,
    }


def start_and_stop(
    folder: Path, rig: SlurmRig, run: str, rounds: int, problems: list[str], warm_up: bool = True
) -> dict[str, Any]:
    server, offered = slurm_server(folder / "server-phase1", rig, run, {})
    rest: list[dict[str, float]] = []
    raw: list[dict[str, float]] = []
    tuned: list[dict[str, float]] = []
    try:
        if warm_up:
            rest_round(server, rig)  # the server's first start imports ipyparallel
            raw_round(folder, rig, run, tuned=False)  # and the page cache for a new interpreter
        for _ in range(rounds):
            rest.append(rest_round(server, rig))
            raw.append(raw_round(folder, rig, run, tuned=False))
            tuned.append(raw_round(folder, rig, run, tuned=True))
    finally:
        problems += finish(server, folder / "server-phase1")
    result = {
        "partitions_offered_after_start_s": round(offered, 2),
        "rest_ready_s": summary(rest, "ready_s"),
        "rest_stop_reply_s": summary(rest, "stop_reply_s"),
        "rest_stop_to_no_job_s": summary(rest, "stop_to_no_job_s"),
        "ipyparallel_default_ready_s": summary(raw, "ready_s"),
        "ipyparallel_default_stop_s": summary(raw, "stop_s"),
        "ipyparallel_default_stop_to_no_job_s": summary(raw, "stop_to_no_job_s"),
        "ipyparallel_250ms_ready_s": summary(tuned, "ready_s"),
        "ipyparallel_250ms_stop_to_no_job_s": summary(tuned, "stop_to_no_job_s"),
        "rounds": {
            "rest": [rounded(r) for r in rest],
            "ipyparallel_default": [rounded(r) for r in raw],
            "ipyparallel_250ms": [rounded(r) for r in tuned],
        },
    }
    ready = result["rest_ready_s"]["median"]
    result["ratio_rest_to_ipyparallel_default"] = round(
        ready / result["ipyparallel_default_ready_s"]["median"], 3
    )
    result["ratio_rest_to_ipyparallel_250ms"] = round(
        ready / result["ipyparallel_250ms_ready_s"]["median"], 3
    )
    return result


def finish(server: Server, folder: Path) -> list[str]:
    """Delete what a phase left, stop the server and wait for its processes; problems."""
    problems: list[str] = []
    with contextlib.suppress(OSError):
        problems += [f"left in the server: {pool}" for pool in delete_every_pool(server)]
    problems += stop_everything(server, folder / "profile")
    problems += [f"server log: {line}" for line in logged_errors(folder / "server.log")]
    return problems


# --- phase 2: a cancelled job -----------------------------------------------------


def cancel_round(server: Server, rig: SlurmRig, settle: float) -> dict[str, Any]:
    pool, _ = start_pool(server)
    time.sleep(settle)  # pacing: the job polling is meant to back off meanwhile
    victim = jobs_of(pool)[0]
    began = time.perf_counter()
    rig.cancel(victim)
    pool = wait_pool(
        server, pool["id"], lambda p: p["state"] == "degraded", DEGRADED_TIMEOUT_S, 0.1
    )
    seen = time.perf_counter() - began
    error = pool["error"] or ""
    if f"job {victim}" in error:
        noticed_by = "squeue"
    elif "heartbeat" in error:
        noticed_by = "heartbeat"
    else:
        noticed_by = "other"
    delete_pool(server, rig, pool)
    return {"degraded_s": seen, "noticed_by": noticed_by, "error": error[:200]}


def cancelled_job(
    folder: Path,
    rig: SlurmRig,
    run: str,
    rounds: int,
    settle: float,
    poll: float | None,
    problems: list[str],
) -> dict[str, Any]:
    name = "server-poll-default" if poll is None else f"server-poll-{poll:g}s"
    jasmin = {} if poll is None else {"job_poll_seconds": poll}
    server, _ = slurm_server(folder / name, rig, run, jasmin)
    found: list[dict[str, Any]] = []
    try:
        for _ in range(rounds):
            found.append(cancel_round(server, rig, settle))
    finally:
        problems += finish(server, folder / name)
    noticed = [r["noticed_by"] for r in found]
    result = {
        "job_poll_seconds": poll if poll is not None else "default (3, doubling to 60)",
        "degraded_s": summary(found, "degraded_s"),
        "noticed_by": {way: noticed.count(way) for way in sorted(set(noticed))},
        "rounds": [rounded(r) for r in found],
    }
    return result


# --- phase 3: the cost of watching Slurm ------------------------------------------

COUNTING_SQUEUE = """#!/bin/sh
echo "$(date +%s.%N) $*" >> {log}
exec {squeue} "$@"
"""


def counting_squeue(folder: Path) -> tuple[Path, Path]:
    """A folder holding an ``squeue`` that logs each call, and its log."""
    bin_dir, log = folder / "counting-bin", folder / "squeue-calls.log"
    bin_dir.mkdir(parents=True)
    real = shutil.which("squeue")
    if real is None:
        raise RuntimeError("squeue is not on PATH")
    script = bin_dir / "squeue"
    script.write_text(COUNTING_SQUEUE.format(log=log, squeue=real))
    script.chmod(0o755)
    log.touch()
    return bin_dir, log


def squeue_calls(log: Path, began: float, ended: float) -> dict[str, Any]:
    """The calls logged between two times: how many, per minute, and how far apart."""
    calls = []
    for line in log.read_text().splitlines():
        when, _, argv = line.partition(" ")
        if began <= float(when) <= ended:
            calls.append((float(when), argv))
    times = [when for when, _ in calls]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    return {
        "calls": len(calls),
        "per_minute": round(len(calls) / (ended - began) * 60, 1),
        "job_state_calls": sum(1 for _, argv in calls if "-t all -j" in argv),
        "seconds_between_calls": [round(gap, 2) for gap in gaps],
    }


def quiet_window(server: Server, log: Path, seconds: float, load: MachineLoad) -> dict[str, Any]:
    """The event loop and squeue calls over ``seconds`` of whatever runs now."""
    server.call("GET", "diagnostics/event-loop?reset=1")
    began = time.time()
    time.sleep(seconds)  # the measured window itself
    loop = server.call("GET", "diagnostics/event-loop")
    ended = time.time()
    return {
        "seconds": round(ended - began, 1),
        "max_stall_ms": loop["max_stall_ms"],
        "p99_stall_ms": loop["p99_stall_ms"],
        "stalls_over_50ms": loop["stalls_over_50ms"],
        "ticks": loop["ticks"],
        "squeue": squeue_calls(log, began, ended),
        "machine": load.between(began, ended),
    }


def pending_pool(server: Server) -> Pool:
    """A 1-engine pool whose job waits in the queue (the running pool fills the node)."""
    pool = post_pool(server, 1)

    def pending(p: Pool) -> bool:
        states = [s["job"]["state"] for s in p["engine_sets"] if s["job"]]
        return p["state"] == "starting" and states == ["PENDING"]

    return wait_pool(server, pool["id"], pending, 60, 0.2)


def watching_cost(
    folder: Path, rig: SlurmRig, run: str, steady: float, load: MachineLoad, problems: list[str]
) -> dict[str, Any]:
    name = "server-phase3"
    bin_dir, log = counting_squeue(folder / "squeue-counter")
    server, _ = slurm_server(folder / name, rig, run, {}, path_first=bin_dir)
    result: dict[str, Any] = {}
    try:
        result["no_pool"] = quiet_window(server, log, steady, load)
        busy, _ = start_pool(server)
        waiting = pending_pool(server)
        result["running_and_pending"] = quiet_window(server, log, steady, load)
        still = server.call("GET", f"clusters/{waiting['id']}")
        if still["state"] != "starting" or busy["state"] != "running":
            raise RuntimeError(f"the pending pool is {still['state']}, expected starting")
        delete_pool(server, rig, waiting)
        result["running_only"] = quiet_window(server, log, 2 * steady, load)
        delete_pool(server, rig, busy)
    finally:
        problems += finish(server, folder / name)
    return result


# --- leftovers --------------------------------------------------------------------


def tagged_processes(run: str) -> list[psutil.Process]:
    """Live processes that carry this run's tag (servers, controllers, engines, jobs)."""
    found = []
    for process in psutil.process_iter(["environ"]):
        if process.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            tagged = (process.info["environ"] or {}).get(TAG) == run
            if tagged and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def left_behind(rig: SlurmRig, folder: Path, run: str) -> list[str]:
    """Jobs still in squeue and processes of this run still alive, after a deadline
    (nannies linger a second or two); each is killed and named."""
    problems = []
    with contextlib.suppress(RuntimeError):
        wait_for(lambda: not live_jobs(rig), LEFTOVER_WAIT_S, "squeue to empty", 0.5)
    problems += [f"job {job} still in squeue" for job in sorted(live_jobs(rig))]

    def processes() -> list[psutil.Process]:
        found = {p.pid: p for p in tagged_processes(run) + pool_processes(folder)}
        found.update({p.pid: p for p in rig.processes()})
        return list(found.values())

    with contextlib.suppress(RuntimeError):
        wait_for(lambda: not processes(), LEFTOVER_WAIT_S, "processes to end", 0.5)
    for process in processes():
        with contextlib.suppress(psutil.Error):
            problems.append(f"pid {process.pid} left: {' '.join(process.cmdline())[:200]}")
            process.kill()
    return problems


def stop_rig(rig: SlurmRig) -> list[str]:
    try:
        rig.stop()
    except pytest.fail.Exception as error:  # the rig's own checks speak through pytest
        return [f"the rig: {str(error)[:500]}"]
    alive = [name for name, daemon in rig.daemons.items() if daemon.poll() is None]
    return [f"the rig's {name} still running" for name in alive]


# --- the run ----------------------------------------------------------------------


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    run = f"{os.getpid()}-{time.time():.0f}"
    rig = SlurmRig.start(folder / "slurm")
    result: dict[str, Any] = {"rig_started_in_s": round(rig.started_in, 2)}
    failures: list[str] = []
    problems: list[str] = []  # what each phase left behind, whether it failed or not
    rounds, settle, steady = args.rounds, args.settle, args.steady
    phases: dict[str, Callable[[MachineLoad], dict[str, Any]]] = {
        "start_and_stop": lambda _: start_and_stop(
            folder, rig, run, rounds, problems, not args.quick
        ),
        "cancelled_job_default_polling": lambda _: cancelled_job(
            folder, rig, run, rounds, settle, None, problems
        ),
        "cancelled_job_polling_1s": lambda _: cancelled_job(
            folder, rig, run, rounds, settle, 1.0, problems
        ),
        "watching_slurm": lambda load: watching_cost(folder, rig, run, steady, load, problems),
    }
    if args.quick:  # the same code as the default polling's, another setting
        del phases["cancelled_job_polling_1s"]
    try:
        result["versions"] = versions(rig)
        result["other_slurm_rigs_running"] = other_slurms(rig)
        with MachineLoad() as load:
            for name, phase in phases.items():
                began = time.time()
                print(f"... {name}", file=sys.stderr, flush=True)
                try:
                    result[name] = phase(load)
                except Exception as error:
                    failures.append(f"{name}: {type(error).__name__}: {error}")
                result.setdefault("machine_load", {})[name] = load.between(began, time.time())
    finally:
        problems += left_behind(rig, folder, run)
        rig_stopping = time.perf_counter()
        problems += stop_rig(rig)
        result["rig_stopped_in_s"] = round(time.perf_counter() - rig_stopping, 2)
    result["failures"] = failures
    result["left_behind"] = problems
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle", type=float, default=10.0, help="s of running before scancel")
    parser.add_argument("--steady", type=float, default=45.0, help="s of each quiet window")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="no warm-up round, the default job polling only: a smoke test",
    )
    json_option(parser, "slurm-pool.json")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminated)

    began = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="slurm-bench-") as folder:
        measured = measure(args, Path(folder))
    result = {
        "benchmark": "slurm-pool",
        "engines": ENGINES,
        "rounds": args.rounds,
        "settle_s": args.settle,
        "steady_s": args.steady,
        "pool_options": OPTIONS,
        "machine": {
            **machine(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
        "took_s": round(time.time() - began),
        **measured,
    }
    result["figures"] = figures(result)
    write_result(args.json, result)
    print_table(result)
    if result["failures"] or result["left_behind"]:
        for line in result["failures"] + result["left_behind"]:
            print(f"FAILED: {line}", file=sys.stderr)
        sys.exit(1)


# --- the table --------------------------------------------------------------------


def figures(result: dict[str, Any]) -> list[Figure]:
    """What a phase measured (a failed phase has nothing to show)."""
    found: list[Figure] = []
    start = result.get("start_and_stop")
    if start:
        found += pool_figures(
            f"{ENGINES}-engine Slurm pool",
            start["rest_ready_s"]["median"],
            start["ipyparallel_default_ready_s"]["median"],
            start["ipyparallel_250ms_ready_s"]["median"],
            start["rest_stop_reply_s"]["median"],
        )
        found.append(
            figure(
                "Slurm: DELETE until no job in squeue",
                start["rest_stop_to_no_job_s"]["median"],
                "s",
            )
        )
    for key, polling in (
        ("cancelled_job_default_polling", "default job polling"),
        ("cancelled_job_polling_1s", "job_poll_seconds=1"),
    ):
        cancelled = result.get(key)
        if cancelled:
            noticed = ", ".join(f"{n} by {way}" for way, n in cancelled["noticed_by"].items())
            found.append(
                figure(
                    f"Slurm: scancel to degraded, {polling}",
                    cancelled["degraded_s"]["median"],
                    "s",
                    noticed,
                )
            )
    for key, label in (
        ("running_and_pending", "a pool running, one pending"),
        ("running_only", "a pool running"),
    ):
        window = (result.get("watching_slurm") or {}).get(key)
        if window:
            found.append(
                below(
                    f"Slurm: event loop's worst stall, {label}",
                    window["max_stall_ms"],
                    "ms",
                    50,
                    f"over {window['seconds']:g} s",
                )
            )
            found.append(
                figure(f"Slurm: squeue calls, {label}", window["squeue"]["per_minute"], "/min")
            )
    return found


def line(label: str, figures: dict[str, float] | None, unit: str = "s") -> str:
    if not figures:
        return f"  {label:<58} (not measured)"
    return (
        f"  {label:<58} {figures['median']:7.2f} [{figures['min']:.2f}-{figures['max']:.2f}] {unit}"
    )


def print_table(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    print(f"\n2-engine Slurm pool on a 1-node rig, {rounds} rounds: median [min-max]")
    start = result.get("start_and_stop") or {}
    print("Start (what a panel user waits for)")
    for label, key in (
        ("jupyter_jasmin REST, POST to running", "rest_ready_s"),
        ("ipyparallel Cluster(slurm).start_and_connect_sync()", "ipyparallel_default_ready_s"),
        ("  same, --HeartMonitor.period=250", "ipyparallel_250ms_ready_s"),
    ):
        print(line(label, start.get(key)))
    if start:
        print(
            f"  ratio REST / ipyparallel default: {start['ratio_rest_to_ipyparallel_default']}"
            f"   REST / ipyparallel 250 ms: {start['ratio_rest_to_ipyparallel_250ms']}"
        )
    print("Stop")
    for label, key in (
        ("jupyter_jasmin DELETE, reply (stopped)", "rest_stop_reply_s"),
        ("jupyter_jasmin DELETE to no job in squeue", "rest_stop_to_no_job_s"),
        (
            "ipyparallel stop_cluster_sync() to no job in squeue",
            "ipyparallel_default_stop_to_no_job_s",
        ),
    ):
        print(line(label, start.get(key)))
    settle = result["settle_s"]
    print(f"scancel of one engine's job to 'degraded' over REST, {settle:g} s after running")
    for label, key in (
        ("default job polling (3 s, backing off)", "cancelled_job_default_polling"),
        ("c.Jasmin.job_poll_seconds=1", "cancelled_job_polling_1s"),
    ):
        found = result.get(key) or {}
        print(line(label, found.get("degraded_s")) + f"  noticed by {found.get('noticed_by')}")
    print_watching(result.get("watching_slurm") or {})
    for name, load in (result.get("machine_load") or {}).items():
        print(
            f"  machine during {name}: CPU busy {load['cpu_busy_percent_mean']}% mean, "
            f"{load['cpu_busy_percent_max']}% max, load average {load['load_average_1min_at_end']}"
        )
    if result["failures"] or result["left_behind"]:
        print(f"FAILURES: {result['failures']}  LEFT BEHIND: {result['left_behind']}")


def print_watching(watching: dict[str, Any]) -> None:
    print("Watching Slurm: event loop and squeue calls")
    for label, key in (
        ("no pool", "no_pool"),
        ("1 pool running + 1 pending", "running_and_pending"),
        ("1 pool running alone (polling backs off)", "running_only"),
    ):
        window = watching.get(key)
        if not window:
            print(f"  {label:<42} (not measured)")
            continue
        print(
            f"  {label:<42} {window['seconds']:5.0f} s: worst stall {window['max_stall_ms']} ms, "
            f"p99 {window['p99_stall_ms']} ms, {window['stalls_over_50ms']} over 50 ms; "
            f"squeue {window['squeue']['calls']} calls ({window['squeue']['per_minute']}/min)"
        )


if __name__ == "__main__":
    main()

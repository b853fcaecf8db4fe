"""How long a researcher waits for a 2-engine MPI pool through the REST API, next to
ipyparallel's own MPI launcher with its defaults.

    python benchmarks/mpi_pool.py [--rounds 3] [--quick] [--json PATH]

In one run on this VM (Debian's Open MPI, mpi4py from PyPI), alternating each round:
``POST clusters`` with the ``mpi`` backend until the pool runs with both engines located
(what a panel user waits for), then ``DELETE``; against ``ipyparallel.Cluster(
engines="mpi", n=2).start_and_connect_sync()`` in a fresh interpreter with its defaults
(as root with Open MPI's two ``OMPI_ALLOW_RUN_AS_ROOT`` variables, which mpiexec needs
there). Servers are ``pool_start.Server``; results go to ``--json``
(benchmarks/results/mpi-pool.json).
Exit status 1 if a round failed or a controller, mpiexec or engine outlived its pool.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))

from _figures import json_option, machine, now, pool_figures, write_result
from load import logged_errors, pool_processes, stop_everything
from pool_start import Server, summary
from slurm_pool import environment, rounded, running, wait_pool

from jupyter_jasmin.clusters.backends.mpi import RUN_AS_ROOT

ENGINES = 2
START_TIMEOUT_S = 120


def mpi_server(folder: Path) -> Server:
    """A server offering the ``mpi`` backend with its defaults."""
    folder.mkdir()
    config = {
        "Jasmin": {
            "backends": ["local", "mpi"],
            "index_on_start": False,
            "index_dir": str(folder / "index"),
            "cache_dir": str(folder / "cache"),
        }
    }
    (folder / "jupyter_server_config.json").write_text(json.dumps(config))
    with environment({"JUPYTER_CONFIG_DIR": str(folder)}):
        return Server(folder)


def rest_round(server: Server) -> dict[str, float]:
    began = time.perf_counter()
    pool = server.call("POST", "clusters", {"backend": "mpi", "engines": ENGINES})
    pool = wait_pool(server, pool["id"], running(ENGINES), START_TIMEOUT_S, 0.02)
    ready = time.perf_counter() - began
    if [s["requested"] for s in pool["engine_sets"]] != [ENGINES]:
        raise RuntimeError(f"not one world of {ENGINES}: {pool['engine_sets']}")
    began = time.perf_counter()
    reply = server.call("DELETE", f"clusters/{pool['id']}")
    if reply["state"] != "stopped":
        raise RuntimeError(f"DELETE replied {reply['state']}: {reply['error']}")
    return {"ready_s": ready, "stop_s": time.perf_counter() - began}


RAW = """
import json, sys, time, ipyparallel as ipp
cluster = ipp.Cluster(engines="mpi", n={engines}, profile_dir=sys.argv[1])
began = time.perf_counter()
client = cluster.start_and_connect_sync()
ready = time.perf_counter() - began
ids = client.ids
client.close()
began = time.perf_counter()
cluster.stop_cluster_sync()
print(json.dumps({{"ready_s": ready, "stop_s": time.perf_counter() - began, "ids": ids}}))
"""


def raw_round(folder: Path) -> dict[str, float]:
    """ipyparallel's MPI launcher as a user would call it, in a fresh interpreter."""
    profile = Path(tempfile.mkdtemp(prefix="raw-", dir=folder)) / "profile"
    variables = {**os.environ, **(RUN_AS_ROOT if os.geteuid() == 0 else {})}
    done = subprocess.run(
        [sys.executable, "-c", RAW.format(engines=ENGINES), str(profile)],
        env=variables,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"raw ipyparallel failed: {done.stderr.strip()[-800:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["ids"] != list(range(ENGINES)):
        raise RuntimeError(f"raw ipyparallel's engines are {measured['ids']}")
    left = psutil.wait_procs(pool_processes(profile), timeout=15)[1]
    if left:
        raise RuntimeError(f"raw ipyparallel left {[p.pid for p in left]}")
    return {"ready_s": measured["ready_s"], "stop_s": measured["stop_s"]}


def versions() -> dict[str, str]:
    names = ["jupyter_jasmin", "ipyparallel", "mpi4py", "pyzmq"]
    found = {name: importlib.metadata.version(name) for name in names}
    mpiexec = subprocess.run(["mpiexec", "--version"], capture_output=True, text=True)
    return {"python": platform.python_version(), **found, "mpiexec": mpiexec.stdout.split("\n")[0]}


def measure(folder: Path, rounds: int, warm_up: bool = True) -> dict[str, Any]:
    server = mpi_server(folder / "server")
    rest: list[dict[str, float]] = []
    raw: list[dict[str, float]] = []
    try:
        if warm_up:
            rest_round(server)  # the server's first start imports ipyparallel
            raw_round(folder)  # and the page cache for a new interpreter
        for _ in range(rounds):
            rest.append(rest_round(server))
            raw.append(raw_round(folder))
    finally:
        problems = stop_everything(server, folder / "server" / "profile")
        logged = logged_errors(folder / "server" / "server.log")
        problems += [f"server log: {line}" for line in logged]
    ready = summary(rest, "ready_s")
    default = summary(raw, "ready_s")
    return {
        "rest_ready_s": ready,
        "rest_stop_s": summary(rest, "stop_s"),
        "ipyparallel_default_ready_s": default,
        "ipyparallel_default_stop_s": summary(raw, "stop_s"),
        "ratio_rest_to_ipyparallel_default": round(ready["median"] / default["median"], 3),
        "rounds": {
            "rest": [rounded(r) for r in rest],
            "ipyparallel_default": [rounded(r) for r in raw],
        },
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="no warm-up round: a smoke test (python -m benchmarks --quick)",
    )
    json_option(parser, "mpi-pool.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measured = measure(Path(folder), args.rounds, not args.quick)
    result = {
        "benchmark": "mpi-pool",
        "engines": ENGINES,
        "rounds": args.rounds,
        "machine": machine(),
        "versions": versions(),
        "when": now(),
        **measured,
    }
    result["figures"] = pool_figures(
        f"{ENGINES}-engine MPI pool",
        measured["rest_ready_s"]["median"],
        measured["ipyparallel_default_ready_s"]["median"],
        None,
        measured["rest_stop_s"]["median"],
    )
    write_result(args.json, result)
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))
    if measured["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

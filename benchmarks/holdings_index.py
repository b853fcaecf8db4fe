"""Holdings index speed on generated CMIP6 trees, next to ``find``; query latency via REST.

    python benchmarks/holdings_index.py [--quick] [--json PATH] [--trees DIR] [--keep-trees]

Every time is the whole process a site admin's cron job runs, ``jupyter jasmin index``
(start-up included), against ``find ROOT -type f | wc -l`` on the same warm tree,
alternating, in one run (ratios of medians):

1. full builds (``--full``) of trees of each size in ``--sizes`` (the published DRS);
2. at ``--files``: a refresh of the unchanged tree, and one after adding a file to 1%
   of the datasets;
3. a full build of a tree of ``--files`` in the facility's layout (version folders of
   links into a ``files/`` store beside them);
4. a Jupyter server on the ``--files`` index: facet, search and page queries through the
   REST API (p50/p95/p99 over ``--requests`` each) and the server's memory.

``--quick`` (about 15 s) uses 20,000 files and one round. The result goes to ``--json
PATH`` (default benchmarks/results/holdings-index.json, or holdings-index-quick.json);
its ``figures`` list holds the headline figures with their targets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))

from drs_tree import build as build_tree
from pool_start import RESULTS, Server

JUPYTER = Path(sys.executable).parent / "jupyter"
CHANGED = "zz_new_200001-200012.nc"


class Run:
    """One timed process: wall seconds and CPU seconds (its children's included)."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        self.seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode:
            raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
        self.output = done.stdout + done.stderr


def find(root: Path) -> Run:
    return Run(["sh", "-c", f"find '{root}' -type f | wc -l"])


class Holding:
    """A tree, its config folder and index, indexed with ``jupyter jasmin index``."""

    def __init__(self, root: Path, scratch: Path, name: str) -> None:
        self.root, self.name = root, name
        self.config = scratch / f"config-{name}"
        self.config.mkdir()
        self.index = scratch / "index" / f"{name}.sqlite"
        settings = {"holdings": [{"name": name, "root": str(root), "drs": "cmip6"}]}
        settings["index_dir"] = str(self.index.parent)  # type: ignore[assignment]
        (self.config / "jupyter_server_config.json").write_text(json.dumps({"Jasmin": settings}))

    def index_run(self, *args: str) -> Run:
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(self.config)}
        return Run([str(JUPYTER), "jasmin", "index", *args], env)

    def dataset_folders(self) -> list[Path]:
        with sqlite3.connect(self.index) as db:
            return [self.root / path for (path,) in db.execute("SELECT path FROM datasets")]


def tree(trees: Path, files: int, layout: str = "drs") -> Path:
    """A generated tree, made once and kept in ``trees`` between runs."""
    root = trees / f"{layout}-{files}"
    marker = trees / f".made-{layout}-{files}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        print(f"making a {files:,}-file {layout} tree in {root} ...", flush=True)
        made = build_tree(root, files, layout=layout)
        marker.write_text(json.dumps(made))
    return root


def compare(holding: Holding, rounds: int, *args: str, warm: bool = False) -> dict[str, Any]:
    """``jupyter jasmin index ARGS`` against ``find``, alternating; medians and ratio.

    ``warm``: index once untimed first, so the files' inodes are cached as the folders
    are (``find -type f`` reads only folders; the index reads every file's size)."""
    find(holding.root)  # warm the tree
    if warm:
        holding.index_run(*args)
    finds, builds = [], []
    for _ in range(rounds):
        finds.append(find(holding.root))
        builds.append(holding.index_run(*args))
    find_s = statistics.median(run.seconds for run in finds)
    build_s = statistics.median(run.seconds for run in builds)
    return {
        "find_s": round(find_s, 3),
        "find_cpu_s": round(statistics.median(run.cpu for run in finds), 2),
        "index_s": round(build_s, 3),
        "index_cpu_s": round(statistics.median(run.cpu for run in builds), 2),
        "ratio": round(build_s / find_s, 2),
        "report": builds[-1].output.strip().splitlines()[-1][-160:],
    }


def figure(
    name: str, value: float, unit: str, target: str | None, met: bool | None, note: str = ""
) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met, "note": note}


def query_latency(server: Server, name: str, requests: int) -> dict[str, dict[str, float]]:
    facets = server.call("GET", f"holdings/{name}/facets")["facets"]
    models = [v["value"] for v in facets["source_id"]]
    tables = [v["value"] for v in facets["table_id"]]
    variables = [v["value"] for v in facets["variable_id"]]
    experiments = [v["value"] for v in facets["experiment_id"]]
    random.seed(1)
    base = f"holdings/{name}"
    kinds = {
        "facets, no selection": lambda: f"{base}/facets",
        "facets, 1 selection": lambda: f"{base}/facets?table_id={random.choice(tables)}",
        "facets, 3 selections": lambda: (
            f"{base}/facets?table_id={random.choice(tables)}"
            f"&variable_id={random.choice(variables)}&experiment_id={random.choice(experiments)}"
        ),
        "text search": lambda: f"{base}/datasets?q={random.choice(models).lower()}%20amon",
        "datasets page": lambda: (
            f"{base}/datasets?source_id={random.choice(models)}"
            f"&offset={random.randrange(0, 40)}&limit=50"
        ),
    }
    results = {}
    for label, path in kinds.items():
        samples = []
        for _ in range(requests):
            url = path()
            started = time.perf_counter()
            server.call("GET", url)
            samples.append(time.perf_counter() - started)
        ordered = sorted(samples)

        def at(fraction: float, ordered: list[float] = ordered) -> float:
            return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

        results[label] = {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}
    return results


def serve(holding: Holding, scratch: Path, requests: int) -> dict[str, Any]:
    workdir = scratch / "server"
    workdir.mkdir()
    (workdir / "jupyter_server_config.json").write_text(
        (holding.config / "jupyter_server_config.json").read_text()
    )
    previous = os.environ.get("JUPYTER_CONFIG_DIR")
    os.environ["JUPYTER_CONFIG_DIR"] = str(workdir)
    server = Server(workdir)
    try:
        started = time.perf_counter()
        server.call("GET", f"holdings/{holding.name}/facets")
        first = time.perf_counter() - started
        latency = query_latency(server, holding.name, requests)
        rss = psutil.Process(server.process.pid).memory_info().rss
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("JUPYTER_CONFIG_DIR", None)
        else:
            os.environ["JUPYTER_CONFIG_DIR"] = previous
    return {"first_query_s": round(first, 3), "queries": latency, "server_rss_bytes": rss}


def ratio_figure(name: str, measured: dict[str, Any], limit: float, note: str) -> dict[str, Any]:
    return figure(
        name,
        measured["ratio"],
        "x",
        f"<= {limit}",
        measured["ratio"] <= limit,
        f"{measured['index_s']} s ({measured['index_cpu_s']} CPU-s) against find "
        f"{measured['find_s']} s ({measured['find_cpu_s']} CPU-s){note}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--sizes", default="100000,300000,1000000,3000000")
    parser.add_argument("--trees", type=Path, default=None, help="where to make and keep trees")
    parser.add_argument("--keep-trees", action="store_true", help="keep trees made in --trees")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-facility", action="store_true")
    parser.add_argument("--quick", action="store_true", help="20,000 files, 1 round")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    # a runner ends a benchmark with SIGTERM: stop the server and remove the trees then too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = sorted({int(size) for size in args.sizes.split(",")} | {args.files})
    if args.quick:
        args.files, sizes, args.rounds, args.requests = 20_000, [20_000], 1, 100

    with tempfile.TemporaryDirectory(prefix="holdings-index-") as scratch_name:
        scratch = Path(scratch_name)
        trees = args.trees or scratch / "trees"
        trees.mkdir(parents=True, exist_ok=True)
        made_here = {path.name for path in trees.iterdir()}
        try:
            result = measure(args, sizes, trees, scratch)
        finally:
            if args.trees and not args.keep_trees:
                for path in trees.iterdir():
                    if path.name not in made_here:
                        shutil.rmtree(path) if path.is_dir() else path.unlink()
    text = json.dumps(result, indent=2) + "\n"
    path = args.json or RESULTS / (
        "holdings-index-quick.json" if args.quick else "holdings-index.json"
    )
    # whole or not at all: a runner reads it as soon as this process exits
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(text)
    os.replace(partial, path)
    print(text)


def measure(
    args: argparse.Namespace, sizes: list[int], trees: Path, scratch: Path
) -> dict[str, Any]:
    (scratch / "index").mkdir()
    figures: list[dict[str, Any]] = []
    builds: dict[int, dict[str, Any]] = {}

    def full_build(files: int) -> Holding:
        holding = Holding(tree(trees, files), scratch, f"drs{files}")
        measured = compare(holding, args.rounds, "--full", warm=True)
        measured["files_per_s"] = round(files / measured["index_s"])
        builds[files] = measured
        print(f"{files:,} files: {measured}", flush=True)
        figures.append(
            ratio_figure(
                f"index --full / find, {files:,} files",
                measured,
                1.5 if files >= 1_000_000 else 2.0,
                f"; {measured['files_per_s']:,} files/s",
            )
        )
        return holding

    # the largest trees last: their inodes push the others' out of the cache
    for files in sizes:
        if files <= args.files:
            main_holding = full_build(files)
    unchanged = compare(main_holding, args.rounds)
    figures.append(
        ratio_figure(f"refresh, unchanged / find, {args.files:,} files", unchanged, 0.5, "")
    )
    changed_folders = main_holding.dataset_folders()[::100]
    runs = []
    for round_ in range(args.rounds):
        for folder in changed_folders:  # a new file in 1% of the datasets
            (folder / f"{round_}{CHANGED}").touch()
        runs.append(compare(main_holding, 1))
    for folder in changed_folders:
        for round_ in range(args.rounds):
            (folder / f"{round_}{CHANGED}").unlink()
    changed = {
        key: statistics.median(run[key] for run in runs)
        for key in ("find_s", "find_cpu_s", "index_s", "index_cpu_s", "ratio")
    }
    figures.append(
        ratio_figure(
            f"refresh, 1% of datasets changed / find, {args.files:,} files", changed, 0.7, ""
        )
    )
    facility = None
    if not args.no_facility:
        holding = Holding(tree(trees, args.files, "facility"), scratch, "facility")
        facility = compare(holding, args.rounds, "--full", warm=True)
        print(f"facility layout: {facility}", flush=True)
        figures.append(
            ratio_figure(
                f"index --full / find, facility layout, {args.files:,} files",
                facility,
                1.5 if args.files >= 1_000_000 else 2.0,
                "",
            )
        )
    served = serve(main_holding, scratch, args.requests)
    for files in sizes:
        if files > args.files:
            full_build(files)
    for label, latency in served["queries"].items():
        figures.append(
            figure(
                f"REST {label}, p99, {args.files:,} files",
                latency["p99_ms"],
                "ms",
                "< 10",
                latency["p99_ms"] < 10,
                f"p50 {latency['p50_ms']} ms over {args.requests} requests",
            )
        )
    figures.append(
        figure(
            f"server memory with the index loaded, {args.files:,} files",
            round(served["server_rss_bytes"] / 2**20),
            "MB",
            None,
            None,
            "resident set of the Jupyter server after the queries",
        )
    )
    if args.quick:  # the targets are set for 100,000 files and more
        for each in figures:
            each["note"] += f" (quick run; target {each['target']} at full size)"
            each["target"] = each["met"] = None
    return {
        "benchmark": "holdings-index",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
        "files": args.files,
        "full_builds": builds,
        "refresh_unchanged": unchanged,
        "refresh_1pct_changed": changed,
        "facility_layout": facility,
        **served,
        "figures": figures,
    }


if __name__ == "__main__":
    main()

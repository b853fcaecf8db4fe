"""Holdings index speed on a synthetic CMIP6 tree, next to ``find``; query latency via REST.

    python benchmarks/holdings_index.py [--files 1000000] [--tree /work/bench-1m] [--quick]

1. Builds (or reuses) a CMIP6-layout tree of empty files.
2. Times ``find ROOT -type f | wc -l`` on the warm tree, then a full index build
   (``jupyter_jasmin.holdings.index.build_index``), alternating, and an incremental
   refresh after touching 1% of the dataset folders.
3. Starts a Jupyter server on that index and times facet, search and page queries
   through the REST API (p50/p95/p99 over 200 requests each).
Results go to benchmarks/results/holdings-index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def find_seconds(root: Path) -> float:
    return timed(["sh", "-c", f"find '{root}' -type f | wc -l"])


def build_seconds(root: Path, index: Path, incremental: bool) -> dict[str, Any]:
    # in a fresh interpreter, as the server's refresh and the CLI run it
    code = (
        "import json, sys, time\n"
        "from jupyter_jasmin.holdings.drs import DrsTemplate\n"
        "from jupyter_jasmin.holdings.index import build_index\n"
        "started = time.perf_counter()\n"
        f"report = build_index('bench', {str(root)!r}, DrsTemplate.named('cmip6'), "
        f"{str(index)!r}, incremental={incremental})\n"
        "print(json.dumps({'seconds': time.perf_counter() - started, **report.__dict__}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "n": len(ordered)}


def query_latency(server: Server, requests: int) -> dict[str, dict[str, float]]:
    facets = server.call("GET", "holdings/bench/facets")["facets"]
    models = [v["value"] for v in facets["source_id"]]
    tables = [v["value"] for v in facets["table_id"]]
    variables = [v["value"] for v in facets["variable_id"]]
    experiments = [v["value"] for v in facets["experiment_id"]]
    random.seed(1)
    kinds = {
        "facets, no selection": lambda: "holdings/bench/facets",
        "facets, 1 selection": lambda: f"holdings/bench/facets?table_id={random.choice(tables)}",
        "facets, 3 selections": lambda: (
            f"holdings/bench/facets?table_id={random.choice(tables)}"
            f"&variable_id={random.choice(variables)}&experiment_id={random.choice(experiments)}"
        ),
        "text search": lambda: f"holdings/bench/datasets?q={random.choice(models).lower()}%20amon",
        "datasets page": lambda: (
            f"holdings/bench/datasets?source_id={random.choice(models)}"
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
        results[label] = percentiles(samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--tree", type=Path, default=None, help="where to keep the tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20,000 files, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.files, args.rounds, args.requests = 20_000, 1, 200

    with tempfile.TemporaryDirectory(dir=args.tree.parent if args.tree else None) as scratch:
        root = args.tree or Path(scratch) / "tree"
        marker = root / f".made-{args.files}"
        if not marker.exists():
            print(f"making a {args.files:,}-file CMIP6 tree in {root} ...", flush=True)
            made = build_tree(root, args.files)
            marker.write_text(json.dumps(made))
        index = Path(scratch) / "index" / "bench.sqlite"
        find_seconds(root)  # warm the tree
        finds, builds = [], []
        for _ in range(args.rounds):
            finds.append(find_seconds(root))
            builds.append(build_seconds(root, index, incremental=False))
        report = builds[-1]
        # add a file to 1% of the dataset folders
        with sqlite3.connect(index) as db:
            leaves = [root / path for (path,) in db.execute("SELECT path FROM datasets")][::100]
        for leaf in leaves:
            (leaf / "zz_new_200001-200012.nc").touch()
        incremental = build_seconds(root, index, incremental=True)
        for leaf in leaves:
            (leaf / "zz_new_200001-200012.nc").unlink()

        workdir = Path(scratch) / "server"
        workdir.mkdir()
        (workdir / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "Jasmin": {
                        "holdings": [{"name": "bench", "root": str(root), "drs": "cmip6"}],
                        "index_dir": str(index.parent),
                        "index_on_start": False,
                    }
                }
            )
        )
        os.environ["JUPYTER_CONFIG_DIR"] = str(workdir)
        server = Server(workdir)
        try:
            started = time.perf_counter()
            server.call("GET", "holdings/bench/facets")
            first_query = time.perf_counter() - started
            latency = query_latency(server, args.requests)
            footprint = psutil.Process(server.process.pid).memory_info().rss
        finally:
            server.stop()

    find_median = statistics.median(finds)
    build_median = statistics.median(b["seconds"] for b in builds)
    result = {
        "benchmark": "holdings-index",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count()},
        "files": report["files"],
        "datasets": report["datasets"],
        "folders": report["folders"],
        "find_s": round(find_median, 3),
        "build_s": round(build_median, 3),
        "ratio_build_to_find": round(build_median / find_median, 2),
        "incremental_1pct_s": round(incremental["seconds"], 3),
        "incremental_reused_folders": incremental["reused_folders"],
        "first_query_s (loads the index)": round(first_query, 3),
        "queries": latency,
        "server_rss_bytes": footprint,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "holdings-index.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""catalog.csv of a big holding: request times and the server's memory under concurrent downloads.

    python benchmarks/catalog_csv.py [--files 240000] [--tree /tmp/jasmin-bench-240k]
                                     [--json PATH]

1. Builds (or reuses) a CMIP6-layout tree of empty files and indexes it.
2. Starts a Jupyter server on that index, with the event-loop watch on.
3. Times a first catalog.csv download (the CSV is built) and a second one; then six at
   once, sampling the server's RSS meanwhile and timing a small request made during them.
4. On a second server with an empty cache, six downloads at once before any was built.
Results go to ``--json`` (benchmarks/results/catalog-csv.json).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))

from _figures import figure, json_option, machine, now, write_result
from drs_tree import build as build_tree
from pool_start import Server

CSV = "holdings/bench/catalog.csv"
MB = 1024 * 1024


def download(server: Server) -> dict[str, Any]:
    """One catalog.csv, read as a client would, in 1 MB pieces; its time, size and digest."""
    request = urllib.request.Request(
        server.url + CSV, headers={"Authorization": f"token {server.token}"}
    )
    started = time.perf_counter()
    digest, size = hashlib.sha256(), 0
    with urllib.request.urlopen(request, timeout=300) as response:
        while piece := response.read(MB):
            digest.update(piece)
            size += len(piece)
    return {"s": time.perf_counter() - started, "bytes": size, "sha256": digest.hexdigest()}


class RssSampler:
    """The server's resident memory every 20 ms while downloads run; its peak."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def small_request_ms(server: Server) -> float:
    started = time.perf_counter()
    server.call("GET", "holdings/bench")
    return round((time.perf_counter() - started) * 1000, 1)


def at_once(server: Server, count: int) -> dict[str, Any]:
    """``count`` downloads at once; the server's RSS before, at its peak and after."""
    rss = psutil.Process(server.process.pid)
    before = rss.memory_info().rss
    server.call("GET", "diagnostics/event-loop?reset=1")
    sampler = RssSampler(server.process.pid)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(count + 1) as threads:
        downloads = [threads.submit(download, server) for _ in range(count)]
        time.sleep(0.5)  # a benchmark, not a test: let the downloads get going
        during = small_request_ms(server)
        results = [d.result() for d in downloads]
    wall = time.perf_counter() - started
    peak = sampler.stop()
    loop = server.call("GET", "diagnostics/event-loop")
    return {
        "downloads": count,
        "wall_s": round(wall, 2),
        "each_s": [round(r["s"], 2) for r in results],
        "same_content": len({r["sha256"] for r in results}) == 1,
        "bytes": results[0]["bytes"],
        "rss_before_mb": round(before / MB),
        "rss_peak_mb": round(peak / MB),
        "rss_after_mb": round(rss.memory_info().rss / MB),
        "small_request_during_ms": during,
        "loop_max_stall_ms": loop["max_stall_ms"],
    }


def serve(scratch: Path, name: str, index: Path) -> Server:
    workdir = scratch / name
    workdir.mkdir()
    holding = {"name": "bench", "root": os.environ["BENCH_TREE"], "drs": "cmip6"}
    (workdir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "Jasmin": {
                    "holdings": [holding],
                    "index_dir": str(index.parent),
                    "cache_dir": str(workdir / "cache"),
                    "index_on_start": False,
                }
            }
        )
    )
    os.environ["JUPYTER_CONFIG_DIR"] = str(workdir)
    server = Server(workdir)
    server.call("GET", "holdings/bench/facets")  # load the index
    return server


def index_tree(root: Path, index: Path) -> dict[str, Any]:
    from jupyter_jasmin.holdings.drs import DrsTemplate
    from jupyter_jasmin.holdings.index import build_index

    report = build_index("bench", str(root), DrsTemplate.named("cmip6"), str(index))
    return {"files": report.files, "datasets": report.datasets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=240_000)
    parser.add_argument("--tree", type=Path, default=Path("/tmp/jasmin-bench-240k"))
    parser.add_argument("--downloads", type=int, default=6)
    json_option(parser, "catalog-csv.json")
    args = parser.parse_args()

    root = args.tree
    marker = root / f".made-{args.files}"
    if not marker.exists():
        print(f"making a {args.files:,}-file CMIP6 tree in {root} ...", flush=True)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(build_tree(root, args.files)))
    os.environ["BENCH_TREE"] = str(root)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        index = scratch / "index" / "bench.sqlite"
        size = index_tree(root, index)

        server = serve(scratch, "warm", index)
        try:
            rss_idle = psutil.Process(server.process.pid).memory_info().rss
            first, second = download(server), download(server)
            warm = at_once(server, args.downloads)
        finally:
            server.stop()
        server = serve(scratch, "cold", index)
        try:
            cold = at_once(server, args.downloads)
        finally:
            server.stop()

    result = {
        "benchmark": "catalog-csv",
        "when": now(),
        "machine": machine(),
        **size,
        "csv_bytes": first["bytes"],
        "rss_idle_mb": round(rss_idle / MB),
        "first_request_s": round(first["s"], 2),
        "second_request_s": round(second["s"], 2),
        "at_once_after_first": warm,
        "at_once_on_an_empty_cache": cold,
    }
    size_note = f"{result['files']:,} files, {first['bytes'] / MB:.0f} MB"
    n = args.downloads
    result["figures"] = [
        figure("catalog.csv, first request (built)", first["s"], "s", size_note),
        figure(f"{n} downloads at once, built", warm["wall_s"], "s", size_note),
        figure(
            f"server RSS growth, {n} downloads at once",
            warm["rss_peak_mb"] - warm["rss_before_mb"],
            "MB",
        ),
        figure(f"a small request during {n} downloads", warm["small_request_during_ms"], "ms"),
        figure(f"{n} downloads at once, empty cache (one build)", cold["wall_s"], "s"),
        figure("event loop's worst stall, empty cache", cold["loop_max_stall_ms"], "ms"),
    ]
    write_result(args.json, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""pmap over a dataset's files, recorded for citations() or not: what the recording costs.

    python benchmarks/citations_pmap.py [--rounds 5] [--engines 2] [--json PATH]

1. Starts a Jupyter server on the CMIP6 sample archive (its index built at start) and a
   pool of ``--engines`` engines through its REST API.
2. Each round, in two fresh interpreters (a notebook's first map), times one cell:
   ``pmap(area_mean, files, pool=...)`` over the 65 files of AWI-CM-1-1-MR Amon, the
   files listed with ``glob`` (nothing recorded: what a user would otherwise run) and
   with ``holdings.dataset(...).files`` (the dataset recorded; its tracking_ids are
   read later, by ``citations()``, outside the time). The ratio recorded / not
   recorded is what citations cost a map.
3. Times reading those 65 tracking_ids alone (what reading them during the map would
   cost the calling thread), and ``provenance.mapped`` (the per-item lookup pmap
   does) over 100 000 paths.
Results go to benchmarks/results/citations-pmap.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _figures import figure, json_option, machine, now, write_result
from pool_start import Server
from pool_start import summary as pool_start_summary

DATASET = "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218"

FUNCTION = """
def area_mean(path):
    import netCDF4
    with netCDF4.Dataset(path) as data:
        return float(data["ta"][:].mean())
"""

LISTED = {
    "glob": (
        "import glob, importlib.util, os\n"
        "spec = importlib.util.find_spec('esmvaltool_sample_data')\n"
        "root = os.path.join(os.path.dirname(spec.origin), 'data', 'timeseries')\n"
        "files = sorted(os.path.realpath(p) for p in glob.glob(root + "
        "'/CMIP6/CMIP/AWI/AWI-CM-1-1-MR/historical/r1i1p1f1/Amon/ta/gn/v20181218/*.nc'))\n"
    ),
    "holdings": (
        "from jupyter_jasmin import holdings\n"
        f"files = holdings.dataset('cmip6-sample', {DATASET!r}).files\n"
    ),
}


def timed_map(listing: str, pool: str, environment: dict[str, str]) -> dict[str, float]:
    """One notebook cell in a fresh interpreter: list the files, map over them."""
    code = (
        "import time, jupyter_jasmin\n"
        "import jupyter_jasmin.holdings.api  # the same modules loaded in both\n"
        "from jupyter_jasmin import pmap\n"
        + FUNCTION
        + LISTED[listing]
        + "started = time.perf_counter()\n"
        + f"means = pmap(area_mean, files, pool={pool!r}, progress=False)\n"
        + "took = time.perf_counter() - started\n"
        + "print(len(files), len(jupyter_jasmin.citations()), took)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout
    files, cited, took = output.split()
    assert int(files) == 65, output
    assert int(cited) == (listing == "holdings"), output
    return {"map_s": float(took)}


def lookup_us_per_item(count: int) -> float:
    """provenance.mapped over ``count`` paths of a known dataset, per item."""
    from jupyter_jasmin import provenance

    paths = [f"/data/file-{n}.nc" for n in range(count)]
    provenance.note_files("bench", "a.dataset", "v1", paths)
    started = time.perf_counter()
    mapped = provenance.mapped(paths)
    took = time.perf_counter() - started
    assert mapped
    return took / count * 1e6


def tracking_ids_read_s() -> float:
    """Reading the 65 files' tracking_ids in one thread (what pmap does not do)."""
    import glob
    import importlib.util

    from jupyter_jasmin import provenance

    spec = importlib.util.find_spec("esmvaltool_sample_data")
    assert spec is not None
    assert spec.origin is not None
    root = os.path.join(os.path.dirname(spec.origin), "data", "timeseries")
    files = glob.glob(root + "/CMIP6/CMIP/AWI/AWI-CM-1-1-MR/historical/*/Amon/ta/gn/*/*.nc")
    started = time.perf_counter()
    found = [provenance.read_tracking_id(path) for path in files]
    took = time.perf_counter() - started
    assert len(found) == 65
    assert all(found)
    return took


def summary(values: list[float]) -> dict[str, float]:
    return pool_start_summary([{"s": value} for value in values], "s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engines", type=int, default=2)
    json_option(parser, "citations-pmap.json")
    args = parser.parse_args()

    plain: list[float] = []
    recorded: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        # the server's index (and so the scripts') in the run's folder, not the user's
        os.environ["JUPYTER_DATA_DIR"] = str(Path(workdir) / "data")
        server = Server(Path(workdir))
        try:
            deadline = time.monotonic() + 120
            while server.call("GET", "holdings/cmip6-sample")["state"] != "ready":
                assert time.monotonic() < deadline, "the index was not built in 120 s"
                time.sleep(0.2)
            pool = server.call("POST", "clusters", {"name": "bench", "engines": args.engines})
            while server.call("GET", f"clusters/{pool['id']}")["engines"]["running"] < args.engines:
                time.sleep(0.1)
            environment = {**os.environ, "JASMIN_PROFILE_DIR": str(Path(workdir) / "profile")}
            timed_map("glob", "bench", environment)  # warm-up: the engines import netCDF4
            for number in range(args.rounds):  # each first in every other round
                for listing in ("glob", "holdings") if number % 2 else ("holdings", "glob"):
                    took = timed_map(listing, "bench", environment)["map_s"]
                    (plain if listing == "glob" else recorded).append(took)
            server.call("DELETE", f"clusters/{pool['id']}")
        finally:
            server.stop()

    ratios = [r / p for r, p in zip(recorded, plain, strict=True)]
    result = {
        "benchmark": "citations-pmap",
        "dataset": DATASET,
        "files": 65,
        "engines": args.engines,
        "rounds": args.rounds,
        "machine": machine(),
        "when": now(),
        "map_not_recorded_s": summary(plain),
        "map_recorded_s": summary(recorded),
        "ratio_recorded_to_not": summary(ratios),
        "tracking_ids_read_s": round(tracking_ids_read_s(), 4),
        "lookup_us_per_item": round(lookup_us_per_item(100_000), 3),
    }
    ratio = result["ratio_recorded_to_not"]
    result["figures"] = [
        figure(
            "pmap over 65 files listed with glob (nothing recorded)",
            result["map_not_recorded_s"]["median"],
            "s",
        ),
        figure(
            "the same, files from holdings.dataset() (recorded)",
            result["map_recorded_s"]["median"],
            "s",
        ),
        figure(
            "map recorded / not recorded",
            ratio["median"],
            "x",
            f"rounds {ratio['min']}-{ratio['max']}",
        ),
        figure("provenance lookup per mapped item", result["lookup_us_per_item"], "µs"),
        figure(
            "reading the 65 tracking_ids (not done by a map)", result["tracking_ids_read_s"], "s"
        ),
    ]
    write_result(args.json, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Opening a many-file dataset with and without its virtual reference (holdings/refs.py).

    python benchmarks/open_refs.py [--repeats 3] [--tree /tmp/refs-bench] [--files 200]
                                   [--quick] [--json PATH]

Each measurement is a fresh Python process, as a user's new kernel: it imports the
holdings API and xarray (reported as "import"), then opens the dataset with
``holdings.open`` twice: the first open pays the lazy imports of the readers (netCDF4
and dask, or zarr, fsspec, kerchunk and h5py), the second is what every later open in
that kernel costs. Three ways:

- files: ``references=False``, ``open_mfdataset`` reading every file's header (today's open)
- build: ``references=True`` with no cached reference (removed before each open)
- cached: ``references=True`` with the reference cached beside the index

Datasets: sample archive datasets of 1 to 65 files, and a generated one of ``--files``
small files of the sample's shape (under ``--tree``). Warm OS cache (one warm-up run
first); the median of ``--repeats`` runs, ways alternating. Ratios are files / way (above
1: the reference is faster). Then, to place the threshold ``api.REFERENCES_FROM_FILES``,
later opens in one warm kernel of sample datasets of 1 to 13 files, each way
``3 * --repeats`` times. ``--quick`` measures one sample dataset (AWI-CM-1-1-MR Amon)
beside the generated one. Results go to ``--json`` (benchmarks/results/open-refs.json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _figures import Figure, above, figure, json_option, machine, now, write_result

SAMPLE = {
    "GFDL-ESM4 Amon": "CMIP6.CMIP.NOAA-GFDL.GFDL-ESM4.historical.r1i1p1f1.Amon.ta.gr1.v20190726",
    "BCC-CSM2-MR day": "CMIP6.CMIP.BCC.BCC-CSM2-MR.historical.r1i1p1f1.day.ta.gn.v20181127",
    "FGOALS-g3 Amon": "CMIP6.CMIP.CAS.FGOALS-g3.historical.r1i1p1f1.Amon.ta.gn.v20190818",
    "MPI-ESM1-2-HR Amon": "CMIP6.CMIP.MPI-M.MPI-ESM1-2-HR.historical.r1i1p1f1.Amon.ta.gn.v20190710",
    "AWI-CM-1-1-MR Amon": "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218",
    "EC-Earth3 Amon": (
        "CMIP6.CMIP.EC-Earth-Consortium.EC-Earth3.historical.r1i1p1f1.Amon.ta.gr.v20200310"
    ),
}
# Where references start to pay: later opens in one warm kernel, by number of files
SWEEP = [
    "CMIP6.CMIP.NOAA-GFDL.GFDL-ESM4.historical.r1i1p1f1.Amon.ta.gr1.v20190726",
    "CMIP6.CMIP.BCC.BCC-CSM2-MR.historical.r1i1p1f1.day.ta.gn.v20181127",
    "CMIP6.CMIP.AWI.AWI-ESM-1-1-LR.historical.r1i1p1f1.day.ta.gn.v20200212",
    "CMIP6.CMIP.CMCC.CMCC-CM2-HR4.historical.r1i1p1f1.Amon.ta.gn.v20200904",
    "CMIP6.CMIP.CAMS.CAMS-CSM1-0.historical.r1i1p1f1.Amon.ta.gn.v20190708",
    "CMIP6.CMIP.CAS.FGOALS-g3.historical.r1i1p1f1.Amon.ta.gn.v20190818",
    "CMIP6.CMIP.MPI-M.MPI-ESM1-2-HR.historical.r1i1p1f1.Amon.ta.gn.v20190710",
]
SWEEP_KERNEL = """
import json, statistics, time
from jupyter_jasmin import holdings
index_dir, ids, repeats = {args!r}
rows = []
for dataset_id in ids:
    files = len(holdings.dataset("cmip6-sample", dataset_id, index_dir=index_dir).files)
    seconds = {{False: [], True: []}}
    for way in (False, True) * (repeats + 1):  # the first of each warms up
        begun = time.perf_counter()
        holdings.open("cmip6-sample", dataset_id, index_dir=index_dir, references=way)
        seconds[way].append(time.perf_counter() - begun)
    rows.append({{"id": dataset_id, "files": files,
                 "files_s": statistics.median(seconds[False][1:]),
                 "cached_s": statistics.median(seconds[True][1:])}})
print(json.dumps(rows))
"""
QUICK = "AWI-CM-1-1-MR Amon"
GENERATED = "CMIP6.CMIP.BENCH.BENCH-1.historical.r1i1p1f1.Amon.ta.gn.v20250101"
WAYS = ("files", "build", "cached")

KERNEL = """
import json, os, time
started = time.perf_counter()
from jupyter_jasmin import holdings
from jupyter_jasmin.holdings import refs
import xarray
imported = time.perf_counter()
holding, dataset_id, index_dir, way = {args!r}
cache = refs.cache_path(index_dir, holding, dataset_id)
seconds = []
for _ in range(2):
    if way == "build" and os.path.exists(cache):
        os.remove(cache)
    begun = time.perf_counter()
    opened = holdings.open(holding, dataset_id, index_dir=index_dir, references=way != "files")
    seconds.append(time.perf_counter() - begun)
    steps = opened.sizes["time"]
print(json.dumps({{"import": imported - started, "first": seconds[0], "later": seconds[1],
                  "steps": steps}}))
"""


def generate(tree: Path, count: int) -> Path:
    """``count`` monthly files of one year each, ta(time, plev, lat, lon) of 2x3x3 as in
    the sample archive, netCDF-4 as CMOR writes it; made once."""
    import netCDF4
    import numpy as np

    folder = tree / "root" / GENERATED.replace(".", "/")
    if folder.is_dir() and len(list(folder.glob("*.nc"))) == count:
        return tree / "root"
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(1)
    for year in range(count):
        name = folder / f"ta_Amon_BENCH-1_historical_r1i1p1f1_gn_{1850 + year}01-{1850 + year}12.nc"
        with netCDF4.Dataset(name, "w") as out:
            out.tracking_id = f"hdl:21.14100/bench-{year:05d}"
            out.source_id = "BENCH-1"
            for dim, size in (("time", 12), ("plev", 2), ("lat", 3), ("lon", 3), ("bnds", 2)):
                out.createDimension(dim, size)
            time = out.createVariable("time", "f8", ("time",))
            time.units, time.calendar, time.bounds = "days since 1850-01-01", "365_day", "time_bnds"
            starts = 365 * year + np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
            ends = np.append(starts[1:], 365 * (year + 1))
            time[:] = (starts + ends) / 2
            out.createVariable("time_bnds", "f8", ("time", "bnds"))[:] = np.stack([starts, ends], 1)
            for axis, values in (
                ("plev", [100000.0, 92500.0]),
                ("lat", [-60.0, 0, 60]),
                ("lon", [0.0, 120, 240]),
            ):
                out.createVariable(axis, "f8", (axis,))[:] = values
            ta = out.createVariable("ta", "f4", ("time", "plev", "lat", "lon"))
            ta.units, ta.standard_name = "K", "air_temperature"
            ta[:] = 250 + 30 * generator.random((12, 2, 3, 3))
    return tree / "root"


def index(name: str, root: Path, index_dir: Path) -> None:
    from jupyter_jasmin.holdings.drs import DrsTemplate
    from jupyter_jasmin.holdings.index import build_index

    build_index(name, str(root), DrsTemplate.named("cmip6"), str(index_dir / f"{name}.sqlite"))


def kernel(
    environment: dict[str, str], holding: str, dataset_id: str, index_dir: Path, way: str
) -> dict[str, float]:
    code = KERNEL.format(args=(holding, dataset_id, str(index_dir), way))
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment
    ).stdout
    measured: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    measured["process"] = time.perf_counter() - started
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=Path("/tmp/refs-bench"))
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="one sample dataset, not six")
    json_option(parser, "open-refs.json")
    options = parser.parse_args()

    from jupyter_jasmin.holdings.config import sample_holdings

    sample = sample_holdings()[0]["root"]
    generated = generate(options.tree, options.files)
    index_dir = options.tree / "index"
    index_dir.mkdir(parents=True, exist_ok=True)
    index("cmip6-sample", Path(sample), index_dir)
    index("bench", generated, index_dir)
    environment = {
        **os.environ,
        "JASMIN_HOLDINGS": json.dumps(
            {
                "holdings": [
                    {"name": "cmip6-sample", "root": sample, "drs": "cmip6"},
                    {"name": "bench", "root": str(generated), "drs": "cmip6"},
                ],
                "index_dir": str(index_dir),
            }
        ),
    }

    sample_cases = {QUICK: SAMPLE[QUICK]} if options.quick else SAMPLE
    cases = [(label, "cmip6-sample", dataset_id) for label, dataset_id in sample_cases.items()]
    cases.append((f"generated, {options.files} files", "bench", GENERATED))
    rows: list[dict[str, Any]] = []
    for label, holding, dataset_id in cases:
        files = sum(
            1
            for _ in Path(sample if holding != "bench" else generated)
            .joinpath(dataset_id.replace(".", "/"))
            .glob("*.nc")
        )
        kernel(environment, holding, dataset_id, index_dir, "build")  # warm-up; leaves it cached
        runs: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
        for _ in range(options.repeats):
            for way in WAYS:
                runs[way].append(kernel(environment, holding, dataset_id, index_dir, way))
        medians = {
            way: {
                key: statistics.median(run[key] for run in measured)
                for key in ("import", "first", "later", "process")
            }
            for way, measured in runs.items()
        }
        assert len({run["steps"] for measured in runs.values() for run in measured}) == 1
        rows.append({"dataset": label, "file_count": files, **medians})
        print(f"measured {label}", file=sys.stderr)

    code = SWEEP_KERNEL.format(args=(str(index_dir), SWEEP, 3 * options.repeats))
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment
    ).stdout
    sweep = json.loads(output.strip().splitlines()[-1])

    header = (
        "| dataset | files | way | import s | first open s | later open s | process s "
        "| first: files/way | later: files/way |"
    )
    lines = [header, "|" + "---|" * 9]
    for row in rows:
        for way in WAYS:
            m, base = row[way], row["files"]
            lines.append(
                f"| {row['dataset']} | {row['file_count']} | {way} | {m['import']:.2f} "
                f"| {m['first']:.3f} | {m['later']:.3f} | {m['process']:.2f} "
                f"| {base['first'] / m['first']:.2f} | {base['later'] / m['later']:.2f} |"
            )
    lines += [
        "",
        "| files | files: open s | cached reference: open s | files/cached |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row['files']} | {row['files_s']:.3f} | {row['cached_s']:.3f} "
        f"| {row['files_s'] / row['cached_s']:.2f} |"
        for row in sweep
    ]
    table = "\n".join(lines)
    print(table)
    result = {
        "benchmark": "open-refs",
        "when": now(),
        "machine": machine(),
        "repeats": options.repeats,
        "rows": rows,
        "sweep": sweep,
        "table": table,
        "figures": figures(rows),
    }
    write_result(options.json, result)


def figures(rows: list[dict[str, Any]]) -> list[Figure]:
    """Per dataset: a kernel's first open with the files and with the cached reference,
    and how much faster a later open is with it (used from ``REFERENCES_FROM_FILES``)."""
    from jupyter_jasmin.holdings.api import REFERENCES_FROM_FILES

    found: list[Figure] = []
    for row in rows:
        label = f"{row['dataset']} ({row['file_count']} files)"
        files, cached = row["files"], row["cached"]
        found.append(figure(f"first open, files, {label}", files["first"], "s"))
        found.append(figure(f"first open, cached reference, {label}", cached["first"], "s"))
        ratio = files["later"] / cached["later"]
        name = f"later open: files / cached reference, {label}"
        if row["file_count"] >= REFERENCES_FROM_FILES:
            note = f"references are used from {REFERENCES_FROM_FILES} files on"
            found.append(above(name, ratio, "x", 1, note))
        else:
            found.append(figure(name, ratio, "x", "below the threshold: files are opened"))
    return found


if __name__ == "__main__":
    main()

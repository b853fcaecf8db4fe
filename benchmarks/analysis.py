"""How fast is a parallel analysis of CMIP-like files with ``jupyter_jasmin.pmap`` on a
2-engine pool, next to what a user would otherwise run: xarray in one process, xarray
with Dask on the same pool, CDO and NCO?

    python benchmarks/analysis.py [--quick] [--out DIR] [--json FILE] [--rounds 2]
                                  [--big-files N] [--small-files N]

The analysis: the time mean of ``ta`` (per plev, lat, lon) and its cos(lat)-weighted
global mean per time step and level, with the netCDF default fill the files hold
without declaring it masked everywhere. Files come from ``cmip_like.py`` (written once,
reused; not timed): big files (40 x 76 MB = 3 GB; ``--quick``: 4 x 50 MB) and many
small ones (300 x 140 KB; ``--quick``: 100; ``--big-files``/``--small-files`` take
fewer, as the one-command runner's quick mode does). Each way is timed as the user runs it,
commands' start-up included (the pool is started before and stopped after, untimed),
with the page cache warm and, for the big files, cold (each file's pages dropped with
``posix_fadvise(DONTNEED)`` first; this VM's host may still cache the disk). Every
result is checked against xarray's in one process before any time is reported: a
mismatch is an error, not a row. A plain sequential read of the same files (16 MB
blocks) gives the bandwidth each way reaches. Every way runs ``--rounds`` times,
interleaved, and its best round is reported (the machine is shared: the others' load,
logged per row, changes between rounds); NCO, by far the slowest, runs once
(``--nco-rounds``). One table is printed; results, every round's time included, go
to ``--json`` (default benchmarks/results/analysis[-quick].json).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import netCDF4
import numpy as np
import psutil
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))

from _figures import RESULTS, Figure, above, at_least, figure, machine, now, write_result
from cmip_like import PLEV8, Series, ensure_files, fill_share

from jupyter_jasmin import pmap

BIG = Series(files=40, months=24, nlat=144, nlon=288)  # 76 MB a file, 3.0 GB
QUICK_BIG = Series(files=4, months=16, nlat=144, nlon=288)  # 50 MB a file
SMALL = Series(files=300, months=12, nlat=12, nlon=24, plev=PLEV8, source_id="BENCH-LR")
QUICK_SMALL = Series(files=100, months=12, nlat=12, nlon=24, plev=PLEV8, source_id="BENCH-LR")
SMALL_PER_TASK = 10
CRASHES_ALLOWED = 3  # per row: a tool's crash is noted and run again, up to this
VALID_BELOW = 1e30  # |ta| at or above it is the hidden fill
# float32 data summed in float32 or float64 by each tool: relative agreement expected
RTOL = 1e-5
READ_BLOCK = 16 << 20


class Analysis(NamedTuple):
    time_mean: np.ndarray  # (plev, lat, lon), NaN where no step is valid
    global_mean: np.ndarray  # (time, plev)


class Mismatch(Exception):
    """A way's result differs from xarray's in one process."""


# --- the ways a user computes it -------------------------------------------------------


def xarray_mfdataset(files: Sequence[Path], scheduler: Any = "synchronous") -> Analysis:
    """xarray as most users write it: one dataset over all files, both results in one pass."""
    with xr.open_mfdataset(
        files,
        combine="nested",
        concat_dim="time",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        chunks={"time": -1},  # a chunk per file
    ) as ds:
        ta = ds.ta.where(abs(ds.ta) < VALID_BELOW)
        weights = np.cos(np.deg2rad(ds.lat))
        both = xr.Dataset(
            {"time_mean": ta.mean("time"), "global_mean": ta.weighted(weights).mean(("lat", "lon"))}
        ).compute(scheduler=scheduler)
    return Analysis(both.time_mean.values, both.global_mean.values)


def xarray_loop(files: Sequence[Path]) -> Analysis:
    """xarray without Dask: a loop over files, sums and counts, one file in memory at once."""
    sums: Any = 0
    counts: Any = 0
    series = []
    for path in files:
        with xr.open_dataset(path) as ds:
            ta = ds.ta.where(abs(ds.ta) < VALID_BELOW)
            weights = np.cos(np.deg2rad(ds.lat))
            sums = sums + ta.sum("time")
            counts = counts + ta.count("time")
            series.append(ta.weighted(weights).mean(("lat", "lon")).values)
    return Analysis((sums / counts).values, np.concatenate(series))


def file_partials(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs on an engine: one file's sums and counts over time, and its global means.

    Self-contained (imports inside, no globals): pmap sends it to the engines. Level
    by level: a level's time series (4 MB here) and its sums stay in the CPU's cache,
    where a whole file (76 MB) read at once and its float64 temporaries do not; that
    takes a third off the CPU time of a file."""
    import netCDF4
    import numpy as np

    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)  # the fill is undeclared: masked below, as everywhere
        var = ds["ta"]
        weights = np.cos(np.deg2rad(ds["lat"][:]))
        steps, levels = var.shape[:2]
        sums = np.empty(var.shape[1:])
        counts = np.empty(var.shape[1:], dtype=np.int32)
        global_mean = np.empty((steps, levels))
        for level in range(levels):
            ta = var[:, level]  # (time, lat, lon)
            valid = np.abs(ta) < 1e30
            ta[~valid] = 0
            sums[level] = ta.sum(axis=0, dtype=np.float64)
            counts[level] = valid.sum(axis=0)
            # cos(lat) weights over the valid cells: zonal sums first
            global_mean[:, level] = (ta.sum(axis=2) @ weights) / (valid.sum(axis=2) @ weights)
    return sums, counts, global_mean


def batch_partials(paths: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Runs on an engine, after ``file_partials`` was pushed to the engines."""
    return [file_partials(path) for path in paths]


def with_pmap(files: Sequence[Path], pool: Any, per_task: int = 1) -> Analysis:
    """One task per file (or per ``per_task`` files) on the pool, sums combined here.

    Each task costs ~4 ms of ipyparallel messaging: several small files a task pay it once."""
    paths = [str(p) for p in files]
    if per_task == 1:
        parts = pmap(file_partials, paths, pool=pool, progress=False)
    else:
        batches = [paths[i : i + per_task] for i in range(0, len(paths), per_task)]
        done = pmap(batch_partials, batches, pool=pool, progress=False)
        parts = [part for batch in done for part in batch]
    sums = sum(part[0] for part in parts)
    counts = sum(part[1] for part in parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        time_mean = sums / counts
    return Analysis(time_mean, np.concatenate([part[2] for part in parts]))


def cdo(
    files: Sequence[Path], work: Path, threads: int = 1, passive: bool = False
) -> Callable[[], Analysis]:
    """CDO: two commands over all files (``-cat`` in time order), and one for cos(lat)
    weights (``fldmean`` otherwise weights by CDO's own cell areas, whose great-circle
    edges differ from cos(lat) by up to 0.05 K on a 15-degree grid)."""
    options = ["cdo", "-O", "-s", *(["-P", str(threads)] if threads > 1 else [])]
    mask = "-setrtomiss,1e30,1e38"
    names = [str(p) for p in files]
    weights = work / "cdo_weights.nc"
    _run(["cdo", "-O", "-s", "-expr,w=cos(rad(clat(ta)))", "-seltimestep,1", "-sellevidx,1",
          names[0], str(weights)])  # fmt: skip
    # OpenMP threads spin while they wait: on a busy machine -P 2 is then slower than
    # -P 1 unless told to sleep
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"} if passive else None
    _run([*options, "-timmean", mask, "-cat", *names, str(work / "cdo_tm.nc")], env)
    _run([*options, "-fldmean", f"-setgridarea,{weights}", mask, "-cat", *names,
          str(work / "cdo_gm.nc")], env)  # fmt: skip
    return lambda: Analysis(
        _read(work / "cdo_tm.nc")[0], _read(work / "cdo_gm.nc").reshape(-1, _levels(files))
    )


def nco(files: Sequence[Path], work: Path) -> Callable[[], Analysis]:
    """NCO: a record dimension and a declared fill for each file (``ncra``/``ncwa`` skip
    only declared fills), ``ncra`` over all for the time mean, ``ncwa -w`` per file for
    the global means with cos(lat) weights appended to each file, ``ncrcat`` of those."""
    records = work / "nco"
    shutil.rmtree(records, ignore_errors=True)
    records.mkdir()
    with_records = [records / p.name for p in files]
    weights = records / "gw.tmp"
    for source, target in zip(files, with_records, strict=True):
        _run(["ncks", "-O", "--mk_rec_dmn", "time", str(source), str(target)])
        _run(["ncatted", "-O", "-a", "_FillValue,ta,o,f,9.969209968386869e36", str(target)])
    _run(["ncra", "-O", *map(str, with_records), str(work / "nco_tm.nc")])
    _run([
        "ncap2", "-O", "-v", "-s", "gw=cos(lat*3.141592653589793/180.0)",
        str(with_records[0]), str(weights),
    ])  # fmt: skip
    means = []
    for target in with_records:
        _run(["ncks", "-A", "-v", "gw", str(weights), str(target)])
        mean = target.with_suffix(".gm")
        _run(["ncwa", "-O", "-a", "lat,lon", "-w", "gw", str(target), str(mean)])
        means.append(str(mean))
    _run(["ncrcat", "-O", *means, str(work / "nco_gm.nc")])
    return lambda: Analysis(_read(work / "nco_tm.nc")[0], _read(work / "nco_gm.nc"))


class Crash(Exception):
    """A tool died of a signal (CDO 2.1.1 with -P 2 now and then segfaults)."""


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode < 0:
        raise Crash(f"{' '.join(command[:4])} ... died of signal {-done.returncode}")
    if done.returncode:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


def _read(path: Path) -> np.ndarray:
    """``ta`` of a tool's output, float64, NaN where the tool marks it missing."""
    with netCDF4.Dataset(path) as ds:
        values = ds["ta"][:]
    data = np.ma.filled(np.ma.asarray(values).astype(np.float64), np.nan)
    data[np.abs(data) >= VALID_BELOW] = np.nan
    return data


def _levels(files: Sequence[Path]) -> int:
    with netCDF4.Dataset(files[0]) as ds:
        return len(ds.dimensions["plev"])


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Row:
    """One way on one set of files and cache state: its time in each round."""

    method: str
    regime: str
    cache: str
    megabytes: float
    times: list[float] = field(default_factory=list)
    load_averages: list[float] = field(default_factory=list)  # 1-minute, at each start
    max_abs_diff: float = 0.0
    crashes: list[str] = field(default_factory=list)  # runs that died, run again

    @property
    def seconds(self) -> float:
        """The best round: the others' share of this busy machine varies from round to round."""
        return min(self.times)


def drop_cache(files: Sequence[Path]) -> None:
    """Drop the files' pages from the page cache (this machine's; not its host's)."""
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def sequential_read(files: Sequence[Path]) -> float:
    """Seconds to read the files start to end in 16 MB blocks."""
    buffer = bytearray(READ_BLOCK)
    started = time.perf_counter()
    for path in files:
        with open(path, "rb", buffering=0) as stream:
            while stream.readinto(buffer):
                pass
    return time.perf_counter() - started


def check(method: str, result: Analysis, reference: Analysis) -> float:
    """The largest difference from the reference; :class:`Mismatch` if beyond float32's."""
    worst = 0.0
    for name, got, want in zip(Analysis._fields, result, reference, strict=True):
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        if got.shape != want.shape:
            raise Mismatch(f"{method}: {name} has shape {got.shape}, not {want.shape}")
        if not np.array_equal(np.isnan(got), np.isnan(want)):
            raise Mismatch(
                f"{method}: {name} is missing in {np.isnan(got).sum()} cells, "
                f"xarray's in {np.isnan(want).sum()}"
            )
        if not np.allclose(got, want, rtol=RTOL, atol=0, equal_nan=True):
            raise Mismatch(f"{method}: {name} differs by up to {np.nanmax(np.abs(got - want)):.3g}")
        worst = max(worst, float(np.nanmax(np.abs(got - want))))
    return worst


class Bench:
    """The rows of one run; each way is checked before its time is kept."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.rows: dict[tuple[str, str, str], Row] = {}
        self.reference: dict[str, Analysis] = {}

    def row(self, method: str, regime: str, files: Sequence[Path], cold: bool) -> Row:
        cache = "cold" if cold else "warm"
        key = (method, regime, cache)
        if key not in self.rows:
            self.rows[key] = Row(method, regime, cache, _megabytes(files))
        return self.rows[key]

    def measure(
        self,
        method: str,
        regime: str,
        files: Sequence[Path],
        cold: bool,
        run: Callable[[], Analysis | Callable[[], Analysis]],
    ) -> None:
        row = self.row(method, regime, files, cold)
        if cold:
            drop_cache(files)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        try:
            outcome = run()
        except Crash as crash:
            if len(row.crashes) >= CRASHES_ALLOWED:
                raise
            row.crashes.append(str(crash))
            print(f"  {method:<38} {row.cache}  crashed, again: {crash}", flush=True)
            self.measure(method, regime, files, cold, run)
            return
        seconds = time.perf_counter() - started
        result = outcome() if callable(outcome) else outcome  # a tool's files read back
        if regime not in self.reference:
            self.reference[regime] = result
        diff = check(f"{method} ({regime})", result, self.reference[regime])
        row.times.append(seconds)
        row.load_averages.append(load)
        row.max_abs_diff = max(row.max_abs_diff, diff)
        print(f"  {method:<38} {row.cache}  {seconds:8.2f} s  (diff {diff:.2g})", flush=True)

    def read(self, regime: str, files: Sequence[Path], cold: bool) -> None:
        row = self.row("sequential read, 16 MB blocks", regime, files, cold)
        if cold:
            drop_cache(files)
        else:
            sequential_read(files)  # into the cache
        row.load_averages.append(os.getloadavg()[0])
        row.times.append(sequential_read(files))
        print(f"  {row.method:<38} {row.cache}  {row.times[-1]:8.2f} s", flush=True)


def _megabytes(files: Sequence[Path]) -> float:
    return sum(p.stat().st_size for p in files) / 1e6


class Pool:
    """A 2-engine local ipyparallel pool, and Dask on its engines (one thread each)."""

    def __init__(self, profile_dir: Path, engines: int = 2) -> None:
        import ipyparallel as ipp

        self.cluster = ipp.Cluster(
            n=engines, profile_dir=str(profile_dir), log_level=logging.WARNING
        )
        self.client = self.cluster.start_and_connect_sync()
        self.dask: Any = None
        # what a pool in use has done already: its engines have imported the libraries
        self.client[:].apply_sync(_import_libraries)
        self.client[:].push({"file_partials": file_partials})  # for batch_partials

    def start_dask(self) -> Any:
        self.dask = self.client.become_dask(nthreads=1)
        self.dask.wait_for_workers(len(self.client.ids), timeout=120)
        return self.dask

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.dask is not None:
                self.dask.close()
        self.client.close()
        self.cluster.stop_cluster_sync()


def _import_libraries() -> None:
    import netCDF4  # noqa: F401
    import numpy  # noqa: F401
    import xarray  # noqa: F401


def left_behind(deadline_s: float = 20) -> list[str]:
    """Processes this one started that are still running (engines linger a moment)."""
    deadline = time.monotonic() + deadline_s
    while True:
        children = [
            " ".join(c.cmdline()[:3])
            for c in psutil.Process().children(recursive=True)
            if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
        ]
        if not children or time.monotonic() > deadline:
            return children
        time.sleep(0.2)


# --- the run -----------------------------------------------------------------------------


def run_round(
    bench: Bench,
    pool: Pool,
    regime: str,
    files: Sequence[Path],
    caches: Sequence[bool],
    slow_too: bool,
) -> None:
    """Every way once per cache state; NCO only if ``slow_too``."""
    work = bench.work
    for cold in caches:
        bench.read(regime, files, cold)
        bench.measure("xarray open_mfdataset, 1 process", regime, files, cold,
                      lambda: xarray_mfdataset(files))  # fmt: skip
        bench.measure("xarray loop over files, 1 process", regime, files, cold,
                      lambda: xarray_loop(files))  # fmt: skip
        bench.measure("pmap, 2 engines", regime, files, cold,
                      lambda: with_pmap(files, pool.client))  # fmt: skip
        if regime == "small":
            bench.measure(f"pmap, 2 engines, {SMALL_PER_TASK} files a task", regime, files,
                          cold, lambda: with_pmap(files, pool.client, SMALL_PER_TASK))  # fmt: skip
        bench.measure("xarray + Dask on the pool, 2x1 thread", regime, files, cold,
                      lambda: xarray_mfdataset(files, scheduler=pool.dask.get))  # fmt: skip
        bench.measure("CDO (timmean, fldmean)", regime, files, cold,
                      lambda: cdo(files, work))  # fmt: skip
        bench.measure("CDO -P 2", regime, files, cold,
                      lambda: cdo(files, work, threads=2))  # fmt: skip
        bench.measure("CDO -P 2, OMP_WAIT_POLICY=PASSIVE", regime, files, cold,
                      lambda: cdo(files, work, threads=2, passive=True))  # fmt: skip
        if slow_too:
            bench.measure("NCO (ncks, ncatted, ncra, ncwa)", regime, files, cold,
                          lambda: nco(files, work))  # fmt: skip


def table(rows: list[Row]) -> tuple[str, list[dict[str, Any]]]:
    """The printed table and the JSON rows, ratios within a regime and cache state."""
    lines = [
        f"{'method':<38} {'files':<6} {'cache':<5} {'seconds':>8} {'vs xarray':>9} "
        f"{'vs CDO':>7} {'vs NCO':>7} {'MB/s':>7} {'of read':>7} {'rounds':>6} {'load':>5}"
    ]
    records = []
    for row in rows:
        same = [r for r in rows if r.regime == row.regime and r.cache == row.cache]

        def best(prefix: str, among: list[Row] = same) -> float | None:
            times = [r.seconds for r in among if r.method.startswith(prefix)]
            return min(times) if times else None

        xarray_s = best("xarray open_mfdataset")
        cdo_s, nco_s, read_s = best("CDO"), best("NCO"), best("sequential read")
        ratios = {
            "speedup_vs_xarray": xarray_s / row.seconds if xarray_s else None,
            "vs_best_cdo": cdo_s / row.seconds if cdo_s else None,
            "vs_nco": nco_s / row.seconds if nco_s else None,
            "mb_per_s": row.megabytes / row.seconds,
            "fraction_of_read": read_s / row.seconds if read_s else None,
        }
        if row.method.startswith("sequential read"):  # the yardstick, not a way to compute
            ratios.update(speedup_vs_xarray=None, vs_best_cdo=None, vs_nco=None)
        records.append({**asdict(row), "seconds": row.seconds, **ratios})
        shown = [f"{v:.2f}" if v is not None else "-" for v in ratios.values()]
        label = row.method + (f" [{len(row.crashes)} crashed]" if row.crashes else "")
        lines.append(
            f"{label:<38} {row.regime:<6} {row.cache:<5} {row.seconds:8.2f} "
            f"{shown[0]:>9} {shown[1]:>7} {shown[2]:>7} {ratios['mb_per_s']:7.0f} "
            f"{shown[4]:>7} {len(row.times):6d} {max(row.load_averages):5.1f}"
        )
    return "\n".join(lines), records


PMAP = "pmap, 2 engines"


def figures(records: list[dict[str, Any]]) -> list[Figure]:
    """pmap's speed-up on each set of files and cache state: ≥ 1.8x serial xarray, faster
    than CDO and NCO (issue 6); Dask on the pool and the share of the read bandwidth beside."""
    found: list[Figure] = []
    for record in records:
        if record["method"] not in (PMAP, "xarray + Dask on the pool, 2x1 thread"):
            continue
        where = f"{record['regime']} files, {record['cache']} cache"
        if record["method"] != PMAP:
            found.append(
                figure(
                    f"Dask on the pool / serial xarray, {where}", record["speedup_vs_xarray"], "x"
                )
            )
            continue
        found.append(
            figure(f"pmap, {where}", record["seconds"], "s", f"{record['megabytes']:.0f} MB")
        )
        found.append(
            at_least(
                f"pmap speed-up over serial xarray, {where}", record["speedup_vs_xarray"], "x", 1.8
            )
        )
        for key, tool in (("vs_best_cdo", "CDO"), ("vs_nco", "NCO")):
            if record[key] is not None:
                found.append(above(f"pmap speed-up over {tool}, {where}", record[key], "x", 1))
        if record["fraction_of_read"] is not None:
            found.append(
                figure(
                    f"pmap's share of the sequential read, {where}", record["fraction_of_read"], "x"
                )
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 MB of big files, not 3 GB")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-analysis"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2, help="the best round is kept")
    parser.add_argument("--nco-rounds", type=int, default=1,
                        help="rounds with NCO, by far the slowest")  # fmt: skip
    parser.add_argument("--big-files", type=int, default=None, help="fewer big files")
    parser.add_argument("--small-files", type=int, default=None, help="fewer small files")
    args = parser.parse_args()
    big_series, small_series = (QUICK_BIG, QUICK_SMALL) if args.quick else (BIG, SMALL)
    if args.big_files:
        big_series = dataclasses.replace(big_series, files=args.big_files)
    if args.small_files:
        small_series = dataclasses.replace(small_series, files=args.small_files)
    out_json = args.json or RESULTS / ("analysis-quick.json" if args.quick else "analysis.json")

    started = time.perf_counter()
    big = ensure_files(args.out / ("quick" if args.quick else "big"), big_series)
    small = ensure_files(args.out / ("small-quick" if args.quick else "small"), small_series)
    data = {
        "big": {"files": len(big), "megabytes": round(_megabytes(big)),
                "fill_share": round(fill_share(big), 4)},
        "small": {"files": len(small), "megabytes": round(_megabytes(small)),
                  "fill_share": round(fill_share(small), 4)},
    }  # fmt: skip
    print(f"data ready in {time.perf_counter() - started:.0f} s: {data}", flush=True)

    with tempfile.TemporaryDirectory(dir=args.out) as scratch:
        work = Path(scratch)
        bench = Bench(work)
        pool = Pool(work / "profile")
        try:
            pool.start_dask()
            # untimed: what xarray and Dask import or set up on first use only
            xarray_mfdataset(small[:2])
            xarray_loop(small[:2])
            xarray_mfdataset(small[:2], scheduler=pool.dask.get)
            for round_ in range(args.rounds):
                print(f"round {round_ + 1}, big files:", flush=True)
                slow_too = round_ < args.nco_rounds
                run_round(bench, pool, "big", big, (False, True), slow_too)
                print(f"round {round_ + 1}, small files:", flush=True)
                run_round(bench, pool, "small", small, (False,), slow_too)
        finally:
            pool.stop()
    leftovers = left_behind()

    text, records = table([*bench.rows.values()])
    print(text)
    result = {
        "benchmark": "analysis",
        "mode": "quick" if args.quick else "full",
        "machine": {
            **machine(),
            "cdo": _version(["cdo", "--version"]),
            "nco": _version(["ncks", "--version"]),
        },
        "when": now(),
        "data": data,
        "rounds": args.rounds,
        "nco_rounds": args.nco_rounds,
        "rows": records,
        "left_behind": leftovers,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "figures": figures(records),
    }
    write_result(out_json, result)
    print(f"written to {out_json} ({result['wall_seconds']} s in all)")
    if leftovers:
        sys.exit(f"processes left behind: {leftovers}")


def _version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else ""


if __name__ == "__main__":
    main()

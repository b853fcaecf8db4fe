"""CMIP-like NetCDF-4 files for benchmarks, shaped like the real CMIP6 archive.

``ta(time, plev, lat, lon)`` float32, contiguous and uncompressed, with CF coordinates
and bounds, the CMIP6 global attributes (``tracking_id``, ``variable_id``, ...), no
unlimited dimension, and -- as in the real archive -- the netCDF default fill
(9.969209968386869e+36) below ground in the lowest levels with no ``_FillValue`` or
``missing_value`` attribute to say so. Surface pressure comes from a few mountain
ranges plus weather, so which cells are filled changes from one month to the next.

    python benchmarks/cmip_like.py DIR [--files 4] [--months 16] [--lat 144 --lon 288]

:func:`ensure_files` writes a series once and reuses it when asked again for the same
shape (a ``series.json`` beside the files records it; each file is written under a
temporary name and renamed, so a killed run never leaves a truncated file to reuse).
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import netCDF4
import numpy as np

FILL = float(netCDF4.default_fillvals["f4"])  # 9.969209968386869e+36, never declared
# CMIP6 plev19 and plev8, Pa
PLEV19 = (
    100000, 92500, 85000, 70000, 60000, 50000, 40000, 30000, 25000, 20000,
    15000, 10000, 7000, 5000, 3000, 2000, 1000, 500, 100,
)  # fmt: skip
PLEV8 = (100000, 85000, 70000, 50000, 25000, 10000, 5000, 1000)
DAYS_PER_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 365_day calendar
MANIFEST = "series.json"


@dataclass(frozen=True)
class Series:
    """A dataset of ``files`` files of ``months`` monthly steps each, on a regular grid."""

    files: int
    months: int
    nlat: int
    nlon: int
    plev: tuple[int, ...] = PLEV19
    source_id: str = "BENCH-CM1-0"

    @property
    def bytes_per_file(self) -> int:
        return 4 * self.months * len(self.plev) * self.nlat * self.nlon

    def file_name(self, index: int) -> str:
        first = index * self.months
        last = first + self.months - 1
        span = f"{1850 + first // 12}{first % 12 + 1:02d}-{1850 + last // 12}{last % 12 + 1:02d}"
        return f"ta_Amon_{self.source_id}_historical_r1i1p1f1_gn_{span}.nc"


def ensure_files(folder: str | os.PathLike[str], series: Series) -> list[Path]:
    """The series' files in ``folder``, in time order; written only if not there yet."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / series.file_name(i) for i in range(series.files)]
    manifest = root / MANIFEST
    wanted = {**asdict(series), "plev": list(series.plev)}
    done = manifest.exists() and json.loads(manifest.read_text()) == wanted
    if done and all(p.exists() for p in paths):
        return paths
    manifest.unlink(missing_ok=True)
    for stale in root.glob("*.nc"):
        stale.unlink()
    grid = _Grid(series)
    for index, path in enumerate(paths):
        partial = path.with_suffix(".nc.part")
        write_file(partial, series, grid, index)
        partial.rename(path)
    manifest.write_text(json.dumps(wanted))
    return paths


class _Grid:
    """The series' coordinates and its time-invariant fields."""

    def __init__(self, series: Series) -> None:
        step = 180 / series.nlat
        self.lat_bnds = np.stack(
            [-90 + step * np.arange(series.nlat), -90 + step * np.arange(1, series.nlat + 1)], 1
        )
        self.lat = self.lat_bnds.mean(1)
        lon_step = 360 / series.nlon
        self.lon_bnds = np.stack(
            [lon_step * np.arange(series.nlon), lon_step * np.arange(1, series.nlon + 1)], 1
        )
        self.lon = self.lon_bnds.mean(1)
        self.plev = np.array(series.plev, dtype="f8")
        lat, lon = np.meshgrid(self.lat, self.lon, indexing="ij")
        # mean surface pressure: sea level minus mountains (Pa)
        mountains = (
            (33, 88, 7, 14, 50000),  # Tibet
            (-20, 292, 18, 4, 30000),  # Andes
            (42, 250, 10, 8, 20000),  # Rockies
            (73, 318, 8, 14, 28000),  # Greenland
            (5, 22, 15, 20, 10000),  # African plateau
        )
        drop = 42000 * np.clip((-66 - lat) / 8, 0, 1)  # Antarctica: a plateau
        for lat0, lon0, dlat, dlon, depth in mountains:
            dx = (lon - lon0 + 180) % 360 - 180
            drop += depth * np.exp(-(((lat - lat0) / dlat) ** 2) - (dx / dlon) ** 2)
        self.surface_pressure = 101300 - drop - 900 * np.sin(np.deg2rad(2 * lon)) ** 8
        # climatology: warm troposphere cooling with height and towards the poles
        p = self.plev[:, None, None]
        troposphere = 288 * (p / 101325) ** 0.19 - 28 * np.sin(np.deg2rad(lat)) ** 2
        self.climate = np.maximum(troposphere, 212 + 6 * np.cos(np.deg2rad(lat))).astype("f4")


def write_file(path: Path, series: Series, grid: _Grid, index: int) -> None:
    """One file of the series: months ``index * months`` onwards."""
    rng = np.random.default_rng(index)
    nt, nz = series.months, len(series.plev)
    months = index * series.months + np.arange(nt)
    starts = np.array([365 * (m // 12) + sum(DAYS_PER_MONTH[: m % 12]) for m in months], "f8")
    ends = starts + np.array([DAYS_PER_MONTH[m % 12] for m in months])
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.setncatts(_global_attributes(series, index))
        for name, size in (("time", nt), ("plev", nz), ("lat", series.nlat)):
            ds.createDimension(name, size)  # none unlimited, as in the archive
        ds.createDimension("lon", series.nlon)
        ds.createDimension("bnds", 2)
        _coordinate(ds, "time", (starts + ends) / 2, np.stack([starts, ends], 1), {
            "standard_name": "time", "long_name": "time", "axis": "T",
            "units": "days since 1850-01-01 00:00:00", "calendar": "365_day",
        })  # fmt: skip
        plev = ds.createVariable("plev", "f8", ("plev",))
        plev.setncatts({
            "standard_name": "air_pressure", "long_name": "pressure", "units": "Pa",
            "axis": "Z", "positive": "down",
        })  # fmt: skip
        plev[:] = grid.plev
        _coordinate(ds, "lat", grid.lat, grid.lat_bnds, {
            "standard_name": "latitude", "long_name": "Latitude", "units": "degrees_north",
            "axis": "Y",
        })  # fmt: skip
        _coordinate(ds, "lon", grid.lon, grid.lon_bnds, {
            "standard_name": "longitude", "long_name": "Longitude", "units": "degrees_east",
            "axis": "X",
        })  # fmt: skip
        ta = ds.createVariable("ta", "f4", ("time", "plev", "lat", "lon"), contiguous=True)
        ta.setncatts({
            "standard_name": "air_temperature", "long_name": "Air Temperature", "units": "K",
            "cell_methods": "time: mean", "cell_measures": "area: areacella",
            "comment": "Air Temperature", "history": "synthetic, for benchmarks",
        })  # fmt: skip
        ta.set_auto_mask(False)
        lat = np.deg2rad(grid.lat)[None, :, None]
        for t, month in enumerate(months):
            season = 12 * np.sin(lat) * np.cos(2 * np.pi * (month % 12) / 12)
            weather = rng.normal(0, 2.5, (nz, series.nlat, series.nlon)).astype("f4")
            values = grid.climate + season.astype("f4") + weather
            surface = grid.surface_pressure + rng.normal(0, 700, grid.surface_pressure.shape)
            values[grid.plev[:, None, None] > surface[None]] = FILL
            ta[t] = values


def _coordinate(
    ds: netCDF4.Dataset, name: str, values: np.ndarray, bounds: np.ndarray, attrs: dict[str, str]
) -> None:
    var = ds.createVariable(name, "f8", (name,))
    var.setncatts({**attrs, "bounds": f"{name}_bnds"})
    var[:] = values
    ds.createVariable(f"{name}_bnds", "f8", (name, "bnds"))[:] = bounds


def _global_attributes(series: Series, index: int) -> dict[str, str | int | float]:
    return {
        "Conventions": "CF-1.7 CMIP-6.2",
        "activity_id": "CMIP",
        "creation_date": "2019-06-01T00:00:00Z",
        "data_specs_version": "01.00.29",
        "experiment": "all-forcing simulation of the recent past",
        "experiment_id": "historical",
        "forcing_index": 1,
        "frequency": "mon",
        "grid": "synthetic regular latitude-longitude grid",
        "grid_label": "gn",
        "initialization_index": 1,
        "institution": "Benchmark Institute",
        "institution_id": "BENCH",
        "license": "CMIP6 model data produced by BENCH is licensed under CC BY 4.0",
        "mip_era": "CMIP6",
        "nominal_resolution": f"{round(180 / series.nlat * 111)} km",
        "physics_index": 1,
        "product": "model-output",
        "realization_index": 1,
        "realm": "atmos",
        "source": f"{series.source_id}: synthetic data for benchmarks",
        "source_id": series.source_id,
        "source_type": "AOGCM",
        "sub_experiment": "none",
        "sub_experiment_id": "none",
        "table_id": "Amon",
        "title": f"{series.source_id} output prepared for CMIP6",
        "tracking_id": f"hdl:21.14100/{uuid.UUID(int=index + 1, version=4)}",
        "variable_id": "ta",
        "variant_label": "r1i1p1f1",
    }


def fill_share(paths: Sequence[Path]) -> float:
    """The share of ``ta`` values that are the undeclared fill (reads the files)."""
    filled = total = 0
    for path in paths:
        with netCDF4.Dataset(path) as ds:
            ds.set_auto_mask(False)
            values = ds["ta"][:]
        filled += int(np.count_nonzero(values == np.float32(FILL)))
        total += values.size
    return filled / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--months", type=int, default=16)
    parser.add_argument("--lat", type=int, default=144)
    parser.add_argument("--lon", type=int, default=288)
    args = parser.parse_args()
    series = Series(args.files, args.months, args.lat, args.lon)
    paths = ensure_files(args.folder, series)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} files, {size:.0f} MB, fill share {fill_share(paths):.2%}")


if __name__ == "__main__":
    main()

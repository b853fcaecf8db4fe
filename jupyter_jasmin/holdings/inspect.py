"""Looking inside a dataset's files with xarray: metadata and quick-look pictures.

These functions run in worker *processes* (see :class:`Inspector`): netCDF4 is
not safe to read from several threads at once, a crash in a reader must not
take the server with it, and matplotlib must not hold the server's GIL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import math
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NamedTuple, TypeVar

from ..errors import BadRequest, Conflict, Unprocessable
from ..validation import is_whole_number_text

T = TypeVar("T")

# The netCDF default fill value (9.97e36) hides in many CMIP files without a
# _FillValue attribute; anything this large is not data.
FILL_THRESHOLD = 1e30
LATITUDES = ("lat", "latitude", "rlat", "y", "j", "nav_lat")
LONGITUDES = ("lon", "longitude", "rlon", "x", "i", "nav_lon")


class ReadError(Exception):
    """A file could not be read; the message names it as the user knows it."""


# open_mfdataset's own options: dropped when a single file is opened with open_dataset
MULTI_FILE_OPTIONS = frozenset(
    {
        "combine",
        "concat_dim",
        "compat",
        "preprocess",
        "data_vars",
        "coords",
        "join",
        "parallel",
        "attrs_file",
        "combine_attrs",
    }
)


def open_files(paths: Sequence[str], labels: Sequence[str], **options: Any) -> Any:
    """A dataset's files as one xarray Dataset (non-standard calendars as cftime dates);
    ``options`` override the defaults. :class:`ReadError` names a file that cannot be read."""
    import xarray as xr

    coder = xr.coders.CFDatetimeCoder(use_cftime=True)
    try:
        if len(paths) == 1:
            single = {k: v for k, v in options.items() if k not in MULTI_FILE_OPTIONS}
            return xr.open_dataset(paths[0], **{"decode_times": coder, **single})
        # netCDF4 reads crash under threads: never parallel unless asked
        defaults: dict[str, Any] = {
            "combine": "by_coords",
            "data_vars": "minimal",
            "coords": "minimal",
            "compat": "override",
            "join": "outer",
            "decode_times": coder,
            "parallel": False,
        }
        return xr.open_mfdataset(list(paths), **{**defaults, **options})
    except Exception as error:
        for path, label in zip(paths, labels, strict=True):
            try:
                xr.open_dataset(path, decode_times=coder).close()
            except Exception as single_error:
                raise ReadError(f"cannot read {label}: {reason(single_error)}") from None
        raise ReadError(f"cannot read the {len(paths)} files together: {reason(error)}") from None


def mask_fill(data: Any) -> Any:
    """``data`` with the undeclared netCDF default fill value (and anything as large)
    masked as missing; data that are not floating point are left alone."""
    if data.dtype.kind != "f":
        return data
    return data.where(abs(data) < FILL_THRESHOLD)


def reason(error: Exception) -> str:
    """An error in one line of words, for a message that names what failed."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def _plain(value: Any) -> Any:
    """JSON-ready form of attribute and coordinate values."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def _bounds_names(dataset: Any) -> set[str]:
    names = set()
    for variable in dataset.variables.values():
        if "bounds" in variable.attrs:
            names.add(variable.attrs["bounds"])
    return names


def metadata(paths: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Dimensions, coordinates with ranges, data variables and global attributes."""
    with open_files(paths, labels) as dataset:
        coordinates = []
        for name, coordinate in dataset.coords.items():
            entry: dict[str, Any] = {
                "name": str(name),
                "dims": list(coordinate.dims),
                "size": int(coordinate.size),
                "dtype": str(coordinate.dtype),
                "units": _plain(coordinate.attrs.get("units") or coordinate.encoding.get("units")),
                "calendar": _plain(coordinate.encoding.get("calendar")),
            }
            if coordinate.size:
                values = coordinate.values.ravel()
                entry["min"], entry["max"] = _plain(values.min()), _plain(values.max())
            coordinates.append(entry)
        bounds = _bounds_names(dataset)
        variables = [
            {
                "name": str(name),
                "dims": list(variable.dims),
                "shape": list(variable.shape),
                "dtype": str(variable.dtype),
                "units": _plain(variable.attrs.get("units")),
                "long_name": _plain(variable.attrs.get("long_name")),
                "standard_name": _plain(variable.attrs.get("standard_name")),
                "bounds": str(name) in bounds,
            }
            for name, variable in dataset.data_vars.items()
        ]
        return {
            "dimensions": {str(k): int(v) for k, v in dataset.sizes.items()},
            "coordinates": coordinates,
            "variables": variables,
            "attributes": {str(k): _plain(v) for k, v in dataset.attrs.items()},
            "files_read": len(paths),
        }


def _axis(data: Any, names: tuple[str, ...], standard_name: str) -> str | None:
    for dim in data.dims:
        coordinate = data.coords.get(dim)
        if coordinate is not None and coordinate.attrs.get("standard_name") == standard_name:
            return str(dim)
    for dim in data.dims:
        if str(dim).lower() in names:
            return str(dim)
    return None


def _horizontal(data: Any) -> tuple[str | None, str | None]:
    return _axis(data, LATITUDES, "latitude"), _axis(data, LONGITUDES, "longitude")


def _is_map(data: Any, lat: str | None, lon: str | None) -> bool:
    return bool(lat and lon and data.sizes[lat] > 1 and data.sizes[lon] > 1)


def _decimal_year(moment: Any) -> float:
    days = 360 if getattr(moment, "calendar", "") == "360_day" else 365.25
    return float(moment.year + (moment.dayofyr - 1) / days)


class Step(NamedTuple):
    """What one quick-look draws: a variable, and the time step of its map (None when the
    picture has no time step: a line over time, or a map of a field without time)."""

    variable: str
    time_index: int | None


# A date or its start as the time coordinate prints it (1950-01-16T12:00:00), ASCII only
DATE_TEXT = re.compile(
    r"[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?)?)?)?"
)


def time_step(raw: str) -> int | str | None:
    """A quick-look's ``time`` as a request writes it: a step number (negative counts from
    the end), a date or its start (the first step at or after it), or nothing (the first)."""
    if not raw:
        return None
    if is_whole_number_text(raw):
        return int(raw)
    moment = raw.replace(" ", "T").removesuffix("Z")
    if DATE_TEXT.fullmatch(moment) is None:
        raise BadRequest(
            f"no time step matches {raw[:40]!r}: 'time' is a step number (0, 1, … or -1 for "
            "the last) or a date such as 1950-01 or 1950-01-16T12:00"
        )
    return moment


def quicklook(
    paths: Sequence[str],
    labels: Sequence[str],
    title: str,
    variable: str | None,
    moment: int | str | None,
) -> tuple[Step, bytes]:
    """The step a request asks for and its PNG: a map of one time step for gridded fields,
    else a line over time."""
    with open_files(paths, labels) as dataset:
        step = _step(dataset, variable, moment)
        return step, _draw(dataset, step, title)


def _step(dataset: Any, variable: str | None, moment: int | str | None) -> Step:
    """Which picture a request asks for, refusing what cannot be drawn."""
    name = variable or _main_variable(dataset)
    if name not in dataset.data_vars:
        raise BadRequest(
            f"no variable {name!r}; this dataset has {', '.join(map(str, dataset.data_vars))}"
        )
    data = dataset[name]
    held = _not_numbers(data)
    if held:
        raise BadRequest(f"{name!r} holds {held}, not values to draw")
    if _is_map(data, *_horizontal(data)):
        return Step(name, _time_index(data, moment) if "time" in data.dims else None)
    if "time" in data.dims:
        return Step(name, None)
    raise BadRequest(f"{name!r} has neither a horizontal grid nor a time axis to plot")


def _not_numbers(data: Any) -> str | None:
    """What a variable holds instead of numbers (dates, text…), or None for numbers."""
    kind = data.dtype.kind
    if kind in "biuf":
        return None
    if kind == "O" and data.size:
        first = data.isel(dict.fromkeys(data.dims, 0)).values.item()
        if isinstance(first, str | bytes):
            kind = "U"
        elif hasattr(first, "isoformat"):  # cftime and datetime objects
            kind = "M"
    held = {"M": "dates/times", "m": "time spans", "U": "text", "S": "text"}
    return held.get(kind, f"{data.dtype} values")


def _draw(dataset: Any, step: Step, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = dataset[step.variable]
    data = mask_fill(data)
    lat, lon = _horizontal(data)
    figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    try:
        if _is_map(data, lat, lon):
            notes = _draw_map(figure, axes, data, (str(lat), str(lon)), step.time_index)
        else:
            notes = _draw_series(axes, data, step.variable, [d for d in (lat, lon) if d])
        long_name = data.attrs.get("long_name", step.variable)
        axes.set_title(
            f"{long_name} ({step.variable})"
            + (f", {', '.join(notes)}" if notes else "")
            + f"\n{title}",
            fontsize=8,
        )
        figure.tight_layout()
        output = io.BytesIO()
        figure.savefig(output, format="png")
        return output.getvalue()
    finally:
        plt.close(figure)


def _draw_map(
    figure: Any, axes: Any, data: Any, horizontal: tuple[str, str], index: int | None
) -> list[str]:
    lat, lon = horizontal
    notes = []
    if index is not None:
        notes.append(str(_plain(data["time"].values[index]))[:19])
        data = data.isel(time=index)
    data, more = _first_of_others(data, {lat, lon})
    mesh = axes.pcolormesh(
        data[lon].values, data[lat].values, data.transpose(lat, lon).values, shading="auto"
    )
    bar = figure.colorbar(mesh, ax=axes)
    bar.set_label(str(data.attrs.get("units", "")))
    axes.set_xlabel(f"{lon} ({data[lon].attrs.get('units', '')})")
    axes.set_ylabel(f"{lat} ({data[lat].attrs.get('units', '')})")
    return notes + more


def _draw_series(axes: Any, data: Any, name: str, horizontal: list[str]) -> list[str]:
    series = data.mean(horizontal) if horizontal else data
    series, notes = _first_of_others(series, {"time"})
    moments = series["time"].values
    if len(moments) and hasattr(moments[0], "dayofyr"):
        axes.plot([_decimal_year(moment) for moment in moments], series.values, linewidth=1)
        axes.set_xlabel("year")
    else:  # a time axis that did not decode to dates
        axes.plot(moments, series.values, linewidth=1)
        axes.set_xlabel(f"time ({series['time'].attrs.get('units', '')})")
    axes.set_ylabel(f"{name} ({data.attrs.get('units', '')})")
    axes.grid(alpha=0.3)
    return notes + (["area mean"] if horizontal else [])


def _main_variable(dataset: Any) -> str:
    bounds = _bounds_names(dataset)
    candidates = [
        str(name)
        for name, variable in dataset.data_vars.items()
        if str(name) not in bounds and variable.ndim >= 1 and not str(name).endswith("_bnds")
    ]
    if not candidates:
        raise BadRequest("this dataset has no data variable to plot")
    return max(candidates, key=lambda n: dataset[n].ndim)


def _time_index(data: Any, moment: int | str | None) -> int:
    steps = int(data.sizes["time"])
    if not steps:
        raise BadRequest(f"{data.name!r} has no time steps")
    if moment is None:
        return 0
    if isinstance(moment, int):
        if not -steps <= moment < steps:
            raise BadRequest(f"time index {moment} is outside 0..{steps - 1}")
        return moment % steps
    stamps = [str(_plain(stamp)) for stamp in data["time"].values]
    later = [i for i, stamp in enumerate(stamps) if stamp >= moment]
    if not later:
        raise BadRequest(f"no time step at or after {moment!r} (the last is {stamps[-1][:19]})")
    return later[0]


def _first_of_others(data: Any, keep: set[str]) -> tuple[Any, list[str]]:
    notes = []
    for dim in [d for d in data.dims if d not in keep]:
        if dim in data.coords:
            units = data[dim].attrs.get("units", "")
            notes.append(f"{dim} = {_plain(data[dim].values[0])} {units}".strip())
        else:
            notes.append(f"{dim} = 0")
        data = data.isel({dim: 0})
    return data, notes


ORPHAN_CHECK_SECONDS = 0.5


def _ready() -> None:
    """A task that does nothing: submitting it starts a worker."""


def _start_worker(server: int) -> None:
    """Runs first in every worker process: it leaves when its server has gone, whatever
    killed the server; it ignores Ctrl-C, which reaches the whole process group from a
    terminal (the server decides when its readers stop); and it imports the heavy
    modules before any request waits for them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_leave_with, args=(server,), name="jasmin-orphan-check", daemon=True
    ).start()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import xarray  # noqa: F401


def _leave_with(server: int) -> None:
    """Exit once the server is no longer this process's parent. A SIGKILLed server cannot
    stop its readers, and they would otherwise wait for work forever, holding hundreds of
    MB each and keeping multiprocessing's resource tracker alive. (PR_SET_PDEATHSIG would
    fire when the server *thread* that started the worker ends, not the server.)"""
    while os.getppid() == server:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


Pool = concurrent.futures.ProcessPoolExecutor


class Inspector:
    """Worker processes for xarray and matplotlib, replaced if one of them crashes.

    The pool is made on first use by query threads (``warm``) and requests (``run``)
    alike, so it is made, replaced and stopped under a lock; each pool is shut down by
    exactly one caller (two at once would close its pipes twice).
    """

    def __init__(self, processes: int = 2) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._pool: Pool | None = None
        self._stopped = False

    def warm(self) -> None:
        """Start the workers ahead of need (call off the event loop): importing xarray and
        matplotlib takes seconds, which a user browsing datasets should not wait for when
        they open one."""
        self._executor()

    def _executor(self) -> Pool:
        with self._lock:
            if self._stopped:
                raise Conflict("the server is stopping")
            if self._pool is None:
                pool = Pool(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
                for _ in range(self.processes):
                    pool.submit(_ready)
                self._pool = pool
            return self._pool

    def _submit(self, function: Callable[..., T], args: tuple[Any, ...]) -> tuple[Pool, Future[T]]:
        """Hand a task to the workers (off the loop: the first call starts processes)."""
        for _ in range(2):
            pool = self._executor()
            try:
                return pool, pool.submit(function, *args)
            except (BrokenProcessPool, RuntimeError):
                # a crash broke this pool, or it was just replaced: start afresh once
                self._discard(pool)
        raise Unprocessable("the reader processes could not be started")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        pool, future = await loop.run_in_executor(None, self._submit, function, args)
        try:
            return await asyncio.wrap_future(future)
        except ReadError as error:
            raise Unprocessable(str(error)) from None
        except BrokenProcessPool:
            await loop.run_in_executor(None, self._discard, pool)
            raise Unprocessable(
                "the reader process crashed while opening these files; they may be corrupt"
            ) from None

    def _discard(self, pool: Pool) -> None:
        """Shut down a broken pool, unless another caller already replaced it."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        pool.shutdown(wait=True, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers for good (blocking; safe to call from several threads at once)."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopped = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

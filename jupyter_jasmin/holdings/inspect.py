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
    """What one quick-look draws: a variable, the time step of its map (None when the
    picture has no time step: a line over time, or a map of a field without time) and
    its level (None when the variable has no level axis)."""

    variable: str
    time_index: int | None
    level_index: int | None


class Drawn(NamedTuple):
    """What a quick-look shows, for the panel's pickers: the step, the drawn time step
    as a date the time picker takes back (``1950-01``), the labels of every level
    (``1000 hPa``), and why the picture is empty when no value was valid."""

    step: Step
    time: str | None
    levels: tuple[str, ...]
    missing: str | None


# The themes a picture is drawn for: its text and axes in a colour that reads on the
# panel's background (the background itself is transparent)
THEMES = {"light": "#1f1f1f", "dark": "#e0e0e0"}

# A date or its start as the time coordinate prints it (1950-01-16T12:00:00), ASCII only
DATE_TEXT = re.compile(
    r"[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?)?)?)?"
)
# How many time steps a default quick-look looks at for one with valid values: the
# first ones, then as many spread over the rest
FIRST_STEPS_TRIED = 12
SPREAD_STEPS_TRIED = 12
LEVELS_NAMED = 40
VERTICAL_NAMES = frozenset(
    {
        "air_pressure",
        "altitude",
        "height",
        "depth",
        "model_level_number",
        "atmosphere_hybrid_sigma_pressure_coordinate",
    }
)


def time_step(raw: str) -> int | str | None:
    """A quick-look's ``time`` as a request writes it: a step number (negative counts from
    the end), a date or its start (the first step at or after it), or nothing (the first).
    Text that is neither is refused where the dataset's range can be named."""
    if not raw:
        return None
    if is_whole_number_text(raw):
        return int(raw)
    return raw.strip()[:60]


def quicklook(
    paths: Sequence[str],
    labels: Sequence[str],
    title: str,
    variable: str | None,
    moment: int | str | None,
    level: str | None = None,
    theme: str = "light",
) -> tuple[Drawn, bytes]:
    """What a request asks for and its PNG: a map of one time step and level for gridded
    fields, else a line over time. Unless the request names them, the time step and the
    level are the first with any valid value."""
    with open_files(paths, labels) as dataset:
        drawn, data = _choose(dataset, variable, moment, level)
        return drawn, _draw(data, drawn, title, THEMES.get(theme, THEMES["light"]))


def _choose(
    dataset: Any, variable: str | None, moment: int | str | None, level: str | None
) -> tuple[Drawn, Any]:
    """What a request asks for, refusing what cannot be drawn, with the data to draw."""
    name = variable or _main_variable(dataset)
    if name not in dataset.data_vars:
        raise BadRequest(
            f"no variable {name!r}; this dataset has {', '.join(map(str, dataset.data_vars))}"
        )
    data = dataset[name]
    held = _not_numbers(data)
    if held:
        raise BadRequest(f"{name!r} holds {held}, not values to draw")
    lat, lon = _horizontal(data)
    is_map = _is_map(data, lat, lon)
    if not is_map and "time" not in data.dims:
        raise BadRequest(f"{name!r} has neither a horizontal grid nor a time axis to plot")
    data = mask_fill(data)
    vertical = _level_dim(data, {d for d in (lat, lon) if d})
    levels = _level_labels(data, vertical) if vertical else ()
    asked_level = _level_index(data, vertical, levels, level) if vertical else None
    times = "time" in data.dims and is_map
    if times and not data.sizes["time"]:
        raise BadRequest(f"{name!r} has no time steps")
    asked_time = _time_index(data, moment) if times and moment is not None else None
    time_index, level_index = asked_time, asked_level
    if is_map:
        found = _first_valid(data, vertical, asked_time, asked_level)
        if found is not None:
            time_index, level_index = found
        elif time_index is None and times:
            time_index = 0
    if vertical and level_index is None:
        level_index = 0
    step = Step(name, time_index, level_index)
    selected = _select(data, step, vertical)
    when = _time_labels(data["time"].values)[time_index] if time_index is not None else None
    missing = None
    if not bool(selected.notnull().any()):
        where = [levels[level_index]] if level_index is not None else []
        where += [when] if when else []
        missing = "all values missing" + (f" at {', '.join(where)}" if where else "")
    return Drawn(step, when, levels, missing), selected


def _level_dim(data: Any, horizontal: set[str]) -> str | None:
    """The dimension the level picker chooses along: a vertical one, else the first
    that is neither horizontal nor time."""
    others = [str(d) for d in data.dims if d not in horizontal and d != "time"]
    for dim in others:
        coordinate = data.coords.get(dim)
        if coordinate is None:
            continue
        attrs = coordinate.attrs
        if (
            attrs.get("axis") == "Z"
            or "positive" in attrs
            or attrs.get("standard_name") in VERTICAL_NAMES
        ):
            return dim
    return others[0] if others else None


def value_label(value: Any, units: str) -> str:
    """A coordinate value as a title says it: pressure in Pa as hPa (``1000 hPa``),
    numbers with ``%g``, dates as ISO text."""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:19]
    if isinstance(value, int | float) and not isinstance(value, bool):
        if units == "Pa":
            return f"{value / 100:g} hPa"
        return f"{value:g} {units}".strip()
    return f"{value} {units}".strip()


def _level_labels(data: Any, dim: str) -> tuple[str, ...]:
    if dim not in data.coords:
        return tuple(str(i) for i in range(int(data.sizes[dim])))
    units = str(data[dim].attrs.get("units", ""))
    return tuple(value_label(_plain(value), units) for value in data[dim].values)


def _level_index(data: Any, dim: str, labels: tuple[str, ...], raw: str | None) -> int | None:
    """The level a request names: an index (negative from the end), a value in the
    coordinate's units, or a label (``850 hPa``); None when it names none."""
    if not raw:
        return None
    count = len(labels)
    if is_whole_number_text(raw) and -count <= int(raw) < count:
        return int(raw) % count
    spelled = " ".join(raw.split()).lower()
    for index, label in enumerate(labels):
        if label.lower() == spelled:
            return index
    if dim in data.coords and data[dim].dtype.kind in "iuf":
        units = str(data[dim].attrs.get("units", ""))
        number = re.fullmatch(r"\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(hPa)?\s*", raw)
        if number:
            value = float(number.group(1)) * (100 if number.group(2) and units == "Pa" else 1)
            for index, held in enumerate(data[dim].values.tolist()):
                if math.isclose(float(held), value, rel_tol=1e-6, abs_tol=1e-9):
                    return index
    named = ", ".join(f"{i}: {label}" for i, label in enumerate(labels[:LEVELS_NAMED]))
    more = f", … ({count} in all)" if count > LEVELS_NAMED else ""
    raise BadRequest(
        f"no level {raw[:40]!r} in {data.name!r}; its {dim} levels are {named}{more} "
        "(give an index or a value)"
    )


def _first_valid(
    data: Any, vertical: str | None, time_index: int | None, level_index: int | None
) -> tuple[int | None, int | None] | None:
    """The first (time step, level) with a valid value, trying the asked or first level
    before the others, and the asked time step or the first few and some spread over the
    rest (a bounded number of reads); None when none of those has any."""
    if "time" in data.dims and time_index is None:
        steps = int(data.sizes["time"])
        first = list(range(min(steps, FIRST_STEPS_TRIED)))
        spread = {
            FIRST_STEPS_TRIED + (steps - FIRST_STEPS_TRIED) * i // SPREAD_STEPS_TRIED
            for i in range(SPREAD_STEPS_TRIED)
        }
        times: list[int | None] = [*first, *sorted(s for s in spread if s < steps)]
    else:
        times = [time_index]
    keep = {vertical} if vertical else set()
    for when in times:
        slab = data.isel(time=when) if when is not None else data
        if vertical and level_index is not None:
            slab = slab.isel({vertical: level_index})
        horizontal = [d for d in slab.dims if d not in keep]
        valid = slab.notnull().any(horizontal).values
        if not vertical or level_index is not None:
            if bool(valid):
                return when, level_index
            continue
        for index in range(len(valid)):
            if bool(valid[index]):
                return when, index
    return None


def _select(data: Any, step: Step, vertical: str | None) -> Any:
    """The data of one picture: its time step (for a map) and level picked out."""
    if step.time_index is not None:
        data = data.isel(time=step.time_index)
    if vertical and step.level_index is not None:
        data = data.isel({vertical: step.level_index})
    return data


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


def _draw(data: Any, drawn: Drawn, title: str, ink: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat, lon = _horizontal(data)
    colours: dict[Any, Any] = {
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": ink,
    }
    with matplotlib.rc_context(colours):
        figure, axes = plt.subplots(figsize=(6.4, 4.2), dpi=100)
        try:
            figure.patch.set_alpha(0)
            axes.set_facecolor("none")
            name = drawn.step.variable
            if _is_map(data, lat, lon):
                notes = _draw_map(figure, axes, data, (str(lat), str(lon)), drawn)
            else:
                notes = _draw_series(axes, data, name, [d for d in (lat, lon) if d], drawn)
            if drawn.missing:
                notes = [drawn.missing]
                axes.text(
                    0.5,
                    0.5,
                    drawn.missing,
                    ha="center",
                    va="center",
                    transform=axes.transAxes,
                    fontsize=10,
                )
            long_name = data.attrs.get("long_name", name)
            axes.set_title(
                f"{long_name} ({name})" + (f", {', '.join(notes)}" if notes else "") + f"\n{title}",
                fontsize=8,
            )
            figure.tight_layout()
            output = io.BytesIO()
            figure.savefig(output, format="png", transparent=True)
            return output.getvalue()
        finally:
            plt.close(figure)


def _draw_map(
    figure: Any, axes: Any, data: Any, horizontal: tuple[str, str], drawn: Drawn
) -> list[str]:
    lat, lon = horizontal
    notes = [drawn.time] if drawn.time else []
    if drawn.levels and drawn.step.level_index is not None:
        notes.append(drawn.levels[drawn.step.level_index])
    data, more = _first_of_others(data, {lat, lon})
    if not drawn.missing:
        mesh = axes.pcolormesh(
            data[lon].values, data[lat].values, data.transpose(lat, lon).values, shading="auto"
        )
        bar = figure.colorbar(mesh, ax=axes)
        bar.set_label(str(data.attrs.get("units", "")))
        bar.formatter.set_useOffset(False)  # a small range shows as values, not "+2.5e2"
    else:  # the grid's extent, with nothing on it
        axes.set_xlim(float(data[lon].min()), float(data[lon].max()))
        axes.set_ylim(float(data[lat].min()), float(data[lat].max()))
    axes.set_xlabel(f"{lon} ({data[lon].attrs.get('units', '')})")
    axes.set_ylabel(f"{lat} ({data[lat].attrs.get('units', '')})")
    return notes + more


def _draw_series(axes: Any, data: Any, name: str, horizontal: list[str], drawn: Drawn) -> list[str]:
    series = data.mean(horizontal) if horizontal else data
    series, notes = _first_of_others(series, {"time"})
    if drawn.levels and drawn.step.level_index is not None:
        notes.insert(0, drawn.levels[drawn.step.level_index])
    moments = series["time"].values
    if drawn.missing:
        pass
    elif len(moments) and hasattr(moments[0], "dayofyr"):
        axes.plot([_decimal_year(moment) for moment in moments], series.values, linewidth=1)
    else:  # a time axis that did not decode to dates
        axes.plot(moments, series.values, linewidth=1)
    if len(moments) and hasattr(moments[0], "dayofyr"):
        axes.set_xlabel("year")
    else:
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


def _stamp(value: Any) -> str:
    """A time coordinate's value as ISO text (cftime, datetime or numpy datetime64)."""
    import numpy as np

    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="s"))
    return str(value)


def _time_labels(values: Any) -> list[str]:
    """Each time step as short as its spacing allows (``1950-01`` for monthly steps,
    ``1950-01-16`` for daily ones): text the time picker takes back for the same step."""
    import numpy as np

    stamps = [_stamp(value) for value in values]
    try:
        spacing = (values[1] - values[0]).total_seconds() / 86400 if len(values) > 1 else 1.0
    except (AttributeError, TypeError):
        try:
            spacing = float((values[1] - values[0]) / np.timedelta64(1, "D"))
        except (TypeError, ValueError, IndexError):
            return [stamp[:19] for stamp in stamps]
    width = 7 if spacing >= 28 else 10 if spacing >= 1 else 16
    return [stamp[:width] for stamp in stamps]


def _time_index(data: Any, moment: int | str | None) -> int:
    steps = int(data.sizes["time"])
    if not steps:
        raise BadRequest(f"{data.name!r} has no time steps")
    if moment is None:
        return 0
    if isinstance(moment, int):
        if not -steps <= moment < steps:
            year = f" (for the year {moment}, write {moment}-01)" if 1000 <= moment < 10000 else ""
            raise BadRequest(
                f"time index {moment} is outside 0..{steps - 1} (or -{steps}..-1 from the end)"
                + year
            )
        return moment % steps
    labels = _time_labels(data["time"].values)
    stamps = [_stamp(stamp) for stamp in data["time"].values]
    span = f"{data.name!r} runs from {labels[0]} to {labels[-1]} ({steps} steps)"
    text = moment.replace(" ", "T").removesuffix("Z")
    if DATE_TEXT.fullmatch(text) is None:
        year = labels[0][:4]
        raise BadRequest(
            f"no time step matches {moment[:40]!r}: give a step index 0..{steps - 1} "
            f"(-1 for the last) or a date such as {year}-06 or {year}-06-15; {span}"
        )
    later = [i for i, stamp in enumerate(stamps) if stamp >= text]
    if not later:
        raise BadRequest(f"no time step at or after {moment!r}: {span}")
    return later[0]


def _first_of_others(data: Any, keep: set[str]) -> tuple[Any, list[str]]:
    notes = []
    for dim in [d for d in data.dims if d not in keep]:
        if dim in data.coords:
            units = str(data[dim].attrs.get("units", ""))
            notes.append(f"{dim} = {value_label(_plain(data[dim].values[0]), units)}")
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

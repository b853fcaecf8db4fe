"""Virtual references of a dataset: where every piece of its data lies in its files, so
that opening the dataset reads one small JSON file instead of every file's header.

A reference is a kerchunk reference set (zarr v2 keys) of the dataset's files joined
along ``time``, as ``open_mfdataset`` joins them: the first file's metadata, variables
without ``time`` from the first file, ``time`` and its bounds inlined, the data
variables' pieces pointed at in every file. Pieces name their file by its position in
the dataset's list of files, never by path, so a reference cannot lead outside the
holding: the paths come from the index at each open.

References are cached as JSON under the index folder, one per dataset, keyed by the
dataset's version and a fingerprint of its files (path, size, modification time): a file
changed, added or removed makes the cached one stale and it is built again. Files are
written whole under a temporary name and renamed into place, so two kernels building
the same reference at once both succeed and a reader never sees half a file.

What cannot be referenced (netCDF-3 files, files whose time units differ, pieces that
do not line up) raises :class:`CannotReference`; the caller then opens the files.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Unprocessable
from .cache import atomic_file
from .inspect import reason

# Part of every reference file: a file an older layout wrote is built again
LAYOUT = 1
# Inside the index folder: refs/<holding>/<dataset id>.json
FOLDER = "refs"
TIME = "time"
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
Piece = list[Any]  # [file number, byte offset, byte count]


class CannotReference(Unprocessable):
    """The dataset's files cannot be described by one reference; the message says why."""


@dataclass(frozen=True)
class Reference:
    """A dataset's reference set, its pieces naming files by number."""

    refs: dict[str, Any]
    steps: list[int]  # time steps in each file: the dask chunks of an open
    tracking_ids: list[str | None]  # each file's, for citations
    order: list[str]  # the variables in the order xarray gives them reading the files


# --- the cache ------------------------------------------------------------------


def cache_path(index_dir: str, holding: str, dataset_id: str) -> str:
    """Where the reference of a dataset is kept (a hashed name for an id that is not a
    plain file name)."""
    name = dataset_id
    if not PLAIN_NAME.fullmatch(name):
        name = hashlib.sha256(dataset_id.encode()).hexdigest()
    return os.path.join(index_dir, FOLDER, holding, f"{name}.json")


def fingerprint(root: str, paths: Sequence[str]) -> str:
    """What the files are now: each one's path under the root, size and modification
    time (OSError if one has gone)."""
    digest = hashlib.sha256()
    for path in paths:
        info = os.stat(path)
        digest.update(
            f"{os.path.relpath(path, root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()


def load(path: str, version: str | None, files: str, count: int) -> Reference | None:
    """The cached reference at ``path`` if it is there, whole, and of these files;
    None if it is missing, stale or unreadable."""
    try:
        with open(path, "rb") as stream:
            kept = json.load(stream)
    except (OSError, ValueError):
        return None
    try:
        if (kept["layout"], kept["version"], kept["fingerprint"]) != (LAYOUT, version, files):
            return None
        reference = Reference(
            dict(kept["refs"]),
            list(kept["steps"]),
            list(kept["tracking_ids"]),
            [str(name) for name in kept["order"]],
        )
    except (KeyError, TypeError, ValueError):
        return None
    return reference if _well_formed(reference, count) else None


def _well_formed(reference: Reference, count: int) -> bool:
    """Whether every piece names one of the ``count`` files with a sane byte range."""
    if len(reference.steps) != count or len(reference.tracking_ids) != count:
        return False
    for key, value in reference.refs.items():
        if not isinstance(key, str):
            return False
        if isinstance(value, str):
            continue
        if not (
            isinstance(value, list)
            and len(value) == 3
            and all(type(number) is int for number in value)
            and 0 <= value[0] < count
            and value[1] >= 0
            and value[2] >= 0
        ):
            return False
    return all(type(step) is int and step > 0 for step in reference.steps)


def save(path: str, version: str | None, files: str, reference: Reference) -> None:
    """Keep a reference at ``path``, whole or not at all (OSError if it cannot be)."""
    kept = {
        "layout": LAYOUT,
        "version": version,
        "fingerprint": files,
        "steps": reference.steps,
        "tracking_ids": reference.tracking_ids,
        "order": reference.order,
        "refs": reference.refs,
    }
    with atomic_file(path, "w", encoding="utf-8") as stream:
        json.dump(kept, stream, separators=(",", ":"))


# --- opening --------------------------------------------------------------------


def open_reference(reference: Reference, paths: Sequence[str]) -> Any:
    """The dataset a reference describes, as ``xarray.Dataset`` (lazily, one dask chunk
    per file along time as ``open_mfdataset`` gives, variables and dimensions in the
    order it gives), non-standard calendars as cftime."""
    import fsspec
    import xarray as xr

    refs = {
        key: [paths[value[0]], value[1], value[2]] if isinstance(value, list) else value
        for key, value in reference.refs.items()
    }
    try:
        mapper = fsspec.filesystem("reference", fo={"version": 1, "refs": refs}).get_mapper("")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarr's notes on the v2 format
            opened = xr.open_dataset(
                mapper,
                engine="zarr",
                consolidated=False,
                zarr_format=2,
                chunks={TIME: tuple(reference.steps)},
                decode_times=xr.coders.CFDatetimeCoder(use_cftime=True),
            )
        return _in_order(opened, reference.order)
    except Exception as error:  # a reference zarr cannot read: the files can still be
        raise CannotReference(f"cannot open the reference: {reason(error)}") from None


def _in_order(dataset: Any, order: list[str]) -> Any:
    """``dataset`` with its variables (and so its dimensions) in ``order`` (zarr lists
    them by name), any it does not name after them."""
    import xarray as xr

    names = [n for n in order if n in dataset.variables]
    names += [n for n in dataset.variables if n not in names]
    ordered = xr.Dataset({n: dataset.variables[n] for n in names}, attrs=dataset.attrs)
    ordered.encoding = dataset.encoding
    ordered.set_close(dataset.close)
    return ordered.set_coords([n for n in names if n in dataset.coords])


# --- building -------------------------------------------------------------------


@dataclass
class _Variable:
    """One variable along time, as the first file has it."""

    name: str
    zarray: dict[str, Any]
    inline: bool  # time and its bounds: small, read whole into the reference


def build(paths: Sequence[str]) -> Reference:
    """The reference of a dataset's files, joined along time in the given order.
    :class:`CannotReference` says why it cannot be built."""
    if not paths:
        raise CannotReference("a dataset without files has no reference")
    try:
        return _build(paths)
    except CannotReference:
        raise
    except Exception as error:  # not HDF5 (netCDF-3), or a file h5py cannot read
        raise CannotReference(f"cannot reference the files: {reason(error)}") from None


def _build(paths: Sequence[str]) -> Reference:
    import h5py
    from kerchunk.hdf import SingleHdf5ToZarr

    first: dict[str, Any] = SingleHdf5ToZarr(paths[0], inline_threshold=0).translate()["refs"]
    along = _along_time(first)
    refs = _without_pieces_of(first, along, paths[0])
    steps, tracking_ids = [], []
    inline: dict[str, list[Any]] = {v.name: [] for v in along.values() if v.inline}
    pieces: dict[str, list[tuple[int, int, Any]]] = {
        n: [] for n, v in along.items() if not v.inline
    }
    expected, units = None, None
    for number, path in enumerate(paths):
        with h5py.File(path, "r") as opened:
            facts = _file_facts(opened, along, first)
            if number == 0:
                expected, units = facts, _text(opened[TIME].attrs.get("units"))
            elif facts != expected:
                raise CannotReference(f"{os.path.basename(path)} differs from the first file")
            steps.append(int(opened[TIME].shape[0]))
            tracking_ids.append(_text(opened.attrs.get("tracking_id")))
            for name in inline:
                inline[name].append(_in_units(opened[name][()], opened[TIME], units))
            for name in pieces:
                pieces[name].append((number, steps[-1], _storage(opened[name])))
    if not all(steps):
        raise CannotReference("a file has no time steps")
    for name, arrays in inline.items():
        refs.update(_inlined(name, along[name].zarray, arrays))
    _check_order(refs, along[TIME].zarray, sum(steps))
    for name, stored in pieces.items():
        refs.update(_pieces(name, along[name].zarray, stored))
    return Reference(refs, steps, tracking_ids, _variable_order(paths[0]))


def _variable_order(path: str) -> list[str]:
    """The variables of a file in the order xarray gives them, which ``open_mfdataset``
    keeps."""
    import xarray as xr

    with xr.open_dataset(path, decode_times=xr.coders.CFDatetimeCoder(use_cftime=True)) as one:
        return [str(name) for name in one.variables]


def _along_time(first: dict[str, Any]) -> dict[str, _Variable]:
    """The first file's variables along time (time first), time and its bounds inline."""
    variables = {}
    for key, value in first.items():
        if not key.endswith("/.zarray"):
            continue
        name = key.removesuffix("/.zarray")
        attrs = json.loads(first.get(f"{name}/.zattrs", "{}"))
        dims = attrs.get("_ARRAY_DIMENSIONS", [])
        if TIME not in dims:
            continue
        if dims[0] != TIME:
            raise CannotReference(f"{name!r} has time as a dimension other than the first")
        variables[name] = (json.loads(value), attrs)
    if TIME not in variables:
        raise CannotReference("the files have no time coordinate to join them along")
    bounds = variables[TIME][1].get("bounds")
    return {
        name: _Variable(name, zarray, inline=name in (TIME, bounds))
        for name, (zarray, _attrs) in variables.items()
    }


def _without_pieces_of(
    first: dict[str, Any], along: dict[str, _Variable], path: str
) -> dict[str, Any]:
    """The first file's references less the pieces of variables along time, its own
    pieces naming it as file 0."""
    refs: dict[str, Any] = {}
    for key, value in first.items():
        name, _, leaf = key.rpartition("/")
        if name in along and not leaf.startswith("."):
            continue
        if isinstance(value, list):
            if len(value) != 3 or value[0] != path:
                raise CannotReference(f"{key} refers to a whole file, not a piece of one")
            value = [0, int(value[1]), int(value[2])]
        elif not isinstance(value, str):
            value = base64_text(bytes(value))
        refs[key] = value
    return refs


def _file_facts(opened: Any, along: dict[str, _Variable], first: dict[str, Any]) -> Any:
    """What must agree between the files for a join along time to be what
    ``open_mfdataset`` gives: the variables along time with their dtypes, other
    dimensions and storage layout, time's units and calendar, and the values of the
    coordinates not along time (time's units may differ: :func:`_in_units` converts)."""
    facts: list[Any] = []
    for name in sorted(along):
        if name not in opened:
            return None
        data = opened[name]
        layout = None if along[name].inline else _layout(data)  # inline: read whole
        facts.append((name, data.dtype.str, data.shape[1:], layout))
    facts.append(_text(opened[TIME].attrs.get("calendar")))
    for key in sorted(first):
        name = key.removesuffix("/.zarray")
        if key.endswith("/.zarray") and name not in along:
            dims = json.loads(first.get(f"{name}/.zattrs", "{}")).get("_ARRAY_DIMENSIONS", [])
            if dims == [name] and name in opened:
                facts.append((name, opened[name][()].tobytes()))
    return facts


def _layout(data: Any) -> Any:
    """How a variable is stored: contiguous, or chunks of a shape through filters."""
    plist = data.id.get_create_plist()
    filters = tuple(plist.get_filter(i)[:3] for i in range(plist.get_nfilters()))
    return (data.chunks, filters)


def _storage(data: Any) -> Any:
    """Where a variable lies in its file: ``(offset, size)`` if contiguous, else its
    chunks as ``{chunk index: (offset, size)}``."""
    if data.chunks is None:
        offset = data.id.get_offset()
        if offset is None:
            raise CannotReference(f"{data.name} is not written in {data.file.filename}")
        return (int(offset), int(data.id.get_storage_size()))
    chunks = {}
    for i in range(data.id.get_num_chunks()):
        info = data.id.get_chunk_info(i)
        index = tuple(o // c for o, c in zip(info.chunk_offset, data.chunks, strict=True))
        chunks[index] = (int(info.byte_offset), int(info.size))
    wanted = math.prod(math.ceil(s / c) for s, c in zip(data.shape, data.chunks, strict=True))
    if len(chunks) != wanted:
        raise CannotReference(f"{data.name} has chunks not written in {data.file.filename}")
    return chunks


def _in_units(values: Any, time: Any, units: str | None) -> Any:
    """Times (or their bounds) of one file in the first file's units, where a file
    counts from another date (as ``open_mfdataset`` decodes each file on its own)."""
    import cftime
    import numpy as np

    own = _text(time.attrs.get("units"))
    if own == units or units is None or own is None:
        return values
    calendar = _text(time.attrs.get("calendar")) or "standard"
    dates = cftime.num2date(values, own, calendar)
    converted = np.asarray(cftime.date2num(dates, units, calendar), dtype=values.dtype)
    if not np.array_equal(cftime.num2date(converted, units, calendar), dates):
        raise CannotReference(f"{time.file.filename}'s times do not convert to {units!r}")
    return converted


def _inlined(name: str, zarray: dict[str, Any], arrays: list[Any]) -> dict[str, Any]:
    """A small variable along time (time, its bounds) joined and kept whole in the
    reference, as one uncompressed chunk."""
    import numpy as np

    joined = np.ascontiguousarray(np.concatenate(arrays).astype(np.dtype(zarray["dtype"])))
    shaped = {
        **zarray,
        "shape": list(joined.shape),
        "chunks": list(joined.shape),
        "compressor": None,
        "filters": None,
        "order": "C",
    }
    key = f"{name}/" + ".".join("0" * joined.ndim)
    return {f"{name}/.zarray": json.dumps(shaped), key: base64_text(joined.tobytes())}


def _check_order(refs: dict[str, Any], zarray: dict[str, Any], total: int) -> None:
    """Refuse files whose times do not follow each other (overlapping or out of order):
    ``open_mfdataset`` sorts or merges those."""
    import numpy as np

    key = f"{TIME}/0"
    times = np.frombuffer(base64.b64decode(refs[key].removeprefix("base64:")), zarray["dtype"])
    if times.size != total or (times.size > 1 and not bool(np.all(np.diff(times) > 0))):
        raise CannotReference("the files' times are not in order one after another")


def _pieces(
    name: str, zarray: dict[str, Any], stored: list[tuple[int, int, Any]]
) -> dict[str, Any]:
    """A variable along time pointed at in every file: contiguous variables cut into
    pieces of as many steps as every file's count divides; chunked ones by their chunks
    when every file but the last ends on a chunk boundary."""
    total = sum(steps for _, steps, _ in stored)
    rest = zarray["shape"][1:]
    if all(isinstance(storage, tuple) for _, _, storage in stored):
        step = math.gcd(*(steps for _, steps, _ in stored))
        step_bytes = math.prod(rest) * _itemsize(zarray["dtype"])
        shaped = {
            **zarray,
            "shape": [total, *rest],
            "chunks": [step, *rest],
            "compressor": None,
            "filters": None,
        }
        refs: dict[str, Any] = {f"{name}/.zarray": json.dumps(shaped)}
        start, tail = 0, ".0" * len(rest)
        for number, steps, (offset, size) in stored:
            if size != steps * step_bytes:
                raise CannotReference(f"{name} in file {number} is not the size its shape says")
            for j in range(steps // step):
                piece = [number, offset + j * step * step_bytes, step * step_bytes]
                refs[f"{name}/{(start + j * step) // step}{tail}"] = piece
            start += steps
        return refs
    if not all(isinstance(storage, dict) for _, _, storage in stored):
        raise CannotReference(f"{name} is contiguous in some files and chunked in others")
    along = int(zarray["chunks"][0])
    if any(steps % along for _, steps, _ in stored[:-1]):
        raise CannotReference(f"{name}'s chunks do not end where its files end")
    refs = {f"{name}/.zarray": json.dumps({**zarray, "shape": [total, *rest]})}
    start = 0
    for number, steps, chunks in stored:
        for index, (offset, size) in chunks.items():
            key = ".".join(map(str, (start // along + index[0], *index[1:])))
            refs[f"{name}/{key}"] = [number, offset, size]
        start += steps
    return refs


def _itemsize(dtype: str) -> int:
    import numpy as np

    return int(np.dtype(dtype).itemsize)


def base64_text(content: bytes) -> str:
    """Bytes as a reference set keeps them inline."""
    return "base64:" + base64.b64encode(content).decode()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
        if isinstance(value, bytes):
            return value.decode(errors="replace")
    return str(value)


# --- one dataset ----------------------------------------------------------------


def reference_for(
    index_dir: str,
    holding: str,
    dataset_id: str,
    version: str | None,
    root: str,
    paths: Sequence[str],
) -> Reference:
    """The dataset's reference: the cached one if it is of these files, else built (and
    kept, if the index folder may be written). :class:`CannotReference` if it cannot be."""
    try:
        files = fingerprint(root, paths)
    except OSError as error:
        raise CannotReference(f"a file of the dataset cannot be read: {error}") from None
    path = cache_path(index_dir, holding, dataset_id)
    reference = load(path, version, files, len(paths))
    if reference is None:
        reference = build(paths)
        with contextlib.suppress(OSError):  # a read-only index folder: use it unkept
            save(path, version, files, reference)
    return reference

"""The data this process used, for a paper's data statement: each dataset opened
through :mod:`jupyter_jasmin.holdings`, or mapped with :func:`jupyter_jasmin.pmap`
(its ``Dataset`` objects, or files of a dataset found through the holdings API), with
its version, its holding and the ``tracking_id`` of each file used that carries one.
Read with :func:`jupyter_jasmin.citations`.

In a Jupyter kernel every recording also writes the kernel's citations to
``<profile folder>/jasmin/citations/<kernel id>.json``, where the server finds them
for the panel (:mod:`jupyter_jasmin.kernel_citations`). A plain script writes nothing.

Opening a dataset notes its tracking_ids from the headers xarray reads anyway. A map
costs one dict lookup per item and no file read: the tracking_ids of mapped files are
read only when asked for, by ``citations()`` in the thread that calls it, or by the
server (in its reader processes) when the panel asks. Reading them
during the map would take CPU from the engines on a small VM (about 2-4 ms a file),
and a background thread here could crash netCDF4 against the user's own reads.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

# The file a kernel started by a Jupyter server connects with: kernel-<kernel id>.json
KERNEL_ID = re.compile(r"[0-9A-Za-z_]{1,40}(?:-[0-9A-Za-z_]{1,40}){4}")
_CONNECTION_FILE = re.compile(rf"kernel-({KERNEL_ID.pattern})\.json")


class CitationReply(TypedDict):
    """One dataset used, as the server serves it (``openapi.yaml``'s ``Citation``)."""

    holding: str
    id: str
    version: str | None
    files: int
    tracking_ids: list[str]


class UsedDataset(TypedDict):
    """One dataset in a kernel's file: every file used, and its tracking_id (``NONE``,
    "", if it has none; null if not read yet: the server reads it when asked)."""

    holding: str
    id: str
    version: str | None
    files: dict[str, str | None]


class CitationFile(TypedDict):
    """What a kernel writes: its citations, and which process wrote them (a file whose
    process is gone is stale: its kernel was restarted or has died)."""

    kernel_id: str
    host: str
    pid: int
    started: float  # the process's start time, so a reused pid is not taken for it
    datasets: list[UsedDataset]


@dataclass(frozen=True)
class Citation:
    """One dataset used: what a data statement names."""

    holding: str
    id: str
    version: str | None
    files: int
    tracking_ids: tuple[str, ...]  # in file order, each once; files without one are left out

    def __str__(self) -> str:
        return self.describe(str)

    def describe(self, quote: Callable[[str], str]) -> str:
        """One line for a data statement, names and ids passed through ``quote``."""
        version = f"version {quote(self.version)}, " if self.version else ""
        text = f"{quote(self.id)} ({version}holding {quote(self.holding)}, {_files(self.files)})"
        if self.tracking_ids:
            text += "; tracking_id: " + ", ".join(map(quote, self.tracking_ids))
        return text

    def reply(self) -> CitationReply:
        return CitationReply(
            holding=self.holding,
            id=self.id,
            version=self.version,
            files=self.files,
            tracking_ids=list(self.tracking_ids),
        )


def _files(count: int) -> str:
    return f"{count} file" + ("" if count == 1 else "s")


DatasetKey = tuple[str, str]  # (holding, dataset id)
NONE = ""  # a file's tracking_id when it has none (None: not read yet)


def cite(key: DatasetKey, version: str | None, files: Mapping[str, str | None]) -> Citation:
    """The citation of the files used of one dataset (path -> tracking_id)."""
    unique = tuple(dict.fromkeys(t for t in files.values() if t))
    return Citation(key[0], key[1], version, len(files), unique)


def read_unread(
    files: Mapping[str, str | None], read: Callable[[str], str]
) -> dict[str, str | None]:
    """``files`` with the tracking_id of each file not read yet read by ``read``."""
    return {path: read(path) if tid is None else tid for path, tid in files.items()}


@dataclass(frozen=True)
class _Known:
    """A dataset this process obtained through the holdings API, and its files."""

    key: DatasetKey
    version: str | None
    files: tuple[str, ...]


Files = dict[str, str | None]  # path -> tracking_id (NONE: it has none; None: not read yet)

# Each replaced whole under _lock, never changed in place (readers take no lock)
_used: dict[DatasetKey, tuple[str | None, Files]] = {}  # in the order first used
_known: dict[DatasetKey, _Known] = {}
_owners: dict[str, _Known] = {}  # a file's path -> the dataset it belongs to
_tracking: dict[str, str] = {}  # a file's path -> its tracking_id, once read
_lock = threading.Lock()


def note_files(holding: str, dataset_id: str, version: str | None, files: Sequence[str]) -> None:
    """Note a dataset's files as the holdings API lists them, so that mapping over
    them is recorded as a use of the dataset."""
    global _known, _owners
    known = _Known((holding, dataset_id), version, tuple(files))
    with _lock:
        _known = {**_known, known.key: known}
        _owners = {**_owners, **dict.fromkeys(known.files, known)}


def record(
    holding: str, dataset_id: str, version: str | None, tracking_ids: Sequence[str | None]
) -> None:
    """Note that this process opened a whole dataset; ``tracking_ids`` has one entry per
    file (in the order the holdings API lists them), None for a file without one."""
    known = _known.get((holding, dataset_id))
    if known is not None and len(known.files) == len(tracking_ids):
        files: Sequence[str] = known.files
    else:  # not listed through the API: the files are only counted
        files = [f"{holding}/{dataset_id}#{n}" for n in range(len(tracking_ids))]
    read: Files = {path: tid or NONE for path, tid in zip(files, tracking_ids, strict=True)}
    _record({(holding, dataset_id): (version, read)})


def _record(uses: dict[DatasetKey, tuple[str | None, Files]]) -> None:
    """Add files used to each dataset's record (a dataset used twice is listed once,
    with every file used either time), then tell the server if this is a kernel."""
    global _used, _tracking
    with _lock:
        used = dict(_used)
        for key, (version, files) in uses.items():
            before = used[key][1] if key in used else {}
            merged = {**before, **files}
            used[key] = (
                version,
                {p: t if t is not None else before.get(p) for p, t in merged.items()},
            )
        _used = used
        read = {p: t for _, files in uses.values() for p, t in files.items() if t is not None}
        _tracking = {**_tracking, **read}
    _write_for_kernel()


class MappedDatasets:
    """The datasets a ``pmap``'s items belong to, recorded by :meth:`record`."""

    def __init__(self, files: dict[DatasetKey, dict[str, None]], datasets: list[Any]) -> None:
        self._files = files  # dataset -> the paths mapped (a dict as an ordered set)
        self._datasets = datasets  # holdings Dataset objects mapped

    def __bool__(self) -> bool:
        return bool(self._files or self._datasets)

    def record(self) -> None:
        """Record the datasets; their files' tracking_ids are read later, when the
        citations are asked for (by ``citations()``, or the server for the panel)."""
        known = _tracking
        uses: dict[DatasetKey, tuple[str | None, Files]] = {}
        for dataset in self._datasets:
            uses[(dataset.holding, dataset.id)] = (dataset.version, dict.fromkeys(dataset.files))
        for key, paths in self._files.items():
            earlier = uses[key][1] if key in uses else {}
            uses[key] = (_known[key].version, {**earlier, **dict.fromkeys(paths)})
        for _, files in uses.values():
            files.update((path, known[path]) for path in files if path in known)
        if uses:
            _record(uses)


def mapped(items: Sequence[Any]) -> MappedDatasets:
    """What of ``items`` belongs to datasets of the holdings API: a dict lookup per item."""
    owners = _owners
    dataset_type = _dataset_type()
    files: dict[DatasetKey, dict[str, None]] = {}
    datasets: dict[DatasetKey, Any] = {}
    for whole in items:
        # an item may carry its file beside other things: (label, path), [path, options]
        for item in whole if isinstance(whole, tuple | list) else (whole,):
            _note(item, owners, dataset_type, files, datasets)
    return MappedDatasets(files, [*datasets.values()])


def _note(
    item: Any,
    owners: dict[str, Any],
    dataset_type: type[Any] | None,
    files: dict[DatasetKey, dict[str, None]],
    datasets: dict[DatasetKey, Any],
) -> None:
    if isinstance(item, str | os.PathLike):
        path = os.fspath(item)
        owner = owners.get(path) if isinstance(path, str) else None
        if owner is not None:
            files.setdefault(owner.key, {})[path] = None
    elif dataset_type is not None and isinstance(item, dataset_type):
        datasets.setdefault((item.holding, item.id), item)


def _dataset_type() -> type[Any] | None:
    """The holdings API's Dataset class, if loaded (no Dataset exists otherwise)."""
    api = sys.modules.get("jupyter_jasmin.holdings.api")
    found: type[Any] | None = getattr(api, "Dataset", None)
    return found


def read_tracking_ids(paths: list[str]) -> list[str]:
    """Each file's tracking_id (for the server's reader processes)."""
    return [read_tracking_id(path) for path in paths]


def read_tracking_id(path: str) -> str:
    """A netCDF file's global ``tracking_id`` attribute; NONE if it has none or cannot
    be read (a citation is no reason to fail)."""
    import netCDF4

    try:
        with netCDF4.Dataset(path) as data:
            value = getattr(data, "tracking_id", None)
    except OSError:
        return NONE
    return str(value) if value else NONE


class Citations(Sequence[Citation]):
    """The datasets used in this process, as a list to paste into a data statement."""

    def __init__(self, citations: list[Citation]) -> None:
        self._citations = citations

    def __getitem__(self, index: int) -> Citation:  # type: ignore[override]
        return self._citations[index]

    def __len__(self) -> int:
        return len(self._citations)

    def __iter__(self) -> Iterator[Citation]:
        return iter(self._citations)

    def __str__(self) -> str:
        if not self._citations:
            return "No datasets have been opened through jupyter_jasmin in this process."
        return "\n".join(f"- {citation}" for citation in self._citations)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        if not self._citations:
            return str(self)
        return "\n".join(f"- {c.describe(lambda text: f'`{text}`')}" for c in self._citations)


def citations() -> Citations:
    """The datasets this process opened or mapped through the holdings API, in the
    order first used: ``print(jupyter_jasmin.citations())`` gives a list for a data
    statement. (The tracking_ids of files mapped are read now, in this thread.)"""
    unread = {key: files for key, (_, files) in _used.items() if None in files.values()}
    if unread:
        _record(
            {
                key: (_used[key][0], read_unread(files, read_tracking_id))
                for key, files in unread.items()
            }
        )
    return Citations([cite(key, version, files) for key, (version, files) in _used.items()])


# --- From a kernel to the server ---------------------------------------------------


def citations_folder(profile_dir: str) -> str:
    """Where kernels write their citations, one file per kernel id."""
    return os.path.join(profile_dir, "jasmin", "citations")


def kernel_id() -> str | None:
    """This process's kernel id, if it is a kernel a Jupyter server started (its
    connection file is ``kernel-<id>.json``); None in a script or an engine."""
    app = sys.modules.get("ipykernel.kernelapp")
    if app is None or not app.IPKernelApp.initialized():
        return None
    found = _CONNECTION_FILE.fullmatch(os.path.basename(app.IPKernelApp.instance().connection_file))
    return found.group(1) if found else None


_written = threading.Lock()  # one write at a time, so the last recording's list wins


def _write_for_kernel() -> None:
    kernel = kernel_id()
    if kernel is None:
        return
    import psutil

    from .holdings.cache import atomic_file
    from .pools import profile_folder

    me = psutil.Process()
    with _written:
        content = CitationFile(
            kernel_id=kernel,
            host=socket.gethostname(),
            pid=me.pid,
            started=me.create_time(),
            datasets=[
                UsedDataset(holding=key[0], id=key[1], version=version, files=files)
                for key, (version, files) in _used.items()
            ],
        )
        path = os.path.join(citations_folder(profile_folder()), f"{kernel}.json")
        with atomic_file(path, "w", encoding="utf-8") as stream:
            json.dump(content, stream)

"""The holdings index: one SQLite file per holding, built whole and swapped in atomically.

A build writes ``<index>.tmp-<pid>`` and renames it over the old file only once it
is complete and on disk, so readers see the old index until the new one is whole,
and an interrupted build leaves the old one untouched. Besides plain tables of
folders, datasets and facet values (for SQL users and incremental refresh), the
file carries each facet's values pre-encoded as integer arrays, which readers
load once to answer facet counts and searches in memory. A build that cannot finish
(a full disk, the holding's folder renamed away mid-scan) says why in words.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import itertools
import json
import multiprocessing
import os
import re
import signal
import sqlite3
import sys
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .drs import DrsTemplate, file_variable, time_range
from .scan import UNMATCHED_KEPT, Folder, Scanner, ScanStats, root_problem

INDEX_FORMAT = "4"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, subdirs TEXT NOT NULL, prefix TEXT NOT NULL,
    names TEXT NOT NULL, sizes BLOB NOT NULL, unmatched TEXT NOT NULL, links INTEGER NOT NULL,
    count INTEGER NOT NULL, size INTEGER NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL
);
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY, dataset_id TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
    master_id TEXT NOT NULL, version TEXT, latest INTEGER NOT NULL,
    files INTEGER NOT NULL, size INTEGER NOT NULL, start TEXT, end TEXT, facets TEXT NOT NULL
);
CREATE TABLE facet_codes (
    facet TEXT PRIMARY KEY, position INTEGER NOT NULL, vals TEXT NOT NULL,
    datasets BLOB NOT NULL, codes BLOB NOT NULL
);
CREATE TABLE unmatched (path TEXT NOT NULL, reason TEXT NOT NULL);
"""
FOLDER_COLUMNS = (
    "path, mtime_ns, subdirs, prefix, names, sizes, unmatched, links, count, size, first, last"
)


@dataclass
class DatasetDraft:
    """What the walk learns about one dataset before it is written."""

    path: str
    parts: tuple[str, ...]
    files: int = 0
    size: int = 0
    file_facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # per variable: the first and last file name (CMOR names sort by time)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, folder: Folder, template: DrsTemplate, variable_from_name: bool) -> None:
        """Count a folder's files; remember each variable's first and last file name."""
        if folder.depth > template.dataset_depth:  # a folder below the version (CMIP5)
            below = template.segments[template.dataset_depth :]
            values = folder.path.split("/")[template.dataset_depth :]
            for segment, value in zip(below, values, strict=False):
                if segment.facet:
                    self.file_facets[segment.facet].add(value)
        self.files += folder.count
        self.size += folder.total_size
        first, last = folder.first, folder.last
        variable = first.split("_", 1)[0]
        if last.startswith(variable + "_"):
            # names are sorted: all between two names sharing a prefix share it too
            groups = {variable: (first, last)}
        else:
            groups = {}
            for each, members in itertools.groupby(folder.names, key=file_variable):
                listed = list(members)
                groups[each] = (listed[0], listed[-1])
        for each, (low, high) in groups.items():
            known = self.names.get(each)
            self.names[each] = (min(known[0], low), max(known[1], high)) if known else (low, high)
        if variable_from_name:
            self.file_facets["variable"].update(groups)

    def finish(self, template: DrsTemplate) -> DatasetEntry:
        """Everything the index stores about this dataset, ready to be written."""
        facets: dict[str, Any] = template.facet_values(self.parts)
        for name, found in self.file_facets.items():
            facets[name] = sorted(found)
        dataset_id = template.dataset_id(self.parts)
        version = template.version(self.parts)
        # the id holds every dataset-level value; add those that vary within it
        words = [dataset_id]
        for found in self.file_facets.values():
            words += found
        start, end = self.time_span()
        return DatasetEntry(
            dataset_id,
            self.path,
            template.master_id(self.parts),
            version,
            version_key(version),
            self.files,
            self.size,
            start,
            end,
            json.dumps(facets),
            " ".join(words).lower(),
            tuple([facets.get(name) for name in template.facets]),
        )

    def time_span(self) -> tuple[str | None, str | None]:
        if len(self.names) == 1:  # one variable, as in every CMIP6 dataset
            ((first, last),) = self.names.values()
            first_range, last_range = time_range(first), time_range(last)
            if first_range and last_range:
                return first_range[0], last_range[1]
            return None, None
        starts, ends = [], []
        for first, last in self.names.values():
            first_range, last_range = time_range(first), time_range(last)
            if first_range and last_range:
                starts.append(first_range[0])
                ends.append(last_range[1])
        return (min(starts) if starts else None, max(ends) if ends else None)


class DatasetEntry(NamedTuple):
    """One dataset as it is written to the index."""

    dataset_id: str
    path: str
    master_id: str
    version: str | None
    rank: tuple[int, str]  # orders versions of one dataset
    files: int
    size: int
    start: str | None
    end: str | None
    facets_json: str
    search: str
    values: tuple[Any, ...]  # per template facet: a value, or a list of values


def stored_entry(row: tuple[Any, ...], template: DrsTemplate) -> DatasetEntry:
    """A dataset as an earlier build wrote it (a ``datasets`` row from ``dataset_id`` to
    ``facets``), for a refresh that found none of its folders changed."""
    dataset_id, path, master_id, version, files, size, start, end, facets_json = row
    facets = json.loads(facets_json)
    words = [dataset_id]
    for name in template.file_facets:
        words += facets.get(name) or []
    return DatasetEntry(
        dataset_id,
        path,
        master_id,
        version,
        version_key(version),
        files,
        size,
        start,
        end,
        facets_json,
        " ".join(words).lower(),
        tuple([facets.get(name) for name in template.facets]),
    )


def version_key(version: str | None) -> tuple[int, str]:
    """Versions in order: v2 before v10, v20120710 after v20111202."""
    if version is None:
        return (-1, "")
    digits = version[1:] if version[:1] == "v" else version
    if not digits.isdigit():
        digits = re.sub(r"\D", "", version)
    return (int(digits) if digits else -1, version)


class PreviousIndex:
    """The index a refresh replaces, read a subtree at a time: in each scan worker, so
    that reading it back is shared out too. Its unchanged folders' rows are copied into
    the new index inside SQLite, never rebuilt in Python."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    @classmethod
    def of(cls, index_path: str, template: DrsTemplate, root: str) -> PreviousIndex | None:
        """The existing index, if it was built for the same root and template."""
        if not os.path.exists(index_path):
            return None
        try:
            with contextlib.closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as db:
                meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.Error:
            return None  # unreadable old index: build from scratch
        if (
            meta.get("format") != INDEX_FORMAT
            or meta.get("template") != template.spec
            or meta.get("root") != os.path.realpath(root)
        ):
            return None
        return cls(index_path)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():  # a forked worker opens its own
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._pid = os.getpid()
        return self._db

    def subtree(self, start: str) -> dict[str, Folder]:
        """The folders at and below ``start``."""
        query = f"SELECT {FOLDER_COLUMNS} FROM folders"  # noqa: S608
        if start:
            rows = self._connection().execute(
                f"{query} WHERE path = ? OR (path > ? AND path < ?)",
                (start, f"{start}/", f"{start}0"),  # "0" follows "/"
            )
        else:
            rows = self._connection().execute(query)
        return {row[0]: Folder.from_row(row) for row in rows}

    def datasets(self, start: str) -> dict[str, tuple[Any, ...]]:
        """The datasets at and below ``start``, by path, as :func:`stored_entry` takes them."""
        query = (
            "SELECT dataset_id, path, master_id, version, files, size, start, end, facets "
            "FROM datasets"
        )
        if start:
            rows = self._connection().execute(
                f"{query} WHERE path = ? OR (path > ? AND path < ?)",
                (start, f"{start}/", f"{start}0"),
            )
        else:
            rows = self._connection().execute(query)
        return {row[1]: row for row in rows}

    def folders(self, paths: list[str]) -> dict[str, Folder]:
        """The folders at ``paths`` that the index has."""
        found: dict[str, Folder] = {}
        for start in range(0, len(paths), 500):  # SQLite's limit on parameters
            chunk = paths[start : start + 500]
            rows = self._connection().execute(
                f"SELECT {FOLDER_COLUMNS} FROM folders "  # noqa: S608
                f"WHERE path IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[0], Folder.from_row(row)) for row in rows)
        return found


def remove_stale_builds(index_path: str) -> None:
    """Delete temporary files of builds whose process is gone."""
    for leftover in glob.glob(f"{glob.escape(index_path)}.tmp-*"):
        pid = leftover.rsplit(".tmp-", 1)[-1].split("-", 1)[0]  # the building process
        if pid.isdigit() and _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.remove(leftover)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class BuildReport:
    holding: str
    files: int
    datasets: int
    folders: int
    reused_folders: int
    unmatched: int
    seconds: float


class IndexBuildError(OSError):
    """What stopped a build, in words (the holding's folder gone, a full disk). An
    OSError, as it is always the file system that stops one."""


def build_index(
    holding: str,
    root: str,
    template: DrsTemplate,
    index_path: str,
    progress: Callable[[ScanStats], None] | None = None,
    incremental: bool = True,
    progress_every: float = 0.5,
    workers: int | None = None,
) -> BuildReport:
    """Scan ``root`` (in ``workers`` processes) and atomically replace the index.

    Whatever stops the build, the previous index stays as it was and the build's
    temporary files are removed; file-system failures come as :class:`IndexBuildError`."""
    started = time.monotonic()
    problem = root_problem(root)
    if problem:
        raise IndexBuildError(problem)
    folder = os.path.dirname(os.path.abspath(index_path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_builds(index_path)
        previous = PreviousIndex.of(index_path, template, root) if incremental else None
        scanner = Scanner(root, template)
        identity = _identity(scanner.root)
        temporary = f"{index_path}.tmp-{os.getpid()}"
    except OSError as error:
        raise IndexBuildError(in_words(error, folder)) from error
    build = _Build(
        holding, scanner, previous, progress, progress_every, workers or os.cpu_count() or 1
    )
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as db:
            build.write(db, temporary, started)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        if _identity(scanner.root) != identity:  # renamed away or removed mid-scan
            raise IndexBuildError(
                f"the holding's folder {scanner.root} vanished during the refresh "
                "(renamed or removed)"
            )
        os.replace(temporary, index_path)
    except BaseException as error:
        for leftover in [temporary, *glob.glob(f"{glob.escape(temporary)}-w*")]:
            with contextlib.suppress(OSError):
                os.remove(leftover)
        if isinstance(error, OSError | sqlite3.Error) and not isinstance(error, IndexBuildError):
            raise IndexBuildError(in_words(error, folder)) from error
        raise
    stats = build.stats
    return BuildReport(
        holding,
        stats.files,
        build.datasets,
        stats.folders,
        stats.reused_folders,
        stats.unmatched,
        round(time.monotonic() - started, 3),
    )


def in_words(error: BaseException, index_folder: str) -> str:
    """What stopped a build, as its user would say it."""
    if isinstance(error, OSError) and error.errno == errno.EDQUOT:
        return f"the disk quota of the index folder {index_folder} is used up"
    if _out_of_space(error):
        return f"no space left on the device holding the index folder {index_folder}"
    return f"{type(error).__name__}: {error}"


def _out_of_space(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    if isinstance(error, sqlite3.Error):
        # a worker's error arrives pickled, without its code: its message says it
        code = getattr(error, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "disk is full" in str(error)
    return False


def _identity(folder: str) -> tuple[int, int] | None:
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


@dataclass
class _Build:
    """One build's settings and what it has counted so far."""

    holding: str
    scanner: Scanner
    previous: PreviousIndex | None
    progress: Callable[[ScanStats], None] | None
    progress_every: float
    workers: int
    stats: ScanStats = field(default_factory=ScanStats)
    datasets: int = 0

    def write(self, db: sqlite3.Connection, temporary: str, started: float) -> None:
        """Scan the tree into ``db``, a new file, and commit it."""
        db.executescript(
            "PRAGMA page_size=32768; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "PRAGMA cache_size=-65536;" + SCHEMA
        )
        entries: list[DatasetEntry] = []
        unmatched: list[tuple[str, str]] = []
        reported = time.monotonic()
        # closed at once on any failure: the pool of scan workers ends with it
        db.execute("CREATE TEMP TABLE reused (path TEXT NOT NULL)")
        scan = _scan(self.scanner, self.previous, self.workers, temporary)
        with contextlib.closing(scan) as batches:
            for batch in batches:
                _insert_folders(db, batch.rows)
                db.executemany("INSERT INTO temp.reused VALUES (?)", [(p,) for p in batch.reused])
                unmatched += batch.unmatched[: UNMATCHED_KEPT - len(unmatched)]
                entries += batch.entries
                self.stats.merge(batch.stats)
                if self.progress is not None and time.monotonic() - reported >= self.progress_every:
                    reported = time.monotonic()
                    self.stats.seconds = round(reported - started, 3)
                    self.progress(self.stats)
        _gather_worker_folders(db, temporary)
        if self.previous is not None:
            _copy_reused_folders(db, self.previous.path)
        db.executemany("INSERT INTO unmatched VALUES (?, ?)", unmatched)
        self.datasets = _write_datasets(db, entries, self.scanner.template)
        db.executemany("INSERT INTO meta VALUES (?, ?)", self.meta(started).items())
        db.commit()

    def meta(self, started: float) -> dict[str, str]:
        template, stats = self.scanner.template, self.stats
        return {
            "format": INDEX_FORMAT,
            "holding": self.holding,
            "root": self.scanner.root,
            "template": template.spec,
            "template_name": template.name,
            "facets": json.dumps(list(template.facets)),
            "built": str(time.time()),
            "seconds": f"{time.monotonic() - started:.3f}",
            "files": str(stats.files),
            "datasets": str(self.datasets),
            "folders": str(stats.folders),
            "reused_folders": str(stats.reused_folders),
            "unmatched": str(stats.unmatched),
            "links_skipped": str(stats.links_skipped),
        }


def _listed(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _insert_folders(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    db.executemany("INSERT INTO folders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _gather_worker_folders(db: sqlite3.Connection, temporary: str) -> None:
    """Copy the folders each worker wrote to its own file into the index, in SQLite."""
    for part in sorted(glob.glob(f"{glob.escape(temporary)}-w*")):
        db.commit()
        db.execute("ATTACH DATABASE ? AS part", (part,))
        db.execute("INSERT INTO folders SELECT * FROM part.folders")
        db.execute("INSERT INTO temp.reused SELECT path FROM part.reused")
        db.commit()
        db.execute("DETACH DATABASE part")
        os.remove(part)


def _copy_reused_folders(db: sqlite3.Connection, previous: str) -> None:
    """Copy the unchanged folders' rows from the index being replaced, in SQLite."""
    db.commit()
    db.execute("ATTACH DATABASE ? AS old", (previous,))
    db.execute(
        f"INSERT INTO folders SELECT {FOLDER_COLUMNS} FROM old.folders "  # noqa: S608
        "WHERE path IN (SELECT path FROM temp.reused)"
    )
    db.commit()
    db.execute("DETACH DATABASE old")


@dataclass
class Batch:
    """What scanning one subtree found: folder rows (unless a worker stored them itself),
    complete dataset entries, counts, and the first paths that did not fit."""

    rows: list[tuple[Any, ...]]
    entries: list[DatasetEntry]
    stats: ScanStats
    unmatched: list[tuple[str, str]]
    reused: list[str]  # paths of unchanged folders, whose rows the index already has


# What forked workers scan with, and where they write: set by the parent before it forks.
_WORKER_SCANNER: Scanner | None = None
_WORKER_PREVIOUS: PreviousIndex | None = None
_WORKER_OUTPUT = ""
_worker_db: sqlite3.Connection | None = None


def _scan(
    scanner: Scanner, previous: PreviousIndex | None, workers: int, temporary: str
) -> Generator[Batch, None, None]:
    """The folders of the whole tree in batches, the subtrees shared among processes.

    The parent lists the top levels itself, down to a level with enough folders to
    share out (never below the dataset level, so a dataset stays in one batch)."""
    template = scanner.template
    frontier, top, depth = [""], [], 0
    deepest = min(template.dataset_depth, template.depth - 1)
    while frontier and len(frontier) < 32 * workers and depth < deepest:
        if previous is not None:
            scanner.previous = previous.folders(frontier)
        below = []
        for path in frontier:
            folder = scanner.folder(path)
            if folder is not None:
                top.append(folder)
                prefix = f"{path}/" if path else ""
                below += [prefix + name for name in folder.subdirs]
        frontier, depth = below, depth + 1
    yield Batch(
        [f.row() for f in top if not f.stored], [], scanner.stats, _unmatched(top), scanner.reused
    )
    # forking a process with threads running (a server, a test) is unsafe: scan in-line
    if workers < 2 or len(frontier) < 2 or threading.active_count() > 1:
        for start in frontier:
            yield _scan_subtree(start, scanner, previous)
        return
    global _WORKER_SCANNER, _WORKER_PREVIOUS, _WORKER_OUTPUT
    _WORKER_SCANNER, _WORKER_PREVIOUS, _WORKER_OUTPUT = scanner, previous, temporary
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_die_with, initargs=(os.getpid(),)) as pool:
        yield from pool.imap_unordered(_scan_subtree, frontier, chunksize=4)


def _die_with(parent: int) -> None:
    """Make a scan worker die with the build that forked it: a build killed outright
    must not leave workers scanning on (Linux; the server also ends the build's whole
    process group)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)


def _unmatched(folders: Iterable[Folder]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for folder in folders:
        prefix = f"{folder.path}/" if folder.path else ""
        found += [(prefix + name, reason) for name, reason in folder.unmatched]
        if len(found) >= UNMATCHED_KEPT:
            break
    return found[:UNMATCHED_KEPT]


def _scan_subtree(
    start: str, scanner: Scanner | None = None, previous: PreviousIndex | None = None
) -> Batch:
    """Scan one subtree, in-line or in a worker (which stores the folder rows itself,
    sparing the parent from receiving and writing them)."""
    in_worker = scanner is None
    scanner = scanner or _WORKER_SCANNER
    previous = _WORKER_PREVIOUS if in_worker else previous
    assert scanner is not None
    template = scanner.template
    scanner.stats, scanner.reused = ScanStats(), []
    scanner.previous = previous.subtree(start) if previous is not None else {}
    variable_from_name = "variable" in template.file_facets
    folders = scanner.walk(start)
    drafts: dict[str, DatasetDraft] = {}
    changed: set[str] = set()  # datasets with a folder listed afresh
    for folder in folders:
        if folder.count:
            key = "/".join(folder.path.split("/")[: template.dataset_depth])
            draft = drafts.get(key)
            if draft is None:
                draft = drafts[key] = DatasetDraft(key, tuple(key.split("/")))
            draft.add(folder, template, variable_from_name)
            if not folder.stored:
                changed.add(key)
    rows = [folder.row() for folder in folders if not folder.stored]
    reused = scanner.reused
    if in_worker and _WORKER_OUTPUT:
        _store_in_worker(rows, reused)
        rows, reused = [], []
    # a dataset lies wholly inside one subtree: its draft is complete here, and a
    # dataset none of whose folders changed is as the previous build wrote it
    stored = previous.datasets(start) if previous is not None and scanner.reused else {}
    entries = [
        stored_entry(stored[key], template)
        if key in stored and key not in changed
        else draft.finish(template)
        for key, draft in drafts.items()
    ]
    return Batch(rows, entries, scanner.stats, _unmatched(folders), reused)


def _store_in_worker(rows: list[tuple[Any, ...]], reused: list[str]) -> None:
    global _worker_db
    if _worker_db is None:
        _worker_db = sqlite3.connect(f"{_WORKER_OUTPUT}-w{os.getpid()}")
        _worker_db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            f"CREATE TABLE folders ({FOLDER_COLUMNS}); CREATE TABLE reused (path);"
        )
    _insert_folders(_worker_db, rows)
    _worker_db.executemany("INSERT INTO reused VALUES (?)", [(path,) for path in reused])
    _worker_db.commit()


def _write_datasets(
    db: sqlite3.Connection, entries: list[DatasetEntry], template: DrsTemplate
) -> int:
    entries.sort()
    newest: dict[str, tuple[int, str]] = {}
    for entry in entries:
        known = newest.get(entry.master_id)
        if known is None or entry.rank > known:
            newest[entry.master_id] = entry.rank
    db.executemany(
        "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                row,
                e.dataset_id,
                e.path,
                e.master_id,
                e.version,
                int(e.rank == newest[e.master_id]),
                e.files,
                e.size,
                e.start,
                e.end,
                e.facets_json,
            )
            for row, e in enumerate(entries, start=1)
        ),
    )
    db.execute("CREATE INDEX datasets_by_master ON datasets (master_id)")
    columns = list(zip(*[entry.values for entry in entries], strict=True)) or [
        () for _ in template.facets
    ]
    for position, name in enumerate(template.facets):
        column: list[Any] | tuple[Any, ...] = columns[position]
        if list in set(map(type, column)):  # values that vary within a dataset
            rows = array("i", [row for row, value in enumerate(column) for _ in _listed(value)])
            column = [one for value in column for one in _listed(value)]
        else:
            rows = array("i", range(len(column)))
        values = set(column)
        if None in values:  # a facet a dataset lacks is left out
            values.discard(None)
            rows = array(
                "i", [row for row, value in zip(rows, column, strict=True) if value is not None]
            )
            column = [value for value in column if value is not None]
        ordered = sorted(values)
        code_of = {value: code for code, value in enumerate(ordered)}
        db.execute(
            "INSERT INTO facet_codes VALUES (?, ?, ?, ?, ?)",
            (
                name,
                position,
                json.dumps([str(value) for value in ordered]),
                rows.tobytes(),
                array("i", map(code_of.__getitem__, column)).tobytes(),
            ),
        )
    db.execute("INSERT INTO meta VALUES ('search', ?)", ("\n".join(e.search for e in entries),))
    return len(entries)

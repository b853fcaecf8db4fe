"""Answering questions from a built index: facet counts, searches, pages, one dataset.

Facet values are held in memory as integer arrays (one pair of arrays per facet:
which dataset, which value), so counting values under a selection is a handful
of vectorised operations however large the archive. The reader notices when the
index file has been replaced (a refresh, or an admin's cron job) and loads it again
into a new snapshot, swapped in whole; a file that is not a readable index is refused
with :class:`UnreadableIndex`, saying why, never half-loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ..errors import BadRequest, Conflict, NotFound
from .drs import time_range
from .index import FOLDER_COLUMNS
from .scan import Folder
from .shapes import (
    DatasetVersion,
    FacetCounts,
    FacetValueCount,
    IndexedDataset,
    IndexedFile,
    IndexedPage,
    UnmatchedPath,
)

Mask = npt.NDArray[np.bool_]
Stamp = tuple[int, int, int]  # inode, modification time, size: a replaced file differs
META_COUNTS = ("files", "datasets", "unmatched")
META_TIMES = ("built", "seconds")


class UnreadableIndex(Conflict):
    """The index file is there but is not a readable index: corrupt, empty, cut short."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"the index file {path} is unreadable ({reason})")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Selection:
    """What a user has chosen: facet values (OR within a facet, AND across), text, versions."""

    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text: str = ""
    latest: bool = True


@dataclass(frozen=True)
class FacetColumn:
    values: list[str]
    datasets: npt.NDArray[np.int32]
    codes: npt.NDArray[np.int32]
    lookup: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", {value: code for code, value in enumerate(self.values)})

    def fits(self, size: int) -> bool:
        """Whether the arrays can be what they claim: a value code per dataset row."""
        if len(self.datasets) != len(self.codes):
            return False
        if not len(self.codes):
            return True
        return bool(
            self.datasets.min() >= 0
            and self.datasets.max() < size
            and self.codes.min() >= 0
            and self.codes.max() < len(self.values)
        )

    def having(self, chosen: tuple[str, ...], size: int) -> Mask:
        """Datasets that have any of the chosen values."""
        wanted = [self.lookup[value] for value in chosen if value in self.lookup]
        mask = np.zeros(size, dtype=bool)
        if wanted:
            mask[self.datasets[np.isin(self.codes, wanted)]] = True
        return mask


@dataclass(frozen=True)
class IndexSnapshot:
    """One index file as loaded, whole: what in-memory queries read. A reload makes a new
    snapshot and swaps it in; a query takes the snapshot once and reads only that."""

    stamp: Stamp
    meta: dict[str, str]
    facets: dict[str, FacetColumn]
    latest: Mask
    size: int
    search: str  # one line of words per dataset
    line_starts: npt.NDArray[np.int64]
    # facet counts with nothing chosen (what everyone sees first), per value of ``latest``:
    # counted once per snapshot, so they can never outlive the index they count
    plain_counts: dict[bool, FacetCounts] = field(default_factory=dict, compare=False)

    def check(self, selection: Selection) -> None:
        unknown = sorted(set(selection.facets) - set(self.facets))
        if unknown:
            raise BadRequest(
                f"unknown facet(s) {', '.join(map(repr, unknown))}; "
                f"this holding has {', '.join(self.facets)}"
            )

    def _text_mask(self, text: str) -> Mask:
        mask = np.ones(self.size, dtype=bool)
        for word in text.lower().split():
            hits = [m.start() for m in re.finditer(re.escape(word), self.search)]
            found = np.zeros(self.size, dtype=bool)
            if hits:
                found[np.searchsorted(self.line_starts, hits, side="right") - 1] = True
            mask &= found
        return mask

    def _masks(self, selection: Selection) -> tuple[Mask, dict[str, Mask]]:
        base = self.latest.copy() if selection.latest else np.ones(self.size, dtype=bool)
        if selection.text.strip():
            base &= self._text_mask(selection.text)
        chosen = {
            name: self.facets[name].having(values, self.size)
            for name, values in selection.facets.items()
            if values
        }
        return base, chosen

    def select(self, selection: Selection) -> Mask:
        self.check(selection)
        base, chosen = self._masks(selection)
        for mask in chosen.values():
            base &= mask
        return base

    def facet_counts(self, selection: Selection) -> FacetCounts:
        """Per facet, its values with dataset counts under the selection on the *other*
        facets (so alternatives stay visible, as in ESGF's search)."""
        self.check(selection)
        if selection.text.strip() or any(selection.facets.values()):
            return self._count(selection)
        cached = self.plain_counts.get(selection.latest)
        if cached is None:
            cached = self.plain_counts[selection.latest] = self._count(selection)
        return cached

    def _count(self, selection: Selection) -> FacetCounts:
        base, chosen = self._masks(selection)
        everything = base.copy()
        for mask in chosen.values():
            everything &= mask
        result: dict[str, list[FacetValueCount]] = {}
        for name, column in self.facets.items():
            others = base.copy()
            for other, mask in chosen.items():
                if other != name:
                    others &= mask
            counts = np.bincount(
                column.codes[others[column.datasets]], minlength=len(column.values)
            )
            picked = set(selection.facets.get(name, ()))
            result[name] = [
                {"value": value, "count": int(count), "selected": value in picked}
                for value, count in zip(column.values, counts, strict=True)
                if count or value in picked
            ]
        return {"total": int(everything.sum()), "facets": result}


def file_stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except OSError as error:
        raise UnreadableIndex(path, error.strerror or str(error)) from None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def load_snapshot(path: str) -> IndexSnapshot:
    """The index file read whole, or :class:`UnreadableIndex` saying why it cannot be.
    A file replaced while it is read is read again."""
    for _ in range(3):
        stamp = file_stamp(path)
        try:
            snapshot = _read_snapshot(path, stamp)
        except (sqlite3.Error, ValueError, TypeError) as error:
            if file_stamp(path) != stamp:
                continue
            raise UnreadableIndex(path, str(error)) from None
        if file_stamp(path) == stamp:
            return snapshot
    raise UnreadableIndex(path, "it kept changing while it was read")


def _read_snapshot(path: str, stamp: Stamp) -> IndexSnapshot:
    with contextlib.closing(connect(path)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        facets = {
            name: FacetColumn(
                json.loads(values),
                np.frombuffer(datasets, dtype=np.int32),
                np.frombuffer(codes, dtype=np.int32),
            )
            for name, values, datasets, codes in db.execute(
                "SELECT facet, vals, datasets, codes FROM facet_codes ORDER BY position"
            )
        }
        latest = np.array(
            [row[0] for row in db.execute("SELECT latest FROM datasets ORDER BY id")],
            dtype=bool,
        )
    latest.flags.writeable = False
    search = meta.pop("search", "")
    for key in (*META_COUNTS, *META_TIMES):
        if key not in meta:
            raise ValueError(f"its meta table has no {key!r}")
        (int if key in META_COUNTS else float)(meta[key])  # a ValueError if not a number
    for name, column in facets.items():
        if not column.fits(len(latest)):
            raise ValueError(f"its values of facet {name!r} do not fit its datasets")
    starts = [0] + [m.end() for m in re.finditer("\n", search)]
    return IndexSnapshot(
        stamp=stamp,
        meta=meta,
        facets=facets,
        latest=latest,
        size=len(latest),
        search=search,
        line_starts=np.array(starts[: len(latest)], dtype=np.int64),
    )


class IndexReader:
    """A read-only view of one holding's index file, reloaded whole when the file is
    replaced (a refresh, or an admin's cron job)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._local = threading.local()  # each thread's connection, with its snapshot
        self._snapshot = load_snapshot(path)

    # --- loading ----------------------------------------------------------

    @property
    def snapshot(self) -> IndexSnapshot:
        return self._snapshot

    @property
    def meta(self) -> dict[str, str]:
        return self._snapshot.meta

    def reload(self) -> None:
        """Load the index file again if it was replaced since it was last read;
        :class:`UnreadableIndex` if what replaced it is not an index."""
        if file_stamp(self.path) == self._snapshot.stamp:
            return
        with self._lock:
            if file_stamp(self.path) != self._snapshot.stamp:
                self._snapshot = load_snapshot(self.path)

    def _view(self) -> tuple[IndexSnapshot, sqlite3.Connection]:
        """The current snapshot and this thread's connection to the same file."""
        for _ in range(3):
            snapshot = self._snapshot
            db = self._connection(snapshot)
            if db is not None:
                return snapshot, db
            self.reload()  # the file was replaced after the snapshot was taken
        raise UnreadableIndex(self.path, "it kept changing while it was read")

    def _connection(self, snapshot: IndexSnapshot) -> sqlite3.Connection | None:
        held: tuple[IndexSnapshot, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] is snapshot:
            return held[1]
        if held is not None:
            held[1].close()
            self._local.held = None
        db = connect(self.path)
        try:
            built = db.execute("SELECT value FROM meta WHERE key = 'built'").fetchone()
        except sqlite3.Error as error:
            db.close()
            raise UnreadableIndex(self.path, str(error)) from None
        if built is None or built[0] != snapshot.meta["built"]:
            db.close()  # opened a newer file than the snapshot's
            return None
        self._local.held = (snapshot, db)
        return db

    def _query(
        self, db: sqlite3.Connection, sql: str, parameters: tuple[Any, ...] | list[Any] = ()
    ) -> list[Any]:
        try:
            return db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise UnreadableIndex(self.path, str(error)) from None

    def _datasets(
        self, db: sqlite3.Connection, where: str, parameters: tuple[Any, ...] | list[Any] = ()
    ) -> list[DatasetRow]:
        sql = f"SELECT {DATASET_COLUMNS} FROM datasets {where}"  # noqa: S608
        return [DatasetRow(*row) for row in self._query(db, sql, parameters)]

    # --- answering ----------------------------------------------------------

    def select(self, selection: Selection) -> Mask:
        return self._snapshot.select(selection)

    def facet_counts(self, selection: Selection) -> FacetCounts:
        return self._snapshot.facet_counts(selection)

    def page(self, selection: Selection, offset: int, limit: int) -> IndexedPage:
        snapshot, db = self._view()
        rows = np.flatnonzero(snapshot.select(selection))
        chosen = [int(i) + 1 for i in rows[offset : offset + limit]]
        found = {}
        if chosen:
            marks = ",".join("?" * len(chosen))
            for row in self._datasets(db, f"WHERE id IN ({marks})", chosen):
                found[row.row] = dataset_summary(row)
        missing = [i for i in chosen if i not in found]
        if missing:
            raise UnreadableIndex(self.path, f"dataset row {missing[0]} is missing")
        return {
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "datasets": [found[i] for i in chosen],
        }

    def dataset(self, dataset_id: str) -> FoundDataset:
        snapshot, db = self._view()
        rows = self._datasets(db, "WHERE dataset_id = ?", (dataset_id,))
        if not rows:
            raise NotFound(f"no dataset {dataset_id!r} in holding {snapshot.meta.get('holding')!r}")
        row = rows[0]
        versions: list[DatasetVersion] = [
            {"id": other, "version": version, "latest": bool(latest), "files": files, "size": size}
            for other, version, latest, files, size in self._query(
                db,
                "SELECT dataset_id, version, latest, files, size FROM datasets "
                "WHERE master_id = ? ORDER BY version",
                (row.master_id,),
            )
        ]
        return FoundDataset(
            dataset_summary(row),
            self._files(db, row.path),
            versions,
            snapshot.meta.get("built", ""),
        )

    def files(self, dataset_path: str) -> list[IndexedFile]:
        """Files of a dataset folder and the folders below it, relative to the root."""
        _, db = self._view()
        return self._files(db, dataset_path)

    def _files(self, db: sqlite3.Connection, dataset_path: str) -> list[IndexedFile]:
        listing: list[IndexedFile] = []
        for row in self._query(
            db,
            f"SELECT {FOLDER_COLUMNS} FROM folders "  # noqa: S608
            "WHERE path = ? OR (path > ? AND path < ?) ORDER BY path",
            (dataset_path, dataset_path + "/", dataset_path + "0"),
        ):
            folder = Folder.from_row(row)
            for name, size in zip(folder.names, folder.sizes, strict=True):
                span = time_range(name)
                listing.append(
                    {
                        "path": f"{folder.path}/{name}",
                        "name": name,
                        "size": size,
                        "start": span[0] if span else None,
                        "end": span[1] if span else None,
                    }
                )
        return listing

    def unmatched(self, limit: int = 20) -> list[UnmatchedPath]:
        _, db = self._view()
        return [
            {"path": path, "reason": reason}
            for path, reason in self._query(
                db, "SELECT path, reason FROM unmatched LIMIT ?", (limit,)
            )
        ]

    def rows(self) -> list[DatasetRow]:
        """Every dataset row, in id order (for catalogs)."""
        _, db = self._view()
        return self._datasets(db, "ORDER BY id")


class DatasetRow(NamedTuple):
    """One row of the index's ``datasets`` table."""

    row: int
    dataset_id: str
    path: str
    master_id: str
    version: str | None
    latest: int
    files: int
    size: int
    start: str | None
    end: str | None
    facets: str  # JSON


DATASET_COLUMNS = ", ".join(("id", *DatasetRow._fields[1:]))


@dataclass(frozen=True)
class FoundDataset:
    """One dataset as the index answers it: files relative to the holding's root."""

    summary: IndexedDataset
    files: list[IndexedFile]
    versions: list[DatasetVersion]
    index_built: str


def dataset_summary(row: DatasetRow) -> IndexedDataset:
    return {
        "id": row.dataset_id,
        "path": row.path,
        "version": row.version,
        "latest": bool(row.latest),
        "file_count": row.files,
        "size": row.size,
        "start": row.start,
        "end": row.end,
        "facets": json.loads(row.facets),
    }

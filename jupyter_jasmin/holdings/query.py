"""Answering questions from a built index: facet counts, searches, pages, one dataset.

Facet values are held in memory as integer arrays (one pair of arrays per facet:
which dataset, which value), so counting values under a selection is a handful
of vectorised operations however large the archive. The reader notices when the
index file has been replaced (a refresh, or an admin's cron job) and reloads.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import BadRequest, NotFound
from .drs import time_range
from .index import FOLDER_COLUMNS
from .scan import Folder

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Selection:
    """What a user has chosen: facet values (OR within a facet, AND across), text, versions."""

    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text: str = ""
    latest: bool = True


@dataclass
class FacetColumn:
    values: list[str]
    datasets: npt.NDArray[np.int32]
    codes: npt.NDArray[np.int32]

    def __post_init__(self) -> None:
        self.lookup = {value: code for code, value in enumerate(self.values)}

    def having(self, chosen: tuple[str, ...], size: int) -> Mask:
        """Datasets that have any of the chosen values."""
        wanted = [self.lookup[value] for value in chosen if value in self.lookup]
        mask = np.zeros(size, dtype=bool)
        if wanted:
            mask[self.datasets[np.isin(self.codes, wanted)]] = True
        return mask


class IndexReader:
    """A read-only, reloading view of one holding's index file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self.meta: dict[str, str] = {}
        self.facets: dict[str, FacetColumn] = {}
        self.size = 0
        self.latest: Mask = np.zeros(0, dtype=bool)
        self._search = ""
        self._line_starts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.refresh()

    # --- loading ----------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int]:
        info = os.stat(self.path)
        return (info.st_ino, info.st_mtime_ns)

    def refresh(self) -> None:
        """Reload if the index file was replaced since it was last read."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            self._load()
            self._stamp = stamp
            self._local = threading.local()

    def _load(self) -> None:
        with contextlib.closing(self._connect()) as db:
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
        search = meta.pop("search", "")
        starts = [0] + [m.end() for m in re.finditer("\n", search)]
        self.meta, self.facets, self.latest, self.size = meta, facets, latest, len(latest)
        self._plain_counts: dict[bool, dict[str, Any]] = {}
        self._search = search
        self._line_starts = np.array(starts[: self.size] if self.size else [], dtype=np.int64)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)

    @property
    def db(self) -> sqlite3.Connection:
        """A connection for this thread (sqlite3 connections are not shared)."""
        connection: sqlite3.Connection | None = getattr(self._local, "db", None)
        if connection is None:
            connection = self._local.db = self._connect()
        return connection

    # --- selecting --------------------------------------------------------

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
            hits = [m.start() for m in re.finditer(re.escape(word), self._search)]
            found = np.zeros(self.size, dtype=bool)
            if hits:
                found[np.searchsorted(self._line_starts, hits, side="right") - 1] = True
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

    # --- answering ----------------------------------------------------------

    def facet_counts(self, selection: Selection) -> dict[str, Any]:
        """Per facet, its values with dataset counts under the selection on the *other*
        facets (so alternatives stay visible, as in ESGF's search)."""
        self.check(selection)
        plain = not selection.text.strip() and not any(selection.facets.values())
        if plain:
            # what everyone sees first: counted once per index, not per request
            cached = self._plain_counts.get(selection.latest)
            if cached is None:
                cached = self._plain_counts[selection.latest] = self._count(selection)
            return cached
        return self._count(selection)

    def _count(self, selection: Selection) -> dict[str, Any]:
        base, chosen = self._masks(selection)
        everything = base.copy()
        for mask in chosen.values():
            everything &= mask
        result = {}
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

    def page(self, selection: Selection, offset: int, limit: int) -> dict[str, Any]:
        rows = np.flatnonzero(self.select(selection))
        chosen = [int(i) + 1 for i in rows[offset : offset + limit]]
        found = {}
        if chosen:
            marks = ",".join("?" * len(chosen))
            for row in self.db.execute(
                f"SELECT {DATASET_COLUMNS} FROM datasets WHERE id IN ({marks})",  # noqa: S608
                chosen,
            ):
                found[row[0]] = dataset_summary(row)
        return {
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "datasets": [found[i] for i in chosen],
        }

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        row = self.db.execute(
            f"SELECT {DATASET_COLUMNS} FROM datasets WHERE dataset_id = ?",  # noqa: S608
            (dataset_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no dataset {dataset_id!r} in holding {self.meta.get('holding')!r}")
        summary = dataset_summary(row)
        summary["files"] = self.files(summary["path"])
        summary["versions"] = [
            {"id": other, "version": version, "latest": bool(latest), "files": files, "size": size}
            for other, version, latest, files, size in self.db.execute(
                "SELECT dataset_id, version, latest, files, size FROM datasets "
                "WHERE master_id = ? ORDER BY version",
                (row[3],),
            )
        ]
        return summary

    def files(self, dataset_path: str) -> list[dict[str, Any]]:
        """Files of a dataset folder and the folders below it, relative to the root."""
        listing = []
        for row in self.db.execute(
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

    def unmatched(self, limit: int = 20) -> list[dict[str, str]]:
        return [
            {"path": path, "reason": reason}
            for path, reason in self.db.execute(
                "SELECT path, reason FROM unmatched LIMIT ?", (limit,)
            )
        ]

    def rows(self) -> list[tuple[Any, ...]]:
        """Every dataset row, in id order (for catalogs)."""
        return list(self.db.execute(f"SELECT {DATASET_COLUMNS} FROM datasets ORDER BY id"))  # noqa: S608


DATASET_COLUMNS = (
    "id, dataset_id, path, master_id, version, latest, files, size, start, end, facets"
)


def dataset_summary(row: tuple[Any, ...]) -> dict[str, Any]:
    _, dataset_id, path, _, version, latest, files, size, start, end, facets = row
    return {
        "id": dataset_id,
        "path": path,
        "version": version,
        "latest": bool(latest),
        "file_count": files,
        "size": size,
        "start": start,
        "end": end,
        "facets": json.loads(facets),
    }

"""The holdings index: one SQLite file per holding, built whole and swapped in atomically.

A build writes ``<index>.tmp-<pid>`` and renames it over the old file only once it
is complete and on disk, so readers see the old index until the new one is whole,
and an interrupted build leaves the old one untouched. Besides plain tables of
folders, datasets and facet values (for SQL users and incremental refresh), the
file carries each facet's values pre-encoded as integer arrays, which readers
load once to answer facet counts and searches in memory.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .drs import DrsTemplate, file_variable, time_range
from .scan import UNMATCHED_KEPT, Folder, Scanner, ScanStats

INDEX_FORMAT = "1"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, subdirs TEXT NOT NULL,
    files TEXT NOT NULL, unmatched TEXT NOT NULL, links INTEGER NOT NULL
);
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY, dataset_id TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
    master_id TEXT NOT NULL, version TEXT, latest INTEGER NOT NULL,
    files INTEGER NOT NULL, size INTEGER NOT NULL, start TEXT, end TEXT, facets TEXT NOT NULL
);
CREATE TABLE facets (dataset INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE facet_codes (
    facet TEXT PRIMARY KEY, position INTEGER NOT NULL, vals TEXT NOT NULL,
    datasets BLOB NOT NULL, codes BLOB NOT NULL
);
CREATE TABLE unmatched (path TEXT NOT NULL, reason TEXT NOT NULL);
"""


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

    def add(self, name: str, size: int, variable: str) -> None:
        self.files += 1
        self.size += size
        first, last = self.names.get(variable, (name, name))
        self.names[variable] = (min(first, name), max(last, name))

    def time_span(self) -> tuple[str | None, str | None]:
        starts, ends = [], []
        for first, last in self.names.values():
            first_range, last_range = time_range(first), time_range(last)
            if first_range and last_range:
                starts.append(first_range[0])
                ends.append(last_range[1])
        return (min(starts) if starts else None, max(ends) if ends else None)


def version_key(version: str | None) -> tuple[int, str]:
    digits = re.sub(r"\D", "", version or "")
    return (int(digits) if digits else -1, version or "")


def load_folders(index_path: str, template: DrsTemplate, root: str) -> dict[str, Folder]:
    """The folders of an existing index, if it was built for the same root and template."""
    if not os.path.exists(index_path):
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if (
                meta.get("format") != INDEX_FORMAT
                or meta.get("template") != template.spec
                or meta.get("root") != os.path.realpath(root)
            ):
                return {}
            return {
                path: Folder(
                    path,
                    mtime_ns,
                    json.loads(subdirs),
                    [(name, size) for name, size in json.loads(files)],
                    [(name, reason) for name, reason in json.loads(unmatched)],
                    links,
                )
                for path, mtime_ns, subdirs, files, unmatched, links in db.execute(
                    "SELECT path, mtime_ns, subdirs, files, unmatched, links FROM folders"
                )
            }
    except sqlite3.Error:
        return {}  # unreadable old index: build from scratch


def remove_stale_builds(index_path: str) -> None:
    """Delete temporary files of builds whose process is gone."""
    for leftover in glob.glob(f"{glob.escape(index_path)}.tmp-*"):
        pid = leftover.rsplit("-", 1)[-1]
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


def build_index(
    holding: str,
    root: str,
    template: DrsTemplate,
    index_path: str,
    progress: Callable[[ScanStats], None] | None = None,
    incremental: bool = True,
    progress_every: float = 0.5,
) -> BuildReport:
    """Scan ``root`` and atomically replace the index at ``index_path``."""
    started = time.monotonic()
    if not os.path.isdir(root):
        raise FileNotFoundError(f"holding {holding!r}: root {root!r} is not a folder")
    os.makedirs(os.path.dirname(os.path.abspath(index_path)), exist_ok=True)
    remove_stale_builds(index_path)
    previous = load_folders(index_path, template, root) if incremental else {}
    scanner = Scanner(root, template, previous, progress, progress_every)
    temporary = f"{index_path}.tmp-{os.getpid()}"
    db = sqlite3.connect(temporary)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        drafts = _write_folders(db, scanner, template)
        datasets = _write_datasets(db, drafts, template)
        stats = scanner.stats
        meta = {
            "format": INDEX_FORMAT,
            "holding": holding,
            "root": scanner.root,
            "template": template.spec,
            "template_name": template.name,
            "facets": json.dumps(list(template.facets)),
            "built": str(time.time()),
            "seconds": f"{time.monotonic() - started:.3f}",
            "files": str(stats.files),
            "datasets": str(datasets),
            "folders": str(stats.folders),
            "reused_folders": str(stats.reused_folders),
            "unmatched": str(stats.unmatched),
            "links_skipped": str(stats.links_skipped),
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.commit()
    except BaseException:
        db.close()
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    db.close()
    with open(temporary, "rb") as written:
        os.fsync(written.fileno())
    os.replace(temporary, index_path)
    return BuildReport(
        holding,
        stats.files,
        datasets,
        stats.folders,
        stats.reused_folders,
        stats.unmatched,
        round(time.monotonic() - started, 3),
    )


def _write_folders(
    db: sqlite3.Connection, scanner: Scanner, template: DrsTemplate
) -> dict[str, DatasetDraft]:
    drafts: dict[str, DatasetDraft] = {}
    rows: list[tuple[Any, ...]] = []
    unmatched_kept = 0
    below = template.segments[template.dataset_depth :]
    variable_from_name = "variable" in template.file_facets
    for folder in scanner.walk():
        rows.append(
            (
                folder.path,
                folder.mtime_ns,
                json.dumps(folder.subdirs),
                json.dumps(folder.files),
                json.dumps(folder.unmatched),
                folder.links,
            )
        )
        if folder.unmatched and unmatched_kept < UNMATCHED_KEPT:
            prefix = f"{folder.path}/" if folder.path else ""
            kept = folder.unmatched[: UNMATCHED_KEPT - unmatched_kept]
            db.executemany(
                "INSERT INTO unmatched VALUES (?, ?)", [(prefix + n, r) for n, r in kept]
            )
            unmatched_kept += len(kept)
        if folder.files:
            _add_files(drafts, folder, template, below, variable_from_name)
        if len(rows) >= 2000:
            db.executemany("INSERT INTO folders VALUES (?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    db.executemany("INSERT INTO folders VALUES (?, ?, ?, ?, ?, ?)", rows)
    return drafts


def _add_files(
    drafts: dict[str, DatasetDraft],
    folder: Folder,
    template: DrsTemplate,
    below: Iterable[Any],
    variable_from_name: bool,
) -> None:
    parts = tuple(folder.path.split("/"))
    dataset_path = "/".join(parts[: template.dataset_depth])
    draft = drafts.get(dataset_path)
    if draft is None:
        draft = drafts[dataset_path] = DatasetDraft(dataset_path, parts[: template.dataset_depth])
    for segment, value in zip(below, parts[template.dataset_depth :], strict=False):
        if segment.facet:
            draft.file_facets[segment.facet].add(value)
    for name, size in folder.files:
        variable = file_variable(name)
        if variable_from_name:
            draft.file_facets["variable"].add(variable)
        draft.add(name, size, variable)


def _write_datasets(
    db: sqlite3.Connection, drafts: dict[str, DatasetDraft], template: DrsTemplate
) -> int:
    ordered = sorted(drafts.values(), key=lambda d: template.dataset_id(d.parts))
    newest: dict[str, tuple[int, str]] = {}
    for draft in ordered:
        master = template.master_id(draft.parts)
        key = version_key(template.version(draft.parts))
        newest[master] = max(newest.get(master, key), key)
    dataset_rows, facet_rows = [], []
    codes: dict[str, list[tuple[int, str]]] = {name: [] for name in template.facets}
    search_lines = []
    for row, draft in enumerate(ordered, start=1):
        facets: dict[str, Any] = template.facet_values(draft.parts)
        for name, found in draft.file_facets.items():
            facets[name] = sorted(found)
        master = template.master_id(draft.parts)
        version = template.version(draft.parts)
        start, end = draft.time_span()
        dataset_id = template.dataset_id(draft.parts)
        dataset_rows.append(
            (
                row,
                dataset_id,
                draft.path,
                master,
                version,
                int(version_key(version) == newest[master]),
                draft.files,
                draft.size,
                start,
                end,
                json.dumps(facets),
            )
        )
        words = [dataset_id]
        for name, value in facets.items():
            for one in value if isinstance(value, list) else [value]:
                facet_rows.append((row, name, one))
                codes.setdefault(name, []).append((row - 1, one))
                words.append(one)
        search_lines.append(" ".join(words).lower())
    db.executemany("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", dataset_rows)
    db.executemany("INSERT INTO facets VALUES (?, ?, ?)", facet_rows)
    db.execute("CREATE INDEX facets_by_value ON facets (facet, value)")
    db.execute("CREATE INDEX datasets_by_master ON datasets (master_id)")
    for position, (name, pairs) in enumerate(codes.items()):
        values = sorted({value for _, value in pairs})
        lookup = {value: code for code, value in enumerate(values)}
        datasets = np.fromiter((d for d, _ in pairs), dtype=np.int32, count=len(pairs))
        value_codes = np.fromiter((lookup[v] for _, v in pairs), dtype=np.int32, count=len(pairs))
        db.execute(
            "INSERT INTO facet_codes VALUES (?, ?, ?, ?, ?)",
            (name, position, json.dumps(values), datasets.tobytes(), value_codes.tobytes()),
        )
    db.execute("INSERT INTO meta VALUES ('search', ?)", ("\n".join(search_lines),))
    return len(ordered)

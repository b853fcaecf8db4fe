"""Every holding of this server: its index, refreshes, queries, and looks inside datasets.

Handlers call one method per request. Queries run on a small thread pool over
in-memory facet arrays; index refreshes run as subprocesses; xarray and
matplotlib run in worker processes (:class:`Inspector`). Nothing here blocks
the server's event loop.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import hashlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import BadRequest, Conflict, JasminError, NotFound
from ..timestamps import isoformat
from . import cache, catalog, inspect
from . import refresh as refresh_process
from .access import FolderAccess
from .config import HoldingSpec
from .drs import DrsTemplate, file_variable
from .index import remove_stale_builds
from .query import FoundDataset, IndexReader, Selection, UnreadableIndex
from .scan import root_problem
from .shapes import (
    DatasetPage,
    DatasetReply,
    DatasetSummary,
    FacetCounts,
    HoldingReply,
    HoldingState,
    IndexedDataset,
    IndexFacts,
    RefreshProgress,
)

METADATA_CACHED = 256
STEPS_REMEMBERED = 4096
# Query parameters that are never taken for facets: credentials (intake and scripts send
# ``?token=``), the search text, versions, paging, and the catalog URL's ``as=.csv``.
RESERVED_PARAMETERS = frozenset({"token", "_xsrf", "q", "latest", "offset", "limit", "as"})


def inside(root: str, relative: str) -> str:
    """The real path of ``relative`` under ``root``, refusing anything that leaves it."""
    if "\0" in relative or os.path.isabs(relative):
        raise NotFound(f"{relative!r} is not a path inside the holding")
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([path, root]) != root:
        raise NotFound(f"{relative!r} is not a path inside the holding")
    return path


@dataclass
class Refresh:
    """A running (or finished) index build for one holding."""

    started: float = field(default_factory=time.time)
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None
    progress: RefreshProgress = field(init=False)

    def __post_init__(self) -> None:
        self.progress = {"started": isoformat(self.started)}

    def report(self, report: dict[str, Any]) -> None:
        """Take the counts of a progress report from the build process."""
        progress: RefreshProgress = {"started": isoformat(self.started)}
        if "folders" in report:
            progress["folders"] = int(report["folders"])
        if "files" in report:
            progress["files"] = int(report["files"])
        if "seconds" in report:
            progress["seconds"] = float(report["seconds"])
        self.progress = progress


def read_only(folder: str) -> bool:
    """Whether ``folder`` is there but this server may not write in it (an index folder
    shared read-only, kept by an admin's cron job)."""
    return os.path.isdir(folder) and not os.access(folder, os.W_OK)


# What a holding without an index reports of it
NO_INDEX: IndexFacts = {
    "files": None,
    "datasets": None,
    "unmatched": None,
    "unmatched_paths": [],
    "last_refresh": None,
    "refresh_seconds": None,
}


class Holding:
    """One configured holding and its index."""

    def __init__(self, spec: HoldingSpec, index_dir: str) -> None:
        self.spec = spec
        self.index_dir = index_dir
        self.index_path = os.path.join(index_dir, f"{spec.name}.sqlite")
        self.reader: IndexReader | None = None
        self.refresh: Refresh | None = None
        self.error: str | None = None  # why the last refresh failed, in words
        self.access = FolderAccess(spec.root)  # what this server's user may read
        self._opening = threading.Lock()  # query threads may open the index together

    def open(self) -> IndexReader:
        """The index reader, loaded or reloaded if the file changed (call off the loop);
        Conflict when there is no readable index, saying what happens next."""
        if not os.path.exists(self.index_path):
            raise Conflict(
                f"holding {self.spec.name!r} has no index yet"
                + ("; it is being built" if self.indexing else "; refresh it to build one")
            )
        try:
            return self._reader()
        except UnreadableIndex as error:
            raise Conflict(f"holding {self.spec.name!r}: {self._unreadable(error)}") from None

    def summary(self, dataset: IndexedDataset) -> DatasetSummary:
        """A dataset of the index as this server's user meets it: readable or not, and why
        (call off the loop: it looks at the dataset's folder)."""
        return {**dataset, "access": self.access.of(dataset["path"]).reply()}

    def _reader(self) -> IndexReader:
        with self._opening:
            if self.reader is None:
                self.reader = IndexReader(self.index_path)
                return self.reader
        self.reader.reload()
        return self.reader

    def _unreadable(self, error: UnreadableIndex) -> str:
        """An unreadable index, and what happens next, in words."""
        if self.indexing:
            then = "it is being rebuilt"
        elif read_only(self.index_dir):
            then = f"an admin must rebuild it (the index folder {self.index_dir} is read-only here)"
        elif self.error:
            then = f"rebuilding it failed: {self.error}; refresh the holding to try again"
        else:
            then = "refresh the holding to rebuild it"
        return f"{error.message}; {then}"

    @property
    def indexing(self) -> bool:
        return (
            self.refresh is not None
            and self.refresh.task is not None
            and not self.refresh.task.done()
        )

    def needs_building(self) -> bool:
        """Whether the holding has a folder but no readable index (call off the loop)."""
        if root_problem(self.spec.root):
            return False
        if not os.path.exists(self.index_path):
            return True
        try:
            self._reader()
        except UnreadableIndex:
            return True
        return False

    def status(self) -> HoldingReply:
        """What the holding is and how its index stands (call off the loop)."""
        state: HoldingState = "missing"
        error = None
        facts: IndexFacts | None = None
        try:
            facts = self._index_facts()
        except UnreadableIndex as unreadable:
            state, error = "failed", self._unreadable(unreadable)
        else:
            state = "missing" if facts is None else "ready"
            if self.error:
                now = "the previous index is still in use" if facts else "there is no index yet"
                state, error = "failed", f"{self.error}; {now}"
        if self.indexing:
            state = "indexing"
        return {
            "name": self.spec.name,
            "description": self.spec.description,
            "root": self.spec.root,
            "drs": self.spec.drs,
            "template": self.spec.template.spec,
            "facets": list(self.spec.template.facets),
            **(facts or NO_INDEX),
            "state": state,
            "error": error or root_problem(self.spec.root),
            "refresh": (
                self.refresh.progress if self.refresh is not None and self.indexing else None
            ),
        }

    def _index_facts(self) -> IndexFacts | None:
        """The index's counts and dates; None if there is no index file."""
        if not os.path.exists(self.index_path):
            return None
        reader = self._reader()
        meta = reader.meta
        return {
            "files": int(meta["files"]),
            "datasets": int(meta["datasets"]),
            "unmatched": int(meta["unmatched"]),
            "unmatched_paths": reader.unmatched(),
            "last_refresh": isoformat(float(meta["built"])),
            "refresh_seconds": float(meta["seconds"]),
        }


class Holdings:
    """The holdings this server offers, with their indexes and inspectors."""

    def __init__(
        self,
        specs: list[HoldingSpec],
        index_dir: str,
        cache_dir: str,
        log: logging.Logger,
        inspect_processes: int = 2,
        quicklook_pictures: int = 500,
    ) -> None:
        self.holdings = {spec.name: Holding(spec, index_dir) for spec in specs}
        self.index_dir = index_dir
        self.cache_dir = cache_dir
        self.log = log
        self.inspector = inspect.Inspector(inspect_processes)
        self._threads = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="jasmin-query")
        self._metadata: collections.OrderedDict[tuple[str, ...], dict[str, Any]] = (
            collections.OrderedDict()
        )
        self._pictures = cache.PictureCache(
            os.path.join(cache_dir, "quicklook"), quicklook_pictures, self._off_loop
        )
        self._catalogs = cache.CatalogFiles(os.path.join(cache_dir, "catalog"), self._off_loop)
        # what each spelling of a quick-look request resolved to and drew
        self._steps: collections.OrderedDict[tuple[Any, ...], inspect.Drawn] = (
            collections.OrderedDict()
        )

    def get(self, name: str) -> Holding:
        holding = self.holdings.get(name)
        if holding is None:
            raise NotFound(f"no holding named {name!r}")
        return holding

    async def _off_loop(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

    # --- status and refresh ------------------------------------------------

    async def all(self) -> list[HoldingReply]:
        return [await self.status(name) for name in self.holdings]

    async def status(self, name: str) -> HoldingReply:
        status: HoldingReply = await self._off_loop(self.get(name).status)
        return status

    async def build_missing(self) -> None:
        """Start a refresh for every holding that has a folder but no readable index."""
        for holding in self.holdings.values():
            if not await self._off_loop(holding.needs_building):
                continue
            try:
                await self.refresh(holding.spec.name)
            except JasminError as error:  # a read-only index folder: an admin's job
                self.log.warning("cannot build the index of %s: %s", holding.spec.name, error)

    async def refresh(self, name: str, full: bool = False) -> HoldingReply:
        """Rebuild a holding's index in a subprocess; returns the holding, ``indexing``."""
        holding = self.get(name)
        if holding.indexing:
            raise Conflict(f"holding {name!r} is already being indexed")
        if read_only(self.index_dir):
            raise Conflict(f"the index folder {self.index_dir} is read-only here")
        try:
            os.makedirs(self.index_dir, exist_ok=True)
        except OSError as error:
            raise Conflict(f"cannot make the index folder {self.index_dir}: {error}") from None
        holding.error = None
        holding.refresh = Refresh()
        holding.refresh.task = asyncio.create_task(self._run_refresh(holding, full))
        return await self.status(name)

    async def _run_refresh(self, holding: Holding, full: bool) -> None:
        refresh = holding.refresh
        assert refresh is not None
        spec = holding.spec
        try:
            process = await asyncio.create_subprocess_exec(
                *refresh_process.command(spec.name, spec.root, spec.drs, holding.index_path, full),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a process group of its own, ended whole
            )
        except OSError as error:
            holding.error = f"the index build could not start: {error}"
            self.log.error("indexing holding %s failed: %s", spec.name, holding.error)
            return
        refresh.process = process
        assert process.stderr is not None
        errors = asyncio.ensure_future(process.stderr.read())  # a full pipe would stall it

        last = await refresh_process.follow(process, refresh.report)
        returncode = await process.wait()
        said = (await errors).decode(errors="replace")
        if returncode == 0:
            self.log.info("indexed holding %s: %s", spec.name, last)
            return
        refresh_process.end_group(process.pid)  # no scan worker outlives its build
        await self._off_loop(remove_stale_builds, holding.index_path)
        seconds = time.time() - refresh.started
        holding.error = refresh_process.failure(returncode, last, said, seconds)
        self.log.error("indexing holding %s failed: %s", spec.name, holding.error)

    async def shutdown(self) -> None:
        for holding in self.holdings.values():
            await self._stop_refresh(holding)
        await asyncio.get_running_loop().run_in_executor(None, self.inspector.shutdown)
        self._threads.shutdown(wait=False)

    @staticmethod
    async def _stop_refresh(holding: Holding) -> None:
        """End a running build, workers and all, and let it clean up after itself."""
        refresh = holding.refresh
        if refresh is None or refresh.task is None or refresh.task.done():
            return
        # a build being started is let start (cancelling the start would leave asyncio a
        # process transport to finalise after the loop is gone), then ended like any other
        for _ in range(40):
            if refresh.process is not None or refresh.task.done():
                break
            await asyncio.sleep(0.05)
        if refresh.process is None:
            refresh.task.cancel()
        elif refresh.process.returncode is None:
            refresh_process.end_group(refresh.process.pid, signal.SIGTERM)
        done, _ = await asyncio.wait({refresh.task}, timeout=10)
        if not done:
            refresh.task.cancel()

    # --- queries -------------------------------------------------------------

    async def facets(self, name: str, selection: Selection) -> FacetCounts:
        holding = self.get(name)

        def count() -> FacetCounts:
            self.inspector.warm()  # someone is browsing: they may open a dataset soon
            return holding.open().facet_counts(selection)

        counts: FacetCounts = await self._off_loop(count)
        return counts

    async def datasets(
        self, name: str, selection: Selection, offset: int, limit: int
    ) -> DatasetPage:
        holding = self.get(name)

        def answer() -> DatasetPage:
            page = holding.open().page(selection, offset, limit)
            return {**page, "datasets": [holding.summary(d) for d in page["datasets"]]}

        page: DatasetPage = await self._off_loop(answer)
        return page

    async def dataset(self, name: str, dataset_id: str) -> DatasetReply:
        holding = self.get(name)

        def find() -> tuple[FoundDataset, DatasetSummary]:
            found = holding.open().dataset(dataset_id)
            return found, holding.summary(found.summary)

        answer: tuple[FoundDataset, DatasetSummary] = await self._off_loop(find)
        found, summary = answer
        root = holding.spec.root
        return {
            **summary,
            "files": [
                {**entry, "absolute_path": os.path.join(root, entry["path"])}
                for entry in found.files
            ],
            "versions": found.versions,
            "index_built": found.index_built,
        }

    async def files(self, name: str, dataset_id: str) -> tuple[DatasetReply, list[str]]:
        """A dataset and the real paths of its files, each checked to be inside the root;
        Forbidden, saying why, when this server's user may not read them."""
        holding = self.get(name)
        found = await self.dataset(name, dataset_id)
        await self._off_loop(holding.access.check, dataset_id, found["path"])
        paths = [inside(holding.spec.root, entry["path"]) for entry in found["files"]]
        if not paths:
            raise NotFound(f"dataset {dataset_id!r} has no files")
        return found, paths

    async def metadata(self, name: str, dataset_id: str) -> dict[str, Any]:
        found, paths = await self.files(name, dataset_id)
        key = (name, dataset_id, found["index_built"])
        cached = self._metadata.get(key)
        if cached is None:
            labels = [entry["path"] for entry in found["files"]]
            cached = await self.inspector.run(inspect.metadata, paths, labels)
            self._metadata[key] = cached
            while len(self._metadata) > METADATA_CACHED:
                self._metadata.popitem(last=False)
        self._metadata.move_to_end(key)
        return {"id": dataset_id, **cached}

    async def quicklook(
        self,
        name: str,
        dataset_id: str,
        variable: str | None,
        moment: int | str | None,
        level: str | None = None,
        theme: str = "light",
    ) -> tuple[inspect.Drawn, bytes]:
        """A PNG of one variable at one time step and level, with what it shows; kept once
        per step and theme however the request spells it (a step number, a date, its
        start: ``time_step``; a level's index or value; nothing: the first with data)."""
        found, paths = await self.files(name, dataset_id)
        version = (name, dataset_id, str(found["index_built"]))
        asked = (*version, variable, moment, level, theme)
        known = self._steps.get(asked)
        if known is not None:
            self._steps.move_to_end(asked)
            cached = await self._pictures.get(_picture_name(version, known.step, theme))
            if cached is not None:
                return known, cached
        labels = [entry["path"] for entry in found["files"]]
        drawn, picture = await self.inspector.run(
            inspect.quicklook, paths, labels, dataset_id, variable, moment, level, theme
        )
        self._steps[asked] = drawn
        while len(self._steps) > STEPS_REMEMBERED:
            self._steps.popitem(last=False)
        await self._pictures.put(_picture_name(version, drawn.step, theme), picture)
        return drawn, picture

    def catalog_json(self, name: str, csv_url: str) -> dict[str, Any]:
        """The intake-esm catalog's description, naming its CSV at ``csv_url``."""
        return catalog.catalog_json(self.get(name).spec, csv_url)

    async def catalog_csv(self, name: str) -> cache.CsvFile:
        """The intake-esm catalog's CSV of every file, open for sending; built once per
        index version, however many requests ask for it at once."""
        holding = self.get(name)
        for _ in range(3):
            version = await self._off_loop(lambda: str(holding.open().meta.get("built", "")))
            write = functools.partial(self._write_catalog, holding, version)
            with contextlib.suppress(_IndexChanged, FileNotFoundError):
                return await self._catalogs.open(name, version, write)
        raise Conflict(f"the index of holding {name!r} keeps changing; ask again later")

    @classmethod
    def _write_catalog(cls, holding: Holding, version: str, stream: IO[str]) -> None:
        catalog.write_csv(stream, holding.spec.template, cls._rows(holding))
        if str(holding.open().meta.get("built", "")) != version:
            raise _IndexChanged  # replaced during the build: these rows may mix two versions

    @staticmethod
    def _rows(holding: Holding) -> Iterator[dict[str, Any]]:
        """One row per file: the facets, the dataset, the path, the time range."""
        reader = holding.open()
        for _, dataset_id, path, _, _, latest, _, _, _, _, facets in reader.rows():
            values = json.loads(facets)
            for entry in reader.files(path):
                row = {k: v for k, v in values.items() if not isinstance(v, list)}
                sub = entry["path"][len(path) + 1 :].split("/")[:-1]
                row.update(_file_facets(holding.spec.template, sub, entry["name"]))
                row.update(
                    dataset_id=dataset_id,
                    latest=bool(latest),
                    time_range=f"{entry['start']}/{entry['end']}" if entry["start"] else "",
                    path=os.path.join(holding.spec.root, entry["path"]),
                )
                yield row


class _IndexChanged(Exception):
    """A holding's index was replaced while its catalog was being built."""


def _picture_name(version: tuple[str, str, str], step: inspect.Step, theme: str) -> str:
    """The file of one quick-look: holding, dataset, index version, variable, time step,
    level, theme."""
    key = json.dumps([*version, step.variable, step.time_index, step.level_index, theme])
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.png"


def _file_facets(template: DrsTemplate, sub_folders: list[str], name: str) -> dict[str, str]:
    """Facets of one file below its dataset folder (CMIP5's variable), or from its name."""
    below = template.segments[template.dataset_depth :]
    values = {s.facet: v for s, v in zip(below, sub_folders, strict=False) if s.facet}
    if "variable" in template.file_facets and "variable" not in values:
        values["variable"] = file_variable(name)
    return values


def parse_selection(arguments: dict[str, list[bytes]]) -> Selection:
    """A Selection from a request's query arguments (``facet=value`` may repeat);
    the :data:`RESERVED_PARAMETERS` are never facets."""
    facets: dict[str, tuple[str, ...]] = {}
    for key, raw in arguments.items():
        if key in RESERVED_PARAMETERS:
            continue
        values = tuple(v.decode(errors="replace") for v in raw if v)
        if values:
            facets[key] = values
    text = b" ".join(arguments.get("q", [])).decode(errors="replace")
    latest_raw = (arguments.get("latest") or [b"true"])[-1].decode(errors="replace").lower()
    if latest_raw not in ("true", "false", "1", "0"):
        raise BadRequest("'latest' must be true or false")
    return Selection(facets=facets, text=text[:500], latest=latest_raw in ("true", "1"))

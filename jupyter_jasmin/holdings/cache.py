"""This user's cache folder (``c.Jasmin.cache_dir``): quick-look pictures and catalog CSVs.

Every file is written whole under a temporary name and renamed into place, so a reader
never sees half a file and two writers never mix. Pictures are bounded, the least
recently used going first; a catalog CSV is built once per index version. Bookkeeping
lives on the event loop; every file operation runs off it, through the ``off_loop``
the manager passes in.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import IO, Any

OffLoop = Callable[..., Awaitable[Any]]


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "wb", **options: Any) -> Iterator[IO[Any]]:
    """A file to write that appears at ``path`` whole when the block ends, or not at all."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, mode, **options) as stream:
            yield stream
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise


def write_atomically(path: str, content: bytes) -> None:
    with atomic_file(path) as stream:
        stream.write(content)


def _read_as_used(path: str) -> bytes:
    """A picture's bytes; its modification time then says when it was last used, which
    orders the cache for the next server."""
    with open(path, "rb") as stream:
        content = stream.read()
    with contextlib.suppress(OSError):
        os.utime(path)
    return content


def _pictures_by_age(folder: str) -> list[str]:
    """The pictures in ``folder``, least recently used first."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.endswith(".png")]
    except OSError:  # no folder yet (or none we may read: pictures then are not kept)
        return []
    ages = {}
    for entry in entries:
        with contextlib.suppress(OSError):
            ages[entry.name] = entry.stat().st_mtime_ns
    return sorted(ages, key=ages.__getitem__)


def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


class PictureCache:
    """Quick-look PNGs in one folder, at most ``bound`` of them, by name.

    The order of use is kept in memory, changed only on the event loop; it starts from
    the folder's listing (pictures an earlier server kept), oldest first.
    """

    def __init__(self, folder: str, bound: int, off_loop: OffLoop) -> None:
        self.folder = folder
        self.bound = max(0, bound)
        self._off_loop = off_loop
        self._used: collections.OrderedDict[str, None] | None = None
        self._listing: asyncio.Future[list[str]] | None = None

    async def _order(self) -> collections.OrderedDict[str, None]:
        if self._listing is None:
            self._listing = asyncio.ensure_future(self._off_loop(_pictures_by_age, self.folder))
        names = await asyncio.shield(self._listing)
        if self._used is None:
            self._used = collections.OrderedDict.fromkeys(names)
            await self._trim()
        return self._used

    async def get(self, name: str) -> bytes | None:
        """The picture, if the cache holds it (it becomes the most recently used)."""
        used = await self._order()
        if name not in used:
            return None
        used.move_to_end(name)
        try:
            picture: bytes = await self._off_loop(_read_as_used, self._path(name))
        except FileNotFoundError:  # removed behind our back
            used.pop(name, None)
            return None
        return picture

    async def put(self, name: str, picture: bytes) -> None:
        """Keep a picture, letting the least recently used go beyond the bound."""
        used = await self._order()
        if not self.bound:
            return
        await self._off_loop(write_atomically, self._path(name), picture)
        used[name] = None
        used.move_to_end(name)
        await self._trim()

    async def _trim(self) -> None:
        used = self._used
        assert used is not None
        surplus = []
        while len(used) > self.bound:
            surplus.append(self._path(used.popitem(last=False)[0]))
        if surplus:
            await self._off_loop(_remove, surplus)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)


# Part of every catalog file's name, so that a server whose CSV layout changed never
# sends a file an older one wrote
CSV_LAYOUT = 1
CSV_PIECE = 256 * 1024


class CsvFile:
    """A built catalog.csv open for sending: its size, then its bytes piece by piece, each
    read off the loop (the file stays readable if a newer version's build removes it)."""

    def __init__(self, stream: IO[bytes], off_loop: OffLoop) -> None:
        self._stream = stream
        self._off_loop = off_loop
        self.size = os.fstat(stream.fileno()).st_size

    async def pieces(self) -> AsyncIterator[bytes]:
        while piece := await self._off_loop(self._stream.read, CSV_PIECE):
            yield piece

    def close(self) -> None:
        self._stream.close()


class CatalogFiles:
    """catalog.csv of each holding, written once per index version into the cache folder.

    Requests for a version wait for its one build (the build record stays, so later
    requests find it done); once built, the files of the other versions go.
    """

    def __init__(self, folder: str, off_loop: OffLoop) -> None:
        self.folder = folder
        self._off_loop = off_loop
        self._builds: dict[str, tuple[str, asyncio.Future[str]]] = {}

    async def open(self, holding: str, version: str, write: Callable[[IO[str]], None]) -> CsvFile:
        """The CSV of this version of the holding's index, built by ``write`` (called off
        the loop) unless it is built or being built. FileNotFoundError if it was removed
        before it could be opened: a newer version replaced it."""
        path = await asyncio.shield(self._build(holding, version, write))
        try:
            stream = await self._off_loop(open, path, "rb")
        except FileNotFoundError:
            if self._builds.get(holding, ("", None))[0] == version:
                del self._builds[holding]  # removed by hand: the next request builds it again
            raise
        return CsvFile(stream, self._off_loop)

    def _build(
        self, holding: str, version: str, write: Callable[[IO[str]], None]
    ) -> asyncio.Future[str]:
        known = self._builds.get(holding)
        if known is not None and known[0] == version:
            build = known[1]
            if not (build.done() and build.exception() is not None):
                return build
        build = asyncio.ensure_future(self._write(holding, version, write))
        self._builds[holding] = (version, build)
        return build

    async def _write(self, holding: str, version: str, write: Callable[[IO[str]], None]) -> str:
        path = self._path(holding, version)
        await self._off_loop(_write_csv_once, path, write)
        # keep only the version asked for last (a slow build of an older one may end last)
        newest = self._path(holding, self._builds.get(holding, (version,))[0])
        await self._off_loop(_remove_other_csvs, os.path.dirname(path), newest)
        return path

    def _path(self, holding: str, version: str) -> str:
        digest = hashlib.sha256(version.encode()).hexdigest()[:16]
        return os.path.join(self.folder, holding, f"{digest}.v{CSV_LAYOUT}.csv")


def _write_csv_once(path: str, write: Callable[[IO[str]], None]) -> None:
    if os.path.exists(path):  # an earlier server built this version
        return
    with atomic_file(path, "w", newline="", encoding="utf-8") as stream:
        write(stream)


def _remove_other_csvs(folder: str, keep: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        _remove(
            [
                entry.path
                for entry in os.scandir(folder)
                if entry.name.endswith(".csv") and entry.path != keep
            ]
        )

"""This user's cache folder (``c.Jasmin.cache_dir``): quick-look pictures and catalog CSVs.

Every file is written whole under a temporary name and renamed into place, so a reader
never sees half a file and two writers never mix. Pictures are bounded, the least
recently used going first. Bookkeeping lives on the event loop; every file operation
runs off it, through the ``off_loop`` the manager passes in.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
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
    except FileNotFoundError:
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

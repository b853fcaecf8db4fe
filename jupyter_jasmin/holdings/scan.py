"""Walk a holding's folder tree against its DRS template.

The walk uses ``os.scandir`` (one ``stat`` per data file, for its size) and
never follows folder links (archives keep ``latest`` links beside versions).
A file link is followed only when its target stays inside the holding's root.
With a previous scan at hand, a folder whose modification time is unchanged is
not listed again: its entries and file sizes are taken from the previous scan.
Whatever does not fit the template is counted, and the first paths kept, with
the reason.
"""

from __future__ import annotations

import json
import os
import stat
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .drs import FILE_SUFFIXES, DrsTemplate, is_data_file

UNMATCHED_KEPT = 200
OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class Folder:
    """One folder of the holding as found on disk; data files as parallel lists."""

    path: str  # relative to the root, "" for the root itself
    mtime_ns: int
    subdirs: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    links: int = 0  # folder links skipped (e.g. ``latest``)

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1 if self.path else 0

    def row(self) -> tuple[Any, ...]:
        """The folder as stored in the index, compactly: file names share a long prefix
        (``ta_Amon_MIROC6_historical_r1i1p1f1_gn_``), kept once; sizes are packed."""
        names = self.names
        # names are sorted, so the first and last share the prefix all of them share
        # (character-wise, not a path: commonprefix is the right tool here)
        prefix = os.path.commonprefix([names[0], names[-1]]) if len(names) > 1 else ""  # noqa: RUF071
        cut = len(prefix)
        return (
            self.path,
            self.mtime_ns,
            "\n".join(self.subdirs),
            prefix,
            "\n".join([name[cut:] for name in names]) if cut else "\n".join(names),
            array("q", self.sizes).tobytes(),
            json.dumps(self.unmatched) if self.unmatched else "",
            self.links,
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Folder:
        path, mtime_ns, subdirs, prefix, names, sizes, unmatched, links = row
        packed = array("q")
        packed.frombytes(sizes)
        return cls(
            path,
            mtime_ns,
            subdirs.split("\n") if subdirs else [],
            [prefix + name for name in names.split("\n")] if packed else [],
            packed.tolist(),
            [(name, reason) for name, reason in json.loads(unmatched)] if unmatched else [],
            links,
        )


@dataclass
class ScanStats:
    folders: int = 0
    files: int = 0
    reused_folders: int = 0
    unmatched: int = 0
    links_skipped: int = 0
    seconds: float = 0.0

    def add(self, folder: Folder, reused: bool) -> None:
        self.folders += 1
        self.files += len(folder.names)
        self.unmatched += len(folder.unmatched)
        self.links_skipped += folder.links
        self.reused_folders += reused

    def merge(self, other: ScanStats) -> None:
        for name in ("folders", "files", "reused_folders", "unmatched", "links_skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Scanner:
    """Walk subtrees of ``root`` for ``template``, reusing unchanged folders of ``previous``."""

    def __init__(
        self, root: str, template: DrsTemplate, previous: dict[str, Folder] | None = None
    ) -> None:
        self.root = os.path.realpath(root)
        self.template = template
        self.previous = previous or {}
        self.stats = ScanStats()

    def walk(self, start: str = "") -> Iterator[Folder]:
        """Yield every folder of the subtree at ``start`` within the template, top down.

        Folders are opened relative to their parent's descriptor and files are
        stat-ed relative to their folder's, so the kernel never walks a long path
        again; ``O_NOFOLLOW`` keeps a folder swapped for a link from being entered."""
        try:
            handle = os.open(self._absolute(start), OPEN_FOLDER)
        except OSError:
            return  # vanished
        yield from self._visit(handle, start)

    def _visit(self, handle: int, relative: str) -> Iterator[Folder]:
        try:
            folder = self._read(handle, relative)
            yield folder
            prefix = f"{relative}/" if relative else ""
            for name in folder.subdirs:
                try:
                    child = os.open(name, OPEN_FOLDER, dir_fd=handle)
                except OSError:
                    continue  # vanished, or replaced by a link
                yield from self._visit(child, prefix + name)
        finally:
            os.close(handle)

    def folder(self, relative: str) -> Folder | None:
        """One folder by its path, from the previous scan if unchanged, else listed afresh."""
        try:
            handle = os.open(self._absolute(relative), OPEN_FOLDER)
        except OSError:
            return None
        try:
            return self._read(handle, relative)
        finally:
            os.close(handle)

    def _absolute(self, relative: str) -> str:
        return os.path.join(self.root, relative) if relative else self.root

    def _read(self, handle: int, relative: str) -> Folder:
        mtime_ns = os.fstat(handle).st_mtime_ns
        known = self.previous.get(relative)
        reused = known is not None and known.mtime_ns == mtime_ns
        folder = known if reused and known is not None else self._list(handle, relative, mtime_ns)
        self.stats.add(folder, reused)
        return folder

    def _list(self, handle: int, relative: str, mtime_ns: int) -> Folder:
        folder = Folder(relative, mtime_ns)
        depth = folder.depth
        expected = self.template.segments[depth] if depth < self.template.depth else None
        try:
            entries = list(os.scandir(handle))
        except OSError as error:
            folder.unmatched.append(("", f"cannot list the folder: {error.strerror}"))
            return folder
        found: list[tuple[str, int]] = []
        if expected is None:
            # a folder of data files, millions of times over: the short way first
            rest = []
            for entry in entries:
                name = entry.name
                if (
                    name.endswith(FILE_SUFFIXES)
                    and name[0] != "."
                    and entry.is_file(follow_symlinks=False)
                ):
                    try:
                        found.append((name, entry.stat(follow_symlinks=False).st_size))
                    except OSError as error:
                        folder.unmatched.append((name, f"cannot read: {error.strerror}"))
                else:
                    rest.append(entry)
            entries = rest
        for entry in entries:
            try:
                self._other(entry, expected, folder, found)
            except OSError as error:
                folder.unmatched.append((entry.name, f"cannot read: {error.strerror}"))
        found.sort()
        folder.names = [name for name, _ in found]
        folder.sizes = [size for _, size in found]
        folder.subdirs.sort()
        return folder

    def _other(
        self, entry: os.DirEntry[str], expected: Any, folder: Folder, found: list[tuple[str, int]]
    ) -> None:
        """Anything but a data file where data files belong."""
        name = entry.name
        if name.startswith("."):
            return
        if entry.is_dir(follow_symlinks=False):
            self._subfolder(name, expected, folder)
        elif entry.is_symlink():
            path = os.path.join(self._absolute(folder.path), name)
            self._link(path, folder, expected is None, found)
        elif expected is None:
            folder.unmatched.append((name, "not a NetCDF file"))
        else:
            folder.unmatched.append((name, "file above the template's last level"))

    @staticmethod
    def _subfolder(name: str, expected: Any, folder: Folder) -> None:
        if expected is None:
            folder.unmatched.append((name, "folder below the template's last level"))
        elif not expected.match(name):
            what = f"{{{expected.facet}}}" if expected.facet else repr(expected.literal)
            folder.unmatched.append((name, f"folder name does not fit {what}"))
        else:
            folder.subdirs.append(name)

    def _link(self, path: str, folder: Folder, at_leaf: bool, found: list[tuple[str, int]]) -> None:
        name = os.path.basename(path)
        target = os.path.realpath(path)
        if os.path.commonpath([target, self.root]) != self.root:
            folder.unmatched.append((name, "link to outside the holding's root"))
            return
        try:
            info = os.stat(target)
        except OSError:
            folder.unmatched.append((name, "broken link"))
            return
        if stat.S_ISDIR(info.st_mode):
            folder.links += 1  # e.g. ``latest`` -> v20120101: the version itself is indexed
        elif not at_leaf:
            folder.unmatched.append((name, "file above the template's last level"))
        elif not is_data_file(name):
            folder.unmatched.append((name, "not a NetCDF file"))
        else:
            found.append((name, info.st_size))

"""Walk a holding's folder tree against its DRS template.

The walk uses ``os.scandir`` (one ``stat`` per data file, for its size) and
never follows folder links (archives keep ``latest`` links beside versions).
A file link is followed only when its target stays inside the holding's root:
the facility's archive keeps each dataset's files in a store beside its versions
(``<grid>/files/dYYYYMMDD/``) and each version folder holds links to them; such a
file is counted once, under its version, with its target's size, and the store
itself is recognised as part of the layout, not walked.
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
from dataclasses import dataclass
from typing import Any

from .drs import FILE_STORE, FILE_SUFFIXES, DrsTemplate, is_data_file

UNMATCHED_KEPT = 200
OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def root_problem(root: str) -> str | None:
    """Why a holding's folder cannot be scanned, in words; None if it can."""
    if os.path.isdir(root) and os.access(root, os.R_OK | os.X_OK):
        return None
    return f"the holding's folder {root} does not exist or cannot be read"


class Folder:
    """One folder of the holding: its sub-folders, its data files (names and sizes,
    sorted by name) and what did not fit. A folder read back from an index keeps its
    stored row and decodes the file names only if they are asked for."""

    __slots__ = ("_names", "_row", "_sizes", "links", "mtime_ns", "path", "subdirs", "unmatched")

    def __init__(
        self,
        path: str,  # relative to the root, "" for the root itself
        mtime_ns: int,
        subdirs: list[str] | None = None,
        names: list[str] | None = None,
        sizes: list[int] | None = None,
        unmatched: list[tuple[str, str]] | None = None,  # (name, reason)
        links: int = 0,  # folder links skipped (e.g. ``latest``)
    ) -> None:
        self.path = path
        self.mtime_ns = mtime_ns
        self.subdirs = subdirs if subdirs is not None else []
        self._names = names if names is not None else []
        self._sizes = sizes if sizes is not None else []
        self.unmatched = unmatched if unmatched is not None else []
        self.links = links
        self._row: tuple[Any, ...] | None = None

    @property
    def stored(self) -> bool:
        """Whether the folder was read back from an index (unchanged since)."""
        return self._row is not None

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1 if self.path else 0

    def set_files(self, names: list[str], sizes: list[int]) -> None:
        self._names, self._sizes, self._row = names, sizes, None

    @property
    def names(self) -> list[str]:
        if self._row is not None and not self._names and self._row[8]:
            prefix, joined = self._row[3], self._row[4]
            self._names = [prefix + name for name in joined.split("\n")]
        return self._names

    @property
    def sizes(self) -> list[int]:
        if self._row is not None and not self._sizes and self._row[8]:
            packed = array("q")
            packed.frombytes(self._row[5])
            self._sizes = packed.tolist()
        return self._sizes

    @property
    def count(self) -> int:
        return int(self._row[8]) if self._row is not None else len(self._names)

    @property
    def total_size(self) -> int:
        return int(self._row[9]) if self._row is not None else sum(self._sizes)

    @property
    def first(self) -> str:
        return str(self._row[10]) if self._row is not None else self._names[0]

    @property
    def last(self) -> str:
        return str(self._row[11]) if self._row is not None else self._names[-1]

    def row(self) -> tuple[Any, ...]:
        """The folder as stored in the index, compactly: file names share a long prefix
        (``ta_Amon_MIROC6_historical_r1i1p1f1_gn_``), kept once; sizes are packed; the
        count, total size and first and last names are kept for incremental builds."""
        if self._row is not None:
            return self._row
        names = self._names
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
            array("q", self._sizes).tobytes(),
            json.dumps(self.unmatched) if self.unmatched else "",
            self.links,
            len(names),
            sum(self._sizes),
            names[0] if names else "",
            names[-1] if names else "",
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Folder:
        path, mtime_ns, subdirs, _, _, _, unmatched, links = row[:8]
        folder = cls(
            path,
            mtime_ns,
            subdirs.split("\n") if subdirs else [],
            unmatched=[(name, reason) for name, reason in json.loads(unmatched)]
            if unmatched
            else [],
            links=links,
        )
        folder._row = tuple(row)
        return folder


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
        self.files += folder.count
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
        self.reused: list[str] = []  # paths of the folders taken from ``previous``

    def walk(self, start: str = "") -> list[Folder]:
        """Every folder of the subtree at ``start`` within the template, top down.

        Folders are opened relative to their parent's descriptor and files are
        stat-ed relative to their folder's, so the kernel never walks a long path
        again; ``O_NOFOLLOW`` keeps a folder swapped for a link from being entered."""
        found: list[Folder] = []
        try:
            handle = os.open(self._absolute(start), OPEN_FOLDER)
        except OSError:
            return found  # vanished
        self._visit(handle, start, found)
        return found

    def _visit(self, handle: int, relative: str, found: list[Folder]) -> None:
        try:
            folder = self._read(handle, relative)
            found.append(folder)
            prefix = f"{relative}/" if relative else ""
            for name in folder.subdirs:
                path = prefix + name
                known = self.previous.get(path)
                if known is not None and not known.subdirs and self._unchanged(handle, known):
                    found.append(known)  # a leaf folder as it was: not even opened
                    continue
                try:
                    child = os.open(name, OPEN_FOLDER, dir_fd=handle)
                except OSError:
                    continue  # vanished, or replaced by a link
                self._visit(child, path, found)
        finally:
            os.close(handle)

    def _unchanged(self, parent: int, known: Folder) -> bool:
        """Whether a folder is still a folder, modified when it was last scanned."""
        try:
            info = os.stat(known.path.rpartition("/")[2], dir_fd=parent, follow_symlinks=False)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode) or info.st_mtime_ns != known.mtime_ns:
            return False
        self.reused.append(known.path)
        self.stats.add(known, True)
        return True

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
        if known is not None and known.mtime_ns == mtime_ns:
            self.reused.append(relative)
            self.stats.add(known, True)
            return known
        folder = self._list(handle, relative, mtime_ns)
        self.stats.add(folder, False)
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
            targets: dict[str, int | None] = {}  # link targets' folders, opened
            try:
                for entry in entries:
                    name = entry.name
                    if name.endswith(FILE_SUFFIXES) and name[0] != ".":
                        if entry.is_file(follow_symlinks=False):
                            try:
                                found.append((name, entry.stat(follow_symlinks=False).st_size))
                            except OSError as error:
                                folder.unmatched.append((name, f"cannot read: {error.strerror}"))
                            continue
                        if entry.is_symlink():
                            size = self._linked_size(handle, relative, name, targets)
                            if size is not None:
                                found.append((name, size))
                                continue
                    rest.append(entry)  # anything else is looked at closely below
            finally:
                for target in targets.values():
                    if target is not None and target != handle:
                        os.close(target)
            entries = rest
        for entry in entries:
            try:
                self._other(handle, entry, expected, folder, found)
            except OSError as error:
                folder.unmatched.append((entry.name, f"cannot read: {error.strerror}"))
        found.sort()
        folder.set_files([name for name, _ in found], [size for _, size in found])
        folder.subdirs.sort()
        return folder

    def _other(
        self,
        handle: int,
        entry: os.DirEntry[str],
        expected: Any,
        folder: Folder,
        found: list[tuple[str, int]],
    ) -> None:
        """Anything but a data file where data files belong."""
        name = entry.name
        if name.startswith("."):
            return
        if entry.is_dir(follow_symlinks=False):
            self._subfolder(name, expected, folder)
        elif entry.is_symlink() and _links_to_sibling_folder(handle, name):
            folder.links += 1  # ``latest`` -> v20120101: the version itself is indexed
        elif entry.is_symlink():
            path = os.path.join(self._absolute(folder.path), name)
            self._link(path, folder, expected is None, found)
        elif expected is None:
            folder.unmatched.append((name, "not a NetCDF file"))
        else:
            folder.unmatched.append((name, "file above the template's last level"))

    def _linked_size(
        self, handle: int, relative: str, name: str, targets: dict[str, int | None]
    ) -> int | None:
        """The size of the file a data file's link points at, found the short way: a
        relative link through real folders inside the root to a regular file (as the
        facility's version folders hold). None for anything else, which the long way
        (:meth:`_link`) then looks at and names."""
        try:
            target = os.readlink(name, dir_fd=handle)
        except OSError:
            return None
        folder, _, file_name = target.rpartition("/")
        if file_name in ("", ".", ".."):
            return None
        if folder not in targets:
            targets[folder] = self._open_inside(handle, relative, folder)
        found = targets[folder]
        if found is None:
            return None
        try:
            info = os.stat(file_name, dir_fd=found, follow_symlinks=False)
        except OSError:
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    @staticmethod
    def _open_inside(handle: int, relative: str, path: str) -> int | None:
        """Open ``path``, relative to the folder ``relative`` open at ``handle``, one
        level at a time without following any link and without leaving the root;
        None if it cannot be. (The walk reaches ``relative`` through real folders only,
        so ``..`` from it is its parent in the template's tree.)"""
        if path.startswith("/"):
            return None
        level = relative.count("/") + 1 if relative else 0
        current = handle
        try:
            for part in path.split("/"):
                if part in ("", "."):
                    continue
                level += -1 if part == ".." else 1
                if level < 0:
                    raise FileNotFoundError(path)  # above the root
                opened = os.open(part, OPEN_FOLDER, dir_fd=current)
                if current != handle:
                    os.close(current)
                current = opened
        except OSError:
            if current != handle:
                os.close(current)
            return None
        return current

    @staticmethod
    def _subfolder(name: str, expected: Any, folder: Folder) -> None:
        if expected is None:
            folder.unmatched.append((name, "folder below the template's last level"))
        elif name == FILE_STORE and expected.facet == "version":
            pass  # the facility's file store beside the versions: its files are linked
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


def _links_to_sibling_folder(handle: int, name: str) -> bool:
    """Whether the link ``name`` in the folder open at ``handle`` names a real folder
    beside it (``latest`` -> ``v20190320``), found without resolving any path."""
    try:
        target = os.readlink(name, dir_fd=handle)
        if "/" in target or target in (".", ".."):
            return False
        return stat.S_ISDIR(os.stat(target, dir_fd=handle, follow_symlinks=False).st_mode)
    except OSError:
        return False

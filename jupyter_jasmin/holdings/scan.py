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

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .drs import DrsTemplate, is_data_file

UNMATCHED_KEPT = 200


@dataclass
class Folder:
    """One folder of the holding as found on disk."""

    path: str  # relative to the root, "" for the root itself
    mtime_ns: int
    subdirs: list[str] = field(default_factory=list)
    files: list[tuple[str, int]] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    links: int = 0  # folder links skipped (e.g. ``latest``)


@dataclass
class ScanStats:
    folders: int = 0
    files: int = 0
    reused_folders: int = 0
    unmatched: int = 0
    links_skipped: int = 0
    seconds: float = 0.0


Progress = Callable[[ScanStats], None]


class Scanner:
    """Walk ``root`` for ``template``, reusing unchanged folders of ``previous``."""

    def __init__(
        self,
        root: str,
        template: DrsTemplate,
        previous: dict[str, Folder] | None = None,
        progress: Progress | None = None,
        progress_every: float = 0.5,
    ) -> None:
        self.root = os.path.realpath(root)
        self.template = template
        self.previous = previous or {}
        self.progress = progress
        self.progress_every = progress_every
        self.stats = ScanStats()

    def walk(self) -> Iterator[Folder]:
        """Yield every folder within the template, top down."""
        started = time.monotonic()
        last_report = started
        stack: list[tuple[str, int]] = [("", 0)]
        while stack:
            relative, depth = stack.pop()
            folder = self._folder(relative, depth)
            if folder is None:
                continue
            self.stats.folders += 1
            self.stats.files += len(folder.files)
            self.stats.unmatched += len(folder.unmatched)
            self.stats.links_skipped += folder.links
            prefix = f"{relative}/" if relative else ""
            stack.extend((prefix + name, depth + 1) for name in reversed(folder.subdirs))
            yield folder
            if self.progress is not None and time.monotonic() - last_report > self.progress_every:
                last_report = time.monotonic()
                self.stats.seconds = last_report - started
                self.progress(self.stats)
        self.stats.seconds = time.monotonic() - started

    def _folder(self, relative: str, depth: int) -> Folder | None:
        absolute = os.path.join(self.root, relative) if relative else self.root
        try:
            mtime_ns = os.stat(absolute).st_mtime_ns
        except OSError:
            return None  # vanished during the walk
        known = self.previous.get(relative)
        if known is not None and known.mtime_ns == mtime_ns:
            self.stats.reused_folders += 1
            return known
        return self._list(absolute, relative, depth, mtime_ns)

    def _list(self, absolute: str, relative: str, depth: int, mtime_ns: int) -> Folder:
        folder = Folder(relative, mtime_ns)
        expected = self.template.segments[depth] if depth < self.template.depth else None
        try:
            entries = list(os.scandir(absolute))
        except OSError as error:
            folder.unmatched.append(("", f"cannot list the folder: {error.strerror}"))
            return folder
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if expected is None:
                        folder.unmatched.append((name, "folder below the template's last level"))
                    elif not expected.match(name):
                        what = f"{{{expected.facet}}}" if expected.facet else repr(expected.literal)
                        folder.unmatched.append((name, f"folder name does not fit {what}"))
                    else:
                        folder.subdirs.append(name)
                elif entry.is_symlink():
                    self._link(entry, folder, expected is None)
                elif entry.is_file(follow_symlinks=False):
                    size = entry.stat(follow_symlinks=False).st_size
                    self._file(name, size, folder, at_leaf=expected is None)
            except OSError as error:
                folder.unmatched.append((name, f"cannot read: {error.strerror}"))
        folder.subdirs.sort()
        folder.files.sort()
        return folder

    def _file(self, name: str, size: int, folder: Folder, at_leaf: bool) -> None:
        if not at_leaf:
            folder.unmatched.append((name, "file above the template's last level"))
        elif not is_data_file(name):
            folder.unmatched.append((name, "not a NetCDF file"))
        else:
            folder.files.append((name, size))

    def _link(self, entry: os.DirEntry[str], folder: Folder, at_leaf: bool) -> None:
        target = os.path.realpath(entry.path)
        if os.path.commonpath([target, self.root]) != self.root:
            folder.unmatched.append((entry.name, "link to outside the holding's root"))
            return
        try:
            info = os.stat(target)
        except OSError:
            folder.unmatched.append((entry.name, "broken link"))
            return
        if stat.S_ISDIR(info.st_mode):
            folder.links += 1  # e.g. ``latest`` -> v20120101: the version itself is indexed
        else:
            self._file(entry.name, info.st_size, folder, at_leaf)

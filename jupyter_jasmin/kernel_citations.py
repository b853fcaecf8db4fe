"""The data each kernel of this server used, as the kernels write it
(:mod:`jupyter_jasmin.provenance`): read for the panel, and cleared once a kernel is
gone (shut down, restarted, or died while no server watched).

A kernel's file is stale when the process that wrote it no longer runs on this host
(a restarted kernel keeps its id but is a new process, which starts a fresh list).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypedDict

import psutil

from .errors import BadRequest, JasminError, NotFound
from .provenance import (
    KERNEL_ID,
    NONE,
    CitationFile,
    CitationReply,
    Citations,
    UsedDataset,
    citations_folder,
    cite,
    read_unread,
)

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


class KernelCitationsReply(TypedDict):
    """``GET kernels/{kernel_id}/citations`` (``openapi.yaml``'s ``KernelCitations``)."""

    kernel_id: str
    datasets: list[CitationReply]
    text: str  # the list as citations() prints it in the kernel


ReadTrackingIds = Callable[[list[str]], Awaitable[list[str]]]


class KernelCitations:
    """The citation files of the kernels of one server (one per kernel id).

    The tracking_ids a kernel has not read (of files it mapped) are read here with
    ``read_tracking_ids``: in the holdings' reader processes, as every file the server
    reads, never in a server thread (netCDF4 is not thread-safe, and a crash in a
    reader does not take the server down). Only files inside a holding's root are read.
    """

    def __init__(
        self,
        profile_dir: str,
        roots: Sequence[str],
        runs_kernel: Callable[[str], bool],
        read_tracking_ids: ReadTrackingIds,
    ) -> None:
        self.folder = citations_folder(profile_dir)
        self._roots = [os.path.realpath(root) for root in roots]
        self._runs_kernel = runs_kernel
        self._read_tracking_ids = read_tracking_ids
        self._tracking: dict[str, str] = {}  # a file's path -> its tracking_id, once read

    async def of_kernel(self, kernel_id: str) -> KernelCitationsReply:
        """The datasets a kernel of this server used (none before it records one)."""
        if not KERNEL_ID.fullmatch(kernel_id):
            raise BadRequest(f"{kernel_id[:80]!r} is not a kernel id")
        if not self._runs_kernel(kernel_id):
            raise NotFound(f"this server runs no kernel {kernel_id!r}")
        loop = asyncio.get_running_loop()
        written = await loop.run_in_executor(None, self.read, kernel_id)
        unread = {
            path
            for entry in written
            for path, tracking_id in entry["files"].items()
            if tracking_id is None and path not in self._tracking
        }
        readable = sorted(path for path in unread if self._in_holding(path))
        if readable:
            try:
                tracking_ids = await self._read_tracking_ids(readable)
            except JasminError:  # a reader crashed (a corrupt file?): listed without them
                tracking_ids = []
            self._tracking.update(zip(readable, tracking_ids, strict=False))
        used = Citations(
            [
                cite(
                    (entry["holding"], entry["id"]),
                    entry["version"],
                    read_unread(entry["files"], lambda path: self._tracking.get(path, NONE)),
                )
                for entry in written
            ]
        )
        return KernelCitationsReply(
            kernel_id=kernel_id,
            datasets=[citation.reply() for citation in used],
            text=str(used),
        )

    def read(self, kernel_id: str) -> list[UsedDataset]:
        """What a kernel's file says it used; a stale file is removed and says nothing."""
        written = self._load(self._path(kernel_id))
        if written is None or written["kernel_id"] != kernel_id:
            return []
        if not _writer_runs(written):
            self.forget(kernel_id)
            return []
        return written["datasets"]

    def _in_holding(self, path: str) -> bool:
        return any(_inside(root, path) for root in self._roots)

    def forget(self, kernel_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(kernel_id))

    def sweep(self) -> list[str]:
        """Remove the files whose writer has gone (at the server's start: no kernel of
        an earlier server can still use them); returns the kernel ids removed."""
        try:
            names = [name for name in os.listdir(self.folder) if name.endswith(".json")]
        except FileNotFoundError:
            return []
        removed = []
        for name in names:
            kernel_id = name.removesuffix(".json")
            written = self._load(os.path.join(self.folder, name))
            if KERNEL_ID.fullmatch(kernel_id) and (written is None or not _writer_runs(written)):
                self.forget(kernel_id)
                removed.append(kernel_id)
        return removed

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """A jupyter_server ``kernel_actions`` event: a kernel shut down leaves no file
        (a restart is left to the writer check: the new process may already write)."""
        kernel_id = data.get("kernel_id")
        shut_down = data.get("action") == "shutdown" and data.get("status") == "success"
        if shut_down and isinstance(kernel_id, str) and KERNEL_ID.fullmatch(kernel_id):
            await asyncio.get_running_loop().run_in_executor(None, self.forget, kernel_id)

    def _path(self, kernel_id: str) -> str:
        return os.path.join(self.folder, f"{kernel_id}.json")

    @staticmethod
    def _load(path: str) -> CitationFile | None:
        """A citation file, or None if there is none or it is not one (every file is
        written whole, so a bad one was not written by a kernel of ours)."""
        try:
            with open(path, encoding="utf-8") as stream:
                written = json.load(stream)
        except (OSError, ValueError):
            return None
        if not isinstance(written, dict) or not _well_formed(written.get("datasets")):
            return None
        found: CitationFile = written  # type: ignore[assignment]
        return found


def _well_formed(datasets: Any) -> bool:
    """Whether a file's datasets have the shape a kernel of ours writes."""
    return isinstance(datasets, list) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("holding"), str)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("version"), str | None)
        and isinstance(entry.get("files"), dict)
        and all(isinstance(t, str | None) for t in entry["files"].values())
        for entry in datasets
    )


def _inside(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, os.path.realpath(path)]) == root
    except ValueError:  # not a path of this system
        return False


def _writer_runs(written: CitationFile) -> bool:
    """Whether the process that wrote a citation file still runs (on another host: it
    cannot be told, so it is taken to)."""
    if written.get("host") != socket.gethostname():
        return True
    try:
        process = psutil.Process(int(written["pid"]))
        started = abs(process.create_time() - float(written["started"])) < 1
        return started and bool(process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False

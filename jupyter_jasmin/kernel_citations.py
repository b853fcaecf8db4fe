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
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import psutil

from .errors import BadRequest, NotFound
from .provenance import (
    KERNEL_ID,
    NONE,
    CitationFile,
    CitationReply,
    Citations,
    citations_folder,
    cite,
    read_tracking_id,
    read_unread,
)

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


class KernelCitationsReply(TypedDict):
    """``GET kernels/{kernel_id}/citations`` (``openapi.yaml``'s ``KernelCitations``)."""

    kernel_id: str
    datasets: list[CitationReply]
    text: str  # the list as citations() prints it in the kernel


class KernelCitations:
    """The citation files of the kernels of one server (one per kernel id)."""

    def __init__(
        self, profile_dir: str, roots: Sequence[str], runs_kernel: Callable[[str], bool]
    ) -> None:
        self.folder = citations_folder(profile_dir)
        self._roots = [os.path.realpath(root) for root in roots]
        self._runs_kernel = runs_kernel
        self._tracking: dict[str, str] = {}  # a file's path -> its tracking_id, once read
        self._reading = threading.Lock()

    async def of_kernel(self, kernel_id: str) -> KernelCitationsReply:
        """The datasets a kernel of this server used (none before it records one)."""
        if not KERNEL_ID.fullmatch(kernel_id):
            raise BadRequest(f"{kernel_id[:80]!r} is not a kernel id")
        if not self._runs_kernel(kernel_id):
            raise NotFound(f"this server runs no kernel {kernel_id!r}")
        used = await asyncio.get_running_loop().run_in_executor(None, self.read, kernel_id)
        return KernelCitationsReply(
            kernel_id=kernel_id,
            datasets=[citation.reply() for citation in used],
            text=str(used),
        )

    def read(self, kernel_id: str) -> Citations:
        """A kernel's citations; a stale file is removed and reads as none. The
        tracking_ids the kernel has not read (files it mapped) are read here."""
        written = self._load(self._path(kernel_id))
        if written is None or written["kernel_id"] != kernel_id:
            return Citations([])
        if not _writer_runs(written):
            self.forget(kernel_id)
            return Citations([])
        try:
            return Citations(
                [
                    cite(
                        (entry["holding"], entry["id"]),
                        entry["version"],
                        read_unread(entry["files"], self._tracking_id),
                    )
                    for entry in written["datasets"]
                ]
            )
        except (KeyError, TypeError, AttributeError):  # not written by a kernel of ours
            return Citations([])

    def _tracking_id(self, path: str) -> str:
        """A file's tracking_id, read once; only files of the holdings are read."""
        if path not in self._tracking:
            if not any(_inside(root, path) for root in self._roots):
                return NONE
            with self._reading:  # netCDF4 must not read from two threads at once
                self._tracking[path] = read_tracking_id(path)
        return self._tracking[path]

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
        if not isinstance(written, dict) or not isinstance(written.get("datasets"), list):
            return None
        found: CitationFile = written  # type: ignore[assignment]
        return found


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

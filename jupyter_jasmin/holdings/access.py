"""Who may read which dataset: the archive's Unix permissions, as this server's user meets them.

An index built by an admin's cron job is shared by every user's server, so it lists
datasets some users cannot read (access is by Unix group per collection: a group owns
``.../MOHC/UKESM1-0-LL/`` with mode 0750). Readability is decided when datasets are
answered, for those answered only: one ``os.access`` on the dataset's folder, and when
that fails, a walk down from the holding's root to the first folder that stops this
user, whose owner, group and mode say why. Answers are kept per folder for a short time.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import threading
import time
from dataclasses import dataclass

from ..errors import Forbidden
from .shapes import DatasetAccess

REMEMBERED_SECONDS = 30.0  # an admin's chmod or chgrp shows within this
REMEMBERED_FOLDERS = 100_000
# Group memberships are read when a process logs in: a user added to a group reads its
# collections from a server started after that, not from one already running
ADVICE_GROUP = (
    "ask the archive's managers to add you to that group, then restart your Jupyter server "
    "(a new group counts from the next login)"
)
ADVICE_OTHER = "ask the archive's managers for access"
# the verdict is this process's, as its analysis of owner and group is
EFFECTIVE_IDS = os.access in os.supports_effective_ids


@dataclass(frozen=True)
class Verdict:
    """Whether this process may read one dataset folder, and if not, why."""

    readable: bool
    group: str | None = None  # the Unix group that would grant access
    reason: str | None = None
    missing: bool = False  # the folder is not there (the index is older than the archive)

    def reply(self) -> DatasetAccess:
        return {"readable": self.readable, "group": self.group, "reason": self.reason}


READABLE = Verdict(True)


def advice(group: str | None) -> str:
    """What a user refused a dataset can do, given the group that would grant access."""
    return ADVICE_GROUP if group else ADVICE_OTHER


class FolderAccess:
    """Readability of dataset folders under one holding's root, for this process's user."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int], tuple[float, bool]] = {}

    def of(self, relative: str) -> Verdict:
        """The verdict on the dataset folder ``relative`` to the root."""
        folder = os.path.join(self.root, relative) if relative else self.root
        if self._allowed(folder, os.R_OK | os.X_OK):
            return READABLE
        return self._explain(relative)

    def check(self, dataset_id: str, relative: str) -> None:
        """:class:`Forbidden`, saying why and what to do, unless this user may read the
        dataset (a folder that is not there is left to whoever opens it to report)."""
        verdict = self.of(relative)
        if verdict.readable or verdict.missing:
            return
        raise Forbidden(f"you cannot read {dataset_id}: {verdict.reason}; {advice(verdict.group)}")

    def _allowed(self, folder: str, mode: int) -> bool:
        now = time.monotonic()
        key = (folder, mode)
        with self._lock:
            known = self._seen.get(key)
        if known is not None and now - known[0] < REMEMBERED_SECONDS:
            return known[1]
        allowed = os.access(folder, mode, effective_ids=EFFECTIVE_IDS)
        with self._lock:
            if len(self._seen) >= REMEMBERED_FOLDERS:
                self._seen.clear()
            self._seen[key] = (now, allowed)
        return allowed

    def _explain(self, relative: str) -> Verdict:
        """Walk down from the root to the first folder that stops this user: every folder
        on the way must be traversable, the dataset's own folder readable too."""
        parts = [part for part in relative.split("/") if part]
        folder = self.root
        for depth in range(len(parts) + 1):
            if depth:
                folder = os.path.join(folder, parts[depth - 1])
            last = depth == len(parts)
            mode = os.R_OK | os.X_OK if last else os.X_OK
            if not self._allowed(folder, mode):
                return _denied(folder, os.path.relpath(folder, self.root), mode)
        # every step allowed now (a chmod since the first look): readable after all
        return READABLE


def _denied(folder: str, shown: str, mode: int) -> Verdict:
    """Why ``folder`` stops this user, from its owner, group and permission bits."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return Verdict(False, None, f"its folder {shown} is not there", missing=True)
    except OSError as error:
        return Verdict(False, None, f"the folder {shown} cannot be read ({error.strerror})")
    needed = (4 if mode & os.R_OK else 0) | (1 if mode & os.X_OK else 0)
    permissions = stat.S_IMODE(info.st_mode)
    octal = f"{permissions:04o}"
    group = _group_name(info.st_gid)
    if info.st_uid == os.geteuid():
        return Verdict(
            False, None, f"the folder {shown} is closed even to you, its owner ({octal})"
        )
    member = info.st_gid == os.getegid() or info.st_gid in os.getgroups()
    group_may = (permissions >> 3) & needed == needed
    if not member and group_may:
        return Verdict(
            False,
            group,
            f"access is by the Unix group {group!r} (you are not a member): "
            f"the folder {shown} is open to that group only ({octal})",
        )
    if member and not group_may:
        return Verdict(
            False, None, f"the folder {shown} is closed to its group {group!r} too ({octal})"
        )
    if not member:
        owner = _user_name(info.st_uid)
        return Verdict(False, None, f"the folder {shown} is private to {owner!r} ({octal})")
    # the bits allow it, yet the system refuses: an access list or the file system
    return Verdict(
        False, None, f"you may not read the folder {shown} (an access rule beyond its mode {octal})"
    )


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)

"""Reading the tail of what an engine set wrote (a batch job's output file), bounded."""

from __future__ import annotations

import os

from ..errors import NotFound
from .shapes import OutputReply

TAIL_BYTES = 256 * 1024


def last_lines(path: str, lines: int) -> tuple[str, bool, int]:
    """The last ``lines`` lines of a file, whether there is more before them, and the
    file's size, reading at most its last 256 KiB (blocking)."""
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - TAIL_BYTES))
        data = stream.read()
    text = data.decode(errors="replace")
    kept = text.splitlines()[-lines:]
    return "\n".join(kept), size > len(data) or len(text.splitlines()) > len(kept), size


def read_tail(path: str | None, set_id: str, lines: int) -> OutputReply:
    """The last ``lines`` lines of an engine set's output file (blocking)."""
    if path is None:
        raise NotFound(f"engine set {set_id!r} writes no output file")
    try:
        text, truncated, size = last_lines(path, lines)
    except FileNotFoundError:
        return {"engine_set": set_id, "path": path, "text": "", "truncated": False, "size": 0}
    return {"engine_set": set_id, "path": path, "text": text, "truncated": truncated, "size": size}

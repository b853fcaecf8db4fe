"""Reading the tail of what an engine set wrote (a batch job's output file), bounded."""

from __future__ import annotations

import os

from ..errors import NotFound
from .shapes import OutputReply

TAIL_BYTES = 256 * 1024


def read_tail(path: str | None, set_id: str, lines: int) -> OutputReply:
    """The last ``lines`` lines of ``path``, reading at most its last 256 KiB (blocking)."""
    if path is None:
        raise NotFound(f"engine set {set_id!r} writes no output file")
    try:
        with open(path, "rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - TAIL_BYTES))
            data = stream.read()
    except FileNotFoundError:
        return {"engine_set": set_id, "path": path, "text": "", "truncated": False, "size": 0}
    text = data.decode(errors="replace")
    kept = text.splitlines()[-lines:]
    return {
        "engine_set": set_id,
        "path": path,
        "text": "\n".join(kept),
        "truncated": size > len(data) or len(text.splitlines()) > len(kept),
        "size": size,
    }

"""The data this process used, for a paper's data statement: each dataset opened
through :mod:`jupyter_jasmin.holdings`, with its version, its holding and the
``tracking_id`` of each of its files that carries one. Read with
:func:`jupyter_jasmin.citations`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Citation:
    """One dataset used: what a data statement names."""

    holding: str
    id: str
    version: str | None
    files: int
    tracking_ids: tuple[str, ...]  # in file order, each once; files without one are left out

    def __str__(self) -> str:
        return self.describe(str)

    def describe(self, quote: Callable[[str], str]) -> str:
        """One line for a data statement, names and ids passed through ``quote``."""
        version = f"version {quote(self.version)}, " if self.version else ""
        text = f"{quote(self.id)} ({version}holding {quote(self.holding)}, {_files(self.files)})"
        if self.tracking_ids:
            text += "; tracking_id: " + ", ".join(map(quote, self.tracking_ids))
        return text


def _files(count: int) -> str:
    return f"{count} file" + ("" if count == 1 else "s")


# (holding, dataset id) -> its citation, in the order first opened; replaced whole
_used: dict[tuple[str, str], Citation] = {}
_lock = threading.Lock()


def record(
    holding: str, dataset_id: str, version: str | None, tracking_ids: Sequence[str | None]
) -> None:
    """Note that this process opened a dataset; ``tracking_ids`` has one entry per file,
    None for a file that carries no ``tracking_id``."""
    unique = tuple(dict.fromkeys(t for t in tracking_ids if t))
    citation = Citation(holding, dataset_id, version, len(tracking_ids), unique)
    global _used
    with _lock:
        _used = {**_used, (holding, dataset_id): citation}


class Citations(Sequence[Citation]):
    """The datasets used in this process, as a list to paste into a data statement."""

    def __init__(self, citations: list[Citation]) -> None:
        self._citations = citations

    def __getitem__(self, index: int) -> Citation:  # type: ignore[override]
        return self._citations[index]

    def __len__(self) -> int:
        return len(self._citations)

    def __iter__(self) -> Iterator[Citation]:
        return iter(self._citations)

    def __str__(self) -> str:
        if not self._citations:
            return "No datasets have been opened through jupyter_jasmin in this process."
        return "\n".join(f"- {citation}" for citation in self._citations)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        if not self._citations:
            return str(self)
        return "\n".join(f"- {c.describe(lambda text: f'`{text}`')}" for c in self._citations)


def citations() -> Citations:
    """The datasets this process opened through the holdings API, in the order first
    opened: ``print(jupyter_jasmin.citations())`` gives a list for a data statement."""
    return Citations(list(_used.values()))

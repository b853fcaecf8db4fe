"""Dataset holdings: DRS templates, the index, queries, and looks inside datasets.

From a notebook: ``holdings.search(...)`` and ``holdings.open(...)`` (in :mod:`.api`),
imported on first use so that importing this package (as the server does) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Dataset, SearchResult, dataset, open, search

__all__ = ["Dataset", "SearchResult", "dataset", "open", "search"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

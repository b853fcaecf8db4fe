"""jupyter_jasmin: parallel engine pools and dataset holdings for JupyterLab."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .provenance import citations as citations

try:
    __version__ = version("jupyter_jasmin")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-jasmin"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import Jasmin

    return [{"module": "jupyter_jasmin", "app": Jasmin}]


def __getattr__(name: str) -> Any:
    # imported on first use: the server imports this package and needs none of it
    if name == "citations":
        from .provenance import citations

        return citations
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""jupyter_jasmin: parallel engine pools and dataset holdings for JupyterLab."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import pools as pools
    from .mapping import pmap as pmap
    from .provenance import citations as citations

try:
    __version__ = version("jupyter_jasmin")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def __getattr__(name: str) -> Any:
    """``pmap``, ``pools`` and ``citations`` on first use, so that importing the package
    (as the server does) stays light. (``pmap`` lives in ``mapping`` and ``citations`` in
    ``provenance``: a submodule of the function's name would shadow it once imported.)"""
    if name == "pmap":
        from .mapping import pmap as pmap

        return pmap
    if name == "citations":
        from .provenance import citations

        return citations
    if name == "pools":
        import importlib

        return importlib.import_module(f"{__name__}.pools")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-jasmin"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import Jasmin

    return [{"module": "jupyter_jasmin", "app": Jasmin}]

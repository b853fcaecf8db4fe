"""jupyter_jasmin: parallel engine pools and dataset holdings for JupyterLab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import pools as pools
    from .mapping import pmap as pmap
    from .provenance import citations as citations


def __getattr__(name: str) -> Any:
    """``pmap``, ``pools``, ``citations`` and ``__version__`` on first use, so that
    importing the package (as the server and ``jupyter jasmin index`` do) stays light.
    (``pmap`` lives in ``mapping`` and ``citations`` in ``provenance``: a submodule of the
    function's name would shadow it once imported.)"""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("jupyter_jasmin")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0"
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

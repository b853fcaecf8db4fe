"""Pool backends, found by name.

Every module in this package that subclasses :class:`PoolBackend` registers its
backend by name, so adding a scheduler is one new file here. Other packages can
add backends through the ``jupyter_jasmin.backends`` entry-point group.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import Any

from .base import EngineLaunch, Option, PoolBackend, SetPlace, SetPlan

__all__ = [
    "EngineLaunch",
    "Option",
    "PoolBackend",
    "SetPlace",
    "SetPlan",
    "available_backends",
    "load_backends",
]


def available_backends() -> dict[str, type[PoolBackend]]:
    """Every backend class known by name: this package's modules and entry points."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")
    for entry in entry_points(group="jupyter_jasmin.backends"):
        backend = entry.load()
        PoolBackend.registry.setdefault(backend.name, backend)
    return dict(PoolBackend.registry)


def load_backends(names: list[str], parent: Any) -> dict[str, PoolBackend]:
    """Instantiate the backends an admin enabled, configured from the server's config."""
    known = available_backends()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"unknown backend(s) {', '.join(unknown)} in c.Jasmin.backends "
            f"(known: {', '.join(sorted(known))})"
        )
    return {name: known[name](parent=parent) for name in names}

"""Where the holdings and their indexes are, as the server is configured: read by the
server (``c.Jasmin.*``) and by notebooks and scripts, which find the same indexes
without asking a server.

A kernel inherits the environment of the server that starts it, and the server exports
its effective holdings and index folder there (:data:`HOLDINGS_ENV`): a server configured
on the command line or in memory is then found too, which the config files cannot tell.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

from ..validation import is_name
from .drs import DrsTemplate, TemplateError


@dataclass(frozen=True)
class HoldingSpec:
    """One holding as an admin configured it."""

    name: str
    root: str
    drs: str
    template: DrsTemplate
    description: str = ""

    @classmethod
    def from_config(cls, entry: Any) -> HoldingSpec:
        if not isinstance(entry, dict):
            raise ValueError(f"c.Jasmin.holdings: each holding is a dict, not {entry!r}")
        unknown = set(entry) - {"name", "root", "drs", "description"}
        if unknown or not {"name", "root", "drs"} <= set(entry):
            raise ValueError(
                f"c.Jasmin.holdings: {entry!r} needs 'name', 'root' and 'drs' "
                "(and optionally 'description')"
            )
        if not is_name(entry["name"]):
            raise ValueError(f"c.Jasmin.holdings: bad holding name {entry['name']!r}")
        try:
            template = DrsTemplate.named(str(entry["drs"]))
        except TemplateError as error:
            raise ValueError(f"c.Jasmin.holdings[{entry['name']!r}]: {error}") from None
        return cls(
            str(entry["name"]),
            os.path.realpath(os.path.expanduser(str(entry["root"]))),
            str(entry["drs"]),
            template,
            str(entry.get("description", "")),
        )


def sample_holdings() -> list[dict[str, str]]:
    """The CMIP6 sample archive of ``esmvaltool-sample-data``, if it is installed
    (found without importing it: its package imports iris)."""
    spec = find_spec("esmvaltool_sample_data")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = os.path.join(next(iter(spec.submodule_search_locations)), "data", "timeseries")
    if not os.path.isdir(root):
        return []
    return [
        {
            "name": "cmip6-sample",
            "root": root,
            "drs": "cmip6",
            "description": "CMIP6 sample archive (esmvaltool-sample-data): air temperature, "
            "historical, 46 models",
        }
    ]


# JSON ``{"holdings": [...], "index_dir": "..."}``: the server's c.Jasmin values
HOLDINGS_ENV = "JASMIN_HOLDINGS"


def default_index_dir() -> str:
    """``c.Jasmin.index_dir`` when an admin sets none."""
    from jupyter_core.paths import jupyter_data_dir

    return os.path.join(jupyter_data_dir(), "jasmin", "index")


def server_config() -> Any:
    """The Jupyter server's configuration files (``jupyter_config`` then
    ``jupyter_server_config``, on Jupyter's config path), merged as traitlets merges them
    for the server and ``jupyter jasmin index``: a folder earlier on the path wins, and
    in one folder ``.json`` wins over ``.py``.
    Read without importing the server (seconds in a kernel)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    config = Config()
    folders = list(reversed(jupyter_config_path()))
    for base in ("jupyter_config", "jupyter_server_config"):
        for folder in folders:
            for suffix, loader in ((".py", PyFileConfigLoader), (".json", JSONFileConfigLoader)):
                if os.path.isfile(os.path.join(folder, base + suffix)):
                    config.merge(loader(base + suffix, path=folder).load_config())
    return config


def configured_holdings(index_dir: str | None = None) -> tuple[list[HoldingSpec], str]:
    """The holdings the server offers and the folder of their indexes, from the server's
    exports (:data:`HOLDINGS_ENV`) or else its config files; ``index_dir`` overrides the
    folder."""
    exported = os.environ.get(HOLDINGS_ENV)
    jasmin = json.loads(exported) if exported else server_config().get("Jasmin", {})
    entries = list(jasmin.get("holdings", None) or []) or sample_holdings()
    folder = index_dir or jasmin.get("index_dir", None) or default_index_dir()
    return [HoldingSpec.from_config(entry) for entry in entries], os.path.abspath(
        os.path.expanduser(str(folder))
    )

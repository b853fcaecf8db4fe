"""Where the holdings and their indexes are, as the server is configured: read by the
server (``c.Jasmin.*``) and by notebooks and scripts, which find the same indexes
without asking a server."""

from __future__ import annotations

import os
from typing import Any

from .manager import HoldingSpec, sample_holdings


def default_index_dir() -> str:
    """``c.Jasmin.index_dir`` when an admin sets none."""
    from jupyter_core.paths import jupyter_data_dir

    return os.path.join(jupyter_data_dir(), "jasmin", "index")


def server_config() -> Any:
    """The Jupyter server's configuration files (``jupyter_server_config.json`` and
    ``.py`` on Jupyter's config path), merged as the server merges them: a folder
    earlier on the path wins, and ``.py`` over ``.json`` in the same folder."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    config = Config()
    for folder in reversed(jupyter_config_path()):
        for loader in (JSONFileConfigLoader, PyFileConfigLoader):
            suffix = ".json" if loader is JSONFileConfigLoader else ".py"
            name = "jupyter_server_config" + suffix
            if os.path.isfile(os.path.join(folder, name)):
                config.merge(loader(name, path=folder).load_config())
    return config


def configured_holdings(index_dir: str | None = None) -> tuple[list[HoldingSpec], str]:
    """The holdings the server offers and the folder of their indexes; ``index_dir``
    overrides the configured folder."""
    jasmin = server_config().get("Jasmin", {})
    entries = list(jasmin.get("holdings", None) or []) or sample_holdings()
    folder = index_dir or jasmin.get("index_dir", None) or default_index_dir()
    return [HoldingSpec.from_config(entry) for entry in entries], os.path.abspath(
        os.path.expanduser(str(folder))
    )

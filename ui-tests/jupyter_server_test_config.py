"""Jupyter server for the Galata browser tests (`jlpm start`).

Everything the run writes (notebooks, workspaces, temporary files, the pools'
connection and state files, the holdings' indexes and quick-look pictures) goes
under one folder, `.galata-root/` beside this file unless JASMIN_UI_TESTS_DIR
names another, which is emptied at each start.
Never use this configuration for a real server: it turns off every security check.
"""

import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

PORT = 8894  # playwright.config.js expects the server here

run_dir = Path(
    os.environ.get("JASMIN_UI_TESTS_DIR", Path(__file__).parent / ".galata-root")
).resolve()
shutil.rmtree(run_dir, ignore_errors=True)
for folder in ("root", "tmp", "profile"):
    (run_dir / folder).mkdir(parents=True)

# galata's helper and the server's children take their folders from these
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(run_dir / "root")
os.environ["TMPDIR"] = str(run_dir / "tmp")
tempfile.tempdir = str(run_dir / "tmp")

configure_jupyter_server(c)  # noqa: F821 (c is the config object jupyter passes)

c.ServerApp.port = PORT  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.Jasmin.profile_dir = str(run_dir / "profile")  # noqa: F821
c.Jasmin.max_engines_per_pool = 4  # noqa: F821
# the default holding is the CMIP6 sample archive (esmvaltool-sample-data), indexed at start
c.Jasmin.index_dir = str(run_dir / "index")  # noqa: F821
c.Jasmin.cache_dir = str(run_dir / "cache")  # noqa: F821

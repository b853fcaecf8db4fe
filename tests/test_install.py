"""What installing the package configures: one place to manage pools. ipyparallel's own
server extension and JupyterLab sidebar ("IPython Parallel") would list the same pools
and stop them behind the panel's back, so the package's configuration turns them off."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def listed(*command: str) -> str:
    environment = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [str(BIN / "jupyter"), *command],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)


def test_ipyparallel_sidebar_and_server_extension_are_off() -> None:
    lab = listed("labextension", "list")
    assert re.search(r"ipyparallel-labextension v\S+ disabled", lab), lab
    assert re.search(r"jupyter-jasmin v\S+ enabled", lab), lab
    server = listed("server", "extension", "list")
    assert re.search(r"ipyparallel\s+disabled", server), server
    assert re.search(r"jupyter_jasmin\s+enabled", server), server

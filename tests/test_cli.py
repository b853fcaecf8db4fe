"""``jupyter jasmin index``: what an admin's cron job runs to keep a shared index fresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jupyter_jasmin.holdings.query import IndexReader, Selection

JUPYTER_JASMIN = Path(sys.executable).parent / "jupyter-jasmin"


def run(config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir)}
    return subprocess.run(
        [str(JUPYTER_JASMIN), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_index_command_builds_the_configured_holdings(tmp_path: Path, sample: Path) -> None:
    index_dir = tmp_path / "shared-index"
    (tmp_path / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "Jasmin": {
                    "holdings": [{"name": "cmip6", "root": str(sample), "drs": "cmip6"}],
                    "index_dir": str(index_dir),
                }
            }
        )
    )

    first = run(tmp_path, "index")
    assert first.returncode == 0, first.stderr
    assert "cmip6: 326 files in 76 datasets" in first.stderr
    reader = IndexReader(str(index_dir / "cmip6.sqlite"))
    assert reader.page(Selection(), 0, 1)["total"] == 76

    again = run(tmp_path, "index", "--holding", "cmip6")
    assert again.returncode == 0, again.stderr
    assert "472 of 472 folders unchanged" in again.stderr
    full = run(tmp_path, "index", "--full")
    assert "0 of 472 folders unchanged" in full.stderr

    unknown = run(tmp_path, "index", "--holding", "cmip7")
    assert unknown.returncode != 0
    assert "no holding named 'cmip7' (configured: cmip6)" in unknown.stderr


def test_index_command_reports_a_missing_root(tmp_path: Path) -> None:
    (tmp_path / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "Jasmin": {
                    "holdings": [{"name": "gone", "root": str(tmp_path / "nope"), "drs": "cmip5"}],
                    "index_dir": str(tmp_path / "index"),
                }
            }
        )
    )

    result = run(tmp_path, "index")

    assert result.returncode == 1
    assert "gone: failed:" in result.stderr
    assert "does not exist or cannot be read" in result.stderr


def test_indexing_imports_nothing_it_does_not_need() -> None:
    """A cron job over a small holding spends its time indexing, not importing: neither
    the CLI nor the server's refresh process loads the server, pandas, xarray or
    ipyparallel."""
    heavy = ["jupyter_server.serverapp", "pandas", "numpy", "xarray", "ipyparallel"]
    for module in ("jupyter_jasmin.cli", "jupyter_jasmin.holdings.refresh"):
        loaded = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys, {module}; print(' '.join(m for m in {heavy!r} if m in sys.modules))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert loaded == [], f"{module} imports {loaded}"

"""schemathesis, an independent fuzzer, holds a live server to its OpenAPI document:
every operation, stateful sequences along the document's links (create a pool, get it,
scale it, delete it; list holdings, page datasets, open one), no server error and no
reply that breaks the document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import wait_until
from .servers import ServerProcess

CONFIG = Path(__file__).with_name("schemathesis.toml")
# a fixed seed keeps CI repeatable; JASMIN_FUZZ_SEED=random explores new cases
SEED = os.environ.get("JASMIN_FUZZ_SEED", "20261125")
EXAMPLES = os.environ.get("JASMIN_FUZZ_EXAMPLES", "25")


def test_schemathesis_finds_no_server_error_and_no_reply_off_the_contract(
    tmp_path: Path, profile_dir: Path
) -> None:
    server = ServerProcess(
        tmp_path,
        profile_dir,
        "--Jasmin.index_on_start=True",
        "--Jasmin.max_engines_per_pool=2",
        "--Jasmin.max_pools=2",
        "--Jasmin.watch_event_loop=True",
    )
    try:
        wait_until(lambda: server.call("GET", "holdings/cmip6-sample")["state"] == "ready", 60)
        report = tmp_path / "report"
        seed = [] if SEED == "random" else ["--seed", SEED]
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.url}/jasmin/api/openapi.json",
                "--header",
                f"Authorization: token {server.token}",
                "--max-examples",
                EXAMPLES,
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--report",
                "json",
                "--report-dir",
                str(report),
                "--no-color",
                *seed,
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        summary = run.stdout[run.stdout.find("SUMMARY") :]
        print(summary)  # operations covered, cases generated: for the notes
        assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
        (found,) = report.glob("*.json")
        assert json.loads(found.read_text()), "schemathesis wrote a report"
        # no pool survives the fuzzing but those the server stops on its way out
        assert "Traceback" not in server.log()
    finally:
        server.stop()

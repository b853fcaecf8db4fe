"""Jupyter server for the Galata browser tests (`jlpm start`).

Everything the run writes (notebooks, workspaces, temporary files, the pools'
connection and state files, the holdings' indexes and quick-look pictures, a
real single-node Slurm) goes under one folder, `.galata-root/` beside this file
unless JASMIN_UI_TESTS_DIR names another, which is emptied at each start.
Never use this configuration for a real server: it turns off every security check.

The Slurm is the tests' own rig (`tests/slurm_rig.py`: munged, slurmctld and
slurmd in `<run>/slurm`), started here and stopped when the server exits, after
the server has stopped its pools (Playwright stops the server with SIGTERM).
`<run>/slurm.json` tells the browser tests where its slurm.conf is, so they can
submit and cancel jobs of their own with sbatch and scancel.
"""

import atexit
import contextlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from multiprocessing import resource_tracker
from pathlib import Path

import psutil
from jupyterlab.galata import configure_jupyter_server

PORT = 8894  # playwright.config.js expects the server here
HERE = Path(__file__).resolve().parent

run_dir = Path(os.environ.get("JASMIN_UI_TESTS_DIR", HERE / ".galata-root")).resolve()


def stop_leftover_slurm(run: Path) -> None:
    """Stop the Slurm daemons of a run that was killed before it could stop them (by
    pid, and only if that pid is still one of Slurm's or MUNGE's daemons)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        for pid in json.loads((run / "slurm.json").read_text())["daemons"]:
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                if process.name() in ("munged", "slurmctld", "slurmd"):
                    process.kill()


stop_leftover_slurm(run_dir)
shutil.rmtree(run_dir, ignore_errors=True)
for folder in ("root", "tmp", "profile", "slurm"):
    (run_dir / folder).mkdir(parents=True)

# galata's helper and the server's children take their folders from these
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(run_dir / "root")
os.environ["TMPDIR"] = str(run_dir / "tmp")
tempfile.tempdir = str(run_dir / "tmp")


def load_slurm_rig() -> type:
    """`SlurmRig` from the Python tests, loaded by path (no `tests` package import)."""
    spec = importlib.util.spec_from_file_location(
        "jasmin_slurm_rig", HERE.parent / "tests" / "slurm_rig.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module.SlurmRig  # type: ignore[no-any-return]


def start_slurm() -> None:
    # multiprocessing's resource tracker lives until the server's process ends, after
    # the rig is stopped: started now, it does not carry SLURM_CONF, so the rig's check
    # that nothing of its Slurm outlived it does not count it as a job's process
    resource_tracker.ensure_running()
    rig = load_slurm_rig().start(run_dir / "slurm")
    # the server's children (sbatch, squeue, the engines' jobs) talk to this Slurm
    os.environ["SLURM_CONF"] = str(rig.conf)
    (run_dir / "slurm.json").write_text(
        json.dumps(
            {
                "conf": str(rig.conf),
                "cpus": rig.cpus,
                "node": rig.node,
                "daemons": [p.pid for p in rig.daemons.values()],
            }
        )
    )

    def stop() -> None:
        # runs after the server stopped its pools (jupyter_server's own shutdown);
        # rig.stop cancels what is left, stops the daemons and fails if a job outlived it
        try:
            rig.stop()
        except BaseException as error:  # pytest.fail's exception is a BaseException
            print(f"stopping the test Slurm: {error}", file=sys.stderr)

    atexit.register(stop)


start_slurm()

configure_jupyter_server(c)  # noqa: F821 (c is the config object jupyter passes)

c.ServerApp.port = PORT  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.Jasmin.profile_dir = str(run_dir / "profile")  # noqa: F821
c.Jasmin.max_engines_per_pool = 4  # noqa: F821
c.Jasmin.backends = ["local", "slurm", "mpi"]  # noqa: F821
c.Jasmin.job_poll_seconds = 1  # noqa: F821
# burst.spec.ts sees a pool culled after 15 s without work
c.Jasmin.idle_check_seconds = 1  # noqa: F821
# the compute node is this machine; the server stops its batch pools when it stops
c.SlurmBackend.controller_ip = "127.0.0.1"  # noqa: F821
c.SlurmBackend.keep_on_stop_default = False  # noqa: F821
# the default holding is the CMIP6 sample archive (esmvaltool-sample-data), indexed at start
c.Jasmin.index_dir = str(run_dir / "index")  # noqa: F821
c.Jasmin.cache_dir = str(run_dir / "cache")  # noqa: F821

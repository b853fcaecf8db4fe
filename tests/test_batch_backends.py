"""Engine pools as PBS and LSF batch jobs, through recording stand-ins for qsub, qstat,
qdel, bsub, bjobs and bkill that replay those schedulers' documented output: the script
each backend writes, the commands it runs, and what a researcher sees of the job while
it waits, runs and ends. Nothing really runs, so no engine ever registers.

Also the scripts every batch backend (Slurm, PBS, LSF) writes, as exact text."""

from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ipyparallel.cluster.launcher import EvalFormatter, ipengine_cmd_argv

from jupyter_jasmin.clusters.backends.batch import BatchBackend
from jupyter_jasmin.clusters.backends.lsf import LSFBackend
from jupyter_jasmin.clusters.backends.pbs import PBSBackend
from jupyter_jasmin.clusters.backends.slurm import SlurmBackend
from jupyter_jasmin.clusters.schedulers.lsf import lsf_time
from jupyter_jasmin.timestamps import isoformat

from .conftest import Api, processes_of_pool, wait_for_pool, wait_until
from .servers import ServerProcess
from .standins import Standins, standins_fixture  # noqa: F401 (the fixture `standins`)

pytestmark = [
    pytest.mark.jasmin(backends=["local", "pbs", "lsf"], job_poll_seconds=0.2),
    # the test server stops its batch pools when a test ends, whatever happened in it
    pytest.mark.server_config(
        PBSBackend={
            "controller_ip": "127.0.0.1",
            "keep_on_stop_default": False,
            "queues": ["workq", "express"],
        },
        LSFBackend={"controller_ip": "127.0.0.1", "keep_on_stop_default": False},
    ),
]
ENGINE = shlex.join(ipengine_cmd_argv)
# what the jobs' engines must find in their environment
ENGINE_ENVIRONMENT = (
    "JASMIN_ENGINE_SET",
    "IPP_CLUSTER_ID",
    "IPP_PROFILE_DIR",
    "IPP_CONNECTION_INFO",
    "OMP_NUM_THREADS",
)
BACKGROUND_ENGINES = f"""i=0
while [ "$i" -lt {{n}} ]; do
    {ENGINE} &
    i=$((i + 1))
done
wait
"""


@dataclass(frozen=True)
class Scheduler:
    """One scheduler as the tests drive it through its stand-ins."""

    backend: str
    submit: str
    cancel: str
    job: str  # the id its stand-in's submit command prints
    suffix: str  # of the script's file name
    options: dict[str, Any]
    header: str  # the script's directives for 2 engines of `options`, {pool} and {out} left
    reason: str
    reason_in_words: str
    nodes: str
    time_left: int
    estimated_start: float | None

    def script(self, pool: str, out: str) -> str:
        return self.header.format(pool=pool, out=out) + BACKGROUND_ENGINES.format(n=2)


PBS = Scheduler(
    backend="pbs",
    submit="qsub",
    cancel="qdel",
    job="1001.pbs-standin",
    suffix=".pbs",
    options={
        "queue": "workq",
        "account": "proj42",
        "walltime": 30,
        "memory_per_engine": 3.0,
        "cores_per_engine": 2,
        "engines_per_job": 2,
    },
    header="""#!/bin/sh
#PBS -N ipengine-{pool}
#PBS -V
#PBS -l select=2:ncpus=2:mem=3072mb
#PBS -l place=pack
#PBS -l walltime=0:30:00
#PBS -q workq
#PBS -j oe
#PBS -o {out}
#PBS -A proj42
""",
    reason="Not Running: Insufficient amount of resource: ncpus (R: 4 A: 2 T: 16)",
    reason_in_words="waiting for free nodes",
    nodes="node07",
    time_left=25 * 60,
    estimated_start=time.mktime(time.strptime("2026-11-25 11:00", "%Y-%m-%d %H:%M")),
)
LSF = Scheduler(
    backend="lsf",
    submit="bsub",
    cancel="bkill",
    job="1001",
    suffix=".lsf",
    options={
        "queue": "normal",
        "project": "proj42",
        "walltime": 30,
        "memory_per_engine": 3.0,
        "cores_per_engine": 2,
        "engines_per_job": 2,
    },
    header="""#!/bin/sh
#BSUB -J ipengine-{pool}
#BSUB -env all
#BSUB -n 4
#BSUB -R "span[hosts=1] rusage[mem=6144MB]"
#BSUB -W 0:30
#BSUB -q normal
#BSUB -o {out}
#BSUB -P proj42
""",
    reason="Not enough job slot(s)",
    reason_in_words="waiting for free job slots",
    nodes="hostA",
    time_left=25 * 60,
    estimated_start=lsf_time("Nov 25 11:00"),
)
SCHEDULERS = [pytest.param(PBS, id="pbs"), pytest.param(LSF, id="lsf")]


def job_state(state: str) -> Callable[[dict[str, Any]], bool]:
    def check(pool: dict[str, Any]) -> bool:
        sets = pool["engine_sets"]
        return bool(sets) and sets[0]["job"] is not None and sets[0]["job"]["state"] == state

    check.__qualname__ = f"job_state({state})"
    return check


async def start_pool(api: Api, scheduler: Scheduler) -> dict[str, Any]:
    """A pool of 2 engines in one job, once the scheduler has said the job waits."""
    reply = await api(
        "POST",
        "clusters",
        {"backend": scheduler.backend, "engines": 2, "options": scheduler.options},
    )
    assert reply.status == 202, reply.body
    return await wait_for_pool(api, reply.body["id"], job_state("PENDING"))


# ----- pools through the REST API -------------------------------------------------------


@pytest.mark.parametrize("scheduler", SCHEDULERS)
async def test_a_batch_pool_shows_its_job_waiting_running_and_ended_at_its_walltime(
    api: Api,
    standins: Standins,
    profile_dir: Path,
    scheduler: Scheduler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    standins.record_environment(*ENGINE_ENVIRONMENT)
    standins.replay(f"{scheduler.backend}-pool-queued")

    pool = await start_pool(api, scheduler)

    (engine_set,) = pool["engine_sets"]
    job = engine_set["job"]
    assert (engine_set["id"], engine_set["requested"]) == (f"{scheduler.backend}-0", 2)
    assert (job["id"], job["state_in_words"]) == (scheduler.job, "waiting in the queue")
    assert (job["reason"], job["reason_in_words"]) == (scheduler.reason, scheduler.reason_in_words)
    assert (job["nodes"], job["started"]) == ("", None)
    assert pool["state"] == "starting"
    assert pool["engines"]["starting"] == 2

    jobs = profile_dir / "jasmin" / "jobs"
    script_file = jobs / f"{pool['id']}-{engine_set['id']}{scheduler.suffix}"
    script = scheduler.script(pool["id"], str(jobs / f"{pool['id']}-{engine_set['id']}.out"))
    assert script_file.read_text() == script
    (submitted,) = standins.calls(scheduler.submit)
    if scheduler.submit == "qsub":
        assert submitted.argv == ["qsub", str(script_file)]
        assert submitted.files == {str(script_file): script}
    else:  # the script on bsub's standard input, so that bsub reads its #BSUB lines
        assert (submitted.argv, submitted.stdin) == (["bsub"], script)
    environ = submitted.environ
    assert environ["JASMIN_ENGINE_SET"] == engine_set["id"]
    assert (environ["IPP_CLUSTER_ID"], environ["IPP_PROFILE_DIR"]) == (pool["id"], str(profile_dir))
    assert environ["IPP_CONNECTION_INFO"]
    assert '"registration"' in environ["IPP_CONNECTION_INFO"]
    assert environ["OMP_NUM_THREADS"] == "2"

    # what a server taking the pool over would read: the launcher by its import path
    cluster_file = json.loads((profile_dir / "security" / f"cluster-{pool['id']}.json").read_text())
    launchers = cluster_file["engines"]
    assert (
        launchers["class"]
        == f"jupyter_jasmin.clusters.backends.{scheduler.backend}.EngineSetLauncher"
    )
    assert launchers["sets"][engine_set["id"]]["job_id"] == scheduler.job

    base = f"clusters/{pool['id']}/engine-sets/{engine_set['id']}"
    estimate = await api("GET", f"{base}/estimate")
    assert estimate.status == 200, estimate.body
    assert estimate.body["estimated_start"] == isoformat(scheduler.estimated_start)

    standins.replay(f"{scheduler.backend}-pool-running")
    pool = await wait_for_pool(api, pool["id"], job_state("RUNNING"))
    job = pool["engine_sets"][0]["job"]
    assert (job["state_in_words"], job["reason"], job["nodes"]) == ("running", "", scheduler.nodes)
    assert job["time_left_seconds"] == scheduler.time_left
    assert job["started"] is not None
    assert pool["state"] == "starting", "its engines have not registered"
    assert (await api("GET", f"{base}/estimate")).body["estimated_start"] is None

    standins.replay(f"{scheduler.backend}-pool-walltime")
    pool = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "failed")

    (engine_set,) = pool["engine_sets"]
    ended = f"job {scheduler.job} ended at its walltime (TIMEOUT)"
    assert (engine_set["state"], engine_set["error"]) == ("failed", ended)
    assert engine_set["job"]["state"] == "TIMEOUT"
    assert engine_set["job"]["state_in_words"] == "ended at its walltime"
    assert pool["error"] == f"no engine started: {ended}"
    dismissed = await api("DELETE", f"clusters/{pool['id']}")
    assert dismissed.status == 200, dismissed.body
    # the failed pool was torn down: its controller stopped, its job cancelled (which
    # the scheduler may answer is finished already: no error)
    assert processes_of_pool(profile_dir, pool["id"]) == []
    cancelled = {tuple(call.argv) for call in standins.calls(scheduler.cancel)}
    assert cancelled == {(scheduler.cancel, scheduler.job)}
    assert "ipyparallel stop failed" not in caplog.text
    assert len(standins.calls(scheduler.submit)) == 1


LATE = "2 of its 2 engines did not register within 3 s"


async def late_engines(api: Api, standins: Standins) -> dict[str, Any]:
    """A PBS pool whose job waits for twenty polls of the scheduler, then runs, and whose
    engines never register (the server's engine_timeout is 3 s): the pool once it has
    failed, then the reply to its dismissal."""
    standins.replay("pbs-pool-queued")
    pool = await start_pool(api, PBS)
    polled = len(standins.calls("qstat"))

    # twenty polls, 0.2 s apart at the fastest: the job has waited over engine_timeout
    def asked_twenty_times(pool: dict[str, Any]) -> bool:
        return len(standins.calls("qstat")) >= polled + 20

    pool = await wait_for_pool(api, pool["id"], asked_twenty_times)
    assert (pool["state"], pool["engine_sets"][0]["state"]) == ("starting", "starting")

    standins.replay("pbs-pool-running")
    pool = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "failed")
    assert pool["error"] == f"no engine started: {LATE}"
    dismissed = await api("DELETE", f"clusters/{pool['id']}")
    assert dismissed.status == 200, dismissed.body
    assert {tuple(call.argv) for call in standins.calls("qdel")} == {("qdel", PBS.job)}
    return dismissed.body  # type: ignore[no-any-return]


@pytest.mark.jasmin(engine_timeout=3.0)
async def test_engines_may_take_engine_timeout_to_register_once_their_job_runs(
    api: Api, standins: Standins
) -> None:
    """However long the job waits in the queue, its engines are not late: the time they
    may take to register starts when the scheduler says the job runs."""
    dismissed = await late_engines(api, standins)
    assert (dismissed["state"], dismissed["engine_sets"][0]["state"]) == ("failed", "failed")


@pytest.mark.jasmin(engine_timeout=3.0)
async def test_an_engine_set_that_timed_out_keeps_saying_why(api: Api, standins: Standins) -> None:
    dismissed = await late_engines(api, standins)
    assert dismissed["engine_sets"][0]["error"] == LATE


@pytest.mark.parametrize("scheduler", SCHEDULERS)
async def test_stopping_a_batch_pool_cancels_its_waiting_job(
    api: Api, standins: Standins, profile_dir: Path, scheduler: Scheduler
) -> None:
    standins.replay(f"{scheduler.backend}-pool-queued")
    pool = await start_pool(api, scheduler)
    assert standins.calls(scheduler.cancel) == []

    stopped = await api("DELETE", f"clusters/{pool['id']}")

    assert stopped.status == 200, stopped.body
    assert stopped.body["state"] == "stopped"
    cancelled = {tuple(call.argv) for call in standins.calls(scheduler.cancel)}
    assert cancelled == {(scheduler.cancel, scheduler.job)}
    assert processes_of_pool(profile_dir, pool["id"]) == []
    assert (await api("GET", "clusters")).body == {"clusters": []}


@pytest.mark.parametrize(
    ("scheduler", "said"),
    [
        pytest.param(PBS, "'qsub {script}' failed (exit code 170): qsub: Unknown queue", id="pbs"),
        pytest.param(
            LSF,
            "'bsub' failed (exit code 255): nosuch: No such queue. Job not submitted.",
            id="lsf",
        ),
    ],
)
async def test_a_refused_submission_fails_the_pool_in_the_schedulers_words(
    api: Api, standins: Standins, profile_dir: Path, scheduler: Scheduler, said: str
) -> None:
    standins.replay(f"{scheduler.backend}-refused")
    options = {**scheduler.options, "queue": "express" if scheduler is PBS else "nosuch"}
    request = {"backend": scheduler.backend, "engines": 2, "options": options}
    reply = await api("POST", "clusters", request)
    assert reply.status == 202, reply.body

    pool = await wait_for_pool(api, reply.body["id"], lambda p: p["state"] == "failed")

    script = profile_dir / "jasmin" / "jobs" / f"{pool['id']}-{scheduler.backend}-0.pbs"
    assert pool["error"] == "could not start the pool: " + said.format(script=script)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert standins.calls(scheduler.cancel) == [], "no job to cancel"
    assert processes_of_pool(profile_dir, pool["id"]) == []


@pytest.mark.parametrize("scheduler", SCHEDULERS)
async def test_a_dry_run_shows_the_batch_script_and_submits_nothing(
    api: Api, standins: Standins, scheduler: Scheduler
) -> None:
    request = {"backend": scheduler.backend, "engines": 3, "options": scheduler.options}

    preview = await api("POST", "clusters", {**request, "dry_run": True})

    assert preview.status == 200, preview.body
    assert preview.body["engine_sets"] == [2, 1]
    assert (preview.body["checks"], preview.body["estimated_start"]) == ([], None)
    script = preview.body["script"]
    directive = "#PBS -o " if scheduler.backend == "pbs" else "#BSUB -o "
    (out,) = [line[len(directive) :] for line in script.splitlines() if line.startswith(directive)]
    assert out.endswith(f"/jasmin/jobs/preview-{scheduler.backend}-0.out")
    assert script == scheduler.script("preview", out)
    assert standins.calls() == []
    assert (await api("GET", "clusters")).body == {"clusters": []}


async def test_the_batch_backends_offer_their_queues_and_charges(api: Api) -> None:
    backends = {b["name"]: b for b in (await api("GET", "backends")).body["backends"]}

    def options(name: str) -> dict[str, Any]:
        return {option["name"]: option for option in backends[name]["options"]}

    pbs, lsf = options("pbs"), options("lsf")
    assert list(pbs) == [
        "queue",
        "walltime",
        "memory_per_engine",
        "cores_per_engine",
        "engines_per_job",
        "account",
        "keep_on_stop",
    ]
    assert (pbs["queue"]["type"], pbs["queue"]["choices"]) == ("select", ["", "workq", "express"])
    assert (pbs["account"]["type"], pbs["account"]["default"]) == ("string", "")
    assert list(lsf) == [
        "queue",
        "walltime",
        "memory_per_engine",
        "cores_per_engine",
        "engines_per_job",
        "project",
        "keep_on_stop",
    ]
    assert (lsf["queue"]["type"], lsf["project"]["type"]) == ("string", "string")
    assert lsf["walltime"]["maximum"] == 24 * 60
    assert backends["lsf"]["limits"] == {
        "max_engines": 4,
        "max_walltime_minutes": 24 * 60,
        "max_memory_per_engine_gb": 64.0,
        "max_cores_per_engine": 16,
        "max_engines_per_job": 16,
    }


async def test_a_name_that_would_add_a_line_to_the_script_is_refused(
    api: Api, standins: Standins
) -> None:
    smuggled = {"project": "proj42\n#BSUB -x"}
    reply = await api("POST", "clusters", {"backend": "lsf", "engines": 1, "options": smuggled})

    assert reply.status == 400, reply.body
    assert "('project')" in reply.body["message"]
    assert reply.body["field"] == "options.project"
    assert "no spaces, quotes or control characters" in reply.body["message"]
    assert standins.calls() == []
    assert (await api("GET", "clusters")).body == {"clusters": []}


# ----- the scripts, as exact text -------------------------------------------------------


def template(backend: BatchBackend[Any], **options: Any) -> str:
    return backend.batch_template(backend.validate_options(options))


def rendered(text: str, n: int, program: str = "ENGINE") -> str:
    """A template as ipyparallel's batch launchers fill it in."""
    return EvalFormatter().format(
        text, n=n, cluster_id="c1", output_file="/jobs/out", program_and_args=program
    )


def slurm_options(**chosen: Any) -> dict[str, Any]:
    """Slurm's options as validated once it knows a partition 'main'."""
    return {
        "partition": "main",
        "walltime": 60,
        "memory_per_engine": 2.0,
        "cores_per_engine": 1,
        "engines_per_job": 1,
        "account": "",
        "qos": "",
        "keep_on_stop": True,
        **chosen,
    }


def test_slurm_scripts() -> None:
    plain = SlurmBackend().batch_template(slurm_options())
    assert plain == (
        "#!/bin/sh\n"
        "#SBATCH --job-name=ipengine-{cluster_id}\n"
        "#SBATCH --export=ALL\n"
        "#SBATCH --ntasks={n}\n"
        "#SBATCH --cpus-per-task=1\n"
        "#SBATCH --mem-per-cpu=2048M\n"
        "#SBATCH --time=1:00:00\n"
        "#SBATCH --partition=main\n"
        "#SBATCH --output={output_file}\n"
        "srun {program_and_args}\n"
    )
    site = SlurmBackend(extra_directives=["--constraint=amd"], engine_setup="module load {x}\n")
    full = site.batch_template(
        slurm_options(
            walltime=90, memory_per_engine=3.0, cores_per_engine=4, account="acc", qos="high"
        )
    )
    assert rendered(full, 2) == (
        "#!/bin/sh\n"
        "#SBATCH --job-name=ipengine-c1\n"
        "#SBATCH --export=ALL\n"
        "#SBATCH --ntasks=2\n"
        "#SBATCH --cpus-per-task=4\n"
        "#SBATCH --mem-per-cpu=768M\n"
        "#SBATCH --time=1:30:00\n"
        "#SBATCH --partition=main\n"
        "#SBATCH --output=/jobs/out\n"
        "#SBATCH --account=acc\n"
        "#SBATCH --qos=high\n"
        "#SBATCH --constraint=amd\n"
        "module load {x}\n"
        "srun ENGINE\n"
    )


def test_pbs_scripts() -> None:
    assert template(PBSBackend()) == (
        "#!/bin/sh\n"
        "#PBS -N ipengine-{cluster_id}\n"
        "#PBS -V\n"
        "#PBS -l select={n}:ncpus=1:mem=2048mb\n"
        "#PBS -l place=pack\n"
        "#PBS -l walltime=1:00:00\n"
        "#PBS -j oe\n"
        "#PBS -o {output_file}\n"
        "i=0\n"
        'while [ "$i" -lt {n} ]; do\n'
        "    {program_and_args} &\n"
        "    i=$((i + 1))\n"
        "done\n"
        "wait\n"
    )
    site = PBSBackend(
        extra_directives=["-l software=python", "-W umask=027"],
        engine_setup="module load python/{3.11}",
    )
    full = template(
        site,
        queue="express",
        account="proj42",
        walltime=125,
        memory_per_engine=0.5,
        cores_per_engine=8,
    )
    assert rendered(full, 3) == (
        "#!/bin/sh\n"
        "#PBS -N ipengine-c1\n"
        "#PBS -V\n"
        "#PBS -l select=3:ncpus=8:mem=512mb\n"
        "#PBS -l place=pack\n"
        "#PBS -l walltime=2:05:00\n"
        "#PBS -q express\n"
        "#PBS -j oe\n"
        "#PBS -o /jobs/out\n"
        "#PBS -A proj42\n"
        "#PBS -l software=python\n"
        "#PBS -W umask=027\n"
        "module load python/{3.11}\n"
        "i=0\n"
        'while [ "$i" -lt 3 ]; do\n'
        "    ENGINE &\n"
        "    i=$((i + 1))\n"
        "done\n"
        "wait\n"
    )


def test_lsf_scripts() -> None:
    assert template(LSFBackend()) == (
        "#!/bin/sh\n"
        "#BSUB -J ipengine-{cluster_id}\n"
        "#BSUB -env all\n"
        "#BSUB -n {n}\n"
        '#BSUB -R "span[hosts=1] rusage[mem={n*2048}MB]"\n'
        "#BSUB -W 1:00\n"
        "#BSUB -o {output_file}\n"
        "i=0\n"
        'while [ "$i" -lt {n} ]; do\n'
        "    {program_and_args} &\n"
        "    i=$((i + 1))\n"
        "done\n"
        "wait\n"
    )
    header = (
        "#!/bin/sh\n"
        "#BSUB -J ipengine-c1\n"
        "#BSUB -env all\n"
        "#BSUB -n 12\n"
        '#BSUB -R "span[hosts=1] rusage[mem={memory}MB]"\n'
        "#BSUB -W 0:45\n"
        "#BSUB -q short\n"
        "#BSUB -o /jobs/out\n"
        "#BSUB -P proj42\n"
        "#BSUB -app python\n"
        "source /opt/venvs/{{pool}}/bin/activate\n"
    )
    chosen = {
        "queue": "short",
        "project": "proj42",
        "walltime": 45,
        "memory_per_engine": 5.0,
        "cores_per_engine": 4,
    }
    extras = {
        "extra_directives": ["-app python"],
        "engine_setup": "source /opt/venvs/{pool}/bin/activate",
    }
    per_host = rendered(template(LSFBackend(**extras), **chosen), 3)
    assert per_host.startswith(header.format(memory=3 * 5120))
    per_slot = template(LSFBackend(memory_reserved_per_slot=True, **extras), **chosen)
    assert rendered(per_slot, 3) == header.format(memory=1280) + (
        'i=0\nwhile [ "$i" -lt 3 ]; do\n    ENGINE &\n    i=$((i + 1))\ndone\nwait\n'
    )


@pytest.mark.parametrize("backend", [PBSBackend, LSFBackend])
def test_a_jobs_script_starts_its_engines_after_the_set_up_and_waits_for_them(
    backend: type[BatchBackend[Any]], tmp_path: Path
) -> None:
    """The script run by ``sh`` as the job would run it on its host (its directives
    are comments to the shell): ``n`` engines, each seeing what the set-up did."""
    started = tmp_path / "started"
    engine = [
        sys.executable,
        "-c",
        "import os, sys, time; time.sleep(0.2);"
        " open(sys.argv[1], 'a').write(os.environ['SET_UP'] + '\\n')",
        str(started),
    ]
    setup = 'SET_UP="done in $(basename "$PWD")"; export SET_UP'
    text = template(backend(engine_setup=setup), cores_per_engine=2)
    script = tmp_path / "job"
    script.write_text(rendered(text, 3, program=shlex.join(engine)))

    subprocess.run(["sh", str(script)], cwd=tmp_path, check=True, timeout=30)

    # the shell waited for every engine: all three wrote before it ended
    assert started.read_text() == f"done in {tmp_path.name}\n" * 3


@pytest.mark.parametrize("backend", [PBSBackend, LSFBackend])
def test_a_launcher_is_found_by_the_name_its_pools_files_give_it(
    backend: type[BatchBackend[Any]],
) -> None:
    """ipyparallel writes a launcher's ``entrypoint_name`` into a pool's cluster file
    and imports it from there when a server takes the pool over."""
    from ipyparallel.cluster.launcher import abbreviate_launcher_class
    from traitlets.utils.importstring import import_item

    launcher = import_item(backend.launcher)

    assert abbreviate_launcher_class(launcher) == backend.launcher
    assert import_item(backend.launcher) is launcher  # made once
    with pytest.raises(ImportError):
        import_item(f"{launcher.__module__}.NoSuchLauncher")


def batch_server(folder: Path, profile_dir: Path) -> ServerProcess:
    """A server of its own (to stop and start again) with the PBS and LSF backends."""
    config = folder / "batch_server_config.json"
    config.write_text(
        json.dumps(
            {
                "Jasmin": {"backends": ["local", "pbs", "lsf"], "job_poll_seconds": 0.2},
                "PBSBackend": {"controller_ip": "127.0.0.1"},
                "LSFBackend": {"controller_ip": "127.0.0.1"},
            }
        )
    )
    return ServerProcess(folder, profile_dir, f"--config={config}")


def waiting_job_or_failed(server: ServerProcess, pool_id: str) -> dict[str, Any]:
    def seen() -> dict[str, Any] | None:
        pool = server.call("GET", f"clusters/{pool_id}")
        return pool if job_state("PENDING")(pool) or pool["state"] == "failed" else None

    return wait_until(seen, 30)  # type: ignore[no-any-return]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
async def test_a_pool_whose_job_waits_is_kept_across_a_clean_stop_and_taken_over(
    standins: Standins, tmp_path: Path, profile_dir: Path, scheduler: Scheduler
) -> None:
    standins.replay(f"{scheduler.backend}-pool-queued")
    server = batch_server(tmp_path, profile_dir)
    try:
        pool = server.call(
            "POST",
            "clusters",
            {"backend": scheduler.backend, "engines": 2, "options": scheduler.options},
        )
        assert waiting_job_or_failed(server, pool["id"])["state"] == "starting"
    finally:
        server.stop()
    assert standins.calls(scheduler.cancel) == [], "the job was kept"
    assert processes_of_pool(profile_dir, pool["id"]), "its controller was kept"

    again = batch_server(tmp_path, profile_dir)
    try:
        back = await asyncio.to_thread(waiting_job_or_failed, again, pool["id"])
        assert (back["state"], back["error"]) == ("starting", None)
        job = back["engine_sets"][0]["job"]
        assert (job["id"], job["reason"]) == (scheduler.job, scheduler.reason)
        assert again.call("DELETE", f"clusters/{pool['id']}")["state"] == "stopped"
    finally:
        again.stop()
    cancelled = {tuple(call.argv) for call in standins.calls(scheduler.cancel)}
    assert cancelled == {(scheduler.cancel, scheduler.job)}
    assert processes_of_pool(profile_dir, pool["id"]) == []

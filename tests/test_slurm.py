"""Engine pools as Slurm batch jobs, on a real single-node Slurm started by the tests:
what a researcher sees of queued and running jobs, what is refused before submission, and
what survives a server's death."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from .conftest import Api, processes_of_pool, run_python, running, wait_for_pool, wait_until
from .servers import ServerProcess
from .slurm_rig import SlurmRig

pytestmark = [
    pytest.mark.jasmin(backends=["local", "slurm"], job_poll_seconds=1.0),
    # the test server stops its Slurm pools when a test ends, whatever happened in it
    pytest.mark.server_config(
        SlurmBackend={"controller_ip": "127.0.0.1", "keep_on_stop_default": False}
    ),
]
SMALL = {"walltime": 10, "memory_per_engine": 0.5}


async def slurm_offered(api: Api, timeout: float = 30) -> dict[str, Any]:
    """The Slurm backend once it has learnt the scheduler's partitions."""
    deadline = time.monotonic() + timeout
    while True:
        backends = (await api("GET", "backends")).body["backends"]
        slurm = next(b for b in backends if b["name"] == "slurm")
        partition = next(o for o in slurm["options"] if o["name"] == "partition")
        if partition.get("choices"):
            return slurm  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, slurm
        await asyncio.sleep(0.2)


def jobs_of(pool: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["job"] for s in pool["engine_sets"] if s["job"]]


async def test_a_slurm_pool_runs_work_in_batch_jobs_and_stops_them(
    api: Api, slurm: SlurmRig, profile_dir: Any
) -> None:
    offered = await slurm_offered(api)
    partition = next(o for o in offered["options"] if o["name"] == "partition")
    assert partition["choices"] == ["main", "short"]
    assert partition["default"] == "main"

    reply = await api("POST", "clusters", {"backend": "slurm", "engines": 2, "options": SMALL})
    assert reply.status == 202, reply.body
    pool = await wait_for_pool(api, reply.body["id"], running(2), timeout=120)

    jobs = jobs_of(pool)
    assert len(jobs) == 2, "one engine per job by default"
    in_squeue = slurm.jobs()
    for job in jobs:
        assert in_squeue[job["id"]].state == "RUNNING"
        assert job["state"] == "RUNNING"
        assert job["nodes"] == slurm.node
        assert 0 < job["time_left_seconds"] <= 10 * 60
    assert {e["host"] for e in pool["engines"]["list"]} == {slurm.node}

    snippet = await api("GET", f"clusters/{pool['id']}/snippet")
    output = await run_python(
        snippet.body["code"]
        + "\ndef where(_):\n    import os, time\n    time.sleep(0.05)\n    return os.getpid()"
        + "\nprint(sorted(set(view.map_sync(where, range(20)))))"
    )
    assert str(sorted(e["pid"] for e in pool["engines"]["list"])) in output

    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.body["state"] == "stopped"
    for job in jobs:
        seen = slurm.jobs().get(job["id"])
        assert seen is None or seen.state in ("CANCELLED", "COMPLETED", "COMPLETING"), seen
    assert processes_of_pool(profile_dir, pool["id"]) == []


async def start_slurm_pool(api: Api, engines: int, **options: Any) -> dict[str, Any]:
    await slurm_offered(api)
    reply = await api(
        "POST",
        "clusters",
        {"backend": "slurm", "engines": engines, "options": {**SMALL, **options}},
    )
    assert reply.status == 202, reply.body
    return await wait_for_pool(api, reply.body["id"], running(engines), timeout=120)


async def test_a_cancelled_job_degrades_the_pool_saying_which_and_scaling_replaces_it(
    api: Api, slurm: SlurmRig
) -> None:
    pool = await start_slurm_pool(api, 2)
    victim = jobs_of(pool)[0]["id"]

    cancelled = time.monotonic()
    slurm.cancel(victim)
    pool = await wait_for_pool(api, pool["id"], lambda p: p["state"] == "degraded", timeout=10)
    assert time.monotonic() - cancelled < 10
    assert f"job {victim} cancelled (CANCELLED)" in pool["error"]
    assert pool["engines"]["running"] == 1

    scaled = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert scaled.status == 200, scaled.body
    pool = await wait_for_pool(api, pool["id"], running(2), timeout=120)
    assert pool["state"] == "running"
    assert victim not in {job["id"] for job in jobs_of(pool)}
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_a_queued_job_says_why_it_waits(api: Api, slurm: SlurmRig) -> None:
    blocker = slurm.submit(f"--cpus-per-task={slurm.cpus}", command="sleep 300")
    slurm.wait_for("RUNNING", blocker)
    try:
        await slurm_offered(api)
        reply = await api("POST", "clusters", {"backend": "slurm", "engines": 1, "options": SMALL})
        assert reply.status == 202, reply.body

        def pending(reason: str) -> Any:
            def check(pool: dict[str, Any]) -> bool:
                jobs = jobs_of(pool)
                return bool(jobs) and jobs[0]["state"] == "PENDING" and jobs[0]["reason"] == reason

            return check

        pool = await wait_for_pool(api, reply.body["id"], pending("Resources"), timeout=30)
        (job,) = jobs_of(pool)
        assert job["reason_in_words"] == "waiting for free nodes"
        assert pool["state"] == "starting"
        assert pool["engines"]["starting"] == 1

        slurm.hold(job["id"])
        pool = await wait_for_pool(api, pool["id"], pending("JobHeldUser"), timeout=30)
        assert jobs_of(pool)[0]["reason_in_words"] == "held"

        slurm.run("scontrol", "release", job["id"])
        slurm.cancel(blocker)
        pool = await wait_for_pool(api, pool["id"], running(1), timeout=120)
        assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    finally:
        slurm.cancel(blocker)


async def test_a_request_over_the_partitions_limits_is_refused_before_submission(
    api: Api, slurm: SlurmRig
) -> None:
    await slurm_offered(api)
    before = set(slurm.jobs())
    over_time = {**SMALL, "partition": "short", "walltime": 10}
    reply = await api("POST", "clusters", {"backend": "slurm", "engines": 1, "options": over_time})
    assert reply.status == 400, reply.body
    assert "over partition short's limit of 5:00" in reply.body["message"]

    too_wide = {**SMALL, "cores_per_engine": slurm.cpus + 1}
    reply = await api("POST", "clusters", {"backend": "slurm", "engines": 1, "options": too_wide})
    assert reply.status == 400, reply.body
    assert f"have at most {slurm.cpus}" in reply.body["message"]

    assert set(slurm.jobs()) == before, "nothing was submitted"
    assert (await api("GET", "clusters")).body == {"clusters": []}


async def test_a_dry_run_shows_the_script_checks_and_estimate_and_creates_nothing(
    api: Api, slurm: SlurmRig
) -> None:
    await slurm_offered(api)
    before = set(slurm.jobs())
    request = {"backend": "slurm", "engines": 3, "options": {**SMALL, "engines_per_job": 2}}

    preview = await api("POST", "clusters", {**request, "dry_run": True})

    assert preview.status == 200, preview.body
    assert preview.body["engine_sets"] == [2, 1]
    script = preview.body["script"]
    assert "#SBATCH --ntasks=2" in script
    assert "#SBATCH --partition=main" in script
    assert "#SBATCH --time=0:10:00" in script
    assert "srun " in script
    assert "ipyparallel.engine" in script
    assert all(check["ok"] for check in preview.body["checks"])
    assert preview.body["estimated_start"] is not None
    assert set(slurm.jobs()) == before
    assert (await api("GET", "clusters")).body == {"clusters": []}

    refused = await api(
        "POST",
        "clusters",
        {**request, "options": {**SMALL, "partition": "short", "walltime": 9}, "dry_run": True},
    )
    assert refused.status == 200
    assert [c["ok"] for c in refused.body["checks"]] == [False]
    assert refused.body["estimated_start"] is None


def slurm_server(folder: Path, profile_dir: Path) -> ServerProcess:
    """A server of its own (to kill) with the Slurm backend enabled."""
    config = folder / "slurm_server_config.json"
    config.write_text(
        json.dumps(
            {
                "Jasmin": {
                    "backends": ["local", "slurm"],
                    "job_poll_seconds": 1.0,
                    "max_engines_per_pool": 4,
                },
                "SlurmBackend": {"controller_ip": "127.0.0.1"},
            }
        )
    )
    return ServerProcess(folder, profile_dir, f"--config={config}")


def started(server: ServerProcess, engines: int, backend: str = "slurm") -> dict[str, Any]:
    def offered() -> bool:
        backends = server.call("GET", "backends")["backends"]
        slurm = next(b for b in backends if b["name"] == "slurm")
        return bool(next(o for o in slurm["options"] if o["name"] == "partition").get("choices"))

    wait_until(offered, 30)
    options = SMALL if backend == "slurm" else {}
    pool = server.call(
        "POST", "clusters", {"backend": backend, "engines": engines, "options": options}
    )
    return wait_until(  # type: ignore[no-any-return]
        lambda: (
            (p := server.call("GET", f"clusters/{pool['id']}"))["state"] == "running"
            and p["engines"]["running"] == engines
            and p
        ),
        120,
    )


async def test_a_slurm_pool_is_taken_over_after_its_server_is_killed(
    slurm: SlurmRig, tmp_path: Path, profile_dir: Path
) -> None:
    server = slurm_server(tmp_path, profile_dir)
    try:
        pool = started(server, 2)
    finally:
        server.kill()
    jobs = {job["id"] for job in jobs_of(pool)}
    assert all(slurm.jobs()[job].state == "RUNNING" for job in jobs), "the jobs ran on"

    again = slurm_server(tmp_path, profile_dir)
    try:
        back = await asyncio.to_thread(
            wait_until,
            lambda: (
                (p := again.call("GET", f"clusters/{pool['id']}"))["state"] == "running"
                and p["engines"]["running"] == 2
                and all(job["state"] == "RUNNING" for job in jobs_of(p))
                and p
            ),
            60,
        )
        assert {job["id"] for job in jobs_of(back)} == jobs
        snippet = again.call("GET", f"clusters/{pool['id']}/snippet")["code"]
        output = await run_python(snippet + "\nprint(view.map_sync(lambda x: x * 2, range(4)))")
        assert "[0, 2, 4, 6]" in output
        assert again.call("DELETE", f"clusters/{pool['id']}")["state"] == "stopped"
        assert not jobs & set(slurm.jobs()) or all(
            slurm.jobs()[job].state in ("CANCELLED", "COMPLETING", "COMPLETED") for job in jobs
        )
    finally:
        again.stop()


async def test_a_slurm_pool_whose_controller_died_is_failed_and_its_jobs_cancelled(
    slurm: SlurmRig, tmp_path: Path, profile_dir: Path
) -> None:
    server = slurm_server(tmp_path, profile_dir)
    try:
        pool = started(server, 1)
    finally:
        server.kill()
    psutil.Process(pool["controller"]["pid"]).kill()
    (job,) = {job["id"] for job in jobs_of(pool)}

    again = slurm_server(tmp_path, profile_dir)
    try:
        (listed,) = again.call("GET", "clusters")["clusters"]
        assert listed["state"] == "failed"
        assert "its controller was no longer running" in listed["error"]
        seen = slurm.jobs().get(job)
        assert seen is None or seen.state in ("CANCELLED", "COMPLETING"), seen
        again.call("DELETE", f"clusters/{pool['id']}")
        assert processes_of_pool(profile_dir, pool["id"]) == []
    finally:
        again.stop()


async def test_a_clean_stop_keeps_slurm_pools_for_the_next_server_and_stops_local_ones(
    slurm: SlurmRig, tmp_path: Path, profile_dir: Path
) -> None:
    server = slurm_server(tmp_path, profile_dir)
    try:
        batch = started(server, 1)
        local = started(server, 1, backend="local")
    finally:
        server.stop()
    (job,) = {job["id"] for job in jobs_of(batch)}
    assert slurm.jobs()[job].state == "RUNNING", "the job was kept"
    assert processes_of_pool(profile_dir, local["id"]) == [], "the local pool was stopped"

    again = slurm_server(tmp_path, profile_dir)
    try:
        back = await asyncio.to_thread(
            wait_until,
            lambda: (p := again.call("GET", f"clusters/{batch['id']}"))["state"] == "running" and p,
            60,
        )
        assert [j["id"] for j in jobs_of(back)] == [job]
        assert [p["id"] for p in again.call("GET", "clusters")["clusters"]] == [batch["id"]]
        again.call("DELETE", f"clusters/{batch['id']}")
    finally:
        again.stop()


async def test_a_jobs_output_and_estimated_start_are_there_on_demand(
    api: Api, slurm: SlurmRig
) -> None:
    blocker = slurm.submit(f"--cpus-per-task={slurm.cpus}", command="sleep 300")
    slurm.wait_for("RUNNING", blocker)
    try:
        await slurm_offered(api)
        reply = await api("POST", "clusters", {"backend": "slurm", "engines": 1, "options": SMALL})
        submitted = await wait_for_pool(
            api,
            reply.body["id"],
            lambda p: bool(p["engine_sets"]) and p["engine_sets"][0]["job"] is not None,
            timeout=30,
        )
        (engine_set,) = submitted["engine_sets"]
        base = f"clusters/{reply.body['id']}/engine-sets/{engine_set['id']}"

        deadline = time.monotonic() + 20  # the backfill scheduler estimates every second
        while True:
            estimate = await api("GET", f"{base}/estimate")
            assert estimate.status == 200, estimate.body
            assert estimate.body["job"] == engine_set["job"]["id"]
            if estimate.body["estimated_start"] is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert estimate.body["estimated_start"] is not None, "the partition has a time limit"

        slurm.cancel(blocker)
        pool = await wait_for_pool(api, reply.body["id"], running(1), timeout=120)
        output = await api("GET", f"{base}/output?lines=50")
        assert output.status == 200, output.body
        assert output.body["path"].endswith(".out")
        assert output.body["size"] >= 0
        assert (await api("GET", f"{base}/output?lines=0")).status == 400
        assert (await api("GET", f"clusters/{pool['id']}/engine-sets/nope/output")).status == 404
        assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    finally:
        slurm.cancel(blocker)


async def test_a_local_pool_bursts_onto_slurm_jobs_and_is_taken_over_whole(
    slurm: SlurmRig, tmp_path: Path, profile_dir: Path
) -> None:
    """One controller, local engines and engines in Slurm jobs; a server killed and
    started again takes the whole pool over, each engine set with its own launcher."""
    server = slurm_server(tmp_path, profile_dir)
    try:
        pool = started(server, 1, backend="local")
        burst = {"backend": "slurm", "engines": 2, "options": SMALL}
        server.call("PATCH", f"clusters/{pool['id']}", burst)
        pool = wait_until(
            lambda: (
                (p := server.call("GET", f"clusters/{pool['id']}"))["engines"]["running"] == 3 and p
            ),
            120,
        )
        assert [(p["backend"], p["running"]) for p in pool["parts"]] == [("local", 1), ("slurm", 2)]
        # a job's output file is among the pool's logs while it runs
        logs = server.call("GET", f"clusters/{pool['id']}/logs")["logs"]
        batch = {s["id"] for s in pool["engine_sets"] if s["backend"] == "slurm"}
        assert batch <= {log["engine_set"] for log in logs}
        (first, *_) = sorted(batch)
        tail = server.call("GET", f"clusters/{pool['id']}/logs/{first}?lines=200")["text"]
        assert "Completed registration with id" in tail
    except BaseException:
        server.stop()  # a clean stop stops a pool with local engines
        raise
    server.kill()
    jobs = {job["id"] for job in jobs_of(pool)}
    assert len(jobs) == 2

    again = slurm_server(tmp_path, profile_dir)
    try:
        back = await asyncio.to_thread(
            wait_until,
            lambda: (
                (p := again.call("GET", f"clusters/{pool['id']}"))["state"] == "running"
                and p["engines"]["running"] == 3
                and p
            ),
            60,
        )
        assert [(p["backend"], p["running"]) for p in back["parts"]] == [("local", 1), ("slurm", 2)]
        assert {job["id"] for job in jobs_of(back)} == jobs
        snippet = again.call("GET", f"clusters/{pool['id']}/snippet")["code"]
        output = await run_python(snippet + "\nprint(len(view.map_sync(str, range(30))))")
        assert "Connected to 3 engines" in output
        again.call("DELETE", f"clusters/{pool['id']}")
        left = {job: slurm.jobs().get(job) for job in jobs}
        assert all(job is None or job.state in ("CANCELLED", "COMPLETING") for job in left.values())
        assert processes_of_pool(profile_dir, pool["id"]) == []
    finally:
        again.stop()

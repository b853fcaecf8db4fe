"""Citations from a kernel to the panel: a real kernel of the test server opens a
dataset and maps over another on a real pool; the server's route lists both, with the
``tracking_id`` each file carries, in the text ``citations()`` prints in the kernel. A
restart starts a fresh list, a shutdown removes the kernel's file, a script writes none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import netCDF4
import pytest

from jupyter_jasmin.kernel_citations import KernelCitations
from jupyter_jasmin.provenance import citations_folder

from .conftest import Api, run_python, start_pool
from .test_holdings import MIROC, sample_datasets, wait_ready
from .test_holdings_api import FGOALS, GFDL


class Kernel:
    """A kernel the test server runs, and a client that runs code in it."""

    def __init__(self, server: Any, kernel_id: str) -> None:
        self.server = server
        self.id = kernel_id
        self.client: Any = None

    async def connect(self) -> None:
        self.client = self.server.kernel_manager.get_kernel(self.id).client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=60)

    async def run(self, code: str) -> str:
        """Run a cell; what it printed (an error fails the test)."""
        printed: list[str] = []

        def hook(message: dict[str, Any]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream" and content["name"] == "stdout":
                printed.append(content["text"])
            elif message["msg_type"] == "error":
                printed.append("\n".join(content["traceback"]))

        reply = await self.client.execute_interactive(code, output_hook=hook, timeout=180)
        assert reply["content"]["status"] == "ok", "".join(printed)
        return "".join(printed)

    async def restart(self) -> None:
        self.client.stop_channels()
        await self.server.kernel_manager.restart_kernel(self.id)
        await self.connect()


@contextlib.asynccontextmanager
async def started_kernel(server: Any) -> AsyncIterator[Kernel]:
    """A Python kernel started by the test server (with its exports: profile, holdings),
    shut down at the end (async fixtures are not run here)."""
    manager = server.kernel_manager
    kernel = Kernel(server, await manager.start_kernel(kernel_name="python3"))
    try:
        await kernel.connect()
        yield kernel
    finally:
        if kernel.client is not None:
            kernel.client.stop_channels()
        if kernel.id in manager:
            await manager.shutdown_kernel(kernel.id, now=True)


def tracking_ids(folder: Path) -> list[str]:
    """The tracking_id of each file of a dataset folder, read with netCDF4."""
    found = []
    for path in sorted(folder.glob("*.nc")):
        with netCDF4.Dataset(path) as data:
            found.append(str(data.tracking_id))
    return found


NOTHING = "No datasets have been opened through jupyter_jasmin in this process."


def file_of(profile_dir: Path, kernel_id: str) -> Path:
    return Path(citations_folder(str(profile_dir))) / f"{kernel_id}.json"


OPEN_AND_MAP = f"""
import os
import jupyter_jasmin
from jupyter_jasmin import holdings, pmap

holdings.open("cmip6-sample", {MIROC!r}).close()
sizes = pmap(os.path.getsize, holdings.dataset("cmip6-sample", {FGOALS!r}).files,
             pool="cite", progress=False)
ids = pmap(lambda dataset: len(dataset.files), holdings.search("cmip6-sample", "GFDL-ESM4 Amon"),
           pool="cite", progress=False)
print(len(sizes), ids)
"""


async def used(api: Api, kernel: Kernel) -> list[str]:
    """The ids of the datasets the server says the kernel used."""
    reply = await api("GET", f"kernels/{kernel.id}/citations")
    assert reply.status == 200, reply.body
    return [entry["id"] for entry in reply.body["datasets"]]


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for ``condition`` without blocking the test server's loop."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        await asyncio.sleep(0.05)


async def test_the_server_lists_what_a_kernel_opened_and_mapped(
    api: Api, jp_serverapp: Any, sample: Path, profile_dir: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    pool = await start_pool(api, "cite", 2)
    try:
        async with started_kernel(jp_serverapp) as kernel:
            empty = await api("GET", f"kernels/{kernel.id}/citations")
            assert empty.body == {"kernel_id": kernel.id, "datasets": [], "text": NOTHING}
            mapped = await kernel.run(OPEN_AND_MAP)
            # the map read no file: the tracking_ids of mapped files are read when asked
            written = json.loads(file_of(profile_dir, kernel.id).read_text())["datasets"]
            assert [set(entry["files"].values()) == {None} for entry in written] == [
                False,
                True,
                True,
            ]
            reply = await api("GET", f"kernels/{kernel.id}/citations")
            printed = await kernel.run("print(jupyter_jasmin.citations())")
            again = await api("GET", f"kernels/{kernel.id}/citations")
    finally:
        assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    assert mapped == "7 [1]\n"
    assert again.body == reply.body  # now read by the kernel, the same

    assert reply.status == 200
    datasets = {entry["id"]: entry for entry in reply.body["datasets"]}
    assert [*datasets] == [MIROC, FGOALS, GFDL]  # in the order first used
    folders = sample_datasets(sample)
    for dataset_id, version in [(MIROC, "v20190311"), (FGOALS, "v20190818")]:
        entry = datasets[dataset_id]
        assert entry["holding"] == "cmip6-sample"
        assert entry["version"] == version
        assert entry["files"] == 7
        assert entry["tracking_ids"] == tracking_ids(folders[dataset_id])
    assert datasets[GFDL]["files"] == 1
    assert datasets[GFDL]["tracking_ids"] == tracking_ids(folders[GFDL])
    # the text is the list citations() printed in the kernel
    assert reply.body["text"] + "\n" == printed
    for entry in datasets.values():
        assert all(t in reply.body["text"] for t in entry["tracking_ids"])


async def test_a_restart_starts_a_fresh_list_and_a_shutdown_removes_the_file(
    api: Api, jp_serverapp: Any, profile_dir: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    async with started_kernel(jp_serverapp) as kernel:
        await kernel.run(
            f"from jupyter_jasmin import holdings\nholdings.open('cmip6-sample', {GFDL!r})"
        )
        written = file_of(profile_dir, kernel.id)
        assert json.loads(written.read_text())["datasets"][0]["id"] == GFDL
        assert await used(api, kernel) == [GFDL]

        await kernel.restart()
        assert await used(api, kernel) == []
        assert not written.exists()  # the file of the process that is gone
        await kernel.run(
            f"from jupyter_jasmin import holdings\nholdings.open('cmip6-sample', {MIROC!r})"
        )
        assert await used(api, kernel) == [MIROC]

        kernel.client.stop_channels()
        await jp_serverapp.kernel_manager.shutdown_kernel(kernel.id)
        await until(lambda: not written.exists())
        gone = await api("GET", f"kernels/{kernel.id}/citations")
        assert gone.status == 404
        assert kernel.id in gone.body["message"]


async def test_unknown_kernel_is_404_and_a_bad_id_400(api: Api) -> None:
    unknown = str(uuid.uuid4())
    reply = await api("GET", f"kernels/{unknown}/citations")
    assert reply.status == 404
    assert f"this server runs no kernel '{unknown}'" in reply.body["message"]
    for bad in ["not-a-kernel", "..", "a" * 300, "1-2-3-4-5-6"]:
        reply = await api("GET", f"kernels/{bad}/citations")
        assert reply.status == 400, bad
        assert "is not a kernel id" in reply.body["message"]


def test_the_document_gives_the_shape_of_a_kernel_id() -> None:
    """So that a client (or the fuzzer) knows what the route refuses with 400."""
    from jupyter_jasmin.provenance import KERNEL_ID

    from .contract import document

    (parameter,) = document()["paths"]["/jasmin/api/kernels/{kernel_id}/citations"]["parameters"]
    name = parameter["$ref"].rsplit("/", 1)[-1]
    pattern = document()["components"]["parameters"][name]["schema"]["pattern"]
    assert pattern == f"^{KERNEL_ID.pattern}$"


async def test_a_script_writes_no_file(
    api: Api, profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await wait_ready(api, "cmip6-sample")
    output = await run_python(
        "import jupyter_jasmin\n"
        "from jupyter_jasmin import holdings\n"
        f"holdings.open('cmip6-sample', {GFDL!r}).close()\n"
        "print(len(jupyter_jasmin.citations()))\n"
    )
    assert output.endswith("1\n")
    assert not os.path.exists(citations_folder(str(profile_dir)))


def test_files_of_writers_gone_are_swept(tmp_path: Path) -> None:
    """At a server's start: a kernel of an earlier server cannot use its file any more;
    a live writer's file (another server's kernel) stays."""
    me = json.loads(json.dumps({"host": os.uname().nodename, "pid": os.getpid(), "datasets": []}))
    import psutil

    me["started"] = psutil.Process().create_time()
    folder = Path(citations_folder(str(tmp_path)))
    folder.mkdir(parents=True)
    live, dead, broken = (str(uuid.uuid4()) for _ in range(3))
    (folder / f"{live}.json").write_text(json.dumps({**me, "kernel_id": live}))
    (folder / f"{dead}.json").write_text(
        json.dumps({**me, "kernel_id": dead, "started": me["started"] - 100})
    )
    (folder / f"{broken}.json").write_text("{")
    (folder / "notes.txt").write_text("not ours")

    async def unused(paths: list[str]) -> list[str]:
        raise AssertionError("nothing to read")

    citations = KernelCitations(str(tmp_path), [], lambda kernel_id: True, unused)
    assert sorted(citations.sweep()) == sorted([dead, broken])
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{live}.json", "notes.txt"])


async def test_the_server_reads_only_files_of_the_holdings_once(
    tmp_path: Path, sample: Path
) -> None:
    """A kernel's file names the files it mapped; the server reads the tracking_ids of
    those inside a holding's root, once each, and never another file."""
    import psutil

    inside = sorted(str(p.resolve()) for p in sample.rglob("*.nc"))[:2]
    outside = str(tmp_path / "elsewhere.nc")
    kernel_id = str(uuid.uuid4())
    folder = Path(citations_folder(str(tmp_path)))
    folder.mkdir(parents=True)
    entry = {"holding": "h", "id": "d", "version": None, "files": dict.fromkeys([*inside, outside])}
    (folder / f"{kernel_id}.json").write_text(
        json.dumps(
            {
                "kernel_id": kernel_id,
                "host": os.uname().nodename,
                "pid": os.getpid(),
                "started": psutil.Process().create_time(),
                "datasets": [entry],
            }
        )
    )
    asked: list[list[str]] = []

    async def reader(paths: list[str]) -> list[str]:
        asked.append(paths)
        return [f"tid-{n}" for n, _ in enumerate(paths)]

    citations = KernelCitations(str(tmp_path), [str(sample)], lambda kernel_id: True, reader)
    for _ in range(2):
        reply = await citations.of_kernel(kernel_id)
        (cited,) = reply["datasets"]
        assert (cited["files"], cited["tracking_ids"]) == (3, ["tid-0", "tid-1"])
    assert asked == [inside]

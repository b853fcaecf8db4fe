"""The holdings index under hostile or unlucky conditions: an index file that is corrupt
or empty, at start or while the server runs; a refresh killed outright; a holding's folder
that is missing or renamed away mid-refresh; a full disk under the index folder; a server
stopped mid-refresh; queries racing a reload. After each, the holding's state says what
happened in words, the other holdings carry on, and no build process or half-written file
is left behind."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from benchmarks.drs_tree import build as build_tree
from jupyter_jasmin.holdings.drs import DrsTemplate
from jupyter_jasmin.holdings.index import build_index
from jupyter_jasmin.holdings.query import IndexReader, Selection

from .conftest import Api, wait_until
from .servers import ServerProcess

REFRESH = "jupyter_jasmin.holdings.refresh"
CMIP6 = DrsTemplate.named("cmip6")
DAMAGES = ["random bytes", "empty"]


# --- trees and holdings ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 empty files in 20,000 CMIP6 datasets: indexing them takes a couple of
    seconds, long enough to interfere with a build under way."""
    root = tmp_path_factory.mktemp("big") / "archive"
    build_tree(root, 40_000, per_dataset=2)
    return root


@pytest.fixture
def sample_tree(sample: Path) -> Path:
    return sample


@pytest.fixture
def twin_tree(sample: Path) -> Path:
    """The sample archive again, as a second holding that can break on its own."""
    return sample


@pytest.fixture
def small_tree(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    build_tree(root, 20, per_dataset=2)
    return root


@pytest.fixture
def gone_tree(tmp_path: Path) -> Path:
    return tmp_path / "nowhere"


@pytest.fixture
def jasmin_config(jasmin_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """Holdings named in ``@pytest.mark.jasmin(holdings=[...])``, each over the tree of
    the fixture ``<name>_tree``."""
    jasmin_config["holdings"] = [
        {"name": name, "root": str(request.getfixturevalue(f"{name}_tree")), "drs": "cmip6"}
        for name in jasmin_config.get("holdings", [])
    ]
    return jasmin_config


@pytest.fixture
def built_indexes(tmp_path: Path, sample: Path) -> Path:
    """The index folder with good indexes of ``sample`` and ``twin``, before any server."""
    folder = tmp_path / "index"
    for name in ("sample", "twin"):
        build_index(name, str(sample), CMIP6, str(folder / f"{name}.sqlite"))
    return folder


def damage(index: Path, how: str) -> None:
    """Overwrite an index in place, as a failing disk or a bad copy would."""
    index.write_bytes(os.urandom(64 * 1024) if how == "random bytes" else b"")


@pytest.fixture
def damaged_twin(built_indexes: Path, how: str) -> Path:
    index = built_indexes / "twin.sqlite"
    damage(index, how)
    return index


def mount(*arguments: str) -> None:
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this test mounts a file system and may not here: {done.stderr.strip()}")


def unmount(folder: Path) -> None:
    # a reader thread of the stopped server may still hold the index open: detach lazily
    if subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def tiny_index_dir(tmp_path: Path) -> Iterator[Path]:
    """A 512 kB file system as the index folder: room for one small index, not two."""
    folder = tmp_path / "index"
    folder.mkdir()
    mount("-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder))
    yield folder
    unmount(folder)


@pytest.fixture
def read_only_index_dir(tmp_path: Path, sample: Path) -> Iterator[Path]:
    """An index folder shared read-only (kept by an admin's cron job), where the twin's
    index is damaged."""
    shared = tmp_path / "shared"
    for name in ("sample", "twin"):
        build_index(name, str(sample), CMIP6, str(shared / f"{name}.sqlite"))
    damage(shared / "twin.sqlite", "random bytes")
    folder = tmp_path / "index"
    folder.mkdir()
    mount("--bind", str(shared), str(folder))
    try:
        mount("-o", "remount,bind,ro", str(folder))
    except BaseException:
        unmount(folder)
        raise
    yield folder
    unmount(folder)


# --- watching the server ---------------------------------------------------------


def build_processes(index: Path) -> list[psutil.Process]:
    """Running refreshes of ``index`` and their scan workers (forked: same command line)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = process.info["cmdline"] or []
        if (
            REFRESH in command
            and f"--index={index}" in command
            and process.info["status"] != psutil.STATUS_ZOMBIE
        ):
            found.append(process)
    return found


def leftovers(index: Path) -> list[Path]:
    """Temporary files of builds of ``index``."""
    return sorted(index.parent.glob(f"{index.name}.tmp-*"))


async def until(condition: Callable[[], Any], timeout: float = 60) -> Any:
    """``wait_until`` for tests whose server runs on their own event loop."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := condition()):
        assert asyncio.get_running_loop().time() < deadline, f"never true: {condition}"
        await asyncio.sleep(0.05)
    return value


async def holding_when(
    api: Api, name: str, check: Callable[[dict[str, Any]], Any], timeout: float = 120
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        reply = await api("GET", f"holdings/{name}")
        assert reply.status == 200, reply.body
        if check(reply.body):
            return reply.body  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, reply.body
        await asyncio.sleep(0.05)


def ready(holding: dict[str, Any]) -> bool:
    return holding["state"] == "ready"


def settled(holding: dict[str, Any]) -> bool:
    return holding["state"] != "indexing"


async def total(api: Api, name: str) -> int:
    reply = await api("GET", f"holdings/{name}/facets")
    assert reply.status == 200, reply.body
    return int(reply.body["total"])


async def refusals(api: Api, name: str) -> dict[str, tuple[int, str]]:
    """Status and message of the query routes of a holding without a readable index."""
    found = {}
    for route in ("facets", "datasets", "datasets/x", "catalog.csv"):
        reply = await api("GET", f"holdings/{name}/{route}")
        found[route] = (reply.status, reply.body["message"] if reply.status != 200 else "")
    return found


# --- an unreadable index ---------------------------------------------------------


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.jasmin(holdings=["sample", "twin"])
async def test_an_unreadable_index_is_rebuilt_at_start_and_the_others_carry_on(
    how: str, damaged_twin: Path, api: Api
) -> None:
    listing = await api("GET", "holdings")
    assert listing.status == 200, listing.body
    holdings = {h["name"]: h for h in listing.body["holdings"]}
    assert holdings["sample"]["state"] == "ready"
    twin = holdings["twin"]
    assert twin["state"] in ("indexing", "ready"), twin
    if twin["state"] == "indexing":
        assert "unreadable" in twin["error"], twin
        assert "being rebuilt" in twin["error"], twin
    assert await total(api, "sample") == 76

    twin = await holding_when(api, "twin", settled)
    assert twin["state"] == "ready", twin
    assert (twin["datasets"], twin["error"]) == (76, None)
    assert await total(api, "twin") == 76


@pytest.mark.parametrize("how", DAMAGES)
def test_after_a_restart_an_unreadable_index_fails_alone_until_refreshed(
    how: str, tmp_path: Path, profile_dir: Path, sample: Path
) -> None:
    holdings = config_file(tmp_path, sample=sample, twin=sample)
    first = ServerProcess(tmp_path, profile_dir, holdings, "--Jasmin.index_on_start=True")
    try:
        wait_until(
            lambda: all(h["state"] == "ready" for h in first.call("GET", "holdings")["holdings"])
        )
    finally:
        first.stop()
    damage(tmp_path / "index" / "twin.sqlite", how)

    server = ServerProcess(tmp_path, profile_dir, holdings)
    try:
        listing = server.request("GET", "holdings")
        assert listing[0] == 200, listing
        holdings_now = {h["name"]: h for h in listing[1]["holdings"]}
        assert holdings_now["sample"]["state"] == "ready"
        twin = holdings_now["twin"]
        assert twin["state"] == "failed"
        reason = "file is not a database" if how == "random bytes" else "no such table: meta"
        assert (
            f"the index file {tmp_path / 'index' / 'twin.sqlite'} is unreadable" in (twin["error"])
        )
        assert reason in twin["error"], twin["error"]
        assert "refresh the holding to rebuild it" in twin["error"]
        for route in ("facets", "datasets", "datasets/x"):
            status, body = server.request("GET", f"holdings/twin/{route}")
            assert status == 409, (route, status, body)
            assert "unreadable" in body["message"]
        assert server.request("GET", "holdings/sample/facets")[1]["total"] == 76

        status, body = server.request("POST", "holdings/twin/refresh")
        assert status == 202, body
        twin = wait_until(
            lambda: (h := server.call("GET", "holdings/twin"))["state"] != "indexing" and h
        )
        assert (twin["state"], twin["error"], twin["datasets"]) == ("ready", None, 76)
        assert server.call("GET", "holdings/twin/facets")["total"] == 76
    finally:
        server.stop()


def config_file(folder: Path, **roots: Path) -> str:
    """The option giving a server these CMIP6 holdings (name=root), in a config file."""
    holdings = [{"name": name, "root": str(root), "drs": "cmip6"} for name, root in roots.items()]
    path = folder / "jupyter_server_config.json"
    path.write_text(json.dumps({"Jasmin": {"holdings": holdings}}))
    return f"--config={path}"


@pytest.mark.jasmin(holdings=["sample", "twin"])
async def test_an_index_overwritten_while_the_server_runs_is_reported_not_a_500(
    api: Api, tmp_path: Path
) -> None:
    await holding_when(api, "sample", ready)
    await holding_when(api, "twin", ready)
    assert await total(api, "twin") == 76

    damage(tmp_path / "index" / "twin.sqlite", "random bytes")  # an admin's cron job gone wrong

    listing = await api("GET", "holdings")
    assert listing.status == 200, listing.body
    holdings = {h["name"]: h for h in listing.body["holdings"]}
    assert holdings["sample"]["state"] == "ready"
    twin = holdings["twin"]
    assert twin["state"] == "failed"
    assert "unreadable (file is not a database)" in twin["error"], twin["error"]
    assert "refresh the holding to rebuild it" in twin["error"]
    refused = await refusals(api, "twin")
    assert {status for status, _ in refused.values()} == {409}, refused
    assert all("unreadable" in message for _, message in refused.values()), refused
    assert await total(api, "sample") == 76

    started = await api("POST", "holdings/twin/refresh")
    assert started.status == 202, started.body
    twin = await holding_when(api, "twin", settled)
    assert (twin["state"], twin["error"]) == ("ready", None)
    assert await total(api, "twin") == 76


@pytest.mark.jasmin(holdings=["sample", "twin"])
async def test_an_unreadable_index_in_a_read_only_folder_asks_for_an_admin(
    read_only_index_dir: Path, api: Api
) -> None:
    twin = await holding_when(api, "twin", settled)
    assert twin["state"] == "failed"
    assert "unreadable" in twin["error"]
    assert "an admin must rebuild it" in twin["error"], twin["error"]
    assert str(read_only_index_dir) in twin["error"]
    refused = await api("POST", "holdings/twin/refresh")
    assert refused.status == 409
    assert "read-only" in refused.body["message"]
    assert (await holding_when(api, "sample", settled))["state"] == "ready"
    assert await total(api, "sample") == 76


# --- a holding's folder ----------------------------------------------------------


@pytest.mark.jasmin(holdings=["gone", "sample"])
async def test_a_missing_folder_is_said_from_the_first_status(api: Api, gone_tree: Path) -> None:
    gone = await holding_when(api, "gone", lambda h: True)
    assert gone["state"] == "missing"
    root = os.path.realpath(gone_tree)
    assert gone["error"] == f"the holding's folder {root} does not exist or cannot be read"
    facets = await api("GET", "holdings/gone/facets")
    assert facets.status == 409
    assert "no index yet" in facets.body["message"]
    assert (await holding_when(api, "sample", settled))["state"] == "ready"


@pytest.mark.jasmin(holdings=["big"])
async def test_a_folder_renamed_away_mid_refresh_fails_and_keeps_the_index(
    api: Api, big_tree: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index" / "big.sqlite"
    await holding_when(api, "big", ready)
    before = await total(api, "big")

    started = await api("POST", "holdings/big/refresh", {"full": True})
    assert started.status == 202
    await until(lambda: len(build_processes(index)) > 1)  # the scan workers are at it
    moved = big_tree.with_name("moved")
    big_tree.rename(moved)
    try:
        failed = await holding_when(api, "big", settled)
        assert failed["state"] == "failed", failed
        assert f"the holding's folder {os.path.realpath(big_tree)}" in failed["error"], failed
        assert "the previous index is still in use" in failed["error"]
        assert failed["datasets"] == before
        assert await total(api, "big") == before
        assert not leftovers(index)
        await until(lambda: not build_processes(index), 10)
    finally:
        moved.rename(big_tree)


# --- a build that cannot finish --------------------------------------------------


@pytest.mark.jasmin(holdings=["big", "sample"])
async def test_a_killed_refresh_says_so_and_leaves_nothing_behind(api: Api, tmp_path: Path) -> None:
    index = tmp_path / "index" / "big.sqlite"
    await holding_when(api, "big", ready)
    before = await total(api, "big")

    started = await api("POST", "holdings/big/refresh", {"full": True})
    assert started.status == 202
    processes = await until(lambda: len(found := build_processes(index)) > 1 and found)
    [refresh] = [p for p in processes if p.ppid() == os.getpid()]
    refresh.kill()

    failed = await holding_when(api, "big", settled)
    assert failed["state"] == "failed", failed
    assert failed["error"].startswith("the index build was killed by SIGKILL after "), failed
    assert failed["error"].endswith(" s; the previous index is still in use"), failed
    assert not leftovers(index)
    await until(lambda: not build_processes(index), 10)
    assert await total(api, "big") == before
    assert (await holding_when(api, "sample", settled))["state"] == "ready"


@pytest.mark.jasmin(holdings=["small"])
async def test_a_full_disk_keeps_the_previous_index_and_says_so(
    tiny_index_dir: Path, api: Api, small_tree: Path
) -> None:
    index = tiny_index_dir / "small.sqlite"
    await holding_when(api, "small", ready)
    before = await total(api, "small")
    build_tree(small_tree, 3000, per_dataset=2)  # an index of megabytes

    started = await api("POST", "holdings/small/refresh")
    assert started.status == 202
    failed = await holding_when(api, "small", settled)

    assert failed["state"] == "failed", failed
    assert failed["error"].startswith(
        f"no space left on the device holding the index folder {tiny_index_dir}"
    ), failed["error"]
    assert failed["error"].endswith("the previous index is still in use"), failed["error"]
    assert not leftovers(index)
    await until(lambda: not build_processes(index), 10)
    assert await total(api, "small") == before
    assert IndexReader(str(index)).page(Selection(), 0, 1)["total"] == before


def test_a_server_stopped_mid_refresh_leaves_no_build_behind(
    tmp_path: Path, profile_dir: Path, big_tree: Path
) -> None:
    index = tmp_path / "index" / "big.sqlite"
    server = ServerProcess(tmp_path, profile_dir, config_file(tmp_path, big=big_tree))
    try:
        server.call("POST", "holdings/big/refresh")
        wait_until(lambda: len(build_processes(index)) > 1)
    finally:
        server.stop()
    wait_until(lambda: not build_processes(index), 10)
    assert not leftovers(index)


# --- queries racing a reload -----------------------------------------------------


def test_queries_racing_reloads_see_one_whole_index(tmp_path: Path, sample: Path) -> None:
    """Two indexes swapped in turn under a reader queried from threads: every answer is
    one index's answer, never a mix, and the reader ends up answering for the last."""
    small = tmp_path / "small"
    build_tree(small, 400, per_dataset=2)
    versions = []
    for name, root in (("a", sample), ("b", small)):
        built = tmp_path / f"{name}.sqlite"
        build_index(name, str(root), CMIP6, str(built))
        versions.append(built)
    searched = Selection(text="historical r1i1p1f1")
    expected = []
    for built in versions:
        reader = IndexReader(str(built))
        expected.append((reader.facet_counts(Selection()), reader.page(searched, 0, 500)))

    path = tmp_path / "index.sqlite"
    shutil.copyfile(versions[0], path)
    reader = IndexReader(str(path))
    stop = threading.Event()
    wrong: list[Any] = []
    answered = [0, 0, 0]  # queries answered by each asker
    progress = threading.Condition()

    def ask(me: int) -> None:
        while not stop.is_set():
            try:
                reader.reload()
                answer = (reader.facet_counts(Selection()), reader.page(searched, 0, 500))
            except Exception as error:
                wrong.append(repr(error))
                answer = expected[0]
            if answer[0] not in (counts for counts, _ in expected):
                wrong.append(("facet counts of neither index", answer[0]["total"]))
            if answer[1] not in (page for _, page in expected):
                wrong.append(("a page of neither index", answer[1]["total"]))
            with progress:
                answered[me] += 1
                progress.notify_all()

    askers = [threading.Thread(target=ask, args=(me,)) for me in range(len(answered))]
    for thread in askers:
        thread.start()
    try:
        for turn in range(150):
            shutil.copyfile(versions[turn % 2], f"{path}.new")
            os.replace(f"{path}.new", path)
            reader.reload()
            # the next swap once every asker has answered since this one, mid-query or not
            with progress:
                before = list(answered)
                assert progress.wait_for(
                    lambda before=before: all(a > b for a, b in zip(answered, before, strict=True)),
                    30,
                )
    finally:
        stop.set()
        for thread in askers:
            thread.join(30)
    assert not wrong, wrong[:5]
    reader.reload()
    assert reader.facet_counts(Selection()) == expected[1][0]

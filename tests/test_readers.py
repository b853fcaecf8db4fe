"""The server's dataset readers: worker processes that go with their server however it
ends, quick-looks that refuse what cannot be drawn and keep one picture per time step in a
bounded cache, and intake-esm catalogs built once per index version."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
import xarray as xr

from jupyter_jasmin.holdings.config import sample_holdings
from jupyter_jasmin.holdings.drs import time_range
from jupyter_jasmin.holdings.inspect import Inspector, metadata
from jupyter_jasmin.holdings.manager import Holdings

from .conftest import Api, gone, wait_until
from .servers import ServerProcess
from .test_holdings import AWI, CMIP6_FACETS, MIROC, wait_ready

QUICKLOOK = f"holdings/cmip6-sample/datasets/{MIROC}/quicklook.png"
ODD = "holdings/odd/datasets/data.ODD-1.historical/quicklook.png"


@pytest.fixture
def odd_tree(tmp_path: Path) -> Path:
    """A holding with one file whose variables are text and dates beside a drawable field."""
    root = tmp_path / "odd-archive"
    folder = root / "data" / "ODD-1" / "historical"
    folder.mkdir(parents=True)
    times = np.array(["2000-01-16", "2000-02-15", "2000-03-16"], dtype="datetime64[ns]")
    xr.Dataset(
        {
            "ta": (("time", "lat", "lon"), np.arange(12.0).reshape(3, 2, 2)),
            "label": ("time", np.array(["one", "two", "three"], dtype=object)),
            "stamp": ("time", times + np.timedelta64(1, "D")),
        },
        coords={"time": times, "lat": [10.0, 20.0], "lon": [0.0, 5.0]},
    ).to_netcdf(folder / "ta_Amon_ODD-1_historical_200001-200003.nc")
    return root


@pytest.fixture
def jasmin_config(jasmin_config: dict[str, Any], odd_tree: Path) -> dict[str, Any]:
    jasmin_config["holdings"] = [
        *sample_holdings(),
        {"name": "odd", "root": str(odd_tree), "drs": "data/{model}/{experiment}"},
    ]
    return jasmin_config


# --- reader processes end with their server ----------------------------------------


def start_readers(server: ServerProcess) -> list[psutil.Process]:
    """Index the sample, browse it (which starts the readers) and read one dataset's
    metadata; the server's children then are the readers and multiprocessing's resource
    tracker."""
    server.call("POST", "holdings/cmip6-sample/refresh")
    wait_until(lambda: server.call("GET", "holdings/cmip6-sample")["state"] == "ready", 60)
    server.call("GET", "holdings/cmip6-sample/facets")
    server.call("GET", f"holdings/cmip6-sample/datasets/{MIROC}/metadata")
    children = psutil.Process(server.process.pid).children(recursive=True)
    commands = [" ".join(child.cmdline()) for child in children]
    assert sum("spawn_main" in command for command in commands) == 2, commands
    assert sum("resource_tracker" in command for command in commands) == 1, commands
    return children


def keep_a_reader_busy(server: ServerProcess, children: list[psutil.Process]) -> None:
    """Ask for the metadata of the 65-file dataset; return once a reader is reading it."""
    readers = [child for child in children if "spawn_main" in " ".join(child.cmdline())]

    def reading() -> float:
        return sum(sum(reader.cpu_times()[:2]) for reader in readers)

    def ask() -> None:
        with contextlib.suppress(OSError):  # the server may stop before it answers
            server.call("GET", f"holdings/cmip6-sample/datasets/{AWI}/metadata")

    before = reading()
    threading.Thread(target=ask, daemon=True).start()
    wait_until(lambda: reading() > before + 0.2, 30, every=0.01)


@contextlib.contextmanager
def nothing_left(children: list[psutil.Process]) -> Iterator[None]:
    """Whatever the test finds, it leaves none of these processes behind."""
    try:
        yield
    finally:
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()


def test_readers_and_their_resource_tracker_go_with_a_killed_server(
    tmp_path: Path, profile_dir: Path
) -> None:
    server = ServerProcess(tmp_path, profile_dir)
    children: list[psutil.Process] = []
    try:
        children = start_readers(server)
    finally:
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
    with nothing_left(children):
        assert gone([child.pid for child in children], timeout=20)


@pytest.mark.parametrize("stop", ["SIGTERM twice", "SIGINT to the process group"])
def test_a_stopped_server_logs_no_error_and_leaves_no_reader(
    tmp_path: Path, profile_dir: Path, stop: str
) -> None:
    server = ServerProcess(tmp_path, profile_dir, own_session=True)
    log = server.log_path
    children: list[psutil.Process] = []
    try:
        children = start_readers(server)
        if stop == "SIGTERM twice":
            # what ui-tests do: Playwright signals the process group, and yarn (jlpm
            # start) forwards a SIGTERM of its own, so the server runs its stop twice,
            # here while a reader is busy (both stops then wait for it)
            keep_a_reader_busy(server, children)
            server.process.send_signal(signal.SIGTERM)
            wait_until(lambda: "received signal 15" in log.read_text(), 30, every=0.002)
            server.process.send_signal(signal.SIGTERM)
        else:
            os.killpg(server.process.pid, signal.SIGINT)  # Ctrl-C in its terminal
        server.process.wait(60)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(30)
    with nothing_left(children):
        errors = log.read_text()
        assert "Traceback" not in errors, errors
        assert "Errno" not in errors, errors
        assert "[E " not in errors, errors
        assert gone([child.pid for child in children], timeout=20)


def reader_processes(since: float) -> list[psutil.Process]:
    """Worker processes this test process has spawned since ``since``."""
    return [
        child
        for child in psutil.Process().children()
        if child.create_time() >= since - 1 and "spawn_main" in " ".join(child.cmdline())
    ]


async def test_browsing_and_reading_at_once_start_one_set_of_readers() -> None:
    started = time.time()
    inspector = Inspector(processes=1)
    loop = asyncio.get_running_loop()
    # four people browse (warm() in query threads) as a fifth opens a dataset (run())
    barrier = threading.Barrier(5)

    def browse() -> None:
        barrier.wait(10)
        inspector.warm()

    try:
        browsing = [loop.run_in_executor(None, browse) for _ in range(4)]
        barrier.wait(10)
        pid = await inspector.run(os.getpid)
        await asyncio.gather(*browsing)

        readers = reader_processes(started)
        assert [reader.pid for reader in readers] == [pid]
    finally:
        await loop.run_in_executor(None, inspector.shutdown)
        for reader in reader_processes(started):
            with contextlib.suppress(psutil.Error):
                reader.kill()


async def test_readers_stop_once_when_stopped_from_several_threads_at_once(sample: Path) -> None:
    """Two stops at once (a server that gets two SIGTERMs) must not close the pool twice."""
    started = time.time()
    inspector = Inspector(processes=1)
    loop = asyncio.get_running_loop()
    files = sorted(str(path) for path in sample.glob(f"{AWI.replace('.', '/')}/*.nc"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def stop() -> None:
        barrier.wait(30)
        try:
            inspector.shutdown()
        except BaseException as error:
            errors.append(error)

    try:
        reader = psutil.Process(await inspector.run(os.getpid))
        idle = sum(reader.cpu_times()[:2])
        reading = asyncio.ensure_future(inspector.run(metadata, files, files))
        await loop.run_in_executor(
            None, wait_until, lambda: sum(reader.cpu_times()[:2]) > idle + 0.2, 60, 0.01
        )
        with concurrent.futures.ThreadPoolExecutor(8) as threads:
            await asyncio.gather(*(loop.run_in_executor(threads, stop) for _ in range(8)))
        assert (await reading)["files_read"] == 65
        assert errors == []
        assert reader_processes(started) == []
    finally:
        for leftover in reader_processes(started):
            with contextlib.suppress(psutil.Error):
                leftover.kill()


# --- quick-looks --------------------------------------------------------------------

BAD_QUICKLOOKS = [
    (f"{QUICKLOOK}?time=%C2%B2", "no time step"),  # '²': str.isdigit() says yes, int() no
    (f"{QUICKLOOK}?time=%E2%91%A0", "no time step"),  # '①'
    (f"{QUICKLOOK}?time=-%C2%B2", "no time step"),
    (f"{QUICKLOOK}?time=%D9%A3", "no time step"),  # Arabic-Indic three: int() takes it
    (f"{QUICKLOOK}?variable=time_bnds", "'time_bnds' holds dates/times, not values to draw"),
    (f"{QUICKLOOK}?variable=time_bnds&time=3", "holds dates/times"),
    (f"{QUICKLOOK}?variable=lat_bnds", "neither a horizontal grid nor a time axis"),
    (f"{ODD}?variable=label", "'label' holds text, not values to draw"),
    (f"{ODD}?variable=stamp", "'stamp' holds dates/times, not values to draw"),
]


@pytest.mark.parametrize(
    ("path", "message"), BAD_QUICKLOOKS, ids=[path.split("?")[1] for path, _ in BAD_QUICKLOOKS]
)
async def test_quicklooks_of_what_cannot_be_drawn_are_400(
    api: Api, path: str, message: str
) -> None:
    await wait_ready(api, path.split("/")[1])

    reply = await api("GET", path)

    assert reply.status == 400, reply.body
    assert message in reply.body["message"]


async def test_an_empty_variable_is_the_main_one(api: Api) -> None:
    await wait_ready(api, "cmip6-sample")
    await wait_ready(api, "odd")

    for path in (QUICKLOOK, ODD):
        named = await api("GET", f"{path}?variable=ta")
        empty = await api("GET", f"{path}?variable=")
        assert (named.status, empty.status) == (200, 200), (named.body, empty.body)
        assert empty.body == named.body


def pictures(folder: Path) -> set[Path]:
    return set(folder.glob("*.png"))


async def test_spellings_of_one_time_step_make_one_picture(api: Api, tmp_path: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    spellings = [
        "",
        "?time=",
        "?time=0",
        "?time=00",
        "?time=-780",
        "?time=1950-01",
        "?time=1950-01-01",
        "?time=1950-01-16",
        "?time=1950-01-01T00:00",
        "?time=1950-01-16T12:00:00",
        "?time=1950-01-16%2012:00",
        "?time=1949-06",
        "?variable=ta&time=0",
        "?variable=&time=1950-01",
    ]
    drawn = set()
    for spelling in spellings:
        reply = await api("GET", QUICKLOOK + spelling)
        assert reply.status == 200, (spelling, reply.body)
        drawn.add(reply.body)

    assert len(drawn) == 1
    assert len(pictures(tmp_path / "cache" / "quicklook")) == 1
    other = await api("GET", QUICKLOOK + "?time=1950-02")
    assert other.body not in drawn
    assert len(pictures(tmp_path / "cache" / "quicklook")) == 2


@pytest.mark.jasmin(quicklook_cache_pictures=3)
async def test_the_picture_cache_keeps_the_most_recently_used(api: Api, tmp_path: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    folder = tmp_path / "cache" / "quicklook"

    async def draw(step: int) -> set[Path]:
        """The picture files that drawing this step added."""
        before = pictures(folder)
        reply = await api("GET", f"{QUICKLOOK}?time={step}")
        assert reply.status == 200, reply.body
        return pictures(folder) - before

    made = {}
    for step in range(5):
        (made[step],) = await draw(step)
        assert len(pictures(folder)) == min(step + 1, 3)
    assert pictures(folder) == {made[2], made[3], made[4]}

    assert await draw(2) == set()  # from the cache: now the most recently used
    (made[5],) = await draw(5)
    assert pictures(folder) == {made[4], made[2], made[5]}


# --- intake-esm catalogs --------------------------------------------------------------


def check_catalog(body: str, root: Path) -> None:
    """One row per file, its facets from its path: what catalog.csv has always held."""
    header, *rows = list(csv.reader(io.StringIO(body, newline="")))
    assert header == [*CMIP6_FACETS, "dataset_id", "latest", "time_range", "path"]
    assert body.count("\r\n") == len(rows) + 1  # the csv module's own line ends
    files = {str(path) for path in root.rglob("*.nc")}
    assert len(rows) == len(files) == 326
    assert {row[-1] for row in rows} == files
    for row in rows:
        entry = dict(zip(header, row, strict=True))
        path = Path(entry["path"])
        folders = list(path.relative_to(root).parts[:-1])
        assert [entry[facet] for facet in CMIP6_FACETS] == folders
        assert entry["dataset_id"] == ".".join(folders)
        assert entry["latest"] == "True"
        span = time_range(path.name)
        assert span is not None
        assert entry["time_range"] == "/".join(span)


async def test_catalog_csv_is_built_once_per_index_version(
    api: Api, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await wait_ready(api, "cmip6-sample")
    builds = []
    rows = Holdings._rows

    def counted(holding: Any) -> Any:
        builds.append(holding.spec.name)
        return rows(holding)

    monkeypatch.setattr(Holdings, "_rows", staticmethod(counted))
    url = "holdings/cmip6-sample/catalog.csv"

    replies = await asyncio.gather(*(api("GET", url) for _ in range(6)))

    assert [reply.status for reply in replies] == [200] * 6
    assert len({reply.body for reply in replies}) == 1
    assert builds == ["cmip6-sample"]
    body = replies[0].body
    check_catalog(body, sample.resolve())
    assert replies[0].headers["Content-Type"] == "text/csv; charset=utf-8"
    assert int(replies[0].headers["Content-Length"]) == len(body.encode())
    folder = tmp_path / "cache" / "catalog" / "cmip6-sample"
    (built,) = folder.glob("*.csv")
    assert built.read_bytes() == body.encode()

    # a new index version gets a CSV of its own, and the old one goes
    refresh = await api("POST", "holdings/cmip6-sample/refresh", {"full": True})
    assert refresh.status == 202, refresh.body
    await wait_ready(api, "cmip6-sample")
    again = await api("GET", url)
    assert again.body == body
    assert builds == ["cmip6-sample"] * 2
    (rebuilt,) = folder.glob("*.csv")
    assert rebuilt != built

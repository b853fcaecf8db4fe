"""Holdings an admin configures over other layouts, built in the test from real sample
files: CMIP5 (CEDA-style, with versions and ``latest`` links), a custom template,
strays that do not fit, a corrupt file, a link out of the root; refreshes that are
incremental or interrupted; and hostile requests."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_jasmin.errors import NotFound
from jupyter_jasmin.holdings.drs import DrsTemplate, TemplateError, time_range
from jupyter_jasmin.holdings.index import build_index
from jupyter_jasmin.holdings.manager import inside
from jupyter_jasmin.holdings.query import IndexReader, Selection

from .conftest import Api
from .contract import check_reply
from .test_holdings import MIROC, sample_datasets, wait_ready

CMIP5_BASE = "cmip5/output1/MIROC/MIROC5/historical/mon/atmos/Amon/r1i1p1"
CMIP5_OLD = "cmip5.output1.MIROC.MIROC5.historical.mon.atmos.Amon.r1i1p1.v20111202"
CMIP5_NEW = "cmip5.output1.MIROC.MIROC5.historical.mon.atmos.Amon.r1i1p1.v20120710"


def copy_as(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


@pytest.fixture
def miroc_files(sample: Path) -> list[Path]:
    return sorted(sample_datasets(sample)[MIROC].glob("*.nc"))


@pytest.fixture
def cmip5_tree(tmp_path: Path, miroc_files: list[Path]) -> Path:
    """A CEDA-like CMIP5 tree: two versions of ta and tas, a ``latest`` link, strays."""
    root = tmp_path / "cmip5-archive"
    base = root / CMIP5_BASE
    for version, count in (("v20111202", 2), ("v20120710", 3)):
        for source in miroc_files[:count]:
            years = source.stem.rsplit("_", 1)[-1]
            for variable in ("ta", "tas"):
                name = f"{variable}_Amon_MIROC5_historical_r1i1p1_{years}.nc"
                copy_as(source, base / version / variable / name)
    (base / "latest").symlink_to("v20120710")
    (base / "files" / "ta_20120710").mkdir(parents=True)
    (root / "cmip5" / "README").write_text("not data")
    return root


@pytest.fixture
def custom_tree(tmp_path: Path, sample: Path) -> Path:
    """``data/{model}/{experiment}`` with files straight in, one corrupt, one link out."""
    root = tmp_path / "project-archive"
    for dataset_id, folder in sample_datasets(sample).items():
        model = dataset_id.split(".")[3]
        if ".Amon." in dataset_id and model in ("MIROC6", "AWI-CM-1-1-MR"):
            for source in sorted(folder.glob("*.nc"))[:2]:
                copy_as(source, root / "data" / model / "historical" / source.name)
    broken = (
        root / "data" / "BROKEN-1" / "historical" / "ta_Amon_BROKEN-1_historical_200001-200012.nc"
    )
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"CDF\x01 this is not really a netCDF file" * 10)
    (root / "data" / "MIROC6" / "historical" / "notes.txt").write_text("stray")
    (root / "data" / "bad name" / "historical").mkdir(parents=True)
    outside = root.parent / "secret.nc"
    outside.write_bytes(b"outside the holding")
    (root / "data" / "AWI-CM-1-1-MR" / "historical" / "ta_escape.nc").symlink_to(outside)
    return root


@pytest.fixture
def jasmin_config(
    jasmin_config: dict[str, Any], cmip5_tree: Path, custom_tree: Path
) -> dict[str, Any]:
    jasmin_config["holdings"] = [
        {"name": "cmip5", "root": str(cmip5_tree), "drs": "cmip5"},
        {"name": "project", "root": str(custom_tree), "drs": "data/{model}/{experiment}"},
    ]
    return jasmin_config


async def test_cmip5_holding_groups_versions_and_marks_the_latest(api: Api) -> None:
    holding = await wait_ready(api, "cmip5")
    assert holding["files"] == 2 * (2 + 3)
    assert holding["datasets"] == 2
    reasons = {u["path"]: u["reason"] for u in holding["unmatched_paths"]}
    # the ``files`` store beside the versions is part of the layout, not a stray
    assert reasons == {"cmip5/README": "file above the template's last level"}

    latest = await api("GET", "holdings/cmip5/datasets")
    assert [d["id"] for d in latest.body["datasets"]] == [CMIP5_NEW]
    every = await api("GET", "holdings/cmip5/datasets?latest=false")
    assert [(d["id"], d["latest"]) for d in every.body["datasets"]] == [
        (CMIP5_OLD, False),
        (CMIP5_NEW, True),
    ]
    newest = every.body["datasets"][1]
    assert newest["facets"]["variable"] == ["ta", "tas"]
    assert newest["facets"]["ensemble"] == "r1i1p1"
    assert newest["file_count"] == 6

    facets = await api("GET", "holdings/cmip5/facets?latest=false&variable=tas")
    assert facets.body["total"] == 2
    assert {e["value"]: e["count"] for e in facets.body["facets"]["version"]} == {
        "v20111202": 1,
        "v20120710": 1,
    }

    detail = await api("GET", f"holdings/cmip5/datasets/{CMIP5_OLD}")
    assert [v["id"] for v in detail.body["versions"]] == [CMIP5_OLD, CMIP5_NEW]
    assert {f["path"].split("/")[-2] for f in detail.body["files"]} == {"ta", "tas"}
    metadata = await api("GET", f"holdings/cmip5/datasets/{CMIP5_NEW}/metadata")
    assert metadata.status == 200, metadata.body
    assert metadata.body["files_read"] == 6


async def test_custom_template_takes_the_variable_from_file_names(api: Api) -> None:
    holding = await wait_ready(api, "project")
    assert holding["facets"] == ["model", "experiment", "variable"]
    assert holding["template"] == "data/{model}/{experiment}"
    reasons = {u["path"]: u["reason"] for u in holding["unmatched_paths"]}
    assert reasons == {
        "data/bad name": "folder name does not fit {model}",
        "data/MIROC6/historical/notes.txt": "not a NetCDF file",
        "data/AWI-CM-1-1-MR/historical/ta_escape.nc": "link to outside the holding's root",
    }
    assert holding["unmatched"] == 3

    page = await api("GET", "holdings/project/datasets")
    ids = [d["id"] for d in page.body["datasets"]]
    assert ids == [
        "data.AWI-CM-1-1-MR.historical",
        "data.BROKEN-1.historical",
        "data.MIROC6.historical",
    ]
    assert page.body["datasets"][2]["facets"] == {
        "model": "MIROC6",
        "experiment": "historical",
        "variable": ["ta"],
    }
    files = await api("GET", "holdings/project/datasets/data.AWI-CM-1-1-MR.historical")
    assert "ta_escape.nc" not in [f["name"] for f in files.body["files"]]


async def test_a_corrupt_file_is_indexed_and_reading_it_says_which_file(api: Api) -> None:
    await wait_ready(api, "project")
    broken = "holdings/project/datasets/data.BROKEN-1.historical"

    metadata = await api("GET", f"{broken}/metadata")
    assert metadata.status == 422
    assert (
        "data/BROKEN-1/historical/ta_Amon_BROKEN-1_historical_200001-200012.nc"
        in (metadata.body["message"])
    )
    picture = await api("GET", f"{broken}/quicklook.png")
    assert picture.status == 422
    fine = await api("GET", "holdings/project/datasets/data.MIROC6.historical/metadata")
    assert fine.status == 200


async def test_refresh_is_incremental_and_sees_new_files(
    api: Api, cmip5_tree: Path, miroc_files: list[Path]
) -> None:
    await wait_ready(api, "cmip5")
    newest = cmip5_tree / CMIP5_BASE / "v20120710" / "ta"
    copy_as(miroc_files[3], newest / "ta_Amon_MIROC5_historical_r1i1p1_198001-198912.nc")

    started = await api("POST", "holdings/cmip5/refresh")
    assert started.status == 202
    assert started.body["state"] == "indexing"
    again = await api("POST", "holdings/cmip5/refresh")
    assert again.status in (202, 409)
    holding = await wait_ready(api, "cmip5")

    assert holding["files"] == 11
    detail = await api("GET", f"holdings/cmip5/datasets/{CMIP5_NEW}")
    assert detail.body["file_count"] == 7
    assert detail.body["end"] == "1989-12"


def test_incremental_build_rescans_only_changed_folders(
    tmp_path: Path, cmip5_tree: Path, miroc_files: list[Path]
) -> None:
    index = str(tmp_path / "cmip5.sqlite")
    template = DrsTemplate.named("cmip5")
    first = build_index("cmip5", str(cmip5_tree), template, index)
    unchanged = build_index("cmip5", str(cmip5_tree), template, index)
    assert unchanged.reused_folders == first.folders
    assert (unchanged.files, unchanged.datasets) == (first.files, first.datasets)

    folder = cmip5_tree / CMIP5_BASE / "v20111202" / "tas"
    copy_as(miroc_files[4], folder / "tas_Amon_MIROC5_historical_r1i1p1_199001-199912.nc")
    changed = build_index("cmip5", str(cmip5_tree), template, index)
    assert changed.files == first.files + 1
    assert changed.reused_folders == first.folders - 1
    full = build_index("cmip5", str(cmip5_tree), template, index, incremental=False)
    assert full.reused_folders == 0
    assert full.files == changed.files


def test_an_interrupted_refresh_leaves_the_previous_index_readable(
    tmp_path: Path, cmip5_tree: Path, miroc_files: list[Path]
) -> None:
    index = str(tmp_path / "cmip5.sqlite")
    template = DrsTemplate.named("cmip5")
    build_index("cmip5", str(cmip5_tree), template, index)
    reader = IndexReader(index)
    before = reader.page(Selection(latest=False), 0, 10)

    copy_as(
        miroc_files[5], cmip5_tree / CMIP5_BASE / "v20111202" / "ta" / "ta_extra_200001-200912.nc"
    )

    def interrupt(stats: Any) -> None:
        raise KeyboardInterrupt  # as if the admin pressed Ctrl-C halfway

    with pytest.raises(KeyboardInterrupt):
        build_index("cmip5", str(cmip5_tree), template, index, interrupt, progress_every=0)

    assert not list(tmp_path.glob("cmip5.sqlite.tmp-*")), "the half-built file is removed"
    reader.reload()
    assert reader.page(Selection(latest=False), 0, 10) == before
    with sqlite3.connect(index) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_a_killed_refresh_process_leaves_the_previous_index(
    tmp_path: Path, cmip5_tree: Path
) -> None:
    index = str(tmp_path / "cmip5.sqlite")
    template = DrsTemplate.named("cmip5")
    build_index("cmip5", str(cmip5_tree), template, index)
    before = IndexReader(index).page(Selection(latest=False), 0, 10)
    # a tree large enough that the build is still running when it is killed
    for n in range(5000):
        (cmip5_tree / CMIP5_BASE / f"v2013{n:04d}" / "ta").mkdir(parents=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jupyter_jasmin.holdings.refresh",
        "--name=cmip5",
        f"--root={cmip5_tree}",
        "--drs=cmip5",
        f"--index={index}",
        "--full",
        "--progress-every=0",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    await process.stdout.readline()  # the first progress report: the build is under way
    process.kill()
    await process.wait()

    assert list(tmp_path.glob("cmip5.sqlite.tmp-*")), "killed mid-build, as intended"
    assert IndexReader(index).page(Selection(latest=False), 0, 10) == before
    build_index("cmip5", str(cmip5_tree), template, index)
    assert not list(tmp_path.glob("cmip5.sqlite.tmp-*")), "the next build clears the leftover"


@pytest.mark.parametrize(
    ("request_path", "status", "message"),
    [
        ("holdings/nope", 404, "no holding named 'nope'"),
        ("holdings/nope/facets", 404, "no holding"),
        ("holdings/cmip5/datasets/nope", 404, "no dataset 'nope'"),
        ("holdings/cmip5/datasets/nope/metadata", 404, "no dataset"),
        ("holdings/cmip5/facets?colour=red", 400, "unknown facet(s) 'colour'"),
        ("holdings/cmip5/datasets?limit=0", 400, "'limit' must be"),
        ("holdings/cmip5/datasets?limit=501", 400, "'limit' must be"),
        ("holdings/cmip5/datasets?offset=-1", 400, "'offset' must be"),
        ("holdings/cmip5/datasets?offset=%C2%B2", 400, "'offset' must be"),  # '²'
        ("holdings/cmip5/datasets?limit=%E2%91%A0", 400, "'limit' must be"),  # '①'
        ("holdings/cmip5/datasets?latest=maybe", 400, "'latest' must be"),
        (f"holdings/cmip5/datasets/{CMIP5_NEW}/snippet?pool=0123abcd", 404, "no engine pool"),
        (f"holdings/cmip5/datasets/{CMIP5_NEW}/quicklook.png?time=x", 400, "no time step"),
        (f"holdings/cmip5/datasets/{CMIP5_NEW}/quicklook.png?time=9999", 400, "outside"),
    ],
)
async def test_bad_holdings_requests_are_4xx_with_a_message(
    api: Api, request_path: str, status: int, message: str
) -> None:
    await wait_ready(api, "cmip5")
    reply = await api("GET", request_path)

    assert reply.status == status, reply.body
    assert message in reply.body["message"]


async def test_a_token_in_the_query_string_is_not_taken_for_a_facet(
    api: Api, jp_http_port: int, jp_auth_header: dict[str, str]
) -> None:
    """intake and scripts authenticate with ``?token=``, without an Authorization header."""
    await wait_ready(api, "cmip5")
    token = jp_auth_header["Authorization"].split()[-1]
    base = f"http://127.0.0.1:{jp_http_port}/jasmin/api/holdings/cmip5"

    def get(path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"{base}/{path}", timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, facets = await asyncio.to_thread(get, f"facets?token={token}&variable=tas")
    assert status == 200, facets
    assert facets["total"] == 1
    status, page = await asyncio.to_thread(get, f"datasets?token={token}&latest=false&as=.csv")
    assert status == 200, page
    assert [d["id"] for d in page["datasets"]] == [CMIP5_OLD, CMIP5_NEW]
    status, refused = await asyncio.to_thread(get, f"facets?token={token}&colour=red")
    assert status == 400
    assert "unknown facet(s) 'colour'" in refused["message"]


HOSTILE = st.one_of(
    st.sampled_from(
        [
            "..",
            "../..",
            "../../../etc/passwd",
            "/etc/passwd",
            "%2e%2e%2f%2e%2e",
            "..%2F..%2Fetc",
            "..\\..\\windows",
            "\u2024\u2024/\u2024\u2024",  # one-dot leaders that look like dots
            "ta_escape.nc",
            "data/AWI-CM-1-1-MR/historical/ta_escape.nc",
            "x" * 5000,
        ]
    ),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=80),
)


async def test_hostile_names_never_reach_outside_a_holding(
    api: Api, jp_http_port: int, jp_auth_header: dict[str, str]
) -> None:
    await wait_ready(api, "project")
    base = f"http://127.0.0.1:{jp_http_port}/jasmin/api/holdings/"
    secret = b"outside the holding"

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        holding=st.one_of(st.just("project"), HOSTILE),
        dataset=HOSTILE,
        tail=st.sampled_from(["", "/metadata", "/snippet", "/quicklook.png"]),
    )
    def probe(holding: str, dataset: str, tail: str) -> None:
        url = (
            base
            + urllib.parse.quote(holding, safe="")
            + "/datasets/"
            + urllib.parse.quote(dataset, safe="")
            + tail
        )
        request = urllib.request.Request(url, headers=jp_auth_header)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        check_reply("GET", urllib.parse.urlsplit(url).path, status, headers, body)
        assert status in (400, 404), (url, status, body[:200])
        assert secret not in body

    # the requests go to the server running on this test's event loop: probe beside it
    await asyncio.to_thread(probe)


@given(relative=HOSTILE)
@settings(max_examples=300, deadline=None)
def test_inside_refuses_every_path_that_leaves_the_root(
    tmp_path_factory: Any, relative: str
) -> None:
    root = os.path.realpath(tmp_path_factory.getbasetemp())
    try:
        path = inside(root, relative)
    except NotFound:
        return
    assert os.path.commonpath([path, root]) == root


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tas_Amon_HadGEM2-ES_historical_r1i1p1_185912-188411.nc", ("1859-12", "1884-11")),
        ("ta_day_MIROC6_historical_r1i1p1f1_gn_20000101-20001231.nc", ("2000-01-01", "2000-12-31")),
        ("sftlf_fx_x_1850-2005.nc", ("1850", "2005")),
        ("pr_3hr_x_200001010130-200012312230.nc", ("2000-01-01T01:30", "2000-12-31T22:30")),
        ("tas_Amon_x_185001-200512-clim.nc", ("1850-01", "2005-12")),
        ("orog_fx_CanESM2_historical_r0i0p0.nc", None),
    ],
)
def test_file_names_give_time_ranges(name: str, expected: tuple[str, str] | None) -> None:
    assert time_range(name) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("", "at least one folder"),
        ("data/{Model}", "lower-case"),
        ("{a}/{a}", "appears twice"),
        ("data/x{model}", "whole folder level"),
        ("data/raw", "names no facet"),
    ],
)
def test_bad_templates_are_refused_saying_why(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        DrsTemplate.named(template)


def test_built_in_templates_follow_the_published_drs() -> None:
    cmip6 = DrsTemplate.named("cmip6")
    parts = [
        "CMIP6",
        "CMIP",
        "AWI",
        "AWI-CM-1-1-MR",
        "historical",
        "r1i1p1f1",
        "Amon",
        "ta",
        "gn",
        "v20181218",
    ]
    assert (
        cmip6.dataset_id(parts)
        == "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218"
    )
    assert cmip6.master_id(parts) == "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn"
    cmip5 = DrsTemplate.named("cmip5")
    assert cmip5.dataset_facets[-1] == "version"
    assert cmip5.file_facets == ("variable",)
    cordex = DrsTemplate.named("cordex")
    assert cordex.facets[:3] == ("project", "product", "domain")
    assert cordex.dataset_facets[-1] == "version"

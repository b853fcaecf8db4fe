"""The facility's CMIP6 archive layout: each dataset's files in a store beside its
versions (``<grid>/files/dYYYYMMDD/``), each version folder holding links to them, and a
``latest`` link to the newest version. Built in the test from real sample files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jupyter_jasmin.holdings.drs import DrsTemplate
from jupyter_jasmin.holdings.index import build_index
from jupyter_jasmin.holdings.query import IndexReader, Selection

from .test_holdings import MIROC, sample_datasets

CMIP6 = DrsTemplate.named("cmip6")
GRID = "CMIP6/CMIP/MIROC/MIROC6/historical/r1i1p1f1/Amon/ta/gn"
MASTER = "CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn"


def publish(grid: Path, version: str, files: dict[str, Path]) -> None:
    """Publish a version as the facility does: new files into the store, a version
    folder of links to the store (files of earlier versions included), ``latest`` moved."""
    folder = grid / version
    folder.mkdir(parents=True)
    for name, stored in files.items():
        if not stored.exists():
            stored.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SOURCES[name], stored)
        (folder / name).symlink_to(os.path.relpath(stored, folder))
    (grid / "latest.new").symlink_to(version)
    (grid / "latest.new").replace(grid / "latest")


SOURCES: dict[str, Path] = {}  # file name -> the sample's MIROC6 file, set by ``facility``


@pytest.fixture
def facility(tmp_path: Path, sample: Path) -> Path:
    """Two versions of MIROC6 ta: v20190311 links three files, v20200101 links two of
    them again (shared, not copied) and one new file."""
    for path in sorted(sample_datasets(sample)[MIROC].glob("*.nc")):
        SOURCES[path.name] = path
    names = sorted(SOURCES)
    root = tmp_path / "archive"
    grid = root / GRID
    first, second = grid / "files" / "d20190311", grid / "files" / "d20200101"
    publish(grid, "v20190311", {name: first / name for name in names[:3]})
    publish(
        grid,
        "v20200101",
        {**{name: first / name for name in names[1:3]}, names[3]: second / names[3]},
    )
    return root


def sizes(*paths: Path) -> int:
    return sum(path.stat().st_size for path in paths)


def test_each_file_counts_once_under_its_version(tmp_path: Path, facility: Path) -> None:
    index = str(tmp_path / "facility.sqlite")
    report = build_index("facility", str(facility), CMIP6, index, incremental=False)

    assert (report.datasets, report.files, report.unmatched) == (2, 6, 0)
    reader = IndexReader(index)
    page = reader.page(Selection(latest=False), 0, 10)
    found = {row["id"]: row for row in page["datasets"]}
    assert set(found) == {f"{MASTER}.v20190311", f"{MASTER}.v20200101"}
    names = sorted(SOURCES)
    old, new = found[f"{MASTER}.v20190311"], found[f"{MASTER}.v20200101"]
    assert old["file_count"] == new["file_count"] == 3
    # sizes come from the link targets in the store
    assert old["size"] == sizes(*(SOURCES[name] for name in names[:3]))
    assert new["size"] == sizes(*(SOURCES[name] for name in names[1:4]))
    assert (old["latest"], new["latest"]) == (False, True)
    listed = reader.dataset(f"{MASTER}.v20200101").files
    assert [file["path"] for file in listed] == [f"{GRID}/v20200101/{name}" for name in names[1:4]]
    assert reader.unmatched() == []


def test_a_refresh_notices_a_new_version(tmp_path: Path, facility: Path) -> None:
    index = str(tmp_path / "facility.sqlite")
    first = build_index("facility", str(facility), CMIP6, index)
    names = sorted(SOURCES)
    grid = facility / GRID
    publish(
        grid,
        "v20210101",
        {
            names[2]: grid / "files" / "d20190311" / names[2],
            names[4]: grid / "files" / "d20210101" / names[4],
        },
    )

    refreshed = build_index("facility", str(facility), CMIP6, index)

    assert (refreshed.datasets, refreshed.files, refreshed.unmatched) == (3, 8, 0)
    assert 0 < refreshed.reused_folders < refreshed.folders
    assert refreshed.folders == first.folders + 1  # the store is not walked
    latest = IndexReader(index).page(Selection(), 0, 10)["datasets"]
    assert [row["id"] for row in latest] == [f"{MASTER}.v20210101"]
    assert latest[0]["size"] == sizes(SOURCES[names[2]], SOURCES[names[4]])


def test_links_that_leave_the_root_are_not_counted(tmp_path: Path, facility: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    stray = outside / "ta_Amon_MIROC6_historical_r1i1p1f1_gn_200001-200012.nc"
    stray.write_bytes(b"not ours")
    version = facility / GRID / "v20200101"
    (version / stray.name).symlink_to(os.path.relpath(stray, version))
    # a store folder swapped for a link out of the root
    (facility / GRID / "files" / "d20220101").symlink_to(outside)
    (version / "ta_Amon_MIROC6_historical_r1i1p1f1_gn_201001-201012.nc").symlink_to(
        f"../files/d20220101/{stray.name}"
    )
    (version / "ta_Amon_MIROC6_historical_r1i1p1f1_gn_202001-202012.nc").symlink_to(
        "../files/d20190311/gone.nc"
    )

    report = build_index("facility", str(facility), CMIP6, str(tmp_path / "f.sqlite"))

    assert (report.datasets, report.files, report.unmatched) == (2, 6, 3)
    reasons = {
        row["path"].rsplit("/", 1)[-1]: row["reason"]
        for row in IndexReader(str(tmp_path / "f.sqlite")).unmatched()
    }
    outside_root = "link to outside the holding's root"
    assert reasons == {
        stray.name: outside_root,
        "ta_Amon_MIROC6_historical_r1i1p1f1_gn_201001-201012.nc": outside_root,
        "ta_Amon_MIROC6_historical_r1i1p1f1_gn_202001-202012.nc": "broken link",
    }

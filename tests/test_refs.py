"""Opening a dataset through its virtual reference (holdings/refs.py): the same dataset as
reading every file's header, built once per version of the files and kept beside the
index, built again when a file changes, comes or goes, and never a crash when the
reference cannot be built or its cache file is damaged."""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import xarray as xr

import jupyter_jasmin
from jupyter_jasmin import holdings, provenance
from jupyter_jasmin.holdings import refs
from jupyter_jasmin.holdings.config import HOLDINGS_ENV
from jupyter_jasmin.holdings.drs import DrsTemplate
from jupyter_jasmin.holdings.index import build_index

from .conftest import run_python

AWI = "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218"  # 65 files
# 7 files, a 365_day calendar, undeclared netCDF fill values
FGOALS = "CMIP6.CMIP.CAS.FGOALS-g3.historical.r1i1p1f1.Amon.ta.gn.v20190818"
# 3 files, each counting its times from another date
BCC = "CMIP6.CMIP.BCC.BCC-CSM2-MR.historical.r1i1p1f1.Amon.ta.gn.v20181126"
IITM = "CMIP6.CMIP.CCCR-IITM.IITM-ESM.historical.r1i1p1f1.Amon.ta.gn.v20191226"  # julian
KACE = "CMIP6.CMIP.NIMS-KMA.KACE-1-0-G.historical.r1i1p1f1.day.ta.gr.v20191220"  # 360_day
GFDL = "CMIP6.CMIP.NOAA-GFDL.GFDL-ESM4.historical.r1i1p1f1.Amon.ta.gr1.v20190726"  # 1 file


def folder_of(dataset_id: str) -> str:
    return dataset_id.replace(".", "/")


@pytest.fixture(autouse=True)
def own_citations(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's citations as they were before each test, afterwards: the copies
    here share dataset ids with the sample, which other tests look up by id."""
    monkeypatch.setattr(provenance, "_used", provenance._used)


@pytest.fixture(scope="module")
def index_dir(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index of the sample archive (and the folder its references are kept in)."""
    folder = tmp_path_factory.mktemp("refs-index")
    build_index(
        "cmip6-sample", str(sample), DrsTemplate.named("cmip6"), str(folder / "cmip6-sample.sqlite")
    )
    return str(folder)


@pytest.fixture
def holding(sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A holding ``copy`` of its own (root yielded, index in tmp_path/index) holding a
    copy of FGOALS, for tests that change files."""
    root = tmp_path / "root"
    shutil.copytree(sample / folder_of(FGOALS), root / folder_of(FGOALS))
    exported = {"holdings": [{"name": "copy", "root": str(root), "drs": "cmip6"}]}
    monkeypatch.setenv(HOLDINGS_ENV, json.dumps({**exported, "index_dir": str(tmp_path / "index")}))
    reindex(root)
    return root


def reindex(root: Path) -> None:
    index = root.parent / "index" / "copy.sqlite"
    build_index("copy", str(root), DrsTemplate.named("cmip6"), str(index), incremental=False)


def cached(root: Path) -> Path:
    return Path(refs.cache_path(str(root.parent / "index"), "copy", FGOALS))


def files_of(root: Path) -> list[Path]:
    return sorted((root / folder_of(FGOALS)).glob("*.nc"))


def stamp(path: Path) -> tuple[int, int]:
    """Which file this is: a rebuilt reference is a new file renamed into place."""
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def cited(holding: str, dataset_id: str) -> Any:
    """This process's citation of a dataset (listed where it was first used: other tests
    in the same process may have used it before)."""
    (found,) = [c for c in jupyter_jasmin.citations() if (c.holding, c.id) == (holding, dataset_id)]
    return found


def both_ways(holding: str, dataset_id: str, index_dir: str | None = None) -> tuple[Any, Any]:
    """The dataset opened through its reference and by reading its files, loaded, with
    the tracking ids each way recorded for citations."""
    by_reference = holdings.open(holding, dataset_id, index_dir=index_dir, references=True)
    cited_by_reference = cited(holding, dataset_id)
    by_files = holdings.open(holding, dataset_id, index_dir=index_dir, references=False)
    cited_by_files = cited(holding, dataset_id)
    assert cited_by_reference == cited_by_files
    assert cited_by_files.id == dataset_id
    assert len(cited_by_files.tracking_ids) == cited_by_files.files
    return by_reference.load(), by_files.load()


@pytest.mark.parametrize("dataset_id", [AWI, FGOALS, BCC, IITM, KACE, GFDL])
def test_opening_by_reference_gives_the_dataset_reading_the_files_gives(
    index_dir: str, dataset_id: str
) -> None:
    by_reference, by_files = both_ways("cmip6-sample", dataset_id, index_dir)
    xr.testing.assert_identical(by_reference, by_files)
    # in the same order: a user printing ds.sizes or ds sees what they saw before
    assert list(by_reference.variables) == list(by_files.variables)
    assert list(by_reference.sizes) == list(by_files.sizes)
    assert by_reference["time"].encoding["calendar"] == by_files["time"].encoding["calendar"]
    assert not bool((abs(by_reference["ta"]) > 1e30).any())  # the hidden fill is masked


def test_datasets_of_several_files_open_by_reference_unless_told(index_dir: str) -> None:
    path = Path(refs.cache_path(index_dir, "cmip6-sample", FGOALS))
    path.unlink(missing_ok=True)
    holdings.open("cmip6-sample", FGOALS, index_dir=index_dir, references=False)
    assert not path.exists()
    opened = holdings.open("cmip6-sample", FGOALS, index_dir=index_dir)
    assert path.exists()
    assert opened["ta"].chunks[0] == tuple(json.loads(path.read_text())["steps"])
    # a one-file dataset opens its file: a reference would cost as much
    single = Path(refs.cache_path(index_dir, "cmip6-sample", GFDL))
    single.unlink(missing_ok=True)
    holdings.open("cmip6-sample", GFDL, index_dir=index_dir)
    assert not single.exists()


def test_the_reference_is_built_once_then_reused(holding: Path) -> None:
    first = holdings.open("copy", FGOALS)
    kept = stamp(cached(holding))
    again = holdings.open("copy", FGOALS)
    assert stamp(cached(holding)) == kept
    xr.testing.assert_identical(first.load(), again.load())


def test_a_changed_added_or_removed_file_makes_it_built_again(holding: Path) -> None:
    opened = holdings.open("copy", FGOALS)
    kept = stamp(cached(holding))

    files = files_of(holding)
    info = files[2].stat()
    os.utime(files[2], ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    holdings.open("copy", FGOALS)
    changed = stamp(cached(holding))
    assert changed != kept

    last = files[-1]
    aside = holding / last.name
    last.rename(aside)
    reindex(holding)
    fewer = holdings.open("copy", FGOALS)
    removed = stamp(cached(holding))
    assert removed != changed
    with xr.open_dataset(aside) as gone:
        assert fewer.sizes["time"] == opened.sizes["time"] - gone.sizes["time"]
    xr.testing.assert_identical(
        fewer.load(), holdings.open("copy", FGOALS, references=False).load()
    )

    aside.rename(last)
    reindex(holding)
    more = holdings.open("copy", FGOALS)
    assert stamp(cached(holding)) != removed
    xr.testing.assert_identical(more.load(), opened.load())


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json",
        lambda text: json.dumps({**json.loads(text), "steps": "twelve"}),
        # pieces must name the dataset's own files by number, never a path or another file
        lambda text: text.replace("[0,", '["/etc/passwd",', 1),
        lambda text: text.replace("[0,", "[99,", 1),
    ],
)
def test_a_damaged_cache_file_is_built_again(holding: Path, damage: Any) -> None:
    expected = holdings.open("copy", FGOALS).load()
    path = cached(holding)
    path.write_text(damage(path.read_text()))
    damaged = stamp(path)
    xr.testing.assert_identical(holdings.open("copy", FGOALS, references=True).load(), expected)
    assert stamp(path) != damaged
    assert refs.load(str(path), "v20190818", json.loads(path.read_text())["fingerprint"], 7)


def test_files_that_cannot_be_referenced_are_opened_as_before(holding: Path) -> None:
    # a netCDF-3 file among netCDF-4 ones: xarray reads it, a reference cannot point into it
    files = files_of(holding)
    with xr.open_dataset(files[3]) as original:
        original.load().to_netcdf(holding / "classic.nc", format="NETCDF3_64BIT")
    os.replace(holding / "classic.nc", files[3])
    reindex(holding)

    with pytest.raises(refs.CannotReference, match="cannot reference the files"):
        holdings.open("copy", FGOALS, references=True)
    opened = holdings.open("copy", FGOALS)
    assert not cached(holding).exists()
    xr.testing.assert_identical(
        opened.load(), holdings.open("copy", FGOALS, references=False).load()
    )
    assert opened.sizes["time"] == 804
    assert len(cited("copy", FGOALS).tracking_ids) == 7

    # open_mfdataset's own options need the files read
    with pytest.raises(refs.CannotReference, match="preprocess"):
        holdings.open("copy", FGOALS, references=True, preprocess=lambda d: d)


def rewrite(files: list[Path], **encoding: Any) -> None:
    """Write the files again, ``ta`` compressed in chunks and time unlimited, as CMOR
    writes CMIP files."""
    for path in files:
        with xr.open_dataset(path) as original:
            loaded = original.load()
        loaded.to_netcdf(
            path.with_suffix(".new"), encoding={"ta": encoding}, unlimited_dims=["time"]
        )
        os.replace(path.with_suffix(".new"), path)


def test_compressed_chunked_files_are_referenced_by_their_chunks(holding: Path) -> None:
    files = files_of(holding)
    steps = []
    for path in files:
        with xr.open_dataset(path) as opened:
            steps.append(opened.sizes["time"])
    assert all(s % 12 == 0 for s in steps[:-1])
    rewrite(files, zlib=True, shuffle=True, chunksizes=(12, 1, 2, 2))
    reindex(holding)
    by_reference, by_files = both_ways("copy", FGOALS)
    xr.testing.assert_identical(by_reference, by_files)
    pieces = json.loads(cached(holding).read_text())["refs"]
    shape = by_files["ta"].shape
    per_step = math.prod(
        -(-size // chunk) for size, chunk in zip(shape[1:], (1, 2, 2), strict=True)
    )
    chunks = shape[0] // 12 * per_step
    assert len([key for key in pieces if key.startswith("ta/") and "/." not in key]) == chunks


def test_chunks_that_straddle_files_fall_back(holding: Path) -> None:
    rewrite(files_of(holding), zlib=True, chunksizes=(7, 2, 2, 2))
    reindex(holding)
    with pytest.raises(refs.CannotReference, match="chunks do not end where its files end"):
        holdings.open("copy", FGOALS, references=True)
    xr.testing.assert_identical(
        holdings.open("copy", FGOALS).load(),
        holdings.open("copy", FGOALS, references=False).load(),
    )


async def test_two_kernels_building_at_once_both_succeed(holding: Path) -> None:
    code = (
        "from jupyter_jasmin import holdings\n"
        f"opened = holdings.open('copy', {FGOALS!r}, references=True)\n"
        "print(float(opened['ta'].mean()))\n"
    )
    for _ in range(2):  # each round starts from no reference
        cached(holding).unlink(missing_ok=True)
        outputs = await asyncio.gather(run_python(code), run_python(code))
        means = {output.strip().splitlines()[-1] for output in outputs}
        assert len(means) == 1
        assert cached(holding).exists()
        assert not [p for p in cached(holding).parent.iterdir() if p.suffix == ".part"]
        expected = holdings.open("copy", FGOALS, references=False)
        assert float(means.pop()) == pytest.approx(float(expected["ta"].mean()), rel=1e-6)


def test_a_reference_open_reads_in_threads(index_dir: str) -> None:
    # netCDF4 crashes when several threads read these files (shared/notes/sample-data.md);
    # a reference reads byte ranges with plain file reads, which threads may share
    import dask

    by_files = holdings.open("cmip6-sample", AWI, index_dir=index_dir, references=False)
    expected = float(by_files["ta"].mean().compute(scheduler="synchronous"))
    for _ in range(5):
        opened = holdings.open("cmip6-sample", AWI, index_dir=index_dir, references=True)
        with dask.config.set(scheduler="threads", num_workers=8):
            assert float(opened["ta"].mean().compute()) == expected

"""The holdings from a notebook: ``holdings.search`` and ``holdings.open`` on the index
the server built, with the counts the REST API gives, the fill value masked, and the
datasets opened listed by ``jupyter_jasmin.citations()``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import cftime
import netCDF4
import numpy as np
import pytest

import jupyter_jasmin
from jupyter_jasmin import holdings
from jupyter_jasmin.errors import Conflict, NotFound
from jupyter_jasmin.holdings.config import HOLDINGS_ENV
from jupyter_jasmin.pools import PROFILE_ENV

from .conftest import Api, run_python
from .test_holdings import MIROC, open_serially, sample_datasets, wait_ready

# 7 files, a 365_day calendar, and netCDF default fill values that no attribute declares
FGOALS = "CMIP6.CMIP.CAS.FGOALS-g3.historical.r1i1p1f1.Amon.ta.gn.v20190818"
# one file, with undeclared fill values too
GFDL = "CMIP6.CMIP.NOAA-GFDL.GFDL-ESM4.historical.r1i1p1f1.Amon.ta.gr1.v20190726"
SELECTIONS: list[dict[str, Any]] = [
    {},
    {"latest": False},
    {"table_id": "day"},
    {"source_id": ["MIROC6", "AWI-CM-1-1-MR"]},
    {"table_id": "Amon", "grid_label": "gr"},
    {"q": "miroc"},
    {"q": "gfdl amon"},
    {"source_id": "no-such-model"},
]


async def ready_index(api: Api, jasmin_config: dict[str, Any]) -> str:
    """The folder of the index the test server built of the sample archive."""
    await wait_ready(api, "cmip6-sample")
    return str(jasmin_config["index_dir"])


@pytest.mark.parametrize("selection", SELECTIONS)
async def test_search_finds_what_the_rest_api_finds(
    api: Api, jasmin_config: dict[str, Any], selection: dict[str, Any]
) -> None:
    index_dir = await ready_index(api, jasmin_config)
    found = holdings.search("cmip6-sample", index_dir=index_dir, **selection)

    rest = {k: str(v).lower() if k == "latest" else v for k, v in selection.items()}
    counts = await api("GET", f"holdings/cmip6-sample/facets?{urlencode(rest, doseq=True)}")
    assert counts.status == 200
    assert len(found) == counts.body["total"]
    rest["limit"] = 500
    page = await api("GET", f"holdings/cmip6-sample/datasets?{urlencode(rest, doseq=True)}")
    assert found.ids == [dataset["id"] for dataset in page.body["datasets"]]


async def test_a_dataset_found_has_its_facets_version_and_files(
    api: Api, jasmin_config: dict[str, Any], sample: Path
) -> None:
    index_dir = await ready_index(api, jasmin_config)
    (found,) = holdings.search(
        "cmip6-sample", index_dir=index_dir, source_id="MIROC6", table_id="Amon"
    )
    assert found.id == MIROC
    assert found.version == "v20190311"
    assert found.facets["source_id"] == "MIROC6"
    expected = sorted(str(p.resolve()) for p in sample_datasets(sample)[MIROC].glob("*.nc"))
    assert found.files == expected
    assert len(found.files) == 7


async def test_open_masks_the_undeclared_fill_value(
    api: Api, jasmin_config: dict[str, Any], sample: Path
) -> None:
    index_dir = await ready_index(api, jasmin_config)
    with holdings.open("cmip6-sample", FGOALS, index_dir=index_dir) as opened:
        ta = opened["ta"].load()
        files = sorted(sample_datasets(sample)[FGOALS].glob("*.nc"))
        with open_serially(files) as raw:
            assert float(abs(raw["ta"]).max()) > 9e36  # the fill is there, undeclared
            assert int(ta.isnull().sum()) == int((abs(raw["ta"]) > 1e30).sum()) > 0
            assert float(abs(ta).max()) < 1e3
            masked = raw["ta"].where(abs(raw["ta"]) < 1e30)
            assert float(ta.mean()) == pytest.approx(float(masked.mean()), rel=1e-6)
        assert opened.sizes["time"] == raw.sizes["time"] == 804
        assert isinstance(opened["time"].values[0], cftime.DatetimeNoLeap)


async def test_open_a_single_file_dataset(api: Api, jasmin_config: dict[str, Any]) -> None:
    index_dir = await ready_index(api, jasmin_config)
    (found,) = holdings.search("cmip6-sample", q="GFDL-ESM4 Amon", index_dir=index_dir)
    assert found.id == GFDL
    assert len(found.files) == 1
    with found.open() as opened:
        assert "ta" in opened.data_vars
        assert not bool((abs(opened["ta"]) > 1e30).any())
        assert int(opened["ta"].isnull().sum()) == 28


async def test_unknown_dataset_or_holding_is_a_clear_error(
    api: Api, jasmin_config: dict[str, Any], tmp_path: Path
) -> None:
    index_dir = await ready_index(api, jasmin_config)
    with pytest.raises(
        NotFound, match=r"no dataset .* in holding 'cmip6-sample' \(76 datasets\); did you mean"
    ):
        holdings.open("cmip6-sample", MIROC.replace("v20190311", "v20190312"), index_dir=index_dir)
    with pytest.raises(
        NotFound, match=r"no holding named 'cmip7'; the configured holdings are 'cmip6-sample'"
    ):
        holdings.search("cmip7", index_dir=index_dir)
    with pytest.raises(Conflict, match="holding 'cmip6-sample' has no index yet"):
        holdings.search("cmip6-sample", index_dir=str(tmp_path / "empty"))


async def test_citations_list_the_datasets_opened_with_their_tracking_ids(
    api: Api, jasmin_config: dict[str, Any], sample: Path
) -> None:
    index_dir = await ready_index(api, jasmin_config)
    holdings.open("cmip6-sample", MIROC, index_dir=index_dir).close()
    holdings.open("cmip6-sample", MIROC, index_dir=index_dir).close()  # listed once

    files = sorted(sample_datasets(sample)[MIROC].glob("*.nc"))
    tracking = []
    for path in files:
        with netCDF4.Dataset(path) as data:
            tracking.append(data.tracking_id)
    assert all(t.startswith("hdl:21.14100/") for t in tracking)

    used = jupyter_jasmin.citations()
    (citation,) = [c for c in used if c.id == MIROC]
    assert (citation.holding, citation.version, citation.files) == ("cmip6-sample", "v20190311", 7)
    assert list(citation.tracking_ids) == list(dict.fromkeys(tracking))
    line = next(line for line in str(used).splitlines() if MIROC in line)
    assert line.startswith(f"- {MIROC} (version v20190311, holding cmip6-sample, 7 files)")
    assert all(t in line for t in tracking)
    assert f"`{MIROC}`" in used._repr_markdown_()


def without_exports() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in (HOLDINGS_ENV, PROFILE_ENV)}


async def test_a_script_finds_the_index_from_the_server_config(
    api: Api, jasmin_config: dict[str, Any], tmp_path: Path
) -> None:
    """A kernel or script reads ``c.Jasmin.index_dir`` from the Jupyter config, as the
    server does."""
    index_dir = await ready_index(api, jasmin_config)
    config = tmp_path / "user-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"Jasmin": {"index_dir": index_dir}})
    )
    code = (
        "import jupyter_jasmin\n"
        "from jupyter_jasmin import holdings\n"
        f"ds = holdings.open('cmip6-sample', {MIROC!r})\n"
        "print('found', len(holdings.search('cmip6-sample')), 'steps', ds.sizes['time'])\n"
        "print(jupyter_jasmin.citations())\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        # without the test server's exports: a script of another session reads the files
        env={**without_exports(), "JUPYTER_CONFIG_DIR": str(config)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 120))[0].decode()
    assert process.returncode == 0, output
    found = holdings.search("cmip6-sample", index_dir=index_dir)
    with holdings.open("cmip6-sample", MIROC, index_dir=index_dir) as here:
        assert f"found {len(found)} steps {here.sizes['time']}" in output
    assert f"- {MIROC} (version v20190311" in output


async def test_importing_the_package_imports_no_xarray() -> None:
    output = await run_python(
        "import sys, jupyter_jasmin, jupyter_jasmin.holdings\n"
        "from jupyter_jasmin import holdings\n"
        "heavy = ('xarray', 'netCDF4', 'dask', 'matplotlib', 'jupyter_jasmin.holdings.api')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "holdings.search\n"
        "print('api' , 'jupyter_jasmin.holdings.api' in sys.modules, 'xarray' in sys.modules)\n"
    )
    assert "[]\n" in output
    assert "api True False" in output


def test_fill_helper_leaves_integers_alone() -> None:
    import xarray as xr

    from jupyter_jasmin.holdings.inspect import mask_fill

    counts = xr.DataArray(np.array([1, 2], dtype=np.int32))
    assert mask_fill(counts).dtype == np.int32
    values = xr.DataArray(np.array([1.0, 9.969209968386869e36], dtype=np.float32))
    assert np.isnan(mask_fill(values).values[1])


def test_holdings_are_read_from_the_config_files_as_traitlets_reads_them(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_jasmin.holdings.config import configured_holdings

    folder = tmp_path / "user-config"
    folder.mkdir()
    (folder / "jupyter_server_config.py").write_text(
        f"c.Jasmin.holdings = [{{'name': 'mine', 'root': {str(sample)!r}, 'drs': 'cmip6'}}]\n"
        "c.Jasmin.index_dir = '/from/python'\n"
    )
    (folder / "jupyter_server_config.json").write_text(
        json.dumps({"Jasmin": {"index_dir": str(tmp_path / "from-json")}})
    )
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))

    specs, index_dir = configured_holdings()
    assert [(s.name, s.root, s.drs) for s in specs] == [("mine", str(sample.resolve()), "cmip6")]
    assert index_dir == str(tmp_path / "from-json")  # .json wins over .py in one folder
    assert configured_holdings("/given")[1] == "/given"

    # a kernel started by a server finds what that server uses, however it was configured
    exported = {"holdings": [{"name": "theirs", "root": str(sample), "drs": "cmip6"}]}
    monkeypatch.setenv(HOLDINGS_ENV, json.dumps({**exported, "index_dir": "/exported"}))
    specs, index_dir = configured_holdings()
    assert ([s.name for s in specs], index_dir) == (["theirs"], "/exported")


async def test_open_passes_xarray_options_and_still_notes_tracking_ids(
    api: Api, jasmin_config: dict[str, Any]
) -> None:
    index_dir = await ready_index(api, jasmin_config)

    def lowest_level(dataset: Any) -> Any:
        return dataset.isel(plev=[0])

    (found,) = holdings.search("cmip6-sample", "FGOALS-g3 Amon", index_dir=index_dir)
    with found.open(preprocess=lowest_level, chunks={"time": 12}) as opened:
        assert opened.sizes["plev"] == 1
        assert opened["ta"].chunks[0][0] == 12
    (citation,) = [c for c in jupyter_jasmin.citations() if c.id == FGOALS]
    assert len(citation.tracking_ids) == len(found.files) == 7

"""Dataset holdings on the real CMIP6 sample archive and on trees built from its files:
facets, datasets, metadata, pictures, snippets and catalogs, checked against what the
files themselves say."""

from __future__ import annotations

import asyncio
import io
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest
import xarray as xr

from .conftest import Api

AWI = "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218"
MIROC = "CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311"
CMIP6_FACETS = [
    "mip_era",
    "activity_id",
    "institution_id",
    "source_id",
    "experiment_id",
    "member_id",
    "table_id",
    "variable_id",
    "grid_label",
    "version",
]


TIMES = xr.coders.CFDatetimeCoder(use_cftime=True)


def open_serially(files: list[Path]) -> xr.Dataset:
    """What a user would type to open a dataset's files in one process."""
    return xr.open_mfdataset(
        files,
        decode_times=TIMES,
        combine="by_coords",
        data_vars="minimal",
        coords="minimal",
        compat="override",
    )


def sample_datasets(root: Path) -> dict[str, Path]:
    """Dataset id -> version folder, found independently of the index (os.walk)."""
    found = {}
    for folder, _, files in os.walk(root):
        if any(name.endswith(".nc") for name in files):
            parts = Path(folder).relative_to(root).parts
            found[".".join(parts)] = Path(folder)
    return found


async def wait_ready(api: Api, holding: str, timeout: float = 60) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        reply = await api("GET", f"holdings/{holding}")
        assert reply.status == 200, reply.body
        if reply.body["state"] == "ready":
            return reply.body  # type: ignore[no-any-return]
        assert reply.body["state"] in ("missing", "indexing"), reply.body
        assert asyncio.get_running_loop().time() < deadline, reply.body
        await asyncio.sleep(0.1)


def query(**facets: Any) -> str:
    pairs = []
    for name, values in facets.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append(f"{name}={value}")
    return "?" + "&".join(pairs) if pairs else ""


# --- the sample archive through the REST API ------------------------------------


async def test_sample_archive_is_the_default_holding(api: Api, sample: Path) -> None:
    listing = await api("GET", "holdings")
    assert [h["name"] for h in listing.body["holdings"]] == ["cmip6-sample"]

    holding = await wait_ready(api, "cmip6-sample")
    assert holding["root"] == str(sample.resolve())
    assert holding["files"] == len(list(sample.rglob("*.nc"))) == 326
    assert holding["datasets"] == 76
    assert holding["unmatched"] == 0
    assert holding["facets"] == CMIP6_FACETS
    assert holding["last_refresh"].endswith("Z")


async def test_facet_counts_equal_counts_from_the_file_list(api: Api, sample: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    datasets = sample_datasets(sample)
    expected: dict[str, dict[str, int]] = {name: defaultdict(int) for name in CMIP6_FACETS}
    for dataset_id in datasets:
        for name, value in zip(CMIP6_FACETS, dataset_id.split("."), strict=True):
            expected[name][value] += 1

    reply = await api("GET", "holdings/cmip6-sample/facets?latest=false")
    assert reply.status == 200
    assert reply.body["total"] == len(datasets) == 76
    counted = {
        name: {entry["value"]: entry["count"] for entry in values}
        for name, values in reply.body["facets"].items()
    }
    assert counted == {name: dict(values) for name, values in expected.items()}
    assert len(counted["source_id"]) == 46
    assert len(counted["institution_id"]) == 27


async def test_selections_narrow_the_other_facets(api: Api, sample: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    ids = [d.split(".") for d in sample_datasets(sample)]
    table, grid = CMIP6_FACETS.index("table_id"), CMIP6_FACETS.index("grid_label")
    chosen = [d for d in ids if d[table] == "Amon" and d[grid] in ("gr", "gr1")]

    reply = await api(
        "GET", "holdings/cmip6-sample/facets" + query(table_id="Amon", grid_label=["gr", "gr1"])
    )

    assert reply.body["total"] == len(chosen)
    sources = {e["value"]: e["count"] for e in reply.body["facets"]["source_id"]}
    assert sources == {s: sum(1 for d in chosen if d[3] == s) for s in {d[3] for d in chosen}}
    # a facet's own counts ignore its own selection, so its alternatives stay visible
    grids = {e["value"]: (e["count"], e["selected"]) for e in reply.body["facets"]["grid_label"]}
    amon = [d for d in ids if d[table] == "Amon"]
    assert grids["gn"] == (sum(1 for d in amon if d[grid] == "gn"), False)
    assert grids["gr"][1] is True

    page = await api(
        "GET", "holdings/cmip6-sample/datasets" + query(table_id="Amon", grid_label=["gr", "gr1"])
    )
    assert page.body["total"] == len(chosen)
    assert sorted(d["id"] for d in page.body["datasets"]) == sorted(".".join(d) for d in chosen)


async def test_search_and_pages(api: Api, sample: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    everything = sorted(sample_datasets(sample))

    first = await api("GET", "holdings/cmip6-sample/datasets?limit=30")
    second = await api("GET", "holdings/cmip6-sample/datasets?limit=30&offset=30")
    last = await api("GET", "holdings/cmip6-sample/datasets?limit=30&offset=60")
    pages = first.body["datasets"] + second.body["datasets"] + last.body["datasets"]
    assert [d["id"] for d in pages] == everything
    assert first.body["total"] == 76
    assert len(last.body["datasets"]) == 16

    found = await api("GET", "holdings/cmip6-sample/datasets?q=awi-cm%20AMON")
    assert [d["id"] for d in found.body["datasets"]] == [AWI]
    assert (await api("GET", "holdings/cmip6-sample/datasets?q=no-such-model")).body["total"] == 0


async def test_dataset_ids_and_facets_agree_with_the_files_own_attributes(
    api: Api, sample: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    page = await api("GET", "holdings/cmip6-sample/datasets?limit=100&latest=false")
    datasets = sample_datasets(sample)
    assert {d["id"] for d in page.body["datasets"]} == set(datasets)
    assert AWI in datasets

    for dataset in page.body["datasets"]:
        assert dataset["id"] == ".".join(dataset["facets"][name] for name in CMIP6_FACETS)
        first = sorted(datasets[dataset["id"]].glob("*.nc"))[0]
        with netCDF4.Dataset(first) as handle:
            attributes = {name: handle.getncattr(name) for name in handle.ncattrs()}
        facets = dataset["facets"]
        for name in ("source_id", "experiment_id", "table_id", "variable_id", "grid_label"):
            assert facets[name] == attributes[name], (dataset["id"], name)
        assert facets["member_id"] == attributes["variant_label"]
        assert facets["institution_id"] == attributes["institution_id"]
        assert facets["activity_id"] == attributes["activity_id"]


async def test_dataset_detail_lists_files_sizes_time_ranges_and_versions(
    api: Api, sample: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    folder = sample_datasets(sample)[MIROC]

    reply = await api("GET", f"holdings/cmip6-sample/datasets/{MIROC}")

    assert reply.status == 200
    files = reply.body["files"]
    on_disk = sorted(folder.glob("*.nc"))
    assert [f["name"] for f in files] == [p.name for p in on_disk]
    assert [f["size"] for f in files] == [p.stat().st_size for p in on_disk]
    assert reply.body["size"] == sum(p.stat().st_size for p in on_disk)
    assert (files[0]["start"], files[-1]["end"]) == ("1950-01", "2014-12")
    assert (reply.body["start"], reply.body["end"]) == ("1950-01", "2014-12")
    with xr.open_dataset(on_disk[0], decode_times=TIMES) as first:
        assert str(first.time.values[0])[:7] == files[0]["start"]
    assert reply.body["versions"] == [
        {
            "id": MIROC,
            "version": "v20190311",
            "latest": True,
            "files": 7,
            "size": reply.body["size"],
        }
    ]


async def test_metadata_is_what_xarray_reports(api: Api, sample: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    files = sorted(sample_datasets(sample)[MIROC].glob("*.nc"))

    reply = await api("GET", f"holdings/cmip6-sample/datasets/{MIROC}/metadata")

    assert reply.status == 200, reply.body
    with open_serially(files) as expected:
        assert reply.body["dimensions"] == {k: int(v) for k, v in expected.sizes.items()}
        variables = {v["name"]: v for v in reply.body["variables"]}
        assert set(variables) == set(expected.data_vars)
        ta = variables["ta"]
        assert ta["shape"] == list(expected.ta.shape)
        assert ta["dtype"] == str(expected.ta.dtype)
        assert (ta["units"], ta["standard_name"]) == ("K", "air_temperature")
        coordinates = {c["name"]: c for c in reply.body["coordinates"]}
        assert coordinates["time"]["min"] == expected.time.values[0].isoformat()
        assert coordinates["time"]["max"] == expected.time.values[-1].isoformat()
        assert coordinates["plev"]["units"] == "Pa"
        assert coordinates["lat"]["max"] == pytest.approx(float(expected.lat.max()))
        assert reply.body["attributes"]["source_id"] == "MIROC6"
    again = await api("GET", f"holdings/cmip6-sample/datasets/{MIROC}/metadata")
    assert again.body == reply.body


async def test_quicklooks_are_pngs(api: Api) -> None:
    import matplotlib.image

    await wait_ready(api, "cmip6-sample")
    base = f"holdings/cmip6-sample/datasets/{AWI}/quicklook.png"

    for suffix in ("", "?variable=ta&time=10", "?time=2000-06"):
        reply = await api("GET", base + suffix)
        assert reply.status == 200, reply.body
        assert reply.headers["Content-Type"] == "image/png"
        picture = matplotlib.image.imread(io.BytesIO(reply.body))
        assert picture.shape[:2] == (420, 640)
        assert np.ptp(picture[..., :3]) > 0.5, "the picture is not blank"

    bad = await api("GET", base + "?variable=tas")
    assert bad.status == 400
    assert "no variable 'tas'" in bad.body["message"]
    late = await api("GET", base + "?time=2100-01")
    assert late.status == 400
    assert "no time step" in late.body["message"]


async def test_catalog_opens_with_intake_esm_and_loads_a_dataset(
    api: Api, jp_serverapp: Any, jp_http_port: int, jp_base_url: str
) -> None:
    await wait_ready(api, "cmip6-sample")
    token = jp_serverapp.identity_provider.token
    url = (
        f"http://localhost:{jp_http_port}{jp_base_url}jasmin/api/holdings/cmip6-sample/"
        f"catalog.json?token={token}"
    )

    def open_catalog() -> tuple[int, int, dict[str, Any]]:
        import dask
        import intake

        catalog = intake.open_esm_datastore(url)
        subset = catalog.search(dataset_id=MIROC)
        with dask.config.set(scheduler="synchronous"):  # netCDF4 is not thread-safe
            loaded = subset.to_dataset_dict(progressbar=False)
        return len(catalog.df), len(catalog.keys()), loaded

    # intake blocks while it fetches from this same server: run it beside the server's loop
    rows, keys, loaded = await asyncio.to_thread(open_catalog)
    assert rows == 326
    assert keys == 76
    (dataset,) = loaded.values()
    assert dataset.sizes["time"] == 780

    csv = await api("GET", "holdings/cmip6-sample/catalog.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.body.splitlines()[0].split(",")[:3] == ["mip_era", "activity_id", "institution_id"]

"""Every snippet the REST API gives, inserted as the panel inserts it and executed in a
real kernel against the test server's holdings and a real pool; each result checked
against a serial computation in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Api, start_pool
from .kernels import execute, images, notebook, result, result_cell, text
from .test_holdings import AWI, MIROC, open_serially, sample_datasets, wait_ready

SELECTION = "holdings/cmip6-sample/snippet"
THREE_MODELS = ("MIROC6", "AWI-CM-1-1-MR", "CanESM5")


def assert_names_no_file(code: str, root: Path) -> None:
    """A dataset snippet finds the files through the notebook API: it stays a few lines
    however many files the dataset has."""
    assert ".nc" not in code
    assert str(root) not in code
    assert str(root.resolve()) not in code
    assert len(code.splitlines()) < 60


def serial_global_means(folder: Path) -> Any:
    """Area-weighted global mean per time step of a dataset, opened whole in one process."""
    with open_serially(sorted(folder.glob("*.nc"))) as serial:
        ta = serial.ta.where(abs(serial.ta) < 1e30)
        weights = np.cos(np.deg2rad(serial.lat)).fillna(0)
        return ta.weighted(weights).mean(["lat", "lon"]).load()


async def test_pool_snippet_connects_and_maps(api: Api, tmp_path: Path) -> None:
    pool = await start_pool(api, "snippets", 2)
    code = (await api("GET", f"clusters/{pool['id']}/snippet")).body["code"]

    squares = "squares = view.map_sync(lambda x: x * x, range(32))"
    nb = await execute(notebook(code, squares, result_cell("squares")), tmp_path)

    assert "Connected to 2 engines of pool snippets" in text(nb)
    assert result(nb) == [x * x for x in range(32)]
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_open_snippet_opens_the_dataset(api: Api, sample: Path, tmp_path: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    reply = await api("GET", f"holdings/cmip6-sample/datasets/{MIROC}/snippet")
    assert f"holdings.open('cmip6-sample', {MIROC!r})" in reply.body["code"]
    assert_names_no_file(reply.body["code"], sample)

    nb = await execute(
        notebook(reply.body["code"], result_cell("[dict(ds.sizes), float(ds.ta.mean())]")),
        tmp_path,
    )

    files = sorted(sample_datasets(sample)[MIROC].glob("*.nc"))
    with open_serially(files) as expected:
        sizes, mean = result(nb)
        assert sizes == dict(expected.sizes)
        assert mean == pytest.approx(float(expected.ta.where(abs(expected.ta) < 1e30).mean()))


async def test_analyse_snippet_maps_over_files_on_a_pool(
    api: Api, sample: Path, tmp_path: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    pool = await start_pool(api, "analysis", 2)

    reply = await api("GET", f"holdings/cmip6-sample/datasets/{AWI}/snippet?pool={pool['id']}")
    assert reply.status == 200
    assert "pmap(area_mean, files, pool='analysis')" in reply.body["code"]
    assert_names_no_file(reply.body["code"], sample)
    nb = await execute(
        notebook(reply.body["code"], result_cell("result.isel(plev=0).values.tolist()")),
        tmp_path,
    )

    expected = serial_global_means(sample_datasets(sample)[AWI]).isel(plev=0)
    assert len(expected) == 780
    assert result(nb) == pytest.approx(expected.values.tolist(), rel=1e-6)
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_selection_snippet_plots_every_model_in_one_cell(
    api: Api, sample: Path, tmp_path: Path
) -> None:
    """The panel's analyse-on-pool snippet for a selection: one cell from the selection
    to a plotted multi-model result, each model's series that of a serial run."""
    await wait_ready(api, "cmip6-sample")
    pool = await start_pool(api, "models", 2)
    models = "&".join(f"source_id={m}" for m in THREE_MODELS)
    reply = await api("GET", f"{SELECTION}?table_id=Amon&{models}&pool={pool['id']}")
    assert reply.status == 200, reply.body
    code = reply.body["code"]
    assert "pmap(global_mean, items, pool='models')" in code
    assert "table_id='Amon'" in code
    assert_names_no_file(code, sample)

    nb = await execute(
        notebook(code, result_cell("{k: v.values.tolist() for k, v in annual.items()}")),
        tmp_path,
    )

    assert len(images(nb)) == 1, "the cell draws one figure"
    annual = result(nb)
    assert sorted(annual) == sorted(THREE_MODELS)
    found = sample_datasets(sample)
    for model in THREE_MODELS:
        (folder,) = [f for i, f in found.items() if f".{model}." in i and ".Amon." in i]
        expected = serial_global_means(folder).groupby("time.year").mean()
        assert np.allclose(annual[model], expected.values, rtol=1e-6, equal_nan=True), model
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200


async def test_selection_snippet_without_a_pool_runs_in_the_kernel(
    api: Api, tmp_path: Path
) -> None:
    await wait_ready(api, "cmip6-sample")
    reply = await api("GET", f"{SELECTION}?q=MIROC6&table_id=Amon")
    assert reply.status == 200, reply.body
    assert "pmap(" not in reply.body["code"]

    nb = await execute(notebook(reply.body["code"], result_cell("sorted(annual)")), tmp_path)

    assert result(nb) == ["MIROC6"]
    assert len(images(nb)) == 1


async def test_selection_snippet_refusals(api: Api) -> None:
    await wait_ready(api, "cmip6-sample")
    nothing = await api("GET", f"{SELECTION}?source_id=NO-SUCH-MODEL")
    assert nothing.status == 404
    assert "no dataset matches this selection" in nothing.body["message"]
    unknown_pool = await api("GET", f"{SELECTION}?table_id=Amon&pool=nosuchpool")
    assert unknown_pool.status == 404
    assert "nosuchpool" in unknown_pool.body["message"]
    reserved = await api("GET", f"{SELECTION}?holding=x")
    assert reserved.status in (400, 404)
    unknown_holding = await api("GET", "holdings/no-such-holding/snippet")
    assert unknown_holding.status == 404

"""The notebooks in ``examples/`` run top to bottom in a real kernel against the test
server (which starts their pool when they ask it to), and their numbers equal a serial
computation in this process."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from .conftest import Api
from .kernels import execute, images, result, result_cell, text
from .test_holdings import sample_datasets, wait_ready
from .test_snippets import serial_global_means

EXAMPLES = Path(__file__).parent.parent / "examples"
CHECKED = ("MIROC6", "AWI-CM-1-1-MR", "EC-Earth3", "CanESM5")  # 65-file datasets among them


@pytest.mark.parametrize("name", ["multi_model_pmap.ipynb", "multi_model_dask.ipynb"])
async def test_example_runs_and_agrees_with_a_serial_computation(
    api: Api, sample: Path, name: str
) -> None:
    await wait_ready(api, "cmip6-sample")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells), "examples are kept without outputs"
    nb.cells.append(
        nbformat.v4.new_code_cell(result_cell("{m: a.values.tolist() for m, a in annual.items()}"))
    )

    try:
        await execute(nb, EXAMPLES, timeout=600)
    finally:
        for pool in (await api("GET", "clusters")).body["clusters"]:
            await api("DELETE", f"clusters/{pool['id']}")

    annual = result(nb)
    amon = {i: f for i, f in sample_datasets(sample).items() if ".Amon." in i}
    assert len(annual) == len(amon) == 42
    assert len(images(nb)) == 1
    for model in CHECKED:
        (folder,) = [f for i, f in amon.items() if f".{model}." in i]
        expected = serial_global_means(folder).groupby("time.year").mean()
        assert np.allclose(annual[model], expected.values, rtol=1e-5, equal_nan=True), model
    assert "tracking_id" in text(nb) or any(
        "tracking_id" in str(o.get("data", "")) for c in nb.cells for o in c.get("outputs", [])
    ), "the notebook ends with the citations of the data it used"

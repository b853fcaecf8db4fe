"""Quick-looks a new user can read: the default picture shows data where the first time
step's first level is all fill, the level picker's parameter, pictures that say when no
value is valid, titles with rounded coordinates, and pictures for both themes."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image
import netCDF4
import numpy as np
import pytest

from jupyter_jasmin.holdings.inspect import value_label

from .conftest import Api
from .test_holdings import wait_ready

ACCESS = "CMIP6.CMIP.CSIRO.ACCESS-ESM1-5.historical.r1i1p1f1.Amon.ta.gn.v20191115"
FGOALS = "CMIP6.CMIP.CAS.FGOALS-g3.historical.r1i1p1f1.Amon.ta.gn.v20190818"
MIROC = "CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311"


def quicklook(dataset_id: str) -> str:
    return f"holdings/cmip6-sample/datasets/{dataset_id}/quicklook.png"


def picture(png: bytes) -> np.ndarray:
    image = matplotlib.image.imread(io.BytesIO(png))
    assert image.shape[:2] == (420, 640)
    return image


def coloured_share(image: np.ndarray) -> float:
    """The share of opaque, coloured (not grey) pixels in the left 60% of the picture,
    where the map is; the colour bar, on the right, is coloured even on an empty map."""
    left = image[:, : int(image.shape[1] * 0.6)]
    opaque = left[..., 3] > 0.99
    saturated = np.ptp(left[..., :3], axis=-1) > 0.2
    return float((opaque & saturated).mean())


def valid_values(sample: Path, dataset_id: str, time: str, level: int) -> int:
    """How many values netCDF4 (which masks the undeclared fill) reads at a level, in the
    first time step whose date starts with ``time``."""
    folder = sample.joinpath(*dataset_id.split("."))
    for path in sorted(folder.glob("*.nc")):
        with netCDF4.Dataset(path) as dataset:
            times = dataset["time"]
            dates = netCDF4.num2date(times[:], times.units, getattr(times, "calendar", "standard"))
            for index, date in enumerate(dates):
                if date.isoformat().startswith(time):
                    return int(np.ma.count(dataset["ta"][index, level]))
    raise AssertionError(f"no time step {time} in {dataset_id}")


@pytest.mark.parametrize("dataset_id", [ACCESS, FGOALS])
async def test_the_default_quicklook_shows_data(api: Api, sample: Path, dataset_id: str) -> None:
    await wait_ready(api, "cmip6-sample")
    # what the user hit: the first step at 1000 hPa is all undeclared fill
    assert valid_values(sample, dataset_id, "1950-01", 0) == 0

    reply = await api("GET", quicklook(dataset_id))

    assert reply.status == 200, reply.body
    assert "X-Jasmin-Missing" not in reply.headers
    assert reply.headers["X-Jasmin-Levels"] == "1000 hPa; 925 hPa"
    time, level = reply.headers["X-Jasmin-Time"], int(reply.headers["X-Jasmin-Level"])
    assert (time, level) == ("1950-01", 1)
    assert valid_values(sample, dataset_id, time, level) > 0
    assert coloured_share(picture(reply.body)) > 0.2


async def test_a_quicklook_with_no_valid_value_says_so(api: Api) -> None:
    await wait_ready(api, "cmip6-sample")
    for level in ("0", "100000", "1000%20hPa", "1000hPa", "-2"):
        reply = await api("GET", f"{quicklook(ACCESS)}?level={level}&time=0")
        assert reply.status == 200, reply.body
        assert reply.headers["X-Jasmin-Missing"] == "all values missing at 1000 hPa, 1950-01"
        assert (reply.headers["X-Jasmin-Level"], reply.headers["X-Jasmin-Time"]) == (
            "0",
            "1950-01",
        )
        assert coloured_share(picture(reply.body)) == 0


async def test_the_level_picker(api: Api) -> None:
    await wait_ready(api, "cmip6-sample")
    # MIROC6 has data at both levels: each is drawn as asked, by index or value
    by_index = await api("GET", f"{quicklook(MIROC)}?level=1")
    by_value = await api("GET", f"{quicklook(MIROC)}?level=92500&time=1950-01")
    first = await api("GET", quicklook(MIROC))
    assert by_index.body == by_value.body != first.body
    assert (first.headers["X-Jasmin-Level"], by_index.headers["X-Jasmin-Level"]) == ("0", "1")

    # a level asked for with a time step left open: the first step with data there
    later = await api("GET", f"{quicklook(ACCESS)}?level=0")
    assert "X-Jasmin-Missing" not in later.headers
    assert later.headers["X-Jasmin-Time"] > "1950-01"

    for bad in ("500", "2", "-3", "abc", "850%20hPa"):
        refused = await api("GET", f"{quicklook(MIROC)}?level={bad}")
        assert refused.status == 400, refused.body
        assert "levels are 0: 1000 hPa, 1: 925 hPa" in refused.body["message"]


async def test_time_errors_say_what_is_accepted(api: Api) -> None:
    await wait_ready(api, "cmip6-sample")
    refused = await api("GET", f"{quicklook(MIROC)}?time=abc")
    assert refused.status == 400
    message = refused.body["message"]
    assert "no time step matches 'abc'" in message
    assert "0..779" in message
    assert "1950-06-15" in message
    assert "runs from 1950-01 to 2014-12 (780 steps)" in message
    late = await api("GET", f"{quicklook(MIROC)}?time=2100")
    assert "write 2100-01" in late.body["message"]


async def test_pictures_for_each_theme(api: Api, tmp_path: Path) -> None:
    await wait_ready(api, "cmip6-sample")
    light = await api("GET", f"{quicklook(MIROC)}?theme=light")
    dark = await api("GET", f"{quicklook(MIROC)}?theme=dark")
    default = await api("GET", quicklook(MIROC))
    assert light.body == default.body != dark.body
    assert len(list((tmp_path / "cache" / "quicklook").glob("*.png"))) == 2

    for reply, ink in ((light, 0.2), (dark, 0.8)):
        image = picture(reply.body)
        assert image[0, 0, 3] == 0, "the background is transparent"
        text = image[..., 3] > 0.99
        grey = np.ptp(image[..., :3], axis=-1) < 0.05
        brightness = image[..., :3].mean(axis=-1)[text & grey]
        assert abs(np.median(brightness) - ink) < 0.15

    bad = await api("GET", f"{quicklook(MIROC)}?theme=blue")
    assert bad.status == 400
    assert "light, dark" in bad.body["message"]


@pytest.mark.parametrize(
    ("value", "units", "label"),
    [
        (100000.00000001001, "Pa", "1000 hPa"),
        (92500.0, "Pa", "925 hPa"),
        (85000, "Pa", "850 hPa"),
        (0.99500000001, "1", "0.995 1"),
        (10.000000001, "m", "10 m"),
        (3, "", "3"),
    ],
)
def test_coordinate_values_in_titles_are_rounded(value: float, units: str, label: str) -> None:
    assert value_label(value, units) == label

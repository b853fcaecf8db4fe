"""Dask on an engine pool: ``pools.dask_client`` makes the pool's engines a Dask cluster
of one-thread workers, xarray with dask chunks computes on it what a serial run does,
and ``pools.stop_dask`` ends it with the engines still serving ipyparallel."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import dask
import distributed
import numpy as np
import pytest
import xarray as xr

from jupyter_jasmin import pools

from .conftest import Api, start_pool
from .test_holdings import MIROC, TIMES, sample_datasets


def time_mean(files: list[Path], chunks: dict[str, int] | None = None) -> xr.DataArray:
    """The time mean of ``ta``, computed by dask's current scheduler."""
    with xr.open_mfdataset(
        files,
        decode_times=TIMES,
        data_vars="minimal",
        coords="minimal",
        compat="override",
        chunks=chunks,
    ) as ds:
        return ds["ta"].mean("time").compute()


async def test_dask_on_a_pool_equals_a_serial_run_and_stops(
    api: Api, this_profile: Path, sample: Path
) -> None:
    files = sorted(sample_datasets(sample)[MIROC].glob("*.nc"))
    with dask.config.set(scheduler="synchronous"):  # one process, one thread
        serial = await asyncio.to_thread(time_mean, files)

    pool = await start_pool(api, "dasky", 2)
    engine_pids = sorted(e["pid"] for e in pool["engines"]["list"])
    client = await asyncio.to_thread(pools.dask_client, "dasky")
    scheduler = client.scheduler.address
    try:
        workers = client.scheduler_info()["workers"].values()
        assert sorted(w["nthreads"] for w in workers) == [1, 1]
        # the workers are the engines themselves
        assert sorted((await asyncio.to_thread(client.run, os.getpid)).values()) == engine_pids

        # the client is dask's default while it is open: xarray computes on the pool
        mapped = await asyncio.to_thread(time_mean, files, chunks={"time": 12})
        np.testing.assert_allclose(mapped.values, serial.values, rtol=1e-6)

        # again: the same cluster, not a second worker on each engine
        again = await asyncio.to_thread(pools.get("dasky").dask)
        assert len(again.scheduler_info()["workers"]) == 2
        again.close()
    finally:
        client.close()

    await asyncio.to_thread(pools.stop_dask, "dasky")
    with pytest.raises(
        OSError, match="Timed out trying to connect"
    ):  # ipyparallel's stop_dask alone leaves it running
        # not the default client: a failed one would leave dask's settings pointing at it
        await asyncio.to_thread(distributed.Client, scheduler, timeout=3, set_as_default=False)
    ipp = await asyncio.to_thread(pools.connect, "dasky")
    try:
        assert sorted(await asyncio.to_thread(ipp[:].apply_sync, os.getpid)) == engine_pids
        has_worker = await asyncio.to_thread(ipp[:].apply_sync, pools._scheduler_address)
        assert has_worker == [None, None]
    finally:
        ipp.close()
    assert (await api("DELETE", f"clusters/{pool['id']}")).status == 200
    # closed clients leave dask's default scheduler as it was
    assert dask.config.get("scheduler", None) != "dask.distributed"

"""Python code that users drop into notebooks: connect to a pool, open a dataset, map
over a dataset's files on a pool. The dataset snippets use the notebook API
(``jupyter_jasmin.holdings``, ``pmap``), which finds files and pools by name.

Every value that comes from a user or a path is written with ``repr`` so a
name or path can never break out of its string literal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from .clusters.shapes import PoolReply
    from .holdings.shapes import DatasetSummary


class SnippetReply(TypedDict):
    """``GET .../snippet`` (``openapi.yaml``'s ``Snippet``)."""

    code: str


def pool_snippet(pool: PoolReply) -> str:
    """Code that connects to a running pool and leaves a load-balanced view ready."""
    name = pool["name"]
    engines = max(1, pool["engines"]["requested"])
    return "\n".join(
        [
            f"# Engine pool {name!r} ({pool['backend']}, id {pool['id']!r}) from the JASMIN panel",
            "import ipyparallel as ipp",
            "",
            f"rc = ipp.Client({pool['connection_file']!r})",
            f"rc.wait_for_engines({engines}, timeout=120)",
            "view = rc.load_balanced_view()",
            f"print('Connected to', len(rc.ids), 'engines of pool', {name!r})",
            "",
            "# For example: squares = view.map_sync(lambda x: x * x, range(32))",
        ]
    )


def _variable(dataset: DatasetSummary) -> str | None:
    facets = dataset["facets"]
    for name in ("variable_id", "variable", "short_name"):
        value = facets.get(name)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value:
            return str(value)
    return None


def _heading(holding: str, dataset: DatasetSummary) -> str:
    return f"# {dataset['id']} ({dataset['file_count']} files) of holding {holding!r}"


def dataset_open_snippet(holding: str, dataset: DatasetSummary) -> str:
    """Code that opens a dataset as one xarray Dataset through the notebook API, which
    finds its files in the index (so the code is as short for a thousand files as for
    one) and masks the undeclared fill value."""
    return "\n".join(
        [
            _heading(holding, dataset),
            "from jupyter_jasmin import holdings",
            "",
            f"ds = holdings.open({holding!r}, {dataset['id']!r})",
            "ds",
        ]
    )


def dataset_pool_snippet(holding: str, dataset: DatasetSummary, pool: PoolReply) -> str:
    """Code that maps a per-file area mean over a dataset's files on a pool (by name,
    through ``pmap``) and combines the results in time order."""
    variable = _variable(dataset) or "VARIABLE"
    return "\n".join(
        [
            f"{_heading(holding, dataset)} on engine pool {pool['name']!r}",
            "import xarray as xr",
            "from jupyter_jasmin import holdings, pmap",
            "",
            f"files = holdings.dataset({holding!r}, {dataset['id']!r}).files",
            "",
            "",
            f"def area_mean(path, variable={variable!r}):",
            '    """Area-weighted horizontal mean of one file per time step, on an engine."""',
            "    import numpy as np",
            "    import xarray as xr",
            "",
            "    coder = xr.coders.CFDatetimeCoder(use_cftime=True)",
            "    with xr.open_dataset(path, decode_times=coder) as ds:",
            "        data = ds[variable]",
            "        data = data.where(abs(data) < 1e30)  # undeclared netCDF fill values",
            '        horizontal = [d for d in data.dims if d in ("lat", "lon", "latitude", '
            '"longitude", "rlat", "rlon", "x", "y")]',
            '        if "lat" in data.dims:',
            '            weights = np.cos(np.deg2rad(ds["lat"])).fillna(0)',
            "            return data.weighted(weights).mean(horizontal).load()",
            "        return data.mean(horizontal).load()",
            "",
            "",
            f"parts = pmap(area_mean, files, pool={pool['name']!r})",
            'result = xr.concat(parts, dim="time").sortby("time")',
            "result",
        ]
    )

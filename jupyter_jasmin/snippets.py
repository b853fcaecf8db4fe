"""Python code that users drop into notebooks: connect to a pool, and later open data.

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


def _files_literal(paths: list[str]) -> list[str]:
    return ["files = ["] + [f"    {path!r}," for path in paths] + ["]"]


def _variable(dataset: DatasetSummary) -> str | None:
    facets = dataset["facets"]
    for name in ("variable_id", "variable", "short_name"):
        value = facets.get(name)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value:
            return str(value)
    return None


def dataset_open_snippet(dataset: DatasetSummary, paths: list[str]) -> str:
    """Code that opens a dataset's files as one xarray Dataset."""
    variable = _variable(dataset)
    lines = [
        f"# {dataset['id']} ({len(paths)} files)",
        "import xarray as xr",
        "",
        *_files_literal(paths),
        "ds = xr.open_mfdataset(",
        "    files,",
        '    combine="by_coords",',
        '    data_vars="minimal", coords="minimal", compat="override",',
        "    decode_times=xr.coders.CFDatetimeCoder(use_cftime=True),",
        ")",
    ]
    if variable:
        lines += [
            "# mask the netCDF default fill value that some files do not declare",
            f"ds[{variable!r}] = ds[{variable!r}].where(abs(ds[{variable!r}]) < 1e30)",
        ]
    return "\n".join([*lines, "ds"])


def dataset_pool_snippet(dataset: DatasetSummary, paths: list[str], pool: PoolReply) -> str:
    """Code that maps a per-file area mean over a dataset's files on a pool and combines it."""
    variable = _variable(dataset) or "VARIABLE"
    return "\n".join(
        [
            f"# {dataset['id']} ({len(paths)} files) on engine pool {pool['name']!r}",
            "import ipyparallel as ipp",
            "import xarray as xr",
            "",
            *_files_literal(paths),
            "",
            f"rc = ipp.Client({pool['connection_file']!r})",
            "rc.wait_for_engines(1, timeout=120)",
            "view = rc.load_balanced_view()",
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
            "parts = view.map_sync(area_mean, files)",
            'result = xr.concat(parts, dim="time").sortby("time")',
            "result",
        ]
    )

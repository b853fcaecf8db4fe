"""Python code that users drop into notebooks: connect to a pool, open a dataset, map
over a dataset's files on a pool. The dataset snippets use the notebook API
(``jupyter_jasmin.holdings``, ``pmap``), which finds files and pools by name.

Every value that comes from a user or a path is written with ``repr`` so a
name or path can never break out of its string literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from .errors import BadRequest, NotFound

if TYPE_CHECKING:
    from .clusters.shapes import PoolReply
    from .holdings.query import Selection
    from .holdings.shapes import DatasetSummary

# ``holdings.search``'s own parameters, which a facet cannot be passed as
SEARCH_PARAMETERS = frozenset({"holding", "q", "latest", "index_dir"})
# The facet that names a model in CMIP-like holdings: the lines of a multi-model plot
MODEL_FACETS = ("source_id", "model", "source")


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


def _search_call(holding: str, selection: Selection) -> str:
    """``holdings.search(...)`` for what the user selected in the panel."""
    arguments = [repr(holding)]
    if selection.text.strip():
        arguments.append(f"q={selection.text.strip()!r}")
    if not selection.latest:
        arguments.append("latest=False")
    for name, values in sorted(selection.facets.items()):
        if name in SEARCH_PARAMETERS:
            raise BadRequest(f"a facet named {name!r} cannot be used in a snippet")
        value = values[0] if len(values) == 1 else list(values)
        if name.isidentifier():
            arguments.append(f"{name}={value!r}")
        else:
            arguments.append(f"**{{{name!r}: {value!r}}}")
    return f"holdings.search({', '.join(arguments)})"


def _readable_search(
    holding: str, selection: Selection, locked: Sequence[DatasetSummary]
) -> list[str]:
    """The selection's datasets as a search finds them, leaving out, and naming in a
    comment, those this user may not read."""
    search = _search_call(holding, selection)
    if not locked:
        return [f"datasets = {search}"]
    groups = sorted({d["access"]["group"] for d in locked if d["access"]["group"]})
    why = f" (access is by the Unix group {', '.join(map(repr, groups))})" if groups else ""
    return [
        f"# {len(locked)} selected datasets you cannot read are left out{why}",
        f"datasets = [d for d in {search} if d.readable]",
    ]


def selection_snippet(
    holding: str,
    selection: Selection,
    datasets: list[DatasetSummary],
    facet_names: list[str],
    pool: PoolReply | None,
    locked: Sequence[DatasetSummary] = (),
) -> str:
    """One cell from the panel's selection to a plot: the selected datasets' files are
    mapped on the pool (one task per file, so a 65-file dataset does not hold up the
    rest), each giving an area-weighted global mean per time step; the cell combines
    them per dataset into annual means and draws one line per model."""
    if not datasets:
        raise NotFound("no dataset matches this selection: nothing to analyse")
    variable = _variable(datasets[0]) or "VARIABLE"
    label = next((f for f in MODEL_FACETS if f in facet_names), None)
    label_code = f"d.facets.get({label!r}, d.id)" if label else "d.id"
    files = sum(d["file_count"] for d in datasets)
    where = f"on engine pool {pool['name']!r}" if pool else "in this kernel"
    mapping = (
        f"parts = pmap(global_mean, items, pool={pool['name']!r})"
        if pool
        else "parts = [global_mean(item) for item in items]  # pick a pool to run in parallel"
    )
    return "\n".join(
        [
            f"# Annual global-mean {variable} of the {len(datasets)} selected datasets "
            f"({files} files) of holding {holding!r}, {where}",
            "import collections",
            "",
            "import matplotlib.pyplot as plt",
            "import xarray as xr",
            "from jupyter_jasmin import holdings, pmap",
            "",
            *_readable_search(holding, selection, locked),
            f"items = [({label_code}, path) for d in datasets for path in d.files]",
            "",
            "",
            f"def global_mean(item, variable={variable!r}):",
            '    """Area-weighted global mean per time step of one file, on an engine."""',
            "    import numpy as np",
            "    import xarray as xr",
            "",
            "    label, path = item",
            "    coder = xr.coders.CFDatetimeCoder(use_cftime=True)",
            "    with xr.open_dataset(path, decode_times=coder) as ds:",
            "        data = ds[variable]",
            "        data = data.where(abs(data) < 1e30)  # undeclared netCDF fill values",
            '        weights = np.cos(np.deg2rad(ds["lat"])).fillna(0)',
            '        return label, data.weighted(weights).mean(["lat", "lon"]).load()',
            "",
            "",
            mapping,
            "series = collections.defaultdict(list)",
            "for label, part in parts:",
            "    series[label].append(part)",
            "fig, ax = plt.subplots(figsize=(9, 5))",
            "annual = {}",
            "for label, pieces in sorted(series.items()):",
            '    whole = xr.concat(pieces, dim="time").sortby("time")',
            '    annual[label] = whole.groupby("time.year").mean()',
            '    level = annual[label].isel(plev=-1) if "plev" in whole.dims else annual[label]',
            "    ax.plot(level.year, level, label=label, linewidth=1)",
            f'title = "Annual global mean of {variable}"',
            'if "plev" in level.coords:',
            '    title += f" at {float(level.plev) / 100:g} hPa"',
            f'ax.set(xlabel="year", ylabel={variable!r}, title=title)',
            'ax.legend(fontsize="x-small", ncol=3)',
            "plt.show()",
        ]
    )

"""An intake-esm catalog of a holding (ESM collection specification 0.1.0).

``catalog.json`` describes the columns and how files aggregate into datasets
and names ``catalog.csv``, one row per file, so that
``intake.open_esm_datastore(url)`` works against the server. The CSV is written
to a file once per index version (see ``cache.CatalogFiles``) and sent from it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from .drs import VARIABLE_FACETS, DrsTemplate

if TYPE_CHECKING:
    from .config import HoldingSpec

EXTRA_COLUMNS = ("dataset_id", "latest", "time_range", "path")


def columns(template: DrsTemplate) -> list[str]:
    return [*template.facets, *EXTRA_COLUMNS]


def variable_column(template: DrsTemplate) -> str:
    return next(name for name in template.facets if name in (*VARIABLE_FACETS, "variable"))


def catalog_json(spec: HoldingSpec, csv_url: str) -> dict[str, Any]:
    template = spec.template
    variable = variable_column(template)
    # intake-esm keys join these with '.', which gives the dataset id for the built-in
    # templates (grouping by one column alone trips pandas, so never use just one)
    groups = list(template.dataset_facets)
    if len(groups) < 2:
        groups.append("dataset_id")
    return {
        "esmcat_version": "0.1.0",
        "id": spec.name,
        "description": spec.description or f"{spec.name}: {template.spec} under {spec.root}",
        "catalog_file": csv_url,
        "attributes": [{"column_name": name, "vocabulary": ""} for name in columns(template)],
        "assets": {"column_name": "path", "format": "netcdf"},
        "aggregation_control": {
            "variable_column_name": variable,
            "groupby_attrs": groups,
            "aggregations": [
                {"type": "union", "attribute_name": variable},
                {
                    "type": "join_existing",
                    "attribute_name": "time_range",
                    "options": {"dim": "time", "coords": "minimal", "compat": "override"},
                },
            ],
        },
    }


def write_csv(stream: IO[str], template: DrsTemplate, rows: Iterable[dict[str, Any]]) -> None:
    """The catalog's rows, written as they come (a big holding has hundreds of thousands).
    ``stream`` is opened with ``newline=""``: the csv module ends its lines itself (CRLF)."""
    writer = csv.DictWriter(stream, fieldnames=columns(template), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)

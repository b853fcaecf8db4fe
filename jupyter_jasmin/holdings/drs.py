"""Data Reference Syntax: how an archive's directory tree names its datasets.

A template is a ``/``-separated list of segments, each a facet in braces
(``{source_id}``) or a literal folder name. The facets up to and including
``{version}`` name a dataset (ESGF style); a facet below the version (CMIP5's
``{variable}``) describes files within it. File names give the variable and
the time range (``tas_Amon_..._185001-200512.nc``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

# The published DRS of each project, relative to a root that holds the project folder.
BUILT_IN = {
    # CMIP6 DRS (Balaji et al. 2018; https://goo.gl/v1drZl): /badc/cmip6/data/CMIP6/...
    "cmip6": "{mip_era}/{activity_id}/{institution_id}/{source_id}/{experiment_id}/"
    "{member_id}/{table_id}/{variable_id}/{grid_label}/{version}",
    # CMIP5 DRS (Taylor et al. 2012): /badc/cmip5/data/cmip5/output1/...
    "cmip5": "{project}/{product}/{institute}/{model}/{experiment}/{time_frequency}/"
    "{realm}/{cmor_table}/{ensemble}/{version}/{variable}",
    # CORDEX archive specification: /badc/cordex/data/cordex/output/...
    "cordex": "{project}/{product}/{domain}/{institute}/{driving_model}/{experiment}/"
    "{ensemble}/{rcm_name}/{rcm_version}/{time_frequency}/{variable}/{version}",
}

NAME = r"[A-Za-z0-9][A-Za-z0-9._+-]*"
FACET_PATTERNS = {
    "version": r"v\d+",
    "member_id": r"(?:[a-z]\d+-)?r\d+i\d+p\d+f\d+",
    "ensemble": r"r\d+i\d+p\d+",
}
VARIABLE_FACETS = ("variable_id", "variable", "short_name")
FILE_SUFFIXES = (".nc", ".nc4")
# Beside the version folders, the facility's archive keeps each dataset's files in
# ``files/dYYYYMMDD/``; the version folders hold links to them (counted there).
FILE_STORE = "files"

# _185001-200512.nc, _18500101-20051231.nc, _1850-2005.nc, _185001011200-..., optional -clim
TIME_RANGE = re.compile(r"_(\d{4}(?:\d{2}){0,5})-(\d{4}(?:\d{2}){0,5})(?:-clim)?\.nc4?$")
FACET_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class TemplateError(ValueError):
    """A template an admin wrote that cannot be used."""


@dataclass(frozen=True)
class Segment:
    facet: str | None
    literal: str | None
    pattern: re.Pattern[str]

    def match(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


@dataclass(frozen=True)
class DrsTemplate:
    """A parsed template: which folder level is which facet, and where datasets are."""

    name: str
    spec: str
    segments: tuple[Segment, ...]

    @classmethod
    def named(cls, drs: str) -> DrsTemplate:
        """A built-in template by name (cmip6, cmip5, cordex) or a custom template string."""
        spec = BUILT_IN.get(drs.lower(), drs)
        name = drs.lower() if drs.lower() in BUILT_IN else "custom"
        parts = [part for part in spec.strip("/").split("/") if part]
        if not parts:
            raise TemplateError("a DRS template needs at least one folder level")
        segments = []
        seen: set[str] = set()
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                facet = part[1:-1]
                if not FACET_NAME.match(facet):
                    raise TemplateError(
                        f"facet name {facet!r} must be lower-case letters, digits, _"
                    )
                if facet in seen:
                    raise TemplateError(f"facet {facet!r} appears twice in {spec!r}")
                seen.add(facet)
                pattern = re.compile(FACET_PATTERNS.get(facet, NAME))
                segments.append(Segment(facet, None, pattern))
            elif "{" in part or "}" in part:
                raise TemplateError(f"segment {part!r}: a facet must fill a whole folder level")
            else:
                segments.append(Segment(None, part, re.compile(re.escape(part))))
        if not seen:
            raise TemplateError(f"template {spec!r} names no facet")
        return cls(name, "/".join(parts), tuple(segments))

    @cached_property
    def depth(self) -> int:
        """Folder levels below the root down to the folders that hold files."""
        return len(self.segments)

    @cached_property
    def dataset_depth(self) -> int:
        """Folder levels that name a dataset: up to the version, else all of them."""
        for index, segment in enumerate(self.segments):
            if segment.facet == "version":
                return index + 1
        return self.depth

    @cached_property
    def facets(self) -> tuple[str, ...]:
        """Facet names in template order, plus ``variable`` from file names if no level has it."""
        names = tuple(s.facet for s in self.segments if s.facet)
        if not any(name in VARIABLE_FACETS for name in names):
            names += ("variable",)
        return names

    @cached_property
    def dataset_facets(self) -> tuple[str, ...]:
        return tuple(s.facet for s in self.segments[: self.dataset_depth] if s.facet)

    @cached_property
    def file_facets(self) -> tuple[str, ...]:
        """Facets that vary within a dataset (below the version, or from file names)."""
        return tuple(name for name in self.facets if name not in self.dataset_facets)

    @cached_property
    def _facet_positions(self) -> tuple[tuple[int, str], ...]:
        return tuple((i, s.facet) for i, s in enumerate(self.segments) if s.facet)

    @cached_property
    def _master_positions(self) -> tuple[int, ...]:
        return tuple(
            i for i, s in enumerate(self.segments[: self.dataset_depth]) if s.facet != "version"
        )

    @cached_property
    def _version_position(self) -> int | None:
        found = [i for i, s in enumerate(self.segments) if s.facet == "version"]
        return found[0] if found else None

    def facet_values(self, parts: list[str] | tuple[str, ...]) -> dict[str, str]:
        return {facet: parts[i] for i, facet in self._facet_positions if i < len(parts)}

    def dataset_id(self, parts: list[str] | tuple[str, ...]) -> str:
        return ".".join(parts[: self.dataset_depth])

    def master_id(self, parts: list[str] | tuple[str, ...]) -> str:
        """The dataset id without its version: what all versions of a dataset share."""
        return ".".join(parts[i] for i in self._master_positions if i < len(parts))

    def version(self, parts: list[str] | tuple[str, ...]) -> str | None:
        position = self._version_position
        return parts[position] if position is not None and position < len(parts) else None


def is_data_file(name: str) -> bool:
    return name.endswith(FILE_SUFFIXES) and not name.startswith(".")


def file_variable(name: str) -> str:
    """The variable a CMOR-style file name starts with (``tas_Amon_...`` gives ``tas``)."""
    return name.split("_", 1)[0].split(".", 1)[0]


def _iso(stamp: str) -> str:
    """``185001`` -> ``1850-01``; ``20000101`` -> ``2000-01-01``; hours and minutes too."""
    if len(stamp) == 6:  # by far the most common: monthly files
        return f"{stamp[:4]}-{stamp[4:]}"
    pieces = [stamp[:4]] + [stamp[i : i + 2] for i in range(4, len(stamp), 2)]
    date = "-".join(pieces[:3])
    clock = ":".join(pieces[3:])
    return f"{date}T{clock}" if clock else date


def time_range(name: str) -> tuple[str, str] | None:
    """The (start, end) a file name declares, in ISO form, or None."""
    found = TIME_RANGE.search(name)
    if not found:
        return None
    return _iso(found.group(1)), _iso(found.group(2))

"""The JSON shapes of holdings in REST replies (``openapi.yaml``'s ``Holding``,
``FacetCounts``, ``DatasetPage``...), as types, so mypy holds the code that builds
them to the contract."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

HoldingState = Literal["missing", "indexing", "ready", "failed"]


class UnmatchedPath(TypedDict):
    path: str
    reason: str


class RefreshProgress(TypedDict):
    started: str
    folders: NotRequired[int]
    files: NotRequired[int]
    seconds: NotRequired[float]


class IndexFacts(TypedDict):
    """What a built index tells of a holding."""

    files: int | None
    datasets: int | None
    unmatched: int | None
    unmatched_paths: list[UnmatchedPath]
    last_refresh: str | None
    refresh_seconds: float | None


class HoldingReply(IndexFacts):
    name: str
    description: str
    root: str
    drs: str
    template: str
    facets: list[str]
    state: HoldingState
    error: str | None
    refresh: RefreshProgress | None


class FacetValueCount(TypedDict):
    value: str
    count: int
    selected: bool


class FacetCounts(TypedDict):
    total: int
    facets: dict[str, list[FacetValueCount]]


class DatasetAccess(TypedDict):
    """Whether this server's user may read a dataset; if not, why, and the Unix group
    that would grant access (None when no group would)."""

    readable: bool
    group: str | None
    reason: str | None


class IndexedDataset(TypedDict):
    """A dataset as the index (shared by every user) describes it."""

    id: str
    path: str
    version: str | None
    latest: bool
    file_count: int
    size: int
    start: str | None
    end: str | None
    facets: dict[str, str | list[str]]


class DatasetSummary(IndexedDataset):
    """A dataset as a listing shows it to this server's user."""

    access: DatasetAccess


class IndexedPage(TypedDict):
    total: int
    offset: int
    limit: int
    datasets: list[IndexedDataset]


class DatasetPage(TypedDict):
    total: int
    offset: int
    limit: int
    datasets: list[DatasetSummary]


class IndexedFile(TypedDict):
    """A file as the index knows it, relative to the holding's root."""

    path: str
    name: str
    size: int
    start: str | None
    end: str | None


class DatasetFile(IndexedFile):
    absolute_path: str


class DatasetVersion(TypedDict):
    id: str
    version: str | None
    latest: bool
    files: int
    size: int


class DatasetReply(DatasetSummary):
    files: list[DatasetFile]
    versions: list[DatasetVersion]
    index_built: str


class Coordinate(TypedDict):
    name: str
    dims: list[str]
    size: int
    dtype: str
    units: Any
    calendar: Any
    min: NotRequired[Any]
    max: NotRequired[Any]


class Variable(TypedDict):
    name: str
    dims: list[str]
    shape: list[int]
    dtype: str
    units: Any
    long_name: Any
    standard_name: Any
    bounds: bool


class DatasetMetadata(TypedDict):
    id: str
    dimensions: dict[str, int]
    coordinates: list[Coordinate]
    variables: list[Variable]
    attributes: dict[str, Any]
    files_read: int

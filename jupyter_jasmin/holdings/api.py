"""The holdings from a notebook or a script: search a holding's index and open a dataset
as one xarray Dataset, without a server round trip.

The index is read directly, read-only, with the same query code the server's REST
routes use, so a search here counts what the panel counts. Opening masks the netCDF
default fill value that many CMIP files hold without declaring it (as the quick-looks
do) and records the dataset for :func:`jupyter_jasmin.citations`.

An index may list datasets this user cannot read (an admin's shared index; access by Unix
group per collection): a search finds them, marked (``dataset.readable``,
``dataset.access``), and ``dataset()``, ``open()`` and ``files`` refuse them with
:class:`~jupyter_jasmin.errors.Forbidden`, naming the group that grants access.
"""

from __future__ import annotations

import difflib
import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound
from .access import FolderAccess, Verdict
from .manager import Holding, inside
from .query import IndexReader, Selection
from .shapes import DatasetAccess, IndexedDataset

# From this many files on, a dataset is opened through its virtual reference (refs.py)
# unless told otherwise: benchmarks/open_refs.py measured a cached reference open as fast
# as reading 2 or 3 files' headers, 1.7-1.9x faster from 4 files, 4x at 13, 17x at 65
REFERENCES_FROM_FILES = 4
# Above this many datasets an unknown id is not compared with every known one
CLOSE_MATCHES_UP_TO = 200_000
EVERY_DATASET = 2**62  # a page size no holding reaches


# Holdings opened in this process, so their indexes are loaded once (and again only
# when the file is replaced): keyed by what the holding is and where its index is
_opened: dict[tuple[str, str, str, str], Holding] = {}
_opening = threading.Lock()


def _holding(name: str, index_dir: str | None) -> Holding:
    """The configured holding called ``name``, or NotFound naming the configured ones."""
    from .config import configured_holdings

    specs, folder = configured_holdings(index_dir)
    for spec in specs:
        if spec.name == name:
            with _opening:
                key = (spec.name, spec.root, spec.drs, folder)
                if key not in _opened:
                    _opened[key] = Holding(spec, folder)
                return _opened[key]
    known = ", ".join(repr(spec.name) for spec in specs) or "none"
    raise NotFound(f"no holding named {name!r}; the configured holdings are {known}")


@dataclass(frozen=True)
class Dataset:
    """One dataset of a holding, as its index describes it."""

    holding: str
    id: str
    version: str | None
    latest: bool
    facets: dict[str, str | list[str]]
    root: str = field(repr=False)
    path: str = field(repr=False)  # the dataset's folder, relative to the root
    reader: IndexReader = field(repr=False, compare=False)
    index_dir: str = field(repr=False, compare=False)  # where references are kept
    checker: FolderAccess = field(repr=False, compare=False)

    @classmethod
    def from_summary(
        cls, holding: Holding, reader: IndexReader, summary: IndexedDataset
    ) -> Dataset:
        return cls(
            holding.spec.name,
            summary["id"],
            summary["version"],
            summary["latest"],
            summary["facets"],
            holding.spec.root,
            summary["path"],
            reader,
            holding.index_dir,
            holding.access,
        )

    @functools.cached_property
    def _verdict(self) -> Verdict:
        return self.checker.of(self.path)

    @property
    def readable(self) -> bool:
        """Whether this user may read the dataset's files."""
        return self._verdict.readable

    @property
    def access(self) -> DatasetAccess:
        """``readable``, and if not, the ``reason`` and the Unix ``group`` that grants
        access (as the REST listings give them)."""
        return self._verdict.reply()

    @functools.cached_property
    def files(self) -> list[str]:
        """The real paths of the dataset's files, each checked to lie inside the root
        (noted for ``citations()``: a ``pmap`` over them records the dataset);
        Forbidden, saying why, if this user may not read them."""
        from ..provenance import note_files

        self.checker.check(self.id, self.path)
        files = [inside(self.root, entry["path"]) for entry in self.reader.files(self.path)]
        note_files(self.holding, self.id, self.version, files)
        return files

    def __getstate__(self) -> dict[str, Any]:
        """What an engine gets (``pmap`` over datasets): the dataset with its files
        listed, without the index reader (its lock and connections stay here)."""
        return {
            **self.__dict__,
            "files": self.files,
            "_verdict": self._verdict,
            "reader": None,
            "checker": None,
        }

    def open(self, references: bool | None = None, **xarray_kwargs: Any) -> Any:
        """The dataset's files as one ``xarray.Dataset`` (``open_mfdataset`` options may
        be passed), the undeclared fill value masked; recorded for ``citations()``.

        A dataset of several files opens through its virtual reference (built on first
        open, kept beside the index) where one can be built and no ``open_mfdataset``
        options are given; ``references=False`` always reads the files' headers, and
        ``references=True`` insists on a reference (``CannotReference`` if there is none)."""
        from . import inspect

        if not self.files:
            raise NotFound(f"dataset {self.id!r} has no files")
        dataset = None
        if references or (
            references is None and len(self.files) >= REFERENCES_FROM_FILES and not xarray_kwargs
        ):
            dataset = self._open_by_reference(required=bool(references), options=xarray_kwargs)
        if dataset is None:
            dataset = self._open_files(xarray_kwargs)
        for name in list(dataset.data_vars):
            dataset[name] = inspect.mask_fill(dataset[name])
        return dataset

    def _open_files(self, xarray_kwargs: dict[str, Any]) -> Any:
        """The files opened by xarray, each header read (tracking ids noted on the way)."""
        from ..provenance import record
        from . import inspect

        tracking: dict[str, str] = {}
        options = {
            **xarray_kwargs,
            "preprocess": _noting(tracking, xarray_kwargs.get("preprocess")),
        }
        dataset = inspect.open_files(self.files, self.files, **options)
        if len(self.files) == 1:  # open_dataset has no preprocess step: run it here
            dataset = options["preprocess"](dataset)
        record(self.holding, self.id, self.version, [tracking.get(f) for f in self.files])
        return dataset

    def _open_by_reference(self, required: bool, options: dict[str, Any]) -> Any:
        """The dataset opened through its reference; None (or, if ``required``,
        CannotReference) where there can be none."""
        from ..provenance import record
        from . import refs

        try:
            if options:
                raise refs.CannotReference(
                    f"open_mfdataset options ({', '.join(sorted(options))}) need the files "
                    "opened: pass references=False"
                )
            reference = refs.reference_for(
                self.index_dir, self.holding, self.id, self.version, self.root, self.files
            )
            dataset = refs.open_reference(reference, self.files)
        except refs.CannotReference:
            if required:
                raise
            return None
        record(self.holding, self.id, self.version, reference.tracking_ids)
        return dataset


def _noting(tracking: dict[str, str], then: Any) -> Any:
    """An ``open_mfdataset`` preprocess that notes each file's ``tracking_id`` (read from
    the header xarray reads anyway) before the caller's own preprocess, if any."""

    def preprocess(dataset: Any) -> Any:
        source = dataset.encoding.get("source")
        if source and "tracking_id" in dataset.attrs:
            tracking[source] = str(dataset.attrs["tracking_id"])
        return then(dataset) if then is not None else dataset

    return preprocess


class SearchResult(Sequence[Dataset]):
    """The datasets a search found, in the index's order."""

    def __init__(self, datasets: list[Dataset]) -> None:
        self._datasets = datasets

    def __getitem__(self, index: Any) -> Any:
        return self._datasets[index]

    def __len__(self) -> int:
        return len(self._datasets)

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._datasets)

    @property
    def ids(self) -> list[str]:
        return [dataset.id for dataset in self._datasets]

    def __repr__(self) -> str:
        shown = "\n".join(f"  {d.id}{_lock(d)}" for d in self._datasets[:20])
        more = f"\n  … {len(self) - 20} more" if len(self) > 20 else ""
        return f"{len(self)} datasets\n{shown}{more}"


def _lock(dataset: Dataset) -> str:
    if dataset.readable:
        return ""
    group = dataset.access["group"]
    return f"  (locked: Unix group {group!r})" if group else "  (locked)"


def search(
    holding: str,
    q: str | None = None,
    latest: bool = True,
    *,
    index_dir: str | None = None,
    **facets: str | Sequence[str],
) -> SearchResult:
    """Datasets of ``holding`` whose facets have the given values (several values of one
    facet: any of them) and whose names contain every word of ``q``; only the latest
    version of each unless ``latest=False``. ``index_dir`` overrides the configured one.
    Datasets this user cannot read are found too, with ``readable`` False."""
    found = _holding(holding, index_dir)
    reader = found.open()
    chosen = {
        name: (values,) if isinstance(values, str) else tuple(map(str, values))
        for name, values in facets.items()
    }
    selection = Selection(facets=chosen, text=q or "", latest=latest)
    page = reader.page(selection, 0, EVERY_DATASET)  # one snapshot selects and lists
    return SearchResult([Dataset.from_summary(found, reader, s) for s in page["datasets"]])


def dataset(holding: str, dataset_id: str, *, index_dir: str | None = None) -> Dataset:
    """One dataset of ``holding`` by its id; NotFound suggests ids close to it, and
    Forbidden says why this user may not read it."""
    found = _holding(holding, index_dir)
    reader = found.open()
    try:
        summary = reader.dataset(dataset_id).summary
    except NotFound:
        raise NotFound(_unknown_dataset(reader, holding, dataset_id)) from None
    found.access.check(dataset_id, summary["path"])
    return Dataset.from_summary(found, reader, summary)


def _unknown_dataset(reader: IndexReader, holding: str, dataset_id: str) -> str:
    size = reader.snapshot.size
    message = f"no dataset {dataset_id!r} in holding {holding!r} ({size} datasets)"
    if size <= CLOSE_MATCHES_UP_TO:
        ids = [row.dataset_id for row in reader.rows()]
        close = difflib.get_close_matches(dataset_id, ids, n=3, cutoff=0.8)
        if close:
            message += "; did you mean " + " or ".join(map(repr, close)) + "?"
    return message + f" holdings.search({holding!r}, ...) lists them"


def open(  # the notebook API's verb, as in xarray.open_dataset
    holding: str,
    dataset_id: str,
    *,
    index_dir: str | None = None,
    references: bool | None = None,
    **xarray_kwargs: Any,
) -> Any:
    """The dataset ``dataset_id`` of ``holding`` as one ``xarray.Dataset``: see
    :meth:`Dataset.open`."""
    found = dataset(holding, dataset_id, index_dir=index_dir)
    return found.open(references=references, **xarray_kwargs)

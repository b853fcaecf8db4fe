"""``pmap`` (exported as ``jupyter_jasmin.pmap``): a function over items on an engine pool,
with the results a serial loop would give."""

from __future__ import annotations

import concurrent.futures
import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import pools, provenance

if TYPE_CHECKING:
    import ipyparallel

__all__ = ["Failure", "ItemError", "pmap"]

_PENDING = object()
WATCH_SECONDS = 1.0  # how often a waiting map checks that its pool still exists
FIRST_COMPLETED = concurrent.futures.FIRST_COMPLETED
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours the engines' tracebacks


@dataclass(frozen=True)
class Failure:
    """In place of the result of an item whose call raised (``errors="collect"``)."""

    index: int
    item: Any
    error: str  # "ValueError: the message"
    traceback: str  # the engine's traceback

    def __repr__(self) -> str:
        return f"Failure(index={self.index}, item={self.item!r}, error={self.error!r})"


class ItemError(Exception):
    """An item's call raised on an engine (``errors="raise"``)."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(
            f"item {failure.index} ({_short(failure.item)}) failed: {failure.error}\n"
            f"{failure.traceback}"
        )


def pmap(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    pool: str | pools.Pool | ipyparallel.Client | None = None,
    progress: bool = True,
    errors: Literal["raise", "collect"] = "raise",
    retries: int = 3,
    profile_dir: str | os.PathLike[str] | None = None,
) -> list[Any]:
    """``[func(item) for item in items]``, each call a task on the pool's engines.

    - ``pool``: a pool's name or id, a :class:`~jupyter_jasmin.pools.Pool`, or a
      connected ``ipyparallel.Client``; by default the only running pool.
    - Tasks are load-balanced (one per item, sent to whichever engine is free, so a
      pool scaled up during the map takes its share); results come back in input order.
    - ``progress``: a tqdm progress bar (notebook or terminal).
    - ``errors="raise"``: the first failing item in input order raises
      :class:`ItemError` (with its index, the item and the engine's traceback) once the
      items before it are done, as a serial loop would; the tasks not yet run are
      aborted. ``errors="collect"``: every other result is kept, each failing item's
      result is a :class:`Failure`, and a warning sums them up.
    - Items that are datasets of :mod:`jupyter_jasmin.holdings`, or files of one
      (``holdings.dataset(...).files``), are recorded for
      :func:`jupyter_jasmin.citations`.
    - An engine lost during the map (killed, stopped by scaling down, its batch job
      at walltime) fails its unfinished tasks with ipyparallel's ``EngineError``
      once the controller notices (a few heartbeats); those tasks are sent again to
      the remaining engines, up to ``retries`` times per item. The map waits for an
      engine as long as the pool has none.

    ``func`` must be picklable for ipyparallel: defined in the notebook (``__main__``)
    or in a module the engines can import.
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    items = [*items]
    used = provenance.mapped(items)  # a dict lookup per item
    client, owned, found = _client(pool, profile_dir)
    try:
        used.record()  # datasets of the holdings API, for citations()
        results = _run(client, func, items, progress, errors, retries, _watch(found))
    finally:
        if owned:
            client.close()
    failures = [r for r in results if isinstance(r, Failure)]
    if failures:
        first = failures[0]
        warnings.warn(
            f"pmap: {len(failures)} of {len(items)} items failed "
            f"(first: item {first.index}: {first.error})",
            stacklevel=2,
        )
    return results


def _client(
    pool: str | pools.Pool | ipyparallel.Client | None, profile_dir: str | os.PathLike[str] | None
) -> tuple[ipyparallel.Client, bool, pools.Pool | None]:
    """The client to map with, whether this map connected it (and so closes it), and
    the pool's record if the pool was named."""
    if pool is None:
        found = pools.running(profile_dir)
    elif isinstance(pool, str):
        found = pools.get(pool, profile_dir)
    elif isinstance(pool, pools.Pool):
        found = pool
    else:
        return pool, False, None
    return pools.connect(found, profile_dir=found.profile_dir or profile_dir), True, found


def _watch(pool: pools.Pool | None) -> Callable[[], str | None]:
    """A check, made while the map waits, of whether its pool still exists: the reason
    it does not, or None. A stopped pool's controller is gone, and its queued tasks
    would otherwise wait forever."""

    def check() -> str | None:
        if pool is None:
            return None
        now = [p for p in pools.list(pool.profile_dir or None) if p.id == pool.id]
        if not now:
            return f"engine pool {pool.name!r} ({pool.id}) was stopped during the map"
        if now[0].ended:
            return f"engine pool {pool.name!r} ({pool.id}) ended during the map (its server died)"
        return None

    return check


def _run(
    client: ipyparallel.Client,
    func: Callable[[Any], Any],
    items: list[Any],
    progress: bool,
    errors: str,
    retries: int,
    gone: Callable[[], str | None],
) -> list[Any]:
    from tqdm.auto import tqdm

    view = client.load_balanced_view()
    results: list[Any] = [_PENDING] * len(items)
    tries = [0] * len(items)
    running = {view.apply_async(func, item): index for index, item in enumerate(items)}
    settled = 0  # results[:settled] are in, and none failed
    with tqdm(total=len(items), disable=not progress, desc="pmap") as bar:
        try:
            while running:
                done, _ = concurrent.futures.wait(
                    [*running], timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED
                )
                if not done and (reason := gone()):
                    finished = sum(r is not _PENDING for r in results)
                    raise pools.PoolError(
                        f"{reason}: {finished} of {len(items)} items were done; "
                        "start a pool and run the map again"
                    )
                for task in done:
                    index = running.pop(task)
                    outcome = _outcome(task, index, items[index])
                    if isinstance(outcome, Failure) and _lost(task) and tries[index] < retries:
                        tries[index] += 1
                        running[view.apply_async(func, items[index])] = index
                        continue
                    results[index] = outcome
                    bar.update(1)
                if errors == "raise":
                    settled = _settle(results, settled)
        finally:
            if running:  # an error, or an interrupt: leave the engines free
                _abort(client, [*running])
    return results


def _settle(results: list[Any], start: int) -> int:
    """How far from ``start`` the results are in; raises the first failure in input
    order once every item before it is in (the error a serial loop would raise)."""
    while start < len(results) and results[start] is not _PENDING:
        if isinstance(results[start], Failure):
            raise ItemError(results[start])
        start += 1
    return start


def _outcome(task: Any, index: int, item: Any) -> Any:
    """The task's result, or a :class:`Failure` saying how it failed."""
    try:
        return task.get()
    except Exception as error:
        ename = getattr(error, "ename", type(error).__name__)
        evalue = getattr(error, "evalue", str(error))
        remote = getattr(error, "traceback", None)
        trace = "\n".join(remote) if isinstance(remote, list) else str(remote or "")
        return Failure(index, item, f"{ename}: {evalue}", _ANSI.sub("", trace))


def _lost(task: Any) -> bool:
    """Whether the task failed because its engine went away, not because of its item."""
    from ipyparallel import error

    failure = task.exception()
    return isinstance(failure, error.EngineError) or (
        isinstance(failure, error.RemoteError) and failure.ename == "EngineError"
    )


def _abort(client: ipyparallel.Client, tasks: list[Any]) -> None:
    try:
        client.abort([msg_id for task in tasks for msg_id in task.msg_ids])
    except Exception as error:  # the map's own error matters more than this one
        warnings.warn(f"pmap: could not abort {len(tasks)} tasks: {error}", stacklevel=3)


def _short(item: Any, width: int = 80) -> str:
    text = repr(item)
    return text if len(text) <= width else text[: width - 3] + "..."

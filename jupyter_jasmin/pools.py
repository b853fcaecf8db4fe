"""The user's engine pools, seen from a notebook kernel or a script on the server's host.

A pool is found from the record the server keeps in the profile folder
(``<profile>/jasmin/pool-<id>.json``) and the ipyparallel connection file it names,
so no server URL or token is needed. Importing this module pulls in nothing of the
server (no tornado, no jupyter_server): ipyparallel is imported only to connect.
:func:`start` and :func:`stop` go through the server's REST API (a URL and a token), so
the JASMIN panel shows the pools started from code. In a kernel the server started,
they find that server from the ``JASMIN_SERVER_URL`` and ``JASMIN_SERVER_TOKEN``
variables it exports; elsewhere pass ``url=`` and ``token=``.

The profile folder is, in order: the ``profile_dir`` argument, the
``JASMIN_PROFILE_DIR`` environment variable, or ``$IPYTHONDIR/profile_jasmin`` (the
server's default for ``c.Jasmin.profile_dir``).
"""

from __future__ import annotations

import builtins
import json
import os
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import distributed
    import ipyparallel

PROFILE_ENV = "JASMIN_PROFILE_DIR"
SERVER_URL_ENV = "JASMIN_SERVER_URL"
SERVER_TOKEN_ENV = "JASMIN_SERVER_TOKEN"  # noqa: S105 (a variable's name)
# the packages whose versions must agree between a caller and the engines it maps on
CHECKED_PACKAGES = ("numpy", "xarray", "netCDF4", "ipyparallel", "dask")

__all__ = [
    "CHECKED_PACKAGES",
    "Pool",
    "PoolError",
    "PoolNotFound",
    "connect",
    "dask_client",
    "get",
    "list",
    "start",
    "stop",
    "stop_dask",
]


class PoolNotFound(LookupError):
    """No pool of that name or id (or no single running pool to choose by default)."""


class PoolError(RuntimeError):
    """The server refused or failed a pool's start or stop; the message says why."""


@dataclass(frozen=True)
class Pool:
    """What the server's record says of one pool (not its live state: ask the REST API)."""

    id: str
    name: str
    backend: str
    engines: int  # engines requested, over all its parts
    connection_file: str
    created: float
    options: dict[str, Any] = field(default_factory=dict)
    ended: bool = False  # its server died and what was left of it was stopped
    profile_dir: str = ""

    @property
    def connectable(self) -> bool:
        """Whether a client can connect: not ended, and its connection file is there."""
        return (
            not self.ended and bool(self.connection_file) and os.path.isfile(self.connection_file)
        )

    def connect(self, timeout: float = 120) -> ipyparallel.Client:
        return connect(self, timeout=timeout)

    def dask(self, timeout: float = 120) -> distributed.Client:
        return dask_client(self, timeout=timeout)

    def stop_dask(self, timeout: float = 120) -> None:
        stop_dask(self, timeout=timeout)


def profile_folder(profile_dir: str | os.PathLike[str] | None = None) -> str:
    """The server's profile folder (see the module docstring)."""
    if profile_dir is not None:
        return os.path.abspath(profile_dir)
    if os.environ.get(PROFILE_ENV):
        return os.path.abspath(os.environ[PROFILE_ENV])
    from IPython.paths import get_ipython_dir  # what the server uses for its default

    return os.path.join(get_ipython_dir(), "profile_jasmin")


def list(profile_dir: str | os.PathLike[str] | None = None) -> builtins.list[Pool]:
    """The pools the server's records describe, oldest first (ended ones included)."""
    from .clusters.state import records

    folder = profile_folder(profile_dir)
    pools = [_pool(record, folder) for record in records(folder)]
    return sorted(pools, key=lambda pool: (pool.created, pool.id))


def get(name_or_id: str, profile_dir: str | os.PathLike[str] | None = None) -> Pool:
    """One pool by name or id; a name of an ended pool loses to a live one of that name."""
    pools = list(profile_dir)
    found = [p for p in pools if p.id == name_or_id] or sorted(
        (p for p in pools if p.name == name_or_id), key=lambda p: (not p.ended, p.created)
    )
    if not found:
        raise PoolNotFound(
            f"no engine pool {name_or_id!r} in {profile_folder(profile_dir)}; "
            f"there are: {_described(pools)}"
        )
    return found[-1]


def running(profile_dir: str | os.PathLike[str] | None = None) -> Pool:
    """The only pool a client can connect to, or a clear error."""
    pools = list(profile_dir)
    live = [p for p in pools if p.connectable]
    if len(live) != 1:
        what = "no engine pool is running" if not live else "several engine pools run"
        raise PoolNotFound(
            f"{what} in {profile_folder(profile_dir)} (there are: {_described(pools)}); "
            "pass the pool's name or id"
        )
    return live[0]


def connect(
    pool: str | Pool, timeout: float = 120, profile_dir: str | os.PathLike[str] | None = None
) -> ipyparallel.Client:
    """An ipyparallel client of the pool (a name, an id or a :class:`Pool`), once its
    engines have registered (the first within ``timeout`` seconds, then the others for as
    long as more keep coming: a load-balanced map gives late ones their share). Warns
    when the engines run another Python or other versions of :data:`CHECKED_PACKAGES`
    than this process."""
    import ipyparallel as ipp

    found = pool if isinstance(pool, Pool) else get(pool, profile_dir)
    if not found.connectable:
        why = "ended" if found.ended else "not running (no connection file)"
        raise PoolNotFound(f"engine pool {found.name!r} ({found.id}) is {why}")
    client = ipp.Client(found.connection_file)
    try:
        _wait_for_engines(client, found, timeout)
        _warn_of_mismatches(client, found)
    except BaseException:
        client.close()
        raise
    return client


def dask_client(
    pool: str | Pool, timeout: float = 120, profile_dir: str | os.PathLike[str] | None = None
) -> distributed.Client:
    """A ``dask.distributed`` client of a cluster made of the pool's engines (ipyparallel's
    ``become_dask``: the scheduler runs in the pool's controller, a worker in each
    engine), once every engine's worker has joined. Workers get one thread each, since
    netCDF4 reads from several threads crash. Calling it again gives a client of the same
    cluster; :func:`stop_dask` ends it, and the engines keep serving ipyparallel."""
    client = connect(pool, timeout=timeout, profile_dir=profile_dir)
    try:
        client[:].apply_sync(_forget_stopped_worker)
        dask: distributed.Client = client.become_dask(nthreads=1)
        try:
            dask.wait_for_workers(len(client.ids), timeout=timeout)
        except BaseException:
            dask.close()  # type: ignore[no-untyped-call]
            raise
    finally:
        client.close()
    return dask


def stop_dask(
    pool: str | Pool, timeout: float = 120, profile_dir: str | os.PathLike[str] | None = None
) -> None:
    """End the Dask cluster :func:`dask_client` made of the pool's engines (its scheduler
    and workers); the engines stay, for ipyparallel. Close the Dask clients first."""
    import distributed

    client = connect(pool, timeout=timeout, profile_dir=profile_dir)
    try:
        # ipyparallel's stop_dask alone leaves both running (it neither awaits the
        # scheduler's close nor finds the worker's terminate of recent distributed), so
        # the scheduler is told to shut down first, which closes its workers
        for address in set(client[:].apply_sync(_scheduler_address)) - {None}:
            # not the default client: it must not touch the caller's dask settings
            with distributed.Client(address, timeout=timeout, set_as_default=False) as dask:  # type: ignore[no-untyped-call]
                dask.shutdown()
        client.stop_dask()  # ipyparallel's bookkeeping: a next dask_client starts anew
    finally:
        client.close()


def _scheduler_address() -> str | None:
    """Runs on an engine: the address of the scheduler its Dask worker serves, if any."""
    from IPython import get_ipython

    worker = getattr(get_ipython().kernel, "distributed_worker", None)
    return None if worker is None else str(worker.scheduler.address)


def _forget_stopped_worker() -> None:
    """Runs on an engine: ipyparallel's ``become_dask`` skips an engine whose kernel has a
    ``dask_worker`` but records its worker as ``distributed_worker`` (and ``stop_dask``
    clears only that), so a second call would start a second worker on each engine.
    Aligning the two makes ``dask_client`` callable again, after a stop or not."""
    from IPython import get_ipython

    kernel = get_ipython().kernel
    kernel.dask_worker = getattr(kernel, "distributed_worker", None)


def _wait_for_engines(
    client: ipyparallel.Client, pool: Pool, timeout: float, settle: float = 5
) -> None:
    """Wait for the pool's engines: the first within ``timeout``, then the others it
    requested for as long as more keep registering (a lost engine never does, and
    the record cannot say which are lost)."""
    try:
        client.wait_for_engines(1, timeout=timeout)
    except TimeoutError:
        raise TimeoutError(
            f"no engine of pool {pool.name!r} registered within {timeout} s"
        ) from None
    deadline = time.monotonic() + timeout
    seen, changed = len(client.ids), time.monotonic()
    while seen < pool.engines and time.monotonic() < min(deadline, changed + settle):
        time.sleep(0.1)
        if len(client.ids) != seen:
            seen, changed = len(client.ids), time.monotonic()
    if seen < pool.engines:
        warnings.warn(
            f"pool {pool.name!r}: {seen} of its {pool.engines} engines are up", stacklevel=3
        )


def versions() -> dict[str, str | None]:
    """This Python's major.minor and the versions of :data:`CHECKED_PACKAGES` (None: absent).
    Runs on the engines too."""
    import platform
    from importlib import metadata

    found: dict[str, str | None] = {"Python": ".".join(platform.python_version_tuple()[:2])}
    for package in CHECKED_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def local_versions() -> dict[str, str | None]:
    """The caller's versions (a function of its own so tests can pretend another)."""
    return versions()


def _warn_of_mismatches(client: ipyparallel.Client, pool: Pool, timeout: float = 30) -> None:
    mine = local_versions()
    asked = client[:].apply_async(versions)
    # a pool stopped meanwhile never answers: the caller's own work says so, not a hang
    if not asked.wait(timeout):
        warnings.warn(
            f"pool {pool.name!r}: the engines did not say their versions within {timeout} s",
            stacklevel=3,
        )
        return
    theirs = asked.get()
    for package, version in mine.items():
        others = sorted({str(found.get(package)) for found in theirs} - {str(version)})
        if others:
            warnings.warn(
                f"pool {pool.name!r}: {package} {', '.join(others)} on the engines, {version} here",
                stacklevel=3,
            )


def _pool(record: dict[str, Any], folder: str) -> Pool:
    parts = record.get("parts") or []
    requested = int(record.get("engines", 0)) + sum(int(p.get("requested", 0)) for p in parts)
    return Pool(
        id=record["id"],
        name=str(record.get("name") or record["id"]),
        backend=str(record.get("backend", "local")),
        engines=requested,
        connection_file=str(record.get("connection_file") or ""),
        created=float(record.get("created", 0)),
        options=dict(record.get("options") or {}),
        ended="ended" in record,
        profile_dir=folder,
    )


def _described(pools: builtins.list[Pool]) -> str:
    if not pools:
        return "none"
    return ", ".join(f"{p.name!r} ({p.id}{', ended' if p.ended else ''})" for p in pools)


def start(
    name: str | None = None,
    engines: int | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    backend: str | None = None,
    options: dict[str, Any] | None = None,
    timeout: float = 300,
) -> Pool:
    """Start a pool through the server's REST API (so the panel shows it), and return it
    once it runs: ``pools.start("analysis", 4)`` in a kernel the server started, or
    ``pools.start("analysis", 4, url="http://localhost:8888/", token=...)`` elsewhere.
    Unset arguments take the server's defaults. Raises :class:`PoolError` when the server
    refuses the pool or it fails to start, and ``PermissionError`` for a wrong token."""
    url, token = _server(url, token)
    wanted = {"name": name, "engines": engines, "backend": backend, "options": options}
    pool = _rest("POST", url, token, "clusters", {k: v for k, v in wanted.items() if v is not None})
    deadline = time.monotonic() + timeout
    while pool["state"] == "starting" and time.monotonic() < deadline:
        time.sleep(0.25)
        pool = _rest("GET", url, token, f"clusters/{pool['id']}")
    if pool["state"] not in ("running", "degraded"):
        raise PoolError(
            f"engine pool {pool['name']!r} ({pool['id']}) is {pool['state']} after "
            f"{timeout} s: {pool.get('error') or 'still starting'}"
        )
    return Pool(
        id=pool["id"],
        name=pool["name"],
        backend=pool["backend"],
        engines=int(pool["engines"]["requested"]),
        connection_file=pool["connection_file"] or "",
        created=datetime.fromisoformat(pool["created"]).timestamp(),
        options=dict(pool["options"]),
    )


def stop(name_or_id: str, *, url: str | None = None, token: str | None = None) -> None:
    """Stop a pool (or dismiss an ended one) through the server's REST API; returns once
    its controller and engines are gone."""
    url, token = _server(url, token)
    _rest("DELETE", url, token, f"clusters/{_pool_at(name_or_id, url, token)}")


def adapt(
    name_or_id: str,
    minimum: int | None = None,
    maximum: int | None = None,
    *,
    wait_seconds: float | None = None,
    url: str | None = None,
    token: str | None = None,
) -> dict[str, Any] | None:
    """Have a pool follow its queue: engines added while tasks wait, up to ``maximum``, and
    spare ones stopped after ``wait_seconds`` (30 unless given) without work for them, down to
    ``minimum`` (``pools.adapt("analysis", 1, 8)``). Without a range the pool stops adapting
    and keeps the engines it has. Returns the pool's range as the server now has it (None
    when not adapting); :class:`PoolError` with the server's words when refused."""
    url, token = _server(url, token)
    if minimum is None and maximum is None:
        wanted: dict[str, Any] | None = None
    else:
        wanted = {"minimum": minimum, "maximum": maximum}
        if wait_seconds is not None:
            wanted["wait_seconds"] = wait_seconds
    pool_id = _pool_at(name_or_id, url, token)
    reply = _rest("PATCH", url, token, f"clusters/{pool_id}", {"adapt": wanted})
    return reply["adapt"]  # type: ignore[no-any-return]


def _pool_at(name_or_id: str, url: str, token: str) -> str:
    """The id of the server's pool with this id or name; PoolNotFound naming the others."""
    known = _rest("GET", url, token, "clusters")["clusters"]
    found = [p for p in known if p["id"] == name_or_id] or [
        p for p in known if p["name"] == name_or_id
    ]
    if not found:
        names = ", ".join(f"{p['name']!r} ({p['id']})" for p in known) or "none"
        raise PoolNotFound(f"no engine pool {name_or_id!r} at {url}; there are: {names}")
    return str(found[0]["id"])


def _server(url: str | None, token: str | None) -> tuple[str, str]:
    """The server to ask: as given, else the one that started this kernel."""
    url = url or os.environ.get(SERVER_URL_ENV)
    if not url:
        raise ValueError(
            "no Jupyter server started this process: pass url= and token= "
            "(the server's URL and its token, as `jupyter server list` shows them)"
        )
    if token is None:  # the exported token is only for the exported server
        exported = url == os.environ.get(SERVER_URL_ENV)
        token = os.environ.get(SERVER_TOKEN_ENV, "") if exported else ""
    return url, token


def _rest(method: str, url: str, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One call to the server's REST API, its JSON reply, or an error with its message."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"a Jupyter server's URL starts with http:// or https://, not {url!r}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        f"{url.rstrip('/')}/jasmin/api/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310
            return json.load(reply)
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise PermissionError(
                f"the Jupyter server at {url} refused the token (HTTP {error.code})"
            ) from None
        raise PoolError(f"{method} {path}: {_message(error)} (HTTP {error.code})") from None
    except urllib.error.URLError as error:
        raise ConnectionError(f"no Jupyter server answers at {url}: {error.reason}") from None


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error)["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return str(error.reason)

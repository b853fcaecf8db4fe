"""Every REST route of the extension, in one table, over thin handlers.

A handler parses and checks the request, calls one manager method, and turns
the result into JSON, or a domain error into ``{"message": ...}`` with its
4xx status (jupyter_server's APIHandler convention). Every route requires a
logged-in user (token or cookie, XSRF on cookie writes) and is authorized
against the ``jasmin`` resource.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.iostream import StreamClosedError

from .clusters import EnginePools
from .errors import BadRequest, Forbidden, JasminError
from .holdings.access import advice
from .holdings.inspect import THEMES, time_step
from .holdings.manager import Holdings, parse_selection
from .kernel_citations import KernelCitations
from .openapi import ServerValues, openapi_document
from .resources import vm_resources
from .snippets import (
    SnippetReply,
    dataset_open_snippet,
    dataset_pool_snippet,
    pool_snippet,
    selection_snippet,
)
from .validation import check_nesting, whole_number_text

API = "/jasmin/api"
MAX_BODY_BYTES = 64 * 1024
MAX_PAGE = 500
MAX_OUTPUT_LINES = 2000
MAX_SELECTION = 2000  # datasets one selection snippet analyses

Method = Callable[..., Awaitable[None]]


def endpoint(method: Method) -> Method:
    """Authenticate, authorize, and answer domain errors as JSON with their status."""

    @functools.wraps(method)
    async def answer(self: JasminHandler, *args: Any, **kwargs: Any) -> None:
        try:
            await method(self, *args, **kwargs)
        except JasminError as error:
            if error.field is None:
                raise web.HTTPError(error.status, error.message) from None
            # the field the message is about, so a form can mark it invalid
            self.reply({"message": error.message, "field": error.field}, error.status)

    return cast(Method, web.authenticated(authorized(answer)))


class JasminHandler(ExtensionHandlerMixin, APIHandler):
    """Shared plumbing: the managers, JSON in and out."""

    auth_resource = "jasmin"

    @property
    def pools(self) -> EnginePools:
        pools: EnginePools = self.settings["jasmin_pools"]
        return pools

    @property
    def holdings(self) -> Holdings:
        holdings: Holdings = self.settings["jasmin_holdings"]
        return holdings

    @property
    def citations(self) -> KernelCitations:
        citations: KernelCitations = self.settings["jasmin_citations"]
        return citations

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 405:  # RFC 9110: say which methods the route does serve
            served = [
                m for m in ("GET", "POST", "PATCH", "DELETE") if m.lower() in vars(type(self))
            ]
            self.set_header("Allow", ", ".join(served))
        super().write_error(status_code, **kwargs)

    def reply(self, body: Mapping[str, object], status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def body(self, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
        """The request's JSON object, refusing unknown or missing fields by name."""
        if len(self.request.body) > MAX_BODY_BYTES:
            raise web.HTTPError(413, f"request body over {MAX_BODY_BYTES} bytes")
        if not self.request.body:
            raise BadRequest("this request needs a JSON object as its body")
        try:
            data = json.loads(self.request.body)
        except RecursionError:
            raise BadRequest("the request body is nested too deeply") from None
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the request body is not valid JSON") from None
        check_nesting(data)
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise BadRequest(
                f"unknown field(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(sorted(allowed))}"
            )
        missing = sorted(required - set(data))
        if missing:
            raise BadRequest(f"missing field(s) {', '.join(map(repr, missing))}")
        return data


class OpenApiHandler(JasminHandler):
    """The OpenAPI document of this API (``openapi.yaml``)."""

    @endpoint
    async def get(self) -> None:
        server = ServerValues(
            backends={
                name: {option.name: option.json_schema() for option in backend.options()}
                for name, backend in self.pools.backends.items()
            },
            max_engines=self.pools.limits.max_engines_per_pool,
            holdings=list(self.holdings.holdings),
        )
        self.reply(openapi_document(self.base_url, server))


class ResourcesHandler(JasminHandler):
    @endpoint
    async def get(self) -> None:
        limit = self.pools.limits.max_engines_per_pool
        self.reply(vm_resources(limit, self.pools.engines_on_this_vm()))


class BackendsHandler(JasminHandler):
    @endpoint
    async def get(self) -> None:
        self.reply(self.pools.offer())


class PoolsHandler(JasminHandler):
    @endpoint
    async def get(self) -> None:
        self.reply({"clusters": self.pools.all()})

    @endpoint
    async def post(self) -> None:
        request = self.body({"name", "backend", "engines", "options", "dry_run", "idle_minutes"})
        dry_run = request.pop("dry_run", False)
        if not isinstance(dry_run, bool):
            raise BadRequest("'dry_run' must be true or false")
        if dry_run:
            self.reply(await self.pools.preview(**request))
            return
        pool = await self.pools.create(**request)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/clusters/{pool['id']}")
        self.reply(pool, status=202)


class PoolHandler(JasminHandler):
    @endpoint
    async def get(self, pool_id: str) -> None:
        self.reply(self.pools.get(pool_id))

    @endpoint
    async def patch(self, pool_id: str) -> None:
        request = self.body({"engines", "backend", "options", "idle_minutes", "adapt"})
        if request.get("engines") is None and not {"idle_minutes", "adapt"} & set(request):
            raise BadRequest("give 'engines' (how many), an 'adapt' range, or 'idle_minutes'")
        self.reply(await self.pools.scale(pool_id, **request))

    @endpoint
    async def delete(self, pool_id: str) -> None:
        self.reply(await self.pools.stop(pool_id))


class PoolSnippetHandler(JasminHandler):
    @endpoint
    async def get(self, pool_id: str) -> None:
        pool = self.pools.connectable(pool_id)
        self.reply(SnippetReply(code=pool_snippet(pool)))


class EngineSetOutputHandler(JasminHandler):
    """The tail of an engine set's output (a batch job's output file)."""

    @endpoint
    async def get(self, pool_id: str, set_id: str) -> None:
        lines = whole_number_text(self.get_argument("lines", "100"), "lines", 1, MAX_OUTPUT_LINES)
        self.reply(await self.pools.output(pool_id, set_id, lines))


class PoolLogsHandler(JasminHandler):
    """A pool's logs, kept until the pool is dismissed."""

    @endpoint
    async def get(self, pool_id: str) -> None:
        self.reply(await self.pools.logs(pool_id))


class PoolLogHandler(JasminHandler):
    """The tail of one of a pool's logs."""

    @endpoint
    async def get(self, pool_id: str, log: str) -> None:
        lines = whole_number_text(self.get_argument("lines", "100"), "lines", 1, MAX_OUTPUT_LINES)
        self.reply(await self.pools.log_tail(pool_id, log, lines))


class EngineSetEstimateHandler(JasminHandler):
    """When the scheduler expects an engine set's pending job to start (asked on demand:
    the question is costly for the scheduler)."""

    @endpoint
    async def get(self, pool_id: str, set_id: str) -> None:
        self.reply(await self.pools.estimate(pool_id, set_id))


class EventLoopHandler(JasminHandler):
    """How late the server's loop ran callbacks (only when ``c.Jasmin.watch_event_loop``)."""

    @endpoint
    async def get(self) -> None:
        watch = self.settings.get("jasmin_loop_watch")
        if watch is None:
            raise web.HTTPError(404, "the event-loop watch is off (c.Jasmin.watch_event_loop)")
        reset = self.get_argument("reset", "false")
        if reset not in ("1", "true", "0", "false"):
            raise BadRequest("'reset' must be true or false")
        reading = watch.read()
        if reset in ("1", "true"):
            watch.reset()
        self.reply(reading)


class HoldingsHandler(JasminHandler):
    @endpoint
    async def get(self) -> None:
        self.reply({"holdings": await self.holdings.all()})


class HoldingHandler(JasminHandler):
    @endpoint
    async def get(self, name: str) -> None:
        self.reply(await self.holdings.status(name))


class HoldingRefreshHandler(JasminHandler):
    @endpoint
    async def post(self, name: str) -> None:
        request = self.body({"full"}) if self.request.body else {}
        full = request.get("full", False)
        if not isinstance(full, bool):
            raise BadRequest("'full' must be true or false")
        self.reply(await self.holdings.refresh(name, full=full), status=202)


class FacetsHandler(JasminHandler):
    @endpoint
    async def get(self, name: str) -> None:
        selection = parse_selection(self.request.arguments)
        self.reply(await self.holdings.facets(name, selection))


class DatasetsHandler(JasminHandler):
    @endpoint
    async def get(self, name: str) -> None:
        arguments = self.request.arguments
        selection = parse_selection(arguments)
        offset = self.count("offset", 0, 0, 10**9)
        limit = self.count("limit", 50, 1, MAX_PAGE)
        self.reply(await self.holdings.datasets(name, selection, offset, limit))

    def count(self, field: str, fallback: int, least: int, most: int) -> int:
        return whole_number_text(self.get_argument(field, str(fallback)), field, least, most)


class DatasetHandler(JasminHandler):
    @endpoint
    async def get(self, name: str, dataset_id: str) -> None:
        self.reply(await self.holdings.dataset(name, dataset_id))


class MetadataHandler(JasminHandler):
    @endpoint
    async def get(self, name: str, dataset_id: str) -> None:
        self.reply(await self.holdings.metadata(name, dataset_id))


class QuicklookHandler(JasminHandler):
    @endpoint
    async def get(self, name: str, dataset_id: str) -> None:
        variable = self.get_argument("variable", "") or None
        moment = time_step(self.get_argument("time", ""))
        level = self.get_argument("level", "").strip()[:60] or None
        theme = self.get_argument("theme", "light")
        if theme not in THEMES:
            raise BadRequest(f"'theme' is one of {', '.join(THEMES)}, not {theme[:20]!r}")
        drawn, picture = await self.holdings.quicklook(
            name, dataset_id, variable, moment, level, theme
        )
        # what is drawn, for the panel's pickers (header values are ASCII)
        shown = {
            "X-Jasmin-Time": drawn.time,
            "X-Jasmin-Level": None
            if drawn.step.level_index is None
            else str(drawn.step.level_index),
            "X-Jasmin-Levels": "; ".join(drawn.levels) if drawn.levels else None,
            "X-Jasmin-Missing": drawn.missing,
        }
        for header, value in shown.items():
            if value is not None:
                self.set_header(header, value.encode("ascii", "replace").decode())
        self.set_header("Cache-Control", "private, max-age=3600")
        self.finish(picture, set_content_type="image/png")


class DatasetSnippetHandler(JasminHandler):
    @endpoint
    async def get(self, name: str, dataset_id: str) -> None:
        dataset, _ = await self.holdings.files(name, dataset_id)  # 404 when it has none
        pool_id = self.get_argument("pool", "")
        if not pool_id:
            self.reply(SnippetReply(code=dataset_open_snippet(name, dataset)))
            return
        pool = self.pools.connectable(pool_id)
        self.reply(SnippetReply(code=dataset_pool_snippet(name, dataset, pool)))


class SelectionSnippetHandler(JasminHandler):
    """One cell that analyses every dataset of the panel's selection and plots them."""

    @endpoint
    async def get(self, name: str) -> None:
        arguments = {k: v for k, v in self.request.arguments.items() if k != "pool"}
        selection = parse_selection(arguments)
        page = await self.holdings.datasets(name, selection, 0, MAX_SELECTION)
        if page["total"] > MAX_SELECTION:
            raise web.HTTPError(
                400,
                f"the selection holds {page['total']} datasets, more than the "
                f"{MAX_SELECTION} a snippet analyses: choose more facets",
            )
        # datasets this user may not read are left out of the analysis, and the cell says so
        datasets = [d for d in page["datasets"] if d["access"]["readable"]]
        locked = [d for d in page["datasets"] if not d["access"]["readable"]]
        if locked and not datasets:
            access = locked[0]["access"]
            raise Forbidden(
                f"you cannot read any of the {len(locked)} datasets of this selection: "
                f"{access['reason']}; {advice(access['group'])}"
            )
        pool_id = self.get_argument("pool", "")
        pool = self.pools.connectable(pool_id) if pool_id else None
        facet_names = list(datasets[0]["facets"]) if datasets else []
        code = selection_snippet(name, selection, datasets, facet_names, pool, locked)
        self.reply(SnippetReply(code=code))


class CatalogHandler(JasminHandler):
    """An intake-esm (ESM collection spec) catalog: ``catalog.json`` names ``catalog.csv``."""

    @endpoint
    async def get(self, name: str, kind: str) -> None:
        if kind == "json":
            self.reply(self.holdings.catalog_json(name, self.csv_url()))
            return
        csv = await self.holdings.catalog_csv(name)
        try:
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Length", csv.size)
            # piece by piece, each sent before the next is read: a big holding's CSV is
            # tens of MB, and several downloads at once must not hold it all in memory
            async for piece in csv.pieces():
                self.write(piece)
                await self.flush()
        except StreamClosedError:
            return  # the client went away
        finally:
            csv.close()
        self.finish()

    def csv_url(self) -> str:
        # the CSV is fetched with the same credentials: a token given in the query goes
        # along, and the URL must end in ".csv" for intake-esm to know how to read it
        url, _, query = self.request.full_url().partition("?")
        csv_url = url.rsplit("/", 1)[0] + "/catalog.csv"
        return f"{csv_url}?{query}&as=.csv" if query else csv_url


class KernelCitationsHandler(JasminHandler):
    """The datasets a kernel of this server opened or mapped (for its notebook's panel)."""

    @endpoint
    async def get(self, kernel_id: str) -> None:
        self.reply(await self.citations.of_kernel(kernel_id))


class NotFoundHandler(JasminHandler):
    """Any other path under the API answers a JSON 404 rather than an HTML page."""

    @endpoint
    async def get(self, path: str) -> None:
        raise web.HTTPError(404, f"no such endpoint: {API}/{path}")

    post = patch = put = delete = get


ENGINE_SET = r"/clusters/(?P<pool_id>[^/]+)/engine-sets/(?P<set_id>[^/]+)"
ROUTES: list[tuple[str, type[JasminHandler]]] = [
    (r"/openapi\.json", OpenApiHandler),
    (r"/resources", ResourcesHandler),
    (r"/backends", BackendsHandler),
    (r"/clusters", PoolsHandler),
    (r"/clusters/(?P<pool_id>[^/]+)", PoolHandler),
    (r"/clusters/(?P<pool_id>[^/]+)/snippet", PoolSnippetHandler),
    (r"/clusters/(?P<pool_id>[^/]+)/logs", PoolLogsHandler),
    (r"/clusters/(?P<pool_id>[^/]+)/logs/(?P<log>[^/]+)", PoolLogHandler),
    (r"/clusters/(?P<pool_id>[^/]+)/engine-sets/(?P<set_id>[^/]+)/output", EngineSetOutputHandler),
    (
        r"/clusters/(?P<pool_id>[^/]+)/engine-sets/(?P<set_id>[^/]+)/estimate",
        EngineSetEstimateHandler,
    ),
    (r"/holdings", HoldingsHandler),
    (r"/holdings/(?P<name>[^/]+)", HoldingHandler),
    (r"/holdings/(?P<name>[^/]+)/refresh", HoldingRefreshHandler),
    (r"/holdings/(?P<name>[^/]+)/facets", FacetsHandler),
    (r"/holdings/(?P<name>[^/]+)/snippet", SelectionSnippetHandler),
    (r"/holdings/(?P<name>[^/]+)/catalog\.(?P<kind>json|csv)", CatalogHandler),
    (r"/holdings/(?P<name>[^/]+)/datasets", DatasetsHandler),
    (r"/holdings/(?P<name>[^/]+)/datasets/(?P<dataset_id>[^/]+)", DatasetHandler),
    (r"/holdings/(?P<name>[^/]+)/datasets/(?P<dataset_id>[^/]+)/metadata", MetadataHandler),
    (r"/holdings/(?P<name>[^/]+)/datasets/(?P<dataset_id>[^/]+)/quicklook\.png", QuicklookHandler),
    (r"/holdings/(?P<name>[^/]+)/datasets/(?P<dataset_id>[^/]+)/snippet", DatasetSnippetHandler),
    (r"/kernels/(?P<kernel_id>[^/]+)/citations", KernelCitationsHandler),
    (r"/diagnostics/event-loop", EventLoopHandler),
    (r"/(?P<path>.*)", NotFoundHandler),
]


def api_routes() -> list[tuple[str, type[JasminHandler]]]:
    """The route table with the API prefix, in matching order (catch-all last)."""
    return [(f"{API}{pattern}", handler) for pattern, handler in ROUTES]

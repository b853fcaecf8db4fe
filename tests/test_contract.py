"""The OpenAPI document and the route table describe the same API, the document is
served, and every route refuses strangers: an auth matrix generated from the route
table, so a route is covered the day it is added."""

from __future__ import annotations

import itertools
import json
import re
import typing
from http.cookies import SimpleCookie
from typing import Any, NotRequired

import jsonschema
import pytest

from jupyter_jasmin.clusters.shapes import (
    BackendDescription,
    BackendsReply,
    CheckReply,
    EngineReply,
    EngineSetReply,
    EstimateReply,
    JobReply,
    LogReply,
    LogTailReply,
    OptionDescription,
    OutputReply,
    PartReply,
    PoolActions,
    PoolReply,
    PreviewReply,
)
from jupyter_jasmin.diagnostics import LoopStalls
from jupyter_jasmin.handlers import API, ROUTES
from jupyter_jasmin.holdings.shapes import (
    Coordinate,
    DatasetAccess,
    DatasetFile,
    DatasetMetadata,
    DatasetPage,
    DatasetReply,
    DatasetSummary,
    DatasetVersion,
    FacetCounts,
    HoldingReply,
    Variable,
)
from jupyter_jasmin.kernel_citations import KernelCitationsReply
from jupyter_jasmin.provenance import CitationReply
from jupyter_jasmin.resources import Resources
from jupyter_jasmin.snippets import SnippetReply

from .conftest import Api, Reply
from .contract import (
    METHODS,
    check_reply,
    document,
    document_operations,
    find_operation,
    route_operations,
)

AWI = "CMIP6.CMIP.AWI.AWI-CM-1-1-MR.historical.r1i1p1f1.Amon.ta.gn.v20181218"
# What each path parameter of the route table stands for in the matrix: real names,
# so a request that got past authentication would succeed or do something
SAMPLE_VALUES = {
    "pool_id": "0123abcd",
    "name": "cmip6-sample",
    "dataset_id": AWI,
    "set_id": "local-0",
    "log": "controller",
    "path": "no/such/endpoint",
    "kernel_id": "4b7c1f0e-3a52-4b8e-9d1c-2f6a7e0b5c93",
}
WRITES = ("POST", "PATCH", "PUT", "DELETE")
FOREIGN = "http://attacker.example"
POOL_STARTING = json.dumps(
    {
        "id": "ab12cd34",
        "name": "pool-1",
        "backend": "local",
        "state": "starting",
        "error": None,
        "options": {"nice": 0},
        "created": "2026-11-25T12:00:00Z",
        "ready_seconds": None,
        "engines": {"requested": 1, "running": 0, "starting": 1, "lost": 0, "list": []},
        "engine_sets": [],
        "adapt": None,
        "tasks": None,
        "parts": [
            {
                "backend": "local",
                "label": "This VM's cores",
                "options": {"nice": 0},
                "requested": 1,
                "running": 0,
                "starting": 1,
                "lost": 0,
                "whole_sets": False,
                "primary": True,
            }
        ],
        "idle": {"minutes": None, "idle_seconds": None, "culls_in_seconds": None},
        "controller": None,
        "connection_file": "/x/ipcontroller-ab12cd34-client.json",
        "actions": {"scale": True, "connect": False, "stop": True, "dismiss": False},
    }
).encode()


def test_the_document_and_the_route_table_describe_the_same_operations() -> None:
    in_routes, in_document = route_operations(), document_operations()

    assert in_routes - in_document == set(), "routes the OpenAPI document does not describe"
    assert in_document - in_routes == set(), "documented operations no route serves"
    assert len(in_routes) >= 21


def test_the_document_is_well_formed() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.1")
    for schema in spec["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    operation_ids = [
        operation["operationId"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operation_ids) == len(set(operation_ids)), "operation ids are unique"
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                assert "403" in operation["responses"], f"{method} has no 403 documented"
                assert not [s for s in operation["responses"] if s.startswith("5")]


def _shape(name: str) -> tuple[set[str], set[str]]:
    """A component schema's properties and required ones, through allOf."""
    schema = document()["components"]["schemas"][name]
    properties, required = set(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more, needed = _shape(part["$ref"].rsplit("/", 1)[-1])
        properties |= more
        required |= needed
    return properties, required


TYPED_REPLIES = {
    "Pool": PoolReply,
    "Engine": EngineReply,
    "EngineSet": EngineSetReply,
    "PoolActions": PoolActions,
    "Job": JobReply,
    "Check": CheckReply,
    "Preview": PreviewReply,
    "Output": OutputReply,
    "Part": PartReply,
    "Log": LogReply,
    "LogTail": LogTailReply,
    "Estimate": EstimateReply,
    "Backends": BackendsReply,
    "Backend": BackendDescription,
    "BackendOption": OptionDescription,
    "Resources": Resources,
    "Holding": HoldingReply,
    "FacetCounts": FacetCounts,
    "DatasetAccess": DatasetAccess,
    "DatasetSummary": DatasetSummary,
    "DatasetPage": DatasetPage,
    "DatasetFile": DatasetFile,
    "DatasetVersion": DatasetVersion,
    "Dataset": DatasetReply,
    "DatasetMetadata": DatasetMetadata,
    "Coordinate": Coordinate,
    "Variable": Variable,
    "LoopStalls": LoopStalls,
    "Snippet": SnippetReply,
    "Citation": CitationReply,
    "KernelCitations": KernelCitationsReply,
}


@pytest.mark.parametrize("name", sorted(TYPED_REPLIES))
def test_the_python_reply_types_are_the_documents(name: str) -> None:
    """The types mypy holds the server's code to name the fields the document does."""
    typed = TYPED_REPLIES[name]
    properties, required = _shape(name)

    fields = typing.get_type_hints(typed, include_extras=True)
    assert set(fields) == properties
    optional = {key for key, hint in fields.items() if typing.get_origin(hint) is NotRequired}
    assert set(fields) - optional == required


def test_the_reply_check_catches_drift() -> None:
    """The check every test's replies go through must fail on replies off the contract."""
    good = b'{"code": "print(1)"}'
    json_type = {"Content-Type": "application/json"}
    check_reply("GET", "/jasmin/api/clusters/ab12/snippet", 200, json_type, good)
    for status, body in [
        (200, b'{"code": "x", "extra": 1}'),  # a field the document does not know
        (200, b'{"code": null}'),  # a wrong type
        (418, good),  # an undocumented status
        (500, b'{"message": "Unhandled error"}'),  # never a server error
    ]:
        with pytest.raises(AssertionError):
            check_reply("GET", "/jasmin/api/clusters/ab12/snippet", status, json_type, body)
    with pytest.raises(AssertionError):
        check_reply("GET", "/jasmin/api/no/such", 200, json_type, b"{}")
    located = {**json_type, "Location": "/jasmin/api/clusters/ab12cd34"}
    check_reply("POST", "/jasmin/api/clusters", 202, located, POOL_STARTING)
    with pytest.raises(AssertionError):  # a required header missing
        check_reply("POST", "/jasmin/api/clusters", 202, json_type, POOL_STARTING)


async def test_the_document_is_served(api: Api) -> None:
    reply = await api("GET", "openapi.json")

    assert reply.status == 200
    assert reply.body["paths"] == document()["paths"]
    assert reply.body["servers"] == [{"url": "/"}]
    assert find_operation("GET", "/jasmin/api/openapi.json") is not None


# --- the auth matrix ---------------------------------------------------------------


def _expand(pattern: str) -> list[str]:
    """Request paths for one route pattern, with SAMPLE_VALUES for its parameters."""
    choices: list[list[str]] = []
    position = 0
    for group in re.finditer(r"\(\?P<(\w+)>([^)]*)\)", pattern):
        choices.append([pattern[position : group.start()]])
        name, body = group.groups()
        choices.append([SAMPLE_VALUES[name]] if "|" not in body else body.split("|"))
        position = group.end()
    choices.append([pattern[position:]])
    return ["".join(parts).replace("\\.", ".").lstrip("/") for parts in itertools.product(*choices)]


def matrix() -> list[tuple[str, str, bool]]:
    """(path, method, whether the route serves that method) for every route, the
    catch-all included, and every method a client may send."""
    cases = []
    for pattern, handler in ROUTES:
        served = {m.upper() for m in METHODS if m in vars(handler)}
        for path in _expand(pattern):
            cases += [(path, method, method in served) for method in ("GET", *WRITES)]
    return cases


def test_the_matrix_covers_every_route() -> None:
    covered = {path for path, _, _ in matrix()}
    assert len(covered) == len(ROUTES) + 1  # catalog.json and catalog.csv
    assert all(not path.startswith(API) for path in covered)


def _refused(reply: Reply, served: bool) -> bool:
    """A refusal: 403, or 405 for a method the route does not serve; always JSON."""
    return reply.status == 403 or (reply.status == 405 and not served)


async def _probe(api: Api, headers: dict[str, str], writes_only: bool = False) -> list[str]:
    wrong = []
    for path, method, served in matrix():
        if writes_only and method == "GET":
            continue
        body = {"engines": 1} if method in ("POST", "PATCH", "PUT") else None
        reply = await api(method, path, body=body, headers=headers)
        if not _refused(reply, served):
            wrong.append(f"{method} {path} -> {reply.status}")
        if reply.headers.get("Access-Control-Allow-Origin"):
            wrong.append(f"{method} {path} allows another site's scripts")
    return wrong


async def test_requests_without_credentials_are_refused(api: Api) -> None:
    assert await _probe(api, {"Authorization": ""}) == []
    assert (await api("GET", "clusters")).body == {"clusters": []}, "nothing was started"


async def test_a_wrong_token_is_refused(api: Api) -> None:
    assert await _probe(api, {"Authorization": "token not-the-token"}) == []
    assert await _probe(api, {"Authorization": "Bearer not-the-token"}) == []
    assert (await api("GET", "clusters")).body == {"clusters": []}


async def _login_cookie(api: Api, jp_auth_header: dict[str, str]) -> SimpleCookie:
    """The cookie a browser holds after logging in with the token (and the XSRF cookie)."""
    token = jp_auth_header["Authorization"].split()[-1]
    reply = await api("GET", f"resources?token={token}", headers={"Authorization": ""})
    assert reply.status == 200
    jar: SimpleCookie = SimpleCookie()
    for header in reply.headers.get_list("Set-Cookie"):
        jar.load(header)
    assert any(name.startswith("username-") for name in jar), "no login cookie was set"
    return jar


def _cookie_header(jar: SimpleCookie, **extra: str) -> str:
    pairs = [f"{name}={morsel.value}" for name, morsel in jar.items()]
    pairs += [f"{name}={value}" for name, value in extra.items()]
    return "; ".join(pairs)


async def test_a_cookie_without_the_xsrf_header_cannot_write(
    api: Api, jp_auth_header: dict[str, str]
) -> None:
    jar = await _login_cookie(api, jp_auth_header)
    cookie = {"Authorization": "", "Cookie": _cookie_header(jar)}

    # the cookie alone reads...
    assert (await api("GET", "clusters", headers=cookie)).status == 200
    # ...but writes nothing without the XSRF header
    assert await _probe(api, cookie, writes_only=True) == []
    assert (await api("GET", "clusters")).body == {"clusters": []}
    # with it, a write gets past authentication (the pool does not exist: 404)
    xsrf = "2|abcdef01|0123456789abcdef0123456789abcdef|1700000000"
    with_xsrf = {
        "Authorization": "",
        "Cookie": _cookie_header(jar, _xsrf=xsrf),
        "X-XSRFToken": xsrf,
    }
    passed = await api("PATCH", "clusters/0123abcd", {"engines": 1}, headers=with_xsrf)
    assert passed.status == 404, passed.body


async def test_another_sites_pages_are_refused(
    api: Api, jp_auth_header: dict[str, str], jp_http_port: int
) -> None:
    """A page on another site that the user visits sends the user's cookie along; the
    Origin header gives it away, whatever the method."""
    jar = await _login_cookie(api, jp_auth_header)
    xsrf = "2|abcdef01|0123456789abcdef0123456789abcdef|1700000000"
    browser = {
        "Authorization": "",
        "Cookie": _cookie_header(jar, _xsrf=xsrf),
        "X-XSRFToken": xsrf,
    }
    wrong = []
    for path, method, served in matrix():
        body: Any = {"engines": 1} if method in ("POST", "PATCH", "PUT") else None
        reply = await api(method, path, body=body, headers={**browser, "Origin": FOREIGN})
        refused = reply.status in (403, 404) or (reply.status == 405 and not served)
        if not refused or reply.headers.get("Access-Control-Allow-Origin"):
            wrong.append(f"{method} {path} -> {reply.status}")
    assert wrong == []
    assert (await api("GET", "clusters")).body == {"clusters": []}
    # the same browser on the server's own pages is let in
    own = {**browser, "Origin": f"http://127.0.0.1:{jp_http_port}"}
    assert (await api("GET", "clusters", headers=own)).status == 200

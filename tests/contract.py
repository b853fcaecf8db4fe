"""The REST contract as the tests hold the server to it: every reply any test receives
is checked against ``jupyter_jasmin/openapi.yaml`` (status, content type, body), and
the route table and the document must describe the same operations."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from jupyter_jasmin.handlers import API, ROUTES, NotFoundHandler
from jupyter_jasmin.openapi import openapi_document

DOCUMENT_URI = "urn:jupyter-jasmin:openapi"
METHODS = ("get", "post", "put", "patch", "delete")
# A path parameter matches one path segment (as the route table's [^/]+ does).
SEGMENT = "[^/]+"


@dataclass(frozen=True)
class Operation:
    path: str  # the document's template, e.g. /jasmin/api/clusters/{pool_id}
    method: str
    spec: dict[str, Any]


@cache
def document() -> dict[str, Any]:
    return openapi_document()


@cache
def _registry() -> Registry:
    return Registry().with_resource(DOCUMENT_URI, Resource(document(), DRAFT202012))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (responses are referenced from components)."""
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#/").split("/")
        node = document()
        for part in pointer:
            node = node[part]
    return node


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in document()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[a-z_]+\\\}", SEGMENT, pattern)
        found.append((re.compile(pattern), template))
    return found


def find_operation(method: str, path: str) -> Operation | None:
    """The documented operation for a request path (no query), or None."""
    for pattern, template in _templates():
        if pattern.fullmatch(path):
            spec = document()["paths"][template].get(method.lower())
            return Operation(template, method.lower(), spec) if spec else None
    return None


def is_documented_path(path: str) -> bool:
    return any(pattern.fullmatch(path) for pattern, _ in _templates())


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Validate against a schema whose references point into the document."""
    validator = jsonschema.Draft202012Validator(
        schema, registry=_registry(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = "/".join(map(str, error.absolute_path)) or "(the body)"
        raise AssertionError(f"at {where}: {error.message}")


def _absolute(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema whose local references point into the document."""
    text = json.dumps(schema).replace('"#/components/', f'"{DOCUMENT_URI}#/components/')
    return json.loads(text)  # type: ignore[no-any-return]


ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def check_reply(
    method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str | None
) -> None:
    """Fail unless this reply is one the document allows for this request.

    ``path`` is the request path without the query, e.g. ``/jasmin/api/clusters/ab12``."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    media = headers.get("Content-Type", "").split(";")[0].strip()
    context = f"{method} {path} -> {status} {media}: {raw[:300]!r}"
    if status >= 500:
        raise AssertionError(f"a server error: {context}")
    operation = find_operation(method, path)
    if operation is None:
        # not an operation of the document: only a refusal may answer, as JSON: 404 (no
        # such endpoint, or another site's page), 405 (a documented path, another method)
        expected = {403, 404, 405} if is_documented_path(path) else {403, 404}
        assert status in expected, f"an undocumented request answered {context}"
        _check_body(ERROR_SCHEMA, media, "application/json", raw, context)
        return
    responses = operation.spec["responses"]
    described = responses.get(str(status))
    assert described is not None, (
        f"status {status} is not documented for {method} {operation.path}: {context}"
    )
    described = _resolve(described)
    content = described.get("content", {})
    if not content:
        assert not raw, f"no body is documented: {context}"
        return
    assert media in content, (
        f"content type {media!r} is not documented ({list(content)}): {context}"
    )
    schema = content[media].get("schema", {})
    _check_body(schema, media, media, raw, context)
    for header, spec in described.get("headers", {}).items():
        value = headers.get(header)
        assert value is not None or not spec.get("required"), f"no {header} header: {context}"
        if value is not None:
            validate(value, _absolute(spec["schema"]))


def _check_body(
    schema: dict[str, Any], media: str, expected: str, raw: bytes, context: str
) -> None:
    assert media == expected, f"expected {expected}: {context}"
    if media != "application/json":
        return
    try:
        instance = json.loads(raw)
    except ValueError:
        raise AssertionError(f"not JSON: {context}") from None
    try:
        validate(instance, _absolute(schema))
    except AssertionError as error:
        raise AssertionError(f"the reply does not fit the document {error}; {context}") from None


# --- the route table -------------------------------------------------------------


def _expand(pattern: str) -> list[str]:
    """Document paths for one route pattern: named groups of one segment become
    ``{name}``, a group of alternatives (``json|csv``) one path per alternative."""
    pieces: list[list[str]] = []
    position = 0
    for group in re.finditer(r"\(\?P<(\w+)>([^)]*)\)", pattern):
        pieces.append([pattern[position : group.start()]])
        name, body = group.groups()
        pieces.append([f"{{{name}}}"] if body == SEGMENT else body.split("|"))
        position = group.end()
    pieces.append([pattern[position:]])
    return ["".join(choice).replace("\\.", ".") for choice in itertools.product(*pieces)]


def route_operations() -> set[tuple[str, str]]:
    """(document path, method) for every handler method in the route table, but for
    the catch-all that answers 404 for any other path."""
    found = set()
    for pattern, handler in ROUTES:
        if handler is NotFoundHandler:
            continue
        methods = [m for m in METHODS if m in vars(handler)]
        for path in _expand(f"{API}{pattern}"):
            found |= {(path, method) for method in methods}
    return found


def document_operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document()["paths"].items()
        for method in METHODS
        if method in item
    }

"""The REST contract: ``openapi.yaml`` beside this module describes every route, its
parameters, bodies, replies and errors. It is served at ``/jasmin/api/openapi.json``,
the front end's types are generated from it, and the tests hold every reply to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def _document_text() -> str:
    import yaml

    document = yaml.safe_load(files(__package__).joinpath("openapi.yaml").read_text())
    return json.dumps(document)


@dataclass(frozen=True)
class ServerValues:
    """What one server accepts, written into the document it serves."""

    backends: dict[str, dict[str, Any]]  # backend -> option name -> JSON Schema
    max_engines: int
    holdings: list[str]


def openapi_document(base_url: str = "/", server: ServerValues | None = None) -> dict[str, Any]:
    """The document; for a running server, with ``servers`` naming its base URL and the
    values it accepts (backends and their options, the engine limit, holdings) written
    in, so a client or a fuzzer knows them without asking."""
    document: dict[str, Any] = json.loads(_document_text())
    document["servers"] = [{"url": base_url.rstrip("/") or "/"}]
    if server is not None:
        _write_in(document["components"], server)
    return document


def _write_in(components: dict[str, Any], server: ServerValues) -> None:
    new_pool = components["schemas"]["NewPool"]["properties"]
    new_pool["backend"]["enum"] = list(server.backends)
    new_pool["engines"]["maximum"] = server.max_engines
    components["schemas"]["Scale"]["properties"]["engines"]["maximum"] = server.max_engines
    options: dict[str, Any] = {}
    for declared in server.backends.values():
        for name, schema in declared.items():
            # an option that backends declare differently is left to the backend to check
            if options.setdefault(name, schema) != schema:
                options[name] = {"$ref": "#/components/schemas/OptionValue"}
    new_pool["options"]["properties"] = options
    new_pool["options"]["additionalProperties"] = False
    scale = components["schemas"]["Scale"]["properties"]
    scale["backend"]["enum"] = [*server.backends, None]
    scale["options"]["properties"] = options
    scale["options"]["additionalProperties"] = False
    components["parameters"]["HoldingName"]["schema"]["enum"] = server.holdings

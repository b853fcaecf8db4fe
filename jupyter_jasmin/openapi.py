"""The REST contract: ``openapi.yaml`` beside this module describes every route, its
parameters, bodies, replies and errors. It is served at ``/jasmin/api/openapi.json``,
the front end's types are generated from it, and the tests hold every reply to it."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def _document_text() -> str:
    import yaml

    document = yaml.safe_load(files(__package__).joinpath("openapi.yaml").read_text())
    return json.dumps(document)


def openapi_document(base_url: str = "/") -> dict[str, Any]:
    """The document, with ``servers`` naming this server's base URL."""
    document: dict[str, Any] = json.loads(_document_text())
    document["servers"] = [{"url": base_url.rstrip("/") or "/"}]
    return document

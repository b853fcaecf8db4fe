"""Every kind of bad input gets a 4xx with a message, and leaves nothing behind."""

from __future__ import annotations

import pytest

from .conftest import Api, running, wait_for_pool
from .contract import document

BAD_CREATES = [
    ("not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"engines": 0}', "at least 1"),
    ('{"engines": 99}', "Engines ('engines') must be at most 4 on this server (99 asked)"),
    ('{"engines": "2"}', "Engines ('engines') must be a whole number ('2' asked)"),
    ('{"engines": true}', "whole number"),
    ('{"engines": 1.5}', "whole number"),
    ('{"backend": "slurm"}', "unknown backend 'slurm'"),
    ('{"backend": 3}', "unknown backend"),
    ('{"name": "../etc"}', "'name' must be"),
    ('{"name": ""}', "'name' must be"),
    ('{"name": "x\\ny"}', "'name' must be"),
    ('{"name": "abc\\n"}', "'name' must be"),
    ('{"name": 7}', "'name' must be"),
    ('{"name": "' + "a" * 65 + '"}', "'name' must be"),
    ('{"options": []}', "'options' must be an object"),
    ('{"options": {"bogus": 1}}', "no option 'bogus'"),
    ('{"options": {"nice": 20}}', "Niceness ('nice') must be at most 19 (20 asked)"),
    ('{"options": {"nice": -1}}', "Niceness ('nice') must be at least 0 (-1 asked)"),
    ('{"options": {"threads_per_engine": "two"}}', "must be a number"),
    ('{"options": {"threads_per_engine": 1.5}}', "whole number"),
    ('{"options": {"nice": ' + "9" * 400 + "}}", "must be at most 19 (9999"),
    ('{"options": {"nice": -' + "9" * 400 + "}}", "must be at least 0 (-999"),
    ('{"options": {"nice": 1e400}}', "must be finite"),
    ('{"engines": ' + "9" * 400 + "}", "must be at most 4 on this server"),
    ('{"colour": "red"}', "unknown field(s) 'colour'"),
    ("", "needs a JSON object"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_CREATES)
async def test_bad_pool_requests_are_answered_400(api: Api, raw: str, message: str) -> None:
    reply = await api("POST", "clusters", raw=raw)

    assert reply.status == 400, reply.body
    assert message in reply.body["message"]
    assert (await api("GET", "clusters")).body == {"clusters": []}, "nothing was started"


def operations_with_a_body() -> list[tuple[str, str]]:
    """(method, path) of every documented operation that takes a JSON body."""
    found = []
    for template, item in document()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                path = template.removeprefix("/jasmin/api/")
                path = path.replace("{pool_id}", "0123abcd").replace("{name}", "cmip6-sample")
                found.append((method.upper(), path))
    return found


@pytest.mark.parametrize(("method", "path"), operations_with_a_body())
@pytest.mark.parametrize(
    "raw",
    [
        "[" * 20_000 + "]" * 20_000,
        '{"options": ' + '{"a": ' * 5_000 + "1" + "}" * 5_001,
        '{"full": ' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"options": ' + '{"a": ' * 100 + "1" + "}" * 101,  # within Python's recursion limit
    ],
    ids=["nested-array", "nested-objects", "nested-field", "nested-100"],
)
async def test_deeply_nested_bodies_are_400(api: Api, method: str, path: str, raw: str) -> None:
    reply = await api(method, path, raw=raw)

    assert reply.status == 400, reply.body
    assert "nested too deeply" in reply.body["message"]


def test_every_route_with_a_body_is_probed() -> None:
    assert len(operations_with_a_body()) == 3


async def test_oversized_body_is_refused(api: Api) -> None:
    reply = await api("POST", "clusters", raw='{"name": "' + "x" * 70_000 + '"}')

    assert reply.status == 413
    assert "bytes" in reply.body["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "clusters/0123abcd"),
        ("PATCH", "clusters/0123abcd"),
        ("DELETE", "clusters/0123abcd"),
        ("GET", "clusters/0123abcd/snippet"),
        ("GET", "clusters/..%2F..%2Fetc"),
    ],
)
async def test_unknown_pools_are_404(api: Api, method: str, path: str) -> None:
    body = {"engines": 1} if method == "PATCH" else None
    reply = await api(method, path, body=body)

    assert reply.status == 404
    assert "no engine pool" in reply.body["message"]


async def test_unknown_endpoints_are_json_404(api: Api) -> None:
    reply = await api("GET", "no/such/thing")

    assert reply.status == 404
    assert "no such endpoint" in reply.body["message"]


async def test_event_loop_diagnostics_are_off_by_default(api: Api) -> None:
    reply = await api("GET", "diagnostics/event-loop")

    assert reply.status == 404
    assert "c.Jasmin.watch_event_loop" in reply.body["message"]


@pytest.mark.jasmin(watch_event_loop=True)
async def test_event_loop_diagnostics_report_stalls(api: Api) -> None:
    reply = await api("GET", "diagnostics/event-loop", headers={})

    assert reply.status == 200
    assert reply.body["max_stall_ms"] >= 0
    assert reply.body["interval_ms"] == 5
    assert reply.body["stalls_over_50ms"] >= 0


BAD_SCALES = [
    ('{"engines": -1}', "at least 0"),
    ('{"engines": 5}', "Engines ('engines') must be at most 4 on this server (5 asked)"),
    ('{"engines": null}', "give 'engines' (how many), an 'adapt' range, or 'idle_minutes'"),
    ("{}", "give 'engines' (how many), an 'adapt' range, or 'idle_minutes'"),
    ('{"engines": 1, "adapt": {"minimum": 0, "maximum": 1}}', "not both"),
    ('{"engines": 1, "name": "x"}', "unknown field(s) 'name'"),
    ('{"engines": 1, "backend": "nosuch"}', "unknown backend 'nosuch'"),
    ('{"engines": 0, "options": false}', "'options' must be an object"),
    ('{"backend": "local", "idle_minutes": 5}', "'backend' and 'options' go with 'engines'"),
    ('{"idle_minutes": -1}', "a number of minutes, 0 or more"),
    ('{"idle_minutes": "10"}', "a number of minutes, 0 or more"),
    ('{"idle_minutes": 6.7e307}', "must be at most 525600"),
    ("[]", "must be a JSON object"),
]


async def test_bad_scale_requests_are_400_and_leave_the_pool_alone(api: Api) -> None:
    created = await api("POST", "clusters", {"name": "steady", "engines": 1})
    pool = await wait_for_pool(api, created.body["id"], running(1))

    for raw, message in BAD_SCALES:
        reply = await api("PATCH", f"clusters/{pool['id']}", raw=raw)
        assert reply.status == 400, (raw, reply.body)
        assert message in reply.body["message"], (raw, reply.body)

    other_options = await api(
        "PATCH", f"clusters/{pool['id']}", {"engines": 1, "options": {"nice": 5}}
    )
    assert other_options.status == 409
    assert "a part's options are fixed" in other_options.body["message"]

    still = await api("GET", f"clusters/{pool['id']}")
    assert still.body["engines"]["running"] == 1
    assert still.body["state"] == "running"
    stopped = await api("DELETE", f"clusters/{pool['id']}")
    assert stopped.status == 200
    late = await api("PATCH", f"clusters/{pool['id']}", {"engines": 2})
    assert late.status == 404

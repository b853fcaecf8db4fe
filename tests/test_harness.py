"""The tests' own safety nets catch what they are there to catch."""

from __future__ import annotations

import subprocess

from .conftest import running_now, started_by_tests


def test_the_leak_check_sees_a_process_a_test_started_and_left() -> None:
    before = running_now()
    # in a session of its own, as engines and nannies are: not a child we could wait on
    escaped = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert escaped.pid in {process.pid for process in started_by_tests(before)}
    finally:
        escaped.kill()
        escaped.wait(10)
    assert escaped.pid not in {process.pid for process in started_by_tests(before)}

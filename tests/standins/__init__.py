"""Recording stand-ins for schedulers that cannot be installed here (PBS, LSF).

The fixture ``standins`` (import ``standins_fixture`` into a test module) puts
``qsub``, ``qstat``, ``qdel``, ``bsub``, ``bjobs`` and ``bkill`` first on PATH for one
test (more names with ``standins.add("sacct")``). Each records its command line, stdin,
script files and chosen environment variables (``standins.record_environment(...)``),
and replays a scheduler's output from ``replays/<scenario>/``, chosen with
``standins.replay("pbs-openpbs")``. ``replays/README.md`` says which documented
format each replay follows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
STANDIN = HERE / "standin.py"
REPLAYS = HERE / "replays"
COMMANDS = ("qsub", "qstat", "qdel", "bsub", "bjobs", "bkill")


@dataclass(frozen=True)
class Call:
    """One call of a stand-in: ``argv`` starts with the command's name."""

    command: str
    argv: list[str]
    stdin: str
    files: dict[str, str] = field(default_factory=dict)
    cwd: str = ""
    environ: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Standins:
    bin_dir: Path
    record: Path
    patch: pytest.MonkeyPatch

    def add(self, *names: str) -> None:
        """Stand in for more commands (``squeue``, ``sacct``) in this test."""
        for name in names:
            link = self.bin_dir / name
            if not link.exists():
                link.symlink_to(STANDIN)

    def replay(self, scenario: str | Path) -> None:
        """Replay ``replays/<scenario>/`` (or a folder of the test's own)."""
        folder = scenario if isinstance(scenario, Path) else REPLAYS / scenario
        assert folder.is_dir(), f"no replay folder {folder}"
        self.patch.setenv("STANDIN_REPLAY", str(folder))

    def record_environment(self, *variables: str) -> None:
        """Record these environment variables of every later call (``Call.environ``)."""
        self.patch.setenv("STANDIN_ENV", ",".join(variables))

    def calls(self, command: str | None = None) -> list[Call]:
        """Every call so far (of ``command`` only, if given), oldest first."""
        if not self.record.exists():
            return []
        found = [Call(**json.loads(line)) for line in self.record.read_text().splitlines()]
        return [call for call in found if command is None or call.command == command]


@pytest.fixture(name="standins")
def standins_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standins:
    """Stand-ins first on PATH for one test, recording into a file of the test's own."""
    bin_dir = tmp_path / "standin-bin"
    bin_dir.mkdir()
    record = tmp_path / "standin-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("STANDIN_RECORD", str(record))
    monkeypatch.delenv("STANDIN_REPLAY", raising=False)
    monkeypatch.delenv("STANDIN_ENV", raising=False)
    found = Standins(bin_dir, record, monkeypatch)
    found.add(*COMMANDS)
    return found

"""The one-command benchmark runner's report: targets judged, failures and skips shown, the
README's block rewritten. (The benchmarks themselves run in .ci/test's quick step.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_runner", BENCHMARKS / "__main__.py")
    assert spec is not None
    assert spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = runner  # its dataclasses look themselves up there
    spec.loader.exec_module(runner)
    return runner


def summary(mode: str) -> dict[str, Any]:
    sys.path.insert(0, str(BENCHMARKS))
    from _figures import at_least, at_most, figure

    return {
        "mode": mode,
        "when": "2026-12-06T04:00:00Z",
        "took_s": 12.0,
        "machine": {"cores": 2, "memory_gb": 23.6, "cpu": "a CPU", "load_average_1min": 0.5},
        "benchmarks": [
            {
                "name": "pool-start",
                "status": "ok",
                "command": "python benchmarks/pool_start.py",
                "reason": "",
                "stderr_tail": "",
                "figures": [
                    figure("POST clusters to running", 1.58, "s"),
                    at_most("ready, REST / ipyparallel defaults", 0.24, "x", 0.5),
                    at_least("pmap over serial xarray", 1.2, "x", 1.8, "small files"),
                ],
            },
            {
                "name": "slurm-pool",
                "status": "skipped",
                "command": "python benchmarks/slurm_pool.py",
                "reason": "'slurmctld' is not installed",
                "stderr_tail": "",
                "figures": [],
            },
            {
                "name": "load",
                "status": "failed",
                "command": "python benchmarks/load.py",
                "reason": "exit status 1",
                "stderr_tail": "Traceback ...",
                "figures": [],
            },
        ],
    }


def test_full_mode_judges_targets_and_names_misses_failures_and_skips() -> None:
    runner = load_runner()
    rows = runner.rows(summary("full"))
    statuses = {row[1]: row[4] for row in rows}
    assert statuses["POST clusters to running"] == ""
    assert statuses["ready, REST / ipyparallel defaults"] == "met"
    assert statuses["pmap over serial xarray"] == "missed"
    assert ("slurm-pool", "skipped") in {(row[0], row[4]) for row in rows}
    assert ("load", "failed") in {(row[0], row[4]) for row in rows}
    assert runner.tally(summary("full")) == "1 met, 1 missed, 1 failed, 1 skipped"

    text = runner.markdown(summary("full"))
    assert "2 cores, 23.6 GB, a CPU" in text
    assert "| ready, REST / ipyparallel defaults | 0.24x | ≤ 0.5 | met |" in text
    assert "- pool-start: pmap over serial xarray: 1.2x (target ≥ 1.8)" in text
    assert "skipped: 'slurmctld' is not installed" in text


def test_quick_mode_marks_targets_quick() -> None:
    runner = load_runner()
    statuses = {row[1]: row[4] for row in runner.rows(summary("quick"))}
    assert statuses["pmap over serial xarray"] == "quick"
    assert statuses["ready, REST / ipyparallel defaults"] == "quick"


def test_readme_block_is_replaced_and_the_prose_around_it_kept(tmp_path: Path) -> None:
    runner = load_runner()
    readme = tmp_path / "README.md"
    block = f"{runner.BEGIN}\nold tables\n{runner.END}"
    readme.write_text(f"## Measured\n\nIntro.\n\n{block}\n\nWhy.\n")
    runner.write_readme(summary("full"), readme)
    text = readme.read_text()
    assert "old tables" not in text
    assert text.startswith("## Measured\n\nIntro.\n\n")
    assert text.endswith(f"{runner.END}\n\nWhy.\n")
    assert "| POST clusters to running | 1.58 s |  |  |" in text


def test_a_run_of_some_benchmarks_replaces_theirs_and_keeps_the_others(tmp_path: Path) -> None:
    runner = load_runner()
    stored = summary("full")
    stored["benchmarks"].append({**stored["benchmarks"][0], "name": "analysis"})
    path = tmp_path / "latest.json"
    path.write_text(runner.json.dumps(stored))
    later = {**summary("full"), "when": "2026-12-06T05:00:00Z"}
    later["benchmarks"] = [{**later["benchmarks"][0], "name": "analysis", "seconds": 99}]

    merged = runner.updated(path, later)
    names = [e["name"] for e in merged["benchmarks"]]
    assert sorted(names) == sorted(e["name"] for e in stored["benchmarks"]), "one entry each"
    assert names == sorted(names, key=[b.name for b in runner.BENCHMARKS].index)
    analysis = next(e for e in merged["benchmarks"] if e["name"] == "analysis")
    assert (analysis["seconds"], analysis["when"]) == (99, "2026-12-06T05:00:00Z")
    others = {e["when"] for e in merged["benchmarks"] if e["name"] != "analysis"}
    assert others == {"2026-12-06T04:00:00Z"}
    assert "2026-12-06T04:00:00Z to 2026-12-06T05:00:00Z" in runner.heading(merged)[0]
    assert runner.updated(tmp_path / "none.json", later) is later, "nothing stored: the run"

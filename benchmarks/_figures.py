"""What every benchmark reports and how: its figures (a value, its unit, its target and
whether the target was met), the machine it ran on, the ``--json`` option and the one
atomic write of a result file. ``python -m benchmarks`` collects the figures.

A figure::

    {"name": str, "value": float, "unit": str, "target": str | None, "met": bool | None,
     "note": str}

``target`` is written for people ("≤ 0.5", "≥ 1.8", "< 50"); ``met`` is None when the
figure has no target (it is there to be read beside the others).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any, TypedDict

import psutil

RESULTS = Path(__file__).parent / "results"


class Figure(TypedDict):
    name: str
    value: float
    unit: str
    target: str | None
    met: bool | None
    note: str


def figure(name: str, value: float, unit: str, note: str = "") -> Figure:
    """A figure with no target: read beside the others."""
    return {
        "name": name,
        "value": _rounded(value),
        "unit": unit,
        "target": None,
        "met": None,
        "note": note,
    }


def at_most(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    return {**figure(name, value, unit, note), "target": f"≤ {limit:g}", "met": value <= limit}


def below(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    return {**figure(name, value, unit, note), "target": f"< {limit:g}", "met": value < limit}


def at_least(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    return {**figure(name, value, unit, note), "target": f"≥ {limit:g}", "met": value >= limit}


def above(name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    return {**figure(name, value, unit, note), "target": f"> {limit:g}", "met": value > limit}


def _rounded(value: float) -> float:
    """Four significant digits: what a table shows, without float noise in the JSON."""
    return float(f"{value:.4g}")


def machine() -> dict[str, Any]:
    """Cores, memory and CPU model of this machine, and how busy it is now."""
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def json_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``--json PATH``: where the result goes (default ``benchmarks/results/<default>``)."""
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS / default,
        help=f"where to write the result (default benchmarks/results/{default})",
    )


def write_result(path: Path, result: dict[str, Any]) -> None:
    """The result file, whole or not at all (a runner may read it as soon as we exit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    os.replace(partial, path)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in seconds, in milliseconds."""
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "n": len(ordered)}


def pool_figures(
    pool: str, ready: float, defaults: float, tuned: float | None, stop: float
) -> list[Figure]:
    """A pool's start through REST next to ipyparallel's own launcher (medians, seconds):
    at most half its defaults (issue 2) and at most 1.1x it tuned alike (issue 6)."""
    found = [
        figure(f"{pool}: POST clusters to running", ready, "s"),
        figure(f"{pool}: ipyparallel, defaults", defaults, "s"),
        at_most(f"{pool}: ready, REST / ipyparallel defaults", ready / defaults, "x", 0.5),
    ]
    if tuned is not None:
        found += [
            figure(f"{pool}: ipyparallel, 250 ms heartbeat", tuned, "s"),
            at_most(f"{pool}: ready, REST / ipyparallel tuned alike", ready / tuned, "x", 1.1),
        ]
    found.append(figure(f"{pool}: DELETE until stopped", stop, "s"))
    return found

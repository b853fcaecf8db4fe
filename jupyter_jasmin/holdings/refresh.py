"""Build one holding's index in a process of its own, reporting progress as JSON lines.

The server starts ``python -m jupyter_jasmin.holdings.refresh`` so a scan of
millions of files never competes with its event loop for the GIL; stopping
the process at any moment leaves the previous index in place.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from .drs import DrsTemplate
from .index import build_index
from .scan import ScanStats


def report(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--drs", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--full", action="store_true", help="rescan every folder")
    parser.add_argument("--progress-every", type=float, default=0.5, help="seconds")
    args = parser.parse_args(argv)

    def progress(stats: ScanStats) -> None:
        report("progress", **asdict(stats))

    try:
        result = build_index(
            args.name,
            args.root,
            DrsTemplate.named(args.drs),
            args.index,
            progress=progress,
            incremental=not args.full,
            progress_every=args.progress_every,
        )
    except Exception as error:
        report("failed", error=f"{type(error).__name__}: {error}")
        return 1
    report("done", **asdict(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Python code that users drop into notebooks: connect to a pool, and later open data.

Every value that comes from a user or a path is written with ``repr`` so a
name or path can never break out of its string literal.
"""

from __future__ import annotations

from typing import Any


def pool_snippet(pool: dict[str, Any]) -> str:
    """Code that connects to a running pool and leaves a load-balanced view ready."""
    name = pool["name"]
    engines = max(1, pool["engines"]["requested"])
    return "\n".join(
        [
            f"# Engine pool {name!r} ({pool['backend']}, id {pool['id']!r}) from the JASMIN panel",
            "import ipyparallel as ipp",
            "",
            f"rc = ipp.Client({pool['connection_file']!r})",
            f"rc.wait_for_engines({engines}, timeout=120)",
            "view = rc.load_balanced_view()",
            f"print('Connected to', len(rc.ids), 'engines of pool', {name!r})",
            "",
            "# For example: squares = view.map_sync(lambda x: x * x, range(32))",
        ]
    )

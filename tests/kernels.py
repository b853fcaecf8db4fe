"""Code run as a user runs it: cells in a real IPython kernel (nbclient), which inherits
the test server's exports (profile folder, holdings, URL and token) as the kernels a
Jupyter server starts do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

# the last line a checking cell prints, read back as JSON
RESULT_MARK = "JASMIN-RESULT "


def notebook(*cells: str) -> NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


async def execute(nb: NotebookNode, cwd: Path, timeout: float = 300) -> NotebookNode:
    """Run every cell in a fresh python3 kernel, top to bottom; a cell that raises fails
    the run with the kernel's traceback (nbclient's CellExecutionError)."""
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        startup_timeout=120,
        resources={"metadata": {"path": str(cwd)}},
    )
    await client.async_execute()
    return nb


def result_cell(expression: str) -> str:
    """A cell that prints ``expression`` (JSON-able) for :func:`result`."""
    return f"import json as _json\nprint({RESULT_MARK!r} + _json.dumps({expression}))"


def result(nb: NotebookNode) -> Any:
    """What the last :func:`result_cell` printed."""
    for line in reversed(text(nb).splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line.removeprefix(RESULT_MARK))
    raise AssertionError(f"no result printed: {text(nb)[-2000:]}")


def text(nb: NotebookNode) -> str:
    """Every stream the cells wrote, in order."""
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def images(nb: NotebookNode) -> list[str]:
    """The PNG pictures the cells displayed (base64)."""
    return [
        output["data"]["image/png"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]

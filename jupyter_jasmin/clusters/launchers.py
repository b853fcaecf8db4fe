"""ipyparallel launchers adapted for pools (imported by ipyparallel when a pool of their
backend starts, by import path, so the server starts without importing ipyparallel)."""

from __future__ import annotations

from ipyparallel.cluster.launcher import MPIEngineSetLauncher

# How Open MPI frames its own reports in mpiexec's output.
OPEN_MPI_FRAME = "-" * 20


class MPIEngines(MPIEngineSetLauncher):  # type: ignore[misc]
    """ipyparallel's MPI engine-set launcher whose output, read back as a reason, puts
    the engines' own words last.

    When ranks fail, Open MPI ends its output with framed reports that only say a
    process exited (``Process name: [[25256,1],0]``, ``Exit code: 1``): the reason
    (a traceback, ``No module named 'mpi4py'``) comes before them. Those reports are
    left out when the engines or mpiexec said anything else; the output file keeps all.
    """

    def get_output(self, remove: bool = False) -> str:
        output: str = super().get_output(remove=remove)
        return own_words(output) or output


def own_words(output: str) -> str:
    """``output`` without Open MPI's framed reports (empty if that is all there is)."""
    kept: list[str] = []
    framed = False
    for line in output.splitlines():
        if line.startswith(OPEN_MPI_FRAME):
            framed = not framed
        elif not framed:
            kept.append(line)
    return "\n".join(kept).strip()

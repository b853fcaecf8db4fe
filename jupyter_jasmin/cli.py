"""``jupyter jasmin``: command-line tools for admins and users.

``jupyter jasmin index [--holding NAME] [--full]`` builds or refreshes the holdings'
indexes, reading ``c.Jasmin.holdings`` and ``c.Jasmin.index_dir`` from the same
``jupyter_server_config`` files the server reads (so a cron job can keep a
shared index up to date for many users' servers). It reads them without building the
server's application, and imports only what indexing needs: a cron job over a small
holding must not spend its time importing the server.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from jupyter_core.application import JupyterApp
from traitlets import Bool, Unicode
from traitlets.config.loader import LazyConfigValue

from .holdings.config import HoldingSpec, default_index_dir, sample_holdings
from .holdings.index import build_index
from .holdings.scan import ScanStats


class IndexApp(JupyterApp):
    name = "jupyter-jasmin-index"
    description = "Build or refresh the index of every holding (or of one, with --holding)."
    config_file_name = "jupyter_server_config"

    holding = Unicode("", config=True, help="Index only this holding.")
    full = Bool(False, config=True, help="Rescan every folder, not only changed ones.")
    # traitlets reads command-line aliases and flags from these class attributes
    aliases = {"holding": "IndexApp.holding", **JupyterApp.aliases}  # noqa: RUF012
    flags = {  # noqa: RUF012
        "full": ({"IndexApp": {"full": True}}, "Rescan every folder."),
        **JupyterApp.flags,
    }

    def jasmin_setting(self, name: str, default: Any) -> Any:
        """``c.Jasmin.<name>`` as the server would see it (files and command line)."""
        value = self.config.get("Jasmin", {}).get(name, None)
        if isinstance(value, LazyConfigValue):  # c.Jasmin.holdings.append(...)
            value = value.get_value(default)
        return default if value is None else value

    def start(self) -> None:
        try:
            configured = [
                HoldingSpec.from_config(entry)
                for entry in list(self.jasmin_setting("holdings", [])) or sample_holdings()
            ]
        except ValueError as error:
            self.exit(str(error))
        index_dir = str(self.jasmin_setting("index_dir", "")) or default_index_dir()
        specs = configured
        if self.holding:
            specs = [spec for spec in specs if spec.name == self.holding]
            if not specs:
                names = ", ".join(s.name for s in configured) or "none"
                self.exit(f"no holding named {self.holding!r} (configured: {names})")
        if not specs:
            self.exit("no holdings configured (c.Jasmin.holdings) and no sample archive installed")
        failed = False
        for spec in specs:
            index_path = f"{index_dir}/{spec.name}.sqlite"
            started = time.monotonic()
            try:
                report = build_index(
                    spec.name,
                    spec.root,
                    spec.template,
                    index_path,
                    progress=ProgressLine(spec.name),
                    incremental=not self.full,
                )
            except (OSError, ValueError) as error:
                print(f"\r{spec.name}: failed: {error}", file=sys.stderr)
                failed = True
                continue
            print(
                f"\r{spec.name}: {report.files:,} files in {report.datasets:,} datasets, "
                f"{report.unmatched:,} paths not matching {spec.template.spec!r}, "
                f"{report.reused_folders:,} of {report.folders:,} folders unchanged, "
                f"{time.monotonic() - started:.1f} s -> {index_path}",
                file=sys.stderr,
            )
        if failed:
            self.exit(1)


class ProgressLine:
    """A one-line progress report on a terminal, redrawn in place."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, stats: ScanStats) -> None:
        rate = stats.files / stats.seconds if stats.seconds else 0
        sys.stderr.write(
            f"\r{self.name}: {stats.files:,} files, {stats.folders:,} folders, "
            f"{stats.seconds:.1f} s ({rate:,.0f} files/s)   "
        )
        sys.stderr.flush()


class JasminCommand(JupyterApp):
    name = "jupyter-jasmin"
    description = "jupyter_jasmin command-line tools."
    subcommands: dict[str, Any] = {  # noqa: RUF012
        "index": (IndexApp, IndexApp.description),
    }

    def start(self) -> None:
        if self.subapp is None:
            self.print_subcommands()
            self.exit(1)
        super().start()


main = JasminCommand.launch_instance

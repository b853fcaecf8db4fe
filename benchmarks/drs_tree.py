"""A synthetic CMIP6-layout archive of empty files, for index benchmarks.

    python benchmarks/drs_tree.py ROOT --files 1000000 [--layout facility]

Datasets have 20 files each by default (the sample archive has 1 to 65); the
tree has the published CMIP6 DRS, so the index parses it like the real archive.
With ``--layout facility`` it has the facility archive's layout instead: each
dataset's files live in ``<grid>/files/dYYYYMMDD/``, its version folder
``<grid>/vYYYYMMDD/`` holds links to them, and ``<grid>/latest`` links to the
version.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

ACTIVITIES = ("CMIP", "ScenarioMIP", "DAMIP", "AerChemMIP")
EXPERIMENTS = ("historical", "ssp126", "ssp245", "ssp370", "ssp585", "piControl", "amip")
TABLES = ("Amon", "day", "Omon", "SImon", "Lmon", "6hrPlevPt", "fx")
VARIABLES = ("ta", "tas", "pr", "psl", "ua", "va", "hus", "zg", "tos", "siconc", "clt", "rsds")


def datasets(count: int) -> list[tuple[str, ...]]:
    models = [f"MODEL-{m:03d}" for m in range(count // 100 + 2)]
    combos = itertools.product(
        models, EXPERIMENTS[:5], ("r1i1p1f1", "r2i1p1f1"), TABLES[:5], VARIABLES
    )
    chosen = []
    for model, experiment, member, table, variable in combos:
        institute = f"INST-{int(model[-3:]) % 40:02d}"
        activity = "CMIP" if experiment in ("historical", "piControl", "amip") else "ScenarioMIP"
        chosen.append(
            (
                "CMIP6",
                activity,
                institute,
                model,
                experiment,
                member,
                table,
                variable,
                "gn",
                f"v2019{len(chosen) % 12 + 1:02d}15",
            )
        )
        if len(chosen) == count:
            break
    return chosen


LAYOUTS = ("drs", "facility")


def build(root: Path, files: int, per_dataset: int = 20, layout: str = "drs") -> dict[str, float]:
    started = time.monotonic()
    made = 0
    for parts in datasets(-(-files // per_dataset)):
        folder = root.joinpath(*parts)
        _, _, _, model, experiment, member, table, variable, grid, version = parts
        if layout == "facility":
            version_folder, folder = folder, folder.parent / "files" / f"d{version[1:]}"
            version_folder.mkdir(parents=True, exist_ok=True)
            os.symlink(version, version_folder.parent / "latest")
        folder.mkdir(parents=True, exist_ok=True)
        for year in range(1850, 1850 + per_dataset * 10, 10):
            if made == files:
                break
            name = (
                f"{variable}_{table}_{model}_{experiment}_{member}_{grid}_{year}01-{year + 9}12.nc"
            )
            os.close(os.open(folder / name, os.O_CREAT | os.O_WRONLY, 0o644))
            if layout == "facility":
                os.symlink(f"../files/{folder.name}/{name}", version_folder / name)
            made += 1
    return {"files": made, "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--per-dataset", type=int, default=20)
    parser.add_argument("--layout", choices=LAYOUTS, default="drs")
    args = parser.parse_args()
    print(build(args.root, args.files, args.per_dataset, args.layout))


if __name__ == "__main__":
    main()

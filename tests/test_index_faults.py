"""The holdings index under hostile or unlucky conditions: queries racing a reload."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

from benchmarks.drs_tree import build as build_tree
from jupyter_jasmin.holdings.drs import DrsTemplate
from jupyter_jasmin.holdings.index import build_index
from jupyter_jasmin.holdings.query import IndexReader, Selection

CMIP6 = DrsTemplate.named("cmip6")


# --- queries racing a reload -----------------------------------------------------


def test_queries_racing_reloads_see_one_whole_index(tmp_path: Path, sample: Path) -> None:
    """Two indexes swapped in turn under a reader queried from threads: every answer is
    one index's answer, never a mix, and the reader ends up answering for the last."""
    small = tmp_path / "small"
    build_tree(small, 400, per_dataset=2)
    versions = []
    for name, root in (("a", sample), ("b", small)):
        built = tmp_path / f"{name}.sqlite"
        build_index(name, str(root), CMIP6, str(built))
        versions.append(built)
    searched = Selection(text="historical r1i1p1f1")
    expected = []
    for built in versions:
        reader = IndexReader(str(built))
        expected.append((reader.facet_counts(Selection()), reader.page(searched, 0, 500)))

    path = tmp_path / "index.sqlite"
    shutil.copyfile(versions[0], path)
    reader = IndexReader(str(path))
    stop = threading.Event()
    wrong: list[Any] = []
    answered = [0, 0, 0]  # queries answered by each asker
    progress = threading.Condition()

    def ask(me: int) -> None:
        while not stop.is_set():
            try:
                reader.reload()
                answer = (reader.facet_counts(Selection()), reader.page(searched, 0, 500))
            except Exception as error:
                wrong.append(repr(error))
                answer = expected[0]
            if answer[0] not in (counts for counts, _ in expected):
                wrong.append(("facet counts of neither index", answer[0]["total"]))
            if answer[1] not in (page for _, page in expected):
                wrong.append(("a page of neither index", answer[1]["total"]))
            with progress:
                answered[me] += 1
                progress.notify_all()

    askers = [threading.Thread(target=ask, args=(me,)) for me in range(len(answered))]
    for thread in askers:
        thread.start()
    try:
        for turn in range(150):
            shutil.copyfile(versions[turn % 2], f"{path}.new")
            os.replace(f"{path}.new", path)
            reader.reload()
            # the next swap once every asker has answered since this one, mid-query or not
            with progress:
                before = list(answered)
                assert progress.wait_for(
                    lambda before=before: all(a > b for a, b in zip(answered, before, strict=True)),
                    30,
                )
    finally:
        stop.set()
        for thread in askers:
            thread.join(30)
    assert not wrong, wrong[:5]
    reader.reload()
    assert reader.facet_counts(Selection()) == expected[1][0]

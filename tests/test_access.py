"""Access by Unix group, as at the facility: an admin's cron job builds the index (as root)
that every user's server shares, one collection is open to its Unix group only, and a
user outside that group sees its datasets listed and marked, and is told why when
opening one, through the REST API and the notebook API alike.

Root reads everything, so the servers and scripts here run as users made for the test
(``useradd``), removed again after it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .contract import check_reply
from .servers import ServerProcess

NEEDED = ("useradd", "userdel", "groupadd", "groupdel", "setpriv", "unshare", "mount")
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in NEEDED),
    reason="needs root (to add a user and a group, and to build the shared index as an "
    f"admin's cron job does) and {', '.join(NEEDED)}",
)

HOLDING = "facility"
LOCKED_COLLECTION = "CMIP6/CMIP/CSIRO/ACCESS-ESM1-5"
OPEN_COLLECTION = "CMIP6/CMIP/CSIRO-ARCCSS/ACCESS-CM2"
LOCKED_ID = "CMIP6.CMIP.CSIRO.ACCESS-ESM1-5.historical.r1i1p1f1.Amon.ta.gn.v20191115"
OPEN_ID = "CMIP6.CMIP.CSIRO-ARCCSS.ACCESS-CM2.historical.r1i1p1f1.Amon.ta.gn.v20191108"


@dataclass(frozen=True)
class Facility:
    """The shared archive, its index and configuration, and the users of the test."""

    folder: Path
    root: Path  # the holding's root
    index_dir: Path  # built by root, read-only for users
    config_dir: Path  # the site's jupyter_server_config.py
    group: str  # the group that owns the locked collection
    outsider: str  # a user outside that group
    member: str  # a user in it
    expose: str  # shell lines that make the test's Python reachable by any user

    def as_user(self, user: str) -> list[str]:
        """A command prefix: what follows runs as ``user`` (its groups as at login)."""
        script = (
            f'set -e\n{self.expose}\nexec setpriv --reuid="$0" --regid="$0" --init-groups -- "$@"'
        )
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, user]

    def environment(self, user: str, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        env.update(HOME=str(home), USER=user, LOGNAME=user, JUPYTER_CONFIG_DIR=str(self.config_dir))
        return env

    def home(self, user: str) -> Path:
        home = self.folder / f"home-{user}"
        home.mkdir(exist_ok=True)
        shutil.chown(home, user, user)
        return home


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def _expose_interpreter(scratch: Path) -> str:
    """Shell lines (run as root in a mount namespace of its own) that open the test's
    Python to other users when it lies under a closed folder (pyenv in /root, 0700): a
    world-traversable tmpfs over the closed folder, with the interpreter's tree bound back
    into it. Nothing changes outside that namespace."""
    base = Path(os.path.realpath(sys.base_prefix))
    parts = base.parts
    for depth in range(1, len(parts)):
        closed = Path(*parts[: depth + 1])
        if os.stat(closed).st_mode & stat.S_IXOTH:
            continue
        kept = Path(*parts[: depth + 2])
        below = [Path(*parts[: d + 1]) for d in range(depth + 1, len(parts))]
        if any(not os.stat(folder).st_mode & stat.S_IXOTH for folder in below):
            pytest.skip(f"the test's Python ({base}) lies under several closed folders")
        held = scratch / "held"
        held.mkdir()
        return (
            f"mount --bind {kept} {held}\n"
            f"mount -t tmpfs -o mode=0755 tmpfs {closed}\n"
            f"mkdir -p {kept}\n"
            f"mount --bind {held} {kept}"
        )
    return ""


@pytest.fixture(scope="module")
def facility(sample: Path) -> Iterator[Facility]:
    tag = secrets.token_hex(3)
    group, outsider, member = f"cmip6_acc_{tag}", f"jx_out_{tag}", f"jx_in_{tag}"
    folder = Path(tempfile.mkdtemp(prefix="jasmin-access-"))
    made: list[tuple[str, str]] = []
    try:
        folder.chmod(0o755)
        _run("groupadd", group)
        made.append(("groupdel", group))
        for user, extra in ((outsider, []), (member, ["-G", group])):
            _run("useradd", "--no-create-home", "--user-group", *extra, user)
            made.insert(0, ("userdel", user))
        root = folder / "archive"
        for collection in (LOCKED_COLLECTION, OPEN_COLLECTION):
            shutil.copytree(sample / collection, root / collection)
        for path in root.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        root.chmod(0o755)
        locked = root / LOCKED_COLLECTION
        shutil.chown(locked, group=group)
        locked.chmod(0o750)
        config_dir = folder / "etc"
        config_dir.mkdir()
        index_dir = folder / "index"
        holding = {"name": HOLDING, "root": str(root), "drs": "cmip6"}
        (config_dir / "jupyter_server_config.py").write_text(
            f"c.Jasmin.holdings = [{holding!r}]\nc.Jasmin.index_dir = {str(index_dir)!r}\n"
        )
        site = Facility(
            folder,
            root,
            index_dir,
            config_dir,
            group,
            outsider,
            member,
            _expose_interpreter(folder),
        )
        # the admin's cron job, as root: every dataset is indexed, readable by its users or not
        index = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "jupyter-jasmin"), "index"],
            env=site.environment("root", folder),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert index.returncode == 0, index.stderr
        yield site
    finally:
        for command, name in made:
            subprocess.run([command, name], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_user_outside_the_group_sees_locked_datasets_marked_and_refused_by_rest(
    facility: Facility,
) -> None:
    user = facility.outsider
    home = facility.home(user)
    profile = home / "profile"
    profile.mkdir()
    shutil.chown(profile, user, user)
    server = ServerProcess(
        home,
        profile,
        f"--Jasmin.index_dir={facility.index_dir}",
        prefix=facility.as_user(user),
        env=facility.environment(user, home),
    )
    try:
        holding = server.call("GET", f"holdings/{HOLDING}")
        assert (holding["state"], holding["datasets"], holding["files"]) == ("ready", 4, 4)

        # the shared index counts every dataset, locked or not
        facets = server.call("GET", f"holdings/{HOLDING}/facets")
        assert facets["total"] == 4
        models = {v["value"]: v["count"] for v in facets["facets"]["source_id"]}
        assert models == {"ACCESS-ESM1-5": 2, "ACCESS-CM2": 2}

        page = server.call("GET", f"holdings/{HOLDING}/datasets?latest=false")
        marks = {d["id"]: d["access"] for d in page["datasets"]}
        assert page["total"] == len(marks) == 4
        assert marks[OPEN_ID] == {"readable": True, "group": None, "reason": None}
        locked = marks[LOCKED_ID]
        assert locked["readable"] is False
        assert locked["group"] == facility.group
        assert f"Unix group '{facility.group}' (you are not a member)" in locked["reason"]
        assert "CMIP6/CMIP/CSIRO/ACCESS-ESM1-5" in locked["reason"]  # the folder that stops
        for dataset_id, mark in marks.items():
            assert mark["readable"] == ("ACCESS-CM2" in dataset_id)

        detail = server.call("GET", f"holdings/{HOLDING}/datasets/{LOCKED_ID}")
        assert detail["access"] == locked  # the detail view carries the same mark

        # a locked dataset's metadata, quick-look and snippets: 403, saying why
        for route in ("metadata", "quicklook.png", "snippet"):
            status, body = server.request("GET", f"holdings/{HOLDING}/datasets/{LOCKED_ID}/{route}")
            assert status == 403, (route, body)
            assert body["message"].startswith(f"you cannot read {LOCKED_ID}: access is by ")
            assert f"'{facility.group}' (you are not a member)" in body["message"]
            assert "ask the archive's managers to add you" in body["message"]
        status, body = server.request("GET", f"holdings/{HOLDING}/snippet?source_id=ACCESS-ESM1-5")
        assert status == 403
        assert "you cannot read any of the 2 datasets of this selection" in body["message"]

        # an open dataset reads as before
        metadata = server.call("GET", f"holdings/{HOLDING}/datasets/{OPEN_ID}/metadata")
        assert metadata["variables"][0]["name"] == "ta"
        assert (
            "holdings.open"
            in server.call("GET", f"holdings/{HOLDING}/datasets/{OPEN_ID}/snippet")["code"]
        )
        picture = _fetch(server, f"holdings/{HOLDING}/datasets/{OPEN_ID}/quicklook.png")
        assert picture.startswith(b"\x89PNG")

        # a selection of both: the cell analyses the readable one and says what it leaves out
        code = server.call("GET", f"holdings/{HOLDING}/snippet?table_id=Amon")["code"]
        left_out = "# 1 selected datasets you cannot read are left out (access is by the Unix"
        assert f"{left_out} group '{facility.group}')" in code
        assert "if d.readable]" in code
        assert "of the 1 selected datasets" in code
    finally:
        server.stop()


def _fetch(server: ServerProcess, path: str) -> bytes:
    """A non-JSON reply that must succeed, checked against the document."""
    request = urllib.request.Request(
        f"{server.url}/jasmin/api/{path}", headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        content: bytes = response.read()
        check_reply("GET", f"/jasmin/api/{path}", response.status, response.headers, content)
    return content


NOTEBOOK = textwrap.dedent(
    """
    import json
    from jupyter_jasmin import holdings
    from jupyter_jasmin.errors import Forbidden

    found = holdings.search({holding!r}, latest=False)
    said = {{"marks": {{d.id: d.access for d in found}}, "listing": repr(found)}}
    for name, use in [
        ("dataset", lambda: holdings.dataset({holding!r}, {locked!r}).id),
        ("open", lambda: float(holdings.open({holding!r}, {locked!r})["ta"].mean())),
        ("files", lambda: len(next(d for d in found if d.id == {locked!r}).files)),
        ("open_other", lambda: float(holdings.open({holding!r}, {open!r})["ta"].mean())),
    ]:
        try:
            said[name] = use()
        except Forbidden as error:
            said[name] = "Forbidden: " + error.message
    print(json.dumps(said))
    """
)


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_the_notebook_api_refuses_locked_datasets_to_those_outside_the_group(
    facility: Facility, who: str
) -> None:
    user = getattr(facility, who)
    home = facility.home(user)
    code = NOTEBOOK.format(holding=HOLDING, locked=LOCKED_ID, open=OPEN_ID)
    run = subprocess.run(
        [*facility.as_user(user), sys.executable, "-c", code],
        env=facility.environment(user, home),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
    )
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout.splitlines()[-1])

    assert len(said["marks"]) == 4  # the search finds every dataset, readable or not
    assert isinstance(said["open_other"], float)
    if who == "member":
        assert all(mark["readable"] for mark in said["marks"].values())
        assert said["dataset"] == LOCKED_ID
        assert isinstance(said["open"], float)
        assert said["files"] == 1
        return
    assert said["marks"][LOCKED_ID]["group"] == facility.group
    assert f"{LOCKED_ID}  (locked: Unix group '{facility.group}')" in said["listing"]
    for refused in ("dataset", "open", "files"):
        assert said[refused].startswith(f"Forbidden: you cannot read {LOCKED_ID}: access is by")

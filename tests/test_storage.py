"""#19 item 2: storage faults are failures like any other.

Real faults, never simulated: a full tmpfs (mounted when the test may, else skipped with the
reason), a read-only mount (or chmod when not root), a real ``BEGIN EXCLUSIVE`` held by
another process, empty, truncated and foreign files. Each command is the real CLI in a
subprocess; each asserts one ``Error:`` line naming the file, no traceback, the documented
exit code (tracker/storage.py, docs/running.md), and a run record that agrees.
"""

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import TOKEN
from tracker.db import open_db, schema_is_current
from tracker.emulator import Emulator, load_facts

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "github:\n  users: [ines]\n"
SEED = "github:\n  orgs: [jupyterhub, voila-dashboards]\n  users: [ines]\n  repos: [mwouts/jupytext]\n"


def tracker(*args, env=None, cwd=None, timeout=120):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TRACKER_"))}
    full.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env=full, cwd=cwd, timeout=timeout)


def assert_one_error(proc, code, *words):
    """Exit ``code``, exactly one ``Error:`` line (containing ``words``), no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def summary_lines(proc):
    return [line for line in proc.stdout.splitlines()
            if line.split(":")[0].split(" (")[0] in ("ok", "partial", "failed", "interrupted")]


def runs(db_path):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("select id, status, exit_code, errors from harvest_runs "
                            "order by id").fetchall()
    finally:
        conn.close()


def digest_of(path):
    """The database and its WAL, byte for byte (an empty -wal, which SQLite opens for any
    reader of a WAL database, holds nothing)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(path).parent.glob(Path(path).name + "*"))
            if not p.name.endswith((".lock", "-shm")) and p.stat().st_size}


@pytest.fixture
def emu():
    """A fresh emulator per test: its secondary rate limit counts every request it saw."""
    with Emulator(load_facts(), tokens={TOKEN}) as emulator:
        yield emulator


def harvest(db_path, config_path, emu, *extra):
    return tracker("harvest", "--db", str(db_path), "--config", str(config_path),
                   "--max-rate", "0", *extra,
                   env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url})


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    """A real harvest of ines's repositories, digests built."""
    folder = tmp_path_factory.mktemp("harvested")
    config = folder / "tracker.yml"
    config.write_text(CONFIG)
    with Emulator(load_facts(), tokens={TOKEN}) as emulator:
        proc = harvest(folder / "tracker.db", config, emulator)
    assert proc.returncode == 0, proc.stderr
    return folder / "tracker.db", config


@pytest.fixture
def copy(harvested, tmp_path):
    """A private copy of the harvested database (checkpointed: one file)."""
    source, config = harvested
    target = tmp_path / "tracker.db"
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target, config


# -- mounts: real ones when we may, else skipped with the reason ----------------------

def can_mount():
    return hasattr(os, "geteuid") and os.geteuid() == 0 and sys.platform.startswith("linux")


@contextmanager
def tmpfs(size):
    if not can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux (CI runs as root)")
    folder = tempfile.mkdtemp(prefix="tracker-tmpfs-")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder],
                          capture_output=True, text=True)
    if proc.returncode:
        os.rmdir(folder)
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield Path(folder)
    finally:
        subprocess.run(["umount", "-l", folder], check=False)
        os.rmdir(folder)


def remount(folder, options):
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


# -- the disk fills mid-harvest ----------------------------------------------------------

@pytest.mark.parametrize("size", ["2m", "6m"])
def test_disk_full_mid_harvest_is_one_line_a_failed_record_and_rows_kept(emu, tmp_path, size):
    config = tmp_path / "tracker.yml"
    config.write_text(SEED)  # about 15 MB once harvested: more than the disk holds
    with tmpfs(size) as disk:
        db = disk / "tracker.db"
        proc = harvest(db, config, emu, "--no-digest")
        line = assert_one_error(proc, 74, str(db), "full", "free space")
        summary = summary_lines(proc)
        assert len(summary) == 1 and summary[0].startswith("failed:"), proc.stdout
        assert "cannot save a page" not in proc.stderr  # one line, not one per page
        assert runs(db) == [(1, "failed", 74, 1)]
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        errors = conn.execute("select source, target, message from harvest_errors").fetchall()
        kept = conn.execute("select (select count(*) from repos) + (select count(*) from "
                            "releases) + (select count(*) from issues)").fetchone()[0]
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        conn.close()
        assert errors == [("storage", str(db), line.removeprefix("Error: "))]
        assert kept > 0  # what was stored before the disk filled stays
        # Room again: the next run completes, the failed one stays as it was.
        remount(disk, "size=64m")
        again = harvest(db, config, emu, "--no-digest")
        assert again.returncode == 0, again.stderr
        assert len(summary_lines(again)) == 1 and "Traceback" not in again.stderr
        assert runs(db) == [(1, "failed", 74, 1), (2, "ok", 0, 0)]


def test_disk_already_full_at_start_is_one_line(emu, harvested, tmp_path):
    source, config = harvested
    with tmpfs("1m") as disk:
        db = disk / "tracker.db"
        with open(disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        proc = harvest(db, config, emu, "--no-digest")
        assert_one_error(proc, 74, str(db), "full")
        assert summary_lines(proc) == []  # no run began, none is claimed


# -- another process holds BEGIN EXCLUSIVE --------------------------------------------------

@contextmanager
def held_exclusive(db_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
         "c.execute('begin exclusive')\n"
         "c.execute('create table if not exists backup_marker(x)')\n"
         "print('held', flush=True)\n"
         "sys.stdin.read()\n"
         "c.execute('rollback')\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    try:
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_begin_exclusive_elsewhere_writers_exit_75_readers_still_work(emu, copy, tmp_path):
    db, config = copy
    before = runs(db)
    with held_exclusive(db):
        proc = harvest(db, config, emu, "--no-digest")
        assert_one_error(proc, 75, str(db), "another process")
        assert summary_lines(proc) == []
        note = tracker("note", "--db", str(db), "--week", "2019-W15", "hello")
        assert_one_error(note, 75, str(db))
        # Readers of a WAL database are not blocked by a writer: they still answer.
        status = tracker("status", "--db", str(db), "--max-age", "100000d")
        assert status.returncode == 0, status.stderr
        md = tracker("digest", "--db", str(db), "--format", "atom", "--base-url",
                     "https://example.org")
        assert md.returncode == 0 and "<feed" in md.stdout, md.stderr
        site = tracker("site", "--db", str(db), "-o", str(tmp_path / "site"))
        assert site.returncode == 0, site.stderr
    assert runs(db) == before  # nothing was recorded that did not happen


# -- files that are not a tracker database ------------------------------------------------

def damaged(kind, db, good):
    if kind == "empty":
        db.write_bytes(b"")
    elif kind == "truncated":
        data = good.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        db.write_bytes(os.urandom(40000))
    elif kind == "text":
        db.write_text("github:\n  users: [ines]\n")  # a watchlist passed as --db
    return db.read_bytes()


COMMANDS = {
    "harvest": lambda db, cfg: ["harvest", "--db", db, "--config", cfg, "--no-digest"],
    "status": lambda db, cfg: ["status", "--db", db],
    "digest": lambda db, cfg: ["digest", "--db", db],
    "digest --format md": lambda db, cfg: ["digest", "--db", db, "--format", "md"],
    "site": lambda db, cfg: ["site", "--db", db, "-o", str(Path(db).parent / "site")],
    "note": lambda db, cfg: ["note", "--db", db, "--week", "2019-W15", "hi"],
    "serve": lambda db, cfg: ["serve", "--db", db, "--port", "9"],
}


@pytest.mark.parametrize("kind,words", [("empty", "empty (0 bytes)"), ("truncated", "truncated"),
                                        ("garbage", "not a SQLite database"),
                                        ("text", "not a SQLite database")])
def test_damaged_file_is_refused_at_start_by_every_command(emu, copy, kind, words):
    db, config = copy
    content = damaged(kind, db, db)
    for name, args in COMMANDS.items():
        proc = tracker(*args(str(db), str(config)),
                       env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}, timeout=60)
        assert_one_error(proc, 65, str(db), words)
        assert summary_lines(proc) == [], name
        assert db.read_bytes() == content, name  # refused, never "repaired" or replaced


# -- a read-only mount, another user's file ----------------------------------------------------

@contextmanager
def read_only_copy(good):
    """The database on a read-only mount (root), else in a chmod 555 folder as mode 444."""
    if can_mount():
        with tmpfs("64m") as disk:
            target = disk / "tracker.db"
            target.write_bytes(good.read_bytes())
            remount(disk, "ro")
            yield target
        return
    folder = Path(tempfile.mkdtemp(prefix="tracker-ro-"))
    target = folder / "tracker.db"
    target.write_bytes(good.read_bytes())
    target.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield target
    finally:
        folder.chmod(0o755)
        target.chmod(0o644)
        target.unlink()
        folder.rmdir()


def test_read_only_storage_readers_work_writers_say_so(emu, copy, tmp_path):
    from tracker.publish import make_datasette

    good, config = copy
    with read_only_copy(good) as db:
        for args in (["status", "--max-age", "100000d"], ["status", "--json"],
                     ["digest", "--format", "md", "--base-url", "https://example.org"],
                     ["digest", "--format", "atom", "--base-url", "https://example.org"],
                     ["site", "-o", str(tmp_path / "site")]):
            proc = tracker(*args, "--db", str(db))
            assert proc.returncode == 0, (args, proc.stderr)
            assert "Traceback" not in proc.stderr
        ds = make_datasette(db)

        async def pages():
            return [(await ds.client.get(path)).status_code for path in
                    ("/", "/digest", "/tracker", "/tracker/releases",
                     "/-/dashboards/ecosystem-pulse")]

        statuses = asyncio.run(pages())
        assert all(code in (200, 404) for code in statuses) and statuses[:4] == [200] * 4, \
            statuses
        for args in (["harvest", "--config", str(config), "--no-digest"], ["digest"],
                     ["note", "--week", "2019-W15", "hi"]):
            proc = tracker(*args, "--db", str(db),
                           env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url})
            assert_one_error(proc, 74, str(db))
            assert summary_lines(proc) == []


# -- paths that do not exist ---------------------------------------------------------------------

def test_missing_directory_is_a_usage_error(emu, harvested, tmp_path):
    good, config = harvested
    missing = tmp_path / "no" / "such" / "dir"
    for args in (["harvest", "--db", str(missing / "t.db"), "--config", str(config)],
                 ["demo", "--no-serve", "--db", str(missing / "demo.db"), "--port", "18771"],
                 ["digest", "--db", str(missing / "t.db")],
                 ["status", "--db", str(missing / "t.db")],
                 ["serve", "--db", str(missing / "t.db")],
                 ["digest", "--db", str(good), "--format", "md", "-o", str(missing / "d.md")]):
        proc = tracker(*args, env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url})
        code = 1 if args[0] == "status" else 2  # status: "never harvested", unhealthy
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and str(missing) in proc.stderr, proc.stderr
        assert not missing.exists()


# -- read-only commands never write; schema work only when due -------------------------------

def test_read_only_commands_leave_the_file_untouched(copy, tmp_path):
    db, _ = copy
    before = digest_of(db)
    for args in (["status"], ["status", "--json"], ["digest", "--format", "md"],
                 ["digest", "--format", "atom"], ["digest", "--format", "html"],
                 ["site", "-o", str(tmp_path / "site")]):
        proc = tracker(*args, "--db", str(db))
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert digest_of(db) == before, args


def test_schema_work_happens_only_when_the_schema_is_out_of_date(tmp_path):
    path = tmp_path / "t.db"
    open_db(str(path)).conn.close()
    header = path.read_bytes()[:100]
    conn = sqlite3.connect(path)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    before = digest_of(path)
    db = open_db(str(path))  # up to date: opening it is a read
    assert schema_is_current(db) and db.conn.total_changes == 0
    db.conn.close()
    assert digest_of(path) == before and path.read_bytes()[:100][24:28] == header[24:28]
    db = sqlite_db = sqlite3.connect(path)
    sqlite_db.execute("drop view first_contributions")
    sqlite_db.close()
    db = open_db(str(path))  # out of date: brought up to date
    assert schema_is_current(db) and "first_contributions" in db.view_names()

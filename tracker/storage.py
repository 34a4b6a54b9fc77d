"""The database file and what goes wrong with it, each as one line and an exit code (#19).

Commands open the file in one of two ways:

    open_for_reading(path)  status, serve, site, digest --format: never writes. ``mode=ro``,
                            and ``immutable=1`` when no ``-wal`` file exists and the file or
                            its directory cannot be written (a read-only mount, another user):
                            a WAL reader must otherwise create ``-shm`` there.
    open_for_writing(path)  harvest, digest, note, demo: the schema is brought up to date only
                            when it is out of date (tracker.db.schema_is_current).

Both refuse, before any query, a file that is not a tracker database. Exit codes
(docs/running.md):

    2    the database (or the directory it should be created in) does not exist
    65   the file is not a SQLite database: empty, truncated or something else
    74   the storage cannot be written or read: disk full, read-only, permissions, I/O
    75   another process holds the database (a harvest, a backup, a VACUUM): try again later
"""

import errno
import os
import sqlite3

import sqlite_utils

HEADER = b"SQLite format 3\x00"

USAGE, NOT_A_DATABASE, IO_ERROR, BUSY = 2, 65, 74, 75


class StorageError(Exception):
    """One line for the person (it names the file and says what to do) and an exit code."""

    def __init__(self, message, exit_code=IO_ERROR):
        super().__init__(message)
        self.exit_code = exit_code


def check_parent(path):
    """StorageError (exit 2) when the directory that would hold ``path`` does not exist."""
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise StorageError(f"{parent} does not exist: create the directory first, or pass "
                           f"a path in an existing one", USAGE)


def check_database_file(path):
    """Refuse a file that is not a whole SQLite database, from its header and size alone
    (no query, so a 2 GB file costs the same as an empty one)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        raise StorageError(f"{path} does not exist; run `tracker harvest` (or `tracker demo`) "
                           f"first", USAGE) from None
    except PermissionError:
        raise StorageError(f"cannot read {path}: permission denied; run as a user who can "
                           f"read it, or fix its mode", IO_ERROR) from None
    except OSError as e:
        raise StorageError(f"cannot read {path}: {e.strerror}", IO_ERROR) from None
    if size == 0:
        raise StorageError(f"{path} is empty (0 bytes), not a tracker database: remove it "
                           f"and run `tracker harvest`, or restore it from a backup",
                           NOT_A_DATABASE)
    if not header.startswith(HEADER) or len(header) < 100:
        raise StorageError(f"{path} is not a SQLite database: pass the right --db, or move "
                           f"the file away", NOT_A_DATABASE)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The in-header size is valid when its change counter matches (SQLite >= 3.7.0), and
    # only without a WAL: pages not yet checkpointed (a checkpoint cut short by a full
    # disk) live in the -wal file, and SQLite itself reads them from there.
    wal = path + "-wal" if isinstance(path, str) else str(path) + "-wal"
    valid = header[24:28] == header[92:96] and not (os.path.exists(wal)
                                                    and os.path.getsize(wal) > 0)
    if valid and pages and size < pages * page_size:
        raise StorageError(f"{path} is truncated ({size} of {pages * page_size} bytes): "
                           f"restore it from a backup", NOT_A_DATABASE)


def read_only_uri(path):
    """The URI a reader opens: ``immutable=1`` only where ``mode=ro`` cannot work."""
    absolute = os.path.abspath(path)
    immutable = not os.path.exists(absolute + "-wal") and not (
        os.access(absolute, os.W_OK) and os.access(os.path.dirname(absolute), os.W_OK))
    return f"file:{absolute}?mode=ro" + ("&immutable=1" if immutable else ""), immutable


def is_immutable(path):
    return read_only_uri(path)[1]


def open_for_reading(path):
    """A read-only sqlite_utils.Database on a checked file; StorageError otherwise."""
    from .safe import register_sql_functions

    check_database_file(path)
    uri, _ = read_only_uri(path)
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("pragma busy_timeout=5000")
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise storage_error(e, path) from None
    register_sql_functions(conn)
    return sqlite_utils.Database(conn)


def open_for_writing(path):
    """tracker.db.open_db on a checked file (created when missing, in an existing directory)."""
    from .db import open_db

    check_parent(path)
    if os.path.exists(path):
        check_database_file(path)  # 0 bytes too: refused, never silently made a new database
    try:
        return open_db(path)
    except sqlite3.Error as e:
        raise storage_error(e, path) from None
    except OSError as e:
        raise storage_error(e, path) from None


def storage_error(error, path):
    """The StorageError for a sqlite3 or OS error met while using ``path``."""
    if isinstance(error, StorageError):
        return error
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            name = "SQLITE_FULL"
        elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            name = "SQLITE_READONLY"
        elif error.errno == errno.ENOENT:
            return StorageError(f"{path}: {error.strerror}: check the path", USAGE)
        text = error.strerror or text
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return StorageError(f"the disk holding {path} is full: free space there (or move the "
                            f"database to a larger disk) and run again; stored rows are kept",
                            IO_ERROR)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StorageError(f"{path} is locked by another process (a harvest, a backup or a "
                            f"VACUUM): try again when it has finished", BUSY)
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")) or \
            "readonly" in text or "unable to open" in text:
        return StorageError(f"cannot write {path} or its directory ({text}): run as the user "
                            f"who owns it, or put it on a writable disk", IO_ERROR)
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "malformed" in text \
            or "not a database" in text:
        return StorageError(f"{path} is damaged ({text}): restore it from a backup",
                            NOT_A_DATABASE)
    if name.startswith("SQLITE_IOERR") or "disk I/O" in text:
        return StorageError(f"I/O error on {path} ({text}): check the disk", IO_ERROR)
    return StorageError(f"{path}: {text}", IO_ERROR)


def is_storage_error(error):
    """True for sqlite3/OS errors that are about the file or disk, not a query bug."""
    if isinstance(error, StorageError):
        return True
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO)
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY",
                            "SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_CORRUPT",
                            "SQLITE_IOERR", "SQLITE_PERM"))


def shadow_table(db, name):
    """Give a read-only connection a writable copy of ``main.name`` in its temp schema,
    which unqualified SQL then reads and writes instead: an export can build what it
    exports (digests) without writing the file, on a read-only mount too."""
    row = db.conn.execute("select sql from main.sqlite_master where type = 'table' and name = ?",
                          [name]).fetchone()
    if row is None:
        return False
    create = row[0]
    head, _, rest = create.partition("(")
    db.conn.execute(f"create temp table [{name}] (" + rest)
    db.conn.execute(f"insert into temp.[{name}] select * from main.[{name}]")
    return True

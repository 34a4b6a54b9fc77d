"""What every ``tracker`` command shares: the --db/--config options, the one-line
failure, and the group that turns storage faults into their exit codes (docs/running.md)."""

import os
import sys

import click


def _remember_db(ctx, param, value):
    ctx.meta["tracker.db_path"] = value  # for the one-line storage errors (TrackerGroup)
    return value


DB_OPTION = click.option(
    "--db", "db_path", default="tracker.db", show_default=True, callback=_remember_db,
    type=click.Path(dir_okay=False), help="SQLite database file.",
)
CONFIG_OPTION = click.option(
    "--config", "config_path", default="tracker.yml", show_default=True,
    type=click.Path(dir_okay=False), help="Watchlist (YAML).",
)


def fail(message, code=1):
    from .safe import scrub

    click.echo(f"Error: {scrub(message)}", err=True)
    sys.exit(code)


def require_db(db_path):
    """A readable tracker database at ``db_path``, or one line and exit 2 / 65 / 74."""
    from .storage import check_database_file

    check_database_file(db_path)  # StorageError: TrackerGroup prints its line


class TrackerGroup(click.Group):
    """Storage faults (tracker/storage.py) end any command with one line and their exit code
    (docs/running.md), never a traceback."""

    def invoke(self, ctx):
        import sqlite3

        from .storage import StorageError, is_storage_error, storage_error

        try:
            return super().invoke(ctx)
        except StorageError as e:
            fail(str(e), e.exit_code)
        except (sqlite3.Error, OSError) as e:
            if not is_storage_error(e):
                raise
            # An OSError names its own file (an -o output, say); sqlite3's are the database's.
            path = getattr(e, "filename", None) or ctx.meta.get("tracker.db_path",
                                                                "the database")
            error = storage_error(e, path)
            fail(str(error), error.exit_code)


def check_base_url(base_url):
    """--base-url, else TRACKER_BASE_URL, when set: an http(s) URL (exit 2 otherwise)."""
    from .config import url_setting_error

    for name, value in (("--base-url", base_url),
                        ("TRACKER_BASE_URL", None if base_url else
                         os.environ.get("TRACKER_BASE_URL"))):
        if value:
            problem = url_setting_error(name, value, "https://tracking-jupyter.example.org")
            if problem:
                fail(problem, 2)

"""The ``tracker`` command line: parse options, call the library, print a summary."""

import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, default_config_text, load_config

DB_OPTION = click.option(
    "--db", "db_path", default="tracker.db", show_default=True,
    type=click.Path(dir_okay=False), help="SQLite database file.",
)
CONFIG_OPTION = click.option(
    "--config", "config_path", default="tracker.yml", show_default=True,
    type=click.Path(dir_okay=False), help="Watchlist (YAML).",
)


def fail(message, code=1):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def require_db(db_path):
    if not Path(db_path).exists():
        fail(f"{db_path} does not exist; run `tracker harvest` (or `tracker demo`) first", 2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracker")
def cli():
    """Week-by-week activity of the open Jupyter ecosystem.

    Harvest GitHub and feeds into SQLite, browse it in Datasette, and
    subscribe to the weekly "Tracking Jupyter" digest.
    """


@cli.command()
@click.option("--path", default="tracker.yml", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the watchlist.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path, force):
    """Write the default watchlist for the Jupyter ecosystem."""
    target = Path(path)
    if target.exists() and not force:
        fail(f"{path} exists; use --force to overwrite it")
    target.write_text(default_config_text())
    click.echo(f"Wrote {path}")


@cli.command()
@DB_OPTION
@CONFIG_OPTION
@click.option("--repo", "repos", multiple=True, metavar="OWNER/NAME",
              help="Harvest only these repositories (repeatable).")
@click.option("--only", type=click.Choice(["github", "feeds"]),
              help="Harvest one kind of source only.")
@click.option("--wait", is_flag=True,
              help="If another harvest holds the database, wait for it instead of exiting.")
@click.option("--max-wait", default=900, show_default=True, type=int,
              help="Longest pause (seconds) for a rate-limit reset before stopping cleanly.")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 16),
              help="Repositories fetched in parallel.")
@click.option("--no-digest", is_flag=True, help="Do not rebuild this and last week's digest.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
@click.option("--search", is_flag=True,
              help="Detect changed issues/PRs with one search query per group of owners and "
                   "walk only the streams that still need it (exact fallback).")
def harvest(db_path, config_path, repos, only, wait, max_wait, concurrency, no_digest, quiet,
            search):
    """Harvest the watchlist from GitHub and feeds into the database.

    Incremental: unchanged listings cost a free 304, new activity is fetched
    from stored watermarks. Reads GITHUB_TOKEN and GITHUB_API_URL.
    """
    from .harvest.run import HarvestError, LockedError, run_harvest

    try:
        config = load_config(config_path)
    except ConfigError as e:
        fail(str(e), 2)
    try:
        summary = run_harvest(
            db_path, config, repos=list(repos), only=only, wait=wait,
            max_wait=max_wait, concurrency=concurrency, digest=not no_digest,
            quiet=quiet, search=search,
        )
    except LockedError as e:
        fail(str(e), 75)
    except HarvestError as e:
        fail(str(e), e.exit_code)
    click.echo(summary.line())
    if summary.fatal is not None:
        click.echo(f"Error: {summary.fatal}", err=True)
    sys.exit(summary.exit_code)


@cli.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Open a browser.")
def serve(db_path, host, port, open_browser):
    """Browse the database in Datasette (read-only) with queries and feeds."""
    from .publish import serve as serve_datasette

    require_db(db_path)
    serve_datasette(db_path, host=host, port=port, open_browser=open_browser)


@cli.command("publish-config")
@click.option("-o", "--output", default="datasette-metadata.json", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the merged metadata.")
@DB_OPTION
def publish_config(output, db_path):
    """Write metadata with the canned queries, for `datasette serve -m` / `datasette publish`."""
    from .publish import write_metadata

    path = write_metadata(output, db_name=Path(db_path).stem)
    click.echo(f"Wrote {path}")


@cli.command()
@DB_OPTION
@click.option("--week", help="ISO week such as 2026-W47 (default: the current and previous week).")
@click.option("--all", "all_weeks", is_flag=True, help="Build every week that has data.")
@click.option("--format", "fmt", type=click.Choice(["atom", "html", "md"]),
              help="Also export: the feed of all digests (atom) or the week (html, md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Export destination (default: standard output).")
def digest(db_path, week, all_weeks, fmt, output):
    """(Re)build the weekly "Tracking Jupyter" digest, optionally exporting it."""
    from .digest import DigestError, build_digests, export_digest
    from .db import open_db

    require_db(db_path)
    db = open_db(db_path)
    try:
        weeks = build_digests(db, week=week, all_weeks=all_weeks)
        click.echo(f"Built {len(weeks)} digest(s): {', '.join(weeks) or 'none'}", err=True)
        if fmt:
            text = export_digest(db, fmt=fmt, week=week)
            if output:
                Path(output).write_text(text)
                click.echo(f"Wrote {output}", err=True)
            else:
                click.echo(text)
    except DigestError as e:
        fail(str(e), 2)


@cli.command()
@DB_OPTION
@click.option("--week", required=True, help="ISO week such as 2026-W47.")
@click.argument("text")
def note(db_path, week, text):
    """Set the editor's note shown at the top of a week's digest."""
    from .digest import DigestError, set_note
    from .db import open_db

    require_db(db_path)
    try:
        set_note(open_db(db_path), week, text)
    except DigestError as e:
        fail(str(e), 2)
    click.echo(f"Note set for {week}")


@cli.command()
@click.option("--db", "db_path", default="demo.db", show_default=True,
              type=click.Path(dir_okay=False), help="Demo database file.")
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--no-serve", is_flag=True, help="Build the database and digests, then stop.")
def demo(db_path, port, no_serve):
    """Run the whole tracker offline on real Jupyter data (no token, no network)."""
    from .demo import run_demo

    run_demo(db_path, port=port, serve=not no_serve)

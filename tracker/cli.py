"""The ``tracker`` command line: parse options, call the library, print a summary."""

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, default_config_text, is_full_name, load_config

DB_OPTION = click.option(
    "--db", "db_path", default="tracker.db", show_default=True,
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
        fail(f"{path} exists; use --force to overwrite it", 2)
    target.write_text(default_config_text())
    click.echo(f"Wrote {path}")


@cli.command()
@DB_OPTION
@CONFIG_OPTION
@click.option("--repo", "repos", multiple=True, metavar="OWNER/NAME",
              help="Harvest only these repositories (repeatable).")
@click.option("--only", type=click.Choice(["github", "feeds", "sources", "packages"]),
              help="Harvest one kind of source only (sources: calendars, papers, Discourse; "
                   "packages: PyPI, npm, conda-forge).")
@click.option("--wait", is_flag=True,
              help="If another harvest holds the database, wait for it instead of exiting.")
@click.option("--max-wait", default=900, show_default=True, type=int,
              help="Longest pause (seconds) for a rate-limit reset before stopping cleanly.")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 16),
              help="Repositories fetched in parallel.")
@click.option("--max-rate", type=click.IntRange(min=0), default=None,
              help="GitHub requests per minute, all workers together (default: github.max_rate "
                   "in the config, else 720 = 80% of GitHub's 900; 0: unpaced).")
@click.option("--no-digest", is_flag=True, help="Do not rebuild this and last week's digest.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.option("--exact", is_flag=True,
              help="Walk every stream of every watched repository instead of detecting "
                   "changed issues/PRs with GitHub's issue search first (the default).")
@click.option("--search", is_flag=True, hidden=True,
              help="Deprecated: change detection by search is the default.")
def harvest(db_path, config_path, repos, only, wait, max_wait, concurrency, max_rate, no_digest,
            quiet, debug, exact, search):
    """Harvest the watchlist from GitHub and feeds into the database.

    Incremental: one issue search per group of owners tells which repositories
    changed, unchanged listings cost a free 304, new activity is fetched from
    stored watermarks (--exact: walk every stream, as the daily safety sweep does). Reads GITHUB_TOKEN or the GITHUB_APP_* settings, and
    GITHUB_API_URL. Ctrl-C or SIGTERM stops cleanly (exit 130 / 143); exit codes
    are in docs/running.md.
    """
    from .auth import AuthConfigError, credentials_from_env
    from .harvest.run import HarvestError, LockedError, run_harvest
    from .harvest.signals import stop_on_signals

    bad = [name for name in repos if not is_full_name(name)]
    if bad:
        fail(f"--repo must look like OWNER/NAME, got {bad[0]!r}", 2)
    try:
        config = load_config(config_path)
        credentials_from_env()  # GITHUB_TOKEN and App settings together: exit 2 before a run
    except (ConfigError, AuthConfigError) as e:
        fail(str(e), 2)
    try:
        with stop_on_signals() as stop:
            summary = run_harvest(
                db_path, config, repos=list(repos), only=only, wait=wait,
                max_wait=max_wait, concurrency=concurrency, digest=not no_digest,
                quiet=quiet, stop=stop, debug=debug, max_rate=max_rate, exact=exact,
            )
    except LockedError as e:
        fail(str(e), 75)
    except HarvestError as e:
        fail(str(e), e.exit_code)
    click.echo(summary.line())
    if summary.fatal is not None:
        fail(summary.fatal_message or summary.fatal, summary.exit_code)
    sys.exit(summary.exit_code)


@cli.command()
@DB_OPTION
@click.option("--max-age", default="26h", show_default=True,
              help="Unhealthy when the newest complete harvest is older (26h, 90m, 2d).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--live", is_flag=True,
              help="Also read GitHub's /rate_limit now, with the environment's credentials.")
@CONFIG_OPTION
def status(db_path, max_age, as_json, live, config_path):
    """Is the tracker healthy? Last runs, freshness, lock, credentials, rate limit.

    Exit 0 when healthy; 1, with one line on standard error saying why, when the
    newest complete harvest is older than --max-age, the last run failed, or
    there was never a harvest. --config is read by --live only, to find a
    GitHub App's installation when GITHUB_APP_INSTALLATION_ID is not set.
    """
    import json

    from .auth import AuthConfigError, watched_owners
    from .safe import scrub, scrub_tree
    from .status import collect_status, live_rate_limit, parse_age, render_text

    try:
        age = parse_age(max_age)
    except ValueError as e:
        fail(f"--max-age: {e}", 2)
    report = collect_status(db_path, max_age=age)
    if live:
        try:
            owners = watched_owners(load_config(config_path)) if Path(config_path).exists() else []
            report["live"] = live_rate_limit(owners=owners)
        except (AuthConfigError, ConfigError) as e:
            fail(str(e), 2)
        if "error" in report["live"] and report["healthy"]:
            report["healthy"] = False
            report["reason"] = f"live check of /rate_limit failed: {report['live']['error']}"
    report = scrub_tree(report)  # stored errors, logins and URLs came from outside
    click.echo(json.dumps(report, indent=2) if as_json else render_text(report))
    if not report["healthy"]:
        click.echo(f"unhealthy: {scrub(report['reason'])}", err=True)
        sys.exit(1)


@cli.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Open a browser.")
@click.option("--public", is_flag=True,
              help="The public profile: security headers, no /-/ introspection pages, "
                   "absolute URLs from --base-url only (docs/security.md).")
@click.option("--base-url", metavar="URL",
              help="Where the public serves it, e.g. https://tracker.example.org "
                   "(default: TRACKER_BASE_URL); required with --public.")
def serve(db_path, host, port, open_browser, public, base_url):
    """Browse the database in Datasette (read-only) with queries and feeds."""
    from .public import PublicProfileError, public_origin
    from .publish import serve as serve_datasette

    require_db(db_path)
    if public:
        try:
            public_origin(base_url or os.environ.get("TRACKER_BASE_URL"))
        except PublicProfileError as e:
            fail(str(e), 2)
    serve_datasette(db_path, host=host, port=port, open_browser=open_browser, public=public,
                    base_url=base_url)


@cli.command("publish-config")
@click.option("-o", "--output", default="datasette-metadata.json", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the merged metadata.")
@DB_OPTION
def publish_config(output, db_path):
    """Write metadata with the canned queries, for `datasette serve -m` / `datasette publish`.

    Metadata only: `tracker publish DIR` also carries the settings and templates.
    """
    from .publish import write_metadata

    path = write_metadata(output, db_name=Path(db_path).stem)
    click.echo(f"Wrote {path}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@DB_OPTION
@click.option("--public", is_flag=True, help="Include the public profile (docs/security.md).")
@click.option("--base-url", metavar="URL",
              help="Where the public serves it (default: TRACKER_BASE_URL); required with --public.")
@click.option("--requirement", metavar="SPEC",
              help="How the server installs the tracker (default: tracker==VERSION), e.g. a "
                   "path or git URL.")
def publish(directory, db_path, public, base_url, requirement):
    """Write a Datasette deployable: metadata, settings, templates, requirements.

    Plain `datasette serve DIRECTORY` (with the database copied into it), `datasette
    publish` and `datasette package` then serve the same pages as `tracker serve`,
    /digest included, with the same limits; DIRECTORY/README.md has the commands.
    """
    from .deployable import write_deployable
    from .public import PublicProfileError

    try:
        written = write_deployable(directory, db_name=Path(db_path).stem, public=public,
                                   base_url=base_url, tracker_requirement=requirement)
    except PublicProfileError as e:
        fail(str(e), 2)
    click.echo(f"Wrote {len(written)} files and folders to {directory}; see "
               f"{Path(directory) / 'README.md'}")


@cli.command()
@DB_OPTION
@click.option("--week", help="ISO week such as 2026-W47, or a date in it "
              "(default: the previous and the running week).")
@click.option("--all", "all_weeks", is_flag=True,
              help="Build every week from the first with data to the running week.")
@click.option("--format", "fmt", type=click.Choice(["atom", "html", "md"]),
              help="Also export: the feed of the latest complete weeks (atom) or one "
              "complete week (html, md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Export destination (default: standard output).")
@click.option("--base-url", metavar="URL",
              help="Make exported links absolute under this site (default: TRACKER_BASE_URL).")
@click.option("--feed-weeks", default=26, show_default=True, type=click.IntRange(1),
              help="How many complete weeks the Atom export carries.")
def digest(db_path, week, all_weeks, fmt, output, base_url, feed_weeks):
    """(Re)build the weekly "Tracking Jupyter" digest, optionally exporting it."""
    from .digest import DigestError, build_digests, export_digest
    from .db import open_db

    require_db(db_path)
    db = open_db(db_path)
    try:
        weeks = build_digests(db, week=week, all_weeks=all_weeks)
        click.echo(f"Built {len(weeks)} digest(s): {_weeks_text(weeks)}", err=True)
        if fmt:
            text = export_digest(db, fmt=fmt, week=week, base_url=base_url,
                                 feed_weeks=feed_weeks)
            if output:
                Path(output).write_text(text, encoding="utf-8")
                click.echo(f"Wrote {output}", err=True)
            else:
                click.echo(text)
    except DigestError as e:
        fail(str(e), 2)


def _weeks_text(weeks):
    if len(weeks) > 6:
        return f"{weeks[0]} … {weeks[-1]}"
    return ", ".join(weeks) or "none"


@cli.command()
@DB_OPTION
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Directory to write the site into (created if needed).")
@click.option("--base-url", metavar="URL",
              help="Where the site will be served, for absolute links in its feed "
              "(default: TRACKER_BASE_URL).")
@click.option("--datasette-url", metavar="URL",
              help="A Datasette serving this database: the digest's query links point "
              "there (default: they become plain text).")
@click.option("--feed-weeks", default=26, show_default=True, type=click.IntRange(1),
              help="How many complete weeks the feed carries.")
def site(db_path, output, base_url, datasette_url, feed_weeks):
    """Write the digest as a static site: an index, one page per week, the Atom feed."""
    from .digest import base_url_from_env
    from .digest.site import write_site
    from .db import open_db

    require_db(db_path)
    for name, url in (("--base-url", base_url), ("--datasette-url", datasette_url)):
        if url and not url.lower().startswith(("http://", "https://")):
            fail(f"{name} must be an http(s) URL, not {url!r}", 2)
    written = write_site(open_db(db_path), output, base_url=base_url,
                         datasette_url=datasette_url, feed_weeks=feed_weeks)
    click.echo(f"Wrote {len(written)} files to {output}")
    if not base_url_from_env(base_url):
        click.echo("Warning: no --base-url or TRACKER_BASE_URL, so digest.atom's links are "
                   "relative and feed readers cannot follow them; pages work anywhere.", err=True)


@cli.command()
@DB_OPTION
@click.option("--week", required=True, help="ISO week such as 2026-W47, or a date in it.")
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
    from .demo import busy_ports, run_demo

    busy = busy_ports(port, serve=not no_serve)
    if busy:
        fail(f"port {', '.join(map(str, busy))} on 127.0.0.1 is in use; the demo needs "
             f"--port P (Datasette) and P+1, P+2, P+3 free: pass another --port", 2)
    run_demo(db_path, port=port, serve=not no_serve)

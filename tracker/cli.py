"""The ``tracker`` command line: parse options, call the library, print a summary."""

import os
import sys
from pathlib import Path

import click

from . import __version__
from .cli_common import CONFIG_OPTION, DB_OPTION, TrackerGroup, fail, require_db
from .cli_digest import digest, note
from .cli_publish import publish, publish_config, serve, site
from .config import ConfigError, default_config_text, is_full_name, load_config


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    GITHUB_API_URL; the packages: registries' TRACKER_PYPI_URL, TRACKER_NPM_URL and
    TRACKER_ANACONDA_URL (each an http(s) URL, checked before the run). Ctrl-C or SIGTERM stops cleanly (exit 130 / 143); exit codes
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
    _check_scope(config, config_path, repos, only)
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


def _check_scope(config, config_path, repos, only):
    """Settings a run cannot work with are usage errors at once (exit 2), not a minute of
    retries or an "ok" run that harvested nothing (#19)."""
    from .config import url_setting_error, watched_kinds

    api = os.environ.get("GITHUB_API_URL")
    if api and only not in ("feeds", "sources", "packages"):
        problem = url_setting_error("GITHUB_API_URL", api)
        if problem:
            fail(problem, 2)
    packages = getattr(config, "packages", None)
    if packages and only in (None, "packages"):  # TRACKER_*_URL, checked the same way (#22)
        problem = packages.environment_problem()
        if problem:
            fail(problem, 2)
    watched = watched_kinds(config)
    if repos:
        return
    if only and only not in watched:
        fail(f"{config_path} watches no {only}: nothing to harvest with --only {only}", 2)
    if not watched:
        fail(f"nothing is watched: {config_path} lists no GitHub orgs, users, repos, topics "
             f"or searches, feeds, sources or packages; `tracker init` writes the Jupyter "
             f"watchlist", 2)


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


@cli.command("rebuild-summaries")
@DB_OPTION
def rebuild_summaries(db_path):
    """Recompute the summary tables from the harvested rows and recreate the
    triggers that keep them: activity per repository and week (activity_weekly)
    and per day (activity_daily), each person's activity per repository and week
    (people_weekly), stars and forks per repository and week
    (history_listed_weekly, stars_snapshot_weekly).

    Every write keeps them right by itself, through the triggers, in the same
    transaction. Run this after restoring a file from an older backup, after
    editing tables by hand with the triggers dropped, or if a canned query's
    counts disagree with the rows they count. Opening a file whose triggers are
    missing or outdated rebuilds them too. Progress goes to standard error; one
    line says what was rebuilt (minutes at a million issues)."""
    import time

    from . import summaries
    from .storage import open_for_writing

    require_db(db_path)
    started = time.monotonic()
    say = lambda text: click.echo(text, err=True)  # noqa: E731
    counts = summaries.rebuild_file(db_path, open_for_writing, progress=say)
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    click.echo(f"Rebuilt the summaries of {db_path} in {time.monotonic() - started:.1f}s: "
               f"{rows} rows")


@cli.command()
@click.option("--db", "db_path", default="demo.db", show_default=True,
              type=click.Path(dir_okay=False), help="Demo database file.")
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--no-serve", is_flag=True, help="Build the database and digests, then stop.")
def demo(db_path, port, no_serve):
    """Run the whole tracker offline on real Jupyter data (no token, no network)."""
    from .demo import busy_ports, run_demo
    from .storage import check_parent

    check_parent(db_path)
    busy = busy_ports(port, serve=not no_serve)
    if busy:
        fail(f"port {', '.join(map(str, busy))} on 127.0.0.1 is in use; the demo needs "
             f"--port P (Datasette) and P+1, P+2, P+3 free: pass another --port", 2)
    run_demo(db_path, port=port, serve=not no_serve)


for command in (digest, note, serve, publish_config, publish, site):
    cli.add_command(command)

"""The digest commands: ``digest`` (build and write issues; ``pin``, ``hide``,
``comment`` and ``items`` for the editor) and ``note`` (the editor's note)."""

from pathlib import Path

import click

from .cli_common import DB_OPTION, _remember_db, check_base_url, fail, require_db
from .config import ConfigError, load_config


def _digest_settings(config_path, period=None):
    """The ``digest:`` block of the watchlist (shipped default when the default
    tracker.yml is absent); ``period`` overrides digest.period."""
    from .digest.layout import DigestSettings

    if config_path == "tracker.yml" and not Path(config_path).exists():
        settings = DigestSettings()
    else:
        try:
            settings = load_config(config_path).digest
        except ConfigError as e:
            fail(str(e), 2)
    if period:
        settings.period = period
    return settings


DIGEST_CONFIG = click.option(
    "--config", "config_path", default="tracker.yml", show_default=True,
    type=click.Path(dir_okay=False),
    help="Watchlist whose digest: block lists the sections (absent default: shipped sections).")


@click.group(invoke_without_command=True)
@DB_OPTION
@DIGEST_CONFIG
@click.option("--week", help="ISO week such as 2026-W47, or a date in it "
              "(default: the previous and the running week); a month (2026-06) "
              "when digest.period is month.")
@click.option("--all", "all_weeks", is_flag=True,
              help="Build every week from the first with data to the running week.")
@click.option("--period", type=click.Choice(["week", "month"]),
              help="Weekly or monthly issues (default: digest.period of --config, else week).")
@click.option("--format", "fmt", type=click.Choice(["atom", "html", "md", "email"]),
              help="Also export: the feed of the latest complete periods (atom) or one "
              "complete period (html, md, email: a .eml message with HTML and text parts).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Export destination (default: standard output).")
@click.option("--base-url", metavar="URL",
              help="Make exported links absolute under this site (default: TRACKER_BASE_URL).")
@click.option("--feed-weeks", default=26, show_default=True, type=click.IntRange(1),
              help="How many complete periods the Atom export carries.")
@click.pass_context
def digest(ctx, db_path, config_path, week, all_weeks, period, fmt, output, base_url,
           feed_weeks):
    """(Re)build the "Tracking Jupyter" digest, optionally exporting it.

    The editor's hand: `tracker digest pin|hide|comment WEEK ITEM` (see
    `tracker digest items WEEK` for the item names)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db_path": db_path, "config_path": config_path}
        return
    from .digest import DigestError, base_url_from_env, build_digests, export_digest
    from .storage import check_parent, open_for_reading, open_for_writing, shadow_table

    require_db(db_path)
    check_base_url(base_url)
    if output:
        check_parent(output)
    settings = _digest_settings(config_path, period)
    try:
        if fmt:
            # An export never writes the file (a read-only mount works): the periods it
            # rebuilds go to a temporary copy of the digests table, gone when it ends.
            db = open_for_reading(db_path)
            if not shadow_table(db, "digests"):
                fail(f"{db_path} has no digests yet: run `tracker digest` first", 2)
        else:
            db = open_for_writing(db_path)
        if settings.period == "month" and week and not all_weeks:
            from .digest.build import rebuild_period
            from .digest.monthly import check_month
            month = check_month(week)
            rebuild_period(db, "month", month, settings=settings)
            if not fmt:
                click.echo(f"Built the monthly digest {month}", err=True)
            built_week = None
        else:
            weeks = build_digests(db, week=week, all_weeks=all_weeks, settings=settings)
            if settings.period == "month" and all_weeks:
                from .digest.monthly import build_months, every_month
                build_months(db, [], settings, months=every_month(db))
            if not fmt:
                click.echo(f"Built {len(weeks)} digest(s): {_weeks_text(weeks)}"
                           + (" and their months" if settings.period == "month" else ""),
                           err=True)
            built_week = week
        if fmt:
            text = export_digest(db, fmt=fmt, week=week if settings.period == "month"
                                 else built_week, base_url=base_url, feed_weeks=feed_weeks,
                                 period=settings.period, quiet=settings.quiet)
            if output:
                Path(output).write_text(text, encoding="utf-8")
                click.echo(f"Wrote {output}", err=True)
            else:
                click.echo(text)
            if fmt == "atom" and not base_url_from_env(base_url):
                click.echo("Warning: no --base-url or TRACKER_BASE_URL, so the feed's links are "
                           "relative and feed readers cannot follow them.", err=True)
    except DigestError as e:
        fail(str(e), 2)


def _sub_db(ctx, param, value):
    """``tracker digest pin --db F …``: the subcommand's --db/--config win over the
    group's (``tracker digest --db F pin …``), as every other command takes them."""
    if value is not None:
        if param.name == "db_path":
            _remember_db(ctx, param, value)
        ctx.ensure_object(dict)[param.name] = value
    return value


SUB_DB = click.option("--db", "db_path", default=None, callback=_sub_db, expose_value=False,
                      type=click.Path(dir_okay=False),
                      help="SQLite database file (default: the digest group's, tracker.db).")
SUB_CONFIG = click.option("--config", "config_path", default=None, callback=_sub_db,
                          expose_value=False, type=click.Path(dir_okay=False),
                          help="Watchlist (default: the digest group's, tracker.yml).")


def _edit(ctx, action, period_id, item, text=None, undo=False):
    from .digest import DigestError
    from .digest.build import edit_digest
    from .db import open_db

    db_path = ctx.obj["db_path"]
    require_db(db_path)
    settings = _digest_settings(ctx.obj["config_path"])
    try:
        matched = edit_digest(open_db(db_path), period_id, item, action, text, undo=undo,
                              settings=settings)
    except DigestError as e:
        fail(str(e), 2)
    done = {"pin": "Pinned", "hide": "Hid", "comment": "Commented on"}[action]
    if undo:
        click.echo(f"Removed the {action} of {item} in {period_id}")
    elif matched:
        click.echo(f"{done} {', '.join(matched) or item} in {period_id}")
    else:
        click.echo(f"Saved, but no item of {period_id} is named {item!r} (yet); "
                   f"`tracker digest items {period_id}` lists them", err=True)


UNDO = click.option("--undo", is_flag=True, help="Remove this edit instead.")


def edit_command(*extra):
    """An editor's command: WEEK ITEM [extra arguments], --undo, and the group's
    --db/--config taken here too."""
    def wrap(fn):
        for decorator in reversed((digest.command(), click.argument("week"),
                                   click.argument("item"), *extra, UNDO, SUB_DB, SUB_CONFIG,
                                   click.pass_context)):
            fn = decorator(fn)
        return fn
    return wrap


@edit_command()
def pin(ctx, week, item, undo):
    """Make ITEM (an id or URL) the lead of WEEK (2026-W47, or a month 2026-06)."""
    _edit(ctx, "pin", week, item, undo=undo)


@edit_command()
def hide(ctx, week, item, undo):
    """Leave ITEM (an id or URL) out of WEEK in every output (spam, noise)."""
    _edit(ctx, "hide", week, item, undo=undo)


@edit_command(click.argument("text", required=False))
def comment(ctx, week, item, text, undo):
    """Add a one-line comment to ITEM (an id or URL) in WEEK."""
    if not undo and not (text or "").strip():
        fail("a comment needs its text: tracker digest comment WEEK ITEM 'TEXT'", 2)
    _edit(ctx, "comment", week, item, text, undo=undo)


@digest.command()
@click.argument("week")
@SUB_DB
@click.pass_context
def items(ctx, week):
    """List WEEK's items with the names pin, hide and comment take."""
    from .digest import DigestError
    from .digest.build import period_items
    from .db import open_db
    from .safe import terminal_text

    require_db(ctx.obj["db_path"])
    try:
        rows = period_items(open_db(ctx.obj["db_path"]), week)
    except DigestError as e:
        fail(str(e), 2)
    if not rows:
        click.echo(f"No items in {week}: nothing to pin, hide or comment on (yet)")
    section = None
    for title, item_id, item_title, url in rows:
        if title != section:
            section = title
            click.echo(f"{terminal_text(title)}:")
        click.echo(f"  {terminal_text(item_id)}    {terminal_text(item_title)[:70]}")


def _weeks_text(weeks):
    if len(weeks) > 6:
        return f"{weeks[0]} … {weeks[-1]}"
    return ", ".join(weeks) or "none"


@click.command()
@DB_OPTION
@click.option("--week", required=True, help="ISO week such as 2026-W47, or a date in it.")
@click.argument("text")
def note(db_path, week, text):
    """Set the editor's note shown at the top of a week's digest."""
    from .digest import DigestError, set_note
    from .storage import open_for_writing

    require_db(db_path)
    try:
        set_note(open_for_writing(db_path), week, text)
    except DigestError as e:
        fail(str(e), 2)
    click.echo(f"Note set for {week}")

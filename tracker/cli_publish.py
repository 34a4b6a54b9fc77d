"""The publishing commands: ``serve`` (Datasette), ``publish-config`` and ``publish``
(a Datasette deployable) and ``site`` (the digest as a static site)."""

import os
from pathlib import Path

import click

from .cli_common import DB_OPTION, check_base_url, fail, require_db


@click.command()
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

    from .storage import open_for_reading

    require_db(db_path)
    open_for_reading(db_path).conn.close()  # locked, unreadable: one line now, not 500s later
    if public:
        try:
            public_origin(base_url or os.environ.get("TRACKER_BASE_URL"))
        except PublicProfileError as e:
            fail(str(e), 2)
    serve_datasette(db_path, host=host, port=port, open_browser=open_browser, public=public,
                    base_url=base_url)


@click.command("publish-config")
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


@click.command()
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


@click.command()
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
    from .storage import open_for_reading

    require_db(db_path)
    check_base_url(base_url)
    for name, url in (("--base-url", base_url), ("--datasette-url", datasette_url)):
        if url and not url.lower().startswith(("http://", "https://")):
            fail(f"{name} must be an http(s) URL, not {url!r}", 2)
    written = write_site(open_for_reading(db_path), output, base_url=base_url,
                         datasette_url=datasette_url, feed_weeks=feed_weeks)
    click.echo(f"Wrote {len(written)} files to {output}")
    if not base_url_from_env(base_url):
        click.echo("Warning: no --base-url or TRACKER_BASE_URL, so digest.atom's links are "
                   "relative and feed readers cannot follow them; pages work anywhere.", err=True)

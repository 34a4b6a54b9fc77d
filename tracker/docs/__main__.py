"""python -m tracker.docs [--check] [--no-samples] [--screenshot]"""

import sys

import click

from . import ROOT, references, stale, with_samples, write


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming each stale page.")
@click.option("--no-samples", is_flag=True,
              help="Leave the demo's sample outputs alone (no demo run: a second, not ten).")
@click.option("--screenshot", is_flag=True,
              help="Also photograph a demo digest page with headless Chromium "
                   "(docs/digest-page.png).")
def main(check, no_samples, screenshot):
    """Regenerate docs/cli.md, docs/schema.md and the sample outputs in the docs."""
    expected = references()
    if not no_samples:
        expected.update(with_samples())
    if check:
        paths = stale(expected)
        for path in paths:
            click.echo(f"stale: {path.relative_to(ROOT)} (run `python -m tracker.docs`)",
                       err=True)
        sys.exit(1 if paths else 0)
    for path in write(expected):
        click.echo(f"wrote {path.relative_to(ROOT)}")
    if screenshot:
        from .screenshot import digest_screenshot
        click.echo(f"wrote {digest_screenshot(ROOT / 'docs' / 'digest-page.png').relative_to(ROOT)}")


main()

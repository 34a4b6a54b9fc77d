"""Generated documentation: the CLI and schema references, and the demo's sample outputs.

    python -m tracker.docs               # regenerate docs/cli.md, docs/schema.md, samples
    python -m tracker.docs --check       # exit 1 naming each stale page; writes nothing
    python -m tracker.docs --screenshot  # also docs/digest-page.png (headless Chromium)

``tests/test_docs.py`` fails when a page is stale, as sqlite-utils' tests do for its
cog-generated CLI reference.
"""

from pathlib import Path

import yaml

from .samples import fill, names

ROOT = Path(__file__).resolve().parents[2]


def pages(root=ROOT):
    """README.md and every Markdown page under docs/."""
    root = Path(root)
    return [page for page in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
            if page.is_file()]


def static_samples():
    """Generated blocks that need no demo run: {name: (language, text)}."""
    from .queries_ref import queries_table

    return {"queries": (None, queries_table())}


def references(root=ROOT, *, cli=None, tables=None, views=None):
    """{path: text} of the generated pages and blocks that need no demo run (``cli``,
    ``tables``, ``views`` default to the tracker's own; tests pass others to see staleness
    caught)."""
    from .. import db
    from ..cli import cli as tracker_cli
    from .cli_ref import cli_markdown
    from .schema_ref import schema_markdown

    metadata = yaml.safe_load((Path(__file__).parents[1] / "metadata.yml").read_text())
    docs = Path(root) / "docs"
    blocks = {}
    for page in pages(root):
        text = page.read_text()
        if set(names(text)) & set(static_samples()):
            blocks[page] = fill(text, static_samples(), strict=False)
    return {
        **blocks,
        docs / "cli.md": cli_markdown(cli or tracker_cli),
        docs / "schema.md": schema_markdown(db.TABLES if tables is None else tables, db.INDEXES,
                                            db.FTS, db.VIEWS if views is None else views,
                                            metadata, db.PARTIAL_INDEXES),
    }


def with_samples(root=ROOT, samples=None):
    """{path: text} of every page holding sample blocks, the blocks rewritten."""
    if samples is None:
        from .samples import demo_samples
        samples = {**static_samples(), **demo_samples()}
    out = {}
    for page in pages(root):
        text = page.read_text()
        if names(text):
            out[page] = fill(text, samples)
    return out


def stale(expected):
    """The paths whose file differs from what ``expected`` says it should hold."""
    return [path for path, text in expected.items()
            if not path.exists() or path.read_text() != text]


def write(expected):
    """Write what is stale; return the paths written."""
    written = stale(expected)
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path])
    return written

"""``tracker publish DIR``: a Datasette configuration directory that plain
``datasette serve`` (and ``datasette publish`` / ``datasette package``) serves
exactly as ``tracker serve`` does.

    DIR/metadata.json    metadata, canned queries, dashboards, plugin settings
                         (the tracker's limits, and the public profile if asked)
    DIR/settings.json    Datasette settings (time limits, facets, page size ...)
    DIR/templates/       the tracker's templates: /digest pages, query pages
    DIR/requirements.txt what the server must have installed
    DIR/README.md        the commands, with these settings spelled out

Datasette's configuration-directory mode reads metadata.json, settings.json
and templates/ by itself: put the database file in DIR and run
``datasette serve DIR``. The tracker package must be installed where
Datasette runs: its plugin (an entry point) gives the queries ``xml_text()``,
the digest pages their variables, and applies the limits and the profile.
"""

import json
import shlex
import shutil
from pathlib import Path

from . import __version__
from .publish import TEMPLATES, build_config

REQUIREMENTS = ["datasette>=0.65.1,<0.66", "datasette-atom>=0.9,<0.10",
                "datasette-dashboards>=0.8,<0.9", "datasette-template-sql>=1.0.2,<2"]
PLUGIN_NAMES = [r.split(">")[0].split("=")[0] for r in REQUIREMENTS[1:]]


def write_deployable(directory, db_name="tracker", *, public=False, base_url=None,
                     tracker_requirement=None):
    """Write the configuration directory; return the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    metadata, settings = build_config(db_name, public=public, base_url=base_url)
    written = []

    def write(name, text):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("metadata.json", json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    write("settings.json", json.dumps(settings, indent=2) + "\n")
    templates = directory / "templates"
    if templates.exists():
        shutil.rmtree(templates)
    shutil.copytree(TEMPLATES, templates, ignore=shutil.ignore_patterns("__pycache__"))
    written.append(templates)
    tracker = tracker_requirement or f"tracker=={__version__}"
    write("requirements.txt", "\n".join([tracker, *REQUIREMENTS]) + "\n")
    write("README.md", _readme(db_name, settings, tracker))
    return written


def setting_options(settings):
    """``--setting NAME VALUE`` for each setting, as a command line needs them."""
    options = []
    for name, value in settings.items():
        value = json.dumps(value) if isinstance(value, bool) else str(value)
        options += ["--setting", name, value]
    return options


def _readme(db_name, settings, tracker):
    opts = shlex.join(setting_options(settings))
    install = " ".join(f"--install {shlex.quote(p)}" for p in [tracker, *PLUGIN_NAMES])
    return f"""# A Datasette deployable of the tracker (written by `tracker publish`)

Serve it here, as Datasette's configuration directory (metadata.json,
settings.json and templates/ are read by Datasette itself):

    cp /var/lib/tracker/{db_name}.db .        # or let the harvest write here
    pip install -r requirements.txt
    datasette serve . --port 8001

Or with the database elsewhere:

    datasette serve /var/lib/tracker/{db_name}.db -m metadata.json \\
        --template-dir templates {opts}

Datasette's own publishers (the tracker package must be installable there):

    datasette publish cloudrun {db_name}.db -m metadata.json --template-dir templates \\
        {install} --extra-options "{opts}"
    datasette package {db_name}.db -m metadata.json --template-dir templates \\
        {install} --extra-options "{opts}"

The database's name is `{db_name}` (its file stem): the canned queries and the
dashboard are filed under it. Security: see docs/security.md in the tracker.
"""

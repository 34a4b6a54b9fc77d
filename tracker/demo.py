"""The offline demo: real Jupyter facts served by the emulator, harvested for real.

Nothing leaves 127.0.0.1: the GitHub emulator and a feed server run on loopback,
and the same harvest code path as production (client, progress, writer) fills
the database before Datasette serves it.
"""

import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from .config import Config, Feed
from .db import open_db
from .digest import build_digests, week_id
from .emulator import Emulator, add_discoverable_repos, load_facts
from .feedserver import DATA_DIR as FEEDS_DIR, FeedServer
from .github import GitHubClient
from .harvest.run import Progress, run_harvest
from .emulator.registries import RegistryServer
from .emulator.registry_demo import NEW_PACKAGE, load_demo as load_demo_registries
from .emulator.sources import SourcesServer, load_synthetic
from .registries.settings import Packages
from .sources.http import Pacing
from .sources.settings import Calendar, Discourse, Papers

DEMO_REPOS = [
    "jupyterhub/dockerspawner",
    "jupyterhub/jupyterhub-deploy-docker",
    "jupyterhub/zero-to-jupyterhub-k8s",
    "voila-dashboards/voila",
    "mwouts/jupytext",  # moved to jupytext/jupytext: the emulator answers 301
    "ines/course-starter-python",
    "ines/juniper",
]
DEMO_FEEDS = [
    ("jupyter-blog.rss", "Jupyter Blog", ["blog"]),
    ("dockerspawner.releases.atom", "DockerSpawner releases", ["releases"]),
    ("zero-to-jupyterhub-k8s.releases.atom", "Zero to JupyterHub releases", ["releases"]),
    # #21: synthetic posts (marked so) for the digest's education, Binder and notebook sections.
    ("community-synthetic.rss", "[synthetic] Community posts", ["synthetic"]),
]
# Discovery in the demo: synthetic repos ("[synthetic]", owners synthetic-dev-N) carrying
# these topics, created over the eight months before the facts end, found by search.
DEMO_TOPICS = ["jupyterlab-extension", "jupyter-kernel", "voila", "jupyterhub"]
DEMO_DISCOVERED = 80
# #23: the synthetic calendar, paper sources and forum category of tracker/data/sources,
# read as of a day in the facts' busiest weeks (2026-W20 .. W25), so their digests show
# "Coming up" and "New papers" (the calendar window: 8 weeks back, 12 ahead of it).
DEMO_SOURCES_NOW = datetime(2026, 6, 19, tzinfo=timezone.utc)
# Only the emulator knows this token; it never leaves the machine.
DEMO_TOKEN = "demo-token-for-the-local-emulator"


@dataclass
class DemoResult:
    summary: object
    weeks: list
    api_url: str
    feed_urls: list


def demo_config(feed_base):
    feeds = [Feed(url=f"{feed_base}/{name}", title=title, tags=tags)
             for name, title, tags in DEMO_FEEDS]
    return Config(repos=list(DEMO_REPOS), feeds=feeds, topics=list(DEMO_TOPICS))


def demo_sources(config, base):
    """Add the synthetic calendar, papers and Discourse served at ``base`` (#23)."""
    config.calendars = [Calendar(f"{base}/calendars/community.ics", "community",
                                 ["community"], synthetic=True)]
    config.papers = Papers(arxiv=["all:jupyter"], joss=[f"{base}/papers/published.atom"],
                           zenodo=["jupyter"], arxiv_url=f"{base}/api/query",
                           zenodo_url=f"{base}/api/records", synthetic=True)
    config.discourse = Discourse(base, ["jupyterhub"], synthetic=True)
    return config


def demo_packages(config, base):
    """#22: the real PyPI histories of voila, jupytext and dockerspawner, their synthetic
    conda-forge builds and two synthetic npm packages (one new in 2026-W25), served
    at ``base``."""
    config.packages = Packages(pypi=["voila", "jupytext", "dockerspawner"],
                               npm=["@synthetic-dev/jupytext-lab", NEW_PACKAGE],
                               conda_forge_from_pypi=True,
                               pypi_url=base, npm_url=base, anaconda_url=base, rate=0,
                               synthetic=["npm", "conda_forge"])
    return config


def demo_environ(environ=None):
    """The environment the demo harvests in: a mirror exported for real harvests
    (TRACKER_PYPI_URL, ...) must not take the offline demo off its own emulators."""
    from .registries.settings import URL_SETTINGS

    environ = os.environ if environ is None else environ
    drop = {var for _, var, _ in URL_SETTINGS.values()} | {"GITHUB_API_URL"}
    return {k: v for k, v in environ.items() if k not in drop}


def demo_store():
    """The real facts plus synthetic repos for discovery to find (no releases of their
    own, so the digest's release notes stay real)."""
    store = load_facts()
    add_discoverable_repos(store, DEMO_DISCOVERED, DEMO_TOPICS, seed=13, releases=0,
                           start="2025-12-01T00:00:00Z", end="2026-07-24T00:00:00Z")
    return store


def mark_synthetic_history(db):
    """The emulator makes stargazers and forks up from the facts' counts (#25): say so."""
    with db.conn:
        db.execute("update stars set synthetic = 1")
        db.execute("update forks set synthetic = 1")


def active_weeks(db, limit=3):
    """The most recent weeks that had both releases and merged PRs: worth opening first."""
    def weeks(sql):
        return {week_id(date.fromisoformat(row[0][:10])) for row in db.execute(sql)}

    released = weeks("select published_at from releases where published_at is not null")
    merged = weeks("select merged_at from issues where merged_at is not null")
    return sorted(released & merged, reverse=True)[:limit]


def busy_ports(port, serve=True):
    """Which of the demo's ports (Datasette ``port`` when serving, the feed server
    on port+1, the emulator on port+2, calendars/papers/forum on port+3) something
    on 127.0.0.1 already holds."""
    busy = []
    for p in ([port] if serve else []) + [port + 1, port + 2, port + 3]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                busy.append(p)
    return busy


def run_demo(db_path, *, port=8001, serve=True, out=None):
    """Harvest the demo data into ``db_path``, build digests, optionally serve."""
    # What the demo produces (its summary and the URLs to open) is standard output; the
    # harvest's progress stays on standard error, like `tracker harvest`.
    out = out or print
    progress = Progress()
    # Fixed ports: URLs inside bodies (hence ETags) and feed keys must match across runs.
    with Emulator(demo_store(), tokens={DEMO_TOKEN}, port=port + 2) as emu, \
            FeedServer(FEEDS_DIR, port=port + 1) as feeds, \
            SourcesServer(port=port + 3) as sources, RegistryServer() as registries:
        load_synthetic(sources)
        # Up to the facts' end, as GitHub's and the feeds' data.
        load_demo_registries(registries, until="2026-07-24")
        config = demo_sources(demo_config(feeds.url.rstrip("/")), sources.url)
        config = demo_packages(config, registries.url)
        out(f"GitHub emulator on {emu.url}, feeds on {feeds.url} (real Jupyter data, offline)")
        # Unpaced: the emulator is local and ours, and ~250 requests stay under its 900/min.
        with GitHubClient(DEMO_TOKEN, emu.url, log=progress.log, max_rate=0) as client:
            # The sources server is ours and local too: unpaced.
            summary = run_harvest(db_path, config, client=client, digest=False,
                                  environ=demo_environ(), progress=progress,
                                  sources_now=DEMO_SOURCES_NOW,
                                  sources_pacing=Pacing(default=0.0))
        out(summary.line())
    db = open_db(db_path)
    mark_synthetic_history(db)
    with db.conn:  # the emulator's token is no GitHub credential: `status` must not say so
        db.execute("update harvest_runs set credentials = 'demo' "
                   "where id = (select max(id) from harvest_runs)")
    weeks = build_digests(db, all_weeks=True)
    out(f"Built {len(weeks)} weekly digests ({weeks[0]} … {weeks[-1]})" if weeks else "No digests")
    base = f"http://127.0.0.1:{port}"
    name = Path(db_path).stem
    lines = [
        f"  home            {base}/",
        f"  digest archive  {base}/digest",
        f"  digest feed     {base}/{name}/digest.atom?weeks=120",
        f"  dashboard       {base}/-/dashboards/ecosystem-pulse",
        f"  stars per week  {base}/{name}/stars_per_week",
    ]
    for week in active_weeks(db):
        lines += [
            f"  {week} digest   {base}/digest/{week}",
            f"  {week} releases {base}/{name}/releases_this_week?week={week}",
            f"  {week} merged   {base}/{name}/merged_prs_per_repo?week={week}",
            f"  {week} new      {base}/{name}/new_in_ecosystem?week={week}",
            f"  {week} events   {base}/{name}/upcoming_events?week={week}",
            f"  {week} papers   {base}/{name}/new_papers?week={week}",
            f"  {week} shipped  {base}/{name}/package_releases_this_week?week={week}",
        ]
    heading = "Open:" if serve else f"Open, once `tracker serve --db {db_path} --port {port}` runs:"
    out(heading + "\n" + "\n".join(lines))
    result = DemoResult(summary, weeks, emu.url, [f.url for f in config.feeds])
    if serve:
        from .publish import serve as serve_datasette

        serve_datasette(db_path, host="127.0.0.1", port=port)
    return result

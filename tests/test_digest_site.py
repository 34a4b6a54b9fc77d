"""`tracker site`: a static copy of the digest whose every internal link works."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from tracker.db import open_db
from tracker.digest import build_digests
from tracker.digest.site import write_site
from test_digest import NOW, WEEK, add_week_rows
from test_digest_publication import seed_control_characters, strict

ROOT = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"


class Links(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.links = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def walk(site):
    """Follow every relative link from index.html like a static host would;
    return (pages visited, broken links)."""
    base = "https://static.example.org/project/"
    seen, broken, todo = set(), [], ["index.html"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = site / name
        if not path.is_file():
            broken.append(name)
            continue
        if not name.endswith(".html"):
            continue
        for link in Links(path.read_text()).links:
            url = urljoin(base + name, link)
            if url.startswith(base):
                todo.append(urlsplit(url).path[len(urlsplit(base).path):])
            else:
                assert url.startswith("https://"), (name, link)  # only GitHub and the like
    return seen, broken


def test_static_site_links_all_work(tmp_path):
    db = open_db(str(tmp_path / "tracker.db"))
    add_week_rows(db)
    seed_control_characters(db)
    weeks = build_digests(db, all_weeks=True, now=NOW)
    site = tmp_path / "site"
    write_site(db, site, base_url="https://static.example.org/project", now=NOW)
    seen, broken = walk(site)
    assert not broken
    assert {f"{w}.html" for w in weeks} <= seen and "digest.atom" in seen
    assert "style.css" in seen
    index = (site / "index.html").read_text()
    # It opens on the latest week with content, then this year's weeks newest first.
    latest, archive = index.split('<ul class="archive">')
    assert f'<a href="{WEEK}.html">' in latest
    assert archive.index("2026-W48.html") < archive.index(f"{WEEK}.html")
    assert "(in progress)" in archive.split("2026-W48.html")[1].split("</li>")[0]
    assert 'href="index-2025.html"' in index and (site / "index-2025.html").exists()
    page = (site / f"{WEEK}.html").read_text()
    assert 'rel="prev" href="2026-W46.html"' in page and 'rel="next" href="2026-W48.html"' in page
    assert "/tracker/" not in page  # no Datasette on a static host

    feed = ET.fromstring((site / "digest.atom").read_bytes())
    strict((site / "digest.atom").read_bytes())
    links = [e.find(f"{ATOM}link").get("href") for e in feed.iter(f"{ATOM}entry")]
    assert links[0] == f"https://static.example.org/project/{WEEK}.html"  # complete weeks
    loud = db.execute("select count(*) from digests where not quiet and period_end < ?",
                      [NOW.date().isoformat()]).fetchone()[0]
    assert len(links) == min(26, loud) and all(l.startswith("https://static.example.org/project/")
                                               for l in links)


def test_site_command_with_datasette_links(tmp_path):
    db_path = tmp_path / "tracker.db"
    db = open_db(str(db_path))
    add_week_rows(db)
    build_digests(db, week=WEEK, now=NOW)
    out = tmp_path / "out"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "tracker", "site", "--db", str(db_path),
                          "--output", str(out), "--datasette-url", "https://data.example.org"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f'href="https://data.example.org/tracker/releases_this_week?week={WEEK}"' in \
        (out / f"{WEEK}.html").read_text()
    bad = subprocess.run([sys.executable, "-m", "tracker", "site", "--db", str(db_path),
                          "--output", str(out), "--base-url", "javascript:alert(1)"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

"""#21: one definition of a security release (tracker/security.py), tested as a
table over EVERY real release the demo ships (tracker/data/jupyter/*/releases.json)
and synthetic edge cases, and read the same way by SQL (the release_places view)."""

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from tracker.db import ensure_schema
from tracker.safe import register_sql_functions
from tracker.security import advisory_ids, security_release

DATA = Path(__file__).resolve().parent.parent / "tracker" / "data" / "jupyter"

# Every demo release that IS a security release, with the ids a reader is told
# (read from each release's text: an advisory id a reader sees, or a plain
# "this is a security release/fix" with the advisory linked).
SECURITY = {
    ("jupyterhub/zero-to-jupyterhub-k8s", "0.10.0"): ["CVE-2020-15110", "GHSA-v7m9-9497-p9gr"],
    # "This release is a security workaround for ... (advisory linked)"
    ("jupyterhub/zero-to-jupyterhub-k8s", "0.10.6"): ["GHSA-384w-5v3f-q499"],
    ("jupyterhub/zero-to-jupyterhub-k8s", "1.1.4"): ["GHSA-5xvc-vgmp-jgc3"],   # "Security release!"
    ("jupyterhub/zero-to-jupyterhub-k8s", "1.2.0"): ["GHSA-cw7p-q79f-m2v7"],   # "Security release!"
    ("jupyterhub/zero-to-jupyterhub-k8s", "3.3.8"): ["CVE-2024-41942"],
    ("jupyterhub/zero-to-jupyterhub-k8s", "4.3.3"): ["CVE-2026-33709", "CVE-2026-33175",
                                                      "CVE-2026-34052"],
    ("jupyterhub/zero-to-jupyterhub-k8s", "4.3.4"): ["CVE-2026-40864"],
    ("jupyterhub/zero-to-jupyterhub-k8s", "4.4.0"): ["GHSA-p43p-whwx-q52h"],
    ("jupyterhub/dockerspawner", "13.0.0"): ["GHSA-hfgr-h3vc-p6c2"],
    ("voila-dashboards/voila", "v0.5.6"): ["CVE-2024-30265"],
    ("mwouts/jupytext", "v1.19.4"): ["GHSA-m22c-4q2m-m5wr"],
}

# Releases the old rule ("security" anywhere) flagged, and why they are not
# security releases: each must stay unflagged.
NOT_SECURITY = {
    ("mwouts/jupytext", "v1.11.3"): "a dependency upgrade bullet 'to fix a security vulnerability'",
    ("mwouts/jupytext", "v1.11.5"): "dependency updates 'to address several security issues'",
    ("mwouts/jupytext", "v1.13.0"): "upgraded extension dependencies (ansi-regex)",
    ("mwouts/jupytext", "v1.13.8"): "yarn.lock updated 'to address security vulnerabilities'",
    ("mwouts/jupytext", "v1.14.2"): "yarn.lock updated",
    ("mwouts/jupytext", "v1.14.5"): "yarn.lock updated",
    ("mwouts/jupytext", "v1.16.7"): "updated dependencies to address Dependabot alerts",
    ("mwouts/jupytext", "v1.19.2"): "'a series of Dependabot security updates'",
    ("mwouts/jupytext", "v1.10.3"): "updated `marked` 'to fix a moderate vulnerability'",
    ("jupyterhub/dockerspawner", "12.0.0"): "'another security-related change' (run_as_root)",
    ("jupyterhub/zero-to-jupyterhub-k8s", "v0.6"): "'better default security', security docs",
    ("jupyterhub/zero-to-jupyterhub-k8s", "0.10.2"): "securityContext, PodSecurityPolicy",
    ("jupyterhub/zero-to-jupyterhub-k8s", "0.10.3"): "Helm 2 'won't get any security patches'",
    ("jupyterhub/zero-to-jupyterhub-k8s", "0.11.0"): "a security announcement about 0.10.0-0.10.5, "
                                                     "its advisory only linked",
    ("jupyterhub/zero-to-jupyterhub-k8s", "1.0.0"): "a security announcement about the docs",
    ("jupyterhub/zero-to-jupyterhub-k8s", "2.0.0"): "'Security: breaking change to networkPolicy'",
    ("jupyterhub/zero-to-jupyterhub-k8s", "3.3.0"): "'Both updates provide security patches': "
                                                    "dependency updates, no advisory named",
    ("jupyterhub/zero-to-jupyterhub-k8s", "4.0.0"): "'Security context hardening'",
    ("jupyterhub/zero-to-jupyterhub-k8s", "4.3.0"): "'Bump aquasecurity/trivy-action'",
}


def demo_releases():
    out = []
    for path in sorted(DATA.glob("*/releases.json")):
        repo = path.parent.name.replace("__", "/")
        out += [(repo, r) for r in json.loads(path.read_text())]
    return out


def test_every_demo_release_is_judged_as_read():
    releases = demo_releases()
    assert len(releases) > 400
    keys = {(repo, r["tag_name"]) for repo, r in releases}
    assert set(SECURITY) <= keys and set(NOT_SECURITY) <= keys
    flagged = {}
    for repo, r in releases:
        is_security, ids = security_release(r.get("name"), r.get("tag_name"), r.get("body"))
        if is_security:
            flagged[(repo, r["tag_name"])] = ids
    assert flagged == SECURITY
    assert not set(flagged) & set(NOT_SECURITY)


@pytest.mark.parametrize("text,expected,ids", [
    ("Security release! Fixes a login bypass.", True, []),
    ("This release fixes a critical vulnerability in the login handler.", True, []),
    ("This is a\nsecurity release: please upgrade.", True, []),       # a wrapped line
    ("Fixes CVE-2024-12345.", True, ["CVE-2024-12345"]),
    ("Fixed [ghsa-5xvc-vgmp-jgc3](https://github.com/o/r/security/advisories/GHSA-5xvc-vgmp-jgc3)",
     True, ["GHSA-5xvc-vgmp-jgc3"]),
    ("### Security\n- PYSEC-2023-12 fixed", True, ["PYSEC-2023-12"]),
    ("We fixed a security issue in the token handler.", True, []),
    ("A security fix for the proxy.", True, []),
    # an advisory only inside a URL: an earlier release's, "see the advisory"
    ("See https://github.com/o/r/security/advisories/GHSA-abcd-efgh-ijkl for details.", False, []),
    ("- Bump lodash from 4.17.20 to 4.17.21 to fix a security vulnerability", False, []),
    ("- Dependencies of the extension have been upgraded to fix a security vulnerability",
     False, []),
    ("We updated yarn.lock to address security vulnerabilities (#904).", False, []),
    ("- Set securityContext on every container", False, []),
    ("Helm 2 won't get any security fixes any more.", False, []),
    ("Please read the security announcement below.", False, []),
    ("Improved the security documentation.", False, []),
    ("This release is primarily focused on better default security.", False, []),
    ("Bump aquasecurity/trivy-action from 0.24.0 to 0.30.0", False, []),
    ("", False, []),
    (None, False, []),
])
def test_edge_cases(text, expected, ids):
    assert security_release(None, "1.0.0", text) == (expected, ids)


def test_statement_with_an_advisory_only_linked_names_it():
    body = "This release is a security workaround, see https://github.com/o/r/security/advisories/GHSA-384w-5v3f-q499."
    assert security_release("1.0.1", "1.0.1", body) == (True, ["GHSA-384w-5v3f-q499"])
    assert advisory_ids(body) == ([], ["GHSA-384w-5v3f-q499"])


def test_a_registry_advisory_makes_a_security_release_on_its_own():
    assert security_release(None, "5.1.1", None, advisories=["GHSA-xxhm-r32g-hq5p"]) == \
        (True, ["GHSA-xxhm-r32g-hq5p"])
    # the registry's ids first, then the notes' (no repeats, one spelling)
    assert security_release(None, "5.1.1", "Fixes ghsa-xxhm-r32g-hq5p and CVE-2024-1111",
                            advisories=["GHSA-xxhm-r32g-hq5p"]) == \
        (True, ["GHSA-xxhm-r32g-hq5p", "CVE-2024-1111"])


def test_text_that_is_not_utf8_is_judged_not_failed():
    conn = sqlite3.connect(":memory:")
    register_sql_functions(conn)
    body = "Security release!".encode() + b"\xff\xfe"
    assert conn.execute("select security_release(null, '1.0', ?)", [body]).fetchone() == (1,)


def test_sql_and_the_views_read_the_same_rule():
    """The release_places/project_releases views flag exactly the releases the
    Python rule flags, over every demo release."""
    db = sqlite_utils.Database(memory=True)
    register_sql_functions(db.conn)
    ensure_schema(db)
    rows, expected = [], set()
    for i, (repo, r) in enumerate(demo_releases()):
        rows.append({"id": i + 1, "repo": 1 if repo.startswith("jupyterhub/") else 2,
                     "tag_name": r["tag_name"], "name": r.get("name"), "body": r.get("body"),
                     "draft": 0, "prerelease": 0, "published_at": r.get("published_at")
                     or "2020-01-01T00:00:00Z"})
        if security_release(r.get("name"), r.get("tag_name"), r.get("body"))[0]:
            expected.add(i + 1)
    db["releases"].upsert_all(rows, pk="id")
    got = {i for (i,) in db.execute(
        "select github_release from release_places where place = 'GitHub' and security")}
    assert got == expected and len(expected) == len(SECURITY)
    flagged_versions = {v for (v,) in db.execute(
        "select version from project_releases where security")}
    assert "4.4.0" in flagged_versions and "1.11.3" not in flagged_versions

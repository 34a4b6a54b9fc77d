"""The Markdown export stays valid CommonMark where a section groups its items:
a project's bold heading after the previous project's list is a paragraph of its
own (a blank line before it), not a lazy continuation of the last list item
(found by a new user's trial of #21)."""

from tracker.digest.render import render_md


def release(group, version):
    return {"group": group, "title": f"{group.split('/')[1]} {version}",
            "url": f"https://github.com/{group}/releases/tag/{version}", "meta": "",
            "summary": f"Notes of {version}."}


def test_each_project_heading_starts_after_a_blank_line():
    data = {"title": "A week", "label": "Mon – Sun", "id": "2026-W10", "lead": "Lead.",
            "quiet": False, "footer": "Footer.",
            "sections": [{"title": "Releases", "kind": "releases", "items": [
                release("jupyterhub/zero-to-jupyterhub-k8s", "3.2.0"),
                release("jupyterhub/zero-to-jupyterhub-k8s", "3.2.1"),
                release("jupytext/jupytext", "1.16.0")]}]}
    lines = render_md(data).splitlines()
    for heading in ("**jupyterhub/zero-to-jupyterhub-k8s**", "**jupytext/jupytext**"):
        at = lines.index(heading)
        assert lines[at - 1] == "" and lines[at + 1] == ""

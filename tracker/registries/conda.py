"""conda-forge: one package's file listing from the anaconda.org API.

``/package/conda-forge/NAME/files`` lists every file with ``version``,
``upload_time``, ``attrs.subdir`` and ``labels``; a version's time is its first
upload. conda-forge "yanks" by moving a build to the ``broken`` label: a version
all of whose files are off ``main`` is yanked. Per package, never the
whole-channel repodata.
"""

import json
from urllib.parse import quote

from ..sources.http import SourceError, fetch
from .values import is_prerelease, iso_z, normalize

# conda-forge names that differ from the PyPI name (most are the same, normalized).
PYPI_TO_CONDA = {"jupyter-server": "jupyter_server", "jupyter-client": "jupyter_client",
                 "jupyter-core": "jupyter_core", "jupyter-events": "jupyter_events",
                 "jupyter-server-terminals": "jupyter_server_terminals",
                 "jupyter-console": "jupyter_console", "jupyter-lsp": "jupyter-lsp",
                 "ipython-genutils": "ipython_genutils"}


def conda_name(pypi_name):
    """The conda-forge name of a PyPI package (the mapping, else its normalized name)."""
    name = normalize(pypi_name)
    return PYPI_TO_CONDA.get(name, name)


def fetch_files(client, base, name, etag, *, pacing, counter):
    return fetch(client, f"{base}/package/conda-forge/{quote(name)}/files", pacing=pacing,
                 counter=counter, etag=etag, accept="application/json")


def files_rows(content, name):
    """Release rows (one per version) from a files listing."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"conda-forge {name}: not JSON") from None
    if not isinstance(data, list):
        raise SourceError(f"conda-forge {name}: not a list of files")
    versions = {}
    for f in data:
        if isinstance(f, dict) and isinstance(f.get("version"), str):
            versions.setdefault(f["version"], []).append(f)
    rows = []
    for version, files in versions.items():
        times = sorted(t for t in (iso_z(f.get("upload_time")) for f in files) if t)
        on_main = any("main" in (f.get("labels") or ["main"]) for f in files)
        rows.append({
            "version": version, "published_at": times[0] if times else None,
            "prerelease": int(is_prerelease(version)), "yanked": int(not on_main),
            "yanked_reason": None if on_main else "moved off the main label",
            "files": len(files),
            "url": f"https://anaconda.org/conda-forge/{quote(name)}/files?version="
                   f"{quote(version)}",
        })
    return rows

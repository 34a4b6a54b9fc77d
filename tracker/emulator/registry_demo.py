"""The offline demo's registries (#22): real PyPI histories, synthetic npm and
conda-forge packages, loaded into a ``RegistryServer``."""

import json
from datetime import datetime, timedelta
from pathlib import Path


def load_demo(server, until, directory=None):
    """Fill a server for the offline demo: the real PyPI histories of
    ``tracker/data/registries/pypi.json`` up to ``until`` (ISO), plus synthetic
    conda-forge builds of their 2026 versions and a synthetic npm package."""
    directory = Path(directory or Path(__file__).parent.parent / "data" / "registries")
    data = json.loads((directory / "pypi.json").read_text())["pypi"]
    for name, project in sorted(data.items()):
        versions = sorted(project["releases"].items(), key=lambda kv: kv[1]["uploaded"])
        for version, release in versions:
            if release["uploaded"] >= until:
                continue
            server.add_pypi(name, version, release["uploaded"], summary=project["summary"],
                            project_urls=project["project_urls"],
                            vulnerabilities=project["vulnerabilities"],
                            yanked=(release["yanked_reason"] or True) if release["yanked"]
                            else False)
            if release["uploaded"] >= "2026-01-01" and not release["yanked"] and \
                    version.replace(".", "").isdigit():
                built = datetime.fromisoformat(release["uploaded"].replace("Z", "+00:00")) \
                    + timedelta(hours=30)
                server.add_conda(name, version, built.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"))
                if name == "jupytext":
                    published = datetime.fromisoformat(
                        release["uploaded"].replace("Z", "+00:00")) + timedelta(minutes=20)
                    server.add_npm("@synthetic-dev/jupytext-lab", version,
                                   published.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                   repository="git+https://github.com/jupytext/jupytext.git",
                                   description="[synthetic] JupyterLab extension of jupytext",
                                   keywords=["jupyterlab-extension"])
    return server

"""The offline demo's registries (#22): real PyPI histories, synthetic npm and
conda-forge packages, loaded into a ``RegistryServer``."""

import json
from datetime import datetime, timedelta
from pathlib import Path


# A synthetic package whose first-ever release is in a busy demo week (W25 of 2026):
# the digest tells it under "Extensions and kernels" (#22).
NEW_PACKAGE = "@synthetic-dev/jupyterlab-cell-timer"
NEW_PACKAGE_VERSIONS = [("0.1.0", "2026-06-17T14:05:00.000Z"),
                        ("0.2.0", "2026-07-08T09:30:00.000Z")]


def load_demo(server, until, directory=None):
    """Fill a server for the offline demo: the real PyPI histories of
    ``tracker/data/registries/pypi.json`` up to ``until`` (ISO), plus synthetic
    conda-forge builds of their 2026 versions, a synthetic npm package of jupytext
    and a synthetic new npm package (``NEW_PACKAGE``)."""
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
    for version, published in NEW_PACKAGE_VERSIONS:
        if published < until:
            server.add_npm(NEW_PACKAGE, version, published,
                           repository=f"git+https://github.com/{NEW_PACKAGE[1:]}.git",
                           description="[synthetic] A JupyterLab extension that times "
                                       "notebook cells",
                           keywords=["jupyterlab-extension"])
    return server

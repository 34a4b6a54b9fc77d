"""Small pure helpers the three registries share: names, versions, times."""

import re
from datetime import datetime, timezone

# PEP 440 pre- and dev-releases; semver's "-alpha.1" (npm) has a hyphen.
_PRE = re.compile(r"(?i)(\d)(a|b|c|rc|alpha|beta|pre|preview)\.?\d*|\.?dev\d*|-")


def normalize(name):
    """PEP 503's normalized name (also how a PyPI and a conda-forge name are matched)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_prerelease(version):
    return bool(_PRE.search(version or ""))


def iso_z(value):
    """A registry time ('2024-05-23T07:22:52.822081Z', '2023-06-01 12:34:56.789+00:00')
    as 'YYYY-MM-DDTHH:MM:SSZ' in UTC; None when it is not a time."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

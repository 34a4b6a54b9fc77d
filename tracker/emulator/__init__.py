"""A GitHub REST API emulator: a real HTTP server on 127.0.0.1, seeded from data.

    from tracker.emulator import Emulator, load_facts, synthetic_ecosystem
    with Emulator(load_facts(), tokens={"good-token"}) as emu:
        ...  # emu.url, emu.requests, emu.store (mutable while serving)

Modules: ``records`` (compact records, time helpers), ``store`` (the mutable world
and its mutations), ``query`` (GitHub's filters and sorts), ``render`` (records ->
GitHub JSON), ``routes`` (URLs, pagination, Link), ``limits`` (rate-limit buckets,
faults), ``server`` (HTTP, ETag/304, auth), ``apps`` (GitHub App JWTs, installations,
installation tokens), ``facts`` (seed from the real Jupyter
facts), ``synthetic`` (made-up ecosystems for benchmarks), ``truth`` (compare a
tracker database with the emulator's world).
"""

from .facts import DATA_DIR, load_facts
from .server import Emulator, RequestRecord
from .store import Store
from .synthetic import add_discoverable_repos, synthetic_ecosystem

__all__ = ["DATA_DIR", "Emulator", "RequestRecord", "Store", "add_discoverable_repos", "load_facts",
           "synthetic_ecosystem"]

"""Helpers for the #23 source tests: a fake clock and a config for the emulator."""

from datetime import datetime, timezone
from pathlib import Path

from tracker.config import Config
from tracker.sources.http import Pacing
from tracker.sources.settings import Calendar, Discourse, Papers

DATA = Path(__file__).resolve().parents[1] / "tracker" / "data" / "sources"
COMMUNITY_ICS = (DATA / "community.ics").read_bytes()
MARCH = datetime(2026, 3, 15, tzinfo=timezone.utc)  # window 2026-01-18 .. 2026-06-07
JULY = datetime(2026, 7, 24, tzinfo=timezone.utc)


class FakeClock:
    """Monotonic seconds that move only when someone sleeps: pacing without waiting."""

    def __init__(self):
        self.t = 1000.0
        self.slept = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds


def pacing_for(server, clock, seconds=None):
    """The production pacing, its clock injected; the loopback host paced like arXiv."""
    host = server.url.split("//", 1)[1]
    intervals = {host: seconds} if seconds is not None else None
    return Pacing(intervals, clock=clock.now, sleep=clock.sleep)


def sources_config(server, *, calendars=("community",), arxiv=("all:jupyter",),
                   joss=("published",), zenodo=("jupyter",), discourse=("jupyterhub",)):
    return Config(
        calendars=[Calendar(f"{server.url}/calendars/{name}.ics", name, ["community"], True)
                   for name in calendars],
        papers=Papers(arxiv=list(arxiv), joss=[f"{server.url}/papers/{n}.atom" for n in joss],
                      zenodo=list(zenodo), arxiv_url=f"{server.url}/api/query",
                      zenodo_url=f"{server.url}/api/records", synthetic=True),
        discourse=Discourse(server.url, list(discourse), True) if discourse else Discourse())

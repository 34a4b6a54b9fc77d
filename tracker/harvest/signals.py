"""Stopping a harvest: one event, set by SIGINT/SIGTERM handlers and read everywhere.

The handlers only set the event (and remember which signal it was); the
pipeline notices it within a fraction of a second because every blocking call
(queue put/get, back-off and rate-limit sleeps) waits on it or has a timeout.
A second Ctrl-C exits at once: SQLite's journal keeps the database consistent.
"""

import os
import signal
import sys
import threading
from contextlib import contextmanager


class StopEvent(threading.Event):
    """A threading.Event that also records the signal that set it (or None)."""

    signum = None

    def stop(self, signum=None):
        if signum is not None and self.signum is None:
            self.signum = signum
        self.set()


@contextmanager
def stop_on_signals(stop=None):
    """Install SIGINT/SIGTERM handlers that set ``stop``; yield it; restore them.

    Only works in the main thread (Python delivers signals there); elsewhere
    the event is yielded without handlers.
    """
    stop = stop or StopEvent()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum, frame):
        if stop.is_set() and stop.signum is not None:
            # Second signal: the user means it. No cleanup; SQLite stays consistent.
            os.write(sys.stderr.fileno(), b"\nstopped at once\n")
            os._exit(128 + signum)
        stop.stop(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

"""Progress on standard error: plain lines, or one updating status line on a TTY."""

import sys
import threading

from ..safe import scrub


class Progress:
    """Plain log lines when not a terminal; one updating status line on a TTY."""

    def __init__(self, stream=None, quiet=False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._lock = threading.Lock()

    def log(self, message, *, oneline=True):
        """One line (``oneline``: line breaks folded, so remote text cannot forge
        a line); a traceback (``--debug``) keeps its lines, still cleaned."""
        if self.quiet:
            return
        message = scrub(message, oneline=oneline)  # harvested names, reason phrases, bodies
        with self._lock:
            prefix = "\r\033[K" if self.tty else ""
            self.stream.write(f"{prefix}{message}\n")
            self.stream.flush()

    def clear(self):
        """Remove a pending status line, so the summary starts on a clean line."""
        if self.tty and not self.quiet:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()

    def status(self, message):
        if self.quiet:
            return
        if self.tty:
            message = scrub(message)
            with self._lock:
                self.stream.write(f"\r\033[K{message[:120]}")
                self.stream.flush()
        else:
            self.log(message)

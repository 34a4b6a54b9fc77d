"""docs/digest-page.png: a week of the demo's digest, as headless Chromium draws it."""

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .samples import free_port_block


def digest_screenshot(output, *, size=(1000, 1500)):
    """Build the demo, serve it, photograph its most recent busy week; return ``output``."""
    from ..db import open_db
    from ..demo import active_weeks, run_demo

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise RuntimeError("chromium is not on PATH (apt-get install chromium)")
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        port = free_port_block()
        with contextlib.redirect_stderr(io.StringIO()):
            run_demo(str(path), port=port, serve=False, out=lambda text: None)
        week = active_weeks(open_db(str(path)))[0]
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--db", str(path),
                                   "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/digest", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("tracker serve did not start") from None
                    time.sleep(0.2)
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
                 f"--window-size={size[0]},{size[1]}", f"--screenshot={output}",
                 "--virtual-time-budget=5000", f"{url}/digest/{week}"],
                check=True, capture_output=True, timeout=120)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return output

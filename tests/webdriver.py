"""A minimal W3C WebDriver client over plain HTTP (httpx) for chromedriver: enough to load
a page in headless Chromium and run a script in it, e.g. to measure layout (#19)."""

import shutil
import socket
import subprocess
import time

import httpx

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """``with Browser(profile_dir) as b: b.get(url); b.run("return 1")``."""

    def __init__(self, profile, width=1280, height=1600):
        self.profile, self.size = profile, (width, height)

    def __enter__(self):
        port = _free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.http.get("/status")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.driver.poll() is not None:
                    self.driver.kill()
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        width, height = self.size
        options = {"binary": CHROMIUM, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={self.profile}", f"--window-size={width},{height}"]}
        answer = self.http.post("/session", json={"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}}).json()
        if "sessionId" not in answer.get("value", {}):
            self.__exit__()
            raise RuntimeError(f"no WebDriver session: {answer}")
        self.session = f"/session/{answer['value']['sessionId']}"
        return self

    def get(self, url):
        self._call("post", "/url", {"url": url})

    def run(self, script, *args):
        return self._call("post", "/execute/sync", {"script": script, "args": list(args)})

    def wait_for(self, script, timeout=20):
        """Poll ``script`` (a JS function body returning truthy when ready) until it is."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.run(script)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.2)

    def _call(self, method, path, body=None):
        answer = getattr(self.http, method)(self.session + path, json=body).json()
        value = answer.get("value")
        if isinstance(value, dict) and "error" in value:
            raise RuntimeError(f"WebDriver {path}: {value['error']}: {value.get('message')}")
        return value

    def __exit__(self, *exc):
        try:
            if hasattr(self, "session"):
                self.http.delete(self.session)
        finally:
            self.http.close()
            self.driver.terminate()
            try:
                self.driver.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.driver.kill()

"""A loopback PyPI, npm registry and anaconda.org API, with ETags, a request log
and faults: what tests, the bench and the offline demo harvest.

    with RegistryServer(clock=fake.now) as reg:
        reg.add_pypi("voila", "0.5.13", "2026-09-04T13:36:21.811329Z",
                     project_urls={"Homepage": "https://github.com/voila-dashboards/voila"})
        reg.yank_pypi("voila", "0.5.13", "broken wheel")
        reg.add_npm("@jupyterlab/git", "0.50.0", "2026-09-01T10:00:00.000Z")
        reg.add_conda("voila", "0.5.13", "2026-09-05 08:00:00.123000+00:00")
        reg.fail("/simple/voila/", 429, times=1, retry_after=2)
        reg.set_content("/@jupyterlab%2fgit", b'{"versions": ')   # a cut-off body

Shapes as documented: PEP 691 (``/simple/NAME/``, v1.1 with ``versions``,
``upload-time``, ``yanked``, ``X-PyPI-Last-Serial``), the JSON API
(``/pypi/NAME/json``: ``info``, ``releases``, ``vulnerabilities``), XML-RPC
(POST ``/pypi``: ``changelog_last_serial``, ``changelog_since_serial``,
``browse``), npm's package document (``/NAME``, ``/@scope%2fname``) and search
(``/-/v1/search``), anaconda.org's ``/package/conda-forge/NAME/files``.
Every change to a PyPI project appends to the changelog with a new serial.
"""

import hashlib
import json
import threading
import time
import xmlrpc.client
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..loopback import LoopbackServer
from ..registries.values import normalize


@dataclass(frozen=True)
class Logged:
    at: float
    method: str
    path: str
    query: dict
    status: int
    bytes: int


class RegistryServer:
    def __init__(self, host="127.0.0.1", port=0, clock=time.monotonic):
        self.host, self.port, self.clock = host, port, clock
        self.pypi, self.npm, self.conda = {}, {}, {}
        self.renamed = {}  # old normalized PyPI name -> new: the index answers 301
        self.serial, self.changelog = 1000, []
        self.requests = []
        self._content, self._faults, self._slow = {}, {}, {}
        self._lock = threading.RLock()
        self._httpd = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        self._httpd = LoopbackServer((self.host, self.port), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True,
                         name=f"registries:{self.port}").start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- the registries' contents -----------------------------------------------------
    def _changed(self, name, version, action):
        self.serial += 1
        self.changelog.append([name, version, int(time.time()), action, self.serial])

    def add_pypi(self, name, version, uploaded, *, yanked=False, project_urls=None,
                 summary=None, classifiers=(), vulnerabilities=None, files=("sdist", "wheel")):
        """A version with its files (an sdist and a wheel, uploaded a second apart)."""
        with self._lock:
            key = normalize(name)
            project = self.pypi.setdefault(key, {"name": key, "files": [], "versions": [],
                                                 "project_urls": {}, "summary": "",
                                                 "classifiers": [], "vulnerabilities": []})
            if project_urls is not None:
                project["project_urls"] = dict(project_urls)
            if summary is not None:
                project["summary"] = summary
            project["classifiers"] = sorted(set(project["classifiers"]) | set(classifiers))
            if vulnerabilities is not None:
                project["vulnerabilities"] = list(vulnerabilities)
            if version not in project["versions"]:
                project["versions"].append(version)
                stem = key.replace("-", "_")
                names = {"sdist": f"{stem}-{version}.tar.gz",
                         "wheel": f"{stem}-{version}-py3-none-any.whl"}
                for i, kind in enumerate(files):
                    project["files"].append({"filename": names[kind], "version": version,
                                             "upload-time": _later(uploaded, i),
                                             "yanked": yanked})
            self._changed(key, version, "new release")

    def yank_pypi(self, name, version, reason=""):
        with self._lock:
            for f in self.pypi[normalize(name)]["files"]:
                if f["version"] == version:
                    f["yanked"] = reason or True
            self._changed(normalize(name), version, "yank release")

    def remove_pypi(self, name, renamed_to=None):
        with self._lock:
            key = normalize(name)
            project = self.pypi.pop(key)
            if renamed_to:
                new = normalize(renamed_to)
                project["name"] = new
                self.pypi[new] = project
                self.renamed[key] = new
                self._changed(new, None, f"rename from {key}")
            self._changed(key, None, "remove project")

    def add_npm(self, name, version, published, *, deprecated=None, repository=None,
                keywords=(), description=None):
        with self._lock:
            doc = self.npm.setdefault(name, {"name": name, "versions": {}, "time": {},
                                             "dist-tags": {}, "keywords": []})
            doc["versions"][version] = {"name": name, "version": version}
            if deprecated:
                doc["versions"][version]["deprecated"] = deprecated
            doc["time"].setdefault("created", published)
            doc["time"][version] = published
            doc["time"]["modified"] = published
            if "-" not in version:
                doc["dist-tags"]["latest"] = version
            if repository is not None:
                doc["repository"] = {"type": "git", "url": repository}
            if description is not None:
                doc["description"] = description
            doc["keywords"] = sorted(set(doc["keywords"]) | set(keywords))

    def deprecate_npm(self, name, version, message):
        with self._lock:
            self.npm[name]["versions"][version]["deprecated"] = message

    def add_conda(self, name, version, uploaded, *, subdirs=("noarch",), labels=("main",)):
        with self._lock:
            files = self.conda.setdefault(name, [])
            for subdir in subdirs:
                files.append({"version": version, "upload_time": uploaded,
                              "attrs": {"subdir": subdir}, "labels": list(labels),
                              "basename": f"{subdir}/{name}-{version}-pyhd8ed1ab_0.conda",
                              "full_name": f"conda-forge/{name}/{version}/{subdir}/"
                                           f"{name}-{version}-pyhd8ed1ab_0.conda"})

    def mark_broken(self, name, version):
        with self._lock:
            for f in self.conda[name]:
                if f["version"] == version:
                    f["labels"] = ["broken"]

    # -- faults -------------------------------------------------------------------------
    def set_content(self, path, data, content_type="application/json"):
        with self._lock:
            self._content[path] = (bytes(data), content_type)

    def fail(self, path, status=500, times=None, retry_after=None):
        with self._lock:
            self._faults[path] = {"status": status, "times": times, "retry_after": retry_after}

    def slow(self, path, seconds, times=1):
        """Answer ``path`` after ``seconds`` (a client's timeout), ``times`` times."""
        with self._lock:
            self._slow[path] = [seconds, times]

    def reset(self, path):
        with self._lock:
            for table in (self._content, self._faults, self._slow):
                table.pop(path, None)

    def log_for(self, path=None, method=None):
        return [r for r in self.requests if (path is None or r.path == path)
                and (method is None or r.method == method)]

    # -- the truth a harvest must match --------------------------------------------------
    def truth(self):
        """{(registry, name, version): (first upload/publish time as stored, yanked or
        deprecated)}: what package_releases must hold after a full harvest."""
        from ..registries.values import iso_z
        out = {}
        for key, p in self.pypi.items():
            for version in p["versions"]:
                files = [f for f in p["files"] if f["version"] == version]
                out[("pypi", key, version)] = (min(iso_z(f["upload-time"]) for f in files),
                                               int(all(f["yanked"] for f in files)))
        for name, doc in self.npm.items():
            for version, meta in doc["versions"].items():
                out[("npm", name, version)] = (iso_z(doc["time"][version]),
                                               meta.get("deprecated"))
        for name, files in self.conda.items():
            for version in {f["version"] for f in files}:
                fs = [f for f in files if f["version"] == version]
                out[("conda_forge", name, version)] = (
                    min(iso_z(f["upload_time"]) for f in fs),
                    int(not any("main" in f["labels"] for f in fs)))
        return out

    # -- answers --------------------------------------------------------------------------
    def _fault(self, path):
        with self._lock:
            slow = self._slow.get(path)
            if slow:
                slow[1] -= 1
                if slow[1] <= 0:
                    del self._slow[path]
            rule = self._faults.get(path)
            if rule and rule["times"] is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    del self._faults[path]
            return (slow[0] if slow else 0), (dict(rule) if rule else None)

    def answer(self, method, path, query, body=b""):
        """(status, body, content type, extra headers)."""
        delay, fault = self._fault(path)
        if delay:
            time.sleep(delay)
        if fault:
            extra = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] else {}
            return fault["status"], b'{"message": "error"}', "application/json", extra
        with self._lock:
            if path in self._content:
                data, kind = self._content[path]
                return 200, data, kind, {}
            if method == "POST":
                return self._xmlrpc(path, body) if path == "/pypi" else _missing()
            if path.startswith("/simple/"):
                return self._index(path[len("/simple/"):].strip("/"))
            if path.startswith("/pypi/") and path.endswith("/json"):
                return self._project(path[len("/pypi/"):-len("/json")])
            if path.startswith("/package/conda-forge/") and path.endswith("/files"):
                name = path[len("/package/conda-forge/"):-len("/files")]
                if name not in self.conda:
                    return _missing()
                return 200, _dump(self.conda[name]), "application/json", {}
            if path == "/-/v1/search":
                return self._search(query)
            name = path[1:]
            if name in self.npm:
                return 200, _dump(self.npm[name]), "application/json", {}
            return _missing()

    def _index(self, name):
        if name in self.renamed:
            return 301, b"", "text/plain", {"Location": f"{self.url}/simple/"
                                                          f"{self.renamed[name]}/"}
        p = self.pypi.get(name)
        if p is None:
            return _missing()
        files = [{"filename": f["filename"], "url": f"{self.url}/files/{f['filename']}",
                  "hashes": {"sha256": hashlib.sha256(f["filename"].encode()).hexdigest()},
                  "requires-python": ">=3.9", "yanked": f["yanked"],
                  "upload-time": f["upload-time"], "size": 1000} for f in p["files"]]
        serial = max([e[4] for e in self.changelog if e[0] == name] or [self.serial])
        doc = {"meta": {"api-version": "1.1", "_last-serial": serial}, "name": p["name"],
               "versions": p["versions"], "files": files}
        return 200, _dump(doc), "application/vnd.pypi.simple.v1+json", \
            {"X-PyPI-Last-Serial": str(serial)}

    def _project(self, name):
        if name in self.renamed:
            return 301, b"", "text/plain", {
                "Location": f"{self.url}/pypi/{self.renamed[name]}/json"}
        p = self.pypi.get(name)
        if p is None:
            return _missing()
        releases = {v: [{"filename": f["filename"], "upload_time_iso_8601": f["upload-time"],
                         "yanked": bool(f["yanked"]),
                         "yanked_reason": f["yanked"] if isinstance(f["yanked"], str) else None}
                        for f in p["files"] if f["version"] == v] for v in p["versions"]}
        info = {"name": p["name"], "summary": p["summary"], "version": p["versions"][-1],
                "home_page": None, "project_urls": p["project_urls"] or None,
                "classifiers": p["classifiers"]}
        return 200, _dump({"info": info, "releases": releases,
                           "vulnerabilities": p["vulnerabilities"],
                           "last_serial": self.serial}), "application/json", {}

    def _search(self, query):
        text = (query.get("text") or [""])[0]
        size = min(int((query.get("size") or [20])[0]), 250)
        start = int((query.get("from") or [0])[0])
        keyword = text[len("keywords:"):] if text.startswith("keywords:") else None
        found = [d for n, d in sorted(self.npm.items())
                 if keyword is None or keyword in d.get("keywords", [])]
        objects = [{"package": {"name": d["name"], "version": d["dist-tags"].get("latest"),
                                "keywords": d.get("keywords", []),
                                "links": {"npm": f"https://www.npmjs.com/package/{d['name']}"}},
                    "score": {"final": 1.0}, "searchScore": 1.0}
                   for d in found[start:start + size]]
        return 200, _dump({"objects": objects, "total": len(found), "time": "now"}), \
            "application/json", {}

    def _xmlrpc(self, path, body):
        try:
            params, method = xmlrpc.client.loads(body)
        except Exception:
            return 400, b"bad request", "text/plain", {}
        if method == "changelog_last_serial":
            result = self.serial
        elif method == "changelog_since_serial" and params and isinstance(params[0], int):
            result = [e for e in self.changelog if e[4] > params[0]]
            result = [[n, v or "", t, a, s] for n, v, t, a, s in result]
        elif method == "browse" and params and isinstance(params[0], list):
            wanted = set(params[0])
            result = [[p["name"], v] for p in self.pypi.values() if wanted <= set(p["classifiers"])
                      for v in p["versions"]]
        else:
            fault = xmlrpc.client.dumps(xmlrpc.client.Fault(1, f"no method {method!r}"))
            return 200, fault.encode(), "text/xml", {}
        return 200, xmlrpc.client.dumps((result,), methodresponse=True).encode(), "text/xml", {}

    def _log(self, entry):
        with self._lock:
            self.requests.append(entry)


def _later(stamp, seconds):
    """An upload time ``seconds`` after ``stamp`` (same format)."""
    if not seconds:
        return stamp
    from datetime import datetime, timedelta
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dump(data):
    return json.dumps(data, sort_keys=True).encode()


def _missing():
    return 404, b'{"message": "Not Found"}', "application/json", {}


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stalls

        def _serve(self, method):
            at = server.clock()
            split = urlsplit(self.path)
            path, query = unquote(split.path), parse_qs(split.query)
            if "%2f" in split.path.lower():  # npm's scoped names: /@scope%2fname
                path = "/" + unquote(split.path[1:])
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, data, kind, extra = server.answer(method, path, query, body)
            headers = {}
            if status == 200 and method == "GET":
                etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
                headers["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    status, data = 304, b""
            server._log(Logged(at, method, path, query, status, len(data)))
            try:
                self.send_response(status)
                for key, value in {**headers, **extra}.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def log_message(self, *args):
            pass

    return Handler


def npm_path(name):
    return "/" + quote(name, safe="@")


"""Sample outputs in the docs, produced from the demo and masked so they regenerate the same.

Generated blocks that need no demo (the canned-query table) use the same markers.
A page holds a sample between two markers; `python -m tracker.docs` rewrites what is between:

    <!-- sample: demo -->
    ```text
    ...
    ```
    <!-- /sample -->

What changes from run to run is masked: the loopback ports become the demo's defaults (8001
and up, what `tracker demo` prints), times become ``hh:mm:ss``-style placeholders.
"""

import contextlib
import io
import re
import socket
import tempfile
from pathlib import Path

from click.testing import CliRunner

BLOCK = re.compile(r"(<!-- sample: ([a-z0-9-]+) -->\n)(.*?)(<!-- /sample -->)", re.S)
SITE = "https://tracking-jupyter.example.org"
DEFAULT_PORT = 8001


class SampleError(Exception):
    """A page names a sample that does not exist."""


def free_port_block():
    """A port p with p+1, p+2 and p+3 free too (Datasette, feeds, emulator, sources)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for offset in (1, 2, 3):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise OSError("no block of four free ports on 127.0.0.1")


def mask(text, *, port=None, db_path=None):
    """Replace what differs between two runs of the same demo."""
    if port is not None:
        text = text.replace(f"--port {port}", f"--port {DEFAULT_PORT}")
        for offset in range(4):
            text = text.replace(f"127.0.0.1:{port + offset}", f"127.0.0.1:{DEFAULT_PORT + offset}")
    if db_path is not None:
        text = text.replace(str(db_path), Path(db_path).name)
    text = re.sub(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "YYYY-MM-DDThh:mm:ssZ", text)
    text = re.sub(r"\((\d+m)?\d+s\)", "(Ns)", text)  # status: a run's duration
    text = re.sub(r", \d+(\.\d+)?s$", ", N.Ns", text, flags=re.M)  # summary: wall time
    text = re.sub(r"harvested (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}\b",
                  "harvested DAY", text)
    # The last answer's rate-limit header: which answer came last depends on the workers.
    text = re.sub(r"rate limit left (at the last run: )?\d+", r"rate limit left \1NNNN", text)
    # Which stream was written first depends on the workers' timing.
    text = re.sub(r"oldest stream state: \S+ \S+, written", "oldest stream state: OWNER/NAME STREAM, written",
                  text)
    # The running week depends on today.
    text = re.sub(r"Built \d+ weekly digests \((\S+) … \S+\)",
                  r"Built N weekly digests (\1 … the running week)", text)
    return text


def demo_samples(workdir=None):
    """{name: (language, text)} from two `tracker demo --no-serve` runs in ``workdir``."""
    from ..cli import cli
    from ..db import open_db
    from ..demo import active_weeks, run_demo

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(workdir or tmp) / "demo.db"
        port = free_port_block()
        first, second = [], []
        with contextlib.redirect_stderr(io.StringIO()):  # progress lines
            run_demo(str(path), port=port, serve=False, out=first.append)
            run_demo(str(path), port=port, serve=False, out=second.append)
        week = active_weeks(open_db(str(path)))[0]
        runner = CliRunner()
        env = {"TRACKER_BASE_URL": None, "GITHUB_TOKEN": None}
        status = runner.invoke(cli, ["status", "--db", str(path)], env=env)
        digest = runner.invoke(cli, ["digest", "--db", str(path), "--week", week, "--format",
                                     "md", "--base-url", SITE], env=env)
        if digest.exit_code or status.exit_code:
            raise RuntimeError(f"demo samples failed: {status.output}{digest.output}")

        def masked(text):
            return mask(text, port=port, db_path=path).rstrip()

        head = digest.stdout.split("\n## ")
        return {
            # The general lines; the busiest weeks' links follow in the terminal.
            "demo": ("text", "$ tracker demo --no-serve   # progress lines left out\n"
                     + masked("\n".join(first).split("\n  20")[0])),
            "demo-again": ("text", "$ tracker demo --no-serve   # the second time\n"
                           + masked(second[1])),
            "status": ("text", "$ tracker status --db demo.db\n" + masked(status.stdout)),
            "digest-md": ("markdown", f"<!-- tracker digest --db demo.db --week {week} "
                          f"--format md --base-url {SITE} (abridged) -->\n"
                          + masked("\n## ".join(head[:3]))),
        }


def fill(text, samples, *, strict=True):
    """``text`` with every sample block rewritten from ``samples`` ({name: (language,
    text)}; language None: the text as it is, not fenced). Not ``strict``: blocks
    ``samples`` does not name are left as they are."""
    def block(match):
        name = match.group(2)
        if name not in samples:
            if not strict:
                return match.group(0)
            raise SampleError(f"unknown sample {name!r} (known: {', '.join(sorted(samples))})")
        language, body = samples[name]
        fenced = body if language is None else f"```{language}\n{body}\n```"
        return f"{match.group(1)}{fenced}\n{match.group(4)}"
    return BLOCK.sub(block, text)


def names(text):
    """The sample names a page uses."""
    return [m.group(2) for m in BLOCK.finditer(text)]

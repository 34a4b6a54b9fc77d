"""Serve the emulator until Ctrl-C: ``python -m tracker.emulator --port 8765``."""

from __future__ import annotations

import argparse
import time

from . import Emulator, load_facts, synthetic_ecosystem


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m tracker.emulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--data", help="facts directory (default: the copy in tracker/data/jupyter)")
    p.add_argument("--synthetic-repos", type=int, default=0,
                   help="serve a synthetic ecosystem of this many repos instead of the facts")
    p.add_argument("--synthetic-orgs", type=int, default=5)
    p.add_argument("--synthetic-issues", type=int, default=20000)
    p.add_argument("--synthetic-comments", type=int, default=41000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--token", action="append", dest="tokens",
                   help="accepted token (repeatable); default: any token is accepted")
    p.add_argument("--latency", type=float, default=0.0, help="seconds slept per request")
    p.add_argument("--core-limit", type=int, default=5000)
    p.add_argument("--unauth-limit", type=int, default=60)
    p.add_argument("--search-limit", type=int, default=30)
    p.add_argument("--points-per-minute", type=int, default=900,
                   help="secondary limit: requests per sliding minute per caller (0: off)")
    p.add_argument("--concurrency-limit", type=int, default=100,
                   help="secondary limit: requests in flight per caller (0: off)")
    p.add_argument("--app-id", type=int, help="register a GitHub App with this id ...")
    p.add_argument("--app-public-key", help="... and this public key (PEM file)")
    p.add_argument("--app-install", action="append", default=[], metavar="LOGIN",
                   help="install the App on this org or user (repeatable)")
    p.add_argument("--app-token-lifetime", type=float, default=3600.0,
                   help="seconds an installation token lives")
    args = p.parse_args(argv)
    if args.synthetic_repos:
        store = synthetic_ecosystem(orgs=args.synthetic_orgs, repos=args.synthetic_repos,
                                    issues=args.synthetic_issues,
                                    comments=args.synthetic_comments, seed=args.seed)
    else:
        store = load_facts(args.data)
    emu = Emulator(store, tokens=args.tokens, latency=args.latency, core_limit=args.core_limit,
                   unauth_limit=args.unauth_limit, search_limit=args.search_limit,
                   host=args.host, port=args.port, points_per_minute=args.points_per_minute,
                   concurrency=args.concurrency_limit)
    if args.app_id:
        with open(args.app_public_key) as f:
            emu.apps.add_app(args.app_id, f.read())
        emu.apps.token_lifetime = args.app_token_lifetime
        for login in args.app_install:
            emu.apps.install(args.app_id, login)
    with emu:
        print(emu.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

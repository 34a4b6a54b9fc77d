"""The weekly "Tracking Jupyter" digest, one module per job.

- ``build``    weeks, collecting section data, storing ``digests`` rows, exports
- ``sections`` SQL over the harvested tables -> plain data, one function per section
- ``html``     section data -> an HTML fragment (the stored content)
- ``markdown`` section data -> newsletter-ready Markdown
- ``atom``     stored rows -> an Atom 1.0 feed and standalone HTML pages
- ``svg``      tiny inline charts
- ``ecosystem`` "New in the ecosystem" and "Rising" (discovered repos, #13)
- ``events``   "Coming up" (calendars, #23); ``papers`` "New papers" (#23)

The public surface is re-exported here: ``from tracker.digest import build_digests``.
"""

from .build import (  # noqa: F401
    DigestError, base_url_from_env, build_digests, check_week, collect, complete_digests,
    every_week, export_digest, is_complete, parse_week, set_note, week_bounds, week_id, week_range,
    week_urls,
)
from . import ecosystem  # noqa: E402,F401  (registers its digest section)
from . import events, papers  # noqa: E402,F401  (#23: register their sections)

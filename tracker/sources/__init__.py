"""Sources beyond GitHub and plain feeds (#23): calendars, papers, Discourse.

One module per job: ``http`` (paced, conditional, retried GETs), ``calendars``
(iCalendar -> ``events``), ``papers/`` (arXiv, JOSS, Zenodo -> ``papers``, one
row per paper whatever the source), ``discourse`` (category topics ->
``discourse_topics``), ``settings`` (the watchlist keys) and ``run`` (one pass
over every configured source, as ``tracker harvest`` calls it). Each source's
failure is one recorded error; what is stored stays as it was.
"""

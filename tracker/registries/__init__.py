"""PyPI, npm and conda-forge releases of ecosystem packages (#22).

One module per job: ``settings`` (the watchlist's ``packages:`` block),
``http`` (XML-RPC calls, paced like every GET), ``pypi``, ``npm`` and
``conda`` (``fetch_*`` network only, ``*_rows`` pure), ``save`` (the
``packages``, ``package_releases`` and ``package_sources`` writes),
``discover`` (which packages: repository links, trove classifiers, npm
keywords, conda-forge names of PyPI packages) and ``run`` (one pass, as
``tracker harvest`` calls it). A package's failure is one recorded error; what
is stored stays as it was.
"""

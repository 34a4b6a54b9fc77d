"""The canned queries (``tracker/queries/NAME.sql``) as SQL to run, here and in Datasette.

``query_sql`` is what Datasette serves (``tracker.publish``) and what the digest
runs (``canned_rows``): shared fragments expanded (``week as (/* include
_week.sql */)``) and the project's SQL functions given their arguments as
bytes. A digest section that answers the same question as a canned query runs
that query, so the two cannot disagree (docs/design/facts.md).
"""

import re
from functools import lru_cache
from pathlib import Path

QUERIES = Path(__file__).resolve().parent / "queries"
INCLUDE = re.compile(r"(\w+) as \(/\* include (_\w+\.sql) \*/\)")
# The project's SQL functions (tracker.safe.register_sql_functions) whose
# arguments may be harvested text.
SQL_FUNCTIONS = ("xml_text", "html_text", "safe_link", "plain_text", "week_start", "iso_week")
_CALL = re.compile(r"(?<![\w.])(" + "|".join(SQL_FUNCTIONS) + r")\(")
_PARAM = re.compile(r"(?<![\w:]):([A-Za-z]\w*)")


# A period given by its bounds instead of :week (canned_rows): the same query
# body then answers for any period, a week or a month of the digest.
PERIOD = {"_week.sql": "week as (select :start as start, :end as stop, iso_week(:start) as id)"}


def expand(sql, directory=QUERIES, fragments=None):
    """Put shared fragments (``_NAME.sql``) where a query says ``/* include _NAME.sql */``.

    One copy of the week window serves every weekly query and chart; a marker
    keeps the place (``week as (/* include _week.sql */)``) and the fragment
    file holds the whole CTE. ``fragments`` ({file name: SQL}) stands in for files.
    """
    def fragment(match):
        if fragments and match[2] in fragments:
            return fragments[match[2]]
        lines = (Path(directory) / match[2]).read_text().strip().splitlines()
        while lines and lines[0].startswith("--"):  # the fragment's own header
            lines.pop(0)
        return "\n".join(lines)

    return INCLUDE.sub(fragment, sql)


def bytes_arguments(sql):
    """``f(X, Y)`` -> ``f(cast(X as blob), cast(Y as blob))`` for the project's SQL
    functions, nested calls included.

    Python's sqlite3 hands a function its text argument decoded strictly, so
    text that is not UTF-8 (a lone surrogate, as SQLite's own JSON functions
    decode ``"\\ud800"``, or any other writer's bytes) would fail the whole
    query; as bytes, the function decodes it leniently and cleans it.
    """
    out, i = [], 0
    while (match := _CALL.search(sql, i)):
        begin = end = match.end()
        depth, quote, commas = 1, None, []
        while end < len(sql) and depth:
            c = sql[end]
            if quote:
                quote = None if c == quote else quote
            elif c in "'\"":
                quote = c
            elif c in "()":
                depth += 1 if c == "(" else -1
            elif c == "," and depth == 1:
                commas.append(end)
            end += 1
        if depth or not sql[begin:end - 1].strip():  # a comment's "xml_text()", or unbalanced
            out.append(sql[i:begin])
            i = begin
            continue
        bounds = [begin] + [c + 1 for c in commas] + [end]
        args = [sql[a:b - 1] for a, b in zip(bounds, bounds[1:])]
        out.append(sql[i:begin] + ", ".join(f"cast({bytes_arguments(a.strip())} as blob)"
                                            for a in args) + ")")
        i = end
    out.append(sql[i:])
    return "".join(out)


def query_sql(text, directory=QUERIES):
    """A query's SQL as served: fragments expanded, function arguments as bytes."""
    return bytes_arguments(expand(text, directory))


@lru_cache(maxsize=None)
def canned_sql(name, period=False):
    """The served SQL of canned query ``name`` (``tracker/queries/NAME.sql``); with
    ``period``, its week taken from ``:start`` and ``:end`` instead of ``:week``."""
    text = (QUERIES / f"{name}.sql").read_text()
    return bytes_arguments(expand(text, fragments=PERIOD if period else None))


def canned_rows(db, name, start=None, end=None, **params):
    """Rows (dicts) of canned query ``name`` as Datasette answers them, parameters
    not given left blank (their defaults), the feed's placeholder row left out.
    ``start``/``end`` (ISO dates, end exclusive) set the period instead of ``week``."""
    period = start is not None
    sql = canned_sql(name, period)
    if period:
        params = {**params, "start": start, "end": end}
    values = {p: "" for p in _PARAM.findall(sql)}
    values.update({k: v for k, v in params.items() if k in values})
    placeholder = f"tracker:{name}:"
    return [row for row in (dict(r) for r in db.query(sql, values))
            if not str(row.get("atom_id") or "").startswith(placeholder)]


def fragment_rows(db, name, start, end):
    """Rows (dicts, unordered) of the shared CTE ``name`` (``tracker/queries/_NAME.sql``)
    over [start, end): what a canned query selects before it makes its feed's text
    (``_first_timers.sql``: first_time_contributors' rows without the atom_* columns,
    for a reader that makes text only for the rows it shows, #26). Harvested text
    comes raw: the reader makes it safe."""
    sql = bytes_arguments(expand(
        f"with week as (/* include _week.sql */), {name} as (/* include _{name}.sql */)"
        f" select * from {name}", fragments=PERIOD))
    return list(db.query(sql, {"start": start, "end": end}))  # dicts already

"""A repository's star history as a small inline SVG line (#25), for its row page.

Numbers only go into the markup (coordinates, counts, ISO dates), so nothing
harvested needs escaping; the template says where they came from.
"""

WIDTH, HEIGHT, PAD = 640, 140, 4

SQL = """select week, sum(gained) as change, min(source = 'listing') as exact
         from stars_weekly where repo = ? group by week order by week"""


def star_history(rows):
    """``rows``: (week, change, exact) oldest first, as SQL above returns them ->
    {"points", "first", "last", "stars", "exact", "weeks"} or None when empty."""
    rows = [(w, c or 0, e) for w, c, e in rows if w]
    if not rows:
        return None
    levels, total = [], 0
    for _, change, _ in rows:
        total += change
        levels.append(total)
    top, low = max(levels), min(min(levels), 0)
    span = max(top - low, 1)
    n = len(rows)
    points = " ".join(
        f"{PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 1):.1f},"
        f"{HEIGHT - PAD - (HEIGHT - 2 * PAD) * (level - low) / span:.1f}"
        for i, level in enumerate(levels))
    return {"points": points, "first": rows[0][0], "last": rows[-1][0], "stars": total,
            "exact": all(e for _, _, e in rows), "weeks": n, "width": WIDTH, "height": HEIGHT}


async def fetch_star_history(db, repo_id):
    """The same from a Datasette Database (async), for the repos row page."""
    try:
        result = await db.execute(SQL, [int(repo_id)])
    except Exception:  # an old file without the view, a bad id: no chart, never a 500
        return None
    return star_history([tuple(r) for r in result.rows])

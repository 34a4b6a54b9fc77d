"""Stars gained in one week, per repository: exact where the history is held (#25).

The rule is the ``stars_weekly`` view's (tracker/db.py), asked for one week at a
time so the digest, which builds every week of a first harvest, seeks instead
of scanning every star: a repo whose stargazers listing is exact for the week
(``history_exact.exact_until`` after its Monday) counts the stars made in it
that are still there; any other repo compares ``repo_stats`` snapshots (the
week's last minus the last before it, or the week's first for a repo first
seen in it). The canned query rising_repos writes the same rule in SQL.
"""

EXACT = """
    select e.repo,
      (select count(*) from stars s where s.repo = e.repo and s.unstarred_at is null
         and s.starred_at >= :start and s.starred_at < :end) as gained,
      (select count(*) from stars s where s.repo = e.repo and s.unstarred_at is null
         and s.starred_at < :end) as stars
    from history_exact e
    where e.stream = 'stargazers' and e.exact_until > :start and e.repo in ({repos})
"""

SNAPSHOT = """
    select repo, after - coalesce(before, first_in, after) as gained, after as stars from (
      select r.id as repo,
        (select stargazers_count from repo_stats s where s.repo = r.id
           and s.harvested_at < :end and s.stargazers_count is not null
           order by s.harvested_at desc limit 1) as after,
        (select stargazers_count from repo_stats s where s.repo = r.id
           and s.harvested_at < :start and s.stargazers_count is not null
           order by s.harvested_at desc limit 1) as before,
        (select stargazers_count from repo_stats s where s.repo = r.id
           and s.harvested_at >= :start and s.harvested_at < :end
           and s.stargazers_count is not null order by s.harvested_at limit 1) as first_in
      from repos r where r.id in ({repos}) and r.id not in ({exact}))
    where after is not null
"""


def star_gains(db, start, end, repos):
    """{repo id: (stars gained in [start, end), stars at end)} for the repos that
    ``repos`` (SQL selecting ids) names and that have data for the week."""
    params = {"start": start, "end": end}
    out = {}
    exact_ids = []
    for repo, gained, stars in db.execute(EXACT.format(repos=repos), params).fetchall():
        out[repo] = (gained, stars)
        exact_ids.append(repo)
    exact = ("select repo from history_exact where stream = 'stargazers' "
             "and exact_until > :start")
    for repo, gained, stars in db.execute(SNAPSHOT.format(repos=repos, exact=exact),
                                          params).fetchall():
        out[repo] = (gained, stars)
    return out

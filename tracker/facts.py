"""One definition of each fact the queries, charts and digest share (SQL views).

Every canned query (``tracker/queries``), dashboard chart and digest section
reads these instead of restating a rule, so they cannot drift apart
(docs/design/facts.md). ``tracker.db.ensure_views`` creates them; the week rule
and the safe-text functions they and the queries call are SQL functions
(``tracker.safe.register_sql_functions``, ``tracker.weeks``).

- ``bots`` / ``people``: a bot is GitHub's Bot type, a login ending in
  ``[bot]``, or ``users.is_bot`` (set at harvest by ``rows.is_bot``, which also
  knows the watchlist's ``bots:`` list). ``people`` is every other user.
- ``live_issues``: issues and pull requests still where they were opened: not
  transferred away (the new home has its own row) and not deleted (404/410),
  as marked by the reconciliation walk. One row per real issue.
  ``gone_issues``: the ids of the others (transferred or deleted).
  ``live_comments``: comments, except those on an issue that is not live.
- ``activity``: issues and PRs opened, issues closed, PRs merged, releases
  published (drafts never), one row per event, by repository and time.
- ``repo_orgs``: each repository's organisation (the OWNER of OWNER/NAME).
- ``discovery_finds`` / ``discovered_repos``: what discovery (``topic:`` and
  ``search:`` sources) found, and when a find is news: only after its source's
  first *complete* sweep (``discovery_backfills``). What the first complete
  sweep found existed already; an incomplete or interrupted sweep records
  nothing, so what the next run finds is still backfill.
- ``latest_activity`` / ``latest_week``: the newest activity stamp, and the
  default week of every weekly query: the latest complete week with data.
"""

BOT_RULE = ("coalesce(is_bot, 0) or coalesce(type, '') = 'Bot' "
            "or coalesce(login, '') like '%[bot]'")

VIEWS = {
    "bots": f"select * from users where {BOT_RULE}",
    "people": f"select * from users where not ({BOT_RULE})",
    "live_issues": """
        select * from issues where transferred_to is null and deleted_at is null
    """,
    # The others (live_issues' complement): few, and kept in a partial index
    # (tracker/schema.py), so "not one of them" is a lookup in a small set
    # rather than a fetch of the row.
    "gone_issues": """
        select id from issues where transferred_to is not null or deleted_at is not null
    """,
    # Comments go with their issue: those of a deleted issue are gone, those of a
    # transferred one are harvested again in its new home. NOT IN the gone ones
    # (built once per query from the index) rather than a row fetch per comment:
    # busiest_this_week's 18,929 comments of a week at 1M issues, 60 -> 10 ms.
    "live_comments": """
        select * from issue_comments c
        where c.issue is null or c.issue not in (select id from gone_issues)
    """,
    # What happened when, per repository: the events the weekly counts and charts
    # count (a query's range on ``at`` reaches each arm's index).
    "activity": """
        select repo, created_at as at, 'opened' as kind from live_issues
        where created_at is not null
        union all
        select repo, closed_at, 'closed' from live_issues
        where closed_at is not null and type = 'issue'
        union all
        select repo, merged_at, 'merged' from live_issues
        where merged_at is not null and type = 'pull'
        union all
        select repo, published_at, 'released' from releases
        where published_at is not null and not coalesce(draft, 0)
    """,
    # A repository's organisation (or user): the OWNER of OWNER/NAME.
    "repo_orgs": """
        select id as repo, full_name,
               case when instr(full_name, '/') > 1
                 then substr(full_name, 1, instr(full_name, '/') - 1) end as org
        from repos
    """,
    "discovery_finds": """
        select s.repo, s.source, s.first_seen_at, s.last_seen_at, b.completed_at as backfilled_at,
               case when s.first_seen_at > b.completed_at then s.first_seen_at end as news_at
        from repo_sources s left join discovery_backfills b on b.source = s.source
        where s.source like 'topic:%' or s.source like 'search:%'
    """,
    "discovered_repos": """
        select repo, group_concat(source, ', ') as sources, min(news_at) as discovered_at
        from discovery_finds group by repo
    """,
    "latest_activity": """
        select nullif(max(
          coalesce((select max(created_at) from issues), ''),
          coalesce((select max(closed_at) from issues), ''),
          coalesce((select max(created_at) from issue_comments), ''),
          coalesce((select max(published_at) from releases), ''),
          coalesce((select max(published) from feed_entries), '')
        ), '') as at
    """,
    # The running week (by the wall clock) is never the default: the week of the
    # newest activity unless that week is still running, then the week before.
    "latest_week": """
        select case when at < week_start(date('now')) then week_start(at)
                    else date(week_start(date('now')), '-7 days') end as start
        from latest_activity
    """,
}

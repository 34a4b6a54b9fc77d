-- Is the harvest healthy? The latest run of each kind (github, feeds, all)
-- with its errors and the rate limit it left, each error of those runs (from
-- harvest_errors: repo/owner/feed, stream, HTTP status), then every feed with
-- its last fetch, HTTP status and error. Problems first.
select * from (
  select
    'run' as kind,
    runs.source,
    runs.status,
    runs.started_at as last_at,
    runs.finished_at,
    runs.errors,
    runs.requests,
    runs.counted_requests,
    runs.not_modified,
    runs.rate_limit_remaining,
    runs.rate_limit_reset,
    (select count(*) from harvest_runs as r
      where r.source = runs.source and r.status not in ('ok', 'running')
        and r.started_at >= date(runs.started_at, '-7 days')) as failed_runs_7d,
    substr(runs.error_log, 1, 500) as detail
  from (
    -- SQLite: with a single max() the other columns come from that row, so
    -- this is the latest run per source in one pass.
    select *, max(started_at) from harvest_runs group by source
  ) as runs
  union all
  select
    'error',
    coalesce(e.target, e.source) || coalesce(' ' || e.stream, ''),
    case when e.http_status is not null then 'http ' || e.http_status else 'error' end,
    e.at,
    null, 1, null, null, null, null, null, null,
    substr(e.message, 1, 500)
  from harvest_errors as e
  where e.run in (select id from (select id, max(started_at) from harvest_runs group by source))
  union all
  select
    'feed',
    feeds.url,
    case when feeds.last_error is not null and feeds.last_error != '' then 'error'
         when feeds.last_status >= 400 then 'http ' || feeds.last_status
         when feeds.last_fetched is null then 'never fetched'
         -- Stored, but something was repaired or read leniently (feeds.last_warning).
         when feeds.last_warning is not null then 'warning'
         else 'ok' end,
    feeds.last_fetched,
    null,
    (feeds.last_error is not null and feeds.last_error != ''),
    null, null, null, null, null, null,
    substr(coalesce(nullif(feeds.last_error, ''),
                    coalesce('warning: ' || feeds.last_warning || '; ', '')
                    || feeds.entry_count || ' entries, newest '
                      || coalesce((select max(published) from feed_entries
                                   where feed_entries.feed = feeds.url), 'none')), 1, 500)
  from feeds
)
order by status = 'ok', kind desc, last_at desc

-- "Coming up": calendar events (calendars: in tracker.yml, tracker/sources/calendars.py)
-- starting in the two weeks after the week, one row per recurring instance,
-- cancelled and vanished instances left out; times in UTC with the event's own
-- time zone (tzid). tracker/digest/events.py computes the same list.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has
-- content. Links are safe_link() only; text is xml_text() / html_text().
with week as (/* include _week.sql */),
span as (select stop as lo, date(stop, '+14 days') as hi from week),
picked as (
  select e.*, xml_text(e.summary) as s, xml_text(coalesce(e.location, '')) as l
  from events e
  where e.dtstart >= (select lo from span) and e.dtstart < (select hi from span)
    and e.status != 'CANCELLED' and e.missing_since is null
),
items as (
  select
    calendar, summary, dtstart, dtend, tzid, all_day, location,
    safe_link(url) as url,
    uid, recurrence_id, synthetic,
    'tracker:event:' || xml_text(calendar) || ':' || xml_text(uid) || ':' || xml_text(recurrence_id) as atom_id,
    'Coming up: ' || s as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', updated_at), strftime('%Y-%m-%dT%H:%M:%SZ', dtstart),
             (select stop from week) || 'T00:00:00Z') as atom_updated,
    safe_link(url, 'https://jupyter.org/community') as atom_link,
    '<p>' || case when all_day then html_text(dtstart) || ' (all day)'
                  else replace(replace(html_text(dtstart), 'T', ' '), 'Z', ' UTC')
                       || coalesce(' (' || html_text(tzid) || ')', '') end
      || '</p>'
      || case when l != '' then '<p>' || html_text(l) || '</p>' else '' end
      as atom_content_html
  from picked
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null, null,
  'tracker:upcoming_events:' || coalesce((select id from week), 'invalid-week'),
  'Nothing on the tracked calendars in the two weeks after ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://jupyter.org/community',
  '<p>No event of the tracked calendars starts in the two weeks after this week.</p>'
where not exists (select 1 from items)
order by dtstart, calendar, summary, uid

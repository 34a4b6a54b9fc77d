-- Feed entries (blogs, release feeds) published in the week, newest first;
-- an entry that is a GitHub release we already list (same URL) is left out.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
entries as (
  select feed_entries.*,
         feeds.title as feed_title, feeds.site_link
  from feed_entries
  left join feeds on feeds.url = feed_entries.feed
  where feed_entries.published >= (select start from week)
    and feed_entries.published < (select stop from week)
    and not (feed_entries.link like 'http%' and exists (
      select 1 from releases where releases.html_url = feed_entries.link
        and not coalesce(releases.draft, 0)))
),
items as (
  select
    coalesce(entries.feed_title, entries.feed) as feed,
    entries.title,
    entries.author,
    entries.published,
    entries.link,
    xml_text('tracker:post:' || replace(entries.id, ' ', '#')) as atom_id,
    xml_text(coalesce(entries.feed_title, entries.feed, '?') || ': '
      || coalesce(entries.title, '(untitled)')) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', entries.published),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(entries.link, entries.site_link, 'https://jupyter.org/') as atom_link,
    -- Summaries are HTML: plain_text() reads them as text (tags dropped, entities
    -- decoded, cut at a word), html_text() escapes that again.
    '<p>' || html_text(coalesce(nullif(plain_text(substr(entries.summary, 1, 2000), 600), ''),
                                'No summary.')) || '</p>' as atom_content_html,
    xml_text(coalesce(nullif(entries.author, ''), entries.feed_title, 'unknown')) as atom_author_name
  from entries
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null,
  'tracker:posts_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No posts in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://jupyter.org/',
  '<p>No followed feed published anything in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by atom_updated desc

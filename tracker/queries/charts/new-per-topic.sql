-- New in the ecosystem this week per followed topic: created in the week, or
-- first seen in it after the topic's first complete sweep (discovery_finds.news_at).
with week as (/* include _week.sql */)
select substr(f.source, 7) as topic, count(distinct f.repo) as n
from discovery_finds f
join repos r on r.id = f.repo
where f.source like 'topic:%' and r.missing_since is null
  and ((r.created_at >= (select start from week) and r.created_at < (select stop from week))
    or (f.news_at >= (select start from week) and f.news_at < (select stop from week)))
group by f.source
order by n desc, topic

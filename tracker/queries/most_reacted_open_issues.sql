-- Open issues (not pull requests) ranked by +1, heart and hooray reactions
-- from the reactions JSON GitHub sends with every issue; bots' issues left
-- out (the bots view), transferred and deleted ones too (live_issues). With :week, only issues updated in that week (the digest's section).
with week as (/* include _week.sql */)
select
  repos.full_name as repo,
  issues.number,
  issues.title,
  score,
  plus_one,
  heart,
  hooray,
  issues.comments,
  users.login as author,
  issues.created_at,
  issues.updated_at,
  issues.html_url,
  issues.id as issue
from (
  select issues.id,
         coalesce(json_extract(reactions, '$."+1"'), 0) as plus_one,
         coalesce(json_extract(reactions, '$.heart'), 0) as heart,
         coalesce(json_extract(reactions, '$.hooray'), 0) as hooray,
         coalesce(json_extract(reactions, '$."+1"'), 0)
           + coalesce(json_extract(reactions, '$.heart'), 0)
           + coalesce(json_extract(reactions, '$.hooray'), 0) as score
  from live_issues as issues
  where issues.state = 'open'
    and issues.type = 'issue'
    and json_valid(issues.reactions)
    -- Cheap pre-filter: most issues have no reaction at all, and skipping
    -- them saves parsing their JSON (a different spelling only costs time).
    -- Word for word the condition of the partial index idx_issues_reacted
    -- (tracker/schema.py): with it, only issues with reactions are read.
    and issues.reactions not like '%"total_count": 0,%'
    and (coalesce(:repo, '') = ''
         or issues.repo in (select id from repos where full_name = trim(:repo)))
    and (coalesce(trim(:week), '') = ''
         or (issues.updated_at >= (select start from week)
             and issues.updated_at < (select stop from week)))
) as scored
join issues on issues.id = scored.id
left join repos on repos.id = issues.repo
left join users on users.id = issues.user
where score > 0
  and not exists (select 1 from bots where bots.id = issues.user)
order by score desc, issues.updated_at desc, issues.id
limit 50

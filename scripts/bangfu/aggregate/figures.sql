-- The aggregate layer: every public figure, defined once, over the fact tables of
-- bangfu.facts. Pages, extracts and `bangfu status` read only what this script defines.
--
-- Inputs (loaded by bangfu.aggregate.store): the fact tables; params(as_of);
-- contact_kind(kind) and monitored_status(status) (bangfu.monitor's lists);
-- revisit_days(county, status, days) from the policy records; expected(plan, label, start,
-- "end", due, due_time), the reporting periods a campaign's rule asks of each plan;
-- derived_tier(household, tier), the warning tier each household's policy derives;
-- supervisor(household, code, found), for each household whose policy sets the rule, whether
-- the cycle rules find it lacking its 一户一策 (assist.no-household-plan), with a visit gap
-- (assist.visit-gap) or past its 渐退期 (exit.gradual-ended) on as_of
-- (rules.cycle.supervisor_rows: the checker's functions).
--
-- Truth: a figure the ledger does not record is NULL (台账中无记录), never 0 — household
-- figures where the county has no household record; amounts and visits where no progress
-- report covers the place. Exact values only: disclosure control (bangfu.disclosure) decides
-- what is withheld, after this script.
-- Statements are separated by a line holding only ";".

-- ---------------------------------------------------------------- places and households
CREATE TEMP TABLE place AS
SELECT id AS village, township, county FROM village
QUALIFY row_number() OVER (PARTITION BY id ORDER BY county, township) = 1
;
-- the households on as_of (a snapshot): a household counts from its identification (its first
-- identification step); one identified after as_of is left out. One with no identification
-- date cannot be placed in time: it is counted, and `bangfu status` says how many such
-- households each place has (undated). A household whose exit notice is after as_of was still
-- monitored on as_of; its status before the exit is not recorded, so it is NULL here.
CREATE TEMP TABLE household_on AS
SELECT * REPLACE (
  CASE WHEN status = '退出' AND exit > (SELECT as_of FROM params) THEN NULL ELSE status END
    AS status,
  CASE WHEN status = '退出' AND exit > (SELECT as_of FROM params) THEN NULL ELSE exit END
    AS exit)
FROM household WHERE start IS NULL OR start <= (SELECT as_of FROM params)
;
CREATE TEMP TABLE hh AS
SELECT h.*, pl.township, pl.county
FROM household_on h JOIN place pl ON pl.village = h.village
;
-- counties whose household figures are recorded: the ledger holds a household there (even
-- one identified after as_of: the figures on as_of are then a recorded 0)
CREATE TEMP TABLE recorded_county AS
SELECT DISTINCT pl.county FROM household h JOIN place pl ON pl.village = h.village
;
-- ---------------------------------------------------------------- plans and their state
-- state on as_of: 草拟 / 已终止 / 已完成 from the status; otherwise the period decides
CREATE TEMP TABLE ps AS
SELECT p.*,
  (p.status IS DISTINCT FROM '草拟' AND p.status IS DISTINCT FROM '已终止') AS carried_out,
  CASE
    WHEN p.status IN ('草拟', '已终止', '已完成') THEN p.status
    WHEN p.start IS NULL OR (SELECT as_of FROM params) < p.start THEN '未开始'
    WHEN (SELECT as_of FROM params) <= p."end" THEN '执行中'
    ELSE '已结束'
  END AS state,
  EXISTS (SELECT 1 FROM report r WHERE r.plan = p.id) AS reported
FROM plan p
;
CREATE TEMP TABLE plan_hh AS
SELECT DISTINCT x.plan, x.household, hh.village
FROM plan_household x JOIN ps ON ps.id = x.plan JOIN hh ON hh.id = x.household
;
CREATE TEMP TABLE plan_v AS
SELECT DISTINCT x.plan, x.village
FROM plan_village x JOIN ps ON ps.id = x.plan JOIN place pl ON pl.village = x.village
;
-- the villages a plan covers: its target villages and the villages of its target households
CREATE TEMP TABLE cover AS
SELECT plan, village FROM plan_v UNION SELECT plan, village FROM plan_hh
;
-- ---------------------------------------------------------------- entries
-- entries of the ledger's plans dated on or before as_of, each attributed to one village:
-- its household's, else its own, else the plan's only village
CREATE TEMP TABLE ent AS
SELECT e.*, hh.village AS hh_village, pl.village AS own_village,
  COALESCE(hh.village, pl.village, one.village) AS target
FROM entry e
JOIN ps ON ps.id = e.plan
LEFT JOIN hh ON hh.id = e.household
LEFT JOIN place pl ON pl.village = e.village
LEFT JOIN (
  SELECT plan, min(village) AS village FROM cover GROUP BY plan HAVING count(*) = 1
) one ON one.plan = e.plan
WHERE e.date IS NOT NULL AND e.date <= (SELECT as_of FROM params)
;
-- the statistics month and year: those of the latest entry on or before as_of
CREATE TEMP TABLE stat AS
SELECT as_of, ref, year(ref) AS year,
  CAST(date_trunc('month', ref) AS DATE) AS m0, last_day(ref) AS m1
FROM (
  SELECT (SELECT as_of FROM params) AS as_of,
    COALESCE((SELECT max(date) FROM ent), (SELECT as_of FROM params)) AS ref
)
;
-- ---------------------------------------------------------------- revisits
CREATE TEMP TABLE contact AS
SELECT household, date FROM ent
WHERE kind IN (SELECT kind FROM contact_kind) AND household IS NOT NULL
;
-- one row per monitored household: the clock starts at the last contact, else at the last
-- identification step; with neither the revisit is due at once (the day before as_of)
CREATE TEMP TABLE revisit AS
SELECT hh.id AS household, hh.village, hh.county, hh.status, rd.days AS interval,
  hh.ident AS start, c.last, c.contacts, due,
  greatest(0, s.as_of - due) AS days_overdue,
  due_month <= s.m1 AS due_in_month,
  due_month <= s.m1 AND COALESCE(c.in_month, false) AS done_in_month
FROM hh
JOIN revisit_days rd ON rd.county = hh.county AND rd.status = hh.status
CROSS JOIN stat s
LEFT JOIN (
  SELECT household, max(date) AS last, list(date ORDER BY date) AS contacts,
    max(date) FILTER (WHERE date < (SELECT m0 FROM stat)) AS before_month,
    bool_or(date BETWEEN (SELECT m0 FROM stat) AND (SELECT m1 FROM stat)) AS in_month
  FROM contact GROUP BY household
) c ON c.household = hh.id,
LATERAL (SELECT
  CASE WHEN COALESCE(c.last, hh.ident) IS NULL THEN s.as_of - 1
       ELSE COALESCE(c.last, hh.ident) + rd.days END AS due,
  CASE WHEN COALESCE(c.before_month, hh.ident) IS NULL THEN s.m0 - 1
       ELSE COALESCE(c.before_month, hh.ident) + rd.days END AS due_month)
WHERE hh.status IN (SELECT status FROM monitored_status)
;
-- each household's warning tier, the one figure pages and status count: the tier derived
-- from the record where the county's policy derives one (derived_tier, NULL: no tier), else
-- the stated tier
CREATE TEMP TABLE hh_tier AS
SELECT hh.id AS household,
  CASE WHEN d.household IS NOT NULL THEN d.tier ELSE hh.tier END AS tier
FROM hh LEFT JOIN derived_tier d ON d.household = hh.id
;
-- warning tiers of households still monitored, by county
CREATE TEMP TABLE tier AS
SELECT hh.county, t.tier, count(*) AS households
FROM hh JOIN hh_tier t ON t.household = hh.id
WHERE hh.status IS DISTINCT FROM '退出' AND t.tier IN ('红', '橙', '黄')
GROUP BY hh.county, t.tier
;
-- ---------------------------------------------------------------- village figures
CREATE TEMP TABLE v_hh AS
SELECT village, count(*) AS households,
  count(*) FILTER (WHERE status IS DISTINCT FROM '退出') AS monitored
FROM hh GROUP BY village
;
-- monitored households by category (status other than 退出)
CREATE TEMP TABLE v_category AS
SELECT village, category, count(*) AS households FROM hh
WHERE status IS DISTINCT FROM '退出' AND category IS NOT NULL
GROUP BY village, category
;
CREATE TEMP TABLE v_paired AS
SELECT x.village, count(DISTINCT x.household) AS households
FROM plan_hh x JOIN ps ON ps.id = x.plan WHERE ps.state = '执行中'
GROUP BY x.village
;
CREATE TEMP TABLE v_income AS
SELECT village, count(*) AS households FROM hh
WHERE income_projects OR id IN (SELECT household FROM ent WHERE income_project)
GROUP BY village
;
CREATE TEMP TABLE v_revisit AS
SELECT village,
  count(*) FILTER (WHERE due_in_month) AS due,
  count(*) FILTER (WHERE done_in_month) AS done,
  count(*) FILTER (WHERE days_overdue > 0) AS overdue
FROM revisit GROUP BY village
;
-- delivered amounts and visits are recorded for a village covered by a carried-out plan
-- with a progress report, or reached by an entry
CREATE TEMP TABLE v_delivery AS
SELECT village, sum(amount) AS delivered, sum(visit) AS visits FROM (
  SELECT c.village, CAST(0 AS DECIMAL(38, 6)) AS amount, 0 AS visit
  FROM cover c JOIN ps ON ps.id = c.plan WHERE ps.reported AND ps.carried_out
  UNION ALL
  SELECT target, amount,
    CASE WHEN kind IN (SELECT kind FROM contact_kind) AND year(date) = (SELECT year FROM stat)
         THEN 1 ELSE 0 END
  FROM ent WHERE target IS NOT NULL
) GROUP BY village
;
-- whom a village's amounts and visits concern (for disclosure control): the households that
-- household entries reached, the amount delivered to the village itself, and the households
-- contacted in the statistics year
CREATE TEMP TABLE v_reach AS
SELECT target AS village,
  count(DISTINCT household) FILTER (WHERE hh_village IS NOT NULL) AS reached,
  COALESCE(sum(amount) FILTER (WHERE hh_village IS NULL), 0) AS own_amount,
  count(DISTINCT household) FILTER (WHERE hh_village IS NOT NULL
    AND kind IN (SELECT kind FROM contact_kind) AND year(date) = (SELECT year FROM stat))
    AS visited
FROM ent WHERE target IS NOT NULL GROUP BY target
;
-- plans of a village: running (执行中) or ended (已结束 / 已完成), carried out, covering it
CREATE TEMP TABLE v_plan AS
SELECT c.village, ps.id AS plan, ps.state = '执行中' AS running, ps.planned,
  count(*) OVER (PARTITION BY ps.id) AS villages_of_plan
FROM cover c JOIN ps ON ps.id = c.plan
WHERE ps.carried_out AND ps.state <> '未开始'
;
CREATE TEMP TABLE plan_last AS
SELECT plan, max(submitted) AS last FROM report
WHERE submitted <= (SELECT as_of FROM params) AND plan IN (SELECT id FROM ps)
GROUP BY plan
;
CREATE TEMP TABLE v_fig AS
SELECT pl.village, pl.township, pl.county,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(h.households, 0) END AS households,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(h.monitored, 0) END AS monitored,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(pa.households, 0) END AS paired,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(r.due, 0) END AS due,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(r.done, 0) END AS done,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(r.overdue, 0) END AS overdue,
  CASE WHEN rc.county IS NOT NULL THEN COALESCE(i.households, 0) END AS income_project,
  -- each share rounded to 0.000001 yuan first, so the sum is exact and order-free
  (SELECT sum(CAST(planned / villages_of_plan AS DECIMAL(38, 6))) FROM v_plan x
    WHERE x.village = pl.village AND x.running AND x.planned IS NOT NULL) AS planned,
  d.delivered, d.visits,
  COALESCE(rr.reached, 0) AS reached, COALESCE(rr.own_amount, 0) AS own_amount,
  COALESCE(rr.visited, 0) AS visited,
  (SELECT max(l.last) FROM cover c JOIN plan_last l ON l.plan = c.plan
    JOIN ps ON ps.id = c.plan WHERE c.village = pl.village AND ps.carried_out) AS last_report
FROM place pl
LEFT JOIN recorded_county rc ON rc.county = pl.county
LEFT JOIN v_hh h ON h.village = pl.village
LEFT JOIN v_paired pa ON pa.village = pl.village
LEFT JOIN v_revisit r ON r.village = pl.village
LEFT JOIN v_income i ON i.village = pl.village
LEFT JOIN v_delivery d ON d.village = pl.village
LEFT JOIN v_reach rr ON rr.village = pl.village
;
-- the same figures for every level: village, township, county and the whole ledger (level
-- 0 = village … 3 = total); NULL stays NULL only where every part is NULL
CREATE TEMP TABLE fig AS
SELECT county, township, village, grouping(county, township, village) AS level,
  sum(households) AS households, sum(monitored) AS monitored, sum(paired) AS paired,
  sum(due) AS due, sum(done) AS done, sum(overdue) AS overdue,
  sum(income_project) AS income_project, sum(planned) AS planned,
  sum(delivered) AS delivered, sum(visits) AS visits, max(last_report) AS last_report,
  sum(reached) AS reached, sum(own_amount) AS own_amount, sum(visited) AS visited
FROM v_fig
GROUP BY GROUPING SETS ((county, township, village), (county, township), (county), ())
;
-- a township or county without villages still has figures: 0 where its county's households
-- are recorded
INSERT INTO fig BY NAME
SELECT x.county, x.township, x.level,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS households,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS monitored,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS paired,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS due,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS done,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS overdue,
  CASE WHEN rc.county IS NOT NULL THEN 0 END AS income_project,
  0 AS reached, 0 AS own_amount, 0 AS visited
FROM (
  SELECT county, id AS township, 1 AS level FROM township
  WHERE id NOT IN (SELECT township FROM place)
  UNION ALL
  SELECT id, NULL, 3 FROM county WHERE id NOT IN (SELECT county FROM place)
) x LEFT JOIN recorded_county rc ON rc.county = x.county
;
CREATE TEMP TABLE fig_category AS
SELECT pl.county, pl.township, pl.village, grouping(pl.county, pl.township, pl.village) AS level,
  c.category, sum(c.households) AS households
FROM v_category c JOIN place pl ON pl.village = c.village
GROUP BY GROUPING SETS ((pl.county, pl.township, pl.village, c.category),
  (pl.county, pl.township, c.category), (pl.county, c.category), (c.category))
;
-- plans and organizations of a place, for every level
CREATE TEMP TABLE fig_plan AS
SELECT pl.county, pl.township, pl.village, grouping(pl.county, pl.township, pl.village) AS level,
  list(DISTINCT x.plan ORDER BY x.plan) FILTER (WHERE x.running) AS running,
  list(DISTINCT x.plan ORDER BY x.plan) FILTER (WHERE NOT x.running) AS ended,
  list(DISTINCT o.organization ORDER BY o.organization) AS orgs
FROM v_plan x JOIN place pl ON pl.village = x.village
LEFT JOIN plan_org o ON o.plan = x.plan
GROUP BY GROUPING SETS ((pl.county, pl.township, pl.village), (pl.county, pl.township),
  (pl.county), ())
;
-- ---------------------------------------------------------------- ledger-wide figures
CREATE TEMP TABLE ledger AS
SELECT
  -- a report of the statistics year makes the year's amounts and visits recorded
  CASE WHEN EXISTS (SELECT 1 FROM report r JOIN ps ON ps.id = r.plan
                    WHERE (SELECT year FROM stat) BETWEEN r.year_from AND r.year_to)
         OR EXISTS (SELECT 1 FROM ent WHERE year(date) = (SELECT year FROM stat))
       THEN (SELECT COALESCE(sum(amount), 0) FROM ent WHERE year(date) = (SELECT year FROM stat))
  END AS delivered_year,
  CASE WHEN EXISTS (SELECT 1 FROM report r JOIN ps ON ps.id = r.plan
                    WHERE (SELECT year FROM stat) BETWEEN r.year_from AND r.year_to)
         OR EXISTS (SELECT 1 FROM ent WHERE year(date) = (SELECT year FROM stat))
       THEN (SELECT count(*) FROM ent WHERE year(date) = (SELECT year FROM stat)
             AND kind IN (SELECT kind FROM contact_kind))
  END AS visits_year,
  (SELECT count(*) FROM household) > 0 AS households_recorded
;
-- households targeted by a campaign's carried-out plans, by county
CREATE TEMP TABLE campaign_paired AS
SELECT ps.campaign, hh.county, count(DISTINCT x.household) AS households
FROM plan_hh x JOIN ps ON ps.id = x.plan JOIN hh ON hh.id = x.household
WHERE ps.carried_out AND ps.campaign IS NOT NULL
GROUP BY ps.campaign, hh.county
;
-- ---------------------------------------------------------------- per-plan figures
CREATE TEMP TABLE plan_fig AS
SELECT ps.id AS plan, ps.state, ps.planned,
  (SELECT count(DISTINCT organization) FROM plan_org o WHERE o.plan = ps.id) AS organizations,
  (SELECT count(*) FROM plan_v v WHERE v.plan = ps.id) AS target_villages,
  CASE WHEN ps.lists_households THEN (SELECT count(*) FROM plan_hh h WHERE h.plan = ps.id)
  END AS target_households,
  (SELECT count(DISTINCT period) FROM report r WHERE r.plan = ps.id) AS reports,
  CASE WHEN ps.reported
       THEN (SELECT COALESCE(sum(amount), 0) FROM ent WHERE ent.plan = ps.id) END AS delivered,
  -- whom the delivered amount concerns (for disclosure control)
  (SELECT count(DISTINCT household) FROM ent WHERE ent.plan = ps.id AND hh_village IS NOT NULL)
    AS reached,
  (SELECT COALESCE(sum(amount), 0) FROM ent WHERE ent.plan = ps.id AND hh_village IS NULL)
    AS own_amount
FROM ps
;
CREATE TEMP TABLE plan_target_fig AS
SELECT c.plan, c.village, (v.village IS NOT NULL) AS village_targeted,
  CASE WHEN ps.lists_households
       THEN (SELECT count(*) FROM plan_hh h WHERE h.plan = c.plan AND h.village = c.village)
  END AS households
FROM cover c JOIN ps ON ps.id = c.plan
LEFT JOIN plan_v v ON v.plan = c.plan AND v.village = c.village
;
CREATE TEMP TABLE plan_org_fig AS
SELECT o.plan, o.organization,
  row_number() OVER (PARTITION BY o.plan ORDER BY o.position) AS position
FROM plan_org o JOIN ps ON ps.id = o.plan
WHERE o.organization IN (SELECT id FROM organization)
;
CREATE TEMP TABLE org_fig AS
SELECT org.id AS organization,
  (SELECT count(DISTINCT o.plan) FROM plan_org o JOIN ps ON ps.id = o.plan
    WHERE o.organization = org.id) AS plans
FROM organization org
;
CREATE TEMP TABLE campaign_fig AS
SELECT c.id AS campaign, (SELECT count(*) FROM ps WHERE ps.campaign = c.id) AS plans
FROM campaign c
;
-- ---------------------------------------------------------------- reports and progress
-- (the distinct households and villages counted from distinct rows, joined back: a
-- count(DISTINCT …) per group took twice as long, 4.2 s at 500,000 households)
CREATE TEMP TABLE report_entry_fig AS
WITH base AS (
  SELECT plan, period, kind, count(*) AS entries, sum(amount) AS amount
  FROM ent GROUP BY plan, period, kind
), h AS (
  SELECT plan, period, kind, count(*) AS households FROM (
    SELECT DISTINCT plan, period, kind, household FROM ent WHERE hh_village IS NOT NULL
  ) GROUP BY plan, period, kind
), v AS (
  SELECT plan, period, kind, count(*) AS villages FROM (
    SELECT DISTINCT plan, period, kind, own_village FROM ent WHERE own_village IS NOT NULL
  ) GROUP BY plan, period, kind
)
SELECT b.plan, b.period, b.kind, b.entries, b.amount,
  COALESCE(h.households, 0) AS households, COALESCE(v.villages, 0) AS villages
FROM base b
LEFT JOIN h ON h.plan IS NOT DISTINCT FROM b.plan AND h.period IS NOT DISTINCT FROM b.period
  AND h.kind IS NOT DISTINCT FROM b.kind
LEFT JOIN v ON v.plan IS NOT DISTINCT FROM b.plan AND v.period IS NOT DISTINCT FROM b.period
  AND v.kind IS NOT DISTINCT FROM b.kind
;
-- months covered by carried-out plans that target households, or by household entries, up
-- to the month of as_of
CREATE TEMP TABLE month AS
WITH bounds AS (
  SELECT min(d) AS first, least(max(d), (SELECT as_of FROM params)) AS last FROM (
    SELECT ps.start AS d FROM ps WHERE ps.carried_out AND ps.id IN (SELECT plan FROM plan_hh)
    UNION ALL
    SELECT ps."end" FROM ps WHERE ps.carried_out AND ps.id IN (SELECT plan FROM plan_hh)
    UNION ALL
    SELECT date FROM ent WHERE hh_village IS NOT NULL
  )
)
SELECT strftime(m, '%Y-%m') AS month, CAST(m AS DATE) AS ms, last_day(CAST(m AS DATE)) AS me
FROM bounds, generate_series(date_trunc('month', bounds.first), bounds.last, INTERVAL 1 MONTH) g(m)
WHERE bounds.first IS NOT NULL AND bounds.first <= (SELECT as_of FROM params)
;
-- each household in each month of its monitoring (identification to exit notice)
CREATE TEMP TABLE hh_month AS
SELECT hh.id AS household, hh.village, hh.category, m.month, m.ms, m.me
FROM hh JOIN month m
  ON (hh.start IS NULL OR hh.start <= m.me) AND (hh.exit IS NULL OR hh.exit >= m.ms)
WHERE hh.category IS NOT NULL
;
-- (paired: the household-months a carried-out plan covers, joined; visited: households
-- counted from their rows per month. A correlated EXISTS and a count(DISTINCT …) per group
-- took half as long again: 3.3 s at 500,000 households)
CREATE TEMP TABLE progress_fig AS
WITH paired AS (
  SELECT DISTINCT hm.household, hm.month
  FROM hh_month hm JOIN plan_hh x ON x.household = hm.household JOIN ps ON ps.id = x.plan
  WHERE ps.carried_out AND ps.start <= hm.me AND ps."end" >= hm.ms
), counts AS (
  SELECT hm.village, hm.month, hm.category, count(*) AS monitored,
    count(p.household) AS paired
  FROM hh_month hm LEFT JOIN paired p ON p.household = hm.household AND p.month = hm.month
  GROUP BY hm.village, hm.month, hm.category
), by_household AS (
  SELECT hh.village, CAST(date_trunc('month', e.date) AS DATE) AS ms, hh.category,
    e.household, count(*) AS entries, sum(e.amount) AS amount
  FROM ent e JOIN hh ON hh.id = e.household
  WHERE hh.category IS NOT NULL
  GROUP BY hh.village, CAST(date_trunc('month', e.date) AS DATE), hh.category, e.household
), reached AS (
  SELECT x.village, m.month, x.category, count(*) AS visited,
    CAST(sum(x.entries) AS BIGINT) AS entries, sum(x.amount) AS amount
  FROM by_household x JOIN month m ON m.ms = x.ms
  GROUP BY x.village, m.month, x.category
)
SELECT COALESCE(c.village, r.village) AS village, COALESCE(c.month, r.month) AS month,
  COALESCE(c.category, r.category) AS category,
  COALESCE(c.monitored, 0) AS monitored, COALESCE(c.paired, 0) AS paired,
  COALESCE(r.visited, 0) AS visited, COALESCE(r.entries, 0) AS entries,
  COALESCE(r.amount, 0) AS amount
FROM counts c FULL JOIN reached r
  ON r.village = c.village AND r.month = c.month AND r.category = c.category
;
-- ---------------------------------------------------------------- report timeliness
-- from when the ledger tracks a plan's reports: the plan's date, else its campaign's, else
-- the start of the period of its first recorded report
CREATE TEMP TABLE tracked AS
SELECT ps.id AS plan, COALESCE(ps.tracked_from, c.tracked_from,
  (SELECT min(label_start) FROM report r WHERE r.plan = ps.id)) AS since
FROM ps LEFT JOIN campaign c ON c.id = ps.campaign
;
CREATE TEMP TABLE period_state AS
SELECT x.plan, x.label, x.start, x."end", x.due, x.due_time, r.submitted, r.submitted_time,
  CASE
    WHEN r.plan IS NOT NULL THEN
      CASE WHEN r.submitted IS NOT NULL AND (r.submitted < x.due OR (r.submitted = x.due AND
             (x.due_time IS NULL OR r.submitted_time IS NULL OR r.submitted_time <= x.due_time)))
           THEN '按时' ELSE '逾期' END
    WHEN t.since IS NULL OR x.start < t.since THEN '台账中无记录'
    WHEN x.due < (SELECT as_of FROM params) THEN '未报'
    ELSE '未到期'
  END AS state
FROM expected x
JOIN ps ON ps.id = x.plan AND ps.carried_out
LEFT JOIN (
  SELECT plan, period, max(submitted) AS submitted, max(submitted_time) AS submitted_time
  FROM report WHERE filed GROUP BY plan, period
) r ON r.plan = x.plan AND r.period = x.label
LEFT JOIN tracked t ON t.plan = x.plan
WHERE x.start <= (SELECT as_of FROM params)
;
CREATE TEMP TABLE org_timeliness AS
SELECT o.organization, p.state, count(*) AS periods
FROM period_state p JOIN plan_org o ON o.plan = p.plan
GROUP BY o.organization, p.state
;
-- ---------------------------------------------------------------- status (bangfu status)
-- per township (level 0) and county (level 1): the snapshot's households (hh) by state, the
-- households the ledger holds that were identified after as_of (not counted), those with no
-- identification date (counted, named), overdue revisits, warning tiers, and the monitored
-- households lacking their 一户一策, with a visit gap or past their 渐退期; NULL where the
-- county holds no household record (台账中无记录)
CREATE TEMP TABLE status_place AS
WITH sv AS (
  SELECT household,
    bool_or(code = 'assist.no-household-plan') AS plan_on,
    bool_or(code = 'assist.no-household-plan' AND found) AS no_plan,
    bool_or(code = 'assist.visit-gap') AS visits_on,
    bool_or(code = 'assist.visit-gap' AND found) AS visit_gap,
    bool_or(code = 'exit.gradual-ended') AS gradual_on,
    bool_or(code = 'exit.gradual-ended' AND found) AS gradual_ended
  FROM supervisor GROUP BY household
),
s AS (
  SELECT hh.id, hh.township, hh.county, t.tier, hh.start IS NULL AS undated,
    hh.status IS DISTINCT FROM '退出' AS monitored, false AS later,
    hh.id IN (SELECT household FROM revisit WHERE days_overdue > 0) AS overdue,
    sv.plan_on, sv.no_plan, sv.visits_on, sv.visit_gap, sv.gradual_on, sv.gradual_ended
  FROM hh JOIN hh_tier t ON t.household = hh.id
  LEFT JOIN sv ON sv.household = hh.id
  UNION ALL
  -- identified after as_of: not counted, but its rules are in force in the place (0, not NULL)
  SELECT h.id, pl.township, pl.county, NULL, false, false, true, false,
    sv.plan_on, false, sv.visits_on, false, sv.gradual_on, false
  FROM household h JOIN place pl ON pl.village = h.village
  LEFT JOIN sv ON sv.household = h.id
  WHERE h.start > (SELECT as_of FROM params)
)
SELECT c.id AS county, t.id AS township, grouping(t.id) AS level,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.monitored) END AS monitored,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE NOT s.monitored AND NOT s.later) END AS exited,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.undated) END AS undated,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.later) END AS identified_later,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.overdue) END AS overdue,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.tier = '红') END AS red,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.tier = '橙') END AS orange,
  CASE WHEN bool_or(rc.county IS NOT NULL) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.tier = '黄') END AS yellow,
  -- NULL where no household of the place is under the rule (off where the source is silent)
  CASE WHEN bool_or(s.plan_on) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.no_plan) END AS no_household_plan,
  CASE WHEN bool_or(s.visits_on) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.visit_gap) END AS visit_gap,
  CASE WHEN bool_or(s.gradual_on) THEN
    count(s.id) FILTER (WHERE s.monitored AND s.gradual_ended) END AS gradual_ended
FROM county c
LEFT JOIN township t ON t.county = c.id
LEFT JOIN s ON s.township = t.id AND s.county = c.id
LEFT JOIN recorded_county rc ON rc.county = c.id
GROUP BY GROUPING SETS ((c.id, t.id), (c.id))
;
-- report periods of the plans covering a place, by township (level 0) and county (level 1),
-- per organization ('' for the plans' periods whatever the organizations)
CREATE TEMP TABLE status_periods AS
WITH pp AS (
  SELECT DISTINCT c.plan, pl.county, pl.township
  FROM cover c JOIN place pl ON pl.village = c.village
)
SELECT pp.county, pp.township, grouping(pp.township) AS level,
  COALESCE(o.organization, '') AS organization, p.state,
  count(DISTINCT (p.plan, p.label)) AS periods
FROM period_state p JOIN pp ON pp.plan = p.plan JOIN plan_org o ON o.plan = p.plan
GROUP BY GROUPING SETS ((pp.county, pp.township, o.organization, p.state),
  (pp.county, o.organization, p.state), (pp.county, pp.township, p.state), (pp.county, p.state))

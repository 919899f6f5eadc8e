-- centre_offers: one row per year, question, item and target group.
-- n_centres = centres that ticked the item; n_base = centres with an offer for the target group
-- (kvinner / menn) or all reporting centres (alle); share is NULL when the base is 0.
CREATE OR REPLACE TABLE warehouse.centre_offers AS
WITH bases AS (
    SELECT year, 'alle' AS target_group, count(*) AS n_base
    FROM validated.sentreskjema GROUP BY year
    UNION ALL
    SELECT year, 'kvinner', count_if(har_tilbud_kvinner) FROM validated.sentreskjema GROUP BY year
    UNION ALL
    SELECT year, 'menn', count_if(har_tilbud_menn) FROM validated.sentreskjema GROUP BY year
),
-- every item the codebook has in the year, with the label valid that year
year_items AS (
    SELECT y.year, cb.question, cb.item, cb.label, cb.item_order
    FROM warehouse.years AS y
    JOIN warehouse.codebook AS cb
      ON (cb.valid_from IS NULL OR cb.valid_from <= y.year)
     AND (cb.valid_to IS NULL OR y.year <= cb.valid_to)
),
ticks AS (
    SELECT year, question, item, target_group, count_if(ticked) AS n_centres
    FROM validated.senter_svar
    GROUP BY ALL
),
item_rows AS (
    SELECT yi.year, yi.question, yi.item, yi.label, tg.target_group,
           coalesce(t.n_centres, 0) AS n_centres, yi.item_order
    FROM year_items AS yi
    JOIN warehouse.questions AS q USING (question)
    JOIN (VALUES ('kvinner_menn', 'kvinner'), ('kvinner_menn', 'menn'), ('senter', 'alle'))
         AS tg(scope, target_group) ON tg.scope = q.scope
    LEFT JOIN ticks AS t USING (year, question, item, target_group)
),
-- minst_ett: centres that ticked at least one item of the question
at_least_one AS (
    SELECT y.year, q.question, tg.target_group, count(DISTINCT s.senter_id) AS n_centres
    FROM warehouse.years AS y
    CROSS JOIN warehouse.questions AS q
    JOIN (VALUES ('kvinner_menn', 'kvinner'), ('kvinner_menn', 'menn'), ('senter', 'alle'))
         AS tg(scope, target_group) ON tg.scope = q.scope
    LEFT JOIN validated.senter_svar AS s
      ON s.year = y.year AND s.question = q.question AND s.target_group = tg.target_group AND s.ticked
    WHERE q.question <> 'organisering'
    GROUP BY ALL
),
-- organisering: the housing offers themselves and how the men's offer is organised
organisering AS (
    SELECT year, 'har_tilbud' AS item, 'kvinner' AS target_group,
           count_if(har_tilbud_kvinner) AS n_centres, 'alle' AS base_group, 1 AS item_order
    FROM validated.sentreskjema GROUP BY year
    UNION ALL
    SELECT year, 'har_tilbud', 'menn', count_if(har_tilbud_menn), 'alle', 1
    FROM validated.sentreskjema GROUP BY year
    UNION ALL
    SELECT year, 'botilbud_menn_' || t.type, 'menn',
           count_if(s.har_tilbud_menn AND s.botilbud_menn_type = t.type), 'menn', t.item_order
    FROM validated.sentreskjema AS s
    CROSS JOIN (VALUES ('egne_lokaler', 2), ('samme_bygning', 3), ('midlertidig', 4)) AS t(type, item_order)
    GROUP BY s.year, t.type, t.item_order
),
all_rows AS (
    SELECT year, question, item, label, target_group, target_group AS base_group, n_centres, item_order
    FROM item_rows
    UNION ALL
    SELECT a.year, a.question, 'minst_ett', d.label, a.target_group, a.target_group, a.n_centres, 10000
    FROM at_least_one AS a
    JOIN warehouse.derived_items AS d ON d.item = 'minst_ett'
    UNION ALL
    SELECT o.year, 'organisering', o.item, d.label, o.target_group, o.base_group, o.n_centres, o.item_order
    FROM organisering AS o
    JOIN warehouse.derived_items AS d USING (item)
)
SELECT
    r.year::INTEGER                                                   AS year,
    r.question,
    r.item,
    r.label,
    r.target_group,
    r.n_centres::INTEGER                                              AS n_centres,
    b.n_base::INTEGER                                                 AS n_base,
    CASE WHEN b.n_base > 0 THEN r.n_centres / b.n_base END::DOUBLE    AS share
FROM all_rows AS r
JOIN bases AS b ON b.year = r.year AND b.target_group = r.base_group
JOIN warehouse.questions AS q USING (question)
ORDER BY r.year, q.question_order, r.item_order, r.target_group;

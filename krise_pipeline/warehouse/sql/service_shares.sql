-- service_shares: one row per year, population, measure, breakdown and category.
-- The base is the records that are not reserved. Every expected cell is present; a suppressed
-- cell (warehouse.share_suppression) shows no numbers.
CREATE OR REPLACE TABLE warehouse.service_shares AS
WITH measures AS (
    UNPIVOT warehouse.cell_aggregates
    ON inntakssamtale, velkomstsamtale, kartlegging_hjelpebehov, kartlegging_trusler_senter,
       kartlegging_trusler_andre, kartlegging_trusler_totalt, kartlegging_trusler_begge,
       plan_under_opphold, plan_etter_opphold
    INTO NAME measure VALUE n_with
),
cells AS (
    SELECT y.year, c.population, c.measure, c.breakdown, c.category, c.cell_order,
           coalesce(m.n_with, 0) AS n_with, coalesce(m.n_base, 0) AS n_base
    FROM warehouse.years AS y
    CROSS JOIN warehouse.share_cells AS c
    LEFT JOIN measures AS m
      ON m.year = y.year AND m.population = c.population AND m.measure = c.measure
     AND m.breakdown = c.breakdown AND m.category = c.category
)
SELECT
    c.year::INTEGER                                                        AS year,
    c.population,
    c.measure,
    c.breakdown,
    c.category,
    CASE WHEN NOT s.suppressed THEN c.n_with END::INTEGER                  AS n_with,
    CASE WHEN NOT s.suppressed THEN c.n_base END::INTEGER                  AS n_base,
    CASE WHEN NOT s.suppressed THEN c.n_with / c.n_base END::DOUBLE        AS share,
    s.suppressed
FROM cells AS c
JOIN warehouse.share_suppression AS s USING (year, population, breakdown, category)
ORDER BY c.year, c.cell_order;

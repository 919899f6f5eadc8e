-- user_counts: one row per year, population, breakdown and category.
-- n_records = stays / visits; n_persons = records with the first-stay / first-visit flag.
CREATE OR REPLACE TABLE warehouse.user_counts AS
WITH cells AS (
    SELECT y.year, c.population, c.breakdown, c.category, c.cell_order,
           coalesce(a.n_records, 0) AS n_records, coalesce(a.n_persons, 0) AS n_persons
    FROM warehouse.years AS y
    CROSS JOIN warehouse.count_cells AS c
    LEFT JOIN warehouse.cell_aggregates AS a
      ON a.year = y.year AND a.population = c.record_population
     AND a.breakdown = c.breakdown AND a.category = c.category
)
SELECT
    c.year::INTEGER                                            AS year,
    c.population,
    c.breakdown,
    c.category,
    CASE WHEN NOT s.suppressed THEN c.n_records END::INTEGER   AS n_records,
    CASE WHEN NOT s.suppressed THEN c.n_persons END::INTEGER   AS n_persons,
    s.suppressed
FROM cells AS c
JOIN warehouse.count_suppression AS s USING (year, population, breakdown, category)
ORDER BY c.year, c.cell_order;

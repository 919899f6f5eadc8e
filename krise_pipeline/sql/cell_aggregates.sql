-- One row per year, population, breakdown and category (unsuppressed; restricted).
-- Aggregated "wide" in one pass per grouping set: counts of records, persons (first-record
-- flag), the base of the shares (records that are not reserved) and, per help measure, the
-- non-reserved records where it was given. Reserved records have NULL help columns, so
-- count_if() over them adds nothing.
CREATE OR REPLACE TABLE warehouse.cell_aggregates AS
SELECT
    year,
    population,
    CASE WHEN GROUPING(kjonn) = 0 THEN 'kjonn'
         WHEN GROUPING(aldersgruppe) = 0 THEN 'aldersgruppe'
         WHEN GROUPING(aldersgruppe_grov) = 0 THEN 'aldersgruppe_grov'
         ELSE 'alle' END                                              AS breakdown,
    coalesce(kjonn, aldersgruppe, aldersgruppe_grov, 'alle')          AS category,
    count(*)                                                          AS n_records,
    count_if(forste_i_aret)                                           AS n_persons,
    count_if(NOT reservert)                                           AS n_base,
    count_if(inntakssamtale)                                          AS inntakssamtale,
    count_if(velkomstsamtale)                                         AS velkomstsamtale,
    count_if(kartlegging_hjelpebehov)                                 AS kartlegging_hjelpebehov,
    count_if(kartlegging_trusler_senter)                              AS kartlegging_trusler_senter,
    count_if(kartlegging_trusler_andre)                               AS kartlegging_trusler_andre,
    count_if(kartlegging_trusler_senter OR kartlegging_trusler_andre) AS kartlegging_trusler_totalt,
    count_if(kartlegging_trusler_senter AND kartlegging_trusler_andre) AS kartlegging_trusler_begge,
    count_if(plan_under_opphold)                                      AS plan_under_opphold,
    count_if(plan_etter_opphold)                                      AS plan_etter_opphold
FROM warehouse.user_records
GROUP BY GROUPING SETS (
    (year, population),
    (year, population, kjonn),
    (year, population, aldersgruppe),
    (year, population, aldersgruppe_grov)
)
-- the adult and visit records have no age groups: drop their empty age grouping sets
HAVING NOT (GROUPING(aldersgruppe) = 0 AND aldersgruppe IS NULL)
   AND NOT (GROUPING(aldersgruppe_grov) = 0 AND aldersgruppe_grov IS NULL);

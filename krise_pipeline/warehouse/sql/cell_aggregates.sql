-- One row per year, population, breakdown and category (unsuppressed; restricted).
-- Aggregated "wide": counts of records, persons (first-record flag), the base of the shares
-- (records that are not reserved) and, per help measure, the non-reserved records where it was
-- given. Reserved records have NULL help columns, so count_if() over them adds nothing.
-- The records are read once: one pass groups them by every breakdown column at once (a few
-- dozen groups per year), and the grouping sets then only add up those small groups. The
-- types are those of the one-pass form: n_records BIGINT (count), the rest HUGEINT (count_if).
CREATE OR REPLACE TABLE warehouse.cell_aggregates AS
WITH cells AS (
    SELECT year, population, kjonn, aldersgruppe, aldersgruppe_grov,
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
    GROUP BY year, population, kjonn, aldersgruppe, aldersgruppe_grov
)
SELECT
    year,
    population,
    CASE WHEN GROUPING(kjonn) = 0 THEN 'kjonn'
         WHEN GROUPING(aldersgruppe) = 0 THEN 'aldersgruppe'
         WHEN GROUPING(aldersgruppe_grov) = 0 THEN 'aldersgruppe_grov'
         ELSE 'alle' END                                              AS breakdown,
    coalesce(kjonn, aldersgruppe, aldersgruppe_grov, 'alle')          AS category,
    sum(n_records)::BIGINT                                            AS n_records,
    sum(n_persons)                                                    AS n_persons,
    sum(n_base)                                                       AS n_base,
    sum(inntakssamtale)                                               AS inntakssamtale,
    sum(velkomstsamtale)                                              AS velkomstsamtale,
    sum(kartlegging_hjelpebehov)                                      AS kartlegging_hjelpebehov,
    sum(kartlegging_trusler_senter)                                   AS kartlegging_trusler_senter,
    sum(kartlegging_trusler_andre)                                    AS kartlegging_trusler_andre,
    sum(kartlegging_trusler_totalt)                                   AS kartlegging_trusler_totalt,
    sum(kartlegging_trusler_begge)                                    AS kartlegging_trusler_begge,
    sum(plan_under_opphold)                                           AS plan_under_opphold,
    sum(plan_etter_opphold)                                           AS plan_etter_opphold
FROM cells
GROUP BY GROUPING SETS (
    (year, population),
    (year, population, kjonn),
    (year, population, aldersgruppe),
    (year, population, aldersgruppe_grov)
)
-- the adult and visit records have no age groups: drop their empty age grouping sets
HAVING NOT (GROUPING(aldersgruppe) = 0 AND aldersgruppe IS NULL)
   AND NOT (GROUPING(aldersgruppe_grov) = 0 AND aldersgruppe_grov IS NULL);

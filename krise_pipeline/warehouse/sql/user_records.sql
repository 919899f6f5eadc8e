-- Every stay and visit of the loaded years in one shape, one row per record.
-- Help measures a population does not have are NULL; age groups only exist for children.
CREATE OR REPLACE VIEW warehouse.user_records AS
SELECT year, 'voksne_opphold' AS population, kjonn,
       NULL::VARCHAR AS aldersgruppe, NULL::VARCHAR AS aldersgruppe_grov,
       forste_opphold_i_aret AS forste_i_aret, reservert,
       inntakssamtale, NULL::BOOLEAN AS velkomstsamtale, kartlegging_hjelpebehov,
       kartlegging_trusler_senter, kartlegging_trusler_andre,
       plan_under_opphold, plan_etter_opphold
FROM validated.beboere_opphold
UNION ALL
SELECT year, 'barn_opphold', kjonn,
       CASE WHEN alder <= 2 THEN '0-2' WHEN alder <= 5 THEN '3-5'
            WHEN alder <= 10 THEN '6-10' ELSE '11-17' END,
       CASE WHEN alder <= 2 THEN '0-2' WHEN alder <= 5 THEN '3-5' ELSE '6-17' END,
       forste_opphold_i_aret, reservert,
       NULL, velkomstsamtale, kartlegging_hjelpebehov,
       kartlegging_trusler_senter, kartlegging_trusler_andre,
       plan_under_opphold, NULL
FROM validated.barn_opphold
UNION ALL
SELECT year, 'dagsbesok', kjonn, NULL, NULL,
       forste_besok_i_aret, reservert,
       NULL, NULL, kartlegging_hjelpebehov,
       kartlegging_trusler_senter, kartlegging_trusler_andre,
       NULL, NULL
FROM validated.dagsbesok;

-- Typed, validated delivery tables. One set per schema ({schema}); every row carries its year.
-- Person-level: these tables live only in the restricted warehouse (krise.duckdb).

CREATE TABLE IF NOT EXISTS {schema}.sentreskjema (      -- one row per reporting centre and year
    year                INTEGER NOT NULL,
    senter_id           VARCHAR NOT NULL,
    senter_navn         VARCHAR NOT NULL,
    kommune_nr          VARCHAR NOT NULL,
    har_tilbud_kvinner  BOOLEAN NOT NULL,
    har_tilbud_menn     BOOLEAN NOT NULL,
    botilbud_menn_type  VARCHAR                          -- NULL exactly when har_tilbud_menn is false
);

CREATE TABLE IF NOT EXISTS {schema}.senter_svar (       -- one row per centre, year, question, item, target group
    year          INTEGER NOT NULL,
    senter_id     VARCHAR NOT NULL,
    question      VARCHAR NOT NULL,
    item          VARCHAR NOT NULL,
    target_group  VARCHAR NOT NULL,                      -- kvinner / menn (scope kvinner_menn), alle (scope senter)
    ticked        BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.beboere_opphold (   -- one row per adult stay overlapping the year
    year                        INTEGER NOT NULL,
    opphold_id                  VARCHAR NOT NULL,
    person_id                   VARCHAR NOT NULL,
    senter_id                   VARCHAR NOT NULL,
    kjonn                       VARCHAR NOT NULL,
    alder                       SMALLINT,
    innflyttet                  DATE NOT NULL,
    utflyttet                   DATE,
    forste_opphold_i_aret       BOOLEAN NOT NULL,
    reservert                   BOOLEAN NOT NULL,
    inntakssamtale              BOOLEAN,                 -- help columns: NULL exactly when reservert
    kartlegging_hjelpebehov     BOOLEAN,
    kartlegging_trusler_senter  BOOLEAN,
    kartlegging_trusler_andre   BOOLEAN,
    plan_under_opphold          BOOLEAN,
    plan_etter_opphold          BOOLEAN
);

CREATE TABLE IF NOT EXISTS {schema}.barn_opphold (      -- one row per child stay overlapping the year
    year                        INTEGER NOT NULL,
    opphold_id                  VARCHAR NOT NULL,
    barn_id                     VARCHAR NOT NULL,
    senter_id                   VARCHAR NOT NULL,
    kjonn                       VARCHAR NOT NULL,
    alder                       SMALLINT NOT NULL,
    innflyttet                  DATE NOT NULL,
    utflyttet                   DATE,
    forste_opphold_i_aret       BOOLEAN NOT NULL,
    reservert                   BOOLEAN NOT NULL,
    velkomstsamtale             BOOLEAN,
    kartlegging_hjelpebehov     BOOLEAN,
    kartlegging_trusler_senter  BOOLEAN,
    kartlegging_trusler_andre   BOOLEAN,
    plan_under_opphold          BOOLEAN
);

CREATE TABLE IF NOT EXISTS {schema}.dagsbesok (         -- one row per day visit in the year
    year                        INTEGER NOT NULL,
    besok_id                    VARCHAR NOT NULL,
    person_id                   VARCHAR NOT NULL,
    senter_id                   VARCHAR NOT NULL,
    kjonn                       VARCHAR NOT NULL,
    dato                        DATE NOT NULL,
    forste_besok_i_aret         BOOLEAN NOT NULL,
    reservert                   BOOLEAN NOT NULL,
    kartlegging_hjelpebehov     BOOLEAN,
    kartlegging_trusler_senter  BOOLEAN,
    kartlegging_trusler_andre   BOOLEAN
);

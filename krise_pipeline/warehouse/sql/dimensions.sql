-- Reference tables the computations join against, filled from the codebook and the contract
-- by krise_pipeline.warehouse.load_dimensions(). Small; not person-level.

CREATE SCHEMA IF NOT EXISTS warehouse;

CREATE OR REPLACE TABLE warehouse.questions (            -- one row per question (= published chart)
    question            VARCHAR PRIMARY KEY,
    scope               VARCHAR NOT NULL,
    title               VARCHAR NOT NULL,
    question_text       VARCHAR NOT NULL,
    main_grouping       VARCHAR NOT NULL,
    secondary_grouping  VARCHAR NOT NULL,
    question_order      INTEGER NOT NULL
);

CREATE OR REPLACE TABLE warehouse.codebook (             -- one row per item label period
    question    VARCHAR NOT NULL,
    item        VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,
    valid_from  INTEGER,
    valid_to    INTEGER,
    item_order  INTEGER NOT NULL
);

CREATE OR REPLACE TABLE warehouse.derived_items (        -- one row per derived item (minst_ett, organisering)
    item   VARCHAR PRIMARY KEY,
    label  VARCHAR NOT NULL
);

CREATE OR REPLACE TABLE warehouse.label_changes (        -- one row per label change or new item
    year       INTEGER NOT NULL,
    question   VARCHAR NOT NULL,
    item       VARCHAR NOT NULL,
    old_label  VARCHAR,
    new_label  VARCHAR NOT NULL
);

CREATE OR REPLACE TABLE warehouse.share_cells (          -- one row per published share cell and measure
    population      VARCHAR NOT NULL,
    breakdown       VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    measure         VARCHAR NOT NULL,
    cell_order      INTEGER NOT NULL
);

CREATE OR REPLACE TABLE warehouse.count_cells (          -- one row per published count cell
    population        VARCHAR NOT NULL,
    record_population VARCHAR NOT NULL,                  -- the population name of the records (service_shares)
    breakdown         VARCHAR NOT NULL,
    category          VARCHAR NOT NULL,
    cell_order        INTEGER NOT NULL
);

"""The quality rules behind the asset checks: each holds on good tables and fails on a crafted bad one."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from krise_pipeline.warehouse import quality

SHARES = """CREATE TABLE warehouse.service_shares (year INTEGER, population VARCHAR, measure VARCHAR,
    breakdown VARCHAR, category VARCHAR, n_with INTEGER, n_base INTEGER, share DOUBLE, suppressed BOOLEAN)"""
COUNTS = """CREATE TABLE warehouse.user_counts (year INTEGER, population VARCHAR, breakdown VARCHAR,
    category VARCHAR, n_records INTEGER, n_persons INTEGER, suppressed BOOLEAN)"""
OFFERS = """CREATE TABLE warehouse.centre_offers (year INTEGER, question VARCHAR, item VARCHAR, label VARCHAR,
    target_group VARCHAR, n_centres INTEGER, n_base INTEGER, share DOUBLE)"""


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute("CREATE SCHEMA warehouse")
    for ddl in (SHARES, COUNTS, OFFERS):
        c.execute(ddl)
    yield c
    c.close()


def threat_cell(con: duckdb.DuckDBPyConnection, senter: int, andre: int, begge: int, totalt: int,
                base: int = 100, year: int = 2024) -> None:
    for measure, n in (("kartlegging_trusler_senter", senter), ("kartlegging_trusler_andre", andre),
                       ("kartlegging_trusler_begge", begge), ("kartlegging_trusler_totalt", totalt)):
        con.execute(
            "INSERT INTO warehouse.service_shares VALUES (?, 'voksne_opphold', ?, 'alle', 'alle', ?, ?, ?, false)",
            [year, measure, n, base, n / base])


def test_threat_total_identity(con: duckdb.DuckDBPyConnection) -> None:
    threat_cell(con, 73, 27, 25, 75)
    assert quality.threat_total_identity(con).passed
    threat_cell(con, 73, 27, 25, 76, year=2023)
    finding = quality.threat_total_identity(con)
    assert not finding.passed and finding.failures == 1
    assert finding.examples == ["2023, voksne_opphold, alle, alle"]


def test_small_published_cell_and_numbers_in_suppressed_cells(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO warehouse.user_counts VALUES (2024, 'barn', 'alle', 'alle', 120, 100, false), "
                "(2024, 'barn', 'kjonn', 'K', NULL, NULL, true), (2024, 'barn', 'kjonn', 'M', NULL, NULL, true)")
    assert quality.no_small_published_cells(con, "user_counts").passed
    con.execute("INSERT INTO warehouse.user_counts VALUES (2023, 'barn', 'alle', 'alle', 19, 19, false), "
                "(2023, 'barn', 'kjonn', 'K', 5, 5, true)")
    finding = quality.no_small_published_cells(con, "user_counts")
    assert finding.failures == 2
    assert finding.examples == ["2023, barn, alle, alle", "2023, barn, kjonn, K"]


def test_secondary_suppression_detects_a_lonely_suppressed_category(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO warehouse.user_counts VALUES (2024, 'beboere', 'alle', 'alle', 120, 100, false), "
                "(2024, 'beboere', 'kjonn', 'K', 110, 90, false), (2024, 'beboere', 'kjonn', 'M', NULL, NULL, true)")
    finding = quality.secondary_suppression_holds(con, "user_counts")
    assert not finding.passed
    assert finding.examples == ["2024 beboere kjonn=M"]
    con.execute("UPDATE warehouse.user_counts SET n_records = NULL, n_persons = NULL, suppressed = true "
                "WHERE category = 'K'")
    assert quality.secondary_suppression_holds(con, "user_counts").passed


def test_centre_counts_within_base(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO warehouse.centre_offers VALUES (2024, 'q', 'a', 'A', 'menn', 0, 0, NULL), "
                "(2024, 'q', 'b', 'B', 'menn', 3, 4, 0.75)")
    assert quality.centre_counts_within_base(con).passed
    con.execute("INSERT INTO warehouse.centre_offers VALUES (2024, 'q', 'c', 'C', 'menn', 5, 4, 1.25)")
    assert quality.centre_counts_within_base(con).failures == 1


def test_shares_within_unit_interval(con: duckdb.DuckDBPyConnection) -> None:
    threat_cell(con, 73, 27, 25, 75)
    assert quality.shares_within_unit_interval(con).passed
    con.execute("UPDATE warehouse.service_shares SET n_with = 101, share = 1.01 "
                "WHERE measure = 'kartlegging_trusler_senter'")
    assert quality.shares_within_unit_interval(con).failures == 1


def test_no_identifier_columns(con: duckdb.DuckDBPyConnection) -> None:
    assert quality.no_identifier_columns(con, "warehouse.user_counts").passed
    con.execute("ALTER TABLE warehouse.user_counts ADD COLUMN person_id VARCHAR")
    assert quality.no_identifier_columns(con, "warehouse.user_counts").examples == ["person_id"]


def test_plausibility_warnings_against_the_previous_year(con: duckdb.DuckDBPyConnection) -> None:
    threat_cell(con, 50, 20, 10, 60, year=2023)
    threat_cell(con, 50, 31, 10, 71, year=2024)  # andre 20 % -> 31 %: 11 points
    assert quality.share_jumps(con).failures == 2  # andre and totalt
    con.execute("INSERT INTO warehouse.centre_offers VALUES "
                "(2023, 'q', 'a', 'A', 'kvinner', 30, 43, 0.7), (2024, 'q', 'a', 'A', 'kvinner', 24, 43, 0.56), "
                "(2023, 'q', 'b', 'B', 'kvinner', 3, 43, 0.07), (2024, 'q', 'b', 'B', 'kvinner', 0, 43, 0.0)")
    assert quality.centre_count_jumps(con).examples == ["2024, q, a, kvinner, 30, 24"]
    assert quality.disappearing_items(con).examples == ["2024, q, b, kvinner, 3, 0"]
    assert quality.disappearing_items(con).rows == [{"year": 2024, "question": "q", "item": "b",
                                                     "target_group": "kvinner", "old_n_centres": 3,
                                                     "new_n_centres": 0}]
    assert quality.disappearing_items(con, years=[2023]).failures == 0  # only the years asked for
    con.execute("INSERT INTO warehouse.user_counts VALUES (2023, 'dagbrukere', 'alle', 'alle', 1000, 300, false), "
                "(2024, 'dagbrukere', 'alle', 'alle', 1301, 300, false)")
    assert quality.population_count_jumps(con).failures == 1

"""Release at a set time as pure functions: the time in Europe/Oslo, releases.csv read and written,
what is out at a fixed moment, the ledger's hold on a public year's time, the restricted copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from krise_pipeline.exports import public
from krise_pipeline.publication import ledger, releases

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC


# --- the time ------------------------------------------------------------------------------------


def utc(text: str) -> dt.datetime:
    return releases.parse_publish_time(text).astimezone(UTC)


def test_a_time_in_oslo_converts_to_utc_with_summer_and_winter_time() -> None:
    assert utc("2025-06-12 08:00") == dt.datetime(2025, 6, 12, 6, 0, tzinfo=UTC)
    assert utc("2025-01-15 08:00") == dt.datetime(2025, 1, 15, 7, 0, tzinfo=UTC)
    # 30 March 2025: the clocks go from 02:00 to 03:00 (UTC+1 -> UTC+2)
    assert utc("2025-03-30 01:59") == dt.datetime(2025, 3, 30, 0, 59, tzinfo=UTC)
    assert utc("2025-03-30 03:00") == dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert utc("2025-03-30 03:01") == dt.datetime(2025, 3, 30, 1, 1, tzinfo=UTC)
    assert releases.format_publish_time(dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)) == "2025-03-30 03:00"


@pytest.mark.parametrize(("text", "reason"), [
    ("2025-02-30 08:00", "is not a date and time that exists"),
    ("2025-06-12 24:00", "is not a date and time that exists"),
    ("08:00 12.06.2025", "is not a time in the form YYYY-MM-DD HH:MM"),
    ("2025-06-12T08:00", "is not a time in the form YYYY-MM-DD HH:MM"),
    ("2025-6-12 8:00", "is not a time in the form YYYY-MM-DD HH:MM"),
    ("2025-03-30 02:30", "does not exist in Europe/Oslo"),
    ("2025-03-30 02:00", "does not exist in Europe/Oslo"),
    ("2025-10-26 02:30", "occurs twice in Europe/Oslo"),
])
def test_a_malformed_impossible_or_ambiguous_time_is_refused(text: str, reason: str) -> None:
    with pytest.raises(releases.PublishTimeError, match=reason):
        releases.parse_publish_time(text)


# --- releases.csv -----------------------------------------------------------------------------------


def test_bad_times_in_releases_csv_name_the_line_and_the_column(tmp_path: Path) -> None:
    path = tmp_path / "releases.csv"
    path.write_text("year,status,note,publiseres\n2022,publisert,a,\n2023,publisert,\"two\nlines\",2025-02-30 08:00\n"
                    "2024,publisert,c,2025-03-30 02:30\n", encoding="utf-8")
    with pytest.raises(releases.ReleaseFileError) as caught:
        releases.read_releases(path)
    assert str(caught.value).splitlines() == [
        "releases.csv line 4, column publiseres: '2025-02-30 08:00' is not a date and time that exists",
        "releases.csv line 5, column publiseres: '2025-03-30 02:30' does not exist in Europe/Oslo: the clocks "
        "skip that hour when summer time begins; choose a time before 02:00 or from 03:00",
    ]


def test_a_file_without_the_column_stays_valid_and_is_written_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "releases.csv"
    original = '\ufeffyear,status,note\r\n2023,publisert,"Publisert juni 2024, rettet."\r\n2024,utkast,Utkast.\r\n'
    path.write_bytes(original.encode("utf-8"))
    assert releases.read_releases(path)[2024] == releases.Release(2024, "utkast", "Utkast.", "")
    releases.write_status(path, 2024, "publisert", "Publisert.", "")  # at once: no column needed
    assert path.read_bytes().decode("utf-8") == (
        '\ufeffyear,status,note\r\n2023,publisert,"Publisert juni 2024, rettet."\r\n2024,publisert,Publisert.\r\n')


def test_writing_a_time_adds_the_column_and_keeps_every_other_line(tmp_path: Path) -> None:
    path = tmp_path / "releases.csv"
    path.write_text("year,status,note\n2021,publisert, spaced note \n2023,publisert,x\n2024,utkast,y\n",
                    encoding="utf-8")
    releases.write_status(path, 2024, "publisert", "Publisert.", "2025-06-12 08:00")
    assert path.read_text(encoding="utf-8") == ("year,status,note,publiseres\n2021,publisert, spaced note ,\n"
                                                "2023,publisert,x,\n2024,publisert,Publisert.,2025-06-12 08:00\n")
    # a new year goes before the first later one; None keeps the time the line has
    releases.write_status(path, 2022, "publisert", "ny", None)
    releases.write_status(path, 2024, "publisert", "Publisert igjen.", None)
    assert path.read_text(encoding="utf-8") == (
        "year,status,note,publiseres\n2021,publisert, spaced note ,\n2022,publisert,ny,\n2023,publisert,x,\n"
        "2024,publisert,Publisert igjen.,2025-06-12 08:00\n")
    assert releases.read_releases(path)[2024].publish_at == dt.datetime(2025, 6, 12, 8, 0, tzinfo=OSLO)


# --- what is out at a moment ---------------------------------------------------------------------------

AT = dt.datetime(2025, 6, 12, 8, 0, tzinfo=OSLO)
KNOWN = [public.YearTime(2022, "revidert"), public.YearTime(2023, "publisert"),
         public.YearTime(2024, "publisert", AT), public.YearTime(2025, "utkast")]


def test_a_year_is_out_once_released_and_its_time_has_come() -> None:
    assert public.years_out(KNOWN, AT - dt.timedelta(seconds=1)) == [2022, 2023]
    assert public.years_out(KNOWN, AT) == [2022, 2023, 2024]
    assert public.years_out(KNOWN, AT + dt.timedelta(days=400)) == [2022, 2023, 2024]  # a draft never
    ahead = AT - dt.timedelta(days=3, minutes=5)
    assert public.goes_out(KNOWN[2], ahead) == "2024: publisert, goes out 2025-06-12 08:00 Europe/Oslo (in 3 days)"
    assert public.goes_out(KNOWN[2], AT - dt.timedelta(minutes=90)).endswith("(in 1 hour)")
    assert public.goes_out(KNOWN[2], AT - dt.timedelta(seconds=30)).endswith("(in under a minute)")


def test_the_tick_at_the_time_promotes_and_the_tick_before_skips_with_when() -> None:
    held = [2022, 2023]
    before = public.promotion(KNOWN, held, AT - dt.timedelta(minutes=1))
    assert not before.due and before.reason == "2024 goes out 2025-06-12 08:00 (Europe/Oslo)"
    at = public.promotion(KNOWN, held, AT)
    assert at.due and at.years == [2022, 2023, 2024] and "2024 goes out now" in at.reason
    assert not public.promotion(KNOWN, [2022, 2023, 2024], AT + dt.timedelta(minutes=1)).due
    assert not public.promotion(KNOWN, None, AT).due  # public/ not built yet: the next run builds it


def test_the_outlook_says_what_waits_and_what_goes_out_with_the_next_run() -> None:
    moment = AT - dt.timedelta(days=2, hours=1)
    assert public.outlook(KNOWN, [2022, 2023], moment) == [
        "2024: publisert, goes out 2025-06-12 08:00 Europe/Oslo (in 2 days)"]
    assert public.outlook(KNOWN, [2022, 2023], AT + dt.timedelta(days=1)) == [
        "2024: publisert, its publishing time 2025-06-12 08:00 Europe/Oslo has passed: goes out with the next run"]
    assert public.outlook(KNOWN, [2022, 2023, 2024], AT + dt.timedelta(days=1)) == []


# --- the ledger holds a public year's time -----------------------------------------------------------

K1 = ("user_counts", "population=beboere, breakdown=alle, category=alle", "n_records")


def timed(publiseres: str) -> ledger.YearLedger:
    entry = ledger.Entry("2024-1", "2025-06-01", "publisert", "Publisert.", "first publication", publiseres=publiseres)
    return ledger.YearLedger(2024, {K1: ("2716", "2024-1")}, (entry,), ())


def hold(year_ledger: ledger.YearLedger | None, wanted: str, now: dt.datetime) -> ledger.Outcome:
    return ledger.reconcile(
        ledgers={2024: year_ledger} if year_ledger else {}, computed={2024: {K1: "2716"}},
        statuses={2024: ("publisert", "Publisert.")}, identities={}, published={}, published_releases={},
        today="2025-06-01", times={2024: wanted}, now=now)


def test_the_first_release_records_its_time_and_a_waiting_year_may_move() -> None:
    first = hold(None, "2025-06-12 08:00", AT - dt.timedelta(days=10))
    assert first.updates[2024].publiseres == "2025-06-12 08:00" and not first.refusals
    moved = hold(timed("2025-06-12 08:00"), "2025-06-13 08:00", AT - dt.timedelta(minutes=1))
    assert not moved.refusals and moved.updates[2024].publiseres == "2025-06-13 08:00"
    assert moved.notices == ["2024: its publishing time moved from 2025-06-12 08:00 (Europe/Oslo) to "
                             "2025-06-13 08:00 (Europe/Oslo); it was not public yet."]


def test_moving_the_time_of_a_public_year_is_refused() -> None:
    late = hold(timed("2025-06-12 08:00"), "2025-06-20 08:00", AT)
    assert late.refusals == ["2024 is public since 2025-06-12 08:00 (Europe/Oslo) (release 2024-1), so its "
                             "publishing time cannot be moved to 2025-06-20 08:00 (Europe/Oslo): set column "
                             "publiseres of 2024 in releases.csv back to '2025-06-12 08:00'."]
    assert not late.updates
    # a year that went out at once cannot be given a time afterwards
    at_once = hold(timed(""), "2025-06-20 08:00", AT)
    assert len(at_once.refusals) == 1 and "public since 2025-06-01 (release 2024-1)" in at_once.refusals[0]
    assert not hold(timed("2025-06-12 08:00"), "2025-06-12 08:00", AT).refusals


def test_the_ledger_keeps_its_old_header_until_a_year_has_a_time(tmp_path: Path) -> None:
    ledger.write_year(tmp_path, timed(""))
    header = (tmp_path / "ledger" / "2024" / "entries.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(ledger.ENTRY_COLUMNS)
    ledger.write_year(tmp_path, timed("2025-06-12 08:00"))
    lines = (tmp_path / "ledger" / "2024" / "entries.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(",git_commit,publiseres") and lines[1].endswith(",2025-06-12 08:00")
    assert ledger.read_year(tmp_path, 2024) == timed("2025-06-12 08:00")


# --- the restricted copy of the publication -------------------------------------------------------


def small_publication(path: Path, times: dict[int, dt.datetime | None]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE releases (year INTEGER, status VARCHAR, publiseres TIMESTAMP)")
        con.execute("COMMENT ON TABLE releases IS 'one row per year'")
        for year, at in times.items():
            con.execute("INSERT INTO releases VALUES (?, 'publisert', ?)",
                        [year, at.astimezone(UTC).replace(tzinfo=None) if at else None])
        con.execute("CREATE TABLE user_counts AS SELECT * FROM (VALUES (2023, 11), (2024, 17)) t(year, n_records)")
        con.execute("CREATE TABLE label_changes AS SELECT * FROM (VALUES (2023, 'a'), (2024, 'b')) t(year, new_label)")
        con.execute("CREATE TABLE questions AS SELECT 'q' AS question")
    return path


def test_the_restricted_copy_keeps_only_the_years_out(tmp_path: Path) -> None:
    source = small_publication(tmp_path / "publication.duckdb", {2023: None, 2024: AT})
    assert public.years_out(public.schedule(source), AT - dt.timedelta(minutes=1)) == [2023]
    copy = public.restrict(source, [2023], tmp_path / "copy.duckdb")
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT * FROM user_counts").fetchall() == [(2023, 11)]
        assert con.execute("SELECT year FROM releases").fetchall() == [(2023,)]
        assert con.execute("SELECT * FROM label_changes").fetchall() == [(2023, "a")]
        assert con.execute("SELECT * FROM questions").fetchall() == [("q",)]
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'releases'").fetchone() == (
            "one row per year",)
    with duckdb.connect(str(source), read_only=True) as con:  # the source is untouched
        assert con.execute("SELECT count(*) FROM user_counts").fetchone() == (2,)


def test_public_says_so_while_no_year_is_out_and_a_failed_build_leaves_it(tmp_path: Path) -> None:
    source = small_publication(tmp_path / "publication.duckdb", {2024: AT})
    done = public.write_public(source, tmp_path, moment=AT - dt.timedelta(minutes=1))
    folder = tmp_path / "public"
    assert done.years == [] and done.before is None
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "released.json"]
    assert public.NOTHING_YET in (folder / "index.html").read_text(encoding="utf-8")
    assert oct(folder.stat().st_mode & 0o777) == "0o755"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    # at the time, the exports cannot be written from this small file: public/ stays as it was
    with pytest.raises(duckdb.BinderException):
        public.write_public(source, tmp_path, moment=AT)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "publication.duckdb"]  # no leftovers

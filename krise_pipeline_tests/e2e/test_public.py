"""warehouse/public/ end to end: a year released with a publishing time stays out of every public
file until its time, goes out with the run (or the release_time schedule's promotion) after it,
and its time can no longer move once it is out."""

from __future__ import annotations

import contextvars
import csv
import datetime as dt
import io
import json
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl

from krise_pipeline.cli import commands
from krise_pipeline.cli import instance as project_instance
from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.defs import jobs
from krise_pipeline.publication import releases
from krise_pipeline_tests.support import paths
from krise_pipeline_tests.support.schedules import release_tick

REPO = paths.REPO


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return commands.main(list(args), out=out, err=err), out.getvalue(), err.getvalue()


def oslo(moment: dt.datetime) -> str:
    """`moment` as releases.csv writes it, moved past an hour that summer time skips or repeats."""
    for hours in range(3):
        text = releases.format_publish_time(moment + dt.timedelta(hours=hours))
        try:
            releases.parse_publish_time(text)
        except releases.PublishTimeError:
            continue
        return text
    raise AssertionError(moment)


def years_in_sheet(path: Path) -> set[int]:
    """The years of an Excel download's `Data` sheet (first column, below the header row `År`)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb["Data"].iter_rows(values_only=True))
    finally:
        wb.close()
    start = next(i for i, r in enumerate(rows) if r and r[0] == "År") + 1
    return {int(str(r[0])) for r in rows[start:] if r and r[0] is not None and str(r[0]).isdigit()}


def centre_row(path: Path, year: int, item: str) -> tuple[object, ...]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb["Data"].iter_rows(values_only=True))
    finally:
        wb.close()
    return next(r for r in rows if r and r[0] == year and r[1] == "Tilbud til kvinner" and r[2] == item)


def published_offer(pub: Path, year: int, item: str) -> tuple[int, int]:
    with duckdb.connect(str(pub), read_only=True) as con:
        row = con.execute("SELECT n_centres, n_base FROM centre_offers WHERE year = ? AND question = "
                          "'tilbud_beboere' AND item = ? AND target_group = 'kvinner'", [year, item]).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def open_data_years(folder: Path) -> tuple[set[int], set[int]]:
    """The years of a public/ folder's open data: (figures, label changes). Figures: every CSV file
    but `label_changes` and the JSON-stat datasets' time dimension; label changes: the codebook's
    changes, which go back before the first delivered year (empty sets: no open data)."""
    figures: set[int] = set()
    changes: set[int] = set()
    data = folder / "data"
    for path in sorted(data.glob("*.csv")) if data.is_dir() else []:
        with path.open(encoding="utf-8") as f:
            found = {int(r["year"]) for r in csv.DictReader(f) if r.get("year")}
        if path.stem == "label_changes":
            changes |= found
        else:
            figures |= found
    for path in sorted((data / "jsonstat").glob("*.json")) if data.is_dir() else []:
        dataset = json.loads(path.read_text(encoding="utf-8"))
        [time] = dataset["role"]["time"]
        figures |= {int(y) for y in dataset["dimension"][time]["category"]["index"]}
    return figures, changes


def assert_holds(folder: Path, years: set[int], *, not_year: int | None = None) -> None:
    assert json.loads((folder / "released.json").read_text(encoding="utf-8")) == {"years": sorted(years)}
    for book in sorted(folder.glob("*.xlsx")):
        if book.name != "bistand.xlsx":
            assert years_in_sheet(book) <= years, book
    assert max(years_in_sheet(folder / "tilbud_beboere.xlsx")) == max(years)
    figures, changes = open_data_years(folder)
    assert figures == years
    assert max(changes) <= max(years)
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert f"<title>Bo- og dagtilbud {max(years)} – krisesenterstatistikken</title>" in page
    assert "UTKAST" not in page and "(utkast)" not in page
    if not_year is not None:
        assert str(not_year) not in page
        for alt in (folder / "charts").glob("*.txt"):
            assert str(not_year) not in alt.read_text(encoding="utf-8"), alt


def test_a_year_waits_for_its_time_then_goes_out_and_its_time_is_then_fixed(tmp_path: Path) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data", data)
    folders = ("--data-dir", str(data), "--warehouse-dir", str(wh))
    now = releases.now()
    later = oslo(now + dt.timedelta(days=2, minutes=30))

    code, out, err = run_cli("release", "2024", "--status", "publisert", "--at", later, *folders)
    assert code == 0, err
    assert f"2024: publisert, goes out {later} Europe/Oslo (in 2 days)" in out
    assert (data / "releases.csv").read_text(encoding="utf-8").splitlines()[-1] == (
        f"2024,publisert,Publisert {releases.build_time().date().isoformat()}.,{later}")

    code, out, err = run_cli("run", *folders)
    assert code == 0, err
    assert f"Waiting to go out (only in the restricted preview and publication.duckdb until then):\n" \
           f"  2024: publisert, goes out {later} Europe/Oslo (in 2 days)\n" in out
    pub, folder = wh / "publication.duckdb", wh / "public"
    assert_holds(folder, {2020, 2021, 2022, 2023}, not_year=2024)
    # the 2023 figures in public/ are the publication's; 2024's are in the restricted preview only
    item = "kartlegging_trusler_andre"  # a count that differs between 2023 and 2024
    women, base = published_offer(pub, 2023, item)
    assert centre_row(folder / "tilbud_beboere.xlsx", 2023, item)[4:6] == (women, base)
    assert centre_row(wh / "exports" / "tilbud_beboere.xlsx", 2023, item)[4:6] == (women, base)
    assert centre_row(wh / "exports" / "tilbud_beboere.xlsx", 2024, item)[4:6] == published_offer(pub, 2024, item)
    assert published_offer(pub, 2024, item) != (women, base)
    assert 2024 in years_in_sheet(wh / "exports" / "tilbud_beboere.xlsx")
    assert "Bo- og dagtilbud 2024" in (wh / "exports" / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(pub), read_only=True) as con:
        assert con.execute("SELECT status, publiseres FROM releases WHERE year = 2024").fetchone() == (
            "publisert", releases.parse_publish_time(later).astimezone(dt.UTC).replace(tzinfo=None))

    code, out, _ = run_cli("diff", *folders)
    assert f"  2024: publisert, goes out {later} Europe/Oslo (in 2 days)" in out.splitlines()

    # a time already past, while the year still waits: it goes out with the next run, which says so
    earlier = oslo(now - dt.timedelta(days=1))
    code, out, err = run_cli("release", "2024", "--status", "publisert", "--at", earlier, *folders)
    assert code == 0, err
    assert f"its publishing time {earlier} (Europe/Oslo) has passed: it goes out with the next run" in out
    code, out, err = run_cli("run", *folders)
    assert code == 0, err
    assert f"krise-pipeline: 2024 goes out now: its publishing time {earlier} (Europe/Oslo) has passed." in err
    assert "Waiting to go out" not in out
    assert_holds(folder, {2020, 2021, 2022, 2023, 2024})
    assert centre_row(folder / "tilbud_beboere.xlsx", 2024, item)[4:6] == published_offer(pub, 2024, item)

    # out now: its time cannot move, neither by the command nor by hand
    page = (folder / "index.html").read_bytes()
    code, _, err = run_cli("release", "2024", "--status", "publisert", "--at", later, *folders)
    assert code == commands.EXIT_INVALID
    assert f"2024 was not released: it is public since {earlier} (Europe/Oslo) (release 2024-1), so its " \
           "publishing time cannot be moved" in err
    text = (data / "releases.csv").read_text(encoding="utf-8")
    (data / "releases.csv").write_text(text.replace(earlier, later), encoding="utf-8")
    code, _, err = run_cli("run", *folders)
    assert code == commands.EXIT_INVALID
    assert f"2024 is public since {earlier} (Europe/Oslo) (release 2024-1), so its publishing time cannot be " \
           f"moved to {later} (Europe/Oslo): set column publiseres of 2024 in releases.csv back to '{earlier}'." in err
    assert (folder / "index.html").read_bytes() == page

    # a time that does not exist: the run stops before it starts, naming the line and the column
    (data / "releases.csv").write_text(text.replace(earlier, "2025-02-30 08:00"), encoding="utf-8")
    code, _, err = run_cli("run", *folders)
    assert code == commands.EXIT_USAGE
    assert "releases.csv line 6, column publiseres: '2025-02-30 08:00' is not a date and time that exists" in err
    code, _, err = run_cli("release", "2024", "--status", "publisert", "--at", "08:00 12.06.2025", *folders)
    assert code == commands.EXIT_USAGE and "--at: '08:00 12.06.2025' is not a time in the form YYYY-MM-DD HH:MM" in err
    assert (folder / "index.html").read_bytes() == page


def test_the_schedule_promotes_the_year_at_its_time(tmp_path: Path) -> None:
    """Released for the next minute: the run leaves it out of public/; the schedule's tick at that
    minute requests the promotion, whose run rebuilds public/ only (publication.duckdb untouched)."""
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data", data)
    folders = ("--data-dir", str(data), "--warehouse-dir", str(wh))
    now = releases.now()
    at = (now + dt.timedelta(seconds=90)).replace(second=0, microsecond=0)  # 30-90 s ahead
    code, _, err = run_cli("release", "2024", "--status", "publisert", "--at", releases.format_publish_time(at),
                           *folders)
    assert code == 0, err
    code, _, err = run_cli("run", *folders)
    assert code == 0, err
    assert_holds(wh / "public", {2020, 2021, 2022, 2023}, not_year=2024)
    before = (wh / "publication.duckdb").read_bytes()
    settings = settings_for(str(data), str(wh))

    def tick(when: dt.datetime) -> dg.RunRequest | dg.SkipReason:
        return release_tick(project_instance.get, settings, when)

    early = tick(at - dt.timedelta(minutes=1))
    assert isinstance(early, dg.SkipReason)
    assert early.skip_message == f"2024 goes out {releases.format_publish_time(at)} (Europe/Oslo)"
    time.sleep(max(0.0, (at - releases.now()).total_seconds()) + 0.5)
    request = tick(at)
    assert isinstance(request, dg.RunRequest)

    def promote() -> bool:
        with project_instance.get() as instance:
            result = build_definitions(settings).resolve_job_def(jobs.PROMOTE).execute_in_process(
                instance=instance, tags=request.tags, raise_on_error=False)
            assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key} == {
                "exports/public"}
            return result.success

    assert contextvars.copy_context().run(promote)
    assert_holds(wh / "public", {2020, 2021, 2022, 2023, 2024})
    assert (wh / "publication.duckdb").read_bytes() == before
    after = tick(at + dt.timedelta(minutes=1))
    assert isinstance(after, dg.SkipReason) and "nothing is waiting" in str(after.skip_message)

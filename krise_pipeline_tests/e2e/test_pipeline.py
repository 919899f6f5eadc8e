"""End to end: deliveries -> Dagster assets (in process, via the CLI) -> publication.duckdb.

The backtest runs the shipped sample and compares every row of the published figures; the other
tests use small hand-made deliveries or tamper with a copy of the sample.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from krise_pipeline.cli import commands, orchestrated
from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.metadata import contract
from krise_pipeline_tests.support import paths
from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_delivery

REPO = paths.REPO
EPOCH = "1750000000"

CONTRACT_COLUMNS = {
    "centre_offers": [("year", "INTEGER"), ("question", "VARCHAR"), ("item", "VARCHAR"), ("label", "VARCHAR"),
                      ("target_group", "VARCHAR"), ("n_centres", "INTEGER"), ("n_base", "INTEGER"),
                      ("share", "DOUBLE")],
    "service_shares": [("year", "INTEGER"), ("population", "VARCHAR"), ("measure", "VARCHAR"),
                       ("breakdown", "VARCHAR"), ("category", "VARCHAR"), ("n_with", "INTEGER"),
                       ("n_base", "INTEGER"), ("share", "DOUBLE"), ("suppressed", "BOOLEAN")],
    "user_counts": [("year", "INTEGER"), ("population", "VARCHAR"), ("breakdown", "VARCHAR"),
                    ("category", "VARCHAR"), ("n_records", "INTEGER"), ("n_persons", "INTEGER"),
                    ("suppressed", "BOOLEAN")],
    "questions": [("question", "VARCHAR"), ("scope", "VARCHAR"), ("title", "VARCHAR"),
                  ("question_text", "VARCHAR"), ("main_grouping", "VARCHAR"), ("secondary_grouping", "VARCHAR")],
    "label_changes": [("year", "INTEGER"), ("question", "VARCHAR"), ("item", "VARCHAR"),
                      ("old_label", "VARCHAR"), ("new_label", "VARCHAR")],
    "releases": [("year", "INTEGER"), ("status", "VARCHAR"), ("note", "VARCHAR"), ("built_at", "TIMESTAMP")],
}


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = commands.main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run(data: Path, wh: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh), *extra)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The shipped sample, run once through the CLI into a temp warehouse."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "data", root / "data")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        code, out, err = run(root / "data", root / "warehouse")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 0, err
    assert "publication.duckdb" in out
    yield root / "data", root / "warehouse"


def test_publication_has_the_contract_tables_and_columns(sample: tuple[Path, Path]) -> None:
    _, wh = sample
    con = duckdb.connect(str(wh / "publication.duckdb"), read_only=True)
    for table, columns in CONTRACT_COLUMNS.items():
        got = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
            "ORDER BY column_index", [table]).fetchall()
        assert got[: len(columns)] == columns, table
    assert con.execute("SELECT year, status FROM releases ORDER BY year").fetchall() == [
        (2020, "publisert"), (2021, "publisert"), (2022, "publisert"), (2023, "publisert"), (2024, "utkast")]
    assert con.execute("SELECT count(*) FROM label_changes WHERE year = 2024").fetchone() == (3,)
    # every year x population has every measure x category (7 measures x 10 categories for children)
    assert con.execute("SELECT count(*) FROM service_shares WHERE year = 2024 AND population = 'barn_opphold'"
                       ).fetchone() == (70,)
    assert (wh / "krise.duckdb").stat().st_mode & 0o077 == 0
    assert (wh / "publication.duckdb").stat().st_mode & 0o044 == 0o044


def delivered_identifiers(data: Path) -> set[str]:
    ids: set[str] = set()
    for path in (data / "raw").glob("*/*.csv"):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                ids.update(row[c] for c in contract.IDENTIFIERS if c in row)
    return ids


def test_no_identifier_reaches_the_publication_or_the_exports(sample: tuple[Path, Path]) -> None:
    data, wh = sample
    ids = delivered_identifiers(data)
    assert len(ids) > 10_000
    con = duckdb.connect(str(wh / "publication.duckdb"), read_only=True)
    texts: set[str] = set()
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
            "AND schema_name = 'main' AND NOT internal").fetchall():
        texts.update(v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM {table}').fetchall() if v)
        assert column not in contract.IDENTIFIERS
    assert not ids & texts
    exported = []
    for path in (wh / "exports").rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                exported.extend(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        elif path.suffix in {".html", ".svg", ".txt"}:
            exported.append(path.read_text(encoding="utf-8"))
    assert len(exported) > 40
    tokens = set(re.findall(r"[0-9A-Za-z_-]+", "\n".join(exported)))
    assert not ids & tokens


def publication_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in CONTRACT_COLUMNS}
    finally:
        con.close()


def test_running_twice_gives_identical_tables(sample: tuple[Path, Path], tmp_path: Path) -> None:
    data, wh = sample
    first = publication_rows(wh / "publication.duckdb")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        code, _, err = run(data, tmp_path / "again")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 0, err
    assert publication_rows(tmp_path / "again" / "publication.duckdb") == first
    assert (tmp_path / "again" / "exports" / "charts" / "tilbud_beboere.svg").read_bytes() == \
        (wh / "exports" / "charts" / "tilbud_beboere.svg").read_bytes()


@pytest.fixture
def one_year(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the sample's 2024 delivery, run once."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "raw" / "2024", data / "raw" / "2024")
    code, _, err = run(data, tmp_path / "wh")
    assert code == 0, err
    return data, tmp_path / "wh"


def test_bad_delivery_reports_every_problem_and_publishes_nothing(one_year: tuple[Path, Path]) -> None:
    data, wh = one_year
    before = (wh / "publication.duckdb").read_bytes()
    adults = data / "raw" / "2024" / contract.ADULT_FILE
    lines = adults.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    fields = lines[4].rstrip("\n").split(",")
    fields[header.index("alder")] = "7"
    lines[4] = ",".join(fields) + "\n"
    fields = lines[9].rstrip("\n").split(",")
    fields[header.index("innflyttet")] = "2024-02-30"
    lines[9] = ",".join(fields) + "\n"
    adults.write_text("".join(lines), encoding="utf-8")

    code, _, err = run(data, wh)
    assert code == 1
    assert "beboere_opphold.csv line 5, column alder" in err
    assert "beboere_opphold.csv line 10, column innflyttet" in err
    assert "Traceback" not in err
    assert "nothing was published" in err
    assert (wh / "publication.duckdb").read_bytes() == before
    # the same report from `validate`
    vcode, _, verr = run_cli("validate", str(data / "raw" / "2024"))
    assert vcode == 1
    report = [line for line in verr.splitlines() if "line " in line]
    assert report and all(line in err for line in report)


def test_failing_blocking_check_stops_the_publication(one_year: tuple[Path, Path]) -> None:
    data, wh = one_year
    before = (wh / "publication.duckdb").read_bytes()
    with duckdb.connect(str(wh / "krise.duckdb")) as con:  # a crafted bad table: a stay at an unknown centre
        con.execute("INSERT INTO validated.beboere_opphold SELECT * REPLACE ('KS999' AS senter_id) "
                    "FROM validated.beboere_opphold LIMIT 1")
    defs = build_definitions(settings_for(str(data), str(wh)))
    result = defs.resolve_job_def("publish").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    evaluations = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
                   for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert evaluations["records_reference_surveyed_centres"] is False
    assert (wh / "publication.duckdb").read_bytes() == before


def test_second_run_stops_clearly_while_one_is_running(one_year: tuple[Path, Path]) -> None:
    data, wh = one_year
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path\n"
                               "from krise_pipeline.warehouse import locking\n"
                               "with locking.warehouse_lock(Path(sys.argv[1]), who='krise-pipeline run'):\n"
                               "    Path(sys.argv[2]).write_text('x'); time.sleep(30)", str(wh), str(wh / "held")])
    try:
        while not (wh / "held").exists():
            assert holder.poll() is None
            time.sleep(0.1)
        code, _, err = run(data, wh, "--force")  # (unchanged inputs would not even need the warehouse)
    finally:
        holder.kill()
        holder.wait()
    assert code == commands.EXIT_BUSY
    assert f"the warehouse {wh} is being written by krise-pipeline run (pid {holder.pid}" in err


def test_hand_made_delivery_exact_figures(tmp_path: Path) -> None:
    """Two centres (one for men only), a few stays: bases per group, reserved stays, suppression."""
    survey = [
        centre("KS001", 2023, har_tilbud_menn=0, tilbud_beboere__inntakssamtale__k=1,
               tilbud_parorende__enesamtaler__k=1, nettside__egen_nettside=1),
        centre("KS002", 2023, har_tilbud_kvinner=0, botilbud_menn_type="midlertidig",
               tilbud_beboere__inntakssamtale__m=1),
    ]
    adults = [adult_stay(2023, opphold_id=f"O{i}", person_id=f"P{i}", inntakssamtale="1" if i < 18 else "0")
              for i in range(24)]
    adults.append(adult_stay(2023, opphold_id="OR", person_id="PR", reservert="1", inntakssamtale="",
                             kartlegging_hjelpebehov="", kartlegging_trusler_senter="",
                             kartlegging_trusler_andre="", plan_under_opphold="", plan_etter_opphold=""))
    adults.append(adult_stay(2023, opphold_id="OM", person_id="PM", kjonn="M", senter_id="KS002",
                             innflyttet="2022-12-20", utflyttet=""))
    write_delivery(tmp_path / "data" / "raw" / "2023", survey, adults, [child_stay(2023)], [visit(2023)])
    code, _, err = run(tmp_path / "data", tmp_path / "wh")
    assert code == 0, err
    con = duckdb.connect(str(tmp_path / "wh" / "publication.duckdb"), read_only=True)

    def offer(q: str, item: str, group: str) -> tuple[object, ...] | None:
        return con.execute("SELECT n_centres, n_base, share FROM centre_offers WHERE question = ? AND item = ? "
                           "AND target_group = ?", [q, item, group]).fetchone()

    assert offer("tilbud_beboere", "inntakssamtale", "kvinner") == (1, 1, 1.0)
    assert offer("tilbud_beboere", "inntakssamtale", "menn") == (1, 1, 1.0)
    assert offer("organisering", "har_tilbud", "menn") == (1, 2, 0.5)
    assert offer("organisering", "botilbud_menn_midlertidig", "menn") == (1, 1, 1.0)
    assert offer("tilbud_parorende", "minst_ett", "menn") == (0, 1, 0.0)
    assert offer("nettside", "egen_nettside", "alle") == (1, 2, 0.5)
    # 26 stays, 1 reserved: base 25, 19 intake talks (18 women + the man)
    assert con.execute("SELECT n_with, n_base, suppressed FROM service_shares WHERE population = 'voksne_opphold' "
                       "AND measure = 'inntakssamtale' AND breakdown = 'alle'").fetchone() == (19, 25, False)
    assert con.execute("SELECT n_records, n_persons FROM user_counts WHERE population = 'beboere' "
                       "AND breakdown = 'alle'").fetchone() == (26, 26)
    # one man: M suppressed, so K too; one child and one visit: everything suppressed
    assert con.execute("SELECT bool_and(suppressed) FROM service_shares WHERE breakdown = 'kjonn' "
                       "AND population = 'voksne_opphold'").fetchone() == (True,)
    assert con.execute("SELECT bool_and(suppressed) FROM user_counts WHERE population IN ('barn', 'dagbrukere')"
                       ).fetchone() == (True,)


def test_the_publication_explains_itself(sample: tuple[Path, Path]) -> None:
    from krise_pipeline.publication import catalog

    _, wh = sample
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        assert set(tables) == set(catalog.BY_NAME)
        for table in catalog.PUBLISHED:
            assert tables[table.name] == table.comment
            columns = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() "
                                  "WHERE table_name = ? ORDER BY column_index", [table.name]).fetchall()
            assert columns == [(c.name, c.type, c.description) for c in table.columns]
        for table, expected in CONTRACT_COLUMNS.items():  # the contract's columns lead, as the spec says
            assert [(c.name, c.type) for c in catalog.BY_NAME[table].columns][:len(expected)] == expected
        # every code used in a coded column has a row in codes, with the label as published
        codes = set(con.execute("SELECT table_name, column_name, population, breakdown, code FROM codes").fetchall())
        used = con.execute("SELECT DISTINCT 'service_shares', 'category', population, breakdown, category "
                           "FROM service_shares UNION SELECT DISTINCT 'user_counts', 'category', population, "
                           "breakdown, category FROM user_counts UNION SELECT DISTINCT 'service_shares', "
                           "'measure', NULL, NULL, measure FROM service_shares").fetchall()
        assert set(used) <= codes
        assert con.execute("SELECT label FROM codes WHERE population = 'barn_opphold' AND breakdown = 'kjonn' "
                           "AND code = 'K'").fetchone() == ("Jenter",)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert catalog.readme_table() in readme


def test_the_warehouse_tables_are_as_the_registry_declares(sample: tuple[Path, Path]) -> None:
    from krise_pipeline.metadata import registry

    _, wh = sample
    with duckdb.connect(str(wh / "krise.duckdb"), read_only=True) as con:
        for table in registry.TABLES:
            if table.layer == "publication":
                continue
            columns = con.execute("SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns() "
                                  "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
                                  [table.schema, table.name]).fetchall()
            assert columns == [(c.name, c.type, c.not_null) for c in table.columns], table.key


def test_the_command_ends_with_its_exit_code_its_output_and_its_exit_handlers(tmp_path: Path) -> None:
    """`krise-pipeline` (commands.console): the exit code, every line written to the (piped) streams, the
    report file and the exit handlers all survive the end of the process."""
    year_dir = write_delivery(tmp_path / "raw" / "2024", [centre("KS001")], [adult_stay(2024, kjonn="X")],
                              [child_stay(2024)], [visit(2024)])
    script = ("import atexit, sys\n"
              "atexit.register(print, 'exit handler ran', file=sys.stderr)\n"
              "from krise_pipeline.cli.commands import console\n"
              "sys.argv = ['krise-pipeline', *sys.argv[1:]]\n"
              "console()\n")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    report = tmp_path / "rapport.xlsx"
    ran = subprocess.run([sys.executable, "-c", script, "validate", str(year_dir), "--report", str(report)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert ran.returncode == 1, ran.stderr
    assert "beboere_opphold.csv line 2, column kjonn: rule code_list" in ran.stderr
    assert ran.stderr.rstrip().endswith("exit handler ran")
    with zipfile.ZipFile(report) as workbook:  # complete on disk: a readable zip with its sheets
        assert workbook.testzip() is None
        assert "xl/worksheets/sheet2.xml" in workbook.namelist()
    ran = subprocess.run([sys.executable, "-c", script, "validate", str(tmp_path / "raw" / "1999")],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert ran.returncode == 2 and "is not a folder" in ran.stderr and "exit handler ran" in ran.stderr


def test_the_summary_names_the_instance_folder_even_when_the_instance_was_not_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged run answers without opening the instance (DAGSTER_HOME is then never set)."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    orchestrated._where(settings_for(str(tmp_path / "data"), str(tmp_path / "warehouse")), out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == f"  runs recorded in the Dagster instance:    {tmp_path / '.dagster_home'}"
    # the places in one column: every path starts where the longest label ends, plus one space
    assert len({line.index(str(tmp_path)) for line in lines}) == 1


def test_a_reader_that_went_away_gets_the_shell_s_code_and_no_traceback(tmp_path: Path) -> None:
    """`krise-pipeline ... | head` where the reader has gone before the command prints."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first line written raises BrokenPipeError
    try:
        ran = subprocess.run([sys.executable, "-m", "krise_pipeline.cli", "validate",
                              str(REPO / "data" / "raw" / "2024")],
                             stdout=write, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, timeout=120)
    finally:
        os.close(write)
    assert ran.returncode == commands.EXIT_BROKEN_PIPE
    assert "Traceback" not in ran.stderr, ran.stderr

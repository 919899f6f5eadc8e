"""The publication for downstream tools: DuckDB 1.4 and 1.5 open publication.duckdb, and the open data
folder (CSV, Parquet, datapackage.json, JSON-stat) read back by readers no one here wrote: older
DuckDB in a venv of its own, pandas and pyarrow, `frictionless validate`, `jsonstat-validator`."""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import venv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from krise_pipeline import steps
from krise_pipeline.exports import opendata, writer
from krise_pipeline.metadata import contract
from krise_pipeline.publication import publish

TABLES = ("questions", "label_changes", "centre_offers", "service_shares", "user_counts", "releases", "vintages",
          "acknowledgements", "codes")
DUCKDB_SERIES = ("1.4", "1.5")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "krise_pipeline_tests"

READER = r"""
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "tables": {}}
for (name, comment) in con.execute("SELECT table_name, comment FROM duckdb_tables() ORDER BY table_name").fetchall():
    cols = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() WHERE table_name = ? "
                       "ORDER BY column_index", [name]).fetchall()
    rows = con.execute(f"SELECT * FROM {name}").fetchall()
    out["tables"][name] = {"comment": comment, "columns": cols, "rows": rows}
print(json.dumps(out, default=str))
"""


def old_duckdb(series: str) -> Path:
    """The python of a venv with DuckDB `series`.*, made once (and reused) under the user's cache."""
    home = CACHE / f"duckdb-{series}"
    python = home / "bin" / "python"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".duckdb-{series}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers make it once
        if not (home / ".installed").exists():
            shutil.rmtree(home, ignore_errors=True)
            venv.create(home, with_pip=True)
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", f"duckdb=={series}.*"],
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"pip install duckdb=={series}.* failed: {done.stderr}"
            (home / ".installed").touch()
    return python


def read_with(python: str, db: Path) -> dict[str, Any]:
    done = subprocess.run([python, "-c", READER, str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.slow
@pytest.mark.parametrize("series", DUCKDB_SERIES)
def test_older_duckdb_opens_the_publication_with_every_table_row_and_comment(
        shipped_publication: Path, series: str) -> None:
    old = read_with(str(old_duckdb(series)), shipped_publication)
    assert old["version"].startswith(series + ".")
    new = read_with(sys.executable, shipped_publication)
    assert new["version"].startswith("2.")
    assert sorted(old["tables"]) == sorted(TABLES)
    assert old["tables"] == new["tables"]
    for name, table in old["tables"].items():
        assert table["comment"], name
        assert all(comment for _, _, comment in table["columns"]), name
    assert len(old["tables"]["service_shares"]["rows"]) > 500


def test_publication_is_tagged_with_the_1_4_storage_format(shipped_publication: Path) -> None:
    with duckdb.connect(str(shipped_publication), read_only=True) as con:
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    assert tags is not None and tags[0]["storage_version"] == "v1.4.0+"


# --- CSV and Parquet ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(shipped_run: tuple[Path, Path]) -> Path:
    return shipped_run[1] / "exports" / "data"


def test_the_folder_holds_every_table_and_nothing_else(data_dir: Path) -> None:
    names = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file())
    expected = sorted([*(f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")), "datapackage.json",
                       "jsonstat/centre_offers.json", "jsonstat/service_shares.json", "jsonstat/user_counts.json"])
    assert names == expected
    assert not list(data_dir.parent.glob(".data.*"))


def _same(actual: object, expected: object) -> bool:
    """A cell pandas read from the CSV as text against the publication's value."""
    if expected is None:
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, bool):
        return actual == ("true" if expected else "false")
    if isinstance(expected, float):
        return float(str(actual)) == expected  # unrounded: the same double
    if isinstance(expected, datetime):
        return datetime.fromisoformat(str(actual)) == expected
    if isinstance(expected, date):
        return date.fromisoformat(str(actual)) == expected
    return str(actual) == str(expected)


@pytest.mark.parametrize("table", TABLES)
def test_csv_and_parquet_read_back_row_for_row(shipped_publication: Path, data_dir: Path, table: str) -> None:
    csv, parquet = data_dir / f"{table}.csv", data_dir / f"{table}.parquet"
    with duckdb.connect(str(shipped_publication), read_only=True) as con:
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()]
        comments = dict(con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall())
        types = ", ".join(f"'{c}': '{t}'" for c, t in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [table]).fetchall())
        # DuckDB: the CSV typed as the table, "" kept apart from NULL
        from_csv = con.execute(f"SELECT * FROM read_csv('{csv}', header = true, allow_quoted_nulls = false, "
                               f"columns = {{{types}}})").fetchall()
        from_parquet = con.execute(f"SELECT * FROM read_parquet('{parquet}')").fetchall()
        kv = {k.decode(): v.decode() for k, v in con.execute(
            f"SELECT key, value FROM parquet_kv_metadata('{parquet}')").fetchall()}
    assert from_csv == rows
    assert from_parquet == rows
    for column in columns:
        assert kv[f"description:{column}"] == comments[column]
    # pandas: the CSV as text (every cell compared with the publication's value), the Parquet through pyarrow
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    assert list(frame.columns) == columns
    assert len(frame) == len(rows)
    for got, want in zip(frame.itertuples(index=False), rows, strict=True):
        assert all(_same(a, e) for a, e in zip(got, want, strict=True)), (got, want)
    back = pd.read_parquet(parquet)
    assert list(back.columns) == columns
    def missing_as_none(row: tuple) -> tuple:  # pandas' NaN and NaT for a NULL
        return tuple(None if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) else v for v in row)

    assert [missing_as_none(r) for r in back.astype(object).itertuples(index=False)] == \
        [missing_as_none(r) for r in rows]


def test_csv_conventions_on_a_hand_made_table(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (s VARCHAR, n INTEGER, x DOUBLE, b BOOLEAN, d DATE, ts TIMESTAMP)")
    con.execute("INSERT INTO t VALUES ('', NULL, 0.1, true, DATE '2024-06-01', TIMESTAMP '2024-06-01 12:30:05'), "
                "(NULL, 7, 1/3, false, NULL, NULL), ('a,\"b', -1, 0.5, NULL, NULL, NULL)")
    info = opendata.TableInfo("t", "", (), 3)
    opendata._copy(con, info, tmp_path / "t.csv", opendata.CSV_OPTIONS)
    assert (tmp_path / "t.csv").read_bytes().decode("utf-8") == (
        "s,n,x,b,d,ts\n"
        '"",,0.1,true,2024-06-01,2024-06-01T12:30:05.000000\n'
        ",7,0.3333333333333333,false,,\n"
        '"a,""b",-1,0.5,,,\n')


# --- datapackage.json -----------------------------------------------------------------------


def frictionless(path: Path) -> dict[str, Any]:
    done = subprocess.run([str(Path(sys.executable).parent / "frictionless"), "validate", "--json", path.name],
                          cwd=path.parent, capture_output=True, text=True, timeout=120)
    return dict(json.loads(done.stdout))


@pytest.mark.slow
def test_frictionless_validates_the_data_package(data_dir: Path, tmp_path: Path) -> None:
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    shares = next(r for r in package["resources"] if r["name"] == "service_shares")
    fields = {f["name"]: f for f in shares["schema"]["fields"]}
    assert shares["schema"]["primaryKey"] == ["year", "population", "measure", "breakdown", "category"]
    assert shares["schema"]["missingValues"] == [""]
    assert fields["share"]["type"] == "number" and fields["suppressed"]["type"] == "boolean"
    assert fields["population"]["constraints"]["enum"] == ["voksne_opphold", "barn_opphold", "dagsbesok"]
    assert all(f["description"] for r in package["resources"] for f in r["schema"]["fields"])
    assert package["licenses"][0]["name"] == "NLOD-2.0"
    report = frictionless(data_dir / "datapackage.json")
    assert report["valid"] is True, json.dumps(report)[:2000]
    assert len(report["tasks"]) == len(TABLES)
    # the validator does look at the rows: a code outside the enum and a duplicate key are found
    broken = tmp_path / "data"
    shutil.copytree(data_dir, broken)
    lines = (broken / "service_shares.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("voksne_opphold", "ukjent", 1)
    lines.append(lines[2])
    (broken / "service_shares.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = frictionless(broken / "datapackage.json")
    assert report["valid"] is False
    errors = {e["type"] for t in report["tasks"] for e in t["errors"]}
    assert {"constraint-error", "primary-key"} <= errors


# --- JSON-stat ------------------------------------------------------------------------------


def dataset(data_dir: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((data_dir / "jsonstat" / f"{name}.json").read_text(encoding="utf-8")))


def cell(ds: dict[str, Any], **key: str) -> tuple[object, str | None]:
    """(value, status) of one cell, found by the category ids of every dimension."""
    i = 0
    for dim, size in zip(ds["id"], ds["size"], strict=True):
        i = i * size + ds["dimension"][dim]["category"]["index"][key[dim]]
    return ds["value"][i], ds.get("status", {}).get(str(i))


@pytest.mark.parametrize("name", ["centre_offers", "service_shares", "user_counts"])
def test_jsonstat_datasets_pass_the_validator(data_dir: Path, name: str) -> None:
    from jsonstat_validator import validate_jsonstat

    ds = dataset(data_dir, name)
    assert validate_jsonstat(ds) is True
    assert ds["version"] == "2.0" and ds["class"] == "dataset"
    assert ds["role"] == {"time": ["year"], "metric": ["metric"]}
    assert ds["updated"].endswith("Z")
    assert set(ds["extension"]["release_status"]) == {"2020", "2021", "2022", "2023", "2024"}
    assert ds["extension"]["release_status"]["2024"]["status"] == "utkast"
    for dim in ds["id"]:
        labels = ds["dimension"][dim]["category"]["label"]
        assert set(labels) == set(ds["dimension"][dim]["category"]["index"]) and all(labels.values()), dim
    broken = dict(ds, size=ds["size"][:-1])
    with pytest.raises(Exception, match=r"[Ss]ize"):
        validate_jsonstat(broken)


def test_jsonstat_values_are_the_tables_numbers_with_the_suppressed_cell(
        shipped_publication: Path, data_dir: Path) -> None:
    shares, counts, offers = (dataset(data_dir, n) for n in ("service_shares", "user_counts", "centre_offers"))
    with duckdb.connect(str(shipped_publication), read_only=True) as con:
        share_rows = con.execute("SELECT year, population, measure, breakdown, category, n_with, n_base, share, "
                                 "suppressed FROM service_shares").fetchall()
        count_rows = con.execute("SELECT year, population, breakdown, category, n_records, n_persons, suppressed "
                                 "FROM user_counts").fetchall()
        offer_rows = con.execute("SELECT year, question, item, target_group, n_centres, n_base, share "
                                 "FROM centre_offers").fetchall()
    hidden = 0
    for y, pop, m, b, c, n, base, share, suppressed in share_rows:
        for metric, want in (("n_with", n), ("n_base", base), ("share", share)):
            got = cell(shares, year=str(y), population=pop, measure=m, breakdown=b, category=c, metric=metric)
            assert got == ((None, "..") if suppressed else (want, None)), (y, pop, m, b, c, metric)
        hidden += suppressed
    assert hidden > 0
    for y, pop, b, c, n, persons, suppressed in count_rows:
        for metric, want in (("n_records", n), ("n_persons", persons)):
            got = cell(counts, year=str(y), population=pop, breakdown=b, category=c, metric=metric)
            assert got == ((None, "..") if suppressed else (want, None))
    for y, q, item, group, n, base, share in offer_rows:
        for metric, want in (("n_centres", n), ("n_base", base), ("share", share)):
            assert cell(offers, year=str(y), question_item=f"{q}/{item}", target_group=group, metric=metric) \
                == (want, None)
    # the sample's suppressed cell: 2020, children aged 3-5 (and 0-2 with it), every measure
    for measure in shares["dimension"]["measure"]["category"]["index"]:
        if any(r[:3] == (2020, "barn_opphold", measure) for r in share_rows):
            assert cell(shares, year="2020", population="barn_opphold", measure=measure, breakdown="aldersgruppe",
                        category="3-5", metric="share") == (None, "..")
    assert cell(shares, year="2021", population="barn_opphold", measure="velkomstsamtale",
                breakdown="aldersgruppe", category="3-5", metric="share")[1] is None
    # a combination the table does not have: null, status "."
    assert cell(shares, year="2024", population="dagsbesok", measure="inntakssamtale", breakdown="alle",
                category="alle", metric="share") == (None, ".")
    # published labels, bokmål; the label changes as notes
    assert shares["dimension"]["category"]["category"]["label"]["3-5"] == "3–5 år"
    assert shares["dimension"]["population"]["category"]["label"]["barn_opphold"] == "Opphold, barn"
    assert counts["dimension"]["category"]["category"]["label"]["K"] == "Kvinner / Jenter"
    assert any("«Krav om taushetserklæring for brukere» ble endret til «Krav om taushetserklæring fra brukere»"
               in n for n in offers["note"])


# --- a failed or killed step leaves the previous folder -------------------------------------


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


WRITER = """
import sys
from pathlib import Path
from krise_pipeline.exports import writer
from krise_pipeline.exports.opendata import OpenDataError
try:
    writer.write_open_data(Path(sys.argv[1]), Path(sys.argv[2]))
except OpenDataError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
"""


@pytest.fixture
def previous(shipped_publication: Path, data_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An exports folder whose data/ is an earlier release's (its questions.csv differs)."""
    out = tmp_path / "exports"
    shutil.copytree(data_dir, out / "data")
    with open(out / "data" / "questions.csv", "a", encoding="utf-8") as f:
        f.write("earlier,kvinner_menn,An earlier release,,,\n")
    return out, digest(out / "data")


def test_the_same_publication_gives_the_same_files(shipped_publication: Path, data_dir: Path,
                                                   previous: tuple[Path, dict[str, str]]) -> None:
    out, before = previous
    writer.write_open_data(shipped_publication, out)
    assert digest(out / "data") == digest(data_dir) != before


@pytest.mark.slow
def test_a_file_that_cannot_be_written_fails_naming_it_and_keeps_the_previous_folder(
        shipped_publication: Path, previous: tuple[Path, dict[str, str]]) -> None:
    out, before = previous
    limit = 20_000  # centre_offers.csv is larger: the write fails as on a full disk (EFBIG)
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(shipped_publication), str(out)], capture_output=True, text=True,
        timeout=120, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "centre_offers.csv" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert digest(out / "data") == before
    assert not list(out.glob(".data.*"))


@pytest.mark.slow
def test_a_killed_step_leaves_the_previous_folder_readable(
        shipped_publication: Path, data_dir: Path, previous: tuple[Path, dict[str, str]]) -> None:
    out, before = previous
    killed_mid_write = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(shipped_publication), str(out)])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            building = [p for p in out.glob(".data.*.new") if (p / "jsonstat").exists()]
            if building and any(building[0].glob("*.csv")):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        code = proc.wait(timeout=60)
        if code == -signal.SIGKILL:
            killed_mid_write += 1
            assert digest(out / "data") == before  # the previous release's files, every one whole
        else:  # the run finished before it was seen building: its files are the previous ones now
            assert code == 0
            assert digest(out / "data") == digest(data_dir)
            before = digest(data_dir)
        with duckdb.connect() as con:
            assert con.execute(f"SELECT count(*) FROM read_csv('{out}/data/service_shares.csv')").fetchone() == (545,)
    assert killed_mid_write > 0
    left = list(out.glob(".data.*"))
    assert left  # the killed run's half-built folder ...
    steps.write_exports(shipped_publication, out)  # the whole exports step, as a run does it
    assert not list(out.glob(".data.*"))  # ... is removed by the next run
    assert digest(out / "data") == digest(data_dir)


def test_a_folder_moved_aside_by_a_killed_swap_comes_back(tmp_path: Path) -> None:
    (tmp_path / ".data.123.old").mkdir()
    (tmp_path / ".data.123.old" / "x.csv").write_text("a\n1\n")
    (tmp_path / ".data.456.new").mkdir()
    publish.recover_folder(tmp_path / "data")
    assert (tmp_path / "data" / "x.csv").read_text() == "a\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_replace_folder_replaces_the_folder_as_a_whole(tmp_path: Path) -> None:
    old, new = tmp_path / "data", tmp_path / ".data.1.new"
    old.mkdir()
    (old / "a.csv").write_text("old")
    (old / "gone.csv").write_text("old")
    new.mkdir()
    (new / "a.csv").write_text("new")
    with open(old / "a.csv") as held:  # a reader holding the previous file keeps reading it
        publish.replace_folder(new, old)
        assert held.read() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert (old / "a.csv").read_text() == "new" and not (old / "gone.csv").exists()


# --- the preview links the files; nothing person-level ---------------------------------------


def test_preview_links_the_open_data_files(shipped_run: tuple[Path, Path]) -> None:
    import re

    html = (shipped_run[1] / "exports" / "index.html").read_text(encoding="utf-8")
    assert "Last ned data: " in html
    links = set(re.findall(r'href="(data/[^"]+)"', html))
    assert {"data/centre_offers.csv", "data/centre_offers.parquet", "data/jsonstat/centre_offers.json",
            "data/service_shares.csv", "data/jsonstat/user_counts.json"} <= links
    for link in links:
        assert (shipped_run[1] / "exports" / link).is_file(), link


def test_no_identifier_column_in_any_open_file(data_dir: Path) -> None:
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    names = {f["name"].lower() for r in package["resources"] for f in r["schema"]["fields"]}
    for csv in data_dir.glob("*.csv"):
        names |= {n.lower() for n in csv.read_text(encoding="utf-8").splitlines()[0].split(",")}
    with duckdb.connect() as con:
        for parquet in data_dir.glob("*.parquet"):
            names |= {n.lower() for (n,) in con.execute(f"SELECT name FROM parquet_schema('{parquet}')").fetchall()}
    for ds in data_dir.glob("jsonstat/*.json"):
        names |= set(json.loads(ds.read_text(encoding="utf-8"))["id"])
    assert {"year", "share", "n_persons"} <= names  # the scan saw the columns
    assert not names & contract.IDENTIFIERS

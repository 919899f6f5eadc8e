"""The ledger end to end: the freeze survives a lost warehouse; release, diff, acknowledgements,
disappearing years, a sample that never destroys work, deliveries kept out of git."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from openpyxl import load_workbook

import krise_sample
from krise_pipeline.cli import commands, runner
from krise_pipeline.metadata import contract
from krise_pipeline.publication import releases
from krise_pipeline.raw import deliveries
from krise_pipeline_tests.support import paths
from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_delivery

REPO = paths.REPO
INTAKE = "service_shares 2023 [population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle] n_with"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return commands.main(list(args), out=out, err=err), out.getvalue(), err.getvalue()


def folders(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    data, wh = tmp_path / "data", tmp_path / "wh"
    return data, wh, ["--data-dir", str(data), "--warehouse-dir", str(wh)]


def write_releases(data: Path, rows: list[tuple[int, str, str]]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    with (data / "releases.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["year", "status", "note"])
        w.writerows(rows)


def flip_intake(adults: Path, nth: int = 0) -> None:
    """The nth non-reserved stay without an intake talk had one after all."""
    lines = adults.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col, res = header.index("inntakssamtale"), header.index("reservert")
    seen = 0
    for i, line in enumerate(lines[1:], start=1):
        fields = line.rstrip("\n").split(",")
        if fields[res] == "0" and fields[col] == "0":
            if seen == nth:
                fields[col] = "1"
                lines[i] = ",".join(fields) + "\n"
                break
            seen += 1
    adults.write_text("".join(lines), encoding="utf-8")


def intake(pub: Path, year: int = 2023) -> int:
    with duckdb.connect(str(pub), read_only=True) as con:
        row = con.execute("SELECT n_with FROM service_shares WHERE year = ? AND population = 'voksne_opphold' "
                          "AND measure = 'inntakssamtale' AND breakdown = 'alle'", [year]).fetchone()
    assert row is not None
    return int(row[0])


def tables(pub: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a publication, build time left out."""
    with duckdb.connect(str(pub), read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out = {n: con.execute(f"SELECT * EXCLUDE (built_at) FROM {n} ORDER BY ALL" if n == "releases"
                              else f"SELECT * FROM {n} ORDER BY ALL").fetchall() for n in names}
    return out


def test_the_freeze_survives_a_lost_warehouse(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    shutil.copytree(REPO / "data" / "raw" / "2023", data / "raw" / "2023")
    write_releases(data, [(2023, "publisert", "Publisert juni 2024.")])
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    assert "ATTENTION: 2023 is marked publisert but has no ledger entry and no earlier publication" in err
    published = intake(wh / "publication.duckdb")

    shutil.rmtree(wh)  # a new server, a wiped disk
    adults = data / "raw" / "2023" / contract.ADULT_FILE
    flip_intake(adults)
    code, _, err = run_cli("run", *where)
    assert code == commands.EXIT_INVALID
    assert f"{INTAKE}: {published} -> {published + 1}" in err
    assert "2023 is published (release 2023-1" in err
    assert "there is no earlier publication" in err and "publication.duckdb is unchanged" not in err
    assert not (wh / "publication.duckdb").exists()

    write_releases(data, [(2023, "revidert", "Rettet ett opphold.")])
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    assert intake(wh / "publication.duckdb") == published + 1
    revisions = (data / "ledger" / "2023" / "revisions.csv").read_text(encoding="utf-8")
    assert f"2023-2,service_shares,\"population=voksne_opphold, measure=inntakssamtale, breakdown=alle, " \
           f"category=alle\",n_with,{published},{published + 1}" in revisions

    flip_intake(adults)  # a further change under the same note
    code, _, err = run_cli("run", *where)
    assert code == commands.EXIT_INVALID
    assert f"{INTAKE}: {published + 1} -> {published + 2}" in err
    assert "already revised with this note (release 2023-2" in err

    shutil.copyfile(REPO / "data" / "raw" / "2023" / contract.ADULT_FILE, adults)
    flip_intake(adults)  # back to the revised delivery
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    before = tables(wh / "publication.duckdb")
    assert len(before["vintages"]) == 2  # alle and kjonn=K
    shutil.rmtree(wh)
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    assert tables(wh / "publication.duckdb") == before


def tiny_delivery(data: Path, year: int = 2023, stays: int = 25) -> None:
    """Two centres; `stays` adult stays (the first 5 without an intake talk), 3 children, 4 visits."""
    adults = [adult_stay(year, opphold_id=f"O{i}", person_id=f"P{i}", senter_id="KS001" if i % 2 else "KS002",
                         inntakssamtale="0" if i < 5 else "1") for i in range(stays)]
    children = [child_stay(year, opphold_id=f"B{i}", barn_id=f"C{i}") for i in range(3)]
    visits = [visit(year, besok_id=f"D{i}", person_id=f"Q{i}") for i in range(4)]
    write_delivery(data / "raw" / str(year),
                   [centre("KS001", year, inntakssamtale__k=1), centre("KS002", year, har_tilbud_menn=0)],
                   adults, children, visits)


def test_release_checks_then_records_releases_csv_and_the_ledger(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    tiny_delivery(data)
    write_releases(data, [(2023, "utkast", "Utkast.")])

    code, _, err = run_cli("release", "2023", "--status", "revidert", *where)
    assert code == commands.EXIT_USAGE and "a revision needs a note" in err
    code, _, err = run_cli("release", "2023", "--status", "revidert", "--note", "Rettet.", *where)
    assert code == commands.EXIT_INVALID and "it has not been published yet" in err
    assert not (data / "ledger").exists()

    code, out, err = run_cli("release", "2023", "--status", "publisert", "--note", "Publisert juni 2024.", *where)
    assert code == 0, err
    assert "2023 is now publisert: release 2023-1" in out and "figures frozen" in out
    assert (data / "releases.csv").read_text(encoding="utf-8") == (
        "year,status,note\n2023,publisert,Publisert juni 2024.\n")
    figures = (data / "ledger" / "2023" / "figures.csv").read_text(encoding="utf-8").splitlines()
    assert figures[0] == "table,key,figure,value,release"
    assert figures[1:] == sorted(figures[1:])
    # 25 stays: published; 5 without an intake talk; kjonn=M has no stay, so it and K are suppressed
    assert ('service_shares,"population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle",'
            "n_with,20,2023-1") in figures
    assert 'user_counts,"population=beboere, breakdown=alle, category=alle",n_records,25,2023-1' in figures
    assert 'user_counts,"population=beboere, breakdown=kjonn, category=M",n_records,..,2023-1' in figures
    assert 'user_counts,"population=barn, breakdown=alle, category=alle",n_records,..,2023-1' in figures
    assert 'centre_offers,"question=organisering, item=har_tilbud, target_group=menn",n_centres,1,2023-1' in figures
    entries = (data / "ledger" / "2023" / "entries.csv").read_text(encoding="utf-8").splitlines()
    identity = deliveries.input_identity((p.name, deliveries.sha256_file(p)) for p in (data / "raw" / "2023").iterdir())
    assert len(entries) == 2 and f"publisert,Publisert juni 2024.,first publication,{identity[0]}," in entries[1]

    code, _, err = run_cli("release", "2023", "--status", "publisert", *where)
    assert code == commands.EXIT_INVALID and "already published (release 2023-1" in err
    code, _, err = run_cli("release", "2023", "--status", "revidert", "--note", "Ingen endring.", *where)
    assert code == commands.EXIT_INVALID and "nothing to revise" in err
    code, _, err = run_cli("release", "2030", "--status", "publisert", *where)
    assert code == commands.EXIT_INVALID and "no delivery for 2030" in err

    tiny_delivery(data, stays=26)  # one stay more, reported late
    code, out, err = run_cli("release", "2023", "--status", "revidert", "--note", "Ett opphold manglet.", *where)
    assert code == 0, err
    assert "release 2023-2" in out
    assert "user_counts [population=beboere, breakdown=alle, category=alle] n_records: 25 -> 26" in out
    assert "2023,revidert,Ett opphold manglet." in (data / "releases.csv").read_text(encoding="utf-8")
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        assert con.execute("SELECT release, old_number, new_number, note FROM vintages WHERE table_name = "
                           "'user_counts' AND key = 'population=beboere, breakdown=alle, category=alle' AND "
                           "figure = 'n_records'").fetchall() == [("2023-2", 25, 26, "Ett opphold manglet.")]

    (data / "raw" / "2023" / contract.ADULT_FILE).write_text("opphold_id\nX\n", encoding="utf-8")
    code, _, err = run_cli("release", "2023", "--status", "revidert", "--note", "Ny fil.", *where)
    assert code == commands.EXIT_INVALID and "was not released: the run above failed" in err
    assert "the header lacks the column" in err or "beboere_opphold.csv" in err


def test_diff_reports_new_years_changed_figures_inputs_and_warnings(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    shutil.copytree(REPO / "data" / "raw" / "2023", data / "raw" / "2023")
    write_releases(data, [(2023, "publisert", "Publisert juni 2024."), (2024, "utkast", "Utkast.")])
    assert run_cli("run", *where)[0] == 0
    pub_before = (wh / "publication.duckdb").read_bytes()

    code, out, _ = run_cli("diff", *where)
    assert code == 0 and "2023 (publisert; against ledger release 2023-1" in out and "no figure changes" in out

    shutil.copytree(REPO / "data" / "raw" / "2024", data / "raw" / "2024")
    adults24 = data / "raw" / "2024" / contract.ADULT_FILE
    lines = adults24.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col, res, sex = header.index("inntakssamtale"), header.index("reservert"), header.index("kjonn")
    zeroed = 0
    for i, line in enumerate(lines[1:], start=1):  # 400 women's intake talks not registered
        f = line.rstrip("\n").split(",")
        if zeroed < 400 and f[res] == "0" and f[col] == "1" and f[sex] == "K":
            f[col] = "0"
            lines[i] = ",".join(f) + "\n"
            zeroed += 1
    adults24.write_text("".join(lines), encoding="utf-8")
    flip_intake(data / "raw" / "2023" / contract.ADULT_FILE)

    code, out, err = run_cli("diff", *where)
    assert code == commands.EXIT_INVALID, err
    new_year = next(line for line in out.splitlines() if line.startswith("2024 (utkast; against nothing published"))
    assert new_year.endswith(" added, 0 changed, 0 removed") and int(new_year.split(": ")[1].split()[0]) > 500
    assert "beboere_opphold.csv: changed (sha256" in out
    assert f"changed: {INTAKE}: " in out and "FROZEN" in out
    assert "WARNING share_moves_over_10_points" in out
    assert "year=2024, population=voksne_opphold, measure=inntakssamtale" in out
    assert "A run would stop:" in out
    assert (wh / "publication.duckdb").read_bytes() == pub_before
    assert not (data / "ledger" / "2024").exists()

    # the CLI summary of a run names the failing warning, with labels; --strict makes it fail
    shutil.copyfile(REPO / "data" / "raw" / "2023" / contract.ADULT_FILE, data / "raw" / "2023" / contract.ADULT_FILE)
    code, out, err = run_cli("run", "--strict", *where)
    assert code == commands.EXIT_INVALID
    assert "WARNING share_moves_over_10_points on warehouse/service_shares: " in out
    assert "year=2024, population=voksne_opphold, measure=inntakssamtale, old_share=0.9" in out
    assert "warning check(s) failed (--strict)" in err
    code, out, _ = run_cli("run", *where)  # the same inputs: not rebuilt; the warning is not forgotten
    assert code == 0 and out.startswith("Nothing changed since run ")
    code, _, err = run_cli("run", "--strict", *where)
    assert code == commands.EXIT_INVALID and "1 warning check(s) failed in that run (--strict)" in err


def test_an_acknowledged_jump_passes_and_its_note_is_published(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    for year in (2021, 2022):
        shutil.copytree(REPO / "data" / "raw" / str(year), data / "raw" / str(year))
    write_releases(data, [(2021, "utkast", ""), (2022, "utkast", "")])
    code, out, _ = run_cli("run", *where)
    assert code == 0
    assert "WARNING population_moves_over_30_percent on warehouse/user_counts: 1 failing" in out
    assert "year=2022, population=dagbrukere, old_n_records=7942, new_n_records=11043" in out

    note = "Flere sentre registrerte dagsbesøk fra 2022."
    (data / "acknowledgements.csv").write_text(
        "year,check,key,note,acknowledged_by,acknowledged_at\n"
        f"2022,population_moves_over_30_percent,population=dagbrukere,{note},statistikkteamet,2023-05-10\n",
        encoding="utf-8")
    code, out, _ = run_cli("run", "--strict", *where)
    assert code == 0, out
    assert "population_moves_over_30_percent" not in out.split("acknowledged")[0]
    assert "acknowledged population_moves_over_30_percent: year=2022, population=dagbrukere" in out
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        assert con.execute("SELECT year, check_name, population, note FROM acknowledgements").fetchall() == [
            (2022, "population_moves_over_30_percent", "dagbrukere", note)]
        columns = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                             "WHERE table_name = 'acknowledgements'").fetchall()]
    assert "acknowledged_by" not in columns  # who acknowledged stays in the data folder
    preview = (wh / "exports" / "index.html").read_text(encoding="utf-8")
    assert f"Kontrollert endring 2022 (dagbrukere):</strong> {note}" in preview
    assert preview.count("Kontrollert endring 2022") == 1  # beside the day visits only
    workbook = load_workbook(wh / "exports" / "bistand.xlsx", read_only=True)
    try:
        notes = [tuple(r) for r in workbook["Om tallene"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    assert ("Kontrollert endring 2022 (dagbrukere)", note) in [r[:2] for r in notes]

    (data / "acknowledgements.csv").write_text(
        "year,check,key,note,acknowledged_by,acknowledged_at\n2022,population_jump,population=dagbrukere,x,y,z\n",
        encoding="utf-8")
    code, _, err = run_cli("run", *where)
    assert code == commands.EXIT_INVALID
    assert "acknowledgements.csv line 2, column check: 'population_jump' is not a warning check" in err


def test_years_that_disappear(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    tiny_delivery(data, 2023)
    tiny_delivery(data, 2024)
    write_releases(data, [(2023, "publisert", "Publisert.")])
    assert run_cli("run", *where)[0] == 0
    shutil.rmtree(data / "raw" / "2024")  # a draft year withdrawn
    code, _, err = run_cli("run", *where)
    assert code == 0, err
    assert "2024: raw/2024/ is gone and the year was a draft (utkast): it is removed" in err
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        assert con.execute("SELECT DISTINCT year FROM service_shares").fetchall() == [(2023,)]
    before = (wh / "publication.duckdb").read_bytes()
    moved = shutil.move(data / "raw" / "2023", tmp_path / "archive")  # a published year gone
    code, _, err = run_cli("run", *where)
    assert code == commands.EXIT_USAGE
    assert "year 2023 is published, but the delivery folder" in err and "restore its folder" in err
    assert (wh / "publication.duckdb").read_bytes() == before
    shutil.move(moved, data / "raw" / "2023")


def test_sample_never_destroys_work(tmp_path: Path) -> None:
    out = tmp_path / "data"
    written = krise_sample.generate_safely(out, years=[2024], scale=0.02)
    assert (out / "releases.csv") in written
    assert krise_sample.generate_safely(out, years=[2024], scale=0.02) == []  # its own output: nothing to do
    (out / "releases.csv").write_text("year,status,note\n2024,publisert,Publisert.\n", encoding="utf-8")
    edited = out / "raw" / "2024" / contract.VISIT_FILE
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    releases_text, visits = (out / "releases.csv").read_bytes(), edited.read_bytes()
    done = subprocess.run([sys.executable, "-m", "krise_sample", "--out", str(out), "--years", "2024",
                           "--scale", "0.02"], cwd=REPO, capture_output=True, text=True, timeout=300)
    code, err = done.returncode, done.stderr
    assert code == 1
    assert "would be replaced; nothing was written" in err and str(edited) in err
    assert str(out / "releases.csv") not in err  # an existing folder's releases.csv is never written
    assert (out / "releases.csv").read_bytes() == releases_text and edited.read_bytes() == visits


def test_deliveries_stay_out_of_git_and_data_does_not_make_the_code_dirty(tmp_path: Path) -> None:
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "data/raw/2025/beboere_opphold.csv"],
                             capture_output=True, text=True)
    assert ignored.returncode == 0, "a new delivery folder must be ignored by git"
    assert subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "data/releases.csv"]).returncode == 1
    assert subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "data/ledger/2023/figures.csv"]
                          ).returncode == 1
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{REPO}", str(clone)], check=True)
    head = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (clone / "data" / "releases.csv").write_text("year,status,note\n", encoding="utf-8")
    assert releases.git_commit(clone) == head
    (clone / "krise_pipeline" / "metadata" / "contract.py").write_text("# changed\n", encoding="utf-8")
    assert releases.git_commit(clone) == f"{head}-dirty"


def test_a_run_with_nothing_changed_rebuilds_nothing(tmp_path: Path) -> None:
    data, wh, where = folders(tmp_path)
    tiny_delivery(data)
    assert run_cli("run", *where)[0] == 0
    publication = (wh / "publication.duckdb").stat().st_mtime_ns
    code, out, _ = run_cli("run", *where)
    assert code == 0 and out.startswith("Nothing changed since run ") and "nothing was rebuilt" in out
    assert (wh / "publication.duckdb").stat().st_mtime_ns == publication
    # the instance folder's note answers without opening the instance; without it, the run records do
    note = Path(os.environ["DAGSTER_HOME"]) / runner.PUBLISHED_NOTE
    short_id = out.split()[4]  # "Nothing changed since run <8 characters of the run id> of ..."
    assert [e["run_id"][:8] for e in json.loads(note.read_text(encoding="utf-8")).values()].count(short_id) == 1
    note.unlink()
    code, again, _ = run_cli("run", *where)
    assert code == 0 and again.startswith(out.split(" of ")[0]) and "nothing was rebuilt" in again
    (data / "acknowledgements.csv").write_text(",".join(
        ("year", "check", "key", "note", "acknowledged_by", "acknowledged_at")) + "\n", encoding="utf-8")
    code, out, _ = run_cli("run", *where)  # a release record changed: rebuilt
    assert code == 0 and out.startswith("Checks:") and "Published 2023" in out
    code, out, _ = run_cli("run", "--force", *where)
    assert code == 0 and "Published 2023" in out
    (wh / "publication.duckdb").unlink()  # the output is gone: rebuilt
    code, out, _ = run_cli("run", *where)
    assert code == 0 and "Published 2023" in out

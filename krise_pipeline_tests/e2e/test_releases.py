"""Frozen published years, declared revisions with vintages, lineage, crash safety."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from krise_pipeline.cli import commands
from krise_pipeline.metadata import contract
from krise_pipeline.publication import releases
from krise_pipeline.raw import deliveries
from krise_pipeline_tests.support import paths

REPO = paths.REPO


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return commands.main(list(args), out=out, err=err), out.getvalue(), err.getvalue()


def write_releases(data: Path, rows: list[tuple[int, str, str]]) -> None:
    with (data / "releases.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["year", "status", "note"])
        w.writerows(rows)


def flip_first_intake(adults: Path) -> None:
    """Change one 2023 record: the first non-reserved stay without an intake talk now had one."""
    lines = adults.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col, res = header.index("inntakssamtale"), header.index("reservert")
    for i, line in enumerate(lines[1:], start=1):
        fields = line.rstrip("\n").split(",")
        if fields[res] == "0" and fields[col] == "0":
            fields[col] = "1"
            lines[i] = ",".join(fields) + "\n"
            break
    adults.write_text("".join(lines), encoding="utf-8")


def intake(pub: Path) -> tuple[int, int]:
    with duckdb.connect(str(pub), read_only=True) as con:
        row = con.execute("SELECT n_with, n_base FROM service_shares WHERE year = 2023 AND population = "
                          "'voksne_opphold' AND measure = 'inntakssamtale' AND breakdown = 'alle'").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_published_year_is_frozen_and_revision_keeps_vintages(tmp_path: Path) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data" / "raw" / "2023", data / "raw" / "2023")
    write_releases(data, [(2023, "publisert", "Publisert juni 2024.")])
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    pub = wh / "publication.duckdb"
    old_n, base = intake(pub)
    before = pub.read_bytes()

    flip_first_intake(data / "raw" / "2023" / contract.ADULT_FILE)
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == commands.EXIT_INVALID
    expected = (f"service_shares 2023 [population=voksne_opphold, measure=inntakssamtale, breakdown=alle, "
                f"category=alle] n_with: {old_n} -> {old_n + 1}")
    assert expected in err
    assert "Nothing was published" in err and "Traceback" not in err
    assert pub.read_bytes() == before

    code, out, _ = run_cli("diff", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == commands.EXIT_INVALID
    assert f"changed: {expected}  FROZEN" in out
    assert pub.read_bytes() == before

    write_releases(data, [(2023, "revidert", "Rettet registrering ved ett senter.")])
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    assert intake(pub) == (old_n + 1, base)
    with duckdb.connect(str(pub), read_only=True) as con:
        vintages = con.execute("SELECT year, table_name, key, figure, old_value, new_value, note FROM vintages "
                               "WHERE table_name = 'service_shares' AND key LIKE '%inntakssamtale, breakdown=alle%'"
                               ).fetchall()
        assert vintages == [(2023, "service_shares",
                             "population=voksne_opphold, measure=inntakssamtale, breakdown=alle, category=alle",
                             "n_with", str(old_n), str(old_n + 1), "Rettet registrering ved ett senter.")]
        assert con.execute("SELECT status FROM releases WHERE year = 2023").fetchone() == ("revidert",)
    preview = (wh / "exports" / "index.html").read_text(encoding="utf-8")
    assert "Rettet registrering ved ett senter." in preview
    # a rerun without changes adds no vintage
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    with duckdb.connect(str(pub), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM vintages WHERE figure = 'n_with' AND key LIKE "
                           "'%inntakssamtale, breakdown=alle%'").fetchone() == (1,)


def test_lineage_in_releases(tmp_path: Path) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data" / "raw" / "2024", data / "raw" / "2024")
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        row = con.execute("SELECT status, input_sha256, input_files, package_version, codebook_sha256 "
                          "FROM releases WHERE year = 2024").fetchone()
    assert row is not None
    status, combined, files, version, codebook_sha = row
    assert status == "utkast"  # no releases.csv: draft
    expected = {p.name: deliveries.sha256_file(p) for p in (data / "raw" / "2024").iterdir()}
    import json
    assert json.loads(files) == expected
    assert combined == deliveries.input_identity(expected.items())[0]
    assert version and len(codebook_sha) == 64


def test_bad_releases_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "releases.csv").write_text("year,status,note\n2024,ferdig,\n2023,publisert,\n2023,utkast,\n",
                                           encoding="utf-8")
    with pytest.raises(releases.ReleaseFileError) as exc:
        releases.read_releases(tmp_path / "releases.csv")
    assert "releases.csv line 2, column status: 'ferdig'" in str(exc.value)
    assert "releases.csv line 4, column year: 2023 is listed twice" in str(exc.value)


@pytest.mark.parametrize("delay", [0.5, 2.5, 4.5])
def test_sigkill_at_any_point_leaves_the_publication_intact(tmp_path: Path, delay: float) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data" / "raw" / "2024", data / "raw" / "2024")
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    pub = wh / "publication.duckdb"
    with duckdb.connect(str(pub), read_only=True) as con:
        expected = con.execute("SELECT * FROM centre_offers").fetchall()
    proc = subprocess.Popen(
        [sys.executable, "-m", "krise_pipeline.cli", "run", "--data-dir", str(data), "--warehouse-dir", str(wh)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with duckdb.connect(str(pub), read_only=True) as con:  # old or new release, never broken
        assert con.execute("SELECT * FROM centre_offers").fetchall() == expected
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    assert not list(wh.glob(".publication.duckdb.*"))


def test_reader_holding_the_publication_never_breaks_a_run(tmp_path: Path) -> None:
    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(REPO / "data" / "raw" / "2024", data / "raw" / "2024")
    assert run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))[0] == 0
    reader = duckdb.connect(str(wh / "publication.duckdb"), read_only=True)
    before = reader.execute("SELECT count(*) FROM centre_offers").fetchone()
    code, _, err = run_cli("run", "--data-dir", str(data), "--warehouse-dir", str(wh))
    assert code == 0, err
    assert reader.execute("SELECT count(*) FROM centre_offers").fetchone() == before
    reader.close()

"""The sample's calibration files are checked when read: a bad one names file, line and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from krise_sample import calibration


def test_the_shipped_calibration_loads() -> None:
    calibration.load()


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("volumes.csv", "population,year,records", "population,year,recrods",
     "volumes.csv, line 1: unknown column(s) recrods; missing column(s) records"),
    ("shares.csv", "0.182", "1.82", "shares.csv, line 84: share 1.82 is not a share between 0 and 1"),
    ("survey_2024.csv", "mal_barn,oppfolging_etter,m", "mal_barn,oppfolging_ettr,m",
     "survey_2024.csv, line 85: item 'oppfolging_ettr' is not an item of mal_barn in the codebook"),
    ("child_age_shares.csv", "2022,6-10", "2022,6-9",
     "child_age_shares.csv, line 12: age_group '6-9' is not one of 0-2, 3-5, 6-10, 11-17"),
    ("release_notes.csv", None, "2022,again\n",
     "release_notes.csv, line 7: year 2022 is given again (first on line 4)"),
])
def test_a_bad_calibration_file_says_where(tmp_path: Path, name: str, old: str | None, new: str, message: str) -> None:
    folder = tmp_path / "calibration"
    shutil.copytree(calibration.CALIBRATION_DIR, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old is None or old in text
    path.write_text(text.replace(old, new) if old else text + new, encoding="utf-8")
    with pytest.raises(calibration.CalibrationError) as err:
        calibration.load(folder)
    assert message in str(err.value)

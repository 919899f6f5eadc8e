"""The sample generator: calibration against the published figures, determinism, contract rules."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from krise_pipeline.metadata import codebook, contract
from krise_pipeline_tests.support import paths, reference
from krise_sample import DEFAULT_SEED, DEFAULT_YEARS, MAX_CENTRES, generate, generator

PUBLISHED = paths.FIXTURES / "published_figures.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out)


@pytest.fixture(scope="module")
def sample_dir(sample: tuple[Path, list[Path]]) -> Path:
    return sample[0]


@pytest.fixture(scope="module")
def figures(sample_dir: Path) -> reference.Figures:
    return reference.compute(sample_dir)


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(out, scale=0.05)
    return out


def survey_values(path: Path) -> list[tuple[object, ...]]:
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb[contract.SURVEY_SHEET].iter_rows(values_only=True))
    finally:
        wb.close()


def centre_count(fig: reference.Figures, year: int, question: str, item: str, group: str) -> int:
    co = fig.centre_offers
    hit = co[(co.year == year) & (co.question == question) & (co.item == item)
             & (co.target_group == group)]
    assert len(hit) == 1
    return int(hit.iloc[0]["n_centres"])


# --- calibration -------------------------------------------------------------------------------


def test_reproduces_every_published_figure(figures: reference.Figures) -> None:
    comparisons = reference.compare_published(figures, PUBLISHED)
    with PUBLISHED.open(encoding="utf-8") as fh:
        assert len(comparisons) == sum(1 for _ in csv.DictReader(fh)) > 100
    failures = [c.describe() for c in comparisons if not c.ok]
    assert not failures, "\n".join(failures)


def test_unpublished_centre_figures_follow_the_sources(figures: reference.Figures) -> None:
    def org(year: int, item: str, group: str) -> int:
        return centre_count(figures, year, contract.ORGANISERING, item, group)

    co = figures.centre_offers
    n_centres = co[(co.question == contract.ORGANISERING) & (co.item == "har_tilbud")
                   & (co.target_group == "kvinner")].set_index("year")["n_base"].to_dict()
    assert n_centres == {2020: 43, 2021: 44, 2022: 43, 2023: 43, 2024: 43}
    assert (org(2020, "har_tilbud", "kvinner"), org(2020, "har_tilbud", "menn")) == (43, 39)
    assert (org(2021, "har_tilbud", "kvinner"), org(2021, "har_tilbud", "menn")) == (43, 40)
    assert org(2020, "botilbud_menn_midlertidig", "menn") == 4
    for year in DEFAULT_YEARS:
        men = org(year, "har_tilbud", "menn")
        assert sum(org(year, f"botilbud_menn_{t}", "menn") for t in contract.BOTILBUD_MENN_TYPES) == men

    def up_2023_2024(question: str, item: str, group: str) -> bool:
        return centre_count(figures, 2024, question, item, group) > centre_count(
            figures, 2023, question, item, group)

    # "en økning fra 2023 til 2024" / "en nedgang sammenlignet med 2023"
    assert up_2023_2024("tilbud_beboere", "kartlegging_trusler_andre", "kvinner")
    assert up_2023_2024("tilbud_beboere", "plan_etter_opphold", "kvinner")
    assert up_2023_2024("tilbud_beboere", "advokatbistand", "menn")
    assert up_2023_2024("politivurdering", "vurdert", "menn")
    assert not up_2023_2024("tilbud_beboere", "barnepass", "kvinner")
    assert not up_2023_2024("tilbud_barn", "skoletilbud", "kvinner")
    assert centre_count(figures, 2020, "tilbud_beboere", "foreldreveiledning", "kvinner") == 17


def test_shares_at_small_scale_stay_close(small_dir: Path, figures: reference.Figures) -> None:
    small = reference.compute(small_dir).service_shares
    full = figures.service_shares
    keys = ["year", "population", "measure", "breakdown", "category"]
    both = full.merge(small, on=keys, suffixes=("_1", "_s"))
    overall = both[both.breakdown == "alle"]
    assert len(overall) > 50
    assert (overall.share_1 - overall.share_s).abs().max() < 0.05


# --- determinism -------------------------------------------------------------------------------


def test_same_arguments_same_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", years=(2021, 2024), scale=0.3, seed=7)
    second = generate(tmp_path / "b", years=(2021, 2024), scale=0.3, seed=7)
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        if a.suffix == ".xlsx":
            assert survey_values(a) == survey_values(b)
        else:
            assert a.read_bytes() == b.read_bytes(), a.name


def test_a_year_does_not_depend_on_the_other_years(tmp_path: Path, sample_dir: Path) -> None:
    generate(tmp_path, years=(2024,))
    for name in contract.CSV_FILES:
        assert (tmp_path / "raw/2024" / name).read_bytes() == (sample_dir / "raw/2024" / name).read_bytes()
    assert survey_values(tmp_path / "raw/2024" / contract.SURVEY_FILE) == survey_values(
        sample_dir / "raw/2024" / contract.SURVEY_FILE)


def test_seed_changes_records_not_calibration(tmp_path: Path, sample_dir: Path) -> None:
    generate(tmp_path, years=(2024,), seed=1)
    other = reference.read_csv(tmp_path / "raw/2024" / contract.ADULT_FILE)
    base = reference.read_csv(sample_dir / "raw/2024" / contract.ADULT_FILE)
    assert not set(other.person_id) & set(base.person_id)
    assert len(other) == len(base)
    fig = reference.compute(tmp_path)
    comparisons = [c for c in reference.compare_published(fig, PUBLISHED) if c.row["year"] == "2024"]
    assert comparisons and all(c.ok for c in comparisons), [c.describe() for c in comparisons if not c.ok]


# --- structure ---------------------------------------------------------------------------------


def test_written_paths_and_layout(sample: tuple[Path, list[Path]]) -> None:
    out, paths = sample
    expected = [out / "raw" / str(y) / name for y in DEFAULT_YEARS for name in contract.DELIVERY_FILES]
    assert sorted(paths) == sorted([*expected, out / "releases.csv"])
    assert all(p.is_file() for p in paths)
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("which", ["scale_1", "scale_0.05"])
def test_contract_rules_hold(which: str, sample_dir: Path, small_dir: Path) -> None:
    root = sample_dir if which == "scale_1" else small_dir
    for year in DEFAULT_YEARS:
        assert reference.contract_problems(root / "raw" / str(year)) == [], year


def test_csv_format(sample_dir: Path) -> None:
    for name, columns in ((contract.ADULT_FILE, contract.ADULT_COLUMNS),
                          (contract.CHILD_FILE, contract.CHILD_COLUMNS),
                          (contract.VISIT_FILE, contract.VISIT_COLUMNS)):
        text = (sample_dir / "raw/2024" / name).read_bytes().decode("utf-8")
        lines = text.split("\n")
        assert lines[0] == ",".join(columns)
        assert lines[-1] == "" and "\r" not in text and '"' not in text
        assert all(line.count(",") == len(columns) - 1 for line in lines[1:-1])


def test_survey_exercises_the_contract(sample_dir: Path) -> None:
    for year in DEFAULT_YEARS:
        path = sample_dir / "raw" / str(year) / contract.SURVEY_FILE
        assert survey_values(path)[0] == codebook.survey_columns(year)
        body = reference.read_survey(path)
        assert list(body.senter_id) == [f"KS{i:03d}" for i in range(1, len(body) + 1)]
        kommune = body.kommune_nr.tolist()
        assert 301 in kommune  # a number cell meaning 0301
        assert any(isinstance(v, str) for v in kommune)
        answers = body.iloc[:, len(contract.SURVEY_FIXED_COLUMNS):]
        values = answers.to_numpy().ravel().tolist()
        assert 0 in values and 1 in values and None in values
        has_women = body.har_tilbud_kvinner == 1
        women_cols = [c for c in answers.columns if c.endswith("__k")]
        for _, row in body[has_women].iterrows():
            # a centre either writes 0 for every unticked box or leaves them all empty
            assert not ({row[c] for c in women_cols} >= {0, None})
    survey_2021 = reference.read_survey(sample_dir / "raw/2021" / contract.SURVEY_FILE)
    men_only = survey_2021[survey_2021.har_tilbud_kvinner == 0]
    assert len(men_only) == 1 and (men_only.har_tilbud_menn == 1).all()
    adults = reference.read_csv(sample_dir / "raw/2021" / contract.ADULT_FILE)
    assert set(adults[adults.senter_id.isin(men_only.senter_id)].kjonn) <= {"M", "A", "U"}


def test_records_have_a_realistic_structure(sample_dir: Path) -> None:
    for year in DEFAULT_YEARS:
        folder = sample_dir / "raw" / str(year)
        adults = reference.read_csv(folder / contract.ADULT_FILE)
        children = reference.read_csv(folder / contract.CHILD_FILE)
        visits = reference.read_csv(folder / contract.VISIT_FILE)
        for frame in (adults, children, visits):
            reserved = (frame.reservert == "1").mean()
            assert 0.01 < reserved < 0.07
        for frame, person in ((adults, "person_id"), (children, "barn_id"), (visits, "person_id")):
            assert frame[person].duplicated().any()  # persons with more than one record
        assert adults.person_id.str.fullmatch(r"P[0-9a-f]{10}").all()
        assert visits.person_id.str.fullmatch(r"P[0-9a-f]{10}").all()
        assert children.barn_id.str.fullmatch(r"B[0-9a-f]{10}").all()
        assert (adults.innflyttet < f"{year}-01-01").any()  # moved in the year before
        assert (adults.utflyttet == "").any()  # still resident at the end of the year
        assert ((adults.innflyttet < f"{year}-01-01") & (adults.utflyttet != "")).any()
        assert (adults.alder == "").any()
        men_share = (adults.kjonn == "M").mean()
        assert 0.04 < men_share < 0.15
        # children stay with a parent: same centre and dates as an adult stay
        stays = set(zip(adults.senter_id, adults.innflyttet, adults.utflyttet, strict=True))
        assert all(s in stays for s in zip(children.senter_id, children.innflyttet,
                                           children.utflyttet, strict=True))
        weekday = pd.to_datetime(visits.dato).dt.weekday
        assert (weekday >= 5).mean() < 0.1
        if year < 2021:  # before 2021 reserved stays did not carry the first-stay flag
            assert (adults.loc[adults.reservert == "1", "forste_opphold_i_aret"] == "0").all()
        else:
            assert (adults.loc[adults.reservert == "1", "forste_opphold_i_aret"] == "1").all()


def test_releases_csv(sample_dir: Path) -> None:
    with (sample_dir / "releases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["year"] for r in rows] == [str(y) for y in DEFAULT_YEARS]
    assert [r["status"] for r in rows] == ["publisert"] * 4 + ["utkast"]
    assert all(r["note"] for r in rows)
    assert list(rows[0]) == ["year", "status", "note"]


def test_centres_grow_with_scale(tmp_path: Path) -> None:
    generate(tmp_path, years=(2024,), scale=8.0)
    rows = survey_values(tmp_path / "raw/2024" / contract.SURVEY_FILE)
    assert len(rows) - 1 == round(43 * 8 ** (2 / 3)) == 172
    assert [r[0] for r in rows[1:]] == [f"KS{i:03d}" for i in range(1, 173)]
    adults = reference.read_csv(tmp_path / "raw/2024" / contract.ADULT_FILE)
    assert len(adults) == 2715 * 8
    assert reference.contract_problems(tmp_path / "raw/2024") == []


@pytest.mark.parametrize("year", DEFAULT_YEARS)
@pytest.mark.parametrize("scale", [108.0, 150.0, 1000.0, 1e6])
def test_centres_are_capped_at_the_ids_the_contract_allows(year: int, scale: float) -> None:
    centres = generator._centres(DEFAULT_SEED, year, scale)
    assert centres.n <= MAX_CENTRES == 1000
    if scale >= 150:
        assert centres.n == MAX_CENTRES  # the cap is reached and the profile stays consistent
    regular, men_only, no_men, types = generator._scaled_profile(year, scale)
    assert regular + men_only == centres.n
    assert int(centres.har_k.sum()) == regular and sum(types) == int(centres.har_m.sum())
    assert int(centres.har_m.sum()) == regular - no_men + men_only


def test_a_thousand_centres_have_valid_distinct_ids(tmp_path: Path) -> None:
    centres = generator._centres(DEFAULT_SEED, 2024, 1000.0)
    answers = generator._survey_answers(generator._rng(DEFAULT_SEED, 2024, 1), centres, 2024)
    path = tmp_path / contract.SURVEY_FILE
    generator._write_survey(path, centres, answers, 2024)
    ids = [str(r[0]) for r in survey_values(path)[1:]]
    assert len(ids) == len(set(ids)) == MAX_CENTRES
    assert all(re.fullmatch(r"KS[0-9]{3}", i) for i in ids)
    assert ids[:2] == ["KS001", "KS002"] and ids[-2:] == ["KS999", "KS000"]
    # the record files name the centres with the same ids
    con = duckdb.connect()
    numbers = np.array([0, 1, 998, 999], dtype=np.int32)
    con.register("src", {"centre": numbers})
    got = [r[0] for r in con.execute(f"SELECT {generator._CENTRE_ID_SQL} FROM src").fetchall()]
    assert got == [generator._centre_id(int(i)) for i in numbers] == ["KS001", "KS002", "KS999", "KS000"]
    con.close()


def test_rejects_a_non_positive_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, scale=0)

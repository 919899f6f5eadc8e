"""An independent reference computation of the contract's section 2 over delivered files.

Plain pandas and openpyxl over `data/raw/<year>/`; it uses only the contract vocabulary
(`krise_pipeline.metadata.contract`) and the codebook (`krise_pipeline.metadata.codebook`), never the pipeline's
own code, so tests can hold the pipeline and the sample generator against it. No disclosure
control is applied here: these are the unsuppressed numbers.

Also `contract_problems`, a plain check of the delivery rules of section 1 used by the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from krise_pipeline.metadata import codebook, contract


@dataclass
class Delivery:
    year: int
    survey: pd.DataFrame  # raw cell values, columns as in the sheet
    adults: pd.DataFrame  # every column as text, empty string for empty
    children: pd.DataFrame
    visits: pd.DataFrame


def read_survey(path: Path) -> pd.DataFrame:
    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[contract.SURVEY_SHEET]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    # a row ends at its last non-empty cell: pad it to the header
    body = [list(r) + [None] * (len(header) - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_delivery(year_dir: Path) -> Delivery:
    return Delivery(
        year=int(year_dir.name),
        survey=read_survey(year_dir / contract.SURVEY_FILE),
        adults=read_csv(year_dir / contract.ADULT_FILE),
        children=read_csv(year_dir / contract.CHILD_FILE),
        visits=read_csv(year_dir / contract.VISIT_FILE),
    )


def read_all(data_dir: Path) -> list[Delivery]:
    raw = data_dir / "raw"
    years = sorted(p for p in raw.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name))
    return [read_delivery(p) for p in years]


def is_one(value: object) -> bool:
    """A ticked 0/1 value, from a spreadsheet cell or a CSV field."""
    if value is None or isinstance(value, bool):
        return value is True
    if isinstance(value, int | float):
        return value == 1
    return str(value).strip() in {"1", "1.0"}


def percent(n: int, d: int) -> int:
    """round(100 * n / d), half up, in exact integer arithmetic."""
    return (200 * n + d) // (2 * d)


# --- centre counts -----------------------------------------------------------------------------


def centre_offers(d: Delivery) -> pd.DataFrame:
    s = d.survey
    har = {
        "kvinner": s["har_tilbud_kvinner"].map(is_one),
        "menn": s["har_tilbud_menn"].map(is_one),
        "alle": pd.Series(True, index=s.index),
    }
    rows: list[dict[str, object]] = []

    def add(question: str, item: str, group: str, ticked: pd.Series, base: pd.Series) -> None:
        n_base = int(base.sum())
        n = int((ticked & base).sum())
        rows.append(dict(year=d.year, question=question, item=item, target_group=group,
                         n_centres=n, n_base=n_base, share=n / n_base if n_base else None))

    everyone = har["alle"]
    for group in contract.TARGET_GROUPS:
        add(contract.ORGANISERING, "har_tilbud", group, har[group], everyone)
    for kind in contract.BOTILBUD_MENN_TYPES:
        ticked = s["botilbud_menn_type"].map(lambda v, k=kind: v == k)
        add(contract.ORGANISERING, f"botilbud_menn_{kind}", "menn", ticked, har["menn"])
    for q in codebook.survey_questions():
        groups = q.target_groups
        for group in groups:
            any_ticked = pd.Series(False, index=s.index)
            for item, _ in codebook.items_in_year(q.question, d.year):
                col = f"{q.question}__{item}"
                if group != contract.TARGET_GROUP_ALL:
                    col += "__" + contract.SUFFIX_BY_GROUP[group]
                ticked = s[col].map(is_one)
                any_ticked |= ticked
                add(q.question, item, group, ticked, har[group])
            add(q.question, contract.MINST_ETT, group, any_ticked, har[group])
    return pd.DataFrame(rows)


# --- shares of stays and visits ----------------------------------------------------------------


def age_groups(alder: pd.Series) -> tuple[pd.Series, pd.Series]:
    age = pd.to_numeric(alder, errors="coerce")
    fine = pd.cut(age, [-1, 2, 5, 10, 17], labels=["0-2", "3-5", "6-10", "11-17"]).astype(str)
    coarse = pd.cut(age, [-1, 2, 5, 17], labels=["0-2", "3-5", "6-17"]).astype(str)
    return fine, coarse


def _population_frames(d: Delivery) -> dict[str, pd.DataFrame]:
    return {"voksne_opphold": d.adults, "barn_opphold": d.children, "dagsbesok": d.visits}


def service_shares(d: Delivery) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for population, frame in _population_frames(d).items():
        _, help_cols = contract.SHARE_POPULATIONS[population]
        f = frame.copy()
        flags = {c: f[c].map(is_one) for c in help_cols}
        flags["kartlegging_trusler_totalt"] = (flags["kartlegging_trusler_senter"]
                                               | flags["kartlegging_trusler_andre"])
        flags["kartlegging_trusler_begge"] = (flags["kartlegging_trusler_senter"]
                                              & flags["kartlegging_trusler_andre"])
        base = ~f["reservert"].map(is_one)
        categories = {"alle": pd.Series("alle", index=f.index), "kjonn": f["kjonn"]}
        if "aldersgruppe" in contract.SHARE_BREAKDOWNS[population]:
            categories["aldersgruppe"], categories["aldersgruppe_grov"] = age_groups(f["alder"])
        for breakdown in contract.SHARE_BREAKDOWNS[population]:
            for category in contract.BREAKDOWNS[breakdown]:
                in_cell = base & (categories[breakdown] == category)
                n_base = int(in_cell.sum())
                for measure, flag in flags.items():
                    n = int((flag & in_cell).sum())
                    rows.append(dict(year=d.year, population=population, measure=measure,
                                     breakdown=breakdown, category=category, n_with=n,
                                     n_base=n_base, share=n / n_base if n_base else None))
    return pd.DataFrame(rows)


# --- counts of users ---------------------------------------------------------------------------


def user_counts(d: Delivery) -> pd.DataFrame:
    frames = {"beboere": d.adults, "barn": d.children, "dagbrukere": d.visits}
    rows: list[dict[str, object]] = []
    for population, frame in frames.items():
        _, flag_col = contract.COUNT_POPULATIONS[population]
        first = frame[flag_col].map(is_one)
        categories = {"alle": pd.Series("alle", index=frame.index), "kjonn": frame["kjonn"]}
        for breakdown in contract.COUNT_BREAKDOWNS:
            for category in contract.BREAKDOWNS[breakdown]:
                in_cell = categories[breakdown] == category
                rows.append(dict(year=d.year, population=population, breakdown=breakdown,
                                 category=category, n_records=int(in_cell.sum()),
                                 n_persons=int((in_cell & first).sum())))
    return pd.DataFrame(rows)


@dataclass
class Figures:
    centre_offers: pd.DataFrame
    service_shares: pd.DataFrame
    user_counts: pd.DataFrame


def compute(data_dir: Path) -> Figures:
    deliveries = read_all(data_dir)
    return Figures(
        centre_offers=pd.concat([centre_offers(d) for d in deliveries], ignore_index=True),
        service_shares=pd.concat([service_shares(d) for d in deliveries], ignore_index=True),
        user_counts=pd.concat([user_counts(d) for d in deliveries], ignore_index=True),
    )


# --- comparison with published figures ---------------------------------------------------------


@dataclass
class Comparison:
    row: dict[str, str]
    got: int | None

    @property
    def ok(self) -> bool:
        return self.got is not None and int(self.row["min"]) <= self.got <= int(self.row["max"])

    def describe(self) -> str:
        r = self.row
        expected = r["min"] if r["min"] == r["max"] else f"{r['min']}..{r['max']}"
        where = "/".join(x for x in (r["table"], r["year"], r["question_or_population"],
                                     r["item_or_measure"], r["target_group_or_breakdown"],
                                     r["category"]) if x)
        return f"{where}: expected {expected} {r['unit']}, got {self.got}"


def _one(frame: pd.DataFrame, **where: object) -> pd.Series | None:
    mask = pd.Series(True, index=frame.index)
    for k, v in where.items():
        mask &= frame[k] == v
    hits = frame[mask]
    return None if len(hits) != 1 else hits.iloc[0]


def published_value(fig: Figures, row: dict[str, str]) -> int | None:
    year = int(row["year"])
    if row["table"] == "centre_offers":
        hit = _one(fig.centre_offers, year=year, question=row["question_or_population"],
                   item=row["item_or_measure"], target_group=row["target_group_or_breakdown"])
        return None if hit is None else int(hit["n_centres"])
    if row["table"] == "service_shares":
        hit = _one(fig.service_shares, year=year, population=row["question_or_population"],
                   measure=row["item_or_measure"], breakdown=row["target_group_or_breakdown"],
                   category=row["category"])
        if hit is None or not hit["n_base"]:
            return None
        return percent(int(hit["n_with"]), int(hit["n_base"]))
    if row["table"] == "user_counts":
        hit = _one(fig.user_counts, year=year, population=row["question_or_population"],
                   breakdown=row["target_group_or_breakdown"], category=row["category"])
        if hit is None:
            return None
        column = "n_persons" if row["item_or_measure"] == "personer" else "n_records"
        return int(hit[column])
    raise ValueError(f"unknown table {row['table']!r}")


def compare_published(fig: Figures, published_csv: Path) -> list[Comparison]:
    with published_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [Comparison(row, published_value(fig, row)) for row in rows]


# --- the delivery rules of section 1 -----------------------------------------------------------


def _iso(value: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _kommune(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10000:
        return f"{value:04d}"
    if isinstance(value, float) and value.is_integer() and 0 < value < 10000:
        return f"{int(value):04d}"
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value):
        return value
    return None


def _flag_ok(value: object) -> bool:
    return value in (None, "", 0, 1, "0", "1")


def contract_problems(year_dir: Path, *, strict_id_pattern: bool = True) -> list[str]:
    """Every broken rule of contract section 1 in one year's delivery (empty when it is valid)."""
    year = int(year_dir.name)
    problems: list[str] = []
    for name in contract.DELIVERY_FILES:
        if not (year_dir / name).is_file():
            problems.append(f"{name}: missing")
    if problems:
        return problems
    for name in contract.CSV_FILES:
        try:
            (year_dir / name).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{name}: not UTF-8")
    d = read_delivery(year_dir)
    s = d.survey

    # survey
    if tuple(s.columns) != codebook.survey_columns(year):
        problems.append("survey: columns differ from the codebook")
        return problems
    pattern = r"KS\d{3}" if strict_id_pattern else r"KS\d{3,}"
    ids = s["senter_id"].astype(str)
    if ids.duplicated().any():
        problems.append("survey: duplicate senter_id")
    if not ids.map(lambda v: re.fullmatch(pattern, v) is not None).all():
        problems.append("survey: senter_id pattern")
    if not s["senter_navn"].map(lambda v: isinstance(v, str) and v.strip() != "").all():
        problems.append("survey: empty senter_navn")
    if s["kommune_nr"].map(_kommune).isna().any():
        problems.append("survey: kommune_nr not four digits")
    answer_cols = list(s.columns[len(contract.SURVEY_FIXED_COLUMNS):])
    for col in ["har_tilbud_kvinner", "har_tilbud_menn", *answer_cols]:
        if not s[col].map(_flag_ok).all():
            problems.append(f"survey: {col} not 0/1/empty")
    har_k = s["har_tilbud_kvinner"].map(is_one)
    har_m = s["har_tilbud_menn"].map(is_one)
    kind = s["botilbud_menn_type"].map(lambda v: "" if v is None else str(v))
    if not kind.isin(["", *contract.BOTILBUD_MENN_TYPES]).all():
        problems.append("survey: unknown botilbud_menn_type")
    if ((kind == "") != ~har_m).any():
        problems.append("survey: botilbud_menn_type empty not exactly when har_tilbud_menn is 0")
    for col in answer_cols:
        ticked = s[col].map(is_one)
        if col.endswith("__k") and (ticked & ~har_k).any():
            problems.append(f"survey: {col} ticked without an offer for women")
        if col.endswith("__m") and (ticked & ~har_m).any():
            problems.append(f"survey: {col} ticked without an offer for men")
    centres = set(ids)
    men_centres = set(ids[har_m])

    y0, y1 = dt.date(year, 1, 1), dt.date(year, 12, 31)
    specs = (
        (contract.ADULT_FILE, d.adults, contract.ADULT_COLUMNS, "opphold_id", "person_id",
         "forste_opphold_i_aret", contract.ADULT_HELP, contract.ADULT_KJONN),
        (contract.CHILD_FILE, d.children, contract.CHILD_COLUMNS, "opphold_id", "barn_id",
         "forste_opphold_i_aret", contract.CHILD_HELP, contract.CHILD_KJONN),
        (contract.VISIT_FILE, d.visits, contract.VISIT_COLUMNS, "besok_id", "person_id",
         "forste_besok_i_aret", contract.VISIT_HELP, contract.ADULT_KJONN),
    )
    for name, f, columns, id_col, person_col, first_col, help_cols, kjonn_codes in specs:
        if tuple(f.columns) != tuple(columns):
            problems.append(f"{name}: columns differ from the contract")
            continue
        if f[id_col].duplicated().any() or (f[id_col] == "").any():
            problems.append(f"{name}: {id_col} not unique")
        if (f[person_col] == "").any():
            problems.append(f"{name}: empty {person_col}")
        if not f["senter_id"].isin(centres).all():
            problems.append(f"{name}: senter_id not in the survey")
        if not f["kjonn"].isin(kjonn_codes).all():
            problems.append(f"{name}: kjonn")
        for col in (first_col, "reservert", *help_cols):
            if not f[col].isin(["", "0", "1"]).all():
                problems.append(f"{name}: {col} not 0/1/empty")
        reserved = f["reservert"] == "1"
        help_empty = (f[list(help_cols)] == "").all(axis=1)
        help_full = f[list(help_cols)].isin(["0", "1"]).all(axis=1)
        if (reserved & ~help_empty).any() or (~reserved & ~help_full).any():
            problems.append(f"{name}: help columns not empty exactly when reservert")
        firsts = f.loc[f[first_col] == "1", person_col]
        if firsts.duplicated().any():
            problems.append(f"{name}: more than one first record for a person")
        if (f.groupby(person_col)["kjonn"].nunique() > 1).any():
            problems.append(f"{name}: a person's kjonn differs between records")
        if name == contract.VISIT_FILE:
            dato = f["dato"].map(_iso)
            if dato.isna().any() or not dato.map(lambda x: x is not None and y0 <= x <= y1).all():
                problems.append(f"{name}: dato missing or outside the year")
        else:
            inn = f["innflyttet"].map(_iso)
            ut = f["utflyttet"].map(lambda v: None if v == "" else _iso(v) or dt.date.min)
            if inn.isna().any():
                problems.append(f"{name}: innflyttet missing or not ISO")
            elif (ut == dt.date.min).any():
                problems.append(f"{name}: utflyttet not ISO")
            else:
                bad_year = [i > y1 or (u is not None and u < y0) for i, u in zip(inn, ut, strict=True)]
                if any(bad_year):
                    problems.append(f"{name}: stay outside the year")
                if any(u is not None and u < i for i, u in zip(inn, ut, strict=True)):
                    problems.append(f"{name}: utflyttet before innflyttet")
            age = pd.to_numeric(f["alder"], errors="coerce")
            if name == contract.CHILD_FILE:
                if age.isna().any() or not age.between(0, 17).all():
                    problems.append(f"{name}: alder missing or outside 0-17")
            elif not (age.isna() | age.between(18, 110)).all() or (
                (f["alder"] != "") & age.isna()
            ).any():
                problems.append(f"{name}: alder outside 18-110")
        if name != contract.CHILD_FILE:
            men = f["kjonn"] == "M"
            if not f.loc[men, "senter_id"].isin(men_centres).all():
                problems.append(f"{name}: men at a centre without an offer for men")
    return problems

"""Deterministic generator of realistic sample deliveries (contract section 1).

`generate(out_dir)` writes `out_dir/raw/<year>/` with the four delivery files and
`out_dir/releases.csv`. At `scale=1.0` the files reproduce every figure Bufdir published for
"Bo- og dagtilbud" 2020-2024 (`reference/published_figures.csv`): centre counts, the shares of
stays and visits that received help, and the numbers of stays, visits and persons. Figures that
were never published get plausible values that follow the trends described on the page. Both
live in data files, `krise_sample/calibration/*.csv` (read by `krise_sample.calibration`; the
folder's README.md says what each file calibrates and where its numbers come from).

`scale` multiplies the volumes of stays and visits; the number of centres grows as
`round(n * scale ** (2/3))`, capped at `MAX_CENTRES` = 1000. The contract's `senter_id` is `KS`
followed by exactly three digits, so no valid delivery can name more centres: ids are always
three digits, `KS001` to `KS999` and then `KS000` for the thousandth centre (reached from about
scale 110 on; beyond it the centres only get larger). Shares stay roughly the same at every
scale, but only scale 1.0 is calibrated exactly. The same arguments always give byte-identical
CSV files and identical spreadsheet cell values: every random draw comes from a numpy
Generator seeded with (`seed`, year, stream), so a year's files do not depend on which other
years are generated.

The command line reaches it as `krise-pipeline sample`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
from openpyxl import Workbook

from krise_pipeline.metadata import codebook, contract
from krise_sample import calibration
from krise_sample.calibration import Volume

__all__ = ["DEFAULT_SEED", "DEFAULT_YEARS", "MAX_CENTRES", "generate"]

DEFAULT_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
DEFAULT_SEED = 20240601
ID_DIGITS = 3  # senter_id is KS + exactly three digits (contract section 1)
MAX_CENTRES = 10**ID_DIGITS  # KS000..KS999: the most centres a valid delivery can have

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EPOCH = dt.date(1970, 1, 1)
K, M, A, U = 0, 1, 2, 3
FIRST_YEAR_NEW_PERSON_COUNT = 2021  # from 2021 reserved stays carry the first-stay flag too

# --- calibration (krise_sample/calibration/*.csv; see the README.md there) -------------------------

_CAL = calibration.load()
_BASE_CENTRES = _CAL.centres
_MEN_ONLY_CENTRE = _CAL.men_only_centre
_CENTRE_PROFILES = _CAL.centre_profiles
_BASE_YEAR = calibration.BASE_YEAR
_SURVEY_BASE = _CAL.survey_base
_SURVEY_OTHER_YEARS = _CAL.survey_other_years
_ADULTS = _CAL.volumes["beboere_opphold"]
_CHILDREN = _CAL.volumes["barn_opphold"]
_VISITS = _CAL.volumes["dagsbesok"]
_ADULT_SHARES = _CAL.shares["beboere_opphold"]
_CHILD_SHARES = _CAL.shares["barn_opphold"]
_VISIT_SHARES = _CAL.shares["dagsbesok"]
_CHILD_AGE_SHARES = _CAL.child_age_shares
_WELCOME_BY_AGE = _CAL.welcome_by_age
_WELCOME_DEFAULT = _CAL.welcome_default
_RELEASE_NOTES = _CAL.release_notes

# --- survey rules --------------------------------------------------------------------------------

# Questions whose ticking centres are chosen so that exactly `minst_ett` centres tick at least
# one item; for utdanningsinstitusjoner that set is the centres that did outreach at schools.
_COVERED_QUESTIONS = frozenset({"tilbud_parorende", "brukermedvirkning", "informasjonsarbeid"})
_COVER_PARENT: dict[str, tuple[str, str]] = {
    "utdanningsinstitusjoner": ("informasjonsarbeid", "utdanningsinstitusjoner"),
}
# Items that can only be ticked by centres that ticked another item.
_SUBSET_OF: dict[tuple[str, str], tuple[str, str]] = {
    ("politivurdering", "skriftlig"): ("politivurdering", "vurdert"),
    ("nettside", "flere_sprak"): ("nettside", "egen_nettside"),
    ("nettside", "synshemmede"): ("nettside", "egen_nettside"),
}


# --- small helpers -------------------------------------------------------------------------------


def _rhu(x: float) -> int:
    """Round half up (never banker's rounding)."""
    return math.floor(x + 0.5)


def _profile_year(year: int, table: Mapping[int, object]) -> int:
    return min(max(year, min(table)), max(table))


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def _epoch_day(d: dt.date) -> int:
    return (d - EPOCH).days


def _expand(counts: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Owner index and rank within owner for `counts[i]` records of owner i; and owner starts."""
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(owner.size, dtype=np.int64) - np.repeat(starts, counts)
    return owner, rank, starts


def _top(score: FloatArray, n: int) -> BoolArray:
    """Mask of the `n` largest scores."""
    out = np.zeros(score.size, dtype=np.bool_)
    if n >= score.size:
        out[:] = True
    elif n > 0:
        out[np.argpartition(-score, n - 1)[:n]] = True
    return out


def _weighted_pick(rng: np.random.Generator, candidates: IntArray, n: int,
                   weights: FloatArray) -> IntArray:
    """`n` of `candidates` without replacement, more likely where `weights` is high."""
    if n >= candidates.size:
        return np.sort(candidates)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(candidates.size)) / weights
    return np.sort(candidates[np.argsort(-keys, kind="stable")[:n]])


def _apportion(total: int, weights: Sequence[float] | FloatArray) -> list[int]:
    """Integers proportional to `weights` summing to `total` (largest remainder)."""
    w = np.asarray(weights, dtype=np.float64)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(w)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _choose(rng: np.random.Generator, n: int, weights: FloatArray) -> IntArray:
    """`n` draws with replacement of indices into `weights`."""
    p = weights / weights.sum()
    return rng.choice(weights.size, size=n, p=p).astype(np.int64)


def _standardise(x: FloatArray) -> FloatArray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


# --- pseudonyms ----------------------------------------------------------------------------------

_MASK40 = np.uint64((1 << 40) - 1)


def _pseudonyms(seed: int, year: int, population: int, index: IntArray) -> IntArray:
    """A keyed bijection of (year, population, index) onto 40-bit integers (10 hex digits)."""
    keys = np.random.SeedSequence([seed, 99]).generate_state(2, dtype=np.uint64) & _MASK40
    prefix = (np.uint64((year - 2000) % 256) << np.uint64(32)) | (np.uint64(population) << np.uint64(30))
    x: npt.NDArray[np.uint64] = (index.astype(np.uint64) | prefix) & _MASK40
    x = x ^ keys[0]
    for mult, shift in ((0x9E3779B97F, 19), (0xC2B2AE3D27, 21), (0x165667B19F, 17)):
        x = (x * np.uint64(mult | 1)) & _MASK40
        x = x ^ (x >> np.uint64(shift))
    x = x ^ keys[1]
    return x.astype(np.int64)


# --- centres per year --------------------------------------------------------------------------


@dataclass
class _Centres:
    year: int
    names: list[str]
    kommune: list[str]
    har_k: BoolArray
    har_m: BoolArray
    men_type: list[str | None]
    size: FloatArray
    propensity: FloatArray
    zeros_empty: BoolArray  # centre leaves unticked boxes empty
    kommune_as_number: BoolArray

    @property
    def n(self) -> int:
        return self.har_k.size


def _scaled_profile(year: int, scale: float) -> tuple[int, int, int, tuple[int, int, int]]:
    prof = _CENTRE_PROFILES[_profile_year(year, _CENTRE_PROFILES)]
    # centres grow as scale^(2/3), but never beyond the ids the contract allows
    f = min(scale ** (2 / 3), MAX_CENTRES / (prof.regular + prof.men_only))
    regular = min(MAX_CENTRES, max(1, _rhu(prof.regular * f)))
    total = min(MAX_CENTRES, max(regular, _rhu((prof.regular + prof.men_only) * f)))
    men_only = total - regular
    no_men = min(regular - 1, _rhu(prof.no_men * f)) if prof.no_men else 0
    men_offers = regular - no_men + men_only
    types = tuple(_apportion(men_offers, prof.men_types))
    return regular, men_only, no_men, (types[0], types[1], types[2])


def _centres(seed: int, year: int, scale: float) -> _Centres:
    regular, men_only, no_men, (n_egne, _, n_midl) = _scaled_profile(year, scale)
    total = regular + men_only
    # Centre attributes that persist from year to year come from one stream sized for every year.
    n_max = max(sum(_scaled_profile(y, scale)[:2]) for y in _CENTRE_PROFILES)
    n_max = max(n_max, total)
    crng = _rng(seed, 0)
    no_men_priority = crng.random(n_max)
    type_priority = crng.random(n_max)
    propensity_all = np.exp(0.45 * crng.standard_normal(n_max))
    size_jitter = np.exp(0.25 * crng.standard_normal(n_max))
    zeros_empty_all = crng.random(n_max) < 0.3
    number_cell_all = crng.random(n_max) < 0.35

    names: list[str] = []
    kommune: list[str] = []
    size = np.empty(total, dtype=np.float64)
    for i in range(total):
        if i < regular:
            base, rep = _BASE_CENTRES[i % len(_BASE_CENTRES)], i // len(_BASE_CENTRES)
        else:
            base, rep = _MEN_ONLY_CENTRE, i - regular
        names.append(base.name if rep == 0 else f"{base.name}, avdeling {rep + 1}")
        kommune.append(base.kommune_nr_2024 if year >= 2024 else base.kommune_nr)
        size[i] = base.size * (1.0 if rep == 0 else float(size_jitter[i]))

    har_k = np.zeros(total, dtype=np.bool_)
    har_k[:regular] = True
    har_m = np.ones(total, dtype=np.bool_)
    lacking = np.argsort(no_men_priority[:regular], kind="stable")[:no_men]
    har_m[lacking] = False

    men_type: list[str | None] = [None] * total
    men_idx = np.flatnonzero(har_m)
    only = men_idx[men_idx >= regular]
    shared = men_idx[men_idx < regular]
    shared = shared[np.argsort(type_priority[shared], kind="stable")]
    midl_n = min(n_midl, shared.size)
    egne_n = max(0, min(n_egne - only.size, shared.size - midl_n))
    for i in only:
        men_type[int(i)] = "egne_lokaler"
    for j, i in enumerate(shared):
        men_type[int(i)] = ("midlertidig" if j < midl_n else
                            "egne_lokaler" if j < midl_n + egne_n else "samme_bygning")

    kommune_as_number = number_cell_all[:total].copy()
    kommune_as_number[0] = True  # Oslo: 301 meaning 0301
    return _Centres(
        year=year, names=names, kommune=kommune, har_k=har_k, har_m=har_m, men_type=men_type,
        size=size, propensity=propensity_all[:total].copy(),
        zeros_empty=zeros_empty_all[:total].copy(), kommune_as_number=kommune_as_number,
    )


def _centre_id(i: int) -> str:
    """The senter_id of centre number i (from 0): KS001, KS002, ..., KS999, KS000."""
    return f"KS{(i + 1) % MAX_CENTRES:0{ID_DIGITS}d}"


# --- survey --------------------------------------------------------------------------------------

def _base_2024(group: str) -> int:
    p = _CENTRE_PROFILES[_BASE_YEAR]
    if group == "k":
        return p.regular
    if group == "m":
        return p.regular - p.no_men + p.men_only
    return p.regular + p.men_only


def _target_count(question: str, item: str, group: str, year: int, base1: int, base_s: int) -> int:
    """Centres ticking the item at scale 1 (`base1` centres eligible), rescaled to `base_s`."""
    b24 = _base_2024(group)
    v24 = _SURVEY_BASE.get((question, item, group), _rhu(0.6 * b24))
    override = _SURVEY_OTHER_YEARS.get((question, item, group), {})
    if year in override:
        v1 = override[year]
    elif year == _BASE_YEAR:
        v1 = v24
    elif v24 >= b24:
        v1 = base1
    else:
        jitter = (-1, 0, 0, 0, 1)[zlib.crc32(f"{question}|{item}|{group}|{year}".encode()) % 5]
        v1 = _rhu(v24 * base1 / b24) + jitter
    v1 = min(max(v1, 0), base1)
    if base_s == base1:
        return v1
    return min(base_s, _rhu(v1 * base_s / base1)) if base1 else 0


def _survey_answers(rng: np.random.Generator, centres: _Centres,
                    year: int) -> dict[str, npt.NDArray[np.int8]]:
    """column -> per centre 1 (ticked), 0 (not ticked) or -1 (no offer for the target group)."""
    bases_1 = {"k": 0, "m": 0, "a": 0}
    reg1, mo1, nm1, _ = _scaled_profile(year, 1.0)
    bases_1.update(k=reg1, m=reg1 - nm1 + mo1, a=reg1 + mo1)
    eligible = {"k": centres.har_k, "m": centres.har_m, "a": np.ones(centres.n, dtype=np.bool_)}
    midl = np.array([t == "midlertidig" for t in centres.men_type], dtype=np.bool_)
    weights = {
        "k": centres.propensity,
        "m": centres.propensity * np.where(midl, 0.35, 1.0),
        "a": centres.propensity,
    }
    answers: dict[str, npt.NDArray[np.int8]] = {}
    ticked_sets: dict[tuple[str, str, str], IntArray] = {}
    for q in codebook.survey_questions():
        item_codes = [code for code, _ in codebook.items_in_year(q.question, year)]
        groups = ("a",) if q.scope == contract.SCOPE_CENTRE else ("k", "m")
        for g in groups:
            elig = np.flatnonzero(eligible[g]).astype(np.int64)
            w = weights[g][elig]
            base_s = elig.size
            targets = {it: _target_count(q.question, it, g, year, bases_1[g], base_s)
                       for it in item_codes}
            chosen: dict[str, IntArray] = {}
            cover: IntArray | None = None
            if q.question in _COVERED_QUESTIONS:
                m = _target_count(q.question, contract.MINST_ETT, g, year, bases_1[g], base_s)
                m = max(m, max(targets.values(), default=0))
                m = min(m, sum(targets.values()))
                cover = _weighted_pick(rng, elig, m, w)
            elif q.question in _COVER_PARENT:
                pq, pitem = _COVER_PARENT[q.question]
                cover = ticked_sets[(pq, pitem, g)]
            if cover is not None:
                chosen = _covering(rng, cover, targets, weights[g][cover], item_codes)
            else:
                for it in item_codes:
                    parent = _SUBSET_OF.get((q.question, it))
                    if parent is not None and (parent[0], parent[1], g) in ticked_sets:
                        pool = ticked_sets[(parent[0], parent[1], g)]
                    else:
                        pool = elig
                    chosen[it] = _weighted_pick(rng, pool, targets[it], weights[g][pool])
            for it in item_codes:
                ticked_sets[(q.question, it, g)] = chosen[it]
                col = np.full(centres.n, -1, dtype=np.int8)
                col[elig] = 0
                col[chosen[it]] = 1
                suffix = "" if g == "a" else f"__{g}"
                answers[f"{q.question}__{it}{suffix}"] = col
    return answers


def _covering(rng: np.random.Generator, cover: IntArray, targets: dict[str, int],
              weights: FloatArray, order: list[str]) -> dict[str, IntArray]:
    """Exactly `targets[item]` centres per item, all from `cover`, every centre of `cover` in some."""
    t = {it: min(targets[it], cover.size) for it in order}
    shuffled = cover[np.argsort(np.log(rng.random(cover.size)) / weights, kind="stable")[::-1]]
    out: dict[str, IntArray] = {}
    start = 0
    for it in sorted(order, key=lambda i: -t[i]):  # the commonest item covers most centres
        primary = shuffled[start:start + t[it]]
        start += primary.size
        rest_pool = np.setdiff1d(cover, primary)
        extra = _weighted_pick(rng, rest_pool, t[it] - primary.size,
                               weights[np.searchsorted(cover, rest_pool)])
        out[it] = np.sort(np.concatenate([primary, extra]))
    return out


def _write_survey(path: Path, centres: _Centres, answers: dict[str, npt.NDArray[np.int8]],
                  year: int) -> None:
    columns = codebook.survey_columns(year)
    missing = set(columns) - set(contract.SURVEY_FIXED_COLUMNS) - set(answers)
    if missing:
        raise RuntimeError(f"survey {year}: no answers generated for {sorted(missing)}")
    wb = Workbook(write_only=True)
    wb.properties.creator = "krise_pipeline.sample"
    fixed_time = dt.datetime(year + 1, 2, 15, 9, 0, 0)
    wb.properties.created = fixed_time
    wb.properties.modified = fixed_time
    ws = wb.create_sheet(contract.SURVEY_SHEET)
    ws.append(list(columns))
    answer_cols = [answers[c] for c in columns[len(contract.SURVEY_FIXED_COLUMNS):]]
    matrix = np.stack(answer_cols, axis=1) if answer_cols else np.zeros((centres.n, 0), np.int8)
    for i in range(centres.n):
        kommune: str | int = centres.kommune[i]
        if centres.kommune_as_number[i]:
            kommune = int(kommune)
        zero: int | None = None if centres.zeros_empty[i] else 0
        lookup: tuple[int | None, int | None, int | None] = (zero, 1, None)  # index by value 0, 1, -1
        row: list[str | int | None] = [
            _centre_id(i),
            centres.names[i],
            kommune,
            int(centres.har_k[i]),
            int(centres.har_m[i]),
            centres.men_type[i],
        ]
        row.extend(lookup[v] for v in matrix[i].tolist())
        ws.append(row)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    os.replace(tmp, path)


# --- stays and visits ----------------------------------------------------------------------------


@dataclass
class _Records:
    """Records of one population, grouped by person: non-reserved first, then reserved."""

    person: IntArray
    centre: IntArray
    kjonn: npt.NDArray[np.int8]
    alder: npt.NDArray[np.int16]
    start: npt.NDArray[np.int32]  # innflyttet / dato (days since 1970-01-01)
    end: npt.NDArray[np.int32]  # utflyttet, -1 = still resident
    first: npt.NDArray[np.int8]
    reserved: npt.NDArray[np.int8]
    help: dict[str, npt.NDArray[np.int8]] = field(default_factory=dict)
    # for children: the non-reserved persons' record counts and first record index
    person_counts: IntArray | None = None
    person_starts: IntArray | None = None


def _scaled_volume(vol: Volume, scale: float) -> Volume:
    records = _rhu(vol.records * scale)
    persons = min(records, _rhu(vol.persons * scale))
    reserved = min(_rhu(vol.reserved * scale), persons)
    minorities = tuple(_rhu(v * scale) for v in vol.minorities)
    return Volume(records, persons, reserved, minorities)


def _kjonn_split(vol: Volume, year: int, rng: np.random.Generator, n_codes: int,
                 reserved_male_share: float) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """kjonn of the non-reserved persons and of the reserved records (each one person)."""
    codes = (K, M, A, U) if n_codes == 4 else (K, M, U)
    minority = list(vol.minorities)
    counts_all = [max(0, vol.persons - sum(minority)), *minority]
    r = vol.reserved
    r_m = _rhu(r * reserved_male_share)
    r_u = 1 if r >= 20 else 0
    res_counts = [r - r_m - r_u, r_m] + [0] * (len(codes) - 3) + [r_u]
    if year >= FIRST_YEAR_NEW_PERSON_COUNT:
        res_counts = [min(a, b) for a, b in zip(res_counts, counts_all, strict=True)]
        res_counts[0] += r - sum(res_counts)
        nonres_counts = [max(0, a - b) for a, b in zip(counts_all, res_counts, strict=True)]
    else:
        nonres_counts = counts_all
    nonres = np.repeat(np.array(codes, dtype=np.int8), nonres_counts)
    res = np.repeat(np.array(codes, dtype=np.int8), res_counts)
    return rng.permutation(nonres), rng.permutation(res)


def _centre_weights(centres: _Centres, rng: np.random.Generator) -> dict[int, FloatArray]:
    """Weights of centres for users of each kjonn code."""
    women = np.where(centres.har_k, centres.size, 0.0)
    midl = np.array([t == "midlertidig" for t in centres.men_type], dtype=np.bool_)
    men_active = (rng.random(centres.n) >= 0.12) | ~centres.har_k  # some men's offers have no men
    men = np.where(centres.har_m & men_active, centres.size ** 0.8 * np.where(midl, 0.5, 1.0), 0.0)
    if men.sum() <= 0:
        men = np.where(centres.har_m, 1.0, 0.0)
    if women.sum() <= 0:
        women = np.ones(centres.n)
    other = women + np.where(~centres.har_k, men, 0.0)
    return {K: women, M: men, A: other, U: other}


def _assign_centres(rng: np.random.Generator, kjonn: npt.NDArray[np.int8],
                    weights: dict[int, FloatArray]) -> IntArray:
    out = np.zeros(kjonn.size, dtype=np.int64)
    for code, w in weights.items():
        idx = np.flatnonzero(kjonn == code)
        if idx.size:
            out[idx] = _choose(rng, idx.size, w)
    return out


def _records_per_person(rng: np.random.Generator, n_persons: int, extra: int,
                        propensity: FloatArray) -> IntArray:
    counts = np.ones(n_persons, dtype=np.int64)
    if extra > 0 and n_persons > 0:
        counts += rng.multinomial(extra, propensity / propensity.sum()).astype(np.int64)
    return counts


def _stay_dates(rng: np.random.Generator, year: int, counts_of_owner: IntArray,
                rank: IntArray) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """innflyttet/utflyttet: a person's stays follow each other within the year; the first may
    start in the previous year and the last may go on after the year (utflyttet -1)."""
    y0 = _epoch_day(dt.date(year, 1, 1))
    y1 = _epoch_day(dt.date(year, 12, 31))
    days = y1 - y0 + 1
    n = rank.size
    length = np.minimum(np.floor(rng.lognormal(2.9, 1.0, n)), 400).astype(np.int64)
    k = counts_of_owner
    seg_lo = y0 + (rank * days) // k
    seg_hi = y0 + ((rank + 1) * days) // k - 1
    lo = np.where(rank == 0, seg_lo - length, seg_lo)
    start = lo + np.floor(rng.random(n) * (seg_hi - lo + 1)).astype(np.int64)
    end = start + length
    last = rank == k - 1
    end = np.where(last, end, np.minimum(end, seg_hi))
    end = np.where(last & (end > y1), -1, end)
    return start.astype(np.int32), end.astype(np.int32)


def _stay_length(start: npt.NDArray[np.int32], end: npt.NDArray[np.int32], year: int) -> FloatArray:
    y1 = _epoch_day(dt.date(year, 12, 31))
    return (np.where(end < 0, y1, end) - start).astype(np.float64)


def _tick_help(rng: np.random.Generator, n: int, shares: dict[str, float],
               base_score: FloatArray, columns: Sequence[str],
               extra: dict[str, FloatArray] | None = None) -> dict[str, npt.NDArray[np.int8]]:
    """Help flags for `n` non-reserved records with exactly round(share * n) ticks per column."""
    out: dict[str, npt.NDArray[np.int8]] = {}
    extra = extra or {}
    for col in columns:
        if col == "kartlegging_trusler_andre":
            continue
        score = base_score + rng.standard_normal(n) + extra.get(col, 0.0)
        out[col] = _top(score, _rhu(shares[col] * n)).astype(np.int8)
    if "kartlegging_trusler_andre" in columns:
        senter = out["kartlegging_trusler_senter"].astype(np.bool_)
        n_andre = _rhu(shares["kartlegging_trusler_andre"] * n)
        n_begge = min(_rhu(shares["begge"] * n), int(senter.sum()), n_andre)
        n_only = min(n_andre - n_begge, int((~senter).sum()))
        score = base_score + rng.standard_normal(n)
        andre = np.zeros(n, dtype=np.bool_)
        idx_s, idx_n = np.flatnonzero(senter), np.flatnonzero(~senter)
        andre[idx_s[_top(score[idx_s], n_begge)]] = True
        andre[idx_n[_top(score[idx_n], n_only)]] = True
        out["kartlegging_trusler_andre"] = andre.astype(np.int8)
    return out


def _with_reserved_help(help_nr: dict[str, npt.NDArray[np.int8]], n_reserved: int,
                        columns: Sequence[str]) -> dict[str, npt.NDArray[np.int8]]:
    return {c: np.concatenate([help_nr[c], np.full(n_reserved, -1, dtype=np.int8)]) for c in columns}


def _people(rng: np.random.Generator, volumes: Mapping[int, Volume], year: int, scale: float, n_codes: int,
            reserved_male_share: float) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], int]:
    """kjonn of the non-reserved persons, of the reserved records, and the records beyond one a person."""
    vol = _scaled_volume(volumes[_profile_year(year, volumes)], scale)
    kj_nr, kj_res = _kjonn_split(vol, year, rng, n_codes, reserved_male_share=reserved_male_share)
    return kj_nr, kj_res, max(0, vol.records - kj_res.size - kj_nr.size)


def _records(*, year: int, owner: IntArray, n_persons: int, kjonn: npt.NDArray[np.int8],
             kjonn_reserved: npt.NDArray[np.int8], centre: IntArray, first: npt.NDArray[np.int8],
             help_nr: dict[str, npt.NDArray[np.int8]], help_columns: Sequence[str], **parts: Any) -> _Records:
    """The records of a population: the non-reserved ones (by `owner`), then one per reserved person.

    `parts` holds the date and age columns as (non-reserved, reserved) pairs, and the optional
    person_counts/person_starts."""
    n_res = kjonn_reserved.size
    pairs = {k: np.concatenate(v) for k, v in parts.items() if isinstance(v, tuple)}
    return _Records(
        person=np.concatenate([owner, n_persons + np.arange(n_res, dtype=np.int64)]),
        centre=centre,
        kjonn=np.concatenate([kjonn, kjonn_reserved]),
        alder=pairs.get("alder", np.zeros(0, dtype=np.int16)),
        start=pairs["start"],
        end=pairs.get("end", np.zeros(0, dtype=np.int32)),
        first=np.concatenate([first, np.full(n_res, 1 if year >= FIRST_YEAR_NEW_PERSON_COUNT else 0, dtype=np.int8)]),
        reserved=np.concatenate([np.zeros(owner.size, np.int8), np.ones(n_res, np.int8)]),
        help=_with_reserved_help(help_nr, n_res, help_columns),
        person_counts=parts.get("person_counts"),
        person_starts=parts.get("person_starts"),
    )


def _adults(rng: np.random.Generator, year: int, scale: float, centres: _Centres) -> _Records:
    kj_nr, kj_res, extra = _people(rng, _ADULTS, year, scale, 4, reserved_male_share=0.08)
    p_nr = kj_nr.size
    n_res = kj_res.size
    propensity = rng.gamma(0.6, 1.0, p_nr) * np.where(kj_nr == M, 0.5, 1.0) + 1e-9
    counts = _records_per_person(rng, p_nr, extra, propensity)
    owner, rank, starts = _expand(counts)
    weights = _centre_weights(centres, rng)

    home = _assign_centres(rng, kj_nr, weights)
    centre = home[owner]
    moved = (rank > 0) & (rng.random(owner.size) < 0.15)
    if moved.any():
        centre[moved] = _assign_centres(rng, kj_nr[owner[moved]], weights)
    age_p = np.minimum(18 + np.floor(rng.gamma(2.2, 8.5, p_nr)), 110).astype(np.int16)
    age_p[rng.random(p_nr) < 0.015] = -1
    start, end = _stay_dates(rng, year, counts[owner], rank)

    res_centre = _assign_centres(rng, kj_res, weights)
    res_start, res_end = _stay_dates(rng, year, np.ones(n_res, dtype=np.int64),
                                     np.zeros(n_res, dtype=np.int64))
    shares = _ADULT_SHARES[_profile_year(year, _ADULT_SHARES)]
    length = _standardise(np.log1p(_stay_length(start, end, year)))
    base_score = 0.7 * rng.standard_normal(owner.size) + 0.5 * length
    help_nr = _tick_help(rng, owner.size, shares, base_score, contract.ADULT_HELP,
                         extra={"plan_under_opphold": 0.5 * length, "plan_etter_opphold": 0.8 * length})
    return _records(year=year, owner=owner, n_persons=p_nr, kjonn=kj_nr[owner], kjonn_reserved=kj_res,
                    centre=np.concatenate([centre, res_centre]), first=(rank == 0).astype(np.int8),
                    help_nr=help_nr, help_columns=contract.ADULT_HELP,
                    alder=(age_p[owner], np.full(n_res, -1, dtype=np.int16)), start=(start, res_start),
                    end=(end, res_end), person_counts=counts, person_starts=starts)


def _child_ages(rng: np.random.Generator, n: int, year: int) -> npt.NDArray[np.int16]:
    shares = _CHILD_AGE_SHARES[_profile_year(year, _CHILD_AGE_SHARES)]
    groups = calibration.CHILD_AGE_GROUPS
    g = rng.choice(len(groups), size=n, p=np.asarray(shares) / sum(shares))
    lo = np.array([a for a, _ in groups])[g]
    width = np.array([b - a + 1 for a, b in groups])[g]
    return (lo + np.floor(rng.random(n) * width)).astype(np.int16)


def _welcome(rng: np.random.Generator, age: npt.NDArray[np.int16], share: float,
             year: int) -> npt.NDArray[np.int8]:
    """velkomstsamtale: round(share * n) in all, split over age groups within their rates."""
    spec = _WELCOME_BY_AGE.get(year, _WELCOME_DEFAULT)
    n = age.size
    total = _rhu(share * n)
    masks = [(age >= g.lo) & (age <= g.hi) for g in spec]
    sizes = np.array([int(m.sum()) for m in masks], dtype=np.int64)
    counts = np.array([_rhu(g.rate * s) for g, s in zip(spec, sizes, strict=True)], dtype=np.int64)
    low = np.array([math.ceil(g.min_rate * s) for g, s in zip(spec, sizes, strict=True)])
    high = np.array([math.floor(g.max_rate * s) for g, s in zip(spec, sizes, strict=True)])
    low, high = np.minimum(low, counts), np.maximum(high, counts)
    # within the groups' rates first; only if that cannot reach the total (few records), beyond
    for lower, upper in ((low, high), (np.zeros_like(sizes), sizes)):
        diff = total - int(counts.sum())
        if diff != 0:
            slack: IntArray = np.maximum((upper - counts) if diff > 0 else (counts - lower), 0)
            step = np.asarray(_apportion(min(abs(diff), int(slack.sum())), slack.astype(np.float64)),
                              dtype=np.int64)
            counts = counts + np.sign(diff) * np.minimum(step, slack)
    out = np.zeros(n, dtype=np.int8)
    score = 0.12 * age + rng.standard_normal(n)
    for mask, c in zip(masks, counts, strict=True):
        idx = np.flatnonzero(mask)
        out[idx[_top(score[idx], int(c))]] = 1
    return out


def _children(rng: np.random.Generator, year: int, scale: float, adults: _Records) -> _Records:
    kj_nr, kj_res, extra = _people(rng, _CHILDREN, year, scale, 3, reserved_male_share=0.5)
    pc = kj_nr.size
    n_res = kj_res.size
    assert adults.person_counts is not None and adults.person_starts is not None
    parent_counts, parent_starts = adults.person_counts, adults.person_starts
    n_adult_nr = int(parent_counts.sum())
    parent_kjonn = adults.kjonn[parent_starts]
    parent_w = np.select([parent_kjonn == K, parent_kjonn == M], [1.0, 0.45], 0.5)
    parent_w = parent_w * (rng.random(parent_counts.size) < 0.45) + 1e-6

    # children with 3 and 2 stays in the year need parents with at least as many stays
    n3 = min(_rhu(extra * 0.06), extra // 2)
    n2 = extra - 2 * n3
    n1 = max(0, pc - n2 - n3)
    child_k = np.concatenate([np.full(n3, 3), np.full(n2, 2), np.full(n1, 1)]).astype(np.int64)
    child_k = child_k[:pc] if child_k.size > pc else child_k
    parent = np.zeros(child_k.size, dtype=np.int64)
    for m in (3, 2, 1):
        idx = np.flatnonzero(child_k == m)
        if not idx.size:
            continue
        avail = np.flatnonzero(parent_counts >= m)
        if not avail.size:
            child_k[idx] = 1
            avail = np.arange(parent_counts.size)
        parent[idx] = avail[_choose(rng, idx.size, parent_w[avail])]
    child_k = np.minimum(child_k, parent_counts[parent])
    offset = np.floor(rng.random(child_k.size) * (parent_counts[parent] - child_k + 1)).astype(np.int64)
    owner, rank, starts = _expand(child_k)
    stay = parent_starts[parent[owner]] + offset[owner] + rank
    age_c = _child_ages(rng, child_k.size, year)
    kjonn_c = np.resize(kj_nr, child_k.size) if kj_nr.size else np.zeros(child_k.size, np.int8)

    n_adult_res = adults.person.size - n_adult_nr
    if n_adult_res > 0:
        res_parent = n_adult_nr + rng.integers(0, n_adult_res, n_res)
    else:
        res_parent = rng.integers(0, max(1, n_adult_nr), n_res)
    res_age = _child_ages(rng, n_res, year)

    shares = _CHILD_SHARES[_profile_year(year, _CHILD_SHARES)]
    age = age_c[owner]
    length = _standardise(np.log1p(_stay_length(adults.start[stay], adults.end[stay], year)))
    base_score = 0.6 * rng.standard_normal(owner.size) + 0.05 * age + 0.4 * length
    help_nr = _tick_help(rng, owner.size, shares, base_score,
                         [c for c in contract.CHILD_HELP if c != "velkomstsamtale"])
    help_nr["velkomstsamtale"] = _welcome(rng, age, shares["velkomstsamtale"], year)
    return _records(year=year, owner=owner, n_persons=pc, kjonn=kjonn_c[owner], kjonn_reserved=kj_res,
                    centre=np.concatenate([adults.centre[stay], adults.centre[res_parent]]),
                    first=(rank == 0).astype(np.int8), help_nr=help_nr, help_columns=contract.CHILD_HELP,
                    alder=(age, res_age), start=(adults.start[stay], adults.start[res_parent]),
                    end=(adults.end[stay], adults.end[res_parent]), person_counts=child_k, person_starts=starts)


def _easter(year: int) -> dt.date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    day = (h + l_ - 7 * m + 33 * month + 19) % 32
    return dt.date(year, month, day)


def _visit_day_weights(year: int) -> FloatArray:
    """Relative number of day visits per day: few at weekends, on public holidays and in July."""
    first = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - first).days + 1
    easter = _easter(year)
    holidays = {dt.date(year, m, d) for m, d in ((1, 1), (5, 1), (5, 17), (12, 24), (12, 25), (12, 26),
                                                 (12, 31))}
    holidays |= {easter + dt.timedelta(days=n) for n in (-3, -2, 1, 39, 50)}
    w = np.ones(days, dtype=np.float64)
    for i in range(days):
        d = first + dt.timedelta(days=i)
        if d in holidays:
            w[i] = 0.05
        elif d.weekday() >= 5:
            w[i] = 0.12
        elif d.month == 7 or (d.month == 12 and d.day >= 22):
            w[i] = 0.6
    return w


def _visits(rng: np.random.Generator, year: int, scale: float, centres: _Centres) -> _Records:
    kj_nr, kj_res, extra = _people(rng, _VISITS, year, scale, 4, reserved_male_share=0.1)
    p_nr = kj_nr.size
    n_res = kj_res.size
    propensity = rng.gamma(0.45, 1.0, p_nr) + 1e-9
    counts = _records_per_person(rng, p_nr, extra, propensity)
    owner, _, starts = _expand(counts)
    weights = _centre_weights(centres, rng)
    home = _assign_centres(rng, kj_nr, weights)
    day_w = _visit_day_weights(year)
    y0 = _epoch_day(dt.date(year, 1, 1))
    dato = (y0 + _choose(rng, owner.size, day_w)).astype(np.int32)
    first = np.zeros(owner.size, dtype=np.int8)
    if owner.size:
        earliest = np.minimum.reduceat(dato, starts) if starts.size else dato[:0]
        pos = np.flatnonzero(dato == np.repeat(earliest, counts))
        keep = np.concatenate([[True], owner[pos][1:] != owner[pos][:-1]])
        first[pos[keep]] = 1
    res_centre = _assign_centres(rng, kj_res, weights)
    res_dato = (y0 + _choose(rng, n_res, day_w)).astype(np.int32)
    shares = _VISIT_SHARES[_profile_year(year, _VISIT_SHARES)]
    base_score = 1.2 * first + 0.6 * rng.standard_normal(owner.size)
    help_nr = _tick_help(rng, owner.size, shares, base_score, contract.VISIT_HELP)
    return _records(year=year, owner=owner, n_persons=p_nr, kjonn=kj_nr[owner], kjonn_reserved=kj_res,
                    centre=np.concatenate([home[owner], res_centre]), first=first, help_nr=help_nr,
                    help_columns=contract.VISIT_HELP, start=(dato, res_dato))


# --- writing CSV ---------------------------------------------------------------------------------

_KJONN_SQL = "['K','M','A','U'][kjonn + 1]"


def _padded(expr: str, width: int) -> str:
    """SQL for the decimal digits of a non-negative integer, zero-padded to `width` (never cut)."""
    return f"lpad(CAST({expr} AS VARCHAR), {width}, '0')"


# the same ids as _centre_id, for the 0-based centre numbers of the record tables
_CENTRE_ID_SQL = f"'KS' || {_padded(f'(centre + 1) % {MAX_CENTRES}', ID_DIGITS)}"


def _pseudonym_sql(letter: str) -> str:
    return f"'{letter}' || lower(lpad(to_hex(pid), 10, '0'))"


def _copy_csv(con: duckdb.DuckDBPyConnection, table: dict[str, npt.NDArray[np.generic]],
              select: str, columns: Sequence[str], path: Path) -> None:
    path.with_name(path.name + ".gz").unlink(missing_ok=True)  # both forms at once is an error
    tmp = path.with_name(path.name + ".tmp")
    con.register("src", table)
    try:
        rel = con.sql(f"SELECT {select} FROM src")
        if tuple(rel.columns) != tuple(columns):
            raise RuntimeError(f"{path.name}: columns {rel.columns} differ from the contract")
        target = str(tmp).replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM src) TO '{target}' (FORMAT csv, HEADER, DELIMITER ',')")
    finally:
        con.unregister("src")
    os.replace(tmp, path)


def _sorted_table(rec: _Records, pid: IntArray, order: IntArray) -> dict[str, npt.NDArray[np.generic]]:
    table: dict[str, npt.NDArray[np.generic]] = {
        "seq": np.arange(1, order.size + 1, dtype=np.int64),
        "pid": pid[rec.person[order]],
        "centre": rec.centre[order].astype(np.int32),
        "kjonn": rec.kjonn[order],
        "d_start": rec.start[order],
        "first_flag": rec.first[order],
        "res_flag": rec.reserved[order],
    }
    if rec.alder.size:
        table["alder"] = rec.alder[order]
    if rec.end.size:
        table["d_end"] = rec.end[order]
    for c, v in rec.help.items():
        table[f"h_{c}"] = v[order]
    return table


def _help_sql(columns: Sequence[str]) -> str:
    return ", ".join(f"NULLIF(h_{c}, -1) AS {c}" for c in columns)


def _write_stays(con: duckdb.DuckDBPyConnection, rec: _Records, path: Path, *, seed: int, year: int,
                 population: int, id_letter: str, person_letter: str, person_col: str,
                 columns: Sequence[str], help_cols: Sequence[str]) -> None:
    order = np.lexsort((rec.person, rec.centre, rec.start))
    n_persons = int(rec.person.max()) + 1 if rec.person.size else 0
    pid = _pseudonyms(seed, year, population, np.arange(n_persons, dtype=np.int64))
    table = _sorted_table(rec, pid, order)
    select = (
        f"'{year}{id_letter}' || {_padded('seq', max(7, len(str(order.size))))} AS opphold_id, "
        f"{_pseudonym_sql(person_letter)} AS {person_col}, "
        f"{_CENTRE_ID_SQL} AS senter_id, "
        f"{_KJONN_SQL} AS kjonn, NULLIF(alder, -1) AS alder, "
        "DATE '1970-01-01' + d_start AS innflyttet, "
        "CASE WHEN d_end < 0 THEN NULL ELSE DATE '1970-01-01' + d_end END AS utflyttet, "
        "first_flag AS forste_opphold_i_aret, res_flag AS reservert, " + _help_sql(help_cols)
    )
    _copy_csv(con, table, select, columns, path)


def _write_visits(con: duckdb.DuckDBPyConnection, rec: _Records, path: Path, *, seed: int, year: int) -> None:
    key = rec.start.astype(np.int64) * np.int64(1 << 24) + rec.centre
    order = np.argsort(key, kind="stable")
    n_persons = int(rec.person.max()) + 1 if rec.person.size else 0
    pid = _pseudonyms(seed, year, 2, np.arange(n_persons, dtype=np.int64))
    table = _sorted_table(rec, pid, order)
    select = (
        f"'{year}D' || {_padded('seq', max(8, len(str(order.size))))} AS besok_id, "
        f"{_pseudonym_sql('P')} AS person_id, "
        f"{_CENTRE_ID_SQL} AS senter_id, {_KJONN_SQL} AS kjonn, "
        "DATE '1970-01-01' + d_start AS dato, first_flag AS forste_besok_i_aret, res_flag AS reservert, "
        + _help_sql(contract.VISIT_HELP)
    )
    _copy_csv(con, table, select, contract.VISIT_COLUMNS, path)


def _write_releases(path: Path, years: Sequence[int]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["year", "status", "note"])
        for y in sorted(set(years)):
            status = contract.PUBLISHED if y < _BASE_YEAR else contract.DRAFT
            note = _RELEASE_NOTES.get(y, "Publisert." if status == contract.PUBLISHED else "Utkast.")
            writer.writerow([y, status, note])
    os.replace(tmp, path)


# --- entry point ---------------------------------------------------------------------------------


def generate(out_dir: Path, *, years: Sequence[int] = DEFAULT_YEARS, scale: float = 1.0,
             seed: int = DEFAULT_SEED) -> list[Path]:
    """Write sample deliveries `out_dir/raw/<year>/` for `years` and `out_dir/releases.csv`.

    Returns the written paths. Same arguments give byte-identical CSV files and identical
    spreadsheet cell values.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    written: list[Path] = []
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        for year in sorted(set(years)):
            folder = out_dir / "raw" / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            centres = _centres(seed, year, scale)
            answers = _survey_answers(_rng(seed, year, 1), centres, year)
            survey_path = folder / contract.SURVEY_FILE
            _write_survey(survey_path, centres, answers, year)
            written.append(survey_path)

            adults = _adults(_rng(seed, year, 2), year, scale, centres)
            children = _children(_rng(seed, year, 3), year, scale, adults)
            adult_path = folder / contract.ADULT_FILE
            _write_stays(con, adults, adult_path, seed=seed, year=year, population=0, id_letter="V",
                         person_letter="P", person_col="person_id", columns=contract.ADULT_COLUMNS,
                         help_cols=contract.ADULT_HELP)
            del adults
            child_path = folder / contract.CHILD_FILE
            _write_stays(con, children, child_path, seed=seed, year=year, population=1,
                         id_letter="B", person_letter="B", person_col="barn_id",
                         columns=contract.CHILD_COLUMNS, help_cols=contract.CHILD_HELP)
            del children
            visits = _visits(_rng(seed, year, 4), year, scale, centres)
            visit_path = folder / contract.VISIT_FILE
            _write_visits(con, visits, visit_path, seed=seed, year=year)
            del visits
            written.extend([adult_path, child_path, visit_path])
    finally:
        con.close()
    releases = out_dir / "releases.csv"
    _write_releases(releases, years)
    written.append(releases)
    return written


class WouldReplace(RuntimeError):
    """The target folder holds files that are not the generator's own output."""


def _same_content(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    if a.suffix != ".xlsx":
        return False
    from openpyxl import load_workbook

    def cells(p: Path) -> list[tuple[object, ...]]:
        try:
            wb = load_workbook(p, read_only=True)
        except Exception:  # not a workbook: not ours
            return [("<unreadable>", str(p))]
        try:
            return [tuple(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()

    return cells(a) == cells(b)


def generate_safely(out_dir: Path, *, years: Sequence[int] = DEFAULT_YEARS, scale: float = 1.0,
                    seed: int = DEFAULT_SEED) -> list[Path]:
    """`generate`, without destroying work: write into an empty or absent folder, or over files that
    are still exactly the generator's output. `releases.csv` is written only into a new folder; the
    ledger never. Raises WouldReplace listing every file that would be replaced."""
    import shutil
    import tempfile

    out_dir = Path(out_dir)
    fresh = not out_dir.exists() or not any(out_dir.iterdir())
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".sample-") as tmp:
        made = generate(Path(tmp), years=years, scale=scale, seed=seed)
        plan: list[tuple[Path, Path]] = []
        conflicts: list[Path] = []
        for path in made:
            rel = path.relative_to(tmp)
            target = out_dir / rel
            if rel == Path("releases.csv") and not fresh:
                continue  # the release records of an existing data folder are never touched
            if target.exists():
                if _same_content(target, path):
                    continue
                conflicts.append(target)
            plan.append((path, target))
        if conflicts:
            raise WouldReplace(
                f"{out_dir} holds {len(conflicts)} file(s) that differ from the sample and would be replaced; "
                "nothing was written. Move them away, or generate into an empty folder:\n"
                + "\n".join(f"  {p}" for p in conflicts))
        written = []
        for source, target in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    return written

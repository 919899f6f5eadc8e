"""Deterministic generator of realistic sample deliveries (contract section 1).

`generate(out_dir)` writes `out_dir/raw/<year>/` with the four delivery files and
`out_dir/releases.csv`. At `scale=1.0` the files reproduce every figure Bufdir published for
"Bo- og dagtilbud" 2020-2024 (`reference/published_figures.csv`): centre counts, the shares of
stays and visits that received help, and the numbers of stays, visits and persons. Figures that
were never published get plausible values that follow the trends described on the page.

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

from krise_pipeline import codebook, contract

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

# --- centres -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BaseCentre:
    name: str
    kommune_nr: str  # 2020-2023 (after the 2020 reform)
    kommune_nr_2024: str  # after the 2024 county split
    size: float  # relative number of users


_BASE_CENTRES: tuple[_BaseCentre, ...] = (
    _BaseCentre("Krisesenteret i Oslo", "0301", "0301", 10.0),
    _BaseCentre("Krisesenteret i Bergen", "4601", "4601", 6.0),
    _BaseCentre("Krisesenteret i Trondheim", "5001", "5001", 5.0),
    _BaseCentre("Krisesenteret i Stavanger", "1103", "1103", 5.0),
    _BaseCentre("Krisesenteret i Kristiansand", "4204", "4204", 3.5),
    _BaseCentre("Krisesenteret i Drammen", "3005", "3301", 3.5),
    _BaseCentre("Krisesenteret i Fredrikstad", "3004", "3107", 3.0),
    _BaseCentre("Krisesenteret i Bærum", "3024", "3201", 3.0),
    _BaseCentre("Krisesenteret i Lillestrøm", "3030", "3205", 3.0),
    _BaseCentre("Krisesenteret i Tønsberg", "3803", "3905", 2.5),
    _BaseCentre("Krisesenteret i Skien", "3807", "4003", 2.5),
    _BaseCentre("Krisesenteret i Tromsø", "5401", "5501", 2.5),
    _BaseCentre("Krisesenteret for Sunnmøre", "1507", "1508", 2.5),
    _BaseCentre("Krisesenteret i Bodø", "1804", "1804", 2.0),
    _BaseCentre("Krisesenteret i Hamar", "3403", "3403", 2.0),
    _BaseCentre("Krisesenteret i Haugesund", "1106", "1106", 2.0),
    _BaseCentre("Krisesenteret i Sandefjord", "3804", "3907", 2.0),
    _BaseCentre("Krisesenteret i Arendal", "4203", "4203", 2.0),
    _BaseCentre("Krisesenteret i Moss", "3002", "3103", 1.8),
    _BaseCentre("Krisesenteret i Asker", "3025", "3203", 1.8),
    _BaseCentre("Krisesenteret i Gjøvik", "3407", "3407", 1.5),
    _BaseCentre("Krisesenteret i Lillehammer", "3405", "3405", 1.5),
    _BaseCentre("Krisesenteret i Molde", "1506", "1506", 1.5),
    _BaseCentre("Krisesenteret i Kristiansund", "1505", "1505", 1.2),
    _BaseCentre("Krisesenteret i Halden", "3001", "3101", 1.2),
    _BaseCentre("Krisesenteret i Kongsberg", "3006", "3303", 1.2),
    _BaseCentre("Krisesenteret i Ringerike", "3007", "3305", 1.2),
    _BaseCentre("Krisesenteret i Steinkjer", "5006", "5006", 1.2),
    _BaseCentre("Krisesenteret i Levanger", "5037", "5037", 1.0),
    _BaseCentre("Krisesenteret i Namsos", "5007", "5007", 0.8),
    _BaseCentre("Krisesenteret i Rana", "1833", "1833", 1.0),
    _BaseCentre("Krisesenteret i Narvik", "1806", "1806", 0.8),
    _BaseCentre("Krisesenteret i Harstad", "5402", "5503", 1.0),
    _BaseCentre("Krisesenteret i Alta", "5403", "5601", 0.9),
    _BaseCentre("Krisesenteret i Hammerfest", "5406", "5603", 0.6),
    _BaseCentre("Krisesenteret i Vadsø", "5405", "5607", 0.5),
    _BaseCentre("Krisesenteret i Sør-Varanger", "5444", "5605", 0.5),
    _BaseCentre("Krisesenteret i Kongsvinger", "3401", "3401", 1.0),
    _BaseCentre("Krisesenteret i Elverum", "3420", "3420", 0.9),
    _BaseCentre("Krisesenteret i Stord", "4614", "4614", 1.0),
    _BaseCentre("Krisesenteret i Sunnfjord", "4647", "4647", 0.9),
    _BaseCentre("Krisesenteret i Lofoten", "1865", "1865", 0.6),
    _BaseCentre("Krisesenteret i Vesterålen", "1870", "1870", 0.6),
)
_MEN_ONLY_CENTRE = _BaseCentre("Krisesenteret for Sunnmøre, avdeling for menn", "1507", "1508", 0.4)


@dataclass(frozen=True)
class _CentreProfile:
    regular: int  # centres with an offer for women
    men_only: int  # centres with an offer for men only
    no_men: int  # regular centres without an offer for men
    men_types: tuple[int, int, int]  # egne_lokaler, samme_bygning, midlertidig (sum = men's offers)


_CENTRE_PROFILES: dict[int, _CentreProfile] = {
    2020: _CentreProfile(43, 0, 4, (10, 25, 4)),
    2021: _CentreProfile(43, 1, 4, (12, 25, 3)),
    2022: _CentreProfile(43, 0, 2, (12, 24, 5)),
    2023: _CentreProfile(43, 0, 1, (13, 24, 5)),
    2024: _CentreProfile(43, 0, 1, (13, 24, 5)),
}

# --- survey answers ----------------------------------------------------------------------------
# 2024 counts per item: (women's offers of 43, men's offers of 42) for scope kvinner_menn, (centres
# of 43,) for scope senter. Published figures are exact; the rest follow the page's wording
# ("nesten alle", "mange", "mindre vanlig"). "minst_ett" is the number of centres with at least one
# item where the page gives it.
_BASE_YEAR = 2024
_SURVEY_2024: dict[tuple[str, str], tuple[int, ...]] = {
    ("tilbud_beboere", "inntakssamtale"): (43, 42),
    ("tilbud_beboere", "kartlegging_hjelpebehov"): (43, 41),
    ("tilbud_beboere", "kartlegging_trusler_senter"): (43, 42),
    ("tilbud_beboere", "kartlegging_trusler_andre"): (36, 31),
    ("tilbud_beboere", "enesamtaler"): (43, 42),
    ("tilbud_beboere", "hjelp_kontakt_tjenester"): (43, 42),
    ("tilbud_beboere", "deltakelse_mote_tjenester"): (43, 42),
    ("tilbud_beboere", "praktisk_hjelp"): (43, 41),
    ("tilbud_beboere", "plan_under_opphold"): (42, 40),
    ("tilbud_beboere", "primaerkontakt"): (41, 38),
    ("tilbud_beboere", "samarbeidsgrupper"): (40, 35),
    ("tilbud_beboere", "hjelp_bolig"): (42, 40),
    ("tilbud_beboere", "plan_etter_opphold"): (41, 36),
    ("tilbud_beboere", "foreldreveiledning"): (13, 8),
    ("tilbud_beboere", "fritid_senter"): (38, 30),
    ("tilbud_beboere", "fritid_andre"): (30, 24),
    ("tilbud_beboere", "samvaer_overlevering"): (35, 27),
    ("tilbud_beboere", "barnepass"): (36, 22),
    ("tilbud_beboere", "advokatbistand"): (24, 21),
    ("mal_beboere", "inntakssamtale"): (43, 42),
    ("mal_beboere", "kartlegging_beskyttelsesbehov"): (43, 42),
    ("mal_beboere", "kartlegging_hjelpebehov"): (41, 40),
    ("mal_beboere", "oppfolging_under"): (41, 39),
    ("mal_beboere", "oppfolging_etter"): (37, 33),
    ("tilbud_barn", "velkomstsamtale"): (43, 42),
    ("tilbud_barn", "kartlegging_hjelpebehov"): (42, 41),
    ("tilbud_barn", "kartlegging_trusler_senter"): (42, 41),
    ("tilbud_barn", "kartlegging_trusler_andre"): (40, 39),
    ("tilbud_barn", "samtale_uten_forelder"): (42, 41),
    ("tilbud_barn", "samtale_med_forelder"): (41, 40),
    ("tilbud_barn", "samarbeid_barnehage_skole"): (42, 40),
    ("tilbud_barn", "grupper_for_barn"): (30, 25),
    ("tilbud_barn", "samarbeidsgrupper"): (39, 34),
    ("tilbud_barn", "skoletilbud"): (12, 10),
    ("tilbud_barn", "skyss"): (33, 30),
    ("tilbud_barn", "plan_under_opphold"): (38, 35),
    ("tilbud_barn", "fritid_senter"): (34, 30),
    ("tilbud_barn", "fritid_andre"): (28, 24),
    ("mal_barn", "velkomstsamtale"): (40, 39),
    ("mal_barn", "kartlegging_hjelpebehov"): (36, 33),
    ("mal_barn", "oppfolging_under"): (35, 33),
    ("mal_barn", "oppfolging_etter"): (22, 20),
    ("tilbud_dagbrukere", "enesamtaler"): (43, 42),
    ("tilbud_dagbrukere", "hjelp_kontakt_tjenester"): (43, 42),
    ("tilbud_dagbrukere", "kartlegging_hjelpebehov"): (42, 42),
    ("tilbud_dagbrukere", "kartlegging_trusler_senter"): (42, 42),
    ("tilbud_dagbrukere", "kartlegging_trusler_andre"): (37, 32),
    ("tilbud_dagbrukere", "deltakelse_mote_tjenester"): (41, 40),
    ("tilbud_dagbrukere", "botilbud"): (33, 30),
    ("tilbud_dagbrukere", "fritid_senter"): (35, 27),
    ("tilbud_dagbrukere", "fritid_andre"): (27, 23),
    ("tilbud_dagbrukere", "foreldreveiledning"): (14, 10),
    ("tilbud_dagbrukere", "advokatbistand"): (20, 16),
    ("prosedyre_dagbrukere", "kartlegging"): (40, 38),
    ("prosedyre_dagbrukere", "oppfolging"): (37, 37),
    ("tilbud_parorende", "minst_ett"): (38, 36),
    ("tilbud_parorende", "enesamtaler"): (37, 35),
    ("tilbud_parorende", "hjelp_kontakt_tjenester"): (34, 33),
    ("tilbud_parorende", "foreldreveiledning"): (6, 4),
    ("tilbud_parorende", "annet"): (5, 6),
    ("sikkerhetstiltak", "kamera_inngang"): (43, 35),
    ("sikkerhetstiltak", "porttelefon"): (42, 33),
    ("sikkerhetstiltak", "rutiner_gjennomgang"): (41, 38),
    ("sikkerhetstiltak", "sikrede_vinduer"): (36, 33),
    ("sikkerhetstiltak", "innbruddsalarm"): (37, 34),
    ("sikkerhetstiltak", "kontroll_prosedyre"): (35, 28),
    ("sikkerhetstiltak", "uteareal"): (36, 33),
    ("sikkerhetstiltak", "uteareal_lek"): (37, 26),
    ("sikkerhetstiltak", "taushetserklaering"): (34, 32),
    ("sikkerhetstiltak", "trusselrutine"): (38, 37),
    ("sikkerhetstiltak", "adgangskontroll"): (33, 27),
    ("sikkerhetstiltak", "sara"): (20, 17),
    ("sikkerhetstiltak", "annet"): (10, 5),
    ("politivurdering", "vurdert"): (30, 22),
    ("politivurdering", "skriftlig"): (11, 9),
    ("brukermedvirkning", "minst_ett"): (38, 37),
    ("brukermedvirkning", "evalueringsskjema"): (30, 28),
    ("brukermedvirkning", "evalueringssamtale"): (25, 24),
    ("brukermedvirkning", "beboermote"): (27, 25),
    ("brukermedvirkning", "annet"): (8, 6),
    ("informasjonsarbeid", "minst_ett"): (43,),
    ("informasjonsarbeid", "brosjyrer"): (38,),
    ("informasjonsarbeid", "hjelpeapparat"): (37,),
    ("informasjonsarbeid", "facebook"): (36,),
    ("informasjonsarbeid", "andre_sosiale_medier"): (14,),
    ("informasjonsarbeid", "annonser"): (11,),
    ("informasjonsarbeid", "utdanningsinstitusjoner"): (30,),
    ("informasjonsarbeid", "annet"): (20,),
    ("utdanningsinstitusjoner", "hoyskole"): (22,),
    ("utdanningsinstitusjoner", "videregaende"): (21,),
    ("utdanningsinstitusjoner", "grunnskole"): (15,),
    ("nettside", "egen_nettside"): (38,),
    ("nettside", "flere_sprak"): (26,),
    ("nettside", "synshemmede"): (12,),
}

# Counts in other years where the page states a figure or a change ("en økning fra 2023 til 2024",
# "en nedgang sammenlignet med 2022 og 2023"). Key: (question, item, group) with group k/m/a.
_SURVEY_OTHER_YEARS: dict[tuple[str, str, str], dict[int, int]] = {
    ("tilbud_beboere", "kartlegging_trusler_andre", "k"): {2020: 38, 2021: 37, 2022: 35, 2023: 33},
    ("tilbud_beboere", "plan_under_opphold", "k"): {2020: 42, 2021: 42, 2022: 42, 2023: 40},
    ("tilbud_beboere", "plan_etter_opphold", "k"): {2020: 41, 2021: 41, 2022: 40, 2023: 39},
    ("tilbud_beboere", "fritid_andre", "k"): {2020: 31, 2021: 30, 2022: 29, 2023: 27},
    ("tilbud_beboere", "samvaer_overlevering", "k"): {2022: 37, 2023: 37},
    ("tilbud_beboere", "samvaer_overlevering", "m"): {2022: 30, 2023: 29},
    ("tilbud_beboere", "barnepass", "k"): {2020: 41, 2021: 40, 2022: 38, 2023: 38},
    ("tilbud_beboere", "barnepass", "m"): {2022: 25, 2023: 24},
    ("tilbud_beboere", "foreldreveiledning", "k"): {2020: 17, 2021: 17, 2022: 16, 2023: 15},
    ("tilbud_beboere", "foreldreveiledning", "m"): {2022: 11, 2023: 10},
    ("tilbud_beboere", "kartlegging_trusler_senter", "k"): {2020: 42},
    ("tilbud_beboere", "hjelp_bolig", "k"): {2020: 43},
    ("tilbud_beboere", "hjelp_bolig", "m"): {2020: 39},
    ("tilbud_beboere", "samarbeidsgrupper", "k"): {2020: 41},
    ("tilbud_beboere", "praktisk_hjelp", "k"): {2020: 42},
    ("tilbud_beboere", "kartlegging_trusler_senter", "m"): {2023: 41},
    ("tilbud_beboere", "hjelp_kontakt_tjenester", "m"): {2023: 41},
    ("tilbud_beboere", "deltakelse_mote_tjenester", "m"): {2023: 40},
    ("tilbud_beboere", "advokatbistand", "m"): {2023: 19},
    ("tilbud_barn", "skoletilbud", "k"): {2023: 14},
    ("tilbud_barn", "kartlegging_hjelpebehov", "k"): {2023: 40},
    ("tilbud_barn", "plan_under_opphold", "k"): {2023: 36},
    ("tilbud_barn", "fritid_andre", "k"): {2023: 25},
    ("tilbud_barn", "kartlegging_trusler_andre", "k"): {2022: 37, 2023: 38},
    ("mal_barn", "oppfolging_etter", "k"): {2023: 25},
    ("mal_barn", "kartlegging_hjelpebehov", "k"): {2023: 34},
    ("tilbud_dagbrukere", "advokatbistand", "k"): {2023: 18},
    ("tilbud_dagbrukere", "fritid_andre", "k"): {2023: 25},
    ("sikkerhetstiltak", "kamera_inngang", "m"): {2023: 33},
    ("sikkerhetstiltak", "porttelefon", "m"): {2023: 31},
    ("sikkerhetstiltak", "kontroll_prosedyre", "m"): {2023: 26},
    ("sikkerhetstiltak", "uteareal_lek", "m"): {2023: 24},
    ("sikkerhetstiltak", "adgangskontroll", "m"): {2023: 25},
    ("sikkerhetstiltak", "innbruddsalarm", "m"): {2023: 32},
    ("politivurdering", "vurdert", "k"): {2023: 28},
    ("politivurdering", "vurdert", "m"): {2023: 20},
    ("politivurdering", "skriftlig", "k"): {2023: 10},
    ("politivurdering", "skriftlig", "m"): {2023: 8},
    ("brukermedvirkning", "evalueringssamtale", "k"): {2020: 33, 2021: 31, 2022: 29, 2023: 27},
    ("brukermedvirkning", "evalueringssamtale", "m"): {2020: 28, 2021: 28, 2022: 27, 2023: 26},
    ("brukermedvirkning", "evalueringsskjema", "k"): {2020: 24, 2021: 22, 2022: 25, 2023: 28},
    ("brukermedvirkning", "evalueringsskjema", "m"): {2020: 20, 2021: 19, 2022: 23, 2023: 26},
    ("informasjonsarbeid", "minst_ett", "a"): {2020: 42},
    ("informasjonsarbeid", "brosjyrer", "a"): {2020: 33, 2021: 34, 2022: 34, 2023: 35},
    ("informasjonsarbeid", "annonser", "a"): {2020: 17, 2021: 16, 2022: 15, 2023: 14},
    ("nettside", "egen_nettside", "a"): {2020: 40, 2021: 40, 2022: 39, 2023: 39},
    ("nettside", "flere_sprak", "a"): {2020: 18, 2021: 20, 2022: 22, 2023: 25},
    ("nettside", "synshemmede", "a"): {2020: 6, 2021: 7, 2022: 8, 2023: 13},
}

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

# --- user records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Volume:
    records: int  # stays or visits of the year
    persons: int  # records with the first-stay/first-visit flag
    reserved: int  # reserved records (each its own pseudonym)
    minorities: tuple[int, ...]  # persons by kjonn except K: (M, A, U) for adults, (M, U) children


_ADULTS: dict[int, _Volume] = {
    2020: _Volume(2198, 1668, 88, (137, 2, 1)),
    2021: _Volume(2068, 1795, 85, (159, 4, 1)),
    2022: _Volume(2477, 2110, 131, (189, 5, 3)),
    2023: _Volume(2585, 2193, 115, (233, 6, 4)),
    2024: _Volume(2715, 2340, 110, (210, 4, 3)),
}
_CHILDREN: dict[int, _Volume] = {
    2020: _Volume(1495, 1258, 60, (622, 6)),
    2021: _Volume(1700, 1442, 55, (720, 6)),
    2022: _Volume(1821, 1482, 70, (741, 6)),
    2023: _Volume(1812, 1544, 66, (765, 7)),
    2024: _Volume(1998, 1704, 72, (846, 8)),
}
_VISITS: dict[int, _Volume] = {
    2020: _Volume(8115, 2212, 190, (190, 7, 5)),
    2021: _Volume(7942, 2538, 180, (204, 10, 6)),
    2022: _Volume(11043, 2952, 260, (255, 10, 7)),
    2023: _Volume(13475, 3358, 300, (285, 8, 5)),
    2024: _Volume(13586, 3745, 330, (355, 12, 8)),
}

# Shares of non-reserved records with the help given; "begge" = by the centre and by others.
_ADULT_SHARES: dict[int, dict[str, float]] = {
    2020: dict(inntakssamtale=0.96, kartlegging_hjelpebehov=0.78, kartlegging_trusler_senter=0.66,
               kartlegging_trusler_andre=0.24, begge=0.21, plan_under_opphold=0.55,
               plan_etter_opphold=0.26),
    2021: dict(inntakssamtale=0.97, kartlegging_hjelpebehov=0.79, kartlegging_trusler_senter=0.68,
               kartlegging_trusler_andre=0.25, begge=0.22, plan_under_opphold=0.57,
               plan_etter_opphold=0.27),
    2022: dict(inntakssamtale=0.97, kartlegging_hjelpebehov=0.80, kartlegging_trusler_senter=0.70,
               kartlegging_trusler_andre=0.24, begge=0.22, plan_under_opphold=0.59,
               plan_etter_opphold=0.28),
    2023: dict(inntakssamtale=0.98, kartlegging_hjelpebehov=0.81, kartlegging_trusler_senter=0.71,
               kartlegging_trusler_andre=0.26, begge=0.24, plan_under_opphold=0.61,
               plan_etter_opphold=0.29),
    2024: dict(inntakssamtale=0.98, kartlegging_hjelpebehov=0.82, kartlegging_trusler_senter=0.73,
               kartlegging_trusler_andre=0.27, begge=0.25, plan_under_opphold=0.63,
               plan_etter_opphold=0.30),
}
_CHILD_SHARES: dict[int, dict[str, float]] = {
    2020: dict(velkomstsamtale=0.58, kartlegging_hjelpebehov=0.47, kartlegging_trusler_senter=0.46,
               kartlegging_trusler_andre=0.20, begge=0.17, plan_under_opphold=0.38),
    2021: dict(velkomstsamtale=0.60, kartlegging_hjelpebehov=0.49, kartlegging_trusler_senter=0.48,
               kartlegging_trusler_andre=0.20, begge=0.17, plan_under_opphold=0.40),
    2022: dict(velkomstsamtale=0.61, kartlegging_hjelpebehov=0.50, kartlegging_trusler_senter=0.50,
               kartlegging_trusler_andre=0.21, begge=0.18, plan_under_opphold=0.42),
    2023: dict(velkomstsamtale=0.63, kartlegging_hjelpebehov=0.52, kartlegging_trusler_senter=0.52,
               kartlegging_trusler_andre=0.21, begge=0.19, plan_under_opphold=0.44),
    2024: dict(velkomstsamtale=0.65, kartlegging_hjelpebehov=0.53, kartlegging_trusler_senter=0.51,
               kartlegging_trusler_andre=0.18, begge=0.16, plan_under_opphold=0.45),
}
_VISIT_SHARES: dict[int, dict[str, float]] = {
    2020: dict(kartlegging_hjelpebehov=0.21, kartlegging_trusler_senter=0.15,
               kartlegging_trusler_andre=0.04, begge=0.03),
    2021: dict(kartlegging_hjelpebehov=0.22, kartlegging_trusler_senter=0.16,
               kartlegging_trusler_andre=0.04, begge=0.03),
    2022: dict(kartlegging_hjelpebehov=0.23, kartlegging_trusler_senter=0.16,
               kartlegging_trusler_andre=0.04, begge=0.03),
    2023: dict(kartlegging_hjelpebehov=0.24, kartlegging_trusler_senter=0.17,
               kartlegging_trusler_andre=0.04, begge=0.03),
    2024: dict(kartlegging_hjelpebehov=0.25, kartlegging_trusler_senter=0.182,
               kartlegging_trusler_andre=0.0355, begge=0.0345),
}

# Children's ages: share of children in 0-2, 3-5, 6-10, 11-17. In 2020 (a year the published
# figures do not cover) the 3-5 group is deliberately tiny, so that the sample has a cell below the
# suppression threshold: its share is shown as '..', and secondary suppression hides 0-2 as well.
_CHILD_AGE_SHARES: dict[int, tuple[float, float, float, float]] = {
    2020: (0.30, 0.009, 0.37, 0.321),
    2021: (0.23, 0.21, 0.29, 0.27),
    2022: (0.22, 0.21, 0.30, 0.27),
    2023: (0.22, 0.21, 0.30, 0.27),
    2024: (0.21, 0.20, 0.30, 0.29),
}


@dataclass(frozen=True)
class _AgeRate:
    lo: int
    hi: int
    rate: float  # typical share of stays with a welcome talk
    min_rate: float
    max_rate: float


# Welcome talk by age: the published 2024 text uses four groups, the 2023 text three.
_WELCOME_BY_AGE: dict[int, tuple[_AgeRate, ...]] = {
    2024: (_AgeRate(0, 2, 0.20, 0.15, 0.24), _AgeRate(3, 5, 0.60, 0.555, 0.64),
           _AgeRate(6, 10, 0.80, 0.755, 0.84), _AgeRate(11, 17, 0.87, 0.85, 0.89)),
    2023: (_AgeRate(0, 2, 0.20, 0.155, 0.24), _AgeRate(3, 5, 0.60, 0.555, 0.64),
           _AgeRate(6, 17, 0.80, 0.755, 0.84)),
}
_WELCOME_DEFAULT = (_AgeRate(0, 2, 0.18, 0.08, 0.30), _AgeRate(3, 5, 0.55, 0.45, 0.68),
                    _AgeRate(6, 10, 0.76, 0.65, 0.88), _AgeRate(11, 17, 0.84, 0.72, 0.95))

_RELEASE_NOTES: dict[int, str] = {
    2020: "Publisert juni 2021. Pandemiår: tallene er ikke fullt sammenlignbare med tidligere år.",
    2021: "Publisert juni 2022. Fra 2021 telles også personer som har reservert seg.",
    2022: "Publisert juni 2023.",
    2023: "Publisert juni 2024.",
    2024: "Utkast til publisering i juni 2025.",
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

_GROUP_INDEX = {"k": 0, "m": 1, "a": 0}


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
    v24_tuple = _SURVEY_2024.get((question, item))
    v24 = v24_tuple[_GROUP_INDEX[group]] if v24_tuple else _rhu(0.6 * b24)
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


def _scaled_volume(vol: _Volume, scale: float) -> _Volume:
    records = _rhu(vol.records * scale)
    persons = min(records, _rhu(vol.persons * scale))
    reserved = min(_rhu(vol.reserved * scale), persons)
    minorities = tuple(_rhu(v * scale) for v in vol.minorities)
    return _Volume(records, persons, reserved, minorities)


def _kjonn_split(vol: _Volume, year: int, rng: np.random.Generator, n_codes: int,
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


def _people(rng: np.random.Generator, volumes: Mapping[int, _Volume], year: int, scale: float, n_codes: int,
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
    groups = ((0, 2), (3, 5), (6, 10), (11, 17))
    g = rng.choice(4, size=n, p=np.asarray(shares) / sum(shares))
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

"""A quick pass over the survey's cells that proves a sheet clean, in plain Python.

The survey's rules are the pandera model `models.Sentreskjema`: it locates and names every
failing cell. Most deliveries break none of them, and importing pandas and pandera costs more
than checking a sheet of some 45 centres, so the survey is first screened here: `clean` says
True only when the model would find nothing (every value text, every rule of the model held).
Anything else, and any doubt, sends the survey to the model, which then writes the report.
The tests hold the two together: on every rule case of the suite and on fuzzed sheets, `clean`
answers exactly whether the model finds a failure.

The patterns and code lists are shared with the model (one definition of each rule's values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from krise_pipeline import contract

FLAG_VALUES: Final = ("0", "1", "")
SENTER_ID: Final = re.compile(r"KS[0-9]{3}")
KOMMUNE_NR: Final = re.compile(r"[0-9]{4}")
BOTILBUD_VALUES: Final = (*contract.BOTILBUD_MENN_TYPES, "")


def clean(columns: Mapping[str, Sequence[object]]) -> bool:
    """Whether the survey's columns (contract name -> the text of each centre's cell, every fixed
    column present) pass every rule of `models.Sentreskjema`."""
    if not all(type(v) is str for values in columns.values() for v in values):
        return False
    ids = columns["senter_id"]
    if len(set(ids)) != len(ids) or not all(SENTER_ID.fullmatch(str(v)) for v in ids):
        return False  # required, pattern, unique
    if not all(KOMMUNE_NR.fullmatch(str(v)) for v in columns["kommune_nr"]):
        return False  # required, pattern
    if not all(str(v).strip() for v in columns["senter_navn"]):
        return False
    offers = {group: columns[f"har_tilbud_{group}"] for group in contract.SUFFIX_BY_GROUP}
    if not all(v in FLAG_VALUES for values in offers.values() for v in values):
        return False
    for offer, kind in zip(offers["menn"], columns["botilbud_menn_type"], strict=True):
        if kind not in BOTILBUD_VALUES or (offer == "1") != (kind != ""):
            return False  # code_list, required when har_tilbud_menn is 1, must_be_empty otherwise
    for name, values in columns.items():
        if name in contract.SURVEY_FIXED_COLUMNS:
            continue
        if not all(v in FLAG_VALUES for v in values):
            return False
        for group, suffix in contract.SUFFIX_BY_GROUP.items():
            if name.endswith(f"__{suffix}") and any(
                    v == "1" and offer != "1" for v, offer in zip(values, offers[group], strict=True)):
                return False  # no_offer: ticked for a group the centre has no offer for
    return True

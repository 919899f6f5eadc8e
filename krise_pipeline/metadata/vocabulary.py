"""Reader-facing Norwegian names for the codes of the publication tables (data/names.csv)."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Final

from krise_pipeline.metadata import contract

SOURCE: Final = "Bufdir, krisesenterstatistikken"
PAGE_TITLE: Final = "Bo- og dagtilbud"
PAGE_KICKER: Final = "Tall og statistikk fra krisesentrene i norske kommuner"

NAMES_FILE: Final = "names.csv"
KINDS: Final = ("target_group", "status", "population", "count_population", "measure", "breakdown", "age_group",
                "kjonn_adults", "kjonn_children")


class NamesError(ValueError):
    """data/names.csv does not give every code its one name."""


def read_names(text: str, source: str = NAMES_FILE) -> dict[str, dict[str, str]]:
    """The names by kind and code from the text of names.csv (`kind,code,name`), checked: a known
    kind, a code once per kind, a name, and every code the contract uses named."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != ["kind", "code", "name"]:
        raise NamesError(f"{source} line 1: the header must be kind,code,name")
    names: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3:
            raise NamesError(f"{source} line {line}: {len(row)} fields, expected 3 (kind,code,name)")
        kind, code, name = (v.strip() for v in row)
        if kind not in names:
            raise NamesError(f"{source} line {line}, column kind: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if not code or not name:
            raise NamesError(f"{source} line {line}, column {'code' if not code else 'name'}: empty")
        if code in names[kind]:
            raise NamesError(f"{source} line {line}, column code: {code!r} is named twice for {kind}")
        names[kind][code] = name
    required = {
        "target_group": (*contract.TARGET_GROUPS, contract.TARGET_GROUP_ALL),
        "status": contract.RELEASE_STATUSES,
        "population": tuple(contract.SHARE_POPULATIONS),
        "count_population": tuple(contract.COUNT_POPULATIONS),
        "measure": (*(m for _, helps in contract.SHARE_POPULATIONS.values() for m in helps),
                    *contract.DERIVED_MEASURES),
        "breakdown": tuple(contract.BREAKDOWNS),
        "age_group": tuple(c for b in ("aldersgruppe", "aldersgruppe_grov") for c in contract.BREAKDOWNS[b]),
        "kjonn_adults": contract.BREAKDOWNS["kjonn"],
        "kjonn_children": contract.BREAKDOWNS["kjonn"],
    }
    for kind, codes in required.items():
        missing = [c for c in dict.fromkeys(codes) if c not in names[kind]]
        if missing:
            raise NamesError(f"{source}: no name for the {kind} code{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}")
    return names


def _load() -> dict[str, dict[str, str]]:
    text = resources.files("krise_pipeline").joinpath("data", NAMES_FILE).read_text(encoding="utf-8")
    return read_names(text, f"krise_pipeline/data/{NAMES_FILE}")


NAMES: Final = _load()
TARGET_GROUP_NAMES: Final = NAMES["target_group"]
STATUS_NAMES: Final = NAMES["status"]
POPULATION_NAMES: Final = NAMES["population"]
COUNT_POPULATION_NAMES: Final = NAMES["count_population"]
MEASURE_NAMES: Final = NAMES["measure"]
BREAKDOWN_NAMES: Final = NAMES["breakdown"]
AGE_NAMES: Final = NAMES["age_group"]


def category_name(population: str, breakdown: str, category: str) -> str:
    if breakdown == "alle":
        return "Alle"
    if breakdown == "kjonn":
        children = population in ("barn_opphold", "barn")
        return NAMES["kjonn_children" if children else "kjonn_adults"].get(category, category)
    if breakdown in ("aldersgruppe", "aldersgruppe_grov"):
        return AGE_NAMES.get(category, category)
    return category


def population_order(population: str) -> int:
    order = (*contract.SHARE_POPULATIONS, *contract.COUNT_POPULATIONS)
    return order.index(population) if population in order else len(order)


def measure_order(population: str, measure: str) -> int:
    helps = contract.SHARE_POPULATIONS.get(population, ("", ()))[1]
    order = (*helps, *contract.DERIVED_MEASURES)
    return order.index(measure) if measure in order else len(order)


def breakdown_order(breakdown: str) -> int:
    order = tuple(contract.BREAKDOWNS)
    return order.index(breakdown) if breakdown in order else len(order)


def category_order(breakdown: str, category: str) -> int:
    order = contract.BREAKDOWNS.get(breakdown, ())
    return order.index(category) if category in order else len(order)

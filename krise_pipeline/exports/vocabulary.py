"""Reader-facing Norwegian names for the codes of the publication tables."""

from __future__ import annotations

from typing import Final

from krise_pipeline import contract

SOURCE: Final = "Bufdir, krisesenterstatistikken"
PAGE_TITLE: Final = "Bo- og dagtilbud"
PAGE_KICKER: Final = "Tall og statistikk fra krisesentrene i norske kommuner"

TARGET_GROUP_NAMES: Final = {
    "kvinner": "Tilbud til kvinner",
    "menn": "Tilbud til menn",
    "alle": "Alle sentre",
}

STATUS_NAMES: Final = {
    contract.DRAFT: "Utkast (ikke publisert)",
    contract.PUBLISHED: "Publisert",
    contract.REVISED: "Revidert",
}

POPULATION_NAMES: Final = {
    "voksne_opphold": "Opphold, voksne beboere",
    "barn_opphold": "Opphold, barn",
    "dagsbesok": "Dagsbesøk",
}
COUNT_POPULATION_NAMES: Final = {
    "beboere": "Voksne beboere",
    "barn": "Barn",
    "dagbrukere": "Dagbrukere",
}

MEASURE_NAMES: Final = {
    "inntakssamtale": "Inntakssamtale",
    "velkomstsamtale": "Velkomstsamtale",
    "kartlegging_hjelpebehov": "Systematisk kartlegging av hjelpebehov",
    "kartlegging_trusler_senter": (
        "Systematisk kartlegging av trusler/beskyttelsesbehov i regi av krisesenteret"
    ),
    "kartlegging_trusler_andre": "Systematisk kartlegging av trusler/beskyttelsesbehov i regi av andre",
    "kartlegging_trusler_totalt": (
        "Systematisk kartlegging av trusler/beskyttelsesbehov, totalt (i regi av krisesenteret "
        "eller andre)"
    ),
    "kartlegging_trusler_begge": (
        "Systematisk kartlegging av trusler/beskyttelsesbehov både i regi av krisesenteret og "
        "i regi av andre"
    ),
    "plan_under_opphold": "Plan for oppfølging under oppholdet",
    "plan_etter_opphold": "Plan for oppfølging etter oppholdet",
}

BREAKDOWN_NAMES: Final = {
    "alle": "Alle",
    "kjonn": "Kjønn",
    "aldersgruppe": "Aldersgruppe",
    "aldersgruppe_grov": "Aldersgruppe (grov)",
}

AGE_NAMES: Final = {
    "0-2": "0–2 år",
    "3-5": "3–5 år",
    "6-10": "6–10 år",
    "11-17": "11–17 år",
    "6-17": "6–17 år",
}


def category_name(population: str, breakdown: str, category: str) -> str:
    if breakdown == "alle":
        return "Alle"
    if breakdown == "kjonn":
        children = population in ("barn_opphold", "barn")
        names = {"K": "Jenter" if children else "Kvinner", "M": "Gutter" if children else "Menn"}
        return names.get(category, category)
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

"""The reader-facing names of the codes come from data/names.csv, checked on load."""

from __future__ import annotations

from importlib import resources

import pytest

from krise_pipeline.metadata import vocabulary


def shipped() -> str:
    return resources.files("krise_pipeline").joinpath("data", "names.csv").read_text(encoding="utf-8")


def test_the_shipped_names() -> None:
    names = vocabulary.read_names(shipped())
    assert names["population"]["dagsbesok"] == "Dagsbesøk"
    assert vocabulary.category_name("barn_opphold", "kjonn", "M") == "Gutter"
    assert vocabulary.category_name("voksne_opphold", "kjonn", "M") == "Menn"
    assert vocabulary.category_name("barn_opphold", "aldersgruppe_grov", "6-17") == "6–17 år"


def test_a_renamed_code_is_what_the_reader_sees() -> None:
    text = shipped().replace("breakdown,kjonn,Kjønn", "breakdown,kjonn,Kjønn (registrert)")
    assert vocabulary.read_names(text)["breakdown"]["kjonn"] == "Kjønn (registrert)"


@pytest.mark.parametrize(("change", "message"), [
    (("kind,code,name", "kind,code,label"), "names.csv line 1: the header must be kind,code,name"),
    (("status,revidert,Revidert", "status,revidert,Revidert,x"), "names.csv line 7: 4 fields, expected 3"),
    (("breakdown,kjonn,Kjønn", "breakdowns,kjonn,Kjønn"), "names.csv line 24, column kind: unknown kind 'breakdowns'"),
    (("age_group,3-5,3–5 år", "age_group,3-5,"), "names.csv line 28, column name: empty"),
    (("age_group,3-5,3–5 år", "age_group,0-2,3–5 år"), "names.csv line 28, column code: '0-2' is named twice"),
    (("measure,plan_etter_opphold,Plan for oppfølging etter oppholdet\n", ""),
     "names.csv: no name for the measure code plan_etter_opphold"),
])
def test_a_bad_names_file_says_where(change: tuple[str, str], message: str) -> None:
    text = shipped()
    assert change[0] in text
    with pytest.raises(vocabulary.NamesError) as err:
        vocabulary.read_names(text.replace(change[0], change[1]))
    assert message in str(err.value)

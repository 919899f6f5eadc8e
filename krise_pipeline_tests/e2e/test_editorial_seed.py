"""The seed page (the real 2024 page, copied in fixtures/) checked against the shipped sample's publication.

The sample reproduces every figure of published_figures.csv; what `check-text` flags on the page is
what the page gets wrong: the children's paragraph and age paragraph left from 2023, the label
typo «tjenenester» in three footnotes, the second version of the pårørende paragraph and "AAlle".
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from krise_pipeline import editorial
from krise_pipeline.cli import commands
from krise_pipeline.editorial import claims
from krise_pipeline.language import texts
from krise_pipeline.publication.model import Publication, load_publication
from krise_pipeline_tests.support import paths

SEED = paths.FIXTURES / "bo-og-dagtilbud-2024.txt"
FINDINGS = {47: "tjenenester", 120: "2023's, not 2024's", 124: "2023's, not 2024's", 157: "tjenenester",
            199: "tjenenester", 201: "6 sentre med tilbud til kvinner", 287: "AAlle"}

# (heading of the section or chart, a true sentence of the page under it)
TRUE_CLAIMS = [
    ("Bo- og dagtilbud", "I 2024 var det totalt 43 krisesentre med tilbud til kvinner og menn. Av disse 43 "
                         "krisesentrene hadde 42 sentre botilbud til menn."),
    ("Bo- og dagtilbud", "13 av tilbudene til menn er i egne lokaler, og 24 er i samme bygning som tilbudet til "
                         "kvinner, men med fysisk atskilte lokaler."),
    ("Bo- og dagtilbud", "5 sentre hadde en midlertidig løsning for botilbud til menn."),
    ("Tilbud til beboere", "Alle sentrene for kvinner ga tilbud om inntakssamtaler, systematisk kartlegging av "
                           "hjelpebehov, enesamtaler og praktisk hjelp."),
    ("Tilbud til beboere", "13 sentre for kvinner hadde tilbud om foreldreveiledningsgrupper til beboere med barn."),
    ("Tilbud til beboere", "Av krisesentre med tilbud til menn, tilbød alle inntakssamtaler, enesamtaler og "
                           "deltakelse i møte med andre tjenester. Videre tilbød nesten alle systematisk kartlegging "
                           "av hjelpebehov, plan for oppfølging under oppholdet og praktisk hjelp (40 – 41 sentre "
                           "tilbød dette)."),
    ("Tilbud til beboere", "Sammenlignet med 2023 er det imidlertid en nedgang i antall sentre som oppgir at de "
                           "tilbyr hjelp i forbindelse med samvær/overlevering av barn, barnepass og deltakelse i "
                           "foreldreveiledningsgruppe (ICDP, COS)."),
    ("Skriftlig mal/prosedyre for oppfølging av beboere",
     "Alle krisesentrene hadde utarbeidet skriftlig mal/prosedyre for inntakssamtale og for kartlegging av "
     "beskyttelsesbehov."),
    ("Skriftlig mal/prosedyre for oppfølging av beboere",
     "Det var litt mindre vanlig med skriftlig mal/prosedyre for oppfølging etter oppholdet, noe 37 sentre med "
     "botilbud til kvinner og 33 sentre med botilbud til menn hadde."),
    ("Botilbud for voksne", "Av brukerdata ser vi det ble gjennomført inntakssamtale ved 98 prosent av oppholdene "
                            "til voksne beboere i 2024."),
    ("Botilbud for voksne", "Sentrene gjennomførte en systematisk kartlegging av hjelpebehov ved 82 prosent av "
                            "oppholdene til voksne beboere."),
    ("Tilbud til barn", "Alle sentrene tilbød barn velkomstsamtale/informasjon om krisesentertilbudet."),
    ("Tilbud til barn", "Sammenlignet med 2023, var det i 2024 færre sentre med skoletilbud på/i regi av "
                        "krisesenteret."),
    ("Skriftlig mal/prosedyre for oppfølging av barn",
     "40 av 43 krisesentre med tilbud til kvinner og 39 av 42 krisesentre med tilbud til menn hadde utarbeidet "
     "skriftlig mal/prosedyre for velkomstsamtale/informasjon om krisesentertilbudet, hvorfor barnet er der."),
    ("Tilbud til barn", "Av brukerdataene ser vi at det ble gjennomført en velkomstsamtale ved 65 prosent av "
                        "oppholdene til alle barn."),
    ("Tilbud til barn", "Merk at bistand til barn har sammenheng med barnas alder; for eksempel ble det "
                        "gjennomført en velkomstsamtale ved knapt 9 av 10 opphold av barn som var eldre enn 10 år."),
    ("Tilbud til dagbrukerne", "Samtlige krisesentre tilbød dagbrukerne enesamtaler og hjelp i kontakt med andre "
                               "tjenester; dette gjaldt tilbudene til både kvinner og menn."),
    ("Tilbud til dagbrukerne", "Flere sentre med tilbud til kvinner enn til menn oppga å ha tilbud til dagbrukere "
                               "om fritidsaktiviteter/sosiale aktiviteter i regi av krisesenteret (35 mot 27 sentre)."),
    ("Skriftlig prosedyre for tilbud til dagbrukere",
     "Videre hadde 37 sentre med tilbud til kvinner, og 37 sentre med tilbud til menn, utarbeidet skriftlig "
     "prosedyre for oppfølging av dagbrukerne."),
    ("Dagtilbudet", "Av brukerdataene ser vi at det for 25 prosent av dagsbesøkene ble det foretatt en systematisk "
                    "kartlegging av hjelpebehov."),
    ("Tilbud til pårørende", "Krisesentrene er ikke pålagt å gi tilbud til pårørende, men 38 av 43 sentre med "
                             "tilbud til kvinner, og 36 av 42 med tilbud til menn, hadde tilbud om bistand til "
                             "pårørende."),
    ("Tilbud til pårørende", "5 sentre med tilbud til kvinner, og 6 med tilbud til menn, har krysset av for andre "
                             "tilbud til pårørende enn det som er vist i figuren."),
    ("Sikkerhetstiltak ved krisesentrene", "Alle krisesentre med botilbud til kvinner hadde kameraovervåkning ved "
                                           "inngangsparti, og nesten alle hadde porttelefon ved inngangsdør."),
    ("Sikkerhetstiltak ved krisesentrene", "10 av sentrene med tilbud til kvinner og 5 av sentrene med tilbud til "
                                           "menn hadde også andre sikkerhetstiltak enn de som gjengis i figuren."),
    ("Politivurdering av krisesentrenes bygninger og sikkerhetstiltak",
     "30 av de 43 sentrene med tilbud til kvinner og 22 av 42 sentre med tilbud til menn har fått bygninger og "
     "sikkerhetstiltak vurdert av lokalt politi, hvorav henholdsvis 11 og 9 sentre oppga at politiets vurdering "
     "foreligger skriftlig."),
    ("Brukermedvirkning på krisesentrene", "38 av de 43 sentrene med tilbud til kvinner, og 37 av de 42 sentrene med "
                                           "tilbud til menn, hadde rutiner for innhenting av brukernes erfaringer og "
                                           "synspunkter på tilbudet."),
    ("Brukermedvirkning på krisesentrene", "Siden 2021 har det imidlertid vært en økning i antall sentre som har "
                                           "evalueringsskjema for brukerne."),
    ("Utadrettet informasjonsarbeid", "Sammenlignet med tidligere år var det i 2024 flere krisesentre som hadde "
                                      "brosjyrer/plakater på venterom hos andre tjenester, og færre krisesentre som "
                                      "hadde annonser i lokalpresse."),
    ("Utadrettet informasjonsarbeid", "Videre hadde 15 krisesentre besøkt grunnskoler."),
    ("Utadrettet informasjonsarbeid", "38 krisesentre hadde egen nettside i 2024, 1 senter mindre enn i 2023."),
    ("Utadrettet informasjonsarbeid", "12 sentre oppga at teksten var tilrettelagt for synshemmede; 4 flere enn i "
                                      "2022 og 1 færre enn i 2023."),
]


@pytest.fixture(scope="module")
def pub(shipped_publication: Path) -> Publication:
    return load_publication(shipped_publication)


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_the_seed_page_shows_exactly_its_real_problems(pub: Publication, seed: str) -> None:
    result = editorial.check_text(seed, pub, 2024)
    by_line = {f.line: f for f in result.findings}
    assert sorted(by_line) == sorted(FINDINGS)
    assert len(result.findings) == len(FINDINGS)
    for line, words in FINDINGS.items():
        f = by_line[line]
        assert words in f.claim + f.reason, (line, f)
    assert by_line[120].claim.startswith("63 prosent")
    assert "65 prosent" in by_line[120].expected
    assert by_line[47].expected == "«Hjelp i kontakt med andre tjenester»"
    assert by_line[201].expected.endswith("kvinner 5 av 43")
    assert result.checked >= 100


def test_true_claims_of_every_section_are_checked_and_hold(pub: Publication) -> None:
    assert len(TRUE_CLAIMS) >= 25
    assert len({h for h, _ in TRUE_CLAIMS}) >= 12
    for heading, sentence in TRUE_CLAIMS:
        result = editorial.check_text(f"{heading}\n\n{sentence}\n", pub, 2024)
        assert result.checked >= 1, sentence
        assert result.findings == (), (sentence, result.findings)


def test_law_and_page_references_are_not_claims(seed: str) -> None:
    lines = seed.splitlines()
    references = {n for n, text in enumerate(lines, start=1) if "§" in text or "s. 14" in text or "mars 2017" in text}
    assert len(references) >= 6
    claimed = {c.line for c in claims.read(seed, 2024).claims}
    assert references.isdisjoint(claimed)


@pytest.mark.parametrize(("true", "altered", "line"), [
    ("38 krisesentre hadde egen nettside", "36 krisesentre hadde egen nettside", 295),
    ("ved 98 prosent av oppholdene", "ved 97 prosent av oppholdene", 66),
    ("13 sentre for kvinner hadde tilbud om foreldreveiledningsgrupper",
     "14 sentre for kvinner hadde tilbud om foreldreveiledningsgrupper", 31),
    ("22 av 42 sentre med tilbud til menn", "22 av 41 sentre med tilbud til menn", 245),
    ("knapt 9 av 10 opphold", "drøyt 9 av 10 opphold", 116),
])
def test_altering_one_figure_flags_exactly_that_line(pub: Publication, seed: str, true: str, altered: str,
                                                     line: int) -> None:
    assert seed.count(true) == 1
    result = editorial.check_text(seed.replace(true, altered), pub, 2024)
    assert sorted({f.line for f in result.findings}) == sorted({*FINDINGS, line})


def test_the_claim_follows_the_data(shipped_publication: Path, seed: str, tmp_path: Path) -> None:
    changed = tmp_path / "publication.duckdb"
    shutil.copy(shipped_publication, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute("UPDATE centre_offers SET n_centres = 36 WHERE year = 2024 AND question = 'nettside' "
                    "AND item = 'egen_nettside'")
        con.execute("UPDATE service_shares SET n_with = n_with + 400, share = (n_with + 400) / n_base "
                    "WHERE year = 2024 AND population = 'dagsbesok' AND measure = 'kartlegging_hjelpebehov' "
                    "AND breakdown = 'alle'")
    result = editorial.check_text(seed, load_publication(changed), 2024)
    assert sorted({f.line for f in result.findings}) == sorted({*FINDINGS, 176, 295})
    said = [f.expected for f in result.findings if f.line == 295]
    assert said == ["2024: egen nettside: 36 av 43", "egen nettside: 2023 39 → 2024 36"]
    assert [f.expected for f in result.findings if f.line == 176] == [
        "2024: systematisk kartlegging av hjelpebehov (dagsbesøk): 28 prosent"]


def run_check(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = commands.main(["check-text", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_text_command(shipped_publication: Path, tmp_path: Path) -> None:
    wh = str(shipped_publication.parent)
    code, out, _ = run_check(str(SEED), "--year", "2024", "--warehouse-dir", wh, "--json")
    assert code == 1
    findings = json.loads(out)
    assert [f["line"] for f in findings] == sorted(FINDINGS)
    assert set(findings[0]) == {"line", "claim", "reason", "expected"}

    clean = tmp_path / "tilbud_barn.md"
    clean.write_text("Alle sentrene tilbød barn velkomstsamtale/informasjon om krisesentertilbudet.\n",
                     encoding="utf-8")
    code, out, _ = run_check(str(clean), "--year", "2024", "--warehouse-dir", wh)
    assert code == 0
    assert "0 finding(s)" in out and "1 claim(s) checked" in out

    code, _, err = run_check(str(clean), "--year", "2024", "--warehouse-dir", str(tmp_path))
    assert code == 2 and "no publication" in err
    code, _, err = run_check(str(clean), "--year", "2019", "--warehouse-dir", wh)
    assert code == 2 and "2019 is not in" in err


def generated_texts(pub: Publication, year: int) -> list[tuple[str, str]]:
    """(question, text) of every sentence the preview generates for a year."""
    out = []
    for q in pub.questions:
        if q.question == "organisering":
            org = texts.organisation_text(pub, year)
            paragraphs = [*org.paragraphs, *(f"- {b}" for b in org.bullets)]
        else:
            paragraphs = texts.question_paragraphs(pub, q.question, year)
        out.append((q.question, "\n\n".join(paragraphs)))
    for paragraph, question in ((texts.adult_paragraph, "mal_beboere"), (texts.child_paragraph, "mal_barn"),
                                (texts.age_paragraph, "mal_barn"), (texts.visit_paragraph, "prosedyre_dagbrukere")):
        out.append((question, paragraph(pub, year) or ""))
    return out


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024])
def test_the_previews_own_sentences_hold(pub: Publication, year: int) -> None:
    checked = 0
    for question, text in generated_texts(pub, year):
        result = editorial.check_text(text, pub, year, question)
        assert result.findings == (), (question, result.findings)
        checked += result.checked
    assert checked >= 120
    wrong_year = sum(len(editorial.check_text(text, pub, year - 1, question).findings)
                     for question, text in generated_texts(pub, year))
    assert wrong_year >= 20

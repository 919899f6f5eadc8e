"""Editorial texts as pure functions: claims read from small texts, held against hand-made publications."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from krise_pipeline import editorial
from krise_pipeline.editorial import claims, folder, gate, placeholders
from krise_pipeline.metadata import codebook, contract
from krise_pipeline.publication.model import CountCell, Offer, Publication, Release, ShareCell

Counts = dict[tuple[int, str, str, str], tuple[int, int]]


def publication(counts: Counts, shares: tuple[ShareCell, ...] = (), statuses: dict[int, str] | None = None,
                users: tuple[CountCell, ...] = ()) -> Publication:
    """A publication holding exactly the given centre counts ((year, question, item, group) -> (n, base))."""
    offers = []
    for (year, q, item, group), (n, base) in sorted(counts.items()):
        label = codebook.label(q, item, year) or contract.DERIVED_LABELS[item]
        offers.append(Offer(year, q, item, label, group, n, base, n / base))
    years = {y for y, *_ in counts} | {s.year for s in shares}
    statuses = statuses or {}
    releases = tuple(Release(y, statuses.get(y, "utkast"), None, None) for y in sorted(years))
    return Publication(codebook.questions(), tuple(offers), shares, users, (), releases)


def share(year: int, population: str, measure: str, n: int | None, base: int | None, *, category: str = "alle",
          breakdown: str = "alle", suppressed: bool = False) -> ShareCell:
    value = None if suppressed or n is None or base is None else n / base
    return ShareCell(year, population, measure, breakdown, category, None if suppressed else n,
                     None if suppressed else base, value, suppressed)


SCHOOL = publication({
    (2023, "tilbud_barn", "skoletilbud", "kvinner"): (14, 43),
    (2023, "tilbud_barn", "skoletilbud", "menn"): (10, 42),
    (2024, "tilbud_barn", "skoletilbud", "kvinner"): (12, 43),
    (2024, "tilbud_barn", "skoletilbud", "menn"): (10, 42),
})


def check(text: str, pub: Publication, year: int = 2024, question: str | None = None) -> editorial.Result:
    return editorial.check_text(text, pub, year, question)


def test_a_count_is_checked_for_the_group_it_names() -> None:
    ok = check("Tilbud til barn\n\n12 sentre for kvinner hadde skoletilbud på/i regi av krisesenteret.", SCHOOL)
    assert ok.findings == () and ok.checked == 1
    men = check("Tilbud til barn\n\n10 sentre for menn hadde skoletilbud.", SCHOOL)
    assert men.findings == () and men.checked == 1
    wrong = check("Tilbud til barn\n\n10 sentre for kvinner hadde skoletilbud.", SCHOOL)
    assert [(f.line, f.claim) for f in wrong.findings] == [(3, "10 sentre for kvinner hadde skoletilbud")]
    assert "kvinner 12 av 43" in wrong.findings[0].expected


def test_a_text_of_a_question_needs_no_heading() -> None:
    assert check("13 sentre for kvinner hadde skoletilbud.", SCHOOL, question="tilbud_barn").findings[0].line == 1


@pytest.mark.parametrize(("n", "base", "word", "holds"), [
    (43, 43, "Alle", True),
    (42, 43, "Alle", False),
    (40, 43, "Nesten alle", True),   # 3 short, 93 %
    (39, 43, "Nesten alle", False),  # 4 short
    (43, 43, "Nesten alle", False),  # that is "alle"
    (3, 4, "Nesten alle", False),    # 1 short but 75 %
    (43, 43, "Samtlige", True),
])
def test_quantifiers_follow_the_preview_rules(n: int, base: int, word: str, holds: bool) -> None:
    pub = publication({(2024, "tilbud_beboere", "enesamtaler", "kvinner"): (n, base)})
    result = check(f"{word} sentrene for kvinner tilbød enesamtaler.", pub, question="tilbud_beboere")
    assert result.checked == 1
    assert (result.findings == ()) is holds


def test_a_range_holds_every_item_it_covers() -> None:
    pub = publication({
        (2024, "tilbud_beboere", "primaerkontakt", "kvinner"): (41, 43),
        (2024, "tilbud_beboere", "hjelp_bolig", "kvinner"): (39, 43),
    })
    text = "Nesten alle sentrene for kvinner tilbød primærkontakt og hjelp til å finne bolig (mellom 40 og 42 sentre)."
    reasons = [f.reason for f in check(text, pub, question="tilbud_beboere").findings]
    assert len(reasons) == 2 and any("range" in r for r in reasons) and any("nesten alle" in r for r in reasons)


ADULTS = (share(2024, "voksne_opphold", "inntakssamtale", 49, 200),   # 24.5 % -> 25
          share(2024, "voksne_opphold", "plan_etter_opphold", None, None, suppressed=True))


@pytest.mark.parametrize(("figure", "holds"), [(25, True), (24, False)])
def test_a_share_is_the_whole_percent_rounded_half_up(figure: int, holds: bool) -> None:
    pub = publication({}, ADULTS)
    text = f"Det ble gjennomført inntakssamtale ved {figure} prosent av oppholdene til voksne beboere."
    result = check(text, pub)
    assert result.checked == 1
    assert (result.findings == ()) is holds


def test_a_suppressed_share_cannot_be_stated() -> None:
    pub = publication({}, ADULTS)
    found = check("Ved 30 prosent av oppholdene til voksne ble det laget en plan for oppfølging etter oppholdet.",
                  pub).findings
    assert len(found) == 1 and ".." in found[0].expected


@pytest.mark.parametrize(("phrase", "holds"), [
    ("omtrent 8 av 10", True), ("8 av 10", True), ("knapt 8 av 10", False), ("drøyt 8 av 10", False),
    ("omtrent 7 av 10", False),
])
def test_tenths_follow_the_preview_wording(phrase: str, holds: bool) -> None:
    pub = publication({}, (share(2024, "barn_opphold", "velkomstsamtale", 79, 100, breakdown="aldersgruppe",
                                 category="6-10"),))  # 79 % -> "omtrent 8 av 10"
    text = f"Det ble gjennomført en velkomstsamtale ved {phrase} opphold av barn i alderen 6–10 år."
    result = check(text, pub)
    assert result.checked == 1
    assert (result.findings == ()) is holds


USERS = publication({}, users=(CountCell(2024, "beboere", "alle", "alle", 2715, 2340, False),
                                CountCell(2024, "dagbrukere", "alle", "alle", 13586, 3745, False)))


@pytest.mark.parametrize(("sentence", "holds"), [
    ("I 2024 bodde 2 340 voksne beboere på krisesentrene, og det var 2 715 opphold.", True),
    ("I 2024 bodde 2 340 voksne beboere på krisesentrene, og det var 2 716 opphold.", False),
    ("Det var 13 586 dagsbesøk av 3 745 dagbrukere.", True),
    ("Det var 13 586 dagsbesøk av 3 754 dagbrukere.", False),
])
def test_counts_of_stays_visits_and_persons(sentence: str, holds: bool) -> None:
    result = check(sentence, USERS)
    assert result.checked == 2
    assert (result.findings == ()) is holds


WEBSITES = publication({
    (2022, "nettside", "egen_nettside", "alle"): (40, 43),
    (2023, "nettside", "egen_nettside", "alle"): (39, 43),
    (2024, "nettside", "egen_nettside", "alle"): (38, 43),
})


@pytest.mark.parametrize(("sentence", "holds"), [
    ("38 krisesentre hadde egen nettside i 2024, 1 senter mindre enn i 2023.", True),
    ("38 krisesentre hadde egen nettside i 2024, 2 sentre mindre enn i 2023.", False),
    ("38 krisesentre hadde egen nettside i 2024, 1 senter flere enn i 2023.", False),
    ("Sammenlignet med 2023 var det færre krisesentre som hadde egen nettside.", True),
    ("Sammenlignet med 2023 var det flere krisesentre som hadde egen nettside.", False),
    ("Det var en nedgang fra 2022 til 2023 i antallet med egen nettside.", True),
    ("Siden 2022 har det vært en økning i antall sentre med egen nettside.", False),
])
def test_comparisons_with_earlier_years(sentence: str, holds: bool) -> None:
    result = check(f"Utadrettet informasjonsarbeid\n\n{sentence}", WEBSITES)
    assert result.checked >= 1
    assert (result.findings == ()) is holds


@pytest.mark.parametrize(("sentence", "holds"), [
    ("Det var en nedgang i antall sentre med egen nettside (fra 39 til 38).", True),
    ("Det var en nedgang i antall sentre med egen nettside (fra 40 til 38).", False),
    ("38 krisesentre hadde egen nettside i 2024 (39 i 2023).", True),
    ("38 krisesentre hadde egen nettside i 2024 (40 i 2023).", False),
    ("I 2022 hadde 40 krisesentre egen nettside.", True),
    ("I 2022 hadde 39 krisesentre egen nettside.", False),
    ("Nesten alle de 43 sentrene hadde egen nettside.", False),  # 38 of 43 is five short
])
def test_figures_of_earlier_years(sentence: str, holds: bool) -> None:
    result = check(f"Utadrettet informasjonsarbeid\n\n{sentence}", WEBSITES)
    assert result.checked >= 1
    assert (result.findings == ()) is holds


@pytest.mark.parametrize(("words", "holds"), [("alle de 43 sentrene", True), ("alle de 42 sentrene", False)])
def test_all_of_a_stated_base(words: str, holds: bool) -> None:
    pub = publication({(2024, "tilbud_beboere", "enesamtaler", "kvinner"): (43, 43)})
    result = check(f"Blant sentrene for kvinner tilbød {words} enesamtaler.", pub, question="tilbud_beboere")
    assert result.checked == 1
    assert (result.findings == ()) is holds


@pytest.mark.parametrize(("base", "holds"), [(200, True), (210, False)])
def test_the_base_of_the_shares(base: int, holds: bool) -> None:
    result = check(f"Andelene er regnet av {base} opphold der beboeren ikke reserverte seg mot registrering.",
                   publication({}, ADULTS), question="mal_beboere")
    assert result.checked == 1
    assert (result.findings == ()) is holds


def test_references_dates_years_and_ages_are_not_claims() -> None:
    text = ("Ifølge krisesenterloven (§ 2) og kommuneloven § 4 (Veileder til krisesenterloven s. 14). "
            "I mars 2017 trådte ny forskrift i kraft, og i 2024 ble ICDP (International Child Development "
            "Programme) tilbudt. Det gjaldt barn i alderen 6–10 år og barn som var yngre enn 3 år. Se tabell 2 "
            "og kapittel 3 i rapporten, side 4, og figur 1. Et opphold varte i snitt 28 netter.\n\n"
            "2021: «Deltakelse i ansvarsgrupper rundt barnet» ble endret til «Deltakelse i samarbeidsgrupper "
            "rundt barnet».\n")
    assert claims.read(text, 2024).claims == []


def test_quoted_labels_must_be_the_codebooks_labels_of_the_years_named() -> None:
    pub = publication({})
    good = "2024: «Hjelp til å ta kontakt med andre tjenester» endret til «Hjelp i kontakt med andre tjenester»"
    assert check(good, pub).findings == ()
    typo = "2024: «Hjelp til å ta kontakt med andre tjenester» endret til «Hjelp i kontakt med andre tjenenester»"
    found = check(typo, pub).findings
    assert [(f.claim, f.expected) for f in found] == [
        ("«Hjelp i kontakt med andre tjenenester»", "«Hjelp i kontakt med andre tjenester»")]
    swapped = "2024: «Hjelp i kontakt med andre tjenester» endret til «Hjelp til å ta kontakt med andre tjenester»"
    reasons = [f.reason for f in check(swapped, pub).findings]
    assert reasons == ["not the codebook's label in 2023", "not the codebook's label in 2024"]
    unquoted = "2021: Krav om taushetserklæring for brukere endret til krav om taushetserklæring fra brukere."
    assert check(unquoted, pub).findings == ()


def test_a_doubled_capital_is_a_finding() -> None:
    pub = publication({(2024, "informasjonsarbeid", "minst_ett", "alle"): (43, 43)})
    found = check("Utadrettet informasjonsarbeid\n\nAAlle sentrene drev med utadrettet informasjon i 2024.", pub)
    assert [(f.line, f.claim, f.expected) for f in found.findings] == [(3, "AAlle", "Alle")]


def test_a_paragraph_with_another_years_figures_is_named_so() -> None:
    cells = (share(2023, "barn_opphold", "velkomstsamtale", 63, 100),
             share(2023, "barn_opphold", "kartlegging_hjelpebehov", 52, 100),
             share(2024, "barn_opphold", "velkomstsamtale", 65, 100),
             share(2024, "barn_opphold", "kartlegging_hjelpebehov", 53, 100))
    pub = publication({}, cells)
    text = ("Tilbud til barn\n\nDet ble gjennomført en velkomstsamtale ved 63 prosent av oppholdene til alle barn. "
            "Det ble gjennomført systematisk kartlegging av hjelpebehov ved 52 prosent av oppholdene.\n")
    found = check(text, pub).findings
    assert len(found) == 1
    assert found[0].line == 3 and "2023's, not 2024's" in found[0].reason
    assert "65 prosent" in found[0].expected and "53 prosent" in found[0].expected
    one_wrong = text.replace("52 prosent", "53 prosent")
    assert ["2023" not in f.reason for f in check(one_wrong, pub).findings] == [True]


# --- placeholders ---------------------------------------------------------------------------

PLACES = publication({
    (2024, "tilbud_beboere", "inntakssamtale", "kvinner"): (43, 43),
    (2024, "tilbud_beboere", "minst_ett", "menn"): (41, 42),
    (2024, "nettside", "egen_nettside", "alle"): (38, 43),
}, (share(2024, "voksne_opphold", "inntakssamtale", 49, 200),
    share(2024, "barn_opphold", "velkomstsamtale", None, None, breakdown="aldersgruppe", category="0-2",
          suppressed=True)))


def test_placeholders_render_the_published_values() -> None:
    text = ("I {{ år }} hadde {{ antall tilbud_beboere inntakssamtale kvinner }} av {{basis tilbud_beboere menn}} "
            "... {{ antall nettside egen_nettside }} nettsider; {{ andel voksne_opphold inntakssamtale }} prosent.")
    rendered = placeholders.render(text, PLACES, 2024)
    assert rendered.text == "I 2024 hadde 43 av 42 ... 38 nettsider; 25 prosent."
    assert rendered.problems == () and not rendered.suppressed


def test_a_suppressed_placeholder_renders_dots_with_the_note() -> None:
    rendered = placeholders.render("Ved {{ andel barn_opphold velkomstsamtale 0-2 }} prosent.", PLACES, 2024)
    assert rendered.text == "Ved .. prosent." and rendered.suppressed
    assert str(contract.SUPPRESSION_THRESHOLD) in placeholders.SUPPRESSION_NOTE


@pytest.mark.parametrize(("placeholder", "message"), [
    ("{{ antall tilbud_beboere inntakssamtale }}", "target group"),
    ("{{ antall ukjent inntakssamtale kvinner }}", "unknown question 'ukjent'"),
    ("{{ antall tilbud_beboere barnepass kvinner }}", "no published count"),
    ("{{ hva }}", "not a placeholder"),
])
def test_a_bad_placeholder_is_a_finding_on_its_line(placeholder: str, message: str) -> None:
    result = check(f"Første linje.\n\nHer: {placeholder}.", PLACES)
    assert [(f.line, f.claim) for f in result.findings] == [(3, placeholder)]
    assert message in result.findings[0].reason


# --- the text folder and the gate ------------------------------------------------------------


def test_the_folder_gives_hashes_and_checks_each_text(tmp_path: Path) -> None:
    year_dir = tmp_path / "tekster" / "2024"
    year_dir.mkdir(parents=True)
    (year_dir / "tilbud_barn.md").write_text("13 sentre for kvinner hadde skoletilbud.\n", encoding="utf-8")
    (year_dir / "tilbud_bran.md").write_text("Skrivefeil i filnavnet.\n", encoding="utf-8")
    digest = hashlib.sha256((year_dir / "tilbud_barn.md").read_bytes()).hexdigest()
    assert json.loads(folder.lineage(tmp_path, [2023, 2024])[2024])["tilbud_barn.md"] == digest
    assert folder.lineage(tmp_path, [2023])[2023] == "{}"
    checked = {c.text.name: c for c in folder.check_year(SCHOOL, tmp_path, 2024)}
    assert [f.expected for f in checked["tilbud_barn"].findings] == ["2024: skoletilbud på/i regi av "
                                                                     "krisesenteret: kvinner 12 av 43"]
    assert "not a question of the page" in checked["tilbud_bran"].findings[0].reason


@pytest.mark.parametrize(("status", "passes"), [("utkast", True), ("publisert", False), ("revidert", False)])
def test_the_gate_blocks_findings_of_published_years_only(status: str, passes: bool) -> None:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA warehouse")
        con.execute("CREATE TABLE warehouse.releases AS SELECT 2024 AS year, ? AS status", [status])
        con.execute("CREATE TABLE warehouse.editorial_findings AS SELECT 2024 AS year, 'tilbud_barn.md' AS file, "
                    "3 AS line, '14 sentre' AS claim, 'wrong' AS reason, '12' AS expected")
        result = gate.published_texts_hold(con)
    assert result.passed is passes
    assert result.failures == (0 if passes else 1)

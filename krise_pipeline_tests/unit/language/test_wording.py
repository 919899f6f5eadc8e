"""The wording file: checked on load with file, line and column; a phrase changed there changes the sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from krise_pipeline.language import texts, wording
from krise_pipeline.publication.model import Publication, load_publication
from krise_pipeline_tests.support.exports_fixture import build_publication

HEADER = "subject,item,key,text\n"
DEFAULTS = (
    "*,,sentences,standard\n"
    "*,,verb,krysset av for\n"
    "*,,reach,krysset av for minst ett av alternativene\n"
    "*,,share_base,Regnet av {n_base} {unit}.\n"
)
CHILD_AGES = "".join(f"barn_opphold,{c},age_group,barn {c}\n" for c in ("0-2", "3-5", "6-10", "11-17", "6-17")) + (
    "barn_opphold,,age_paragraph,Alder: {measure} ved {groups}.\n"
    "barn_opphold,,age_group_share,{tenths} av {group}\n"
    "barn_opphold,,age_hidden,Skjult: {groups}.\n"
)


@pytest.fixture(scope="module")
def pub(tmp_path_factory: pytest.TempPathFactory) -> Publication:
    return load_publication(build_publication(tmp_path_factory.mktemp("pub") / "publication.duckdb"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wording.csv"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> wording.WordingError:
    path = write(tmp_path, text)
    with pytest.raises(wording.WordingError) as info:
        wording.load(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    w = wording.load(write(tmp_path, HEADER + DEFAULTS + "tilbud_beboere,,verb,tilbød\n\n" + CHILD_AGES))
    assert w.verb("tilbud_beboere") == "tilbød"
    assert w.verb("tilbud_barn") == "krysset av for"
    assert w.has_own_verb("tilbud_beboere") and not w.has_own_verb("tilbud_barn")
    assert w.reach("politivurdering") == ("minst_ett", "krysset av for minst ett av alternativene")


def test_an_unknown_question_names_line_and_column(tmp_path: Path) -> None:
    e = error(tmp_path, HEADER + DEFAULTS + "tilbud_beboer,,verb,tilbød\n")
    assert (e.line, e.column) == (6, "subject")
    assert "unknown subject 'tilbud_beboer'" in str(e)
    assert str(e).endswith("line 6, column subject: unknown subject 'tilbud_beboer' (a question of questions.csv, "
                           "a population voksne_opphold, barn_opphold, dagsbesok, or '*')")


@pytest.mark.parametrize(("row", "line", "column", "fragment"), [
    ("tilbud_beboere,,verbs,tilbød", 6, "key", "unknown key 'verbs' for 'tilbud_beboere'"),
    ("tilbud_beboere,inntakssamtale,verb,tilbød", 6, "item", "key 'verb' takes no item"),
    ("nettside,,predicate,hadde egen nettside", 6, "item", "key 'predicate' needs an item"),
    ("nettside,egen_side,predicate,hadde egen nettside", 6, "item", "unknown item 'egen_side' for 'nettside'"),
    ("tilbud_beboere,,reach,hadde i {aar}", 6, "text", "unknown placeholder {aar} for key 'reach'"),
    ("tilbud_beboere,,reach,hadde {year", 6, "text", "a literal brace is written"),
    ("tilbud_beboere,,sentences,kort", 6, "text", "unknown sentence kind 'kort'"),
    ("tilbud_beboere,,verb,", 6, "text", "the text is empty"),
    ("tilbud_beboere,,verb", 6, "text", "3 values; a row has 4"),
    ("tilbud_beboere,,verb,tilbød, og ga", 6, "text", "5 values; a row has 4"),
    ("dagsbesok,,sentence,Ved {velkomstsamtale} prosent.", 6, "text", "unknown placeholder {velkomstsamtale}"),
    ("dagsbesok,,sentence,Ingen tall i {year}.", 6, "text", "a sentence names at least one measure"),
    ("dagsbesok,0-2,age_group,barn", 6, "key", "unknown key 'age_group' for 'dagsbesok'"),
])
def test_a_bad_row_names_line_and_column(tmp_path: Path, row: str, line: int, column: str, fragment: str) -> None:
    e = error(tmp_path, HEADER + DEFAULTS + row + "\n" + CHILD_AGES)
    assert (e.line, e.column) == (line, column)
    assert fragment in str(e)


def test_a_line_number_counts_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    e = error(tmp_path, HEADER + DEFAULTS + '\ntilbud_beboere,,reach,"hadde\nminst ett"\nmal_beboere,,verb,x{y}\n')
    assert (e.line, e.column) == (9, "text")


@pytest.mark.parametrize(("text", "line", "fragment"), [
    (HEADER + DEFAULTS.replace("*,,verb,krysset av for\n", "") + CHILD_AGES, 2,
     "'*' has no row with key 'verb'"),
    (HEADER + DEFAULTS + CHILD_AGES.replace("barn_opphold,6-17,age_group,barn 6-17\n", ""), 6,
     "'barn_opphold' has no row with key 'age_group' for item '6-17'"),
    (HEADER + DEFAULTS + CHILD_AGES + "dagsbesok,,unit,dagsbesøk\ndagsbesok,,sentence,Ved {kartlegging_hjelpebehov}.\n",
     14, "'dagsbesok' has no row with key 'who' (its sentences need it)"),
    (HEADER + DEFAULTS + CHILD_AGES + "nettside,,sentences,per_item\n", 14,
     "'nettside' has no row with key 'sentence' (its sentence kind is 'per_item')"),
])
def test_a_missing_phrase_is_named_at_its_subjects_first_line(tmp_path: Path, text: str, line: int,
                                                               fragment: str) -> None:
    e = error(tmp_path, text)
    assert (e.line, e.column) == (line, "key")
    assert fragment in str(e)


def test_a_phrase_given_twice_names_both_lines(tmp_path: Path) -> None:
    e = error(tmp_path, HEADER + DEFAULTS + "tilbud_beboere,,verb,tilbød\ntilbud_beboere,,verb,ga\n")
    assert (e.line, e.column) == (7, "key")
    assert "'verb' for 'tilbud_beboere' is given twice (first on line 6)" in str(e)


def test_a_clause_needs_its_twin(tmp_path: Path) -> None:
    e = error(tmp_path, HEADER + DEFAULTS + CHILD_AGES
              + "politivurdering,skriftlig,reach_clause_one,\", hvorav {sentre} skriftlig\"\n")
    assert (e.line, e.column) == (14, "key")
    assert "'reach_clause_one' and 'reach_clause_two' go together" in str(e)


def test_a_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "wording.csv"
    path.write_bytes((HEADER + DEFAULTS).encode() + "tilbud_beboere,,verb,tilbød\n".encode("latin-1"))
    with pytest.raises(wording.WordingError, match=r"line 6, column text: not UTF-8"):
        wording.load(path)


def test_the_header_is_checked(tmp_path: Path) -> None:
    e = error(tmp_path, "question,key,text\n" + DEFAULTS)
    assert (e.line, e.column) == (1, "header")


def test_the_shipped_file_loads() -> None:
    w = wording.load(wording.default_path())
    assert w.verb("utdanningsinstitusjoner") == "hadde besøkt"
    assert w.sentence_kind("nettside") == "per_item"
    assert w.sentence_kind("tilbud_beboere") == "standard"


def copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = wording.default_path().read_text(encoding="utf-8")
    assert text.count(old) == 1
    return write(tmp_path, text.replace(old, new))


def test_a_changed_verb_changes_the_sentence(pub: Publication, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wording, "WORDING_PATH", copy_with(tmp_path, "tilbud_beboere,,verb,tilbød\n",
                                                           "tilbud_beboere,,verb,ga tilbud om\n"))
    assert texts.fewest_sentence(pub, "tilbud_beboere", 2024) == (
        "Færrest sentre ga tilbud om advokatbistand i krisesenteret: 12 av 43 med tilbud til kvinner og 15 av 42 "
        "med tilbud til menn."
    )


def test_a_changed_clause_and_unit_change_the_sentences(pub: Publication, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_with(tmp_path, "{n2} sentre oppga at politiets vurdering foreligger skriftlig",
                     "{n2} sentre hadde den skriftlig")
    text = path.read_text(encoding="utf-8").replace("voksne_opphold,,unit,opphold\n",
                                                    "voksne_opphold,,unit,beboeropphold\n")
    monkeypatch.setattr(wording, "WORDING_PATH", write(tmp_path, text))
    assert texts.politivurdering_sentence(pub, 2024) == (
        "30 av de 43 sentrene med tilbud til kvinner og 22 av de 42 sentrene med tilbud til menn har fått "
        "bygninger og sikkerhetstiltak vurdert av lokalt politi, hvorav henholdsvis 11 og 9 sentre hadde den "
        "skriftlig."
    )
    assert (texts.adult_paragraph(pub, 2024) or "").endswith(
        "Andelene er regnet av 200 beboeropphold der beboeren ikke reserverte seg mot registrering.")
    # the children's stays keep their own unit (base 120 in the fixture)
    assert (texts.child_paragraph(pub, 2024) or "").endswith(
        "Andelene er regnet av 120 opphold der barnet ikke reserverte seg mot registrering.")


def test_a_changed_age_group_changes_the_age_paragraph(pub: Publication, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wording, "WORDING_PATH", copy_with(
        tmp_path, "barn_opphold,0-2,age_group,barn som var yngre enn 3 år\n",
        "barn_opphold,0-2,age_group,de minste barna\n"))
    assert (texts.age_paragraph(pub, 2024) or "").endswith(
        "og 2 av 10 opphold av de minste barna da de bodde på krisesenter.")


def test_a_sentence_kind_in_the_data_decides_the_paragraphs(pub: Publication, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wording, "WORDING_PATH", copy_with(tmp_path, "politivurdering,,sentences,reach\n",
                                                           "politivurdering,,sentences,none\n"))
    assert texts.question_paragraphs(pub, "politivurdering", 2024) == []

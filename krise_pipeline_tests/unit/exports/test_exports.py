"""The exports (Excel, charts, sentences, preview) on a small publication.duckdb written by hand.

Expected values are worked out by hand from the fixture, never copied from the code's output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from krise_pipeline.exports import charts, excel, preview, preview_path
from krise_pipeline.exports.writer import write_exports
from krise_pipeline.language import texts
from krise_pipeline.publication.model import Publication, load_publication
from krise_pipeline_tests.support.exports_fixture import (
    AT_LABEL,
    EQUALS_LABEL,
    NEW_HJELP,
    OLD_HJELP,
    build_publication,
    execute,
)

QUESTIONS = ("organisering", "tilbud_beboere", "politivurdering", "informasjonsarbeid")
GROUP_NAMES = {"kvinner": "Tilbud til kvinner", "menn": "Tilbud til menn", "alle": "Alle sentre"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_publication(tmp_path_factory.mktemp("pub") / "publication.duckdb")


@pytest.fixture(scope="module")
def out(db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out_dir = tmp_path_factory.mktemp("exports")
    return out_dir, write_exports(db, out_dir)


@pytest.fixture(scope="module")
def pub(db: Path) -> Publication:
    return load_publication(db)


@pytest.fixture
def db_copy(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "publication.duckdb"
    shutil.copyfile(db, target)
    return target


def sheet_rows(ws: Worksheet, first_row: int = 4) -> list[tuple[object, ...]]:
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=first_row)]


# --- files ------------------------------------------------------------------------------------


def test_write_exports_writes_every_file(out: tuple[Path, list[Path]]) -> None:
    out_dir, paths = out
    expected = {f"{q}.xlsx" for q in QUESTIONS} | {"bistand.xlsx", "index.html"}
    expected |= {f"charts/{q}.{ext}" for q in QUESTIONS for ext in ("png", "svg", "txt")}
    expected |= {f"data/{t}.{ext}" for t in ("questions", "label_changes", "centre_offers", "service_shares",
                                             "user_counts", "releases") for ext in ("csv", "parquet")}
    expected |= {"data/datapackage.json"} | {f"data/jsonstat/{t}.json"
                                             for t in ("centre_offers", "service_shares", "user_counts")}
    assert {p.relative_to(out_dir).as_posix() for p in paths} == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert not list(out_dir.rglob("*.tmp"))


def test_preview_path() -> None:
    assert preview_path(Path("/x/warehouse")) == Path("/x/warehouse/exports/index.html")


def test_same_database_gives_identical_files(db: Path, out: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out_dir, _ = out
    again = write_exports(db, tmp_path / "again")
    for path in again:
        if path.suffix in (".svg", ".html", ".txt", ".png", ".xlsx"):
            original = out_dir / path.relative_to(tmp_path / "again")
            assert path.read_bytes() == original.read_bytes(), path.name


def _svg_desc(path: Path) -> str:
    desc = ElementTree.fromstring(path.read_text(encoding="utf-8")).find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and desc.text is not None
    return desc.text


def test_unchanged_charts_are_not_drawn_again(db: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "exports"
    write_exports(db, out_dir)
    svg = out_dir / "charts" / "politivurdering.svg"
    # A mark only a reused file can carry: the file and its record are changed alike.
    marked = svg.read_bytes().replace(b"</svg>", b"<!-- reused -->\n</svg>")
    svg.write_bytes(marked)
    record_file = out_dir / "charts" / ".drawn.json"
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert set(record) == set(QUESTIONS)
    record["politivurdering"]["svg"] = hashlib.sha256(marked).hexdigest()
    record_file.write_text(json.dumps(record), encoding="utf-8")

    write_exports(db, out_dir)
    assert svg.read_bytes() == marked
    assert "<!-- reused -->" in (out_dir / "index.html").read_text(encoding="utf-8")


def test_charts_are_drawn_again_when_files_or_figures_change(
    db_copy: Path, out: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    fresh, _ = out
    out_dir = tmp_path / "exports"
    write_exports(db_copy, out_dir)
    png = out_dir / "charts" / "politivurdering.png"
    png.write_bytes(b"not a png")
    (out_dir / "charts" / "organisering.svg").unlink()
    write_exports(db_copy, out_dir)
    assert png.read_bytes() == (fresh / "charts" / "politivurdering.png").read_bytes()
    assert (out_dir / "charts" / "organisering.svg").read_bytes() == \
        (fresh / "charts" / "organisering.svg").read_bytes()

    svg = out_dir / "charts" / "politivurdering.svg"
    assert "politiets vurdering foreligger skriftlig (11 av 43)" in _svg_desc(svg)
    execute(db_copy, "update centre_offers set n_centres = 12 where year = 2024 and question = 'politivurdering' "
                     "and item = 'skriftlig' and target_group = 'kvinner'")
    write_exports(db_copy, out_dir)
    assert "politiets vurdering foreligger skriftlig (12 av 43)" in _svg_desc(svg)
    assert png.read_bytes() != (fresh / "charts" / "politivurdering.png").read_bytes()


# --- Excel: one workbook per question ---------------------------------------------------------


def test_question_workbook_data_equals_database(out: tuple[Path, list[Path]], db: Path) -> None:
    out_dir, _ = out
    wb = load_workbook(out_dir / "tilbud_beboere.xlsx")
    assert wb.sheetnames == ["Om tallene", "Data"]
    ws = wb["Data"]
    assert "Tilbud til beboere" in str(ws["A1"].value)
    assert [c.value for c in ws[3]] == [
        "År", "Målgruppe", "Kategorikode", "Kategori", "Antall sentre som krysset av",
        "Antall sentre i grunnlaget", "Prosent av sentrene",
    ]
    rows = sheet_rows(ws)
    con = duckdb.connect(str(db), read_only=True)
    expected = con.execute(
        "select year, target_group, item, label, n_centres, n_base from centre_offers "
        "where question = 'tilbud_beboere'"
    ).fetchall()
    con.close()
    assert Counter(r[:6] for r in rows) == Counter(
        (y, GROUP_NAMES[g], item, label, n, base) for y, g, item, label, n, base in expected
    )
    # worked out by hand: 41 of 43 = 95.3 %; 39 of 40 = 97.5 % -> 98 (half up); 42 of 42 = 100 %
    assert (2024, "Tilbud til kvinner", "praktisk_hjelp", EQUALS_LABEL, 41, 43, 95) in rows
    assert (2022, "Tilbud til menn", "hjelp_kontakt_tjenester", OLD_HJELP, 39, 40, 98) in rows
    assert (2024, "Tilbud til menn", "hjelp_kontakt_tjenester", NEW_HJELP, 42, 42, 100) in rows
    assert (2024, "Tilbud til menn", "minst_ett", "Minst ett av tilbudene", 42, 42, 100) in rows
    # rows in order: year, then women before men, items in codebook order with minst_ett last
    first_2024_women = [r[2] for r in rows if r[0] == 2024 and r[1] == "Tilbud til kvinner"]
    assert first_2024_women == ["inntakssamtale", "hjelp_kontakt_tjenester", "praktisk_hjelp",
                                "plan_etter_opphold", "barnepass", "advokatbistand", "minst_ett"]
    assert ws.freeze_panes == "A4"
    assert ws["A3"].font.bold
    assert not ws.merged_cells.ranges


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_question_workbook_equals_database(out: tuple[Path, list[Path]], db: Path, question: str) -> None:
    out_dir, _ = out
    wb = load_workbook(out_dir / f"{question}.xlsx")
    assert wb.sheetnames == ["Om tallene", "Data"]
    rows = sheet_rows(wb["Data"])
    con = duckdb.connect(str(db), read_only=True)
    expected = con.execute(
        "select year, target_group, item, label, n_centres, n_base from centre_offers where question = ?",
        [question],
    ).fetchall()
    title = con.execute("select title from questions where question = ?", [question]).fetchone()
    con.close()
    assert Counter(r[:6] for r in rows) == Counter(
        (y, GROUP_NAMES[g], item, label, n, base) for y, g, item, label, n, base in expected
    )
    assert title is not None and wb["Om tallene"]["B4"].value == title[0]
    assert all(c.data_type == "s" for row in wb["Data"].iter_rows(min_row=4) for c in row[1:4])


def test_labels_that_look_like_formulas_stay_text(out: tuple[Path, list[Path]]) -> None:
    out_dir, _ = out
    ws = load_workbook(out_dir / "tilbud_beboere.xlsx")["Data"]
    cells = [c for row in ws.iter_rows() for c in row if c.value in (EQUALS_LABEL, AT_LABEL)]
    assert len(cells) == 12  # two labels x three years x two target groups
    assert all(c.data_type == "s" for c in cells)
    for path in out_dir.glob("*.xlsx"):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name), f"{path.name}:{name} holds a formula"


def test_question_workbook_notes(out: tuple[Path, list[Path]]) -> None:
    out_dir, _ = out
    ws = load_workbook(out_dir / "tilbud_beboere.xlsx")["Om tallene"]
    assert ws["A1"].value == "Om tallene: Tilbud til beboere"
    assert [c.value for c in ws[3]] == ["Emne", "Innhold"]
    notes = dict((str(a), str(b)) for a, b in sheet_rows(ws))
    assert notes["Spørsmål"].startswith("Hva slags hjelp får beboere tilbud om?")
    assert notes["Hovedinndeling"] == "Sentre"
    assert notes["Sekundærinndeling"] == "Tilbud"
    assert notes["Kilde"] == "Bufdir, krisesenterstatistikken"
    assert notes["Antall sentre 2023"] == "43 med tilbud til kvinner og 41 med tilbud til menn"
    merknader = [v for k, v in notes.items() if k.startswith("Merknad")]
    assert merknader == [
        "2021: «Deltakelse i ansvarsgrupper rundt beboeren» ble endret til «Deltakelse i samarbeidsgrupper "
        "rundt beboeren»",
        "2023: «Advokatbistand i krisesenteret» var ny kategori",
        f"2024: «{OLD_HJELP}» ble endret til «{NEW_HJELP}»",
    ]
    assert notes["Status 2022"] == "Publisert (bygget 2025-05-02 09:30)"
    assert notes["Status 2024"] == "Utkast (ikke publisert) (bygget 2025-05-02 09:30)"


def test_year_series_workbook_has_all_target_group(out: tuple[Path, list[Path]]) -> None:
    out_dir, _ = out
    rows = sheet_rows(load_workbook(out_dir / "informasjonsarbeid.xlsx")["Data"])
    assert {r[1] for r in rows} == {"Alle sentre"}
    assert (2023, "Alle sentre", "andre_sosiale_medier", "Egen profil/konto på andre sosiale medier", 12, 43, 28) \
        in rows
    assert (2022, "Alle sentre", "andre_sosiale_medier", "Egen profil/konto på Twitter/andre sosiale medier", 11,
            43, 26) in rows


# --- Excel: bistand ---------------------------------------------------------------------------


def test_bistand_workbook(out: tuple[Path, list[Path]], db: Path) -> None:
    out_dir, _ = out
    wb = load_workbook(out_dir / "bistand.xlsx")
    assert wb.sheetnames == ["Om tallene", "Andeler", "Antall"]
    shares = sheet_rows(wb["Andeler"])
    con = duckdb.connect(str(db), read_only=True)
    n_shares = con.execute("select count(*) from service_shares").fetchone()
    published = con.execute(
        "select year, measure, n_with, n_base from service_shares where not suppressed").fetchall()
    con.close()
    assert n_shares is not None and len(shares) == n_shares[0]
    assert Counter((r[0], r[3], r[6], r[7]) for r in shares if r[6] != "..") == Counter(published)
    # by hand: 196/200 = 98 %, 53/200 = 26.5 % -> 27, 49/200 = 24.5 % -> 25 (never 24)
    assert (2024, "Opphold, voksne beboere", "Inntakssamtale", "inntakssamtale", "Alle", "Alle", 196, 200, 98) \
        in shares
    assert [r[8] for r in shares if r[0] == 2024 and r[3] == "kartlegging_trusler_andre" and str(r[1]).startswith(
        "Opphold, voksne")] == [27]
    assert [r[8] for r in shares if r[0] == 2024 and r[3] == "kartlegging_trusler_begge" and str(r[1]).startswith(
        "Opphold, voksne")] == [25]
    suppressed = [r for r in shares if r[4] == "Kjønn" and r[1] == "Opphold, voksne beboere"]
    assert [r[5:] for r in suppressed] == [("Kvinner", "..", "..", ".."), ("Menn", "..", "..", "..")]
    assert (2024, "Opphold, barn", "Velkomstsamtale", "velkomstsamtale", "Aldersgruppe", "11–17 år", 41, 45, 91) \
        in shares
    counts = sheet_rows(wb["Antall"])
    assert (2024, "Voksne beboere", "Alle", "Alle", 2715, 2340) in counts
    assert (2024, "Voksne beboere", "Kjønn", "Kvinner", "..", "..") in counts
    notes = dict((str(a), str(b)) for a, b in sheet_rows(wb["Om tallene"]))
    assert "færre enn 20 opphold eller dagsbesøk" in notes["Skjulte tall (..)"]
    assert "Sekundær prikking" in notes["Skjulte tall (..)"]


# --- Excel: the files as openpyxl writes them ---------------------------------------------------

BUILT = dt.datetime(2025, 5, 2, 9, 30)  # built_at of the fixture's releases


def test_workbooks_are_dated_by_the_build_time(out: tuple[Path, list[Path]]) -> None:
    """Not by the clock (openpyxl's time of saving, zipfile's entry dates): the same bytes every run."""
    out_dir, _ = out
    books = sorted(out_dir.glob("*.xlsx"))
    assert len(books) == 5
    for path in books:
        with zipfile.ZipFile(path) as z:
            assert {info.date_time for info in z.infolist()} == {(2025, 5, 2, 9, 30, 0)}, path.name
        props = load_workbook(path).properties
        assert (props.created, props.modified) == (BUILT, BUILT), path.name
        assert (props.creator, props.language) == ("Bufdir", "nb-NO")
    assert load_workbook(out_dir / "bistand.xlsx").properties.title == "Bistand under opphold og dagsbesøk"
    assert load_workbook(out_dir / "tilbud_beboere.xlsx").properties.title == "Tilbud til beboere"


def test_a_publication_without_build_time_gives_stable_files(db_copy: Path, tmp_path: Path) -> None:
    execute(db_copy, "update releases set built_at = null")
    first = write_exports(db_copy, tmp_path / "a")
    book = tmp_path / "a" / "bistand.xlsx"
    with zipfile.ZipFile(book) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert load_workbook(book).properties.modified == dt.datetime(1980, 1, 1)
    again = write_exports(db_copy, tmp_path / "b")
    assert [p.read_bytes() for p in first if p.suffix == ".xlsx"] == \
        [p.read_bytes() for p in again if p.suffix == ".xlsx"]


def test_workbook_layout(out: tuple[Path, list[Path]]) -> None:
    """Fonts, fill, alignments, number formats, widths, frozen header and Excel tables, as laid out."""
    out_dir, _ = out
    wb = load_workbook(out_dir / "tilbud_beboere.xlsx")
    notes, data = wb["Om tallene"], wb["Data"]
    for ws in (notes, data):
        assert ws["A1"].font.b and ws["A1"].font.sz == 14
        assert not ws["A2"].font.b and ws["A2"].data_type == "s"
        assert ws.freeze_panes == "A4"
        assert not ws.merged_cells.ranges
        for cell in ws[3]:
            assert cell.font.b and cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == "00DCE6F0"
            assert cell.alignment.wrap_text and cell.alignment.vertical == "bottom"
    assert {k: d.width for k, d in notes.column_dimensions.items()} == {"A": 30, "B": 110}
    assert {k: d.width for k, d in data.column_dimensions.items()} == dict(zip("ABCDEFG", (8, 20, 28, 70, 16, 16, 14),
                                                                             strict=True))
    assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for c in notes["B"][3:])
    assert not any(c.alignment.wrap_text for c in notes["A"][3:])
    n_notes, n_data = notes.max_row, data.max_row
    assert dict(notes.tables.items()) == {"om_tallene": f"A3:B{n_notes}"}  # (name, range) pairs
    assert dict(data.tables.items()) == {"data": f"A3:G{n_data}"}
    table = data.tables["data"]
    assert [c.name for c in table.tableColumns] == [c.value for c in data[3]]
    assert table.autoFilter.ref == table.ref
    assert (table.tableStyleInfo.name, table.tableStyleInfo.showRowStripes) == ("TableStyleLight1", True)
    year, n_centres = data["A4"], data["E4"]
    assert (year.data_type, year.number_format, n_centres.data_type, n_centres.number_format) == \
        ("n", "0", "n", "#,##0")
    assert data["D4"].number_format == "General" and data["D4"].data_type == "s"

    book = load_workbook(out_dir / "bistand.xlsx")
    assert {name: [*book[name].tables] for name in book.sheetnames} == {
        "Om tallene": ["om_tallene"], "Andeler": ["andeler"], "Antall": ["antall"]}
    counts = book["Antall"]
    assert {k: d.width for k, d in counts.column_dimensions.items()} == dict(zip("ABCDEF", (8, 20, 16, 12, 18, 16),
                                                                               strict=True))
    dots = [c for row in counts.iter_rows(min_row=4) for c in row if c.value == ".."]
    assert dots and all(c.alignment.horizontal == "right" and c.data_type == "s" for c in dots)
    numbers = [c for row in counts.iter_rows(min_row=4, min_col=5) for c in row if isinstance(c.value, int)]
    assert numbers and {c.number_format for c in numbers} == {"#,##0"}
    assert 2715 in [c.value for c in numbers]  # the fixture's stays of adults in 2024: a number, not text


def test_text_keeps_its_spaces_and_lines_and_loses_control_characters(db_copy: Path, tmp_path: Path) -> None:
    """Control characters XML cannot hold (openpyxl refuses them) are removed; tab and newline stay."""
    execute(db_copy, "update centre_offers set label = ? where question = 'tilbud_beboere' and item = 'barnepass'",
            ["  Barne\x07pass\x00 for\tbarn\nog unge\x1f "])
    execute(db_copy, "update questions set title = ? where question = 'tilbud_beboere'", ["Tilbud\x0b til beboere"])
    write_exports(db_copy, tmp_path)
    wb = load_workbook(tmp_path / "tilbud_beboere.xlsx")
    labels = {r[3] for r in sheet_rows(wb["Data"]) if r[2] == "barnepass"}
    assert labels == {"  Barnepass for\tbarn\nog unge "}
    assert wb["Data"]["A1"].value.startswith("Tilbud til beboere: antall sentre")
    assert wb.properties.title == "Tilbud til beboere"


def test_a_cell_holds_text_a_whole_number_or_nothing() -> None:
    ws = Workbook().create_sheet("x")
    for value in (True, 1.5, dt.date(2024, 1, 1)):
        with pytest.raises(TypeError, match="text, a whole number or nothing"):
            excel.value_cell(ws, value)  # type: ignore[arg-type]
    assert excel.value_cell(ws, "=1+1").data_type == "s"
    assert (excel.value_cell(ws, 7).data_type, excel.value_cell(ws, None).value) == ("n", None)


# --- sentences ------------------------------------------------------------------------------


def test_centre_sentences(pub: Publication) -> None:
    assert texts.politivurdering_sentence(pub, 2024) == (
        "30 av de 43 sentrene med tilbud til kvinner og 22 av de 42 sentrene med tilbud til menn har fått "
        "bygninger og sikkerhetstiltak vurdert av lokalt politi, hvorav henholdsvis 11 og 9 sentre oppga at "
        "politiets vurdering foreligger skriftlig."
    )
    assert texts.quantifier_sentences(pub, "tilbud_beboere", 2024, "kvinner") == (
        "Alle de 43 sentrene med tilbud til kvinner tilbød inntakssamtale og hjelp i kontakt med andre "
        f"tjenester. Nesten alle tilbød {EQUALS_LABEL} og {AT_LABEL} (mellom 40 og 41 sentre)."
    )
    assert texts.quantifier_sentences(pub, "tilbud_beboere", 2024, "menn") == (
        "Alle de 42 sentrene med tilbud til menn tilbød inntakssamtale og hjelp i kontakt med andre tjenester. "
        f"Nesten alle tilbød {EQUALS_LABEL} (40 sentre)."
    )
    # summed shares: advokatbistand 12/43 + 15/42 is the lowest (barnepass 20/43 + 10/42 is next)
    assert texts.fewest_sentence(pub, "tilbud_beboere", 2024) == (
        "Færrest sentre tilbød advokatbistand i krisesenteret: 12 av 43 med tilbud til kvinner og 15 av 42 med "
        "tilbud til menn."
    )
    org = texts.organisation_text(pub, 2024)
    assert org.paragraphs[0] == (
        "I 2024 var det totalt 43 krisesentre med tilbud til kvinner og menn. Av disse 43 krisesentrene "
        "hadde alle botilbud til kvinner, og 42 hadde botilbud til menn."
    )
    assert org.bullets[1] == "5 sentre hadde en midlertidig løsning for botilbud til menn."


def test_year_over_year_only_for_moves_of_two_and_names_label_changes(pub: Publication) -> None:
    yoy = " ".join(texts.yoy_sentences(pub, "tilbud_beboere", 2024))
    # women: plan etter 37 -> 40 (up), barnepass 24 -> 20 (down); advokatbistand 11 -> 12 is too small
    assert f"økning i antall sentre med tilbud til kvinner som tilbød {AT_LABEL} (fra 37 til 40)" in yoy
    assert "nedgang for barnepass (fra 24 til 20)" in yoy
    assert "advokatbistand" not in yoy
    # men: hjelp_kontakt 40 -> 42 across the 2024 label change, which is said
    assert f"(fra 40 til 42; kategorien het «{OLD_HJELP}» i 2023)" in yoy
    assert texts.yoy_sentences(pub, "informasjonsarbeid", 2024) == [
        "Sammenlignet med 2023 var det en økning i antall sentre som krysset av for brosjyrer/plakater på "
        "venterom hos andre tjenester (fra 36 til 40), og en nedgang for egen profil/konto på andre sosiale "
        "medier (fra 12 til 10) og annonser i lokalpresse (fra 8 til 5)."
    ]


def test_year_over_year_names_at_most_four_moves(db_copy: Path) -> None:
    for item, n in (("inntakssamtale", 30), ("hjelp_kontakt_tjenester", 30), ("praktisk_hjelp", 30),
                    ("plan_etter_opphold", 30), ("barnepass", 10)):
        execute(db_copy, "update centre_offers set n_centres = ? where year = 2023 and question = 'tilbud_beboere' "
                         "and target_group = 'kvinner' and item = ?", [n, item])
    pub = load_publication(db_copy)
    women = texts.yoy_sentences(pub, "tilbud_beboere", 2024)[0]
    # moves 13, 13, 11, 10 and 10: the four largest, the tie going to the earlier item in the codebook
    assert women == (
        "Sammenlignet med 2023 var det en økning i antall sentre med tilbud til kvinner som blant annet tilbød "
        f"inntakssamtale (fra 30 til 43), hjelp i kontakt med andre tjenester (fra 30 til 43; kategorien het "
        f"«{OLD_HJELP}» i 2023), {EQUALS_LABEL} (fra 30 til 41) og {AT_LABEL} (fra 30 til 40)."
    )


def test_share_sentences(pub: Publication) -> None:
    adult = texts.adult_paragraph(pub, 2024) or ""
    assert adult.startswith("Av brukerdataene ser vi at det ble gjennomført inntakssamtale ved 98 prosent av "
                            "oppholdene til voksne beboere i 2024.")
    for fragment in ("ved 75 prosent av oppholdene", "Ved 73 prosent", "ved 27 prosent", "ved 25 prosent",
                     "ved 82 prosent", "Ved 63 prosent", "ved 30 prosent", "200 opphold"):
        assert fragment in adult
    child = texts.child_paragraph(pub, 2024) or ""
    for fragment in ("velkomstsamtale ved 65 prosent", "ved 53 prosent av oppholdene", "Ved 51 prosent",
                     "ved 18 prosent", "ved 16 prosent", "Ved 45 prosent"):
        assert fragment in child
    assert texts.age_paragraph(pub, 2024) == (
        "Merk at bistand til barn har sammenheng med barnas alder; for eksempel ble det gjennomført en "
        "velkomstsamtale ved omtrent 9 av 10 opphold av barn som var eldre enn 10 år, 8 av 10 opphold av barn i "
        "alderen 6–10 år, 6 av 10 opphold av barn i alderen 3–5 år og 2 av 10 opphold av barn som var yngre enn "
        "3 år da de bodde på krisesenter."
    )
    visits = texts.visit_paragraph(pub, 2024) or ""
    for fragment in ("ved 25 prosent av dagsbesøkene", "totalt 18 prosent", "Ved 18 prosent", "ved 4 prosent",
                     "ved 3 prosent"):
        assert fragment in visits


def updated_publication(db_copy: Path, *updates: str) -> Publication:
    """The publication of the database copy after the SQL statements `updates`."""
    for sql in updates:
        execute(db_copy, sql)
    return load_publication(db_copy)


def test_sentences_follow_the_database(db_copy: Path) -> None:
    pub = updated_publication(
        db_copy,
        "update centre_offers set n_centres = 31 where year = 2024 and question = 'politivurdering' "
        "and item in ('vurdert', 'minst_ett') and target_group = 'kvinner'",
        "update service_shares set n_with = 190, share = 0.95 where year = 2024 and "
        "population = 'voksne_opphold' and measure = 'inntakssamtale' and breakdown = 'alle'")
    assert (texts.politivurdering_sentence(pub, 2024) or "").startswith("31 av de 43 sentrene med tilbud til kvinner")
    assert "(fra 28 til 31)" in " ".join(texts.yoy_sentences(pub, "politivurdering", 2024))
    assert "inntakssamtale ved 95 prosent av oppholdene" in (texts.adult_paragraph(pub, 2024) or "")


def test_suppressed_shares_are_shown_as_dots(db_copy: Path) -> None:
    hidden = "update service_shares set n_with = null, n_base = null, share = null, suppressed = true where "
    pub = updated_publication(
        db_copy,
        hidden + "year = 2024 and population = 'dagsbesok'",
        hidden + "year = 2024 and breakdown = 'aldersgruppe' and category in ('6-10', '11-17')")
    visits = texts.visit_paragraph(pub, 2024) or ""
    assert "ved .. prosent av dagsbesøkene" in visits
    assert "25 prosent" not in visits
    # the fine age groups are incomplete: the coarse ones are used (57 of 65 = 87.7 % -> 88)
    assert texts.age_paragraph(pub, 2024) == (
        "Merk at bistand til barn har sammenheng med barnas alder; for eksempel ble det gjennomført en "
        "velkomstsamtale ved knapt 9 av 10 opphold av barn som var 6 år eller eldre, 6 av 10 opphold av barn i "
        "alderen 3–5 år og 2 av 10 opphold av barn som var yngre enn 3 år da de bodde på krisesenter."
    )


# --- charts -----------------------------------------------------------------------------------


def test_chart_svg_carries_alt_text(out: tuple[Path, list[Path]]) -> None:
    out_dir, _ = out
    svg = (out_dir / "charts" / "tilbud_beboere.svg").read_text(encoding="utf-8")
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title = root.find(f"{ns}title")
    desc = root.find(f"{ns}desc")
    assert title is not None and title.text == "Tilbud til beboere, 2024"
    alt = (out_dir / "charts" / "tilbud_beboere.txt").read_text(encoding="utf-8").strip()
    assert desc is not None and desc.text == alt
    assert "Alle 43 sentre for kvinner tilbød inntakssamtale og hjelp i kontakt med andre tjenester." in alt
    assert "Færrest sentre for menn tilbød barnepass (10 av 42)." in alt
    assert "<dc:date>" not in svg


def test_chart_spec_orders_items_and_series(pub: Publication) -> None:
    spec = charts.chart_spec(pub, "tilbud_beboere", 2024)
    assert spec.items == ("inntakssamtale", "hjelp_kontakt_tjenester", "praktisk_hjelp", "plan_etter_opphold",
                          "barnepass", "advokatbistand")
    assert [s.key for s in spec.series] == ["kvinner", "menn"]
    assert spec.series[1].values == (42, 42, 40, 35, 10, 15)
    series = charts.chart_spec(pub, "informasjonsarbeid", 2024)
    assert [s.key for s in series.series] == ["2022", "2023", "2024"]
    assert series.series[0].values == (34, 33, 11, 10)


# --- preview ----------------------------------------------------------------------------------


def test_preview_page(out: tuple[Path, list[Path]]) -> None:
    out_dir, _ = out
    html = (out_dir / "index.html").read_text(encoding="utf-8")
    assert 'class="notice notice-draft"' in html and "UTKAST" in html
    order = [html.index(f'id="{anchor}"') for anchor in
             ("organisering", "botilbud-for-voksne", "tilbud-til-barn", "dagtilbudet", "sikkerhetstiltak",
              "informasjonsarbeid")]
    assert order == sorted(order)
    shown = html[:html.index("<template")]  # the page without JavaScript: the chart variants come after it
    assert shown.count("<svg") == 4
    assert shown.count('<table class="data">') == 4
    assert shown.count('aria-labelledby="chart-') == 4
    for q in QUESTIONS:
        assert f'href="{q}.xlsx"' in html
    assert "30 av de 43 sentrene med tilbud til kvinner" in html
    assert "ved 98 prosent av oppholdene" in html
    assert "2024: «Hjelp til å ta kontakt med andre tjenester» ble endret til «Hjelp i kontakt med andre " \
           "tjenester»" in html
    assert "Barnepass og barnevakt" not in html  # a label change after the latest year
    assert " src=" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html and "@import" not in html


def test_published_and_revised_years(db_copy: Path) -> None:
    pub = updated_publication(db_copy, "update releases set status = 'publisert' where year = 2024")
    rendered = {q.question: charts.render_question(pub, q.question, 2024) for q in pub.questions}
    assert "UTKAST" not in preview.render_html(pub, rendered)
    pub = updated_publication(db_copy, "update releases set status = 'revidert', "
                                       "note = 'Tallene for politivurdering er rettet.' where year = 2024")
    html = preview.render_html(pub, rendered)
    assert "UTKAST" not in html
    assert "notice-revised" in html and "Tallene for politivurdering er rettet." in html


def test_revision_of_an_earlier_year_is_noted_beside_the_draft(db_copy: Path) -> None:
    pub = updated_publication(db_copy, "update releases set status = 'revidert', "
                                       "note = 'Dagsbesøk 2023 er rettet fra 8 118 til 8 115.' where year = 2023")
    rendered = {q.question: charts.render_question(pub, q.question, 2024) for q in pub.questions}
    html = preview.render_html(pub, rendered)
    assert "UTKAST" in html
    assert "<strong>2023:</strong> Dagsbesøk 2023 er rettet fra 8 118 til 8 115." in html

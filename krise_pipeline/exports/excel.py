"""The Excel downloads: one workbook per question ("Last ned Excel (all data)") and bistand.xlsx.

Laid out after the UK Analysis Function guidance on releasing statistics in spreadsheets: the
title in A1, one table per sheet (an Excel table with a header row, no merged cells, no blank
rows), a sheet "Om tallene" with the description, notes, source and release status. Every text
cell is written as text (data type 's'), so a label starting with "=", "+", "-" or "@" never
becomes a formula; control characters XML cannot hold are removed from it.

openpyxl writes the files. It stamps the time of saving into the document properties and dates the
zip entries by the clock; `save` sets both to the build time of the latest release, so that the
same publication gives the same bytes.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from krise_pipeline.language import rules, texts
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import (
    BREAKDOWN_NAMES,
    COUNT_POPULATION_NAMES,
    MEASURE_NAMES,
    POPULATION_NAMES,
    SOURCE,
    STATUS_NAMES,
    TARGET_GROUP_NAMES,
    breakdown_order,
    category_name,
    category_order,
    measure_order,
    population_order,
)
from krise_pipeline.publication.model import CountCell, Publication, ShareCell

DATA_SHEET = "Data"
NOTES_SHEET = "Om tallene"
SHARES_SHEET = "Andeler"
COUNTS_SHEET = "Antall"
HEADER_ROW = 3
YEAR_FORMAT = "0"
COUNT_FORMAT = "#,##0"
TABLE_STYLE = "TableStyleLight1"
CORE_PART: Final = "docProps/core.xml"  # the document properties, openpyxl's `Workbook.properties`
NO_BUILD_TIME: Final = datetime(1980, 1, 1)  # the dates of a publication without build time (zip's first day)

Value = str | int | None

_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="bottom")
_WRAP = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right")


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def value_cell(ws: Worksheet, value: Value, number_format: str = "0", alignment: Alignment | None = None,
              font: Font | None = None, fill: PatternFill | None = None) -> Cell:
    """Numbers as numbers (in `number_format`); everything else as text that is never read as a formula."""
    if isinstance(value, bool) or not isinstance(value, str | int | None):
        raise TypeError(f"a cell holds text, a whole number or nothing, not {value!r}")
    cell = Cell(ws, value=_clean(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl takes text starting with "=" for a formula
    elif value is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _table_sheet(wb: Workbook, sheet: str, title: str, subtitle: str, name: str, headers: Sequence[str],
                 rows: Sequence[Sequence[Value]], widths: Sequence[int], wrap_columns: Sequence[int] = ()) -> None:
    """A sheet of the title in A1, a subtitle in A2 and the Excel table `name` from row 3 on.

    Written row by row (openpyxl's write-only mode, which needs that order, was slower here).
    """
    ws = wb.create_sheet(sheet)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    if rows:
        ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{HEADER_ROW + len(rows)}"
        table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref),
                      tableStyleInfo=TableStyleInfo(name=TABLE_STYLE, showRowStripes=True))
        table.tableColumns = [TableColumn(id=i, name=_clean(h)) for i, h in enumerate(headers, start=1)]
        ws.add_table(table)
    ws.append([value_cell(ws, title, font=_TITLE_FONT)])
    ws.append([value_cell(ws, subtitle)])
    ws.append([value_cell(ws, h, alignment=_HEADER_ALIGNMENT, font=_HEADER_FONT, fill=_HEADER_FILL) for h in headers])
    formats = [YEAR_FORMAT if header == "År" else COUNT_FORMAT for header in headers]
    for row in rows:
        ws.append([value_cell(ws, value, formats[col - 1],
                             _WRAP if col in wrap_columns
                             else _RIGHT if isinstance(value, str) and value == rules.SUPPRESSED else None)
                   for col, value in enumerate(row, start=1)])


def _notes_sheet(wb: Workbook, title: str, entries: Sequence[tuple[str, str]]) -> None:
    _table_sheet(wb, NOTES_SHEET, title, "Beskrivelse av tallene, merknader, kilde og publiseringsstatus.",
                 "om_tallene", ("Emne", "Innhold"), entries, (30, 110), wrap_columns=(2,))


def _built(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "ukjent"


def status_entries(pub: Publication, years: Sequence[int]) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for year in years:
        release = pub.release(year)
        status = pub.status(year)
        text = STATUS_NAMES.get(status, status)
        if release is not None:
            text += f" (bygget {_built(release.built_at)})"
            if release.note and release.note.strip():
                text += f". {release.note.strip()}"
        entries.append((f"Status {year}", text))
    latest = pub.release(pub.latest_year)
    if latest is not None and (latest.package_version or latest.git_commit):
        entries.append(("Programversjon", " ".join(
            p for p in (latest.package_version, f"({latest.git_commit[:12]})" if latest.git_commit else None)
            if p)))
    return entries


def _workbook(pub: Publication, title: str) -> Workbook:
    """An empty workbook (no sheet) with the document properties; `created` is the build time (UTC)."""
    latest = pub.release(pub.latest_year)
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    wb.properties.title, wb.properties.creator, wb.properties.language = _clean(title), "Bufdir", "nb-NO"
    built = latest.built_at if latest is not None else None
    wb.properties.created = built if built is not None else NO_BUILD_TIME
    return wb


# --- one workbook per question ---------------------------------------------------------------


DATA_HEADERS = (
    "År", "Målgruppe", "Kategorikode", "Kategori", "Antall sentre som krysset av",
    "Antall sentre i grunnlaget", "Prosent av sentrene",
)


def question_rows(pub: Publication, question: str) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = []
    for o in pub.offers_for(question):
        pct: Value = rules.percent(o.n_centres, o.n_base) if o.n_base > 0 else rules.SUPPRESSED
        rows.append((o.year, TARGET_GROUP_NAMES.get(o.target_group, o.target_group), o.item, o.label,
                     o.n_centres, o.n_base, pct))
    return rows


def question_notes(pub: Publication, question: str) -> list[tuple[str, str]]:
    q = pub.question(question)
    years = pub.years(question)
    entries: list[tuple[str, str]] = [
        ("Tittel", q.title),
        ("Spørsmål", q.question_text),
        ("Hovedinndeling", q.main_grouping),
        ("Sekundærinndeling", q.secondary_grouping),
        ("Innhold", "Arket Data har én rad per år, målgruppe og kategori. Kategorinavnet er navnet som "
                    "gjaldt det året; kategorikoden er den samme over årene."),
        ("Enhet", "Antall sentre. Prosent av sentrene i grunnlaget, avrundet til hele prosent "
                  "(0,5 rundes opp)."),
    ]
    if q.scope == contract.SCOPE_CENTRE:
        entries.append(("Grunnlag", "Alle sentre som rapporterte det året."))
    elif question == contract.ORGANISERING:
        entries.append(("Grunnlag", "«Har botilbud»: alle sentre som rapporterte. Organiseringen av "
                                    "botilbudet til menn: sentrene med botilbud til menn."))
    else:
        entries.append(("Grunnlag", "Tilbud til kvinner: sentrene med botilbud til kvinner. Tilbud til menn: "
                                    "sentrene med botilbud til menn."))
    for year in years:
        parts = []
        for group in pub.target_groups(question):
            base = pub.base(year, question, group)
            if base is None:
                continue
            parts.append(f"{rules.format_int(base)} sentre" if group == contract.TARGET_GROUP_ALL
                         else f"{rules.format_int(base)} med {TARGET_GROUP_NAMES[group].lower()}")
        if parts:
            entries.append((f"Antall sentre {year}", rules.join_nb(parts)))
    if question != contract.ORGANISERING:
        entries.append((contract.DERIVED_LABELS[contract.MINST_ETT],
                        "Antall sentre som krysset av for minst ett av alternativene i spørsmålet."))
    notes = texts.footnotes(pub, question, pub.latest_year)
    for i, note in enumerate(notes, start=1):
        entries.append((f"Merknad {i}", note))
    entries += [(a.label(), a.note) for a in pub.acknowledged_for(question=question)]
    if not notes:
        entries.append(("Merknader", "Ingen endringer i kategoriene."))
    entries.append(("Kilde", SOURCE))
    entries.extend(status_entries(pub, years or (pub.latest_year,)))
    return entries


def question_workbook(pub: Publication, question: str) -> Workbook:
    q = pub.question(question)
    years = pub.years(question)
    span = f", {years[0]}–{years[-1]}" if len(years) > 1 else (f", {years[0]}" if years else "")
    wb = _workbook(pub, q.title)
    _notes_sheet(wb, f"Om tallene: {q.title}", question_notes(pub, question))
    _table_sheet(wb, DATA_SHEET, f"{q.title}: antall sentre etter år og målgruppe{span}",
                 f"Kilde: {SOURCE}. Merknader og forklaringer står i arket «{NOTES_SHEET}».",
                 "data", DATA_HEADERS, question_rows(pub, question), (8, 20, 28, 70, 16, 16, 14))
    return wb


# --- bistand.xlsx -----------------------------------------------------------------------------


SHARE_HEADERS = (
    "År", "Gruppe", "Bistand", "Bistandskode", "Inndeling", "Kategori", "Antall med bistanden",
    "Antall opphold/besøk i grunnlaget", "Prosent",
)
COUNT_HEADERS = ("År", "Gruppe", "Inndeling", "Kategori", "Antall opphold/besøk", "Antall personer")


def _share_sort(s: ShareCell) -> tuple[int, int, int, str, int, int, str]:
    return (s.year, population_order(s.population), measure_order(s.population, s.measure), s.measure,
            breakdown_order(s.breakdown), category_order(s.breakdown, s.category), s.category)


def _count_sort(c: CountCell) -> tuple[int, int, int, int, str]:
    return (c.year, population_order(c.population), breakdown_order(c.breakdown),
            category_order(c.breakdown, c.category), c.category)


def share_rows(pub: Publication) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = []
    for s in sorted(pub.shares, key=_share_sort):
        head: tuple[Value, ...] = (
            s.year, POPULATION_NAMES.get(s.population, s.population), MEASURE_NAMES.get(s.measure, s.measure),
            s.measure, BREAKDOWN_NAMES.get(s.breakdown, s.breakdown),
            category_name(s.population, s.breakdown, s.category),
        )
        if s.suppressed or s.n_with is None or not s.n_base:
            rows.append((*head, rules.SUPPRESSED, rules.SUPPRESSED, rules.SUPPRESSED))
        else:
            rows.append((*head, s.n_with, s.n_base, rules.percent(s.n_with, s.n_base)))
    return rows


def count_rows(pub: Publication) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = []
    for c in sorted(pub.counts, key=_count_sort):
        head: tuple[Value, ...] = (
            c.year, COUNT_POPULATION_NAMES.get(c.population, c.population),
            BREAKDOWN_NAMES.get(c.breakdown, c.breakdown), category_name(c.population, c.breakdown, c.category),
        )
        if c.suppressed or c.n_records is None:
            rows.append((*head, rules.SUPPRESSED, rules.SUPPRESSED))
        else:
            rows.append((*head, c.n_records, rules.SUPPRESSED if c.n_persons is None else c.n_persons))
    return rows


SUPPRESSION_NOTE = (
    f"«{rules.SUPPRESSED}» betyr at tallet er skjult (prikket) av personvernhensyn. Primær prikking: en celle "
    f"(år, gruppe, inndeling og kategori) med færre enn {contract.SUPPRESSION_THRESHOLD} opphold eller "
    "dagsbesøk i grunnlaget er skjult for all bistand. Sekundær prikking: i tillegg er så mange andre celler "
    "skjult at ingen skjult celle kan regnes ut fra de publiserte tallene (for eksempel alle minus de andre "
    "kategoriene). Aldersgruppene 0–2 og 3–5 år er skjult i begge aldersinndelingene når de er skjult i den ene."
)


ALL_POPULATIONS = (*contract.SHARE_POPULATIONS, *contract.COUNT_POPULATIONS)


def bistand_notes(pub: Publication) -> list[tuple[str, str]]:
    years = sorted({s.year for s in pub.shares} | {c.year for c in pub.counts})
    return [
        ("Tittel", "Bistand under opphold og dagsbesøk, og antall brukere"),
        ("Innhold", f"Arket «{SHARES_SHEET}»: andel av oppholdene (voksne beboere og barn) og dagsbesøkene der "
                    f"bistanden ble gitt. Arket «{COUNTS_SHEET}»: antall opphold og dagsbesøk, og antall "
                    "personer."),
        ("Grunnlag for andelene", "Opphold og dagsbesøk i året der brukeren ikke har reservert seg mot "
                                  "registrering. Reserverte opphold og besøk er med i antallet, men ikke i "
                                  "andelene."),
        ("Kartlegging av trusler", "«Totalt» er opphold eller besøk med kartlegging i regi av krisesenteret "
                                   "eller i regi av andre; «både» er opphold eller besøk med begge."),
        ("Prosent", "Avrundet til hele prosent; 0,5 rundes opp."),
        ("Antall personer", "Personer telles ved første opphold eller dagsbesøk i året."),
        ("Kjønn", "Kategoriene annet og ukjent kjønn vises ikke; kvinner og menn kan derfor til sammen være "
                  "færre enn alle."),
        ("Skjulte tall (..)", SUPPRESSION_NOTE),
        *((a.label(), a.note) for a in pub.acknowledged_for(populations=ALL_POPULATIONS)),
        ("Kilde", SOURCE),
        *status_entries(pub, years or [pub.latest_year]),
    ]


def bistand_workbook(pub: Publication) -> Workbook:
    wb = _workbook(pub, "Bistand under opphold og dagsbesøk")
    _notes_sheet(wb, "Om tallene: bistand under opphold og dagsbesøk", bistand_notes(pub))
    _table_sheet(wb, SHARES_SHEET, "Bistand under opphold og dagsbesøk: andel av opphold og besøk etter år",
                 f"Kilde: {SOURCE}. «{rules.SUPPRESSED}» = skjult av personvernhensyn, se arket «{NOTES_SHEET}».",
                 "andeler", SHARE_HEADERS, share_rows(pub), (8, 24, 60, 28, 18, 12, 14, 18, 10))
    _table_sheet(wb, COUNTS_SHEET, "Antall opphold, dagsbesøk og personer etter år",
                 f"Kilde: {SOURCE}. «{rules.SUPPRESSED}» = skjult av personvernhensyn, se arket «{NOTES_SHEET}».",
                 "antall", COUNT_HEADERS, count_rows(pub), (8, 20, 16, 12, 18, 16))
    return wb


def save(wb: Workbook, path: Path) -> Path:
    """Write the workbook to `path` (a temporary file renamed over it: never half a file).

    openpyxl saves into memory; the zip is then copied entry by entry with every entry dated by the
    build time (`wb.properties.created`) and the document properties written again with that time
    as `modified` (openpyxl sets it to the time of saving): the same publication, the same bytes.
    """
    saved = io.BytesIO()
    wb.save(saved)
    wb.properties.modified = wb.properties.created
    stamp = wb.properties.created.timetuple()[:6]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # what zipfile gives a part written from memory
            data = tostring(wb.properties.to_tree()) if entry.filename == CORE_PART else source.read(entry)
            target.writestr(info, data)
    os.replace(tmp, path)
    return path

"""The validation report for the supplier: a summary per file and rule, then every listed problem.

The terminal gets English (`summary_lines`); the file a supplier opens (`write_report`: .xlsx or
.html) is in Norwegian (bokmål), since the suppliers are Norwegian centres and their system
vendors: per problem the file, line or cell, column, rule, value, what is wrong and what to do.
Every rule has one name and one sentence per file and column, built from the rule alone.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from krise_pipeline.metadata import contract
from krise_pipeline.validated.problems import Problem, Report, Summary, format_report, sort_key

REPORT_SUFFIXES: Final = (".xlsx", ".html")

RULE_NAMES: Final = {
    "required": "Må fylles ut",
    "must_be_empty": "Skal være tom",
    "flag": "Må være 0, 1 eller tom",
    "pattern": "Feil format",
    "unique": "Finnes fra før",
    "code_list": "Ukjent kode",
    "range": "Utenfor lovlige verdier",
    "date": "Ugyldig dato",
    "date_order": "Utflytting før innflytting",
    "not_in_year": "Utenfor året",
    "no_offer": "Svar uten tilbud",
    "first_flag": "Første opphold/besøk flere ganger",
    "unknown_centre": "Ukjent senter",
    "formula": "Formel i cellen",
    "missing_file": "Filen mangler",
    "duplicate_file": "Filen er levert to ganger",
    "missing_folder": "Mappen finnes ikke",
    "year_folder": "Mappenavnet er ikke et år",
    "unreadable": "Kan ikke leses",
    "not_xlsx": "Ikke en Excel-arbeidsbok",
    "missing_sheet": "Arket mangler",
    "too_large": "For stor fil",
    "no_rows": "Ingen sentre",
    "empty_file": "Tom fil",
    "missing_header": "Overskriftslinjen mangler",
    "missing_column": "Kolonne mangler",
    "unknown_column": "Ukjent kolonne",
    "duplicate_column": "Kolonne to ganger",
    "delimiter": "Feil skilletegn",
    "encoding": "Feil tegnkoding",
    "nul_byte": "Ikke en tekstfil",
    "truncated": "Filen er avkortet",
    "corrupt": "Skadet gzip-fil",
    "field_count": "Feil antall felt",
    "malformed": "Ugyldig CSV-linje",
    "line_too_long": "For lang linje",
    "repeated_header": "Overskriften gjentas",
}

_WHAT_TO_DO: Final = {
    "required": "Fyll inn verdien i kildesystemet og lever filen på nytt.",
    "must_be_empty": "La feltet stå tomt: personen har reservert seg mot registrering.",
    "flag": "Skriv 1 (ja), 0 (nei) eller la feltet stå tomt.",
    "pattern": "Rett verdien til riktig format (se eksemplet).",
    "unique": "Hver rad skal ha sin egen id: fjern den doble raden eller gi den en ny id.",
    "code_list": "Bruk en av kodene i leveransebeskrivelsen.",
    "range": "Rett verdien til et helt tall innenfor grensene.",
    "date": "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2024-03-01.",
    "date_order": "Sjekk datoene: utflyttet kan ikke være før innflyttet.",
    "not_in_year": "Lever bare opphold og besøk i rapporteringsåret. Er dette fjorårets fil?",
    "no_offer": "Fjern krysset, eller rett har_tilbud-kolonnen hvis senteret har tilbudet.",
    "first_flag": "Sett første opphold/besøk i året til 1 på bare én rad per person.",
    "unknown_centre": "Bruk senter_id fra sentreskjemaet, eller legg senteret til i skjemaet.",
    "formula": "Kopier cellene og lim inn som verdier.",
    "missing_file": "Legg filen i leveransemappen.",
    "duplicate_file": "Lever filen bare én gang: enten .csv eller .csv.gz.",
    "encoding": "Lagre filen som UTF-8 (i Excel: «CSV UTF-8»).",
    "delimiter": "Lagre filen med komma som skilletegn (i Excel: «CSV UTF-8 (kommadelt)»).",
    "field_count": "Hver linje skal ha like mange felt som overskriften; sett anførselstegn rundt "
                   "verdier med komma.",
    "malformed": "Rett linjen: lukk anførselstegn og fjern linjeskift inne i linjen.",
    "repeated_header": "Fjern overskriftslinjen: filer skal ikke settes sammen med overskrifter.",
    "missing_column": "Legg til kolonnen i overskriftslinjen (se leveransebeskrivelsen).",
    "unknown_column": "Fjern kolonnen eller rett navnet (se leveransebeskrivelsen).",
    "duplicate_column": "Ta med kolonnen bare én gang.",
    "truncated": "Pakk filen på nytt og lever den hel.",
    "corrupt": "Pakk filen på nytt med gzip, eller lever den upakket som .csv.",
    "nul_byte": "Lagre filen som tekst (CSV, UTF-8).",
    "empty_file": "Lever filen med overskriftslinjen og radene.",
    "missing_header": "Første linje skal være overskriftslinjen.",
}
_DEFAULT_TO_DO: Final = "Rett filen og lever den på nytt."


def _offer_group(column: str) -> str:
    return "kvinner" if column.endswith("__k") else "menn"


def sentence(file: str, rule: str, column: str, year: int) -> str:
    """What is wrong, in bokmål, for a rule broken in one column of one file."""
    child = file.startswith(contract.CHILD_FILE)
    sentences = {
        "required": f"{column} må fylles ut",
        "must_be_empty": f"{column} skal være tom når reservert er 1",
        "flag": f"{column} må være 0, 1 eller tom",
        "pattern": ("kommune_nr må være fire sifre, for eksempel 0301" if column == "kommune_nr"
                    else "senter_id må være KS og tre sifre, for eksempel KS001"),
        "unique": f"{column} finnes allerede på en tidligere linje",
        "code_list": (f"{column} må være en av " + ", ".join(contract.BOTILBUD_MENN_TYPES) + " eller tom"
                      if column == "botilbud_menn_type" else
                      f"{column} må være en av " + ", ".join(contract.CHILD_KJONN if child
                                                              else contract.ADULT_KJONN)),
        "range": "alder må være et helt tall 0-17" if child else "alder må være et helt tall 18-110 eller tom",
        "date": f"{column} må være en dato som finnes, skrevet ÅÅÅÅ-MM-DD",
        "date_order": "utflyttet er før innflyttet",
        "not_in_year": (f"innflyttet er etter 31. desember {year}" if column == "innflyttet" else
                        f"utflyttet er før 1. januar {year}" if column == "utflyttet" else
                        f"dato er ikke i {year}"),
        "no_offer": f"{column} er krysset av, men har_tilbud_{_offer_group(column)} er ikke 1",
        "first_flag": f"samme {column} har allerede første opphold/besøk i året = 1",
        "unknown_centre": f"senter_id finnes ikke i {contract.SURVEY_FILE} for {year}",
        "formula": "cellen inneholder en formel; skjemaet skal bare ha verdier",
    }
    return sentences.get(rule, RULE_NAMES.get(rule, rule))


def what_to_do(rule: str) -> str:
    return _WHAT_TO_DO.get(rule, _DEFAULT_TO_DO)


def _lines(first: int | None, last: int | None, file: str) -> str:
    if first is None or last is None:
        return ""
    word = "rad" if file.endswith(".xlsx") else "linje"
    return f"{word} {first}" if first == last else f"{word} {first}-{last}"


def _records_word(file: str) -> str:
    return "besøk" if file.startswith(contract.VISIT_FILE) else "opphold" if ".csv" in file else "rader"


def summary_sentence(summary: Summary, year: int) -> str:
    """One line in bokmål: how many, where, what is wrong (and a hint where the rule suggests one)."""
    count = f"{summary.count:,}".replace(",", " ")
    where = _lines(summary.first, summary.last, summary.file)
    where = f" {where}" if where else ""
    if summary.rule == "not_in_year" and summary.column == "utflyttet":
        return (f"{count} {_records_word(summary.file)} i {summary.file}{where} slutter før 1. januar {year}: "
                "er dette fjorårets fil?")
    if summary.rule == "not_in_year" and summary.column == "dato":
        return (f"{count} besøk i {summary.file}{where} er ikke i {year}: er dette fjorårets fil?")
    what = sentence(summary.file, summary.rule, summary.column, year)
    return f"{count} problem{'er' if summary.count != 1 else ''} i {summary.file}{where}: {what}"


def summary_lines(report: Report) -> list[str]:
    """The terminal's summary (English): one line per file, rule and column."""
    out = []
    for s in report.summaries:
        where = ""
        if s.first is not None and s.last is not None:
            unit = "rows" if s.file.endswith(".xlsx") else "lines"
            where = f" {unit} {s.first}-{s.last}" if s.first != s.last else f" {unit[:-1]} {s.first}"
        column = f", column {s.column}" if s.column else ""
        hint = ": is this last year's file?" if s.rule == "not_in_year" else ""
        out.append(f"  {s.count:,} x rule {s.rule} in {s.file}{where}{column}{hint}")
    return out


def format_with_summary(report: Report, year_dir: Path) -> str:
    """The listed problems (format_report), then the summary per file and rule."""
    text = format_report(report.problems, year_dir)
    if report.summaries:
        text += "\nSummary by file and rule:\n" + "\n".join(summary_lines(report))
    return text


def _year(year_dir: Path) -> int:
    return int(year_dir.name) if year_dir.name.isdigit() else 0


def _problem_row(p: Problem, year: int) -> list[str]:
    base = p.file.removesuffix(".gz")
    what = (sentence(base, p.rule, p.column, year) if p.location and p.column
            and p.rule in RULE_NAMES and p.rule not in ("missing_column", "unknown_column", "duplicate_column")
            else p.message)
    return [p.file, p.location.replace("line ", "linje "), p.column, RULE_NAMES.get(p.rule, p.rule), p.rule,
            p.value, what, what_to_do(p.rule)]


PROBLEM_HEADER: Final = ["Fil", "Linje/celle", "Kolonne", "Regel", "Regel-id", "Verdi", "Hva er galt",
                         "Hva du gjør"]
SUMMARY_HEADER: Final = ["Fil", "Regel", "Regel-id", "Kolonne", "Antall", "Første linje/rad",
                         "Siste linje/rad", "Oppsummering", "Hva du gjør"]


def _summary_row(s: Summary, year: int) -> list[object]:
    return [s.file, RULE_NAMES.get(s.rule, s.rule), s.rule, s.column, s.count, s.first, s.last,
            summary_sentence(s, year), what_to_do(s.rule)]


def _tables(report: Report, year_dir: Path) -> tuple[list[list[object]], list[list[str]]]:
    year = _year(year_dir)
    summaries = [_summary_row(s, year) for s in report.summaries]
    listed = [p for p in sorted(report.problems, key=sort_key) if p.location or p.value or not _is_more(p)]
    problems = [_problem_row(p, year) for p in listed]
    return summaries, problems


def _is_more(p: Problem) -> bool:
    return not p.location and " more problem" in p.message


def write_report(report: Report, year_dir: Path, path: Path) -> Path:
    """Write the report as .xlsx (sheets Oppsummering and Problemer) or .html; returns `path`."""
    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"the report must end in {' or '.join(REPORT_SUFFIXES)}: {path}")
    summaries, problems = _tables(report, year_dir)
    title = f"Kontroll av leveransen {year_dir.name}"
    status = ("Ingen problemer funnet." if not report.problems else
              f"{sum(s.count for s in report.summaries):,} problemer".replace(",", " ") +
              f" ({len(problems)} listet nedenfor; høyst 50 per fil, kolonne og regel).")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _write_xlsx(path, title, status, summaries, problems)
    else:
        _write_html(path, title, status, summaries, problems)
    return path


def _write_xlsx(path: Path, title: str, status: str, summaries: Sequence[Sequence[object]],
                problems: Sequence[Sequence[object]]) -> None:
    from openpyxl import Workbook  # only when a report is written
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Oppsummering"
    sheets = ((first, SUMMARY_HEADER, summaries), (wb.create_sheet("Problemer"), PROBLEM_HEADER, problems))
    for sheet, header, rows in sheets:
        sheet.append([title])
        sheet.append([status])
        sheet.append(list(header))
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        sheet["A1"].font = Font(bold=True, size=14)
        for row in rows:
            sheet.append(list(row))
        for row in sheet.iter_rows(min_row=4):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text from the delivery is never a formula
        sheet.freeze_panes = "A4"
        for letter, width in zip("ABCDEFGHI", (22, 24, 28, 26, 16, 18, 50, 60, 60), strict=False):
            sheet.column_dimensions[letter].width = width
    wb.save(path)


def _write_html(path: Path, title: str, status: str, summaries: Sequence[Sequence[object]],
                problems: Sequence[Sequence[object]]) -> None:
    def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
            for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    page = (
        "<!DOCTYPE html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #999;padding:4px 8px;"
        "text-align:left;vertical-align:top}th{background:#eee}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(status)}</p>"
        f"<h2>Oppsummering per fil og regel</h2>{table(SUMMARY_HEADER, summaries)}"
        f"<h2>Problemer</h2>{table(PROBLEM_HEADER, problems)}</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")

"""index.html: a self-contained preview of the page "Bo- og dagtilbud" for the latest year.

Sections in the published page's order; under each chart (inline SVG with title and
description) an accessible data table, the figure sentences, the footnotes and the download link.
Marked "UTKAST" unless the year is published; a revised year shows its amendment note.

Each chart has the reader's controls ("Hovedinndeling", "Sekundærinndeling" and the year, target
group or item left over): every variant (`chart_variants`) is drawn here by the chart code and kept
once in a <template>; a small inline script swaps the chart, its table and alt text in. The
preview of a draft year holds the page as published too (the released years only), chosen by
"Forhåndsvisning: velg publiserings-status". Nothing is loaded from elsewhere: the page works
opened from disk, offline; without JavaScript it shows the draft with the charts of today.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Final

from krise_pipeline.editorial import claims
from krise_pipeline.editorial.placeholders import SUPPRESSION_NOTE
from krise_pipeline.exports import chart_variants
from krise_pipeline.exports import charts as drawing
from krise_pipeline.language import texts
from krise_pipeline.language.rules import format_int
from krise_pipeline.language.sections import ShareBlock, page_sections
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import PAGE_KICKER, PAGE_TITLE, SOURCE, STATUS_NAMES
from krise_pipeline.publication.model import Publication

if TYPE_CHECKING:
    from krise_pipeline.editorial.folder import CheckedText
    from krise_pipeline.exports.chart_variants import Choice, Dimension
    from krise_pipeline.exports.charts import ChartSpec, RenderedChart

PUBLISHED_STATUSES: Final = contract.PUBLISHED_STATUSES
"""Statuses shown without the draft banner ('revidert' shows its amendment note instead)."""

def open_data_links(table: str, what: str = "Last ned data") -> str:
    """'Last ned data: CSV, Parquet, JSON-stat' for a table of the open data folder (data/)."""
    return (f'<span class="open-data">{_e(what)}: <a href="data/{_e(table)}.csv" download>CSV</a>, '
            f'<a href="data/{_e(table)}.parquet" download>Parquet</a>, '
            f'<a href="data/jsonstat/{_e(table)}.json" download>JSON-stat</a></span>')


def _e(text: str) -> str:
    return escape(text, quote=True)


def _p(text: str, cls: str | None = None) -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{_e(text)}</p>"


def earlier_revisions(pub: Publication, year: int) -> str:
    """Amendment notes for earlier years marked 'revidert' (the latest year has its own banner)."""
    notes = []
    for r in sorted(pub.releases, key=lambda r: r.year):
        if r.year < year and r.status == contract.REVISED:
            text = (r.note or "").strip() or "Tallene er rettet etter at de først ble publisert."
            notes.append(f"<li><strong>{r.year}:</strong> {_e(text)}</li>")
    if not notes:
        return ""
    return ('<div class="notice notice-revised" role="note"><strong>Revidert</strong> '
            f"<span>Tall for tidligere år er rettet:</span><ul>{''.join(notes)}</ul></div>")


def banner(pub: Publication, year: int) -> str:
    return _latest_banner(pub, year) + earlier_revisions(pub, year)


def _latest_banner(pub: Publication, year: int) -> str:
    status = pub.status(year)
    release = pub.release(year)
    note = (release.note or "").strip() if release is not None else ""
    if status == contract.REVISED:
        text = note or "Tallene er rettet etter at de først ble publisert."
        return (f'<div class="notice notice-revised" role="note"><strong>Revidert</strong> '
                f"<span>{_e(text)}</span></div>")
    if status in PUBLISHED_STATUSES:
        return ""
    extra = f" {note}" if note else ""
    return (f'<div class="notice notice-draft" role="status" id="utkast"><strong>UTKAST</strong> '
            f"<span>Ikke publisert. Tallene for {year} er foreløpige og kan bli endret.{_e(extra)}</span></div>")


def data_table(spec: ChartSpec) -> str:
    caption = f"{spec.heading}. Antall sentre."
    head = "".join(f'<th scope="col">{_e(s.name)}</th>' for s in spec.series)
    rows = []
    for label, i in zip(spec.labels, range(len(spec.items)), strict=True):
        cells = "".join(
            f"<td>{'–' if s.values[i] is None else format_int(s.values[i] or 0)}</td>" for s in spec.series
        )
        rows.append(f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>')
    return (
        f'<table class="data"><caption>{_e(caption)}</caption>'
        f'<thead><tr><th scope="col">{_e(spec.category_heading)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _marked(text: str, start: int, end: int, marks: Sequence[tuple[int, int, str]]) -> str:
    """text[start:end], escaped, with each (start, end, title) span inside it in a <mark>."""
    out: list[str] = []
    cursor = start
    for a, b, title in marks:
        a, b = max(a, start), min(b, end)
        if a >= b or a < cursor:
            continue
        out.append(_e(text[cursor:a]))
        out.append(f'<mark class="finding" title="{_e(title)}">{_e(text[a:b])}</mark>')
        cursor = b
    out.append(_e(text[cursor:end]))
    return " ".join("".join(out).split())


LIST_ITEM: Final = ("- ", "* ", "• ")


def editorial_block(checked: CheckedText, *, highlight: bool) -> str:
    """An editor's text (placeholders filled in) as HTML; on a draft its findings are marked
    in the text and listed under it."""
    text = checked.rendered.text
    marks = sorted((f.start, f.end, f"{f.reason}; publikasjonen: {f.expected}")
                   for f in checked.findings if highlight and f.end > f.start)
    parts: list[str] = []
    for a, b in claims.paragraphs(text):
        block = text[a:b]
        lines = claims.block_lines(text, a, b)
        if block.lstrip().startswith("#"):
            skip = a + len(block) - len(block.lstrip().lstrip("#"))
            parts.append(f"<h4>{_marked(text, skip, b, marks)}</h4>")
        elif all(text[x:y].lstrip().startswith(LIST_ITEM) for x, y in lines):
            items = []
            for x, y in lines:
                lead = len(text[x:y]) - len(text[x:y].lstrip()) + 2
                items.append(f"<li>{_marked(text, x + lead, y, marks)}</li>")
            parts.append(f"<ul>{''.join(items)}</ul>")
        else:
            parts.append(f"<p>{_marked(text, a, b, marks)}</p>")
    if checked.rendered.suppressed:
        parts.append(_p(SUPPRESSION_NOTE, "suppression-note"))
    if highlight and checked.findings:
        rows = "".join(
            f"<li>Linje {f.line}: <q>{_e(f.claim)}</q> – {_e(f.reason)}"
            f"{'; publikasjonen: ' + _e(f.expected) if f.expected else ''}</li>" for f in checked.findings)
        parts.append(f'<div class="text-findings" role="note"><strong>Tallkontroll: {len(checked.findings)} '
                     f"funn i tekster/{checked.text.year}/{_e(checked.text.path.name)}</strong><ul>{rows}</ul></div>")
    return f'<div class="editorial" data-text="{_e(checked.text.name)}">{"".join(parts)}</div>'


def chart_view(spec: ChartSpec, svg_inline: str) -> str:
    """The chart (SVG with its title and alt text), its caption and its data table."""
    view = (f'<figure class="chart">{svg_inline}'
            f"<figcaption>{_e(spec.heading)}. Tallene står i tabellen under figuren.</figcaption></figure>")
    if not spec.is_empty:
        view += f"<details><summary>Vis tabell</summary>{data_table(spec)}</details>"
    return view


LETTERS: Final = str.maketrans("0123456789", "ghijklmnop")
"""A template's id in letters only: no id reads as a year (or any figure) in the page."""


class VariantTemplates:
    """The chart variants of one page, each once, as <template> elements the controls swap in.

    A variant is drawn by the same code as the chart files (`charts.layout`, `charts.svg_element`);
    the same spec is drawn once per page, and the same markup kept once (ids from its SHA-256)."""

    def __init__(self, draw: Callable[[ChartSpec], str] | None = None) -> None:
        self.fragments: dict[str, str] = {}
        self._svg: dict[ChartSpec, str] = {}
        self._draw = draw

    def svg(self, spec: ChartSpec) -> str:
        """The <svg> element of `spec`, drawn by `draw` (e.g. a `chart_cache.VariantCache`) or here."""
        if spec not in self._svg:
            self._svg[spec] = self._draw(spec) if self._draw else drawing.svg_element(spec, drawing.layout(spec))
        return self._svg[spec]

    def add(self, spec: ChartSpec, svg_inline: str | None = None) -> str:
        html = chart_view(spec, self.svg(spec) if svg_inline is None else svg_inline)
        ident = "v-" + hashlib.sha256(html.encode("utf-8")).hexdigest()[:16].translate(LETTERS)
        self.fragments.setdefault(ident, html)
        return ident

    def html(self) -> str:
        return "\n".join(f'<template id="{i}">{h}</template>' for i, h in self.fragments.items())


def chart_controls(question: str, dims: Sequence[Dimension], default: Choice) -> str:
    """The reader's controls: "Hovedinndeling" and "Sekundærinndeling" among the dimensions, and
    the value of the dimension left over (shown only when it is the one left over)."""
    def select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str) -> str:
        ident = f"c-{question}-{name}"
        opts = "".join(f'<option value="{_e(v)}"{" selected" if v == chosen else ""}>{_e(t)}</option>'
                       for v, t in options)
        return (f'<label for="{_e(ident)}">{_e(label)}</label>'
                f'<select id="{_e(ident)}" name="{_e(name)}" data-prev="{_e(chosen)}">{opts}</select>')

    names = [(d.code, d.name) for d in dims]
    parts = [f"<div>{select('main', 'Hovedinndeling', names, default.main)}</div>",
             f"<div>{select('secondary', 'Sekundærinndeling', names, default.secondary)}</div>"]
    for d in dims:
        if len(dims) < 3:
            break
        left_over = d.code not in (default.main, default.secondary)
        chosen = default.fixed if left_over else d.values[-1] if d.code == "year" else d.values[0]
        parts.append(f'<div data-for="{_e(d.code)}"{"" if left_over else " hidden"}>'
                     f"{select(d.code, d.name, list(zip(d.values, d.labels, strict=True)), chosen)}</div>")
    return (f'<form class="chart-controls" aria-label="Velg inndeling av figuren" '
            f'onsubmit="return false">{"".join(parts)}</form>')


def chart_block(pub: Publication, question: str, year: int, chart: RenderedChart, *,
                heading_level: int = 3, text: CheckedText | None = None,
                variants: VariantTemplates | None = None) -> str:
    """A question's chart with its texts; with `variants`, the controls that regroup the chart
    (their templates kept in `variants`)."""
    q = pub.question(question)
    spec = chart.spec
    h = f"h{heading_level}"
    controls, mapping = "", ""
    if variants is not None and not spec.is_empty:
        dims = chart_variants.dimensions(pub, question, year)
        found = chart_variants.variants(pub, question, year)
        keys = {v.choice.key: variants.add(v.spec, chart.svg_inline if k == 0 else None)
                for k, v in enumerate(found)}
        controls = chart_controls(question, dims, found[0].choice)
        mapping = f' data-variants="{_e(json.dumps(keys, separators=(",", ":")))}"'
    parts = [
        f'<article class="chart-block" id="q-{_e(question)}"{mapping}>',
        f"<{h}>{_e(q.title)}</{h}>",
        _p(q.question_text, "question"),
        '<dl class="groupings">'
        f"<div><dt>Hovedinndeling</dt><dd>{_e(q.main_grouping)}</dd></div>"
        f"<div><dt>Sekundærinndeling</dt><dd>{_e(q.secondary_grouping)}</dd></div></dl>",
        controls,
        f'<div class="chart-view">{chart_view(spec, chart.svg_inline)}</div>',
    ]
    if text is not None:
        parts.append(editorial_block(text, highlight=pub.status(year) not in PUBLISHED_STATUSES))
    else:
        parts.extend(_p(t) for t in texts.question_paragraphs(pub, question, year))
    notes = [*texts.footnotes(pub, question, year),
             *(f"{a.label()}: {a.note}" for a in pub.acknowledged_for(question=question))]
    if notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in notes)
        parts.append(f'<aside class="notes" aria-label="Merknader"><ul>{items}</ul></aside>')
    parts.append(
        f'<p class="download"><a href="{_e(question)}.xlsx" download>Last ned Excel (all data)</a> '
        f"<span>Med statistikk om {_e(q.title)}</span> "
        f'<a class="secondary" href="charts/{_e(question)}.png" download>Last ned figur (PNG)</a> '
        f"{open_data_links('centre_offers')}</p>"
    )
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def _organisation(pub: Publication, year: int, charts: Mapping[str, RenderedChart],
                  intro: CheckedText | None = None, variants: VariantTemplates | None = None) -> str:
    org = texts.organisation_text(pub, year)
    if intro is not None:
        parts = [editorial_block(intro, highlight=pub.status(year) not in PUBLISHED_STATUSES)]
    else:
        parts = [_p(t) for t in org.paragraphs]
        if org.bullets:
            parts.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in org.bullets) + "</ul>")
    if contract.ORGANISERING in charts and pub.has_question(contract.ORGANISERING):
        parts.append(chart_block(pub, contract.ORGANISERING, year, charts[contract.ORGANISERING],
                                 heading_level=2, variants=variants))
    return "\n".join(parts)


def _share_blocks(pub: Publication, year: int, blocks: Sequence[ShareBlock]) -> str:
    parts = []
    for block in blocks:
        text = block.paragraph(pub, year)
        if text:
            parts.append(f'<div class="user-data"><h3>{_e(block.heading)}</h3>{_p(text)}</div>')
    acknowledged = pub.acknowledged_for(populations=tuple(p for b in blocks for p in b.populations))
    if parts and acknowledged:
        items = "".join(f"<li><strong>{_e(a.label())}:</strong> {_e(a.note)}</li>" for a in acknowledged)
        parts.append(f'<aside class="notes" aria-label="Kontrollerte endringer"><ul>{items}</ul></aside>')
    if parts:
        parts.append('<p class="download"><a href="bistand.xlsx" download>Last ned Excel (bistand, alle år)</a> '
                     "<span>Andeler av opphold og dagsbesøk, og antall brukere</span> "
                     f"{open_data_links('service_shares', 'Last ned data, andeler')} "
                     f"{open_data_links('user_counts', 'antall')}</p>")
    return "\n".join(parts)


def _footer(pub: Publication, year: int) -> str:
    release = pub.release(year)
    status = STATUS_NAMES.get(pub.status(year), pub.status(year))
    facts = [f"Statistikkår {year}", f"status: {status.lower()}"]
    if release is not None and release.built_at is not None:
        facts.append(f"bygget {release.built_at.strftime('%Y-%m-%d %H:%M')}")
    if release is not None and release.package_version:
        version = release.package_version
        if release.git_commit:
            version += f" ({release.git_commit[:12]})"
        facts.append(f"versjon {version}")
    return (f'<footer class="site-footer"><div class="wrap"><p>Kilde: {_e(SOURCE)}.</p>'
            f'<p class="build">{_e(", ".join(facts))}.</p></div></footer>')


CSS: Final = """
*{box-sizing:border-box}
html{font-size:17px}
body{margin:0;font-family:"Source Sans Pro","Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b2330;
background:#f4f5f7;line-height:1.55}
.wrap{max-width:820px;margin:0 auto;padding:0 20px}
.site-header{background:#0b2f4e;color:#fff;padding:14px 0}
.site-header .brand{font-weight:700;letter-spacing:.02em;margin-right:12px}
.site-header .crumb{opacity:.85}
.notice{position:sticky;top:0;z-index:5;padding:12px 20px;text-align:center;font-size:1rem;border-bottom:3px solid}
.notice strong{font-size:1.15rem;letter-spacing:.08em;margin-right:10px}
.notice-draft{background:#ffe08a;color:#3a2a00;border-color:#b07d00}
.notice-revised{background:#dbeafe;color:#0b2f4e;border-color:#2f6db0}
main{background:#fff;padding:8px 0 40px;margin:0 auto 0;max-width:860px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kicker{margin:28px 0 0;color:#52606d;font-size:.95rem}
h1{font-size:2.3rem;line-height:1.15;margin:6px 0 6px;color:#0b2f4e}
.meta{color:#52606d;margin:0 0 20px;font-size:.9rem}
.toc{background:#f1f5f9;border-radius:6px;padding:12px 18px;margin:18px 0 28px}
.toc h2{font-size:1rem;margin:0 0 6px;color:#0b2f4e}
.toc ol{margin:0;padding-left:20px;columns:2;column-gap:28px}
.toc a{color:#0b4f8a}
section.page-section{border-top:1px solid #d9dee4;padding-top:12px;margin-top:28px}
section.page-section>h2{font-size:1.7rem;color:#0b2f4e;margin:10px 0 8px}
.context{color:#33414f}
.chart-block{margin:26px 0 34px}
.chart-block h2,.chart-block h3{font-size:1.3rem;margin:0 0 4px;color:#0b2f4e}
.question{margin:0 0 8px;color:#33414f}
.groupings{display:flex;gap:28px;margin:0 0 10px;font-size:.85rem;color:#52606d}
.groupings dt{font-weight:600;color:#33414f}
.groupings dd{margin:0}
figure.chart{margin:8px 0 6px;padding:10px;border:1px solid #e3e7ec;border-radius:6px;background:#fff}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{font-size:.82rem;color:#52606d;margin-top:4px}
details{margin:6px 0 14px}
summary{cursor:pointer;color:#0b4f8a;font-weight:600}
table.data{border-collapse:collapse;width:100%;margin:8px 0;font-size:.9rem}
table.data caption{text-align:left;font-weight:600;padding:4px 0}
table.data th,table.data td{border-bottom:1px solid #e3e7ec;padding:5px 8px;text-align:right;vertical-align:top}
table.data th[scope=row],table.data thead th:first-child{text-align:left;font-weight:400}
table.data thead th{font-weight:600;border-bottom:2px solid #9aa5b1}
.notes{font-size:.85rem;color:#52606d;border-left:3px solid #d9dee4;padding:2px 12px;margin:12px 0}
.notes ul{margin:0;padding-left:16px}
.download{margin:14px 0 0;font-size:.92rem;display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px}
.download a{display:inline-block;background:#0b4f8a;color:#fff;text-decoration:none;padding:6px 12px;
border-radius:4px;font-weight:600}
.download a.secondary{background:#fff;color:#0b4f8a;border:1px solid #0b4f8a}
.download span{color:#52606d}
.download .open-data a{background:none;color:#0b4f8a;padding:0;font-weight:400;text-decoration:underline}
.user-data{background:#f7f9fb;border-radius:6px;padding:10px 16px;margin:18px 0}
.user-data h3{font-size:1.1rem;margin:4px 0 4px;color:#0b2f4e}
mark.finding{background:#ffd2cc;color:#5c0b00;border-bottom:2px solid #c0392b;padding:0 2px}
.text-findings{background:#fff4f2;border-left:4px solid #c0392b;padding:8px 14px;margin:10px 0;font-size:.9rem}
.text-findings ul{margin:4px 0 0;padding-left:18px}
.suppression-note{font-size:.85rem;color:#52606d}
.site-footer{color:#33414f;padding:20px 0 40px;font-size:.88rem}
.site-footer .build{color:#6b7885}
.skip{position:absolute;left:-999px;top:0;background:#fff;color:#0b4f8a;padding:8px 12px;z-index:10}
.skip:focus{left:8px}
a:focus,summary:focus{outline:3px solid #f0b400;outline-offset:2px}
.chart-controls,.status-switch{display:none}
.js .groupings{display:none}
.js .chart-controls{display:flex;flex-wrap:wrap;gap:8px 18px;margin:0 0 10px;font-size:.9rem}
.chart-controls div{display:flex;flex-direction:column}
.chart-controls div[hidden]{display:none}
.chart-controls label{font-weight:600;color:#33414f}
.chart-controls select{font:inherit;padding:3px 6px;max-width:24em}
.js .status-switch{display:block;background:#1b2330;color:#fff;padding:8px 20px;font-size:.95rem}
.status-switch fieldset{border:0;margin:0 auto;padding:0;max-width:820px;display:flex;flex-wrap:wrap;gap:4px 18px}
.status-switch legend{float:left;font-weight:700;margin-right:12px}
.nothing-released{font-size:1.1rem;background:#f1f5f9;padding:12px 16px;border-radius:6px}
select:focus,input:focus{outline:3px solid #f0b400;outline-offset:2px}
@media (max-width:640px){.toc ol{columns:1}h1{font-size:1.8rem}}
"""


JS_CLASS: Final = '<script>document.documentElement.classList.add("js")</script>'
"""In <head>: the controls are shown, the static grouping labels hidden, only when scripts run."""

SCRIPT: Final = """<script>
(function () {
  function show(form) {
    var block = form.closest(".chart-block"), map = JSON.parse(block.dataset.variants);
    var main = form.elements.main.value, secondary = form.elements.secondary.value, fixed = "";
    form.querySelectorAll("[data-for]").forEach(function (d) {
      var left = d.dataset.for !== main && d.dataset.for !== secondary;
      d.hidden = !left;
      if (left) { fixed = d.querySelector("select").value; }
    });
    var t = document.getElementById(map[main + "|" + secondary + "|" + fixed]);
    if (!t) { return; }
    var view = block.querySelector(".chart-view"), open = view.querySelector("details[open]") !== null;
    view.replaceChildren(t.content.cloneNode(true));
    if (open) { view.querySelector("details").open = true; }
  }
  var page = document.getElementById("side"), kept = {};
  function status(code) {
    if (code === page.dataset.state) { return; }
    var out = document.createDocumentFragment();
    while (page.firstChild) { out.appendChild(page.firstChild); }
    kept[page.dataset.state] = [out, document.title];
    var next = kept[code] || [document.getElementById("side-" + code).content.cloneNode(true),
                              document.getElementById("side-" + code).dataset.title];
    page.appendChild(next[0]);
    document.title = next[1];
    page.dataset.state = code;
  }
  document.addEventListener("change", function (e) {
    var el = e.target, form = el.form;
    if (!form) { return; }
    if (form.classList.contains("chart-controls")) {
      var main = form.elements.main, secondary = form.elements.secondary;
      if (main.value === secondary.value) { (el === main ? secondary : main).value = el.dataset.prev; }
      main.dataset.prev = main.value;
      secondary.dataset.prev = secondary.value;
      show(form);
    } else if (form.id === "status") {
      status(el.value);
    }
  });
})();
</script>"""
"""Swaps a chart's variant in by its controls' values, and the page of a publishing status."""


def _state_page(pub: Publication, charts: Mapping[str, RenderedChart] | None,
                editorial: Mapping[str, CheckedText], variants: VariantTemplates | None) -> tuple[str, str]:
    """(the page's visible parts, its <title>) for one state of the publication: its latest year
    and everything up to it. Without `charts`, the charts are drawn in memory (no files)."""
    year = pub.latest_year
    if charts is None:
        store = variants or VariantTemplates()
        specs = {q.question: drawing.chart_spec(pub, q.question, year) for q in pub.questions}
        charts = {q: drawing.RenderedChart(spec, "", store.svg(spec), b"") for q, spec in specs.items()}
    sections = page_sections(pub)
    status = STATUS_NAMES.get(pub.status(year), pub.status(year))
    toc = "".join(f'<li><a href="#{s.anchor}">{_e(s.heading)}</a></li>' for s in sections)
    body: list[str] = [
        banner(pub, year),
        HEADER,
        '<main id="innhold"><div class="wrap">',
        _p(PAGE_KICKER, "kicker"),
        f"<h1>{_e(PAGE_TITLE)}</h1>",
        _p(f"Statistikkår {year} · {status}", "meta"),
        f'<section class="page-section intro" id="organisering" aria-label="Organisering">'
        f"{_organisation(pub, year, charts, editorial.get('innledning'), variants)}</section>",
        f'<nav class="toc" aria-label="Innhold på siden"><h2>Innhold</h2><ol>{toc}</ol></nav>',
    ]
    for s in sections:
        blocks = [chart_block(pub, q, year, charts[q], text=editorial.get(q), variants=variants)
                  for q in s.questions if q in charts]
        shares = _share_blocks(pub, year, s.shares)
        if not blocks and not shares:
            continue
        body.append(f'<section class="page-section" id="{s.anchor}"><h2>{_e(s.heading)}</h2>')
        body.extend(_p(c, "context") for c in s.context)
        body.extend(blocks)
        if shares:
            body.append(shares)
        body.append("</section>")
    body.append("</div></main>")
    body.append(_footer(pub, year))
    draft = "" if pub.status(year) in PUBLISHED_STATUSES else " (utkast)"
    return "\n".join(b for b in body if b), f"{PAGE_TITLE} {year}{draft} – krisesenterstatistikken"


HEADER: Final = ('<header class="site-header"><div class="wrap"><span class="brand">Bufdir</span>'
                 '<span class="crumb">Statistikk og analyse › Krisesentrene</span></div></header>')
NOTHING_RELEASED: Final = "Ingen år er publisert ennå. Siden har ingen tall før det første året er publisert."


def _nothing_released() -> tuple[str, str]:
    return ("\n".join([HEADER, '<main id="innhold"><div class="wrap">', _p(PAGE_KICKER, "kicker"),
                       f"<h1>{_e(PAGE_TITLE)}</h1>", _p(NOTHING_RELEASED, "nothing-released"), "</div></main>"]),
            f"{PAGE_TITLE} – krisesenterstatistikken")


def _document(title: str, parts: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="nb">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n{JS_CLASS}\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(p for p in parts if p) + "\n</body>\n</html>\n"
    )


def status_control(draft_year: int, published_year: int | None) -> str:
    """ "Forhåndsvisning: velg publiserings-status": the page as published, or with the draft."""
    published = "Publisert" + (f" (til og med {published_year})" if published_year is not None else "")
    return ('<form class="status-switch" id="status" onsubmit="return false"><fieldset>'
            "<legend>Forhåndsvisning: velg publiserings-status</legend>"
            f'<label><input type="radio" name="status" value="{contract.PUBLISHED}"> {_e(published)}</label>'
            f'<label><input type="radio" name="status" value="{contract.DRAFT}" checked> Utkast</label>'
            "</fieldset></form>")


def render_page(pub: Publication, editorial: Mapping[str, CheckedText] | None = None,
                charts: Mapping[str, RenderedChart] | None = None,
                draw: Callable[[ChartSpec], str] | None = None) -> str:
    """The page of one state, without the status control: the page of `pub`'s latest year with
    the chart controls (pass `pub.restricted_to(years)` for a page of those years only)."""
    variants = VariantTemplates(draw)
    if not pub.releases and not pub.offers:
        content, title = _nothing_released()
    else:
        content, title = _state_page(pub, charts, editorial or {}, variants)
    return _document(title, [SKIP, f'<div id="side" data-state="side">{content}</div>', variants.html(), SCRIPT])


SKIP: Final = '<a class="skip" href="#innhold">Hopp til innholdet</a>'


def render_html(pub: Publication, charts: Mapping[str, RenderedChart],
                editorial: Mapping[str, CheckedText] | None = None, *,
                published_editorial: Mapping[str, CheckedText] | None = None,
                draw: Callable[[ChartSpec], str] | None = None) -> str:
    """The restricted preview: the page of the latest year (`charts` its charts as drawn to files);
    `editorial` (text name -> checked text) replaces the generated sentences of a question, and
    "innledning" those of the page's introduction.

    When the latest year is not released, the page holds a second state, chosen by the control
    "Forhåndsvisning: velg publiserings-status": the page as published (the released years only,
    with `published_editorial`, the texts of the last released year); without JavaScript the draft
    is shown. `draw` gives the SVG of a chart variant (default: drawn here)."""
    variants = VariantTemplates(draw)
    content, title = _state_page(pub, charts, editorial or {}, variants)
    parts = [SKIP]
    if pub.status(pub.latest_year) not in PUBLISHED_STATUSES:
        released = pub.released_years
        if released:
            shown, shown_title = _state_page(pub.restricted_to(released), None, published_editorial or {},
                                             variants)
        else:
            shown, shown_title = _nothing_released()
        parts.append(status_control(pub.latest_year, released[-1] if released else None))
        parts.append(f'<div id="side" data-state="{contract.DRAFT}">{content}</div>')
        parts.append(f'<template id="side-{contract.PUBLISHED}" data-title="{_e(shown_title)}">{shown}</template>')
    else:
        parts.append(f'<div id="side" data-state="{pub.status(pub.latest_year)}">{content}</div>')
    parts.extend([variants.html(), SCRIPT])
    return _document(title, parts)

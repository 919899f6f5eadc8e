"""The publication's own description: its tables (the published entries of `registry`) and codes.

`publish` writes the tables' grain, description and columns as DuckDB `COMMENT`s on every table
and column of publication.duckdb and adds the `codes` table, so that an analyst who opens the file
finds what each column and code means; the Dagster asset specs carry the same column schemas, so
the UI shows them before any run; a test keeps the README's table list and the contract's columns
in step with the registry.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from krise_pipeline.metadata import contract, registry, vocabulary
from krise_pipeline.metadata.registry import Column, Table

__all__ = ["BY_NAME", "PUBLISHED", "Column", "Table", "codes", "readme_table", "update_readme"]

PUBLISHED: tuple[Table, ...] = registry.PUBLISHED
BY_NAME = {t.name: t for t in PUBLISHED}


Code = tuple[str, str, str | None, str | None, str, str, str]


def codes() -> list[Code]:
    """(table, column, population, breakdown, code, label, description) for every coded column of
    the publication; population and breakdown say where a category's label applies (K is "Jenter"
    for children, "Kvinner" for adults)."""
    rows: list[Code] = []
    for group, label in vocabulary.TARGET_GROUP_NAMES.items():
        rows.append(("centre_offers", "target_group", None, None, group, label,
                     "the centre's whole answer" if group == "alle" else f"the centre's offer for {group}"))
    for pop, label in vocabulary.POPULATION_NAMES.items():
        rows.append(("service_shares", "population", None, None, pop, label, "records of this kind in the year"))
    for pop, label in vocabulary.COUNT_POPULATION_NAMES.items():
        rows.append(("user_counts", "population", None, None, pop, label,
                     "records and persons of this kind in the year"))
    for measure, label in vocabulary.MEASURE_NAMES.items():
        rows.append(("service_shares", "measure", None, None, measure, label, "share of the records with this help"))
    for breakdown, label in vocabulary.BREAKDOWN_NAMES.items():
        rows.append(("service_shares", "breakdown", None, None, breakdown, label, "how the records are divided"))
    for table, populations in (("service_shares", vocabulary.POPULATION_NAMES),
                               ("user_counts", vocabulary.COUNT_POPULATION_NAMES)):
        for pop in populations:
            allowed = contract.SHARE_BREAKDOWNS[pop] if table == "service_shares" else contract.COUNT_BREAKDOWNS
            for breakdown in allowed:
                for category in contract.BREAKDOWNS[breakdown]:
                    rows.append((table, "category", pop, breakdown, category,
                                 vocabulary.category_name(pop, breakdown, category),
                                 "every record" if breakdown == "alle" else f"records with {breakdown} {category}"))
    for status, label in vocabulary.STATUS_NAMES.items():
        rows.append(("releases", "status", None, None, status, label, contract_status_description(status)))
    return rows


def contract_status_description(status: str) -> str:
    return {contract.DRAFT: "a draft: the figures may still change",
            contract.PUBLISHED: "published: the figures are frozen",
            contract.REVISED: "revised after publication: see vintages"}[status]


def readme_table() -> str:
    """The README's list of published tables, generated from the registry."""
    lines = ["| table | grain | what |", "|---|---|---|"]
    lines += [f"| `{t.name}` | {t.grain} | {t.description} |" for t in PUBLISHED]
    return "\n".join(lines)


def readme_restricted_table() -> str:
    """The README's list of the restricted layers' tables (raw, validated, warehouse)."""
    return registry.readme_table(tuple(t for t in registry.TABLES if t.layer != "publication"))


README_BLOCKS = (("<!-- restricted tables:", "<!-- end of restricted tables -->", readme_restricted_table),
                 ("<!-- tables:", "<!-- end of tables -->", readme_table))


def update_readme(text: str) -> str:
    """The README with its generated table lists (between their markers) as the registry has them."""
    for begin, end, table in README_BLOCKS:
        found = re.search(f"{re.escape(begin)}[^\n]*\n(.*?)\n{re.escape(end)}", text, re.S)
        if found is None:
            raise ValueError(f"README has no block {begin} ... {end}")
        text = text[:found.start(1)] + table() + text[found.end(1):]
    return text


if __name__ == "__main__":  # python -m krise_pipeline.publication.catalog README.md: rewrite the generated lists
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(update_readme(path.read_text(encoding="utf-8")), encoding="utf-8")

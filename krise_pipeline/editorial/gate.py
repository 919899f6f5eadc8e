"""The editorial texts in the warehouse: one row per finding, and the rule that blocks publishing.

`warehouse.editorial_findings` holds, per year and text file, each finding of the check against
the figures about to be published (the `warehouse` tables), and `warehouse.editorial_texts` each
text with its SHA-256 and number of findings. A year marked `publisert` or `revidert` whose texts
have a finding is not published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import duckdb

from krise_pipeline.editorial import folder
from krise_pipeline.metadata import contract, ddl
from krise_pipeline.publication.model import read_publication
from krise_pipeline.warehouse import quality

PUBLISHED: Final = contract.PUBLISHED_STATUSES


def build(con: duckdb.DuckDBPyConnection, data_dir: Path) -> tuple[int, int]:
    """Check every loaded year's texts against the warehouse figures; (texts, findings)."""
    pub = read_publication(con, "warehouse")
    texts: list[tuple[object, ...]] = []
    findings: list[tuple[object, ...]] = []
    for year in sorted({r.year for r in pub.releases}):
        for checked in folder.check_year(pub, data_dir, year):
            t = checked.text
            texts.append((year, t.path.name, t.sha256, len(checked.findings)))
            findings.extend((year, t.path.name, f.line, f.claim, f.reason, f.expected) for f in checked.findings)
    con.execute("BEGIN")
    ddl.create_table(con, "warehouse.editorial_texts")
    ddl.create_table(con, "warehouse.editorial_findings")
    if texts:
        ddl.insert_rows(con, "warehouse.editorial_texts", texts)
    if findings:
        ddl.insert_rows(con, "warehouse.editorial_findings", findings)
    con.execute("COMMIT")
    return len(texts), len(findings)


def published_texts_hold(con: duckdb.DuckDBPyConnection) -> quality.Finding:
    """No finding in a text of a year marked publisert or revidert."""
    rows = con.execute(f"""
        SELECT f.year, r.status, f.file, f.line, f.claim, f.reason, f.expected
        FROM warehouse.editorial_findings AS f JOIN warehouse.releases AS r USING (year)
        WHERE r.status IN {PUBLISHED}
        ORDER BY f.year, f.file, f.line
    """).fetchall()
    examples = [f"{y} ({status}) tekster/{y}/{file} line {line}: {claim} - {reason}; publication: {expected}"
                for y, status, file, line, claim, reason, expected in rows[:10]]
    labelled = [{"year": y, "status": status, "file": f"tekster/{y}/{file}", "line": line, "claim": claim,
                 "reason": reason, "publication": expected}
                for y, status, file, line, claim, reason, expected in rows]
    return quality.Finding(not rows, len(rows), examples, labelled)

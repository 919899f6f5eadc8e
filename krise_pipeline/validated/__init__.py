"""Reading and validation of one year's delivery (contract section 1).

`check_delivery` checks the four files of a year folder against the contract (one pandera model per
file: the survey sheet's in pandas, the CSV files' inside DuckDB on the tables DuckDB read, with
the rules across files), reports every problem with the supplier's file, row or cell, column, rule and value, sums
them up per file and rule (count and line range), and fills the typed tables of a schema.
`format_report` is the text shown to people; `summarise` counts by file and rule.
"""

from krise_pipeline.validated.delivery import check_delivery, load_deliveries, load_delivery, validate_delivery
from krise_pipeline.validated.problems import MAX_LISTED, Problem, Report, Summary, format_report, summarise
from krise_pipeline.validated.report import format_with_summary, write_report

__all__ = ["MAX_LISTED", "Problem", "Report", "Summary", "check_delivery", "format_report", "format_with_summary",
           "load_deliveries", "load_delivery", "summarise", "validate_delivery", "write_report"]

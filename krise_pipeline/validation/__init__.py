"""Reading and validation of one year's delivery (contract section 1).

`validate_delivery` checks the four files of a year folder against the contract (pandera models
for the rows of each file, DuckDB SQL for the rules over whole files and across files), reports
every problem with the supplier's file, row or cell, column, rule and value, and fills the typed
tables of a schema. `format_report` is the text shown to people; `summarise` counts by file and
rule.
"""

from krise_pipeline.validation.delivery import validate_delivery
from krise_pipeline.validation.problems import MAX_LISTED, Problem, format_report, summarise

__all__ = ["MAX_LISTED", "Problem", "format_report", "summarise", "validate_delivery"]

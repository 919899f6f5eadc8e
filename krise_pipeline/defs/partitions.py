"""Reporting years as Dagster partitions.

Years come from the delivery folders: a year is added as a partition when `data/raw/<year>/`
appears (by the sensor, the schedule or `krise-pipeline run`). A yearly time window would invent
years nobody delivered and miss back-filled old ones.
"""

from __future__ import annotations

import dagster as dg

year_partitions = dg.DynamicPartitionsDefinition(name="year")

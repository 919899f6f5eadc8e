"""The yearly refresh: 1 March 06:00 Europe/Oslo, for the year that just ended."""


import dagster as dg

from krise_pipeline.defs.jobs import refresh_year_job
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings


def previous_year(context: dg.ScheduleEvaluationContext) -> int:
    moment = context.scheduled_execution_time
    assert moment is not None
    return moment.year - 1


@dg.schedule(
    job=refresh_year_job,
    cron_schedule="0 6 1 3 *",
    execution_timezone="Europe/Oslo",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Yearly refresh: load the previous year's delivery and republish.",
)
def yearly_refresh(
    context: dg.ScheduleEvaluationContext, settings: KriseSettings
) -> dg.RunRequest | dg.SkipReason:
    year = previous_year(context)
    if not settings.year_dir(year).is_dir():
        return dg.SkipReason(f"no delivery folder for {year} in {settings.raw_dir}")
    key = str(year)
    name = year_partitions.name or "year"
    if not context.instance.has_dynamic_partition(name, key):
        context.instance.add_dynamic_partitions(name, [key])
    return dg.RunRequest(run_key=f"yearly-refresh-{key}", partition_key=key)

"""The yearly refresh: 1 March 06:00 Europe/Oslo, for the year that just ended; and the release
time: every minute (Europe/Oslo), a year whose publishing time has come is promoted to public/."""


import dagster as dg

from krise_pipeline.defs.jobs import promote_job, refresh_year_job
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.exports import public


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


@dg.schedule(
    job=promote_job,
    cron_schedule="* * * * *",
    execution_timezone="Europe/Oslo",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Release at a set time: every minute (Europe/Oslo), when a year's publishing time (releases.csv "
    "column publiseres) has come, rebuilds warehouse/public/ with it. The skip reason says which year goes out "
    "when.",
)
def release_time(context: dg.ScheduleEvaluationContext, settings: KriseSettings) -> dg.RunRequest | dg.SkipReason:
    moment = context.scheduled_execution_time
    assert moment is not None
    folder = public.public_dir(settings.warehouse_path)
    decision = public.promotion(public.schedule(settings.publication_db), public.released_years(folder), moment)
    if not decision.due:
        return dg.SkipReason(decision.reason)
    return dg.RunRequest(run_key="public-" + "-".join(map(str, decision.years)),
                         tags={"krise/public_years": ",".join(map(str, decision.years))})

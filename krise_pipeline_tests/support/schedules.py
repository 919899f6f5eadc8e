"""One evaluation of the release_time schedule, as the daemon makes it."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable

import dagster as dg

from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.defs.schedules import release_time


def release_tick(instance: Callable[[], contextlib.AbstractContextManager[dg.DagsterInstance]],
                 settings: KriseSettings, when: dt.datetime) -> dg.RunRequest | dg.SkipReason:
    """The schedule's answer at `when`, on the instance `instance()` opens (in a copied context,
    as each tick is its own evaluation)."""

    def tick() -> dg.RunRequest | dg.SkipReason:
        with instance() as opened:
            ctx = dg.build_schedule_context(instance=opened, scheduled_execution_time=when,
                                            resources={"settings": settings})
            result = release_time(ctx)
            assert isinstance(result, dg.RunRequest | dg.SkipReason)
            return result

    return contextvars.copy_context().run(tick)

"""Periodic jobs (the spec's cron table) declared in code as Temporal Schedules.

Each workflows module lists its `SCHEDULES`; the worker calls `ensure_schedules` on start, which
creates missing schedules and updates existing ones, so redeploying never duplicates a cron.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleDef:
    id: str
    workflow: str
    cron: str  # evaluated in `timezone`
    description: str
    args: list[Any] = field(default_factory=list)
    timezone: str = "America/Lima"
    paused: bool = False  # created or updated paused (a programación switched off keeps its schedule)
    on_start: bool = False  # also run once whenever a worker starts (a reconciliation that must not wait)


def build(defn: ScheduleDef, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            defn.workflow, args=defn.args, id=f"cron-{defn.id}", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[defn.cron], time_zone_name=defn.timezone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(paused=defn.paused, note=defn.description if defn.paused else None),
    )


async def ensure_schedules(client: Client, defs: list[ScheduleDef], task_queue: str) -> None:
    for defn in defs:
        schedule = build(defn, task_queue)
        try:
            await client.create_schedule(defn.id, schedule, memo={"descripcion": defn.description})
            log.info("schedule %s created (%s %s)", defn.id, defn.cron, defn.timezone)
        except ScheduleAlreadyRunningError:

            def _replace(_: ScheduleUpdateInput, schedule: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await client.get_schedule_handle(defn.id).update(_replace)
            log.info("schedule %s updated", defn.id)
        if defn.on_start:
            await client.get_schedule_handle(defn.id).trigger()

"""Module 1 periodic work: quotes past their validity become `vencida` every night."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.ventas import vencer_cotizaciones
    from core.schedules import ScheduleDef

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn(name="VencerCotizaciones")
class VencerCotizaciones:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(vencer_cotizaciones, start_to_close_timeout=timedelta(minutes=5),
                                               retry_policy=RETRY)


WORKFLOWS = [VencerCotizaciones]
SCHEDULES = [
    ScheduleDef("vencer-cotizaciones", "VencerCotizaciones", "0 23 * * *",
                "Marca como vencidas las cotizaciones pendientes fuera de vigencia (23:00 Lima)"),
]

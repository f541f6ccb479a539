"""Module 6 workflows: the daily overdue marking of receivables and payables, the monthly revaluation."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.finanzas import marcar_cartera_vencida, revaluar_mes_anterior
    from core.schedules import ScheduleDef

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn(name="CarteraVencida")
class CarteraVencida:
    """Daily: open receivables and payables past their due date become VENCIDA (idempotent)."""

    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(marcar_cartera_vencida, start_to_close_timeout=timedelta(minutes=5),
                                               retry_policy=RETRY)


@workflow.defn(name="RevaluacionMensual")
class RevaluacionMensual:
    """First day of each month: revalue the previous month's open foreign-currency balances."""

    @workflow.run
    async def run(self) -> int | None:
        return await workflow.execute_activity(revaluar_mes_anterior, start_to_close_timeout=timedelta(minutes=10),
                                               retry_policy=RETRY)


WORKFLOWS = [CarteraVencida, RevaluacionMensual]
SCHEDULES = [
    ScheduleDef("cartera-vencida", "CarteraVencida", "5 0 * * *",
                "Cuentas por cobrar y por pagar vencidas → VENCIDA (00:05 Lima)"),
    ScheduleDef("revaluacion-mensual", "RevaluacionMensual", "30 0 1 * *",
                "Revaluación de saldos en moneda extranjera del mes anterior (día 1, 00:30 Lima)"),
]

"""Module 6 workflows: the daily overdue marking of receivables and payables."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.schedules import ScheduleDef

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=10)


@workflow.defn(name="CarteraVencida")
class CarteraVencida:
    """Daily: open receivables and payables past their due date become VENCIDA (idempotent)."""

    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity("marcar_cartera_vencida", start_to_close_timeout=timedelta(minutes=5),
                                               retry_policy=RETRY)


WORKFLOWS = [CarteraVencida]
SCHEDULES = [
    ScheduleDef("cartera-vencida", "CarteraVencida", "5 0 * * *",
                "Cuentas por cobrar y por pagar vencidas → VENCIDA (00:05 Lima)"),
]

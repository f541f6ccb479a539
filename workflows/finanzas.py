"""Module 6 workflows: the daily overdue marking of receivables and payables, the daily load of SUNAT's exchange
rate, the monthly revaluation."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.finanzas import cargar_tipo_cambio_sunat, marcar_cartera_vencida, revaluar_mes_anterior
    from core.schedules import ScheduleDef
    from workflows.entradas import CargaTipoCambio, TipoCambioCargado

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


# SUNAT down: try again every few minutes, then every half hour, for about a day (the day's documents meanwhile
# use the last rate stored, as on a holiday).
RETRY_SUNAT = RetryPolicy(initial_interval=timedelta(minutes=1), backoff_coefficient=2.0,
                          maximum_interval=timedelta(minutes=30), maximum_attempts=50)


@workflow.defn(name="TipoCambioDiario")
class TipoCambioDiario:
    """Daily: load SUNAT's published USD rate (and any day of the month missed while SUNAT was down)."""

    @workflow.run
    async def run(self, entrada: CargaTipoCambio) -> TipoCambioCargado:
        return await workflow.execute_activity(cargar_tipo_cambio_sunat, entrada,
                                               start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY_SUNAT)


WORKFLOWS = [CarteraVencida, RevaluacionMensual, TipoCambioDiario]
SCHEDULES = [
    ScheduleDef("cartera-vencida", "CarteraVencida", "5 0 * * *",
                "Cuentas por cobrar y por pagar vencidas → VENCIDA (00:05 Lima)"),
    ScheduleDef("revaluacion-mensual", "RevaluacionMensual", "30 0 1 * *",
                "Revaluación de saldos en moneda extranjera del mes anterior (día 1, 00:30 Lima)"),
    ScheduleDef("tipo-cambio-sunat", "TipoCambioDiario", "0 8 * * *",
                "Tipo de cambio publicado por SUNAT (08:00 Lima; reintenta si SUNAT no responde)",
                args=[CargaTipoCambio()]),
]

"""Module 8 workflows: an export (`exportacion-<id>`), the synchronisation of a programación with its Temporal
schedule, the scheduled run that e-mails the report, and the hourly (and on worker start) reconciliation of
every programación with the schedules that exist."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.reportes import (
        enviar_reporte_programado,
        generar_exportacion,
        marcar_exportacion_fallida,
        reconciliar_programaciones,
        sincronizar_programacion,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO
    from workflows.entradas import EjecucionProgramada, ExportacionEntrada, FalloExportacion, ProgramacionRef

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=1), maximum_attempts=5)
# A send is retried a few times (each attempt's result is recorded); a day's report is not worth a day of retries.
RETRY_ENVIO = RetryPolicy(initial_interval=timedelta(seconds=5), backoff_coefficient=3.0,
                          maximum_interval=timedelta(minutes=5), maximum_attempts=4)


@workflow.defn(name="ExportarReporte")
class ExportarReporte:
    @workflow.run
    async def run(self, datos: ExportacionEntrada) -> str:
        try:
            estado = await workflow.execute_activity(generar_exportacion, datos,
                                                     start_to_close_timeout=timedelta(minutes=10), retry_policy=RETRY)
        except ActivityError as exc:
            motivo = str(exc.cause or exc)
            estado = await workflow.execute_activity(
                marcar_exportacion_fallida, FalloExportacion(datos.exportacion_id, f"Error al generar: {motivo}"),
                start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY)
        workflow.upsert_search_attributes([ESTADO.value_set(estado)])
        return estado


@workflow.defn(name="SincronizarProgramacion")
class SincronizarProgramacion:
    """Make `reporte-programado-<id>` match the row as it is now (created, updated, paused or deleted)."""

    @workflow.run
    async def run(self, datos: ProgramacionRef) -> str:
        return await workflow.execute_activity(sincronizar_programacion, datos,
                                               start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY)


@workflow.defn(name="ReporteProgramado")
class ReporteProgramado:
    """Started by the programación's schedule: generate the report and e-mail it (one send per run)."""

    @workflow.run
    async def run(self, datos: ProgramacionRef) -> str:
        ejecucion = EjecucionProgramada(datos.programacion_id, workflow.info().workflow_id)
        return await workflow.execute_activity(enviar_reporte_programado, ejecucion,
                                               start_to_close_timeout=timedelta(minutes=10), retry_policy=RETRY_ENVIO)


@workflow.defn(name="ReconciliarProgramaciones")
class ReconciliarProgramaciones:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(reconciliar_programaciones,
                                               start_to_close_timeout=timedelta(minutes=5), retry_policy=RETRY)


WORKFLOWS = [ExportarReporte, SincronizarProgramacion, ReporteProgramado, ReconciliarProgramaciones]
SCHEDULES = [
    ScheduleDef("reconciliar-programaciones", "ReconciliarProgramaciones", "17 * * * *",
                "Reportes programados: cada programación con su schedule (cada hora y al iniciar el worker)",
                on_start=True),
]

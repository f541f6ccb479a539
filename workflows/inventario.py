"""Module 2 workflows: a transfer's life until the destination confirms it, and the daily alerts."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.inventario import (
        crear_particiones_movimientos,
        enviar_alertas_inventario,
        generar_alertas_inventario,
        recordar_transferencia,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO
    from workflows.entradas import EnvioAlertas, EstadoTransferencia, RecordatorioTransferencia, TransferenciaEntrada

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=10)
ORDEN = ["SOLICITADA", "EN_TRANSITO", "CON_INCIDENCIA", "CONFIRMADA"]
RECORDATORIO = timedelta(hours=24)


@workflow.defn(name="TransferenciaStock")
class TransferenciaStock:
    """Stock and state change in the database (the API's transactions); each change is signalled here.
    The workflow stays open until CONFIRMADA, keeps `Estado` current for operators, and reminds the
    warehouses once a day while the transfer waits for dispatch, confirmation or an incidence's resolution."""

    def __init__(self) -> None:
        self.estado = "SOLICITADA"

    @workflow.signal
    def actualizar(self, datos: EstadoTransferencia) -> None:
        # Signals may arrive twice or out of order (outbox redelivery): states only move forward.
        nuevo = datos.estado
        if nuevo in ORDEN and ORDEN.index(nuevo) > ORDEN.index(self.estado):
            self.estado = nuevo
            workflow.upsert_search_attributes([ESTADO.value_set(nuevo)])

    @workflow.query
    def estado_actual(self) -> str:
        return self.estado

    @workflow.run
    async def run(self, datos: TransferenciaEntrada) -> str:
        while self.estado != "CONFIRMADA":
            try:
                await workflow.wait_condition(lambda: self.estado == "CONFIRMADA", timeout=RECORDATORIO)
            except TimeoutError:
                await workflow.execute_activity(recordar_transferencia,
                                                RecordatorioTransferencia(datos.transferencia_id),
                                                start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY)
        return self.estado


@workflow.defn(name="AlertasInventario")
class AlertasInventario:
    """Daily: next months' kardex partitions, low-stock and expiring-lot notifications, one e-mail."""

    @workflow.run
    async def run(self) -> int:
        opts = {"start_to_close_timeout": timedelta(minutes=5), "retry_policy": RETRY}
        await workflow.execute_activity(crear_particiones_movimientos, **opts)
        nuevas = await workflow.execute_activity(generar_alertas_inventario, **opts)
        if nuevas:
            await workflow.execute_activity(enviar_alertas_inventario, EnvioAlertas(nuevas), **opts)
        return len(nuevas)


WORKFLOWS = [TransferenciaStock, AlertasInventario]
SCHEDULES = [
    ScheduleDef("alertas-inventario", "AlertasInventario", "0 8 * * *",
                "Alertas de bajo stock y lotes por vencer (7 días); particiones del kardex (08:00 Lima)"),
]

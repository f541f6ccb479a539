"""Module 4: each order's dispatch as one durable workflow, `EntregaPedido` (id `pedido-<id>`).

The database is the authority for the order's state (the API's transactions move it); every change reaches
the workflow as the `registrar_estado` update through the outbox, in event order. The workflow geocodes an
address that came without coordinates (retrying through a geocoder outage), issues the GRE remitente when the
order is planned on a route (built and signed, sent to SUNAT's GRE API, its ticket polled: EN_RUTA needs it
accepted; a rejected or failed one is rebuilt and re-sent when the dispatcher asks, `reenviar_gre`), sends
the customer the delivery code when the order goes EN_RUTA, alerts the dispatcher when the stop passes its ETA,
issues the comprobante (module 3) and notifies the customer on delivery, and keeps `Estado`/`Transportista`
current for operators in the Temporal UI."""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.distribucion import (
        alertar_retraso_entrega,
        consultar_gre,
        enviar_gre,
        enviar_otp_entrega,
        facturar_pedido,
        geocodificar_pedido,
        notificar_entrega,
        podar_tracking,
        preparar_gre,
        rehacer_gre,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO, TRANSPORTISTA
    from services.distribucion.estados import EN_RUTA, ENTREGADO, FINALES, PENDIENTE, PLANIFICADO
    from workflows.entradas import EntregaPedidoEntrada, EstadoPedido, GuiaRef, PedidoRef

RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=10)
# A geocoder over quota or down: keep trying (every 10 min at most) until it answers; the order waits.
RETRY_GEOCODIFICAR = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                                 maximum_interval=timedelta(minutes=10), maximum_attempts=0)
# SUNAT's GRE API down or the ticket in process (98): keep polling, at most every minute, until it decides.
RETRY_GRE = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                        maximum_interval=timedelta(minutes=1), maximum_attempts=0)
OPCIONES_GRE = {"start_to_close_timeout": timedelta(minutes=1), "retry_policy": RETRY_GRE}
GRACIA = timedelta(minutes=15)  # late = this long past the stop's ETA
OPCIONES = {"start_to_close_timeout": timedelta(minutes=1), "heartbeat_timeout": timedelta(seconds=20),
            "retry_policy": RETRY}


@workflow.defn(name="EntregaPedido")
class EntregaPedido:
    def __init__(self) -> None:
        self.estado = PENDIENTE
        self.evento_id = 0
        self.eta: datetime | None = None
        self.transportista = ""
        self.gre_en_curso = False  # the GRE is being built, sent or polled
        self.gre_estado = ""  # how the last GRE attempt ended (consultar_gre's answer; ERROR: none issued)
        self.reenvio: GuiaRef | None = None  # the dispatcher asked to re-send this guía

    @workflow.update
    def registrar_estado(self, datos: EstadoPedido) -> str:
        self.estado, self.evento_id = datos.estado, datos.evento_id
        self.eta = datetime.fromisoformat(datos.eta) if datos.eta else None
        if datos.transportista and datos.transportista != self.transportista:
            self.transportista = datos.transportista
            workflow.upsert_search_attributes([TRANSPORTISTA.value_set(datos.transportista)])
        workflow.upsert_search_attributes([ESTADO.value_set(datos.estado)])
        return self.estado

    @registrar_estado.validator
    def _validar_estado(self, datos: EstadoPedido) -> None:
        # A redelivered or late event (outbox at-least-once) is refused, leaving no trace in the history.
        if datos.evento_id <= self.evento_id:
            raise ValueError(f"evento {datos.evento_id} ya aplicado (último {self.evento_id})")
        if self.estado in FINALES:
            raise ValueError(f"el pedido ya está {self.estado}")

    @workflow.update
    def reenviar_gre(self, guia: GuiaRef) -> str:
        """The dispatcher fixed a RECHAZADA / ERROR guía's data: rebuild, re-sign and re-send it (the order stays
        on its route; EN_RUTA passes once SUNAT accepts)."""
        self.reenvio, self.gre_estado = guia, ""
        return "REENVIO_SOLICITADO"

    @reenviar_gre.validator
    def _validar_reenvio(self, guia: GuiaRef) -> None:
        if self.estado != PLANIFICADO:
            raise ValueError(f"el pedido está {self.estado}: solo se reenvía la GRE de un pedido planificado")
        if self.gre_en_curso or self.reenvio is not None:
            raise ValueError("la GRE del pedido aún se está emitiendo: espere la respuesta de SUNAT")
        if self.gre_estado not in ("RECHAZADA", "ERROR", "POR_VERIFICAR"):  # POR_VERIFICAR: its CDR may say rejected
            raise ValueError(f"la GRE del pedido no está rechazada ni con error ({self.gre_estado or 'sin emitir'})")

    @workflow.query
    def estado_actual(self) -> str:
        return self.estado

    @workflow.run
    async def run(self, datos: EntregaPedidoEntrada) -> str:
        ref = PedidoRef(datos.pedido_id)
        if datos.geocodificar:
            await workflow.execute_activity(geocodificar_pedido, ref, start_to_close_timeout=timedelta(seconds=30),
                                            retry_policy=RETRY_GEOCODIFICAR)
        atendido, alertado_eta = 0, None
        en_curso: list[asyncio.Task] = []
        while self.estado not in FINALES or atendido != self.evento_id:
            if atendido == self.evento_id:
                await self._esperar_cambio(ref, alertado_eta)
                if self.reenvio is not None and workflow.patched("gre-reenvio"):
                    en_curso.append(asyncio.create_task(self._emitir_gre(ref, self.reenvio)))
                    self.reenvio = None
                elif self.evento_id == atendido:  # woke for the ETA alert
                    alertado_eta = self.eta
                continue
            atendido = self.evento_id
            if self.estado == PLANIFICADO and workflow.patched("gre-remitente"):
                # The GRE runs beside the order: a SUNAT outage delays it (and so EN_RUTA), nothing else.
                en_curso.append(asyncio.create_task(self._emitir_gre(ref)))
            elif self.estado == EN_RUTA:
                # Not awaited: a mail outage retrying the code must not hold up the ETA watch.
                en_curso.append(workflow.start_activity(enviar_otp_entrega, ref, **OPCIONES))
            elif self.estado == ENTREGADO:
                await workflow.execute_activity(facturar_pedido, ref, **OPCIONES)
                await workflow.execute_activity(notificar_entrega, ref, **OPCIONES)
        for tarea in en_curso:  # a code still being retried is of no use once the order is closed
            tarea.cancel()
        await asyncio.gather(*en_curso, return_exceptions=True)
        return self.estado

    async def _emitir_gre(self, ref: PedidoRef, rehacer: GuiaRef | None = None) -> None:
        """Build and sign (or rebuild the guía the dispatcher corrected), send, then poll the ticket until SUNAT
        accepts or rejects the GRE remitente."""
        self.gre_en_curso = True
        try:
            if rehacer is None:
                guia_id = await workflow.execute_activity(preparar_gre, ref, **OPCIONES_GRE)
            else:
                guia_id = await workflow.execute_activity(rehacer_gre, rehacer, **OPCIONES_GRE)
            self.gre_estado = "ERROR"  # none issued: its data is incomplete (or none is due; the API tells)
            if guia_id:
                guia = GuiaRef(guia_id)
                await workflow.execute_activity(enviar_gre, guia, **OPCIONES_GRE)
                self.gre_estado = await workflow.execute_activity(consultar_gre, guia, **OPCIONES_GRE)
        finally:
            self.gre_en_curso = False

    async def _esperar_cambio(self, ref: PedidoRef, alertado_eta: datetime | None) -> None:
        visto = self.evento_id
        limite = None
        if self.estado == EN_RUTA and self.eta is not None and self.eta != alertado_eta:
            limite = max(self.eta + GRACIA - workflow.now(), timedelta(seconds=1))
        try:
            await workflow.wait_condition(lambda: self.evento_id != visto or self.reenvio is not None,
                                          timeout=limite)
        except TimeoutError:
            await workflow.execute_activity(alertar_retraso_entrega, ref, start_to_close_timeout=timedelta(minutes=1),
                                            retry_policy=RETRY)


@workflow.defn(name="PodarTracking")
class PodarTracking:
    """Daily: GPS fixes older than the retention are deleted (the table stays a few weeks of rows)."""

    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(podar_tracking, start_to_close_timeout=timedelta(minutes=30),
                                               retry_policy=RETRY)


WORKFLOWS = [EntregaPedido, PodarTracking]
SCHEDULES = [ScheduleDef("podar-tracking", "PodarTracking", "30 3 * * *",
                         "Borra las posiciones GPS de más de 30 días (03:30 Lima)")]

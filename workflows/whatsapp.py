"""Module 7 workflows: one message (`mensaje-wa-<id>`), one webhook body (`webhook-wa-<log id>`), and a
campaign (`campana-<id>`): batches paced to the configured rate, the tier's rolling-24 h limit waited out
on a durable timer, paused/resumed/cancelled by updates, its progress queryable, continued as new."""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.whatsapp import (
        concluir_aviso_whatsapp,
        enviar_aviso_correo,
        enviar_mensajes_wa,
        preparar_campana_wa,
        procesar_webhook_wa,
        recordar_cxc_vencidas,
        registrar_estado_campana_wa,
        registrar_fallo_wa,
        tomar_lote_campana_wa,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO, HEARTBEAT_TIMEOUT
    from workflows.entradas import (
        AvisoClienteEntrada,
        CampanaEntrada,
        EstadoCampanaWa,
        FalloMensajeWa,
        LoteWa,
        MensajeWaEntrada,
        PedidoLoteWa,
        RecordatoriosCobranzaEntrada,
        ReprogramacionCampanaWa,
        WebhookWaEntrada,
    )

# Sends: Meta's limits are retried (the activity sets each delay, with jitter); its refusals are recorded by
# the activity and never raised. Ten attempts span ≈ 17 min of backoff for a single message.
ENVIO = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=5), maximum_attempts=10)
# A campaign's batch keeps trying (its sent messages are skipped on a retry): it only ever slows down.
ENVIO_CAMPANA = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(minutes=5))
BD = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                 maximum_interval=timedelta(minutes=1), maximum_attempts=20)
LOTES_POR_HISTORIA = 200  # then continue-as-new (a 100,000-recipient campaign keeps a short history)


@workflow.defn(name="EnviarMensajeWhatsApp")
class EnviarMensajeWhatsApp:
    @workflow.run
    async def run(self, datos: MensajeWaEntrada) -> str:
        try:
            r = await workflow.execute_activity(
                enviar_mensajes_wa, LoteWa([datos.mensaje_id], 1000.0),
                start_to_close_timeout=timedelta(minutes=1), heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=ENVIO)
        except ActivityError as exc:
            await workflow.execute_activity(registrar_fallo_wa, FalloMensajeWa(datos.mensaje_id, str(exc.cause)),
                                            start_to_close_timeout=timedelta(seconds=30), retry_policy=BD)
            return "FALLIDO"
        return "ACEPTADO" if r.aceptados else ("TOKEN_INVALIDO" if r.token_invalido else "FALLIDO")


@workflow.defn(name="ProcesarWebhookWhatsApp")
class ProcesarWebhookWhatsApp:
    @workflow.run
    async def run(self, datos: WebhookWaEntrada) -> int:
        return await workflow.execute_activity(procesar_webhook_wa, datos, start_to_close_timeout=timedelta(minutes=1),
                                               retry_policy=BD)


@dataclass
class ProgresoCampana:
    estado: str
    enviados: int
    fallidos: int
    lotes: int
    esperando_cupo_s: float
    fecha_programada: str | None = None


ACTIVAS = ("EN_CURSO", "ESPERANDO_CUPO")


@workflow.defn(name="CampanaWhatsApp")
class CampanaWhatsApp:
    @workflow.init
    def __init__(self, datos: CampanaEntrada) -> None:
        # From the input, before any handler runs: an update that arrives with the start (cancel a scheduled
        # campaign at once) acts on the campaign's real state, and run does not overwrite what it did.
        self.campana_id, self.estado = datos.campana_id, datos.estado
        self.enviados, self.fallidos, self.lotes = datos.enviados, datos.fallidos, 0
        self.espera = 0.0
        self.programada: datetime | None = None  # PROGRAMADA: the durable timer's deadline
        if datos.fecha_programada:
            self.programada = datetime.fromisoformat(datos.fecha_programada)
        self.lock = asyncio.Lock()  # one writer of the campaign's estado row at a time, in order

    async def _persistir(self, estado: str, desde: tuple[str, ...] | None = None,
                         programada: datetime | None = None) -> None:
        """Move to `estado` (only from one of `desde`, checked once the lock is held) and record it."""
        async with self.lock:
            if desde is not None and self.estado not in desde:
                return
            self.estado = estado
            if programada is not None:
                self.programada = programada
            workflow.upsert_search_attributes([ESTADO.value_set(estado)])
            registro = EstadoCampanaWa(self.campana_id, estado,
                                       fecha_programada=programada.isoformat() if programada else None)
            await workflow.execute_activity(registrar_estado_campana_wa, registro,
                                            start_to_close_timeout=timedelta(seconds=30), retry_policy=BD)

    @workflow.update
    async def reprogramar(self, datos: ReprogramacionCampanaWa) -> str:
        await self._persistir("PROGRAMADA", desde=("PROGRAMADA",),
                              programada=datetime.fromisoformat(datos.fecha_programada))
        return self.estado

    @reprogramar.validator
    def _validar_reprogramar(self, datos: ReprogramacionCampanaWa) -> None:
        if self.estado != "PROGRAMADA":
            raise ValueError(f"Solo se reprograma una campaña que aún no empezó (está {self.estado})")
        fecha = datetime.fromisoformat(datos.fecha_programada)
        if fecha.tzinfo is None or fecha <= workflow.now():
            raise ValueError("La nueva fecha programada no puede estar en el pasado")

    @workflow.update
    async def pausar(self) -> str:
        await self._persistir("PAUSADA")
        return self.estado

    @pausar.validator
    def _validar_pausa(self) -> None:
        if self.estado not in ACTIVAS:
            raise ValueError(f"Solo se pausa una campaña en curso (está {self.estado})")

    @workflow.update
    async def reanudar(self) -> str:
        await self._persistir("EN_CURSO")
        return self.estado

    @reanudar.validator
    def _validar_reanudar(self) -> None:
        if self.estado != "PAUSADA":
            raise ValueError(f"Solo se reanuda una campaña pausada (está {self.estado})")

    @workflow.update
    async def cancelar(self) -> str:
        await self._persistir("CANCELADA")
        return self.estado

    @cancelar.validator
    def _validar_cancelar(self) -> None:
        if self.estado in ("FINALIZADA", "CANCELADA"):
            raise ValueError(f"La campaña ya terminó ({self.estado})")

    @workflow.query
    def progreso(self) -> ProgresoCampana:
        return ProgresoCampana(self.estado, self.enviados, self.fallidos, self.lotes, self.espera,
                               self.programada.isoformat() if self.programada else None)

    @workflow.run
    async def run(self, datos: CampanaEntrada) -> str:
        if datos.fecha_programada and not datos.preparada and not await self._esperar_inicio():
            await workflow.wait_condition(workflow.all_handlers_finished)
            return self.estado
        if not datos.preparada:
            await workflow.execute_activity(preparar_campana_wa, datos, start_to_close_timeout=timedelta(minutes=10),
                                            retry_policy=BD)
            await self._persistir("EN_CURSO", desde=("EN_CURSO",))
        por_segundo = datos.por_segundo
        tamano = max(1, min(100, int(por_segundo)))  # about one second of sending per batch
        while True:
            await workflow.wait_condition(lambda: self.estado != "PAUSADA")
            if self.estado == "CANCELADA":
                return self.estado
            lote = await workflow.execute_activity(tomar_lote_campana_wa, PedidoLoteWa(self.campana_id, tamano),
                                                   start_to_close_timeout=timedelta(seconds=30), retry_policy=BD)
            if not lote.mensaje_ids and lote.espera_s > 0:
                await self._esperar_cupo(lote.espera_s)
                continue
            if not lote.mensaje_ids:
                break
            r = await workflow.execute_activity(
                enviar_mensajes_wa, LoteWa(lote.mensaje_ids, por_segundo), start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=ENVIO_CAMPANA)
            self.enviados, self.fallidos, self.lotes = self.enviados + r.aceptados, self.fallidos + r.fallidos, \
                self.lotes + 1
            if r.token_invalido:  # the account needs a new token: an operator fixes it and resumes
                await self._persistir("PAUSADA", desde=ACTIVAS)
            elif self.lotes >= LOTES_POR_HISTORIA or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(CampanaEntrada(self.campana_id, True, self.estado, self.enviados,
                                                        self.fallidos, por_segundo))
        await self._persistir("FINALIZADA", desde=ACTIVAS)
        return self.estado

    async def _esperar_inicio(self) -> bool:
        """A scheduled campaign sleeps on a durable timer until its start (a worker restart keeps it); a
        `reprogramar` update restarts the timer, `cancelar` ends it. The segment is taken at the start."""
        while True:
            visto = self.programada
            espera = visto - workflow.now()
            if espera > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda v=visto: self.estado != "PROGRAMADA" or self.programada != v,
                                                  timeout=espera)
            await workflow.wait_condition(lambda: not self.lock.locked())  # an update being recorded ends first
            if self.estado != "PROGRAMADA":
                return False
            if self.programada <= workflow.now():
                self.estado = "EN_CURSO"  # recorded by run's own _persistir once the segment is prepared
                return True

    async def _esperar_cupo(self, segundos: float) -> None:
        """The tier's rolling 24 h is full: a durable timer until its oldest recipient leaves the window
        (a pause or cancel during the wait takes effect at once)."""
        await self._persistir("ESPERANDO_CUPO", desde=("EN_CURSO",))
        self.espera = segundos
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.estado in ("PAUSADA", "CANCELADA"),
                                          timeout=timedelta(seconds=segundos))
        self.espera = 0.0
        await self._persistir("EN_CURSO", desde=("ESPERANDO_CUPO",))


# An SMTP outage is waited out (a notice is worth sending late); ten attempts span about an hour.
CORREO = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                     maximum_interval=timedelta(minutes=15), maximum_attempts=10)


@workflow.defn(name="NotificarCliente")
class NotificarCliente:
    """One notice to a customer (`aviso-<id>`): its WhatsApp message through the module's own message
    workflow (Meta's retry rules), and the e-mail when there is no WhatsApp route or Meta refused it."""

    @workflow.run
    async def run(self, datos: AvisoClienteEntrada) -> str:
        if datos.wa_mensaje_id is not None:
            await workflow.execute_child_workflow(EnviarMensajeWhatsApp.run, MensajeWaEntrada(datos.wa_mensaje_id),
                                                  id=f"mensaje-wa-{datos.wa_mensaje_id}")
            if await workflow.execute_activity(concluir_aviso_whatsapp, datos,
                                               start_to_close_timeout=timedelta(seconds=30), retry_policy=BD):
                return "WHATSAPP"
        enviado = await workflow.execute_activity(enviar_aviso_correo, datos, start_to_close_timeout=timedelta(
            minutes=1), heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=CORREO)
        return "EMAIL" if enviado else "FALLIDA"


@workflow.defn(name="RecordatoriosCobranza")
class RecordatoriosCobranza:
    """Daily: a reminder to each customer with a receivable overdue 1, 7, 15 or 30 days (module 6's cartera)."""

    @workflow.run
    async def run(self, datos: RecordatoriosCobranzaEntrada | None = None) -> int:
        return await workflow.execute_activity(recordar_cxc_vencidas, datos or RecordatoriosCobranzaEntrada(),
                                               start_to_close_timeout=timedelta(minutes=10),
                                               heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=BD)


WORKFLOWS = [EnviarMensajeWhatsApp, ProcesarWebhookWhatsApp, CampanaWhatsApp, NotificarCliente, RecordatoriosCobranza]
SCHEDULES = [ScheduleDef("recordatorios-cobranza", "RecordatoriosCobranza", "0 9 * * *",
                         "Recuerda a los clientes sus cuentas por cobrar vencidas (WhatsApp o correo, 09:00 Lima)")]

"""Module 7 workflows: one message (`mensaje-wa-<id>`), one webhook body (`webhook-wa-<log id>`), and a
campaign (`campana-<id>`): batches paced to the configured rate, the tier's rolling-24 h limit waited out
on a durable timer, paused/resumed/cancelled by updates, its progress queryable, continued as new."""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.whatsapp import (
        enviar_mensajes_wa,
        preparar_campana_wa,
        procesar_webhook_wa,
        registrar_estado_campana_wa,
        registrar_fallo_wa,
        tomar_lote_campana_wa,
    )
    from core.temporal import ESTADO, HEARTBEAT_TIMEOUT
    from workflows.entradas import (
        CampanaEntrada,
        EstadoCampanaWa,
        FalloMensajeWa,
        LoteWa,
        MensajeWaEntrada,
        PedidoLoteWa,
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


ACTIVAS = ("EN_CURSO", "ESPERANDO_CUPO")


@workflow.defn(name="CampanaWhatsApp")
class CampanaWhatsApp:
    def __init__(self) -> None:
        self.estado = "EN_CURSO"
        self.enviados = self.fallidos = self.lotes = 0
        self.espera = 0.0
        self.campana_id = 0
        self.lock = asyncio.Lock()  # one writer of the campaign's estado row at a time, in order

    async def _persistir(self, estado: str, desde: tuple[str, ...] | None = None) -> None:
        """Move to `estado` (only from one of `desde`, checked once the lock is held) and record it."""
        async with self.lock:
            if desde is not None and self.estado not in desde:
                return
            self.estado = estado
            workflow.upsert_search_attributes([ESTADO.value_set(estado)])
            await workflow.execute_activity(registrar_estado_campana_wa, EstadoCampanaWa(self.campana_id, estado),
                                            start_to_close_timeout=timedelta(seconds=30), retry_policy=BD)

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
        return ProgresoCampana(self.estado, self.enviados, self.fallidos, self.lotes, self.espera)

    @workflow.run
    async def run(self, datos: CampanaEntrada) -> str:
        self.campana_id, self.estado = datos.campana_id, datos.estado
        self.enviados, self.fallidos = datos.enviados, datos.fallidos
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


WORKFLOWS = [EnviarMensajeWhatsApp, ProcesarWebhookWhatsApp, CampanaWhatsApp]
SCHEDULES: list = []

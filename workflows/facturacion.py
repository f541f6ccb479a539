"""Facturación electrónica as durable workflows.

EmitirComprobante (id `comprobante-<tipo>-<serie>-<numero>`, started through the outbox by the
transaction that numbered the document):
    preparar (build → sign → store the XML once) → [boletas: PDF, e-mail, then wait for the signal of the
    resumen diario that informs them, and end with SUNAT's decision]
    → wait while a lower number of the series is queued in contingency → send → CDR + estado
    → PDF → e-mail → wake the next queued document of the series.
Data no retry can fix (a stored text an XML cannot carry): estado ERROR with the reason (Temporal UI: Estado =
"ERROR"); the workflow waits for the correction (PATCH of the comprobante or baja) or `reintentar`, then goes on
with the same number.
SUNAT unreachable: estado CONTINGENCIA and a durable timer with exponential backoff (settings
`sunat_reintento_inicial_s` → `sunat_reintento_maximo_s`); the `reintentar` signal wakes it at once.
Queued documents go out in numbering order: only the lowest queued number of a series probes SUNAT,
the others wait for it (it signals its successor as soon as SUNAT decided).

EnviarResumen (RC or RA): sign → sendSummary → poll getStatus with durable timers until SUNAT decides.
ResumenDiarioBoletas (schedule 23:50 Lima): one RC per date of boletas not yet informed, each sent by an
EnviarResumen child. ReintentarComprobantesPendientes (every 15 min): restarts the workflow of any
undecided document whose workflow is not running (belt and braces).

Inputs are the dataclasses of workflows/entradas.py and activities are called by function. Workflows started
with the former dict payloads still replay: the dataclass fields carry the old dict keys, and the activity
names and result shapes are unchanged (tests/test_entradas_temporal.py replays recorded histories).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.facturacion import (
        comprobantes_sin_decision,
        consultar_resumen,
        enviar_a_sunat,
        enviar_resumen,
        generar_pdf_comprobante,
        notificar_cliente,
        preparar_comprobante,
        preparar_resumenes_diarios,
        registrar_error_comprobante,
        registrar_error_resumen,
    )
    from core.schedules import ScheduleDef
    from core.temporal import ESTADO, HEARTBEAT_TIMEOUT
    from workflows.entradas import (
        Barrido,
        DecisionResumen,
        Emision,
        EnvioSunat,
        ErrorComprobante,
        ErrorResumen,
        Reintento,
        Resumen,
        ResumenesDiarios,
    )

In = TypeVar("In")
Out = TypeVar("Out")

# Activities only fail on infrastructure trouble (database, storage): retry forever, gently.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=1),
                    non_retryable_error_types=["NotFound", "ValidationError", "LookupError",
                                               "TextoNoRepresentable"])
# sendSummary/getStatus raise when SUNAT is unreachable: keep trying, at least once a minute so a recovered
# SUNAT is noticed soon; a request SUNAT refuses is final.
RETRY_RESUMEN = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                            maximum_interval=timedelta(minutes=1),
                            non_retryable_error_types=["SunatErrorEnvio", "SunatYaRegistrado", "SunatCdrNoEncontrado",
                                                       "SunatRechazo", "LookupError", "TextoNoRepresentable"])
# Bounds one attempt (a send is connect 5 s + read 30 s, plus getStatusCdr after a 1033); a worker that dies
# mid-attempt is noticed through the missing heartbeats, after HEARTBEAT_TIMEOUT.
TIMEOUT = timedelta(minutes=2)
FINALES = ("ACEPTADO", "OBSERVADO", "RECHAZADO", "ANULADO")
CONSULTA_TICKET = (timedelta(seconds=1), timedelta(minutes=10))  # first wait, cap


def proxima_espera(espera: float, maximo: float) -> float:
    """The next probe interval towards an unreachable SUNAT: doubling, never beyond the maximum (setting
    `sunat_reintento_maximo_s`, 60 s by default), so a recovered SUNAT is noticed within that long."""
    return min(espera * 2, maximo)


async def _actividad(actividad: Callable[[In], Out], entrada: In, retry: RetryPolicy = RETRY) -> Out:
    """Run an activity (referenced by function: its name and its result type come from it) on its one input."""
    return await workflow.execute_activity(actividad, entrada, start_to_close_timeout=TIMEOUT,
                                           heartbeat_timeout=HEARTBEAT_TIMEOUT, retry_policy=retry)


def _motivo_definitivo(err: ActivityError) -> str | None:
    """The reason of an activity failure its retry policy gave up on (bad data), or None."""
    if err.retry_state == RetryState.NON_RETRYABLE_FAILURE and isinstance(err.cause, ApplicationError):
        return err.cause.message
    return None


class _Corregible:
    """Estado kept in the `Estado` search attribute; a step failing on data waits in ERROR for a fix."""

    def __init__(self) -> None:
        self._estado = "PENDIENTE"
        self._despertar = False

    @workflow.query(name="estado")
    def estado(self) -> str:
        return self._estado

    @workflow.signal(name="reintentar")
    def reintentar(self, _reintento: Reintento) -> None:
        """Idempotent: it only wakes a waiting workflow."""
        self._despertar = True

    def _cambiar_estado(self, estado: str) -> None:
        if estado != self._estado:
            self._estado = estado
            workflow.upsert_search_attributes([ESTADO.value_set(estado)])

    async def _esperar(self, segundos: float | None) -> None:
        """Durable timer, cut short by the `reintentar` signal."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._despertar,
                                          timeout=None if segundos is None else timedelta(seconds=segundos))
        self._despertar = False

    async def _hasta_corregir(self, paso: Callable[[], Awaitable[Out]],
                              registrar: Callable[[str], Awaitable[Any]]) -> Out:
        """Run `paso` (one activity); when it fails on data, record the reason with `registrar(motivo)` (another
        activity), show ERROR and wait for the fix, then run it again."""
        while True:
            try:
                return await paso()
            except ActivityError as err:
                if (motivo := _motivo_definitivo(err)) is None:
                    raise
            await registrar(motivo)
            self._cambiar_estado("ERROR")
            await self._esperar(None)


@workflow.defn(name="EmitirComprobante")
class EmitirComprobante(_Corregible):
    def __init__(self) -> None:
        super().__init__()
        self._intento = 0
        self._decision_resumen: str | None = None

    @workflow.signal(name="decidido_en_resumen")
    def decidido_en_resumen(self, decision: DecisionResumen) -> None:
        """A boleta's fate is decided by the resumen diario that informs it (sent by EnviarResumen's
        activity through the outbox); idempotent."""
        self._decision_resumen = decision.estado

    async def _enviar_hasta_decision(self, cid: int, espera: float, maximo: float) -> str | None:
        """Returns the workflow id of the next queued document of the series, if any."""
        while True:
            r = await _actividad(enviar_a_sunat, EnvioSunat(cid, self._intento + 1))
            self._cambiar_estado(r.estado)
            if r.en_cola:  # a lower number goes first; it signals us as soon as SUNAT decided
                await self._esperar(maximo)
                continue
            self._intento += 1
            if self._estado in FINALES:
                return r.siguiente
            if self._estado == "ERROR":  # SUNAT refused the request itself: wait for a fix + reenviar
                await self._esperar(None)
            else:
                await self._esperar(espera)
                espera = proxima_espera(espera, maximo)

    async def _despertar_siguiente(self, siguiente: str) -> None:
        try:
            await workflow.get_external_workflow_handle(siguiente).signal(_Corregible.reintentar,
                                                                          Reintento(por=self._intento))
        except Exception:  # noqa: BLE001 - it may have finished meanwhile; its own timer covers it
            workflow.logger.info("could not wake %s", siguiente)

    @workflow.run
    async def run(self, emision: Emision) -> str:
        cid = emision.comprobante_id
        preparado = await self._hasta_corregir(
            lambda: _actividad(preparar_comprobante, emision),
            lambda motivo: _actividad(registrar_error_comprobante, ErrorComprobante(cid, motivo)))
        self._cambiar_estado(preparado.estado)
        siguiente = None
        if preparado.modo_emision == "INDIVIDUAL":
            maximo = preparado.reintento_maximo
            siguiente = await self._enviar_hasta_decision(cid, min(preparado.reintento_inicial, maximo), maximo)
        if siguiente:
            await self._despertar_siguiente(siguiente)
        if self._estado in ("ACEPTADO", "OBSERVADO") or preparado.modo_emision == "RESUMEN":
            await _actividad(generar_pdf_comprobante, emision)
            await _actividad(notificar_cliente, emision)
        if preparado.modo_emision == "RESUMEN":
            # Stay open until the resumen diario decides, so the Estado search attribute tells the truth.
            await workflow.wait_condition(lambda: self._decision_resumen is not None)
            self._cambiar_estado(self._decision_resumen)
        return self._estado


@workflow.defn(name="EnviarResumen")
class EnviarResumen(_Corregible):
    """Resumen diario (RC) or comunicación de baja (RA)."""

    @workflow.run
    async def run(self, resumen: Resumen) -> str:
        if not await self._hasta_corregir(
                lambda: _actividad(enviar_resumen, resumen, retry=RETRY_RESUMEN),
                lambda motivo: _actividad(registrar_error_resumen, ErrorResumen(resumen.tipo, resumen.id, motivo),
                                          retry=RETRY_RESUMEN)):
            self._cambiar_estado("ERROR")  # refused by SUNAT: recorded, documents restored
            return self._estado
        self._cambiar_estado("ENVIADO")
        espera, maximo = CONSULTA_TICKET
        while True:
            final = await _actividad(consultar_resumen, resumen, retry=RETRY_RESUMEN)
            if final is not None:
                self._cambiar_estado(final)
                return final
            await workflow.sleep(espera)  # ticket in process (98): durable timer, then ask again
            espera = min(espera * 2, maximo)


@workflow.defn(name="ResumenDiarioBoletas")
class ResumenDiarioBoletas:
    """The 23:50 job: summarize the boletas not yet informed and send each RC (children, so each RC has
    its own business-key workflow and history)."""

    @workflow.run
    async def run(self, entrada: ResumenesDiarios | None = None) -> list[str]:
        # The schedule starts it with no argument; runs started by hand before the dataclass passed null.
        creados = await _actividad(preparar_resumenes_diarios, entrada or ResumenesDiarios())
        resultados = await asyncio.gather(*(
            workflow.execute_child_workflow(EnviarResumen.run, Resumen("RC", rid), id=f"resumen-{ident}")
            for rid, ident in creados))
        return [f"{ident}: {estado}" for (_, ident), estado in zip(creados, resultados, strict=True)]


@workflow.defn(name="ReintentarComprobantesPendientes")
class ReintentarComprobantesPendientes:
    """Every 15 min: any undecided document whose workflow is gone gets it started again (same id)."""

    @workflow.run
    async def run(self, barrido: Barrido | None = None) -> int:
        reiniciados = 0  # the schedule starts it with no argument: the default age
        for cid, workflow_id, _documento in await _actividad(comprobantes_sin_decision, barrido or Barrido()):
            try:
                await workflow.start_child_workflow(
                    EmitirComprobante.run, Emision(cid), id=workflow_id,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON)
                reiniciados += 1
            except WorkflowAlreadyStartedError:
                continue  # running: it retries on its own
        return reiniciados


WORKFLOWS = [EmitirComprobante, EnviarResumen, ResumenDiarioBoletas, ReintentarComprobantesPendientes]
SCHEDULES = [
    ScheduleDef("resumen-diario-boletas", "ResumenDiarioBoletas", "50 23 * * *",
                "Resumen diario de boletas a SUNAT (23:50 Lima)"),
    ScheduleDef("reintento-comprobantes", "ReintentarComprobantesPendientes", "*/15 * * * *",
                "Reintento de comprobantes pendientes sin workflow en curso (cada 15 min)"),
]

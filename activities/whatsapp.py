"""Activities of module 7's workflows (each idempotent: a message with its wamid is never sent again).

What Meta's answers mean: a throughput or pair limit (130429, 131056...) or a transient failure is retried
with exponential backoff and jitter (`next_retry_delay`, so many campaigns do not retry in lockstep); a
request Meta refuses (100, 132000/132001/132015/132016, 131026...) is recorded on the message and not
retried; an auth error (190, 104) marks the account's token invalid."""

import random
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.settings import get_settings
from core.temporal import heartbeating
from services import notificaciones_cliente, whatsapp, whatsapp_campanas, whatsapp_webhook
from workflows.entradas import (
    AvisoClienteEntrada,
    CampanaEntrada,
    EstadoCampanaWa,
    FalloMensajeWa,
    LoteCampanaWa,
    LoteWa,
    PedidoLoteWa,
    RecordatoriosCobranzaEntrada,
    ResultadoLoteWa,
    WebhookWaEntrada,
)

BACKOFF_INICIAL_S, BACKOFF_MAXIMO_S = 1.0, 300.0


def backoff(intento: int) -> timedelta:
    """Exponential with full jitter around the mean: 1 s, 2 s, 4 s... (±50 %), capped at 5 min."""
    base = min(BACKOFF_MAXIMO_S, BACKOFF_INICIAL_S * 2 ** max(intento - 1, 0))
    return timedelta(seconds=base * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not secrecy


@activity.defn(name="enviar_mensajes_wa")
@heartbeating
def enviar_mensajes_wa(lote: LoteWa) -> ResultadoLoteWa:
    """Send in order, message i no earlier than i/por_segundo s after the start, and end no earlier than
    len/por_segundo: back-to-back batches never exceed the rate in any one-second window."""
    inicio, paso = time.monotonic(), 1.0 / lote.por_segundo
    cuenta = {"ACEPTADO": 0, "FALLIDO": 0, "OMITIDO": 0, "TOKEN_INVALIDO": 0, "INTERRUMPIDO": 0}
    for i, mensaje_id in enumerate(lote.mensaje_ids):
        time.sleep(max(0.0, inicio + i * paso - time.monotonic()))
        try:
            resultado = whatsapp.despachar(mensaje_id).resultado
        except whatsapp.Reintentar as exc:
            raise ApplicationError(f"Meta: {exc}", type="MetaReintentable",
                                   next_retry_delay=backoff(activity.info().attempt)) from exc
        cuenta[resultado] += 1
        if resultado == "TOKEN_INVALIDO":
            break
    time.sleep(max(0.0, inicio + len(lote.mensaje_ids) * paso - time.monotonic()))
    return ResultadoLoteWa(cuenta["ACEPTADO"], cuenta["FALLIDO"] + cuenta["INTERRUMPIDO"], cuenta["OMITIDO"],
                           cuenta["TOKEN_INVALIDO"] > 0)


@activity.defn(name="registrar_fallo_wa")
def registrar_fallo_wa(fallo: FalloMensajeWa) -> None:
    whatsapp.registrar_fallo(fallo.mensaje_id, fallo.detalle)


@activity.defn(name="procesar_webhook_wa")
def procesar_webhook_wa(entrada: WebhookWaEntrada) -> int:
    return whatsapp_webhook.procesar(entrada.log_id)


@activity.defn(name="preparar_campana_wa")
def preparar_campana_wa(entrada: CampanaEntrada) -> int:
    return whatsapp_campanas.preparar(entrada.campana_id)


@activity.defn(name="tomar_lote_campana_wa")
def tomar_lote_campana_wa(pedido: PedidoLoteWa) -> LoteCampanaWa:
    return whatsapp_campanas.tomar_lote(pedido.campana_id, pedido.maximo)


@activity.defn(name="registrar_estado_campana_wa")
def registrar_estado_campana_wa(estado: EstadoCampanaWa) -> None:
    whatsapp_campanas.registrar_estado(estado.campana_id, estado.estado, estado.fecha_programada)


@activity.defn(name="concluir_aviso_whatsapp")
def concluir_aviso_whatsapp(aviso: AvisoClienteEntrada) -> bool:
    return notificaciones_cliente.concluir_whatsapp(aviso.notificacion_id)


@activity.defn(name="enviar_aviso_correo")
@heartbeating
def enviar_aviso_correo(aviso: AvisoClienteEntrada) -> bool:
    return notificaciones_cliente.enviar_correo(aviso.notificacion_id)


@activity.defn(name="recordar_cxc_vencidas")
@heartbeating
def recordar_cxc_vencidas(entrada: RecordatoriosCobranzaEntrada) -> int:
    hoy = date.fromisoformat(entrada.fecha) if entrada.fecha else datetime.now(ZoneInfo(get_settings().timezone)).date()
    return notificaciones_cliente.recordar_vencidas(hoy)


ACTIVITIES = [enviar_mensajes_wa, registrar_fallo_wa, procesar_webhook_wa, preparar_campana_wa,
              tomar_lote_campana_wa, registrar_estado_campana_wa]
ACTIVITIES += [concluir_aviso_whatsapp, enviar_aviso_correo, recordar_cxc_vencidas]  # customer notifications

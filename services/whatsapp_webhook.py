"""Module 7: what Meta sends back. Each webhook body is verified (X-Hub-Signature-256), stored raw and handed
to a workflow; processing applies message statuses (forward only, in any order, twice, or before the
send's own response is stored), inbound messages (24 h window, STOP/BAJA opt-out) and template decisions."""

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from core import outbox
from core.db import session_scope
from core.errors import Forbidden
from core.settings import get_settings
from integrations.whatsapp.client import firma_valida
from models.base import utcnow
from models.whatsapp import (
    WaContacto,
    WaCuenta,
    WaEstadoPendiente,
    WaLogWebhook,
    WaMensaje,
    WaMensajeEntrante,
    WaPlantilla,
)
from services import notificaciones_cliente
from workflows.entradas import WebhookWaEntrada

RANGO = {"PENDIENTE": 0, "ENVIANDO": 0, "ENVIADO_A_META": 1, "ENVIADO": 2, "ENTREGADO": 3, "LEIDO": 4}
ESTADO_META = {"sent": "ENVIADO", "delivered": "ENTREGADO", "read": "LEIDO", "failed": "FALLIDO"}
PALABRAS_BAJA = {"STOP", "BAJA", "PARAR", "CANCELAR", "UNSUBSCRIBE", "DESUSCRIBIR", "NO MAS", "NO MÁS"}


def verificar_suscripcion(mode: str | None, token: str | None, challenge: str | None) -> str:
    """Meta's GET handshake: echo hub.challenge when hub.verify_token is ours."""
    esperado = get_settings().whatsapp_verify_token
    if mode != "subscribe" or not esperado or not challenge or token != esperado:
        raise Forbidden("Verificación del webhook rechazada (hub.mode / hub.verify_token)")
    return challenge


def recibir(session: Session, cuerpo: bytes, firma: str | None) -> WaLogWebhook:
    """Verify the signature against our accounts' app secrets (constant time), store the raw body and ask
    for its processing; nothing is stored for a wrong or missing signature."""
    secretos = [c.app_secret for c in session.exec(select(WaCuenta))]
    if not any([firma_valida(s, cuerpo, firma) for s in secretos]):  # a list: every secret is compared
        raise Forbidden("Firma X-Hub-Signature-256 inválida o ausente")
    raw = cuerpo.decode("utf-8", errors="replace").replace("\x00", "")
    log = WaLogWebhook(payload_raw=raw, tipo_evento=_tipo(raw))
    session.add(log)
    session.flush()
    outbox.request_workflow(session, "ProcesarWebhookWhatsApp", f"webhook-wa-{log.id}", WebhookWaEntrada(log.id),
                            search_attributes={"Documento": f"webhook-wa-{log.id}"})
    session.commit()
    return log


def _tipo(raw: str) -> str:
    try:
        changes = [c for e in json.loads(raw).get("entry", []) for c in e.get("changes", [])]
    except (ValueError, AttributeError):
        return "invalido"
    tipos = set()
    for c in changes:
        value = c.get("value") or {}
        tipos |= {k for k in ("statuses", "messages", "errors") if k in value} or {str(c.get("field", ""))}
    return ",".join(sorted(tipos))[:60]


def procesar(log_id: int) -> int:
    """Apply one stored webhook (idempotent: run it twice and nothing changes); returns the items applied."""
    with session_scope() as session:
        log = session.get(WaLogWebhook, log_id)
        if log is None or log.procesado:
            return 0
        try:
            payload = json.loads(log.payload_raw)
            changes = [c for e in payload.get("entry", []) for c in e.get("changes", [])]
        except (ValueError, AttributeError):
            log.procesado, log.error = True, "cuerpo no es JSON de Meta"
            return 0
        aplicados = 0
        for change in changes:
            value = change.get("value") or {}
            if change.get("field") == "message_template_status_update":
                aplicados += _plantilla(session, value)
                continue
            for status in value.get("statuses") or []:
                aplicados += aplicar_estado(session, status)
            contactos = {c.get("wa_id"): c for c in value.get("contacts") or []}
            for mensaje in value.get("messages") or []:
                aplicados += _entrante(session, mensaje, contactos)
        log.procesado = True
        session.add(log)
        return aplicados


def _momento(ts: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(ts), UTC)
    except (TypeError, ValueError):
        return utcnow()


def _bloquear(session: Session, wamid: str) -> None:
    """Serialise the status path and the send's response path for one wamid."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:w))"), {"w": wamid})


def aplicar_estado(session: Session, status: dict[str, Any]) -> int:
    wamid, nuevo = str(status.get("id", "")), ESTADO_META.get(str(status.get("status")))
    if not wamid or nuevo is None:
        return 0
    _bloquear(session, wamid)
    m = session.exec(select(WaMensaje).where(WaMensaje.meta_message_id == wamid).with_for_update()).first()
    if m is None:
        m = _por_referencia(session, wamid, str(status.get("biz_opaque_callback_data", "")))
    if m is None:  # the webhook beat the send's response: kept until the wamid is stored
        session.add(WaEstadoPendiente(meta_message_id=wamid, status=status))
        return 1
    antes = m.estado
    _avanzar(m, nuevo, _momento(status.get("timestamp")), status.get("errors") or [])
    session.add(m)
    if m.estado != antes:
        notificaciones_cliente.tras_estado(session, m)
    return 1


def _por_referencia(session: Session, wamid: str, referencia: str) -> WaMensaje | None:
    """A send interrupted before its response was stored, that Meta did take: our id comes back in
    biz_opaque_callback_data, so the message gets its wamid and lives again."""
    if not referencia.startswith("erp-wa-") or not referencia[7:].isdigit():
        return None
    m = session.get(WaMensaje, int(referencia[7:]), with_for_update=True)
    if m is None or m.meta_message_id is not None or m.estado not in ("ENVIANDO", "FALLIDO"):
        return None
    if m.estado == "FALLIDO" and m.error_codigo is not None:
        return None  # Meta refused it: that answer stands
    m.meta_message_id, m.estado, m.error_mensaje = wamid, "ENVIADO_A_META", ""
    m.aceptado_at = m.aceptado_at or utcnow()
    return m


def _avanzar(m: WaMensaje, nuevo: str, ts: datetime, errores: list[dict[str, Any]]) -> None:
    """Forward only: FALLIDO is final and not reached from ENTREGADO/LEIDO; `read` implies delivered and
    sent, so their dates are filled from it until (if ever) their own webhook brings an earlier one."""
    if nuevo == "FALLIDO":
        if m.estado != "FALLIDO" and RANGO.get(m.estado, 0) < RANGO["ENTREGADO"]:
            error = errores[0] if errores else {}
            m.estado, m.error_codigo = "FALLIDO", error.get("code")
            m.error_mensaje = str((error.get("error_data") or {}).get("details") or error.get("title", ""))[:1000]
        return
    if m.estado != "FALLIDO" and RANGO[nuevo] > RANGO.get(m.estado, 0):
        m.estado = nuevo
    # A later stage's timestamp bounds the earlier ones from above: the earliest seen is the truest.
    m.fecha_envio = _primera(m.fecha_envio, ts)
    if RANGO[nuevo] >= RANGO["ENTREGADO"]:
        m.fecha_entrega = _primera(m.fecha_entrega, ts)
    if nuevo == "LEIDO":
        m.fecha_lectura = _primera(m.fecha_lectura, ts)


def _primera(actual: datetime | None, ts: datetime) -> datetime:
    return ts if actual is None or ts < actual else actual


def aceptado(session: Session, mensaje_id: int, wamid: str) -> None:
    """Meta answered 200: store the wamid (ENVIADO_A_META) and apply the statuses that arrived first."""
    _bloquear(session, wamid)
    m = session.get(WaMensaje, mensaje_id, with_for_update=True)
    m.meta_message_id, m.aceptado_at = wamid, utcnow()
    if m.estado in ("PENDIENTE", "ENVIANDO"):
        m.estado = "ENVIADO_A_META"
    pendientes = session.exec(select(WaEstadoPendiente).where(WaEstadoPendiente.meta_message_id == wamid)
                              .order_by(WaEstadoPendiente.id)).all()
    for p in pendientes:
        nuevo = ESTADO_META.get(str(p.status.get("status")))
        if nuevo:
            _avanzar(m, nuevo, _momento(p.status.get("timestamp")), p.status.get("errors") or [])
        session.delete(p)
    session.add(m)


def _es_baja(texto: str) -> bool:
    plano = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode().strip().upper().strip(".!")
    return plano in {unicodedata.normalize("NFKD", p).encode("ascii", "ignore").decode() for p in PALABRAS_BAJA}


def _entrante(session: Session, mensaje: dict[str, Any], contactos: dict[str, Any]) -> int:
    wamid, wa_id = str(mensaje.get("id", "")), str(mensaje.get("from", ""))
    if not wamid or not wa_id:
        return 0
    if session.exec(select(WaMensajeEntrante).where(WaMensajeEntrante.meta_message_id == wamid)).first():
        return 0  # Meta redelivered it
    fecha = _momento(mensaje.get("timestamp"))
    tipo = str(mensaje.get("type", "unknown"))[:20]
    cuerpo = str(((mensaje.get(tipo) or {}) if isinstance(mensaje.get(tipo), dict) else {}).get("body", ""))
    contacto = session.exec(select(WaContacto).where(WaContacto.wa_id == wa_id).with_for_update()).first()
    session.add(WaMensajeEntrante(meta_message_id=wamid, wa_id=wa_id, tipo=tipo, texto=cuerpo[:4096], fecha=fecha,
                                  cliente_id=contacto.cliente_id if contacto else None))
    if contacto:
        if contacto.ultima_interaccion_cliente is None or fecha > contacto.ultima_interaccion_cliente:
            contacto.ultima_interaccion_cliente = fecha
        if tipo == "text" and _es_baja(cuerpo):
            contacto.opt_in, contacto.opt_out_fecha = False, fecha
            contacto.opt_out_motivo = f"El cliente escribió {cuerpo.strip()[:40]!r} por WhatsApp"
        session.add(contacto)
    return 1


def _plantilla(session: Session, value: dict[str, Any]) -> int:
    meta_id, evento = str(value.get("message_template_id", "")), str(value.get("event", ""))
    plantilla = session.exec(select(WaPlantilla).where(WaPlantilla.meta_template_id == meta_id)).first()
    if plantilla is None or not evento:
        return 0
    plantilla.estado_meta = evento[:20]
    razon = value.get("reason")
    detalle = (value.get("rejection_info") or {}).get("reason")
    plantilla.motivo_rechazo = ("" if razon in (None, "NONE") else str(razon) + (f": {detalle}" if detalle else ""))
    session.add(plantilla)
    return 1

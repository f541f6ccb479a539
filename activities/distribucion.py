"""Activities of the `EntregaPedido` workflow (module 4), each idempotent."""

from collections.abc import Callable

from sqlmodel import Session
from temporalio import activity

from core.db import session_scope
from core.errors import DomainError
from core.temporal import heartbeating
from integrations.geocoding.client import (
    DE_LA_CUENTA,
    DireccionNoEncontrada,
    GeocodificacionNoDisponible,
    geocodificar,
)
from integrations.mail.client import send_mail
from integrations.sunat import gre_client
from integrations.sunat.ubl import TextoNoRepresentable
from models.distribucion import Pedido
from services.distribucion import avisos, entregas, gre, seguimiento
from services.notificaciones import notificar
from workflows.entradas import GuiaRef, PedidoRef


@activity.defn(name="geocodificar_pedido")
@heartbeating
def geocodificar_pedido(ref: PedidoRef) -> str:
    """OK, or the address's own failure (ZERO_RESULTS, INVALID_REQUEST: recorded, the dispatcher told). A quota
    or outage (GeocodificacionNoDisponible) raises and is retried by the workflow's policy: nothing is lost; a
    refused key or an exhausted daily quota also tells the dispatcher (once a day)."""
    with session_scope() as session:
        pedido = session.get(Pedido, ref.pedido_id)
        if pedido is None or pedido.latitud is not None:
            return "SIN_CAMBIO"
        direccion = ", ".join(p for p in (pedido.direccion_entrega, pedido.distrito, "Lima, Perú") if p)
    try:
        posicion = geocodificar(direccion)
    except DireccionNoEncontrada as exc:
        with session_scope() as session:
            return avisos.registrar_fallo(session, ref.pedido_id, exc.status)
    except GeocodificacionNoDisponible as exc:
        if exc.status in DE_LA_CUENTA:  # an operator must fix the key: told once a day; the order keeps waiting
            with session_scope() as session:
                avisos.alertar_geocodificador(session, str(exc))
        raise
    with session_scope() as session:
        return avisos.registrar_posicion(session, ref.pedido_id, posicion.latitud, posicion.longitud)


def _enviar(redactar: Callable[[Session, int], avisos.Mensaje | None], ref: PedidoRef) -> bool:
    """Compose (and commit) in one transaction, then mail outside it; False when there is nobody to write to."""
    with session_scope() as session:
        mensaje = redactar(session, ref.pedido_id)
    if mensaje is None:
        return False
    send_mail(mensaje.destinatarios, mensaje.asunto, mensaje.cuerpo)
    return True


@activity.defn(name="enviar_otp_entrega")
@heartbeating
def enviar_otp_entrega(ref: PedidoRef) -> bool:
    """The order went EN_RUTA: the customer gets the tracking link and the delivery code (module 7's notice)."""
    with session_scope() as session:
        return avisos.emitir_otp(session, ref.pedido_id)


@activity.defn(name="notificar_entrega")
@heartbeating
def notificar_entrega(ref: PedidoRef) -> bool:
    return _enviar(avisos.mensaje_entregado, ref)


@activity.defn(name="facturar_pedido")
def facturar_pedido(ref: PedidoRef) -> int:
    """The delivered order's comprobante; data SUNAT would refuse is not retried: the dispatcher is told."""
    try:
        with session_scope() as session:
            return entregas.facturar(session, ref.pedido_id) or 0
    except DomainError as exc:
        with session_scope() as session:
            notificar(session, "PEDIDO_SIN_COMPROBANTE", "distribucion", f"PED-{ref.pedido_id}: sin comprobante",
                      exc.message, "pedidos", str(ref.pedido_id), f"PEDIDO_SIN_COMPROBANTE:{ref.pedido_id}")
        return 0


@activity.defn(name="alertar_retraso_entrega")
def alertar_retraso_entrega(ref: PedidoRef) -> bool:
    with session_scope() as session:
        return avisos.alertar_retraso(session, ref.pedido_id)


@activity.defn(name="podar_tracking")
def podar_tracking() -> int:
    with session_scope() as session:
        return seguimiento.podar(session)


# --- GRE remitente: build and sign, send, poll the ticket (SUNAT's GRE REST API) ---------------------------


class GreEnProceso(Exception):
    """SUNAT still processes the ticket (codRespuesta 98): the workflow's retry policy polls again."""


@activity.defn(name="preparar_gre")
def preparar_gre(ref: PedidoRef) -> int:
    """The GRE of the order's assignment, built, numbered and signed once; 0 when none is due or its data is
    incomplete (recorded as ERROR with the reason, the dispatcher told: no retry can fix it)."""
    try:
        with session_scope() as session:
            return gre.preparar(session, ref.pedido_id)
    except (DomainError, TextoNoRepresentable) as exc:
        with session_scope() as session:
            gre.registrar_error_datos(session, ref.pedido_id, getattr(exc, "message", str(exc)))
        return 0


@activity.defn(name="rehacer_gre")
def rehacer_gre(ref: GuiaRef) -> int:
    """The dispatcher's re-send of a RECHAZADA / ERROR guía: rebuilt from the corrected data and signed (a new
    guía under a new number after a rejection); 0 when nothing is to be sent, or the data is still incomplete
    (recorded as ERROR with the reason, the dispatcher told)."""
    try:
        with session_scope() as session:
            return gre.rehacer(session, ref.guia_id)
    except (DomainError, TextoNoRepresentable) as exc:
        with session_scope() as session:
            pedido_id = gre.obtener(session, ref.guia_id).pedido_id
            gre.registrar_error_datos(session, pedido_id, getattr(exc, "message", str(exc)))
        return 0


@activity.defn(name="enviar_gre")
def enviar_gre(ref: GuiaRef) -> str:
    """Token + POST of the zip; the ticket is stored. Idempotent: a guía already sent keeps its ticket. SUNAT
    down or a token endpoint failing raises (retried); refused credentials or file are final."""
    with session_scope() as session:
        envio = gre.envio(session, ref.guia_id)
    if envio.estado != "PENDIENTE":
        return envio.ticket
    try:
        ticket = gre_client.enviar(envio.credenciales, envio.nombre, envio.xml)
    except gre_client.CredencialesRechazadas as exc:
        with session_scope() as session:
            gre.registrar_fallo(session, ref.guia_id, "ERROR", "", f"Credenciales SOL / API GRE: {exc}")
        return ""
    except gre_client.EnvioRechazado as exc:
        with session_scope() as session:
            gre.registrar_fallo(session, ref.guia_id, "RECHAZADA", exc.codigo, exc.mensaje)
        return ""
    with session_scope() as session:
        gre.registrar_envio(session, ref.guia_id, ticket)
    return ticket


@activity.defn(name="consultar_gre")
def consultar_gre(ref: GuiaRef) -> str:
    """Poll the ticket: ACEPTADA (CDR stored) or RECHAZADA; 98 raises GreEnProceso so the policy polls again."""
    with session_scope() as session:
        envio = gre.envio(session, ref.guia_id)
    if envio.estado != "ENVIADA":
        return envio.estado
    try:
        respuesta = gre_client.consultar(envio.credenciales, envio.ticket)
    except gre_client.CredencialesRechazadas as exc:
        with session_scope() as session:
            return gre.registrar_fallo(session, ref.guia_id, "ERROR", "", f"Credenciales SOL / API GRE: {exc}")
    if respuesta.codigo == gre_client.EN_PROCESO:
        raise GreEnProceso(f"ticket {envio.ticket} en proceso")
    with session_scope() as session:
        return gre.registrar_respuesta(session, ref.guia_id, respuesta)


ACTIVITIES = [geocodificar_pedido, enviar_otp_entrega, notificar_entrega, facturar_pedido, alertar_retraso_entrega,
              podar_tracking, preparar_gre, enviar_gre, consultar_gre, rehacer_gre]

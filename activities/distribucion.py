"""Activities of the `EntregaPedido` workflow (module 4), each idempotent."""

from temporalio import activity

from core.db import session_scope
from core.temporal import heartbeating
from integrations.geocoding.client import DireccionNoEncontrada, geocodificar
from integrations.mail.client import send_mail
from models.distribucion import Pedido
from services.distribucion import avisos, seguimiento
from workflows.entradas import PedidoRef


@activity.defn(name="geocodificar_pedido")
@heartbeating
def geocodificar_pedido(ref: PedidoRef) -> str:
    """OK, or the address's own failure (ZERO_RESULTS, INVALID_REQUEST: recorded, the dispatcher told). A quota
    or outage (GeocodificacionNoDisponible) raises and is retried by the workflow's policy: nothing is lost."""
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
    with session_scope() as session:
        return avisos.registrar_posicion(session, ref.pedido_id, posicion.latitud, posicion.longitud)


def _enviar(mensaje: avisos.Mensaje | None) -> bool:
    if mensaje is None:
        return False
    send_mail(mensaje.destinatarios, mensaje.asunto, mensaje.cuerpo)
    return True


@activity.defn(name="enviar_otp_entrega")
@heartbeating
def enviar_otp_entrega(ref: PedidoRef) -> bool:
    """The order went EN_RUTA: the customer gets the tracking link and the delivery code."""
    with session_scope() as session:
        mensaje = avisos.emitir_otp(session, ref.pedido_id)
    return _enviar(mensaje)


@activity.defn(name="notificar_entrega")
@heartbeating
def notificar_entrega(ref: PedidoRef) -> bool:
    with session_scope() as session:
        mensaje = avisos.mensaje_entregado(session, ref.pedido_id)
    return _enviar(mensaje)


@activity.defn(name="alertar_retraso_entrega")
def alertar_retraso_entrega(ref: PedidoRef) -> bool:
    with session_scope() as session:
        return avisos.alertar_retraso(session, ref.pedido_id)


@activity.defn(name="podar_tracking")
def podar_tracking() -> int:
    with session_scope() as session:
        return seguimiento.podar(session)


ACTIVITIES = [geocodificar_pedido, enviar_otp_entrega, notificar_entrega, alertar_retraso_entrega, podar_tracking]

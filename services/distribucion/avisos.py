"""What the `EntregaPedido` workflow's activities do to the database: store a geocoding result, issue the
delivery OTP (only its hash is kept), raise the dispatcher's late-stop alert, and compose the customer's
messages. Each function is one transaction and safe to run twice."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from core.settings import get_settings
from models.distribucion import AsignacionPedido, Pedido
from models.ventas import Cliente
from services import notificaciones_cliente
from services.distribucion.pedidos import asignacion_activa, documento, en_peru
from services.notificaciones import notificar
from services.notificaciones_cliente import Aviso, Correo
from services.stock import hoy_lima

OTP_VIGENCIA = timedelta(hours=12)
OTP_INTENTOS = 5


def hash_otp(asignacion_id: int, codigo: str) -> str:
    """Keyed with the app's secret and bound to the assignment: a leaked table does not reveal the codes."""
    return hmac.new(get_settings().secret_key.encode(), f"{asignacion_id}:{codigo}".encode(),
                    hashlib.sha256).hexdigest()


def registrar_posicion(session: Session, pedido_id: int, latitud: float, longitud: float) -> str:
    pedido = session.get(Pedido, pedido_id)
    if pedido is None or pedido.latitud is not None:
        return "SIN_CAMBIO"
    if not en_peru(latitud, longitud):
        return registrar_fallo(session, pedido_id, "FUERA_DEL_PERU")
    pedido.latitud, pedido.longitud, pedido.geocodificacion = latitud, longitud, "OK"
    session.add(pedido)
    session.commit()
    return "OK"


def registrar_fallo(session: Session, pedido_id: int, status: str) -> str:
    """The address cannot be geocoded: the dispatcher is told to correct it or enter the coordinates."""
    pedido = session.get(Pedido, pedido_id)
    if pedido is None:
        return status
    pedido.geocodificacion = status[:16]
    session.add(pedido)
    notificar(session, "PEDIDO_SIN_COORDENADAS", "distribucion", f"{documento(pedido_id)}: dirección no ubicada",
              f"{pedido.direccion_entrega} ({status}): corrija la dirección o indique las coordenadas", "pedidos",
              str(pedido_id), f"PEDIDO_SIN_COORDENADAS:{pedido_id}")
    session.commit()
    return status


def alertar_geocodificador(session: Session, detalle: str) -> bool:
    """Google refused the key (REQUEST_DENIED) or its daily quota: the orders without coordinates wait for an
    operator. One notice a Lima day, however many orders and retries hit it."""
    creada = notificar(session, "GEOCODIFICACION_RECHAZADA", "distribucion",
                       "La geocodificación de direcciones está rechazada",
                       f"Google Geocoding respondió {detalle[:300]}: revise GOOGLE_MAPS_API_KEY y su facturación; "
                       "los pedidos sin coordenadas se reintentan solos", "pedidos", "",
                       f"GEOCODIFICACION_RECHAZADA:{hoy_lima()}")
    session.commit()
    return creada


@dataclass(frozen=True)
class Mensaje:
    destinatarios: list[str]
    asunto: str
    cuerpo: str


def _cliente(session: Session, pedido: Pedido) -> Cliente:
    return session.get(Cliente, pedido.cliente_id)


def enlace_seguimiento(pedido: Pedido) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/seguimiento/{pedido.codigo_seguimiento}"


def emitir_otp(session: Session, pedido_id: int) -> bool:
    """A fresh 6-digit code for the active stop (a retry issues a new one; only the latest is valid), committed
    with its notice to the customer (module 7 picks WhatsApp or e-mail; its workflow sends it)."""
    pedido = session.get(Pedido, pedido_id)
    asignacion = asignacion_activa(session, pedido_id) if pedido else None
    if pedido is None or asignacion is None or pedido.estado != "EN_RUTA":
        return False
    codigo = f"{secrets.randbelow(10**6):06d}"
    asignacion.otp_hash, asignacion.otp_intentos = hash_otp(asignacion.id, codigo), 0
    asignacion.otp_expira = datetime.now(UTC) + OTP_VIGENCIA
    session.add(asignacion)
    cliente, horas = _cliente(session, pedido), int(OTP_VIGENCIA.total_seconds() // 3600)
    correo = Correo([cliente.email] if cliente.email else [], f"Su pedido {documento(pedido.id)} está en camino",
                    f"Hola {cliente.razon_social}:\n\nSu pedido salió a reparto. Siga su entrega en "
                    f"{enlace_seguimiento(pedido)}\n\nCódigo de entrega (díctelo al transportista al recibir): "
                    f"{codigo}\nVálido por {horas} horas.")
    notificaciones_cliente.avisar(session, Aviso("PEDIDO_EN_RUTA", cliente.id, {
        "cliente": cliente.razon_social, "pedido": documento(pedido.id), "codigo": codigo,
        "enlace_seguimiento": enlace_seguimiento(pedido), "vigencia_horas": str(horas), "empresa": ""},
        correo, "pedidos", str(pedido.id)))
    session.commit()
    return True


def mensaje_entregado(session: Session, pedido_id: int) -> Mensaje | None:
    pedido = session.get(Pedido, pedido_id)
    cliente = _cliente(session, pedido) if pedido else None
    if cliente is None or not cliente.email or pedido.estado != "ENTREGADO":
        return None
    return Mensaje([cliente.email], f"Pedido {documento(pedido.id)} entregado",
                   f"Hola {cliente.razon_social}:\n\nSu pedido fue entregado. Detalle: {enlace_seguimiento(pedido)}")


def alertar_retraso(session: Session, pedido_id: int) -> bool:
    """The stop passed its ETA and the order is still EN_RUTA: one alert per ETA for the dispatcher."""
    pedido = session.get(Pedido, pedido_id)
    asignacion = session.execute(select(AsignacionPedido).where(
        AsignacionPedido.pedido_id == pedido_id, AsignacionPedido.estado == "ACTIVA")).scalar_one_or_none()
    if pedido is None or pedido.estado != "EN_RUTA" or asignacion is None:
        return False
    eta = asignacion.eta.isoformat() if asignacion.eta else "sin ETA"
    creada = notificar(session, "ENTREGA_RETRASADA", "distribucion", f"{documento(pedido_id)} retrasado",
                       f"La parada {asignacion.orden_entrega} de la ruta {asignacion.ruta_id} pasó su ETA ({eta})",
                       "pedidos", str(pedido_id), f"ENTREGA_RETRASADA:{pedido_id}:{eta}")
    session.commit()
    return creada

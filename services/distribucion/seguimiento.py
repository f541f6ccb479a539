"""GPS tracking and the public view of an order (module 4).

A carrier's device posts its fix every ~30 s: validated (range, Peru, not in the future, newer than the last
one), stored in `tracking_transportista`, and published (NOTIFY, on commit) with the ETAs of the route's
remaining stops, recomputed from the fix: the stops in order, at the carrier's average speed of the day.
The public view shows the order's state, events, carrier position and ETA — nothing about other stops,
no names or phone numbers."""

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import delete, func, select, text
from sqlmodel import Session

from core import tiempo_real
from core.errors import Forbidden, NotFound, ValidationError
from core.schemas import Entrada, Id, Momento
from models.distribucion import AsignacionPedido, Pedido, Ruta, TrackingTransportista, Transportista
from services.auth import AuthUser
from services.distribucion import optimizacion
from services.distribucion.eta import llegadas
from services.distribucion.pedidos import en_peru, eventos
from services.permisos import tiene_permiso
from services.stock import hoy_lima

TOLERANCIA_FUTURO = timedelta(seconds=30)  # device clocks drift
RETENCION = timedelta(days=30)


def tema(transportista_id: int) -> str:
    return f"transportista:{transportista_id}"


class PosicionIn(Entrada):
    transportista_id: Id | None = Field(default=None, description="omitted by a driver: their own carrier")
    latitud: float = Field(ge=-90, le=90)
    longitud: float = Field(ge=-180, le=180)
    timestamp: Momento = Field(description="when the device took the fix (with its offset)")
    precision_m: float | None = Field(default=None, ge=0, le=10_000)
    velocidad_kmh: float | None = Field(default=None, ge=0, le=250)


def _transportista(session: Session, user: AuthUser, transportista_id: int | None) -> Transportista:
    propio = session.execute(select(Transportista).where(Transportista.usuario_id == user.id)).scalar_one_or_none()
    if transportista_id is None:
        if propio is None:
            raise ValidationError("Indique transportista_id", field="transportista_id")
        transportista_id = propio.id
    elif (propio is None or propio.id != transportista_id) and not tiene_permiso(
            session, user.rol_id, "distribucion", "tracking_todos"):
        raise Forbidden("Solo puede enviar la posición de su propio vehículo", field="transportista_id")
    # The row lock orders concurrent fixes of one carrier, so "newer than the last" holds.
    t = session.execute(select(Transportista).where(Transportista.id == transportista_id)
                        .with_for_update()).scalar_one_or_none()
    if t is None or not t.activo:
        raise ValidationError("El transportista no existe o está inactivo", field="transportista_id")
    return t


def ultima(session: Session, transportista_id: int) -> TrackingTransportista | None:
    return session.execute(select(TrackingTransportista).where(
        TrackingTransportista.transportista_id == transportista_id)
        .order_by(TrackingTransportista.momento.desc()).limit(1)).scalar_one_or_none()


def actualizar(session: Session, user: AuthUser, datos: PosicionIn) -> TrackingTransportista:
    if datos.timestamp.tzinfo is None:
        raise ValidationError("timestamp necesita su zona horaria (ISO 8601 con offset)", field="timestamp")
    momento = datos.timestamp.astimezone(UTC)
    if momento > datetime.now(UTC) + TOLERANCIA_FUTURO:
        raise ValidationError("timestamp está en el futuro", field="timestamp")
    if not en_peru(datos.latitud, datos.longitud):
        raise ValidationError("la posición no está en el Perú", field="latitud")
    t = _transportista(session, user, datos.transportista_id)
    anterior = ultima(session, t.id)
    if anterior is not None and momento <= anterior.momento:
        raise ValidationError(f"timestamp no es posterior a la última posición ({anterior.momento.isoformat()})",
                              field="timestamp")
    fila = TrackingTransportista(transportista_id=t.id, latitud=datos.latitud, longitud=datos.longitud,
                                 momento=momento, precision_m=datos.precision_m, velocidad_kmh=datos.velocidad_kmh)
    session.add(fila)
    session.flush()
    tiempo_real.publicar(session, tema(t.id), mensaje(session, fila))
    session.commit()
    return fila


def mensaje(session: Session, fila: TrackingTransportista) -> dict[str, Any]:
    etas = etas_restantes(session, fila.transportista_id, (fila.latitud, fila.longitud), fila.momento)
    return {"latitud": fila.latitud, "longitud": fila.longitud, "momento": fila.momento.isoformat(),
            "etas": {str(k): v.isoformat() for k, v in etas.items()}}


def velocidad_media(session: Session, transportista_id: int) -> float:
    """The carrier's average reported speed today while moving, or the planning default."""
    media = session.execute(text("""
        SELECT avg(velocidad_kmh) FROM tracking_transportista
        WHERE transportista_id = :t AND momento >= now() - interval '12 hours' AND velocidad_kmh >= 3
    """), {"t": transportista_id}).scalar()
    return float(media) if media else optimizacion.VELOCIDAD_KMH


def etas_restantes(session: Session, transportista_id: int, desde: tuple[float, float],
                   momento: datetime) -> dict[int, datetime]:
    """ETA of each order still to deliver on the carrier's route of today, in visiting order."""
    filas = session.execute(
        select(AsignacionPedido.pedido_id, Pedido.latitud, Pedido.longitud)
        .join(Ruta, Ruta.id == AsignacionPedido.ruta_id).join(Pedido, Pedido.id == AsignacionPedido.pedido_id)
        .where(Ruta.transportista_id == transportista_id, Ruta.fecha == hoy_lima(),
               AsignacionPedido.estado == "ACTIVA", Pedido.estado == "EN_RUTA", Pedido.latitud.is_not(None))
        .order_by(AsignacionPedido.orden_entrega)).all()
    horas = llegadas(desde, [(lat, lon) for _, lat, lon in filas], momento, velocidad_media(session, transportista_id))
    return {pedido_id: hora for (pedido_id, _, _), hora in zip(filas, horas, strict=True)}


def ubicacion(session: Session, transportista_id: int) -> TrackingTransportista:
    if session.get(Transportista, transportista_id) is None:
        raise NotFound("Transportista no encontrado")
    fila = ultima(session, transportista_id)
    if fila is None:
        raise NotFound("El transportista aún no ha enviado su posición")
    return fila


def pedido_por_codigo(session: Session, codigo: str) -> Pedido:
    pedido = session.execute(select(Pedido).where(Pedido.codigo_seguimiento == codigo)).scalar_one_or_none()
    if pedido is None:
        raise NotFound("Código de seguimiento no encontrado")
    return pedido


def transportista_de(session: Session, pedido_id: int) -> int | None:
    return session.execute(select(Ruta.transportista_id).join(
        AsignacionPedido, AsignacionPedido.ruta_id == Ruta.id).where(
        AsignacionPedido.pedido_id == pedido_id, AsignacionPedido.estado == "ACTIVA")).scalar_one_or_none()


def publico(session: Session, codigo: str) -> dict[str, Any]:
    """What the customer may see of their order."""
    pedido = pedido_por_codigo(session, codigo)
    transportista_id = transportista_de(session, pedido.id)
    posicion, eta = None, None
    if transportista_id is not None and pedido.estado == "EN_RUTA":
        fila = ultima(session, transportista_id)
        if fila is not None:
            posicion = {"latitud": fila.latitud, "longitud": fila.longitud, "momento": fila.momento}
            eta = etas_restantes(session, transportista_id, (fila.latitud, fila.longitud),
                                 datetime.now(UTC)).get(pedido.id)
    if eta is None and transportista_id is not None:
        eta = session.execute(select(AsignacionPedido.eta).where(
            AsignacionPedido.pedido_id == pedido.id, AsignacionPedido.estado == "ACTIVA")).scalar_one_or_none()
    return {"codigo": codigo, "estado": pedido.estado, "fecha_entrega": pedido.fecha_entrega,
            "distrito": pedido.distrito, "eta": eta, "posicion_transportista": posicion,
            "eventos": [{"estado": e.estado_nuevo, "momento": e.created_at} for e in eventos(session, pedido.id)]}


def podar(session: Session) -> int:
    """Daily: drop fixes older than the retention (a day of 200 carriers at 30 s is ~576k rows)."""
    borradas = session.execute(delete(TrackingTransportista).where(
        TrackingTransportista.momento < func.now() - RETENCION)).rowcount
    session.commit()
    return borradas

"""Orders (module 4): created with their stock reserved, moved through their states by the allowed transitions
only, each change an `eventos_pedido` row and a signal to the order's `EntregaPedido` workflow (outbox).

PENDIENTE ─asignar a ruta→ PLANIFICADO ─salir→ EN_RUTA ─confirmar→ ENTREGADO
    │                         │  └─retirar de la ruta→ PENDIENTE     └─→ NO_ENTREGADO ─reprogramar→ PENDIENTE
    └────────────→ CANCELADO ←┴──────────────────────────────────────────┘ (devolver: the reservation is released)
"""

import secrets
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import select, text
from sqlmodel import Session

from core import outbox
from core.db import paginar
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.distribucion import AsignacionPedido, DetallePedido, EventoPedido, GuiaRemision, Pedido, Ruta, Transportista
from models.facturacion import Comprobante, EstadoComprobante
from models.inventario import Almacen
from models.ventas import Cliente
from services import stock
from services.auth import AuthUser
from services.distribucion import gre_baja
from services.distribucion.estados import PLANIFICADO, TRANSICIONES
from services.distribucion.eta import llegadas
from services.inventario import Cantidad, verificar_acceso
from services.permisos import tiene_permiso
from services.productos import cargar
from workflows.entradas import EntregaPedidoEntrada, EstadoPedido

WORKFLOW = "EntregaPedido"
CENTIMO = Decimal("0.01")
# Peru's bounding box (mainland and sea shore): coordinates outside it are a typo or a (0, 0) default.
PERU_LAT, PERU_LON = (-18.36, -0.03), (-81.33, -68.65)
# Reached only through their own operation (route assignment, proof of delivery), never by PUT .../estado/.
POR_OPERACION = {"PLANIFICADO": "POST /api/rutas/{id}/asignar/", "ENTREGADO": "POST /api/entregas/{id}/confirmar/"}


def workflow_id(pedido_id: int) -> str:
    return f"pedido-{pedido_id}"


def documento(pedido_id: int) -> str:
    return f"PED-{pedido_id}"


def en_peru(latitud: float, longitud: float) -> bool:
    return PERU_LAT[0] <= latitud <= PERU_LAT[1] and PERU_LON[0] <= longitud <= PERU_LON[1]


def error_punto(latitud: float | None, longitud: float | None) -> str | None:
    """Why a (latitud, longitud) pair is not a place in Peru, or None when it is one (or both are absent)."""
    if (latitud is None) != (longitud is None):
        return "latitud y longitud van juntas"
    if latitud is not None and not en_peru(latitud, longitud):
        return "las coordenadas no están en el Perú"
    return None


class LineaPedidoIn(Entrada):
    producto_id: Id
    cantidad: Decimal = Cantidad
    precio: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2,
                                   description="unit price with IGV; the product's list price when omitted")


class PedidoIn(Entrada):
    cliente_id: Id
    almacen_id: Id = Field(description="the dispatch warehouse: stock is reserved there")
    origen: Literal["POS", "ECOMMERCE", "WHATSAPP", "TELEFONO"] = "TELEFONO"
    tipo_entrega: Literal["DOMICILIO", "EXPRESS", "RECOJO"] = "DOMICILIO"
    prioridad: int = Field(default=3, ge=1, le=5, description="1 = most urgent")
    direccion_entrega: str = Field(min_length=3, max_length=300)
    distrito: str = Field(default="", max_length=60)
    ubigeo: str = Field(default="", pattern=r"^(\d{6})?$", description="INEI code of the delivery district "
                        "(the GRE's point of arrival), e.g. 150122 Miraflores")
    zona: str = Field(default="", max_length=30, description="delivery zone used to group routes")
    latitud: float | None = Field(default=None, ge=-90, le=90)
    longitud: float | None = Field(default=None, ge=-180, le=180)
    fecha_entrega: Fecha | None = Field(default=None, description="Lima business day; today when omitted")
    ventana_inicio: time | None = None
    ventana_fin: time | None = None
    notas: str = Field(default="", max_length=500)
    lineas: list[LineaPedidoIn] = Field(min_length=1, max_length=200)
    comprobante_id: Id | None = Field(default=None, description="the factura or boleta already issued for this "
                                      "order (e.g. at an eCommerce checkout): none is issued on delivery")

    @model_validator(mode="after")
    def _coherente(self) -> "PedidoIn":
        if error := error_punto(self.latitud, self.longitud):
            raise ValueError(error)
        if self.ventana_inicio and self.ventana_fin and self.ventana_inicio >= self.ventana_fin:
            raise ValueError("ventana_inicio debe ser anterior a ventana_fin")
        return self


class EstadoIn(Entrada):
    estado: Literal["EN_RUTA", "NO_ENTREGADO", "PENDIENTE", "CANCELADO", "PLANIFICADO", "ENTREGADO"]
    motivo: str = Field(default="", max_length=300, description="required for NO_ENTREGADO and CANCELADO")
    latitud: float | None = Field(default=None, ge=-90, le=90, description="where it happened (in Peru)")
    longitud: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _punto(self) -> "EstadoIn":
        if error := error_punto(self.latitud, self.longitud):
            raise ValueError(error)
        return self


def _codigo_seguimiento() -> str:
    return secrets.token_urlsafe(15)  # 120 random bits, 20 URL-safe characters


def evento(session: Session, pedido: Pedido, descripcion: str, user_id: int | None = None,
           latitud: float | None = None, longitud: float | None = None, eta: datetime | None = None,
           transportista: str = "") -> EventoPedido:
    """Record the order's new state and tell its workflow (an update, after commit, through the outbox)."""
    ev = EventoPedido(pedido_id=pedido.id, estado_nuevo=pedido.estado, descripcion=descripcion[:300],
                      latitud_evento=latitud, longitud_evento=longitud, usuario_id=user_id)
    session.add(ev)
    session.flush()
    outbox.request_update(session, workflow_id(pedido.id), "registrar_estado",
                          EstadoPedido(pedido.estado, ev.id, eta.isoformat() if eta else "", transportista),
                          dedupe_key=str(ev.id))
    return ev


def crear(session: Session, user: AuthUser, datos: PedidoIn) -> Pedido:
    verificar_acceso(session, user, datos.almacen_id)
    cliente = session.get(Cliente, datos.cliente_id)
    if cliente is None or not cliente.activo:
        raise ValidationError("El cliente no existe o está inactivo", field="cliente_id")
    productos = cargar(session, {line.producto_id for line in datos.lineas}, "lineas")
    if datos.comprobante_id is not None:
        _exigir_comprobante_libre(session, cliente, datos.comprobante_id)
    pedido = Pedido(**datos.model_dump(exclude={"lineas", "fecha_entrega"}), fecha_entrega=datos.fecha_entrega or
                    stock.hoy_lima(), codigo_seguimiento=_codigo_seguimiento(), usuario_id=user.id,
                    geocodificacion="CLIENTE" if datos.latitud is not None else "PENDIENTE")
    detalle = []
    for linea in datos.lineas:
        producto = productos[linea.producto_id]
        precio = producto.precio if linea.precio is None else linea.precio
        detalle.append(DetallePedido(producto_id=linea.producto_id, cantidad=linea.cantidad, precio=precio,
                                     subtotal=(precio * linea.cantidad).quantize(CENTIMO, ROUND_HALF_UP)))
        pedido.peso_total += producto.peso_kg * linea.cantidad
        pedido.volumen_total += producto.volumen_m3 * linea.cantidad
    pedido.total = sum((d.subtotal for d in detalle), Decimal("0"))
    _reservar(session, pedido.almacen_id, datos.lineas, productos)
    session.add(pedido)
    session.flush()
    for d in detalle:
        d.pedido_id = pedido.id
    session.add_all(detalle)
    outbox.request_workflow(session, WORKFLOW, workflow_id(pedido.id),
                            EntregaPedidoEntrada(pedido.id, geocodificar=datos.latitud is None),
                            search_attributes={"Documento": documento(pedido.id), "Estado": "PENDIENTE"})
    session.add(EventoPedido(pedido_id=pedido.id, estado_nuevo="PENDIENTE", usuario_id=user.id,
                             descripcion=f"Pedido registrado ({datos.origen})"))
    session.commit()
    return pedido


def _exigir_comprobante_libre(session: Session, cliente: Cliente, comprobante_id: int) -> None:
    """The order's own invoice: a valid factura/boleta of the same customer no other live order claims (its row
    locked, so two orders cannot both take it)."""
    c = session.execute(select(Comprobante).where(Comprobante.id == comprobante_id).with_for_update()).scalar()
    if c is None or c.tipo not in ("01", "03"):
        raise ValidationError("No existe una factura o boleta con ese id", field="comprobante_id")
    if c.cliente_numero_doc != cliente.numero_doc:
        raise ValidationError(f"El comprobante {c.serie}-{c.numero} es de otro cliente", field="comprobante_id")
    if c.estado_sunat in (EstadoComprobante.RECHAZADO, EstadoComprobante.ANULADO):
        raise ValidationError(f"El comprobante {c.serie}-{c.numero} está {c.estado_sunat}", field="comprobante_id")
    otro = session.execute(select(Pedido.id).where(Pedido.comprobante_id == comprobante_id,
                                                   Pedido.estado != "CANCELADO")).scalar()
    if otro is not None:
        raise Conflict(f"El comprobante {c.serie}-{c.numero} ya es del pedido {otro}", field="comprobante_id")


def _reservar(session: Session, almacen_id: int, lineas: list[LineaPedidoIn], productos: dict) -> None:
    """One conditional UPDATE per product (in product order, so two orders never deadlock): the reservation
    only happens if `stock_actual - stock_reservado` covers it, so concurrent orders never oversell."""
    total: dict[int, Decimal] = defaultdict(Decimal)
    primera: dict[int, int] = {}
    for i, linea in enumerate(lineas):
        total[linea.producto_id] += linea.cantidad
        primera.setdefault(linea.producto_id, i)
    for producto_id in sorted(total):
        if not stock.reservar(session, producto_id, almacen_id, total[producto_id]):
            raise ValidationError(f"Stock disponible insuficiente de {productos[producto_id].sku} en el almacén de "
                                  f"despacho (se piden {total[producto_id]})",
                                  field=f"lineas.{primera[producto_id]}.cantidad")


def lineas(session: Session, pedido_id: int) -> list[DetallePedido]:
    return list(session.execute(select(DetallePedido).where(DetallePedido.pedido_id == pedido_id)
                                .order_by(DetallePedido.id)).scalars())


def liberar(session: Session, pedido: Pedido) -> None:
    for d in sorted(lineas(session, pedido.id), key=lambda x: x.producto_id):
        stock.liberar_reserva(session, d.producto_id, pedido.almacen_id, d.cantidad)


def bloquear(session: Session, pedido_id: int) -> Pedido:
    """The order under its row lock, read fresh: a copy loaded earlier in the transaction (the day's plan reads
    every pending order first) would hide a change another transaction committed meanwhile."""
    pedido = session.execute(select(Pedido).where(Pedido.id == pedido_id).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if pedido is None:
        raise NotFound("Pedido no encontrado")
    return pedido


def exigir_transicion(pedido: Pedido, nuevo: str) -> None:
    if nuevo not in TRANSICIONES[pedido.estado]:
        raise Conflict(f"El pedido está {pedido.estado}: no puede pasar a {nuevo}", field="estado")


def asignacion_activa(session: Session, pedido_id: int) -> AsignacionPedido | None:
    return session.execute(select(AsignacionPedido).where(
        AsignacionPedido.pedido_id == pedido_id, AsignacionPedido.estado == "ACTIVA")).scalar_one_or_none()


def exigir_reserva(session: Session, pedido: Pedido) -> None:
    """EN_RUTA needs every line's quantity still reserved in the dispatch warehouse."""
    faltan = session.execute(text("""
        SELECT d.id FROM detalle_pedido d
        LEFT JOIN productos_almacen pa ON pa.producto_id = d.producto_id AND pa.almacen_id = :a
        WHERE d.pedido_id = :p AND COALESCE(pa.stock_reservado, 0) < d.cantidad ORDER BY d.id
    """), {"a": pedido.almacen_id, "p": pedido.id}).scalars().all()
    if faltan:
        ids = [d.id for d in lineas(session, pedido.id)]
        raise ValidationError("El stock reservado no cubre la cantidad del pedido",
                              field=f"lineas.{ids.index(faltan[0])}.cantidad")


def exigir_gre(session: Session, pedido: Pedido, asignacion: AsignacionPedido | None) -> None:
    """The goods leave only under a GRE remitente SUNAT accepted (issued when the order was assigned)."""
    if not get_settings().gre_remitente or pedido.tipo_entrega == "RECOJO" or asignacion is None:
        return
    guia = session.execute(select(GuiaRemision).where(GuiaRemision.asignacion_id == asignacion.id)
                           .order_by(GuiaRemision.id.desc()).limit(1)).scalar_one_or_none()
    if guia is not None and guia.estado == "ACEPTADA":
        return
    reenvio = f"corrija los datos y reenvíe la GRE (POST /api/guias-remision/{guia.id}/reenviar/)" if guia else ""
    if guia is None:
        motivo = "El pedido aún no tiene guía de remisión (GRE): se emite al asignarlo a la ruta"
    elif guia.estado == "ERROR":
        motivo = f"La GRE del pedido no pudo emitirse: {guia.mensaje_respuesta}; {reenvio}"
    elif guia.estado == "RECHAZADA":
        motivo = (f"SUNAT rechazó la GRE {guia.serie}-{guia.numero} ({guia.codigo_respuesta}: "
                  f"{guia.mensaje_respuesta}): {reenvio}")
    elif guia.estado == "POR_VERIFICAR":
        motivo = (f"SUNAT ya tiene registrada la GRE {guia.serie}-{guia.numero} pero su respuesta se perdió: "
                  f"descargue su CDR en SOL y súbalo (POST /api/guias-remision/{guia.id}/cdr/)")
    else:
        motivo = f"La GRE {guia.serie}-{guia.numero} aún no es aceptada por SUNAT ({guia.estado})"
    raise Conflict(motivo, field="gre")


def eta_de_salida(session: Session, pedido: Pedido, asignacion: AsignacionPedido, salida: datetime) -> datetime | None:
    """A stop whose route was never optimised has no ETA: estimated when it leaves, from the warehouse through
    the route's earlier stops in their order at the planning speed, so the workflow's late-stop timer has a
    time to watch. None without coordinates."""
    almacen = session.get(Almacen, pedido.almacen_id)
    puntos = session.execute(
        select(Pedido.latitud, Pedido.longitud).join(AsignacionPedido, AsignacionPedido.pedido_id == Pedido.id)
        .where(AsignacionPedido.ruta_id == asignacion.ruta_id, AsignacionPedido.estado != "RETIRADA",
               AsignacionPedido.orden_entrega <= asignacion.orden_entrega, Pedido.latitud.is_not(None))
        .order_by(AsignacionPedido.orden_entrega, AsignacionPedido.id)).all()
    if almacen is None or almacen.latitud is None or pedido.latitud is None:
        return None
    return llegadas((almacen.latitud, almacen.longitud), [tuple(p) for p in puntos], salida)[-1]


def cambiar_estado(session: Session, user: AuthUser, pedido_id: int, datos: EstadoIn) -> Pedido:
    pedido = bloquear(session, pedido_id)
    if datos.estado in POR_OPERACION:
        raise Conflict(f"El pedido está {pedido.estado}: pasa a {datos.estado} con {POR_OPERACION[datos.estado]}",
                       field="estado")
    exigir_transicion(pedido, datos.estado)
    if datos.estado in ("NO_ENTREGADO", "CANCELADO") and not datos.motivo.strip():
        raise ValidationError(f"Indique el motivo ({datos.estado})", field="motivo")
    asignacion = asignacion_activa(session, pedido.id)
    if datos.estado == "EN_RUTA":
        exigir_reserva(session, pedido)
        exigir_gre(session, pedido, asignacion)
        pedido.hora_estimada_despacho = datetime.now(UTC)
        if asignacion is not None and asignacion.eta is None:
            asignacion.eta = eta_de_salida(session, pedido, asignacion, pedido.hora_estimada_despacho)
            session.add(asignacion)
    elif datos.estado in ("PENDIENTE", "CANCELADO", "NO_ENTREGADO") and asignacion is not None:
        asignacion.estado = "RETIRADA" if datos.estado != "NO_ENTREGADO" else "CERRADA"
        session.add(asignacion)
        if pedido.estado == PLANIFICADO:  # off the route before the goods moved: its accepted GRE is voided
            gre_baja.pedir_baja(session, asignacion, f"Pedido {datos.estado}: {datos.motivo}".rstrip(": "))
    if datos.estado == "CANCELADO":
        liberar(session, pedido)
    if datos.estado == "PENDIENTE" and pedido.estado == "NO_ENTREGADO":  # retried the next day
        pedido.fecha_entrega = stock.hoy_lima() + timedelta(days=1)
    pedido.estado, pedido.motivo = datos.estado, datos.motivo or pedido.motivo
    session.add(pedido)
    evento(session, pedido, datos.motivo or f"Estado {datos.estado}", user.id, datos.latitud, datos.longitud,
           asignacion.eta if asignacion is not None and datos.estado == "EN_RUTA" else None)
    session.commit()
    return pedido


# --- reads ------------------------------------------------------------------------------------------------


def alcance(session: Session, user: AuthUser) -> int | None:
    """The carrier whose orders and routes the user may read: None = every carrier's (the dispatcher,
    `distribucion:ver_todos`); a driver only their own vehicle's (0: a driver without a vehicle sees none)."""
    if tiene_permiso(session, user.rol_id, "distribucion", "ver_todos"):
        return None
    propio = session.execute(select(Transportista.id).where(Transportista.usuario_id == user.id)).scalar()
    return propio or 0


def exigir_alcance(session: Session, user: AuthUser, transportista_id: int | None) -> None:
    propio = alcance(session, user)
    if propio is not None and transportista_id != propio:
        raise Forbidden("Solo puede ver los pedidos, rutas y posición de su propio vehículo")


def _transportistas_del_pedido(pedido_id: int):  # noqa: ANN202 - a SQLAlchemy select
    return (select(Ruta.transportista_id).join(AsignacionPedido, AsignacionPedido.ruta_id == Ruta.id)
            .where(AsignacionPedido.pedido_id == pedido_id, AsignacionPedido.estado != "RETIRADA"))


def listar(session: Session, user: AuthUser, pagina: Paginacion, estado: str | None = None,
           fecha: date | None = None, cliente_id: int | None = None, transportista_id: int | None = None,
           zona: str | None = None) -> tuple[list[Pedido], int]:
    stmt = select(Pedido).order_by(Pedido.id.desc())
    if (propio := alcance(session, user)) is not None:
        if transportista_id not in (None, propio):
            return [], 0
        transportista_id = propio
    if estado:
        stmt = stmt.where(Pedido.estado == estado)
    if fecha:
        stmt = stmt.where(Pedido.fecha_entrega == fecha)
    if cliente_id:
        stmt = stmt.where(Pedido.cliente_id == cliente_id)
    if zona:
        stmt = stmt.where(Pedido.zona == zona)
    if transportista_id is not None:
        stmt = stmt.where(Pedido.id.in_(
            select(AsignacionPedido.pedido_id).join(Ruta, Ruta.id == AsignacionPedido.ruta_id)
            .where(Ruta.transportista_id == transportista_id, AsignacionPedido.estado != "RETIRADA")))
    return paginar(session, stmt, pagina.limit, pagina.offset)


def eventos(session: Session, pedido_id: int) -> list[EventoPedido]:
    return list(session.execute(select(EventoPedido).where(EventoPedido.pedido_id == pedido_id)
                                .order_by(EventoPedido.id)).scalars())


def obtener(session: Session, pedido_id: int, user: AuthUser | None = None) -> dict[str, Any]:
    """The order with its lines, events and latest assignment; with `user`, only if they may read it."""
    pedido = session.get(Pedido, pedido_id)
    if pedido is None:
        raise NotFound("Pedido no encontrado")
    if user is not None and (propio := alcance(session, user)) is not None and propio not in session.execute(
            _transportistas_del_pedido(pedido_id)).scalars().all():
        raise Forbidden("Solo puede ver los pedidos de su propio vehículo")
    asignacion = session.execute(select(AsignacionPedido).where(AsignacionPedido.pedido_id == pedido_id)
                                 .order_by(AsignacionPedido.id.desc()).limit(1)).scalar_one_or_none()
    return pedido.model_dump() | {
        "lineas": [d.model_dump() for d in lineas(session, pedido_id)],
        "eventos": [e.model_dump() for e in eventos(session, pedido_id)],
        "asignacion": asignacion.model_dump(exclude={"otp_hash"}) if asignacion else None,
    }

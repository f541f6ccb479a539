"""Purchase orders: lines, states (illegal transitions → 409 with the current state), submission into the
approval workflow through the outbox, the decision the workflow's activity records, listing with filters.

Amounts on an OC are the purchase value before IGV (what the supplier's price list quotes); the approval
tiers compare that value in PEN at the day's rate."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from core import audit
from core.context import Actor
from core.db import get_or_404, paginar, per_session
from core.errors import Conflict, UnprocessableError, ValidationError
from core.outbox import request_signal, request_workflow
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.base import exigir_monto
from models.compras import ConfiguracionCompras, DetalleOrdenCompra, OrdenCompra, Proveedor
from models.inventario import Almacen, Producto
from models.notificaciones import Notificacion
from models.usuarios import Rol, Usuario
from services.compras import niveles
from services.finanzas.asientos import CERO, hoy, redondear
from services.finanzas.cartera import tipo_cambio_del_dia
from services.notificaciones import notificar
from services.permisos import concede
from workflows.entradas import AnulacionOrdenCompra, AprobacionEntrada, DecisionOrdenCompra

WORKFLOW = "AprobacionOrdenCompra"
EDITABLES = ("BORRADOR", "RECHAZADA")
RECIBIBLES = ("APROBADA", "PARCIAL")


def workflow_id(orden_id: int) -> str:
    return f"oc-{orden_id}"


def documento(orden_id: int) -> str:
    return f"OC-{orden_id}"


def configuracion(session: Session) -> ConfiguracionCompras:
    """The purchasing configuration (its defaults written on first use, as the migration does)."""
    def cargar() -> ConfiguracionCompras:
        fila = session.get(ConfiguracionCompras, 1)
        if fila is None:
            session.execute(insert(ConfiguracionCompras).values(ConfiguracionCompras().model_dump())
                            .on_conflict_do_nothing(index_elements=["id"]))
            fila = session.get(ConfiguracionCompras, 1)
        return fila

    return per_session(session, "configuracion_compras", cargar)


class LineaOCIn(Entrada):
    producto_id: Id
    cantidad: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    precio_unitario: Decimal = Field(ge=0, max_digits=14, decimal_places=6, description="valor unitario sin IGV")


class OrdenIn(Entrada):
    proveedor_id: Id
    almacen_destino_id: Id
    fecha_estimada_entrega: Fecha | None = None
    moneda: Literal["PEN", "USD", "EUR"] = "PEN"
    notas: str = Field(default="", max_length=500)
    lineas: list[LineaOCIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _productos_unicos(self) -> "OrdenIn":
        vistos: set[int] = set()
        for i, linea in enumerate(self.lineas):
            if linea.producto_id in vistos:
                raise ValidationError("Un producto va en una sola línea de la OC", field=f"lineas.{i}.producto_id")
            vistos.add(linea.producto_id)
        return self


class TransicionInvalida(Conflict):
    def __init__(self, orden: OrdenCompra, accion: str):
        super().__init__(f"La OC {orden.id} está {orden.estado}: no se puede {accion}", field="estado")


def exigir_estado(orden: OrdenCompra, accion: str, *estados: str) -> None:
    if orden.estado not in estados:
        raise TransicionInvalida(orden, accion)


def _validar_referencias(session: Session, datos: OrdenIn) -> Proveedor:
    proveedor = session.get(Proveedor, datos.proveedor_id)
    if proveedor is None or not proveedor.activo:
        raise ValidationError("Proveedor inexistente o inactivo", field="proveedor_id")
    almacen = session.get(Almacen, datos.almacen_destino_id)
    if almacen is None or not almacen.activo:
        raise ValidationError("Almacén inexistente o inactivo", field="almacen_destino_id")
    ids = [linea.producto_id for linea in datos.lineas]
    existentes = set(session.execute(select(Producto.id).where(Producto.id.in_(ids), Producto.activo)).scalars())
    for i, producto_id in enumerate(ids):
        if producto_id not in existentes:
            raise ValidationError(f"Producto {producto_id} inexistente o inactivo", field=f"lineas.{i}.producto_id")
    if datos.fecha_estimada_entrega and datos.fecha_estimada_entrega < hoy():
        raise UnprocessableError("fecha_estimada_entrega no puede ser anterior a hoy", field="fecha_estimada_entrega")
    return proveedor


def _tasa(session: Session, moneda: str) -> Decimal:
    return Decimal("1") if moneda == "PEN" else Decimal(tipo_cambio_del_dia(session, hoy(), moneda).venta)


def _escribir(session: Session, orden: OrdenCompra, datos: OrdenIn) -> None:
    """The header's data and its lines (replaced whole), with the totals."""
    orden.proveedor_id, orden.almacen_destino_id = datos.proveedor_id, datos.almacen_destino_id
    orden.fecha_estimada_entrega, orden.moneda, orden.notas = datos.fecha_estimada_entrega, datos.moneda, datos.notas
    orden.tipo_cambio = _tasa(session, datos.moneda)
    lineas = [DetalleOrdenCompra(producto_id=linea.producto_id, cantidad=linea.cantidad,
                                 precio_unitario=linea.precio_unitario,
                                 subtotal=exigir_monto(redondear(linea.cantidad * linea.precio_unitario),
                                                       f"lineas.{i}.precio_unitario"))
              for i, linea in enumerate(datos.lineas)]
    orden.total = exigir_monto(sum((d.subtotal for d in lineas), CERO), "lineas")
    orden.total_pen = exigir_monto(redondear(orden.total * orden.tipo_cambio), "lineas")
    session.add(orden)
    session.flush()
    session.execute(delete(DetalleOrdenCompra).where(DetalleOrdenCompra.orden_id == orden.id))
    for linea in lineas:
        linea.orden_id = orden.id
    session.add_all(lineas)
    session.flush()


def crear(session: Session, usuario_id: int | None, datos: OrdenIn, propuesta: str | None = None) -> OrdenCompra:
    _validar_referencias(session, datos)
    orden = OrdenCompra(usuario_creador_id=usuario_id, almacen_destino_id=datos.almacen_destino_id,
                        proveedor_id=datos.proveedor_id, propuesta=propuesta)
    _escribir(session, orden, datos)
    session.commit()
    return orden


def actualizar(session: Session, orden_id: int, datos: OrdenIn) -> OrdenCompra:
    """A draft, or a rejected OC before it is resubmitted, can be edited."""
    orden = bloquear(session, orden_id)
    exigir_estado(orden, "editar", *EDITABLES)
    _validar_referencias(session, datos)
    _escribir(session, orden, datos)
    session.commit()
    return orden


def bloquear(session: Session, orden_id: int) -> OrdenCompra:
    return get_or_404(session, OrdenCompra, orden_id, "Orden de compra no encontrada", for_update=True)


def _segundos(horas: Decimal) -> int:
    return max(1, int(Decimal(horas) * 3600))


def enviar(session: Session, orden_id: int) -> OrdenCompra:
    """Submit a draft or a rejected OC (see `someter`)."""
    orden = bloquear(session, orden_id)
    exigir_estado(orden, "enviar a aprobación", *EDITABLES)
    someter(session, orden)
    session.commit()
    return orden


def someter(session: Session, orden: OrdenCompra, nivel_minimo: int = 0) -> None:
    """Up to the automatic tier the OC is APROBADA at once (audited), else PENDIENTE_APROBACION and the approval
    workflow `oc-<id>` starts (first submission) or continues as a new run (a resubmission), both through the
    outbox, in the caller's transaction. `nivel_minimo` 1: a person approves it whatever its amount (the daily
    proposals)."""
    config = configuracion(session)
    orden.tipo_cambio = _tasa(session, orden.moneda)  # the tiers read the day's rate
    orden.total_pen = redondear(orden.total * orden.tipo_cambio)
    tabla = niveles.niveles(session)
    orden.nivel_aprobacion = max(nivel_minimo, niveles.requerido(tabla, orden.total_pen))
    orden.envio += 1
    if orden.nivel_aprobacion == 0:
        orden.estado, orden.fecha_aprobacion = "APROBADA", datetime.now(UTC)
        orden.comentario_aprobacion = f"Aprobación automática (hasta S/ {niveles.umbral_automatico(tabla)})"
        audit.record(session, "compras", "aprobar_automatico", "ordenes_compra", str(orden.id),
                     {"total_pen": orden.total_pen, "envio": orden.envio})
    else:
        orden.estado = "PENDIENTE_APROBACION"
    session.add(orden)
    entrada = AprobacionEntrada(orden.id, orden.envio, orden.nivel_aprobacion, orden.usuario_creador_id,
                                _segundos(config.recordatorio_horas), _segundos(config.escalamiento_horas))
    if orden.envio > 1:
        request_signal(session, workflow_id(orden.id), "reenviar", entrada, f"envio-{orden.envio}")
    elif orden.nivel_aprobacion:
        proveedor = session.get(Proveedor, orden.proveedor_id)
        request_workflow(session, WORKFLOW, workflow_id(orden.id), entrada, search_attributes={
            "Documento": documento(orden.id), "Estado": orden.estado, "Ruc": proveedor.ruc})


def anular(session: Session, orden_id: int, motivo: str) -> OrdenCompra:
    """Cancel an OC nothing was received on; a waiting approval run is told to end."""
    orden = bloquear(session, orden_id)
    exigir_estado(orden, "anular", "BORRADOR", "PENDIENTE_APROBACION", "APROBADA", "RECHAZADA")
    esperando = orden.estado in ("PENDIENTE_APROBACION", "RECHAZADA") and orden.envio > 0
    orden.estado, orden.comentario_aprobacion = "ANULADA", motivo
    session.add(orden)
    audit.record(session, "compras", "anular", "ordenes_compra", str(orden.id), {"motivo": motivo})
    if esperando:
        request_signal(session, workflow_id(orden.id), "anular", AnulacionOrdenCompra(orden.id), "anular")
    session.commit()
    return orden


def decidir(session: Session, d: DecisionOrdenCompra) -> str:
    """The approval workflow's activity: record the decision (audited with the approver as actor). Running
    twice is harmless: the second time the OC is no longer pending and its state is returned."""
    session.info["actor"] = Actor(usuario_id=d.usuario_id, ip=d.ip)
    orden = bloquear(session, d.orden_id)
    if orden.estado != "PENDIENTE_APROBACION":
        if orden.usuario_aprobador_id == d.usuario_id and orden.estado in ("APROBADA", "RECHAZADA"):
            return orden.estado  # a retried activity whose first attempt committed
        raise TransicionInvalida(orden, "aprobar ni rechazar")
    orden.estado = "APROBADA" if d.decision == "APROBAR" else "RECHAZADA"
    orden.usuario_aprobador_id, orden.fecha_aprobacion = d.usuario_id, datetime.now(UTC)
    orden.comentario_aprobacion = d.comentario
    session.add(orden)
    audit.record(session, "compras", "aprobar" if d.decision == "APROBAR" else "rechazar", "ordenes_compra",
                 str(orden.id), {"decision": d.decision, "comentario": d.comentario, "total_pen": orden.total_pen,
                                 "nivel": orden.nivel_aprobacion, "envio": orden.envio})
    session.commit()
    return orden.estado


def nivel_de(session: Session, rol: str) -> int:
    return niveles.de_rol(niveles.niveles(session), rol)


def aprobadores(session: Session, nivel: int) -> list[str]:
    """E-mails of the active users who may approve an OC of `nivel`."""
    roles = niveles.roles_desde(niveles.niveles(session), nivel)
    return list(session.execute(select(Usuario.email).join(Rol, Rol.id == Usuario.rol_id).where(
        Usuario.activo, Rol.nombre.in_(roles), concede(Usuario.rol_id, "compras", "aprobar"))
        .order_by(Usuario.email)).scalars())


@dataclass(frozen=True)
class Recordatorio:
    notificacion_id: int | None
    destinatarios: list[str]
    asunto: str
    cuerpo: str


def recordar(session: Session, orden_id: int, nivel: int, escalado: bool) -> Recordatorio:
    """A reminder (or an escalation to the next tier) for an OC still pending: one notification per OC,
    submission, tier and day, and whom to e-mail while it has not been mailed (a retried activity mails it
    once more at worst, never zero times)."""
    orden = session.get(OrdenCompra, orden_id)
    if orden is None or orden.estado != "PENDIENTE_APROBACION":
        return Recordatorio(None, [], "", "")
    tabla = niveles.niveles(session)
    destino = max(nivel, min(niveles.mas_alto(tabla), nivel + 1)) if escalado else nivel
    asunto = (f"{'Escalada: ' if escalado else ''}OC {orden.id} pendiente de aprobación "
              f"({orden.moneda} {orden.total}, nivel {niveles.nombre(tabla, destino)})")
    cuerpo = (f"La orden de compra {documento(orden.id)} por {orden.moneda} {orden.total} (S/ {orden.total_pen}) "
              f"espera aprobación (envío {orden.envio}). Apruébela o recházela en "
              f"PUT /api/compras/ordenes/{orden.id}/aprobar/.")
    clave = f"OC_PENDIENTE:{orden.id}:{orden.envio}:{destino}:{'E' if escalado else 'R'}:{hoy()}"
    notificar(session, "OC_PENDIENTE_APROBACION", "compras", asunto, cuerpo, "ordenes_compra", str(orden.id), clave)
    pendiente = session.execute(select(Notificacion.id).where(Notificacion.dedupe_key == clave,
                                                              Notificacion.enviada_email_at.is_(None))).scalar()
    session.commit()
    return Recordatorio(pendiente, aprobadores(session, destino) if pendiente else [], asunto, cuerpo)


def marcar_notificada(session: Session, notificacion_id: int) -> None:
    session.execute(update(Notificacion).where(Notificacion.id == notificacion_id)
                    .values(enviada_email_at=datetime.now(UTC)))
    session.commit()


@dataclass(frozen=True)
class FiltrosOrden:
    estado: str | None = None
    proveedor_id: int | None = None
    almacen_id: int | None = None
    desde: date | None = None
    hasta: date | None = None


def listar(session: Session, f: FiltrosOrden, pagina: Paginacion) -> tuple[list[OrdenCompra], int]:
    stmt = select(OrdenCompra).order_by(OrdenCompra.fecha_creacion.desc(), OrdenCompra.id.desc())
    if f.estado:
        stmt = stmt.where(OrdenCompra.estado == f.estado)
    if f.proveedor_id:
        stmt = stmt.where(OrdenCompra.proveedor_id == f.proveedor_id)
    if f.almacen_id:
        stmt = stmt.where(OrdenCompra.almacen_destino_id == f.almacen_id)
    if f.desde:
        stmt = stmt.where(OrdenCompra.fecha_creacion >= _inicio_lima(f.desde))
    if f.hasta:
        stmt = stmt.where(OrdenCompra.fecha_creacion < _inicio_lima(f.hasta, 1))
    return paginar(session, stmt, pagina.limit, pagina.offset)


def _inicio_lima(dia: date, mas: int = 0) -> datetime:
    return datetime.combine(dia + timedelta(days=mas), datetime.min.time(), ZoneInfo(get_settings().timezone))


def obtener(session: Session, orden_id: int) -> OrdenCompra:
    return get_or_404(session, OrdenCompra, orden_id, "Orden de compra no encontrada")


def detalle(session: Session, orden_id: int) -> list[DetalleOrdenCompra]:
    return list(session.execute(select(DetalleOrdenCompra).where(DetalleOrdenCompra.orden_id == orden_id)
                                .order_by(DetalleOrdenCompra.id)).scalars())

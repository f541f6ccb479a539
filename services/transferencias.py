"""Transfers between warehouses (module 2). The database is the authority for stock and state; every
state change also signals the `TransferenciaStock` workflow (through the outbox), which tracks the
transfer until the destination confirms it and reminds people while it is left waiting.

SOLICITADA --despachar--> EN_TRANSITO --confirmar (quantities match)--> CONFIRMADA
                                      --confirmar (difference)--> CON_INCIDENCIA --resolver--> CONFIRMADA
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import select, text
from sqlmodel import Session

from core import outbox
from core.db import get_or_404
from core.errors import Conflict, NotFound, ValidationError
from core.schemas import Entrada, Id
from models.inventario import DetalleTransferencia, IncidenciaTransferencia, LoteSerie, Producto, Transferencia
from services import stock
from services.auth import AuthUser
from services.inventario import Cantidad, verificar_acceso
from services.notificaciones import notificar
from services.productos import cargar

WORKFLOW = "TransferenciaStock"


def workflow_id(transferencia_id: int) -> str:
    return f"transferencia-{transferencia_id}"


class LineaTransferenciaIn(Entrada):
    producto_id: Id
    cantidad: Decimal = Cantidad
    numero_lote: str | None = Field(default=None, max_length=50)
    numero_serie: str | None = Field(default=None, max_length=80)


class TransferenciaIn(Entrada):
    almacen_origen_id: Id
    almacen_destino_id: Id
    lineas: list[LineaTransferenciaIn] = Field(min_length=1, max_length=500)
    observaciones: str = Field(default="", max_length=300)


class RecepcionLineaIn(Entrada):
    detalle_id: Id
    cantidad_recibida: Decimal = Field(ge=0, max_digits=14, decimal_places=3)


class ConfirmacionIn(Entrada):
    lineas: list[RecepcionLineaIn] = Field(min_length=1, max_length=500)


class ResolucionIn(Entrada):
    # ACEPTAR_RECIBIDO: the missing units are written off as MERMA; DEVOLVER_A_ORIGEN: they never left.
    accion: str = Field(pattern="^(ACEPTAR_RECIBIDO|DEVOLVER_A_ORIGEN)$")
    resolucion: str = Field(min_length=1, max_length=300)


def _senal(session: Session, transferencia: Transferencia) -> None:
    outbox.request_signal(session, workflow_id(transferencia.id), "actualizar", {"estado": transferencia.estado},
                          dedupe_key=transferencia.estado)


def _productos(session: Session, ids: set[int]) -> dict[int, Producto]:
    return cargar(session, ids, "lineas")


def crear(session: Session, user: AuthUser, datos: TransferenciaIn) -> Transferencia:
    if datos.almacen_origen_id == datos.almacen_destino_id:
        raise ValidationError("Origen y destino deben ser distintos", field="almacen_destino_id")
    verificar_acceso(session, user, datos.almacen_origen_id, "almacen_origen_id")
    verificar_acceso(session, user, datos.almacen_destino_id, "almacen_destino_id")
    productos = _productos(session, {line.producto_id for line in datos.lineas})
    pedido: dict[int, Decimal] = defaultdict(Decimal)
    for i, linea in enumerate(datos.lineas):
        stock.exigir_lote(productos[linea.producto_id].trazabilidad,
                          stock.CodigoLote(linea.numero_lote, linea.numero_serie), linea.cantidad, f"lineas.{i}.")
        pedido[linea.producto_id] += linea.cantidad
    disponible = dict(session.execute(text(
        "SELECT producto_id, stock_actual FROM productos_almacen WHERE almacen_id = :a AND producto_id = ANY(:p)"),
        {"a": datos.almacen_origen_id, "p": list(pedido)}).all())
    for i, linea in enumerate(datos.lineas):
        if disponible.get(linea.producto_id, Decimal("0")) < pedido[linea.producto_id]:
            raise ValidationError(f"Stock insuficiente de {productos[linea.producto_id].sku} en el almacén de origen",
                                  field=f"lineas.{i}.cantidad")
    transferencia = Transferencia(**datos.model_dump(exclude={"lineas"}), usuario_origen_id=user.id)
    session.add(transferencia)
    session.flush()
    session.add_all([DetalleTransferencia(transferencia_id=transferencia.id, producto_id=linea.producto_id,
                                          cantidad_enviada=linea.cantidad, lote_id=_lote_origen(session, datos, linea))
                     for linea in datos.lineas])
    outbox.request_workflow(session, WORKFLOW, workflow_id(transferencia.id), {"transferencia_id": transferencia.id},
                            search_attributes={"Documento": f"TR-{transferencia.id}", "Estado": "SOLICITADA"})
    session.commit()
    return transferencia


def _lote_origen(session: Session, datos: TransferenciaIn, linea: LineaTransferenciaIn) -> int | None:
    if not (linea.numero_lote or linea.numero_serie):
        return None
    lote_id = session.execute(text("""
        SELECT id FROM lotes_series WHERE producto_id = :p AND almacen_id = :a
          AND numero_lote IS NOT DISTINCT FROM :l AND numero_serie IS NOT DISTINCT FROM :s
    """), {"p": linea.producto_id, "a": datos.almacen_origen_id, "l": linea.numero_lote,
           "s": linea.numero_serie}).scalar()
    if lote_id is None:
        raise ValidationError("El lote/serie no existe en el almacén de origen", field="lineas.numero_lote")
    return lote_id


def _bloquear(session: Session, transferencia_id: int, estado: str) -> Transferencia:
    transferencia = session.execute(select(Transferencia).where(Transferencia.id == transferencia_id)
                                    .with_for_update()).scalar_one_or_none()
    if transferencia is None:
        raise NotFound("Transferencia no encontrada")
    if transferencia.estado != estado:
        raise Conflict(f"La transferencia está {transferencia.estado}; se esperaba {estado}", field="estado")
    return transferencia


def _detalle(session: Session, transferencia_id: int) -> list[DetalleTransferencia]:
    return list(session.execute(select(DetalleTransferencia).where(
        DetalleTransferencia.transferencia_id == transferencia_id).order_by(DetalleTransferencia.id)).scalars())


def _codigo(session: Session, lote_id: int | None) -> stock.CodigoLote | None:
    lote = session.get(LoteSerie, lote_id) if lote_id else None
    return stock.CodigoLote(lote.numero_lote, lote.numero_serie, lote.fecha_vencimiento) if lote else None


def _mov(t: Transferencia, d: DetalleTransferencia, almacen_id: int, tipo: str, cantidad: Decimal, user: AuthUser,
         lote_id: int | None, motivo: str = "") -> dict[str, Any]:
    return {"producto_id": d.producto_id, "almacen_id": almacen_id, "almacen_origen_id": t.almacen_origen_id,
            "almacen_destino_id": t.almacen_destino_id, "tipo_movimiento": tipo, "cantidad": cantidad,
            "usuario_id": user.id, "lote_id": lote_id, "referencia_doc": workflow_id(t.id), "motivo": motivo}


def despachar(session: Session, user: AuthUser, transferencia_id: int) -> Transferencia:
    """The goods leave the origin: stock out (checked again now), lots consumed, EN_TRANSITO."""
    t = _bloquear(session, transferencia_id, "SOLICITADA")
    verificar_acceso(session, user, t.almacen_origen_id, "almacen_origen_id")
    movimientos = []
    for i, d in sorted(enumerate(_detalle(session, t.id)), key=lambda x: x[1].producto_id):
        if stock.descontar(session, d.producto_id, t.almacen_origen_id, d.cantidad_enviada) is None:
            raise ValidationError("Stock insuficiente en el almacén de origen", field=f"lineas.{i}.cantidad")
        codigo = _codigo(session, d.lote_id)
        if codigo:
            stock.consumir_lote(session, d.producto_id, t.almacen_origen_id, codigo, d.cantidad_enviada,
                                f"lineas.{i}.")
        movimientos.append(_mov(t, d, t.almacen_origen_id, "TRANSFERENCIA_SALIDA", -d.cantidad_enviada, user,
                                d.lote_id))
    stock.registrar_movimientos(session, movimientos)
    t.estado, t.fecha_despacho = "EN_TRANSITO", datetime.now(UTC)
    session.add(t)
    _senal(session, t)
    session.commit()
    return t


def _entrar(session: Session, t: Transferencia, d: DetalleTransferencia, almacen_id: int, cantidad: Decimal,
            user: AuthUser, motivo: str = "") -> dict[str, Any]:
    stock.sumar(session, d.producto_id, almacen_id, cantidad)
    codigo = _codigo(session, d.lote_id)
    lote_id = stock.ingresar_lote(session, d.producto_id, almacen_id, codigo, cantidad, "") if codigo else None
    return _mov(t, d, almacen_id, "TRANSFERENCIA_ENTRADA", cantidad, user, lote_id, motivo)


def confirmar(session: Session, user: AuthUser, transferencia_id: int, datos: ConfirmacionIn) -> Transferencia:
    """The destination counts what arrived: it enters their stock; any difference opens an incidence."""
    t = _bloquear(session, transferencia_id, "EN_TRANSITO")
    verificar_acceso(session, user, t.almacen_destino_id, "almacen_destino_id")
    detalle = {d.id: d for d in _detalle(session, t.id)}
    recibido = {r.detalle_id: r.cantidad_recibida for r in datos.lineas}
    if recibido.keys() != detalle.keys():
        raise ValidationError("Indique la cantidad recibida de cada línea de la transferencia (detalle_id)",
                              field="lineas")
    movimientos, incidencias = [], []
    for d in sorted(detalle.values(), key=lambda x: x.producto_id):
        d.cantidad_recibida = recibido[d.id]
        session.add(d)
        if d.cantidad_recibida:
            movimientos.append(_entrar(session, t, d, t.almacen_destino_id, d.cantidad_recibida, user))
        if d.cantidad_recibida != d.cantidad_enviada:
            incidencias.append(IncidenciaTransferencia(transferencia_id=t.id, detalle_id=d.id,
                                                       cantidad_enviada=d.cantidad_enviada,
                                                       cantidad_recibida=d.cantidad_recibida))
    stock.registrar_movimientos(session, movimientos)
    session.add_all(incidencias)
    t.usuario_destino_id = user.id
    if incidencias:
        t.estado = "CON_INCIDENCIA"
    else:
        t.estado, t.fecha_confirmacion = "CONFIRMADA", datetime.now(UTC)
    session.add(t)
    _senal(session, t)
    session.commit()
    return t


def resolver(session: Session, user: AuthUser, transferencia_id: int, datos: ResolucionIn) -> Transferencia:
    """Close every open incidence. Missing units: MERMA (they reached the destination's books and were written
    off there) or back to the origin. Surplus units stay where they were counted."""
    t = _bloquear(session, transferencia_id, "CON_INCIDENCIA")
    detalle = {d.id: d for d in _detalle(session, t.id)}
    abiertas = session.execute(select(IncidenciaTransferencia).where(
        IncidenciaTransferencia.transferencia_id == t.id, IncidenciaTransferencia.estado == "ABIERTA")).scalars()
    movimientos = []
    for inc in abiertas:
        d, faltante = detalle[inc.detalle_id], inc.cantidad_enviada - inc.cantidad_recibida
        if faltante > 0 and datos.accion == "ACEPTAR_RECIBIDO":
            movimientos.append(_entrar(session, t, d, t.almacen_destino_id, faltante, user, datos.resolucion))
            movimientos.append(_merma(session, t, d, faltante, user, datos.resolucion))
        elif faltante > 0:
            movimientos.append(_entrar(session, t, d, t.almacen_origen_id, faltante, user, datos.resolucion))
        inc.estado, inc.resolucion, inc.usuario_resolucion_id = "RESUELTA", datos.resolucion, user.id
        inc.fecha_resolucion = datetime.now(UTC)
        session.add(inc)
    stock.registrar_movimientos(session, movimientos)
    t.estado, t.fecha_confirmacion = "CONFIRMADA", datetime.now(UTC)
    session.add(t)
    _senal(session, t)
    session.commit()
    return t


def _merma(session: Session, t: Transferencia, d: DetalleTransferencia, cantidad: Decimal, user: AuthUser,
           motivo: str) -> dict[str, Any]:
    stock.sumar(session, d.producto_id, t.almacen_destino_id, -cantidad)
    codigo = _codigo(session, d.lote_id)
    lote_id = (stock.consumir_lote(session, d.producto_id, t.almacen_destino_id, codigo, cantidad, "")
               if codigo else None)
    return _mov(t, d, t.almacen_destino_id, "MERMA", -cantidad, user, lote_id, motivo)


def obtener(session: Session, transferencia_id: int) -> dict[str, Any]:
    t = get_or_404(session, Transferencia, transferencia_id, "Transferencia no encontrada")
    incidencias = session.execute(select(IncidenciaTransferencia).where(
        IncidenciaTransferencia.transferencia_id == t.id).order_by(IncidenciaTransferencia.id)).scalars()
    return t.model_dump() | {"detalle": [d.model_dump() for d in _detalle(session, t.id)],
                             "incidencias": [i.model_dump() for i in incidencias]}


def recordar(session: Session, transferencia_id: int) -> bool:
    """Called by the workflow while a transfer waits too long: one reminder per day."""
    t = session.get(Transferencia, transferencia_id)
    if t is None or t.estado == "CONFIRMADA":
        return False
    creada = notificar(session, "TRANSFERENCIA_PENDIENTE", "inventario",
                       f"Transferencia TR-{t.id} sigue {t.estado}", "Confirme la recepción o resuelva la incidencia",
                       "transferencias", str(t.id), f"TRANSFERENCIA_PENDIENTE:{t.id}:{stock.hoy_lima()}")
    session.commit()
    return creada

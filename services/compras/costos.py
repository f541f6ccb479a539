"""Landed cost: the logistics costs of a purchase (freight, insurance, customs) raise the weighted average cost of
what it brought into the warehouse.

A cost comes with the supplier's own invoice (`gastos_logisticos`, prorated over the invoice's lines) or as a
document of its own — a carrier's or customs broker's invoice — linked to the OC and optionally to one of its
receptions (prorated over what was accepted). The user chooses the basis: VALOR (the lines' value) or PESO
(units × the product's `peso_kg`). Amounts are Decimal rounded to the cent; the last line takes the remainder
so the parts add up exactly. The posting is module 6's: the document itself posts 6091 D · 40111 D · 4212 H
(with its payable), and `finanzas.capitalizar_costos_vinculados` moves the average and posts
20111 D (6911 D for units already sold) · 6111 H, in the same transaction."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field
from sqlalchemy import func, select
from sqlmodel import Session

from core.db import get_or_404, paginar
from core.errors import UnprocessableError, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from models.compras import CostoVinculado, DetalleCostoVinculado, DetalleRecepcion, OrdenCompra, Proveedor, Recepcion
from models.inventario import Almacen, Producto
from services import finanzas
from services.compras import ordenes
from services.compras.documentos import normalizar_numero, vencimiento
from services.finanzas.asientos import CERO, redondear
from services.finanzas.cartera import FacturaProveedorIn, contabilizar_factura_proveedor, tipo_cambio_del_dia

Criterio = Literal["VALOR", "PESO"]
CENTIMO = Decimal("0.01")
CON_RECEPCIONES = ("PARCIAL", "RECIBIDA", "CERRADA")


def prorratear(total: Decimal, pesos: list[Decimal]) -> list[Decimal]:
    """`total` over `pesos` in proportion, each part rounded to the cent; the last line with a weight takes the
    remainder so the parts add up to `total` exactly."""
    suma = sum(pesos, CERO)
    if not total or not suma:
        return [CERO] * len(pesos)
    ultima = max(i for i, p in enumerate(pesos) if p)
    partes = [redondear(total * p / suma) if i != ultima else CERO for i, p in enumerate(pesos)]
    partes[ultima] = total - sum(partes, CERO)
    return partes


@dataclass(frozen=True)
class LineaCosto:
    """What a cost is prorated over: an OC line, the units it concerns, their value (PEN) and product."""

    detalle_orden_id: int
    producto_id: int
    cantidad: Decimal
    valor: Decimal


def pesos(session: Session, lineas: list[LineaCosto], criterio: Criterio, campo: str) -> list[Decimal]:
    """The proration basis of each line: its value, or its units × the product's weight (400 naming `campo`
    when no product has a weight)."""
    if criterio == "VALOR":
        return [linea.valor for linea in lineas]
    kilos = dict(session.execute(select(Producto.id, Producto.peso_kg).where(
        Producto.id.in_([linea.producto_id for linea in lineas]))).all())
    resultado = [linea.cantidad * Decimal(kilos.get(linea.producto_id) or 0) for linea in lineas]
    if not sum(resultado, CERO):
        raise ValidationError("Prorrateo por PESO: los productos no tienen peso_kg registrado", field=campo)
    return resultado


def aplicar(session: Session, costo: CostoVinculado, orden: OrdenCompra, lineas: list[LineaCosto],
            base: list[Decimal], usuario_id: int | None, fecha: date) -> CostoVinculado:
    """Prorate the cost's PEN amount over `lineas` by `base`, raise the landed cost of each product in the OC's
    warehouse through finanzas (one entry), and keep the parts on `detalle_costo_vinculado`. No commit."""
    almacen = session.get(Almacen, orden.almacen_destino_id)
    importes = prorratear(Decimal(costo.monto_pen), base)
    partes = [finanzas.CostoAdicional(linea.producto_id, almacen.id, importe, linea.cantidad)
              for linea, importe in zip(lineas, importes, strict=True)]
    resultado, asiento_id = finanzas.capitalizar_costos_vinculados(
        session, partes, f"{ordenes.documento(orden.id)} {costo.concepto} {costo.documento}".strip(), usuario_id,
        almacen.sucursal_id, fecha)
    costo.asiento_id = asiento_id
    costo.capitalizado_pen = sum((r.capitalizado for r in resultado), CERO)
    costo.costo_venta_pen = sum((r.a_costo_venta for r in resultado), CERO)
    session.add(costo)
    session.flush()
    session.add_all([DetalleCostoVinculado(
        costo_id=costo.id, detalle_orden_id=linea.detalle_orden_id, producto_id=linea.producto_id,
        almacen_id=almacen.id, cantidad=linea.cantidad, base_prorrateo=peso, importe_pen=parte.importe,
        capitalizado_pen=r.capitalizado, costo_venta_pen=r.a_costo_venta, costo_unitario_nuevo=r.costo_unitario)
        for linea, peso, parte, r in zip(lineas, base, partes, resultado, strict=True)])
    session.flush()
    return costo


# --- a cost document of its own (carrier, insurer, customs broker) ---------------------------------------------


class CostoVinculadoIn(Entrada):
    orden_id: Id
    recepcion_id: Id | None = Field(default=None, description="solo lo aceptado en esta recepción; si no, todo "
                                    "lo recibido de la OC")
    concepto: Literal["FLETE", "SEGURO", "ADUANA", "OTRO"]
    criterio: Criterio = Field(default="VALOR", description="prorrateo por valor o por peso (peso_kg × cantidad)")
    proveedor_id: Id = Field(description="quien factura el costo (transportista, aseguradora, agente de aduanas)")
    numero_documento: str = Field(min_length=3, max_length=20, examples=["F001-77"])
    fecha_emision: Fecha
    fecha_vencimiento: Fecha | None = None
    moneda: Literal["PEN", "USD", "EUR"] = "PEN"
    tipo_cambio: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=4)
    monto: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="sin IGV")
    igv: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)


def _recibido(session: Session, orden_id: int, recepcion_id: int | None) -> list[LineaCosto]:
    """What the OC (or one reception of it) accepted into stock, per OC line, valued at its PEN cost."""
    d = DetalleRecepcion
    stmt = (select(d.detalle_orden_id, d.producto_id, func.sum(d.cantidad_aceptada),
                   func.sum(d.cantidad_aceptada * d.costo_unitario_pen))
            .join(Recepcion, Recepcion.id == d.recepcion_id).where(Recepcion.orden_id == orden_id,
                                                                    d.cantidad_aceptada > 0)
            .group_by(d.detalle_orden_id, d.producto_id).order_by(d.detalle_orden_id))
    if recepcion_id is not None:
        stmt = stmt.where(d.recepcion_id == recepcion_id)
    return [LineaCosto(fila[0], fila[1], Decimal(fila[2]), Decimal(fila[3])) for fila in session.execute(stmt)]


def registrar(session: Session, usuario_id: int, datos: CostoVinculadoIn) -> CostoVinculado:
    """Register a logistics cost document of an OC: its purchase entry and payable (to whoever bills it), and
    the landed cost of what was received. One transaction."""
    orden = ordenes.bloquear(session, datos.orden_id)
    if orden.estado not in CON_RECEPCIONES:
        raise UnprocessableError(f"La OC {orden.id} está {orden.estado}: los costos vinculados se registran sobre "
                                 "lo recibido", field="orden_id")
    if datos.recepcion_id is not None:
        recepcion = get_or_404(session, Recepcion, datos.recepcion_id, "Recepción no encontrada")
        if recepcion.orden_id != orden.id:
            raise ValidationError(f"La recepción {recepcion.id} no es de la OC {orden.id}", field="recepcion_id")
    proveedor = session.get(Proveedor, datos.proveedor_id)
    if proveedor is None:
        raise ValidationError("Proveedor inexistente", field="proveedor_id")
    lineas = _recibido(session, orden.id, datos.recepcion_id)
    if not lineas:
        raise UnprocessableError("No hay mercadería aceptada sobre la cual prorratear el costo", field="recepcion_id")
    base = pesos(session, lineas, datos.criterio, "criterio")
    serie, numero = normalizar_numero(datos.numero_documento, "numero_documento")
    tasa = Decimal("1") if datos.moneda == "PEN" else (
        datos.tipo_cambio or Decimal(tipo_cambio_del_dia(session, datos.fecha_emision, datos.moneda).venta))
    cxp = contabilizar_factura_proveedor(session, usuario_id, FacturaProveedorIn(
        proveedor_ruc=proveedor.ruc, proveedor_razon_social=proveedor.razon_social, serie=serie, numero=str(numero),
        fecha_emision=datos.fecha_emision,
        fecha_vencimiento=vencimiento(proveedor, datos.fecha_emision, datos.fecha_vencimiento),
        moneda=datos.moneda, tipo_cambio=tasa if datos.moneda != "PEN" else None, base_imponible=CERO,
        costos_vinculados=datos.monto, igv=datos.igv), proveedor.id)[0]
    costo = CostoVinculado(
        orden_id=orden.id, recepcion_id=datos.recepcion_id, proveedor_id=proveedor.id, cuenta_por_pagar_id=cxp.id,
        documento=f"{serie}-{numero}", concepto=datos.concepto, criterio=datos.criterio, moneda=datos.moneda,
        tipo_cambio=tasa, monto=datos.monto, monto_pen=redondear(datos.monto * tasa), usuario_id=usuario_id)
    aplicar(session, costo, orden, lineas, base, usuario_id, datos.fecha_emision)
    session.commit()
    return costo


def obtener(session: Session, costo_id: int) -> CostoVinculado:
    return get_or_404(session, CostoVinculado, costo_id, "Costo vinculado no encontrado")


def detalle(session: Session, costo_id: int) -> list[DetalleCostoVinculado]:
    return list(session.execute(select(DetalleCostoVinculado).where(DetalleCostoVinculado.costo_id == costo_id)
                                .order_by(DetalleCostoVinculado.id)).scalars())


def de_orden(session: Session, orden_id: int, pagina: Paginacion) -> tuple[list[CostoVinculado], int]:
    stmt = select(CostoVinculado).where(CostoVinculado.orden_id == orden_id).order_by(CostoVinculado.id)
    return paginar(session, stmt, pagina.limit, pagina.offset)

"""Supplier invoices: normalised unique numbering (409), linked to an approved OC of the same supplier, amounts
that add up (±0.01 per line and document), due date from the supplier's terms, logistics costs prorated over
the lines by value or weight into the landed cost of what was received (services/compras/costos), the purchase
posted and its payable opened through services/finanzas in the same
transaction, and the three-way match against the OC (price) and the receptions (accepted quantity).

Paying is module 6's (POST /api/finanzas/pagos/ on the invoice's cuenta por pagar): the database refuses a
payment of an invoice that is not CONCILIADA (migration 0013's trigger and CHECK)."""

from dataclasses import replace
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator
from sqlalchemy import Row, func, select
from sqlmodel import Session

from core import audit
from core.db import get_or_404
from core.errors import Conflict, UnprocessableError, ValidationError
from core.outbox import request_workflow
from core.schemas import Entrada, Fecha, Id
from core.settings import get_settings
from models.compras import (
    CostoVinculado,
    DetalleFacturaProveedor,
    DetalleOrdenCompra,
    FacturaProveedor,
    OrdenCompra,
    Proveedor,
)
from models.finanzas import CuentaPorPagar
from services.compras import costos, ordenes
from services.compras.documentos import normalizar_numero, vencimiento
from services.cuotas import MAX_CUOTAS, CuotaIn
from services.cuotas import plan as plan_cuotas
from services.finanzas.asientos import CERO, redondear
from services.finanzas.cartera import FacturaProveedorIn, contabilizar_factura_proveedor, tipo_cambio_del_dia
from services.finanzas.contabilizar import Cuota
from workflows.entradas import ValidacionFactura

CENTIMO = Decimal("0.01")
CIEN = Decimal("100")
FACTURABLES = ("APROBADA", "PARCIAL", "RECIBIDA")
class LineaFacturaIn(Entrada):
    detalle_orden_id: Id
    cantidad: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    precio_unitario: Decimal = Field(ge=0, max_digits=14, decimal_places=6, description="valor unitario sin IGV")
    base: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    igv: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    total: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class FacturaIn(Entrada):
    orden_id: Id
    ruc_proveedor: str = Field(min_length=11, max_length=11)
    tipo: Literal["01"] = Field(default="01", description="catálogo 01: factura")
    numero_factura: str = Field(min_length=3, max_length=20, examples=["F001-123"])
    fecha_emision: Fecha
    fecha_vencimiento: Fecha | None = Field(default=None, description="la de la factura; si no, según el proveedor")
    moneda: Literal["PEN", "USD", "EUR"] = "PEN"
    tipo_cambio: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=4)
    monto_base: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="valor de las mercaderías")
    gastos_logisticos: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2,
                                       description="flete, seguro, aduanas: al costo de lo recibido")
    concepto_gastos: Literal["FLETE", "SEGURO", "ADUANA", "OTRO"] = "FLETE"
    prorrateo: costos.Criterio = Field(default="VALOR", description="gastos_logisticos por valor de las líneas o "
                                       "por peso (peso_kg × cantidad)")
    igv: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    total: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    lineas: list[LineaFacturaIn] = Field(min_length=1, max_length=500)
    cuotas: list[CuotaIn] | None = Field(default=None, min_length=1, max_length=MAX_CUOTAS,
                                         description="factura al crédito en cuotas: una cuenta por pagar por cuota; "
                                         "suman el total y vencen después de la emisión")

    @field_validator("numero_factura")
    @classmethod
    def _numero(cls, valor: str) -> str:
        serie, numero = normalizar_numero(valor)
        return f"{serie}-{numero}"


def _cuadra(a: Decimal, b: Decimal, tolerancia: Decimal = CENTIMO) -> bool:
    return abs(a - b) <= tolerancia


def _validar_importes(datos: FacturaIn) -> None:
    for i, linea in enumerate(datos.lineas):
        if not _cuadra(linea.base + linea.igv, linea.total):
            raise ValidationError(f"Línea {i + 1}: base + IGV ≠ total", field=f"lineas.{i}.total")
        if not _cuadra(redondear(linea.cantidad * linea.precio_unitario), linea.base):
            raise ValidationError(f"Línea {i + 1}: cantidad × precio ≠ base", field=f"lineas.{i}.base")
    if not _cuadra(datos.monto_base + datos.gastos_logisticos + datos.igv, datos.total):
        raise ValidationError("monto_base + gastos_logisticos + igv ≠ total", field="total")
    suma = sum((linea.base for linea in datos.lineas), CERO)
    if not _cuadra(suma, datos.monto_base, CENTIMO * len(datos.lineas)):
        raise ValidationError(f"Las líneas suman {suma} y monto_base es {datos.monto_base}", field="monto_base")


def registrar(session: Session, usuario_id: int, datos: FacturaIn) -> FacturaProveedor:
    orden = ordenes.bloquear(session, datos.orden_id)
    if orden.estado not in FACTURABLES:
        raise ValidationError(f"La OC {orden.id} está {orden.estado}: se factura una OC aprobada, parcial o recibida",
                              field="orden_id")
    proveedor = session.get(Proveedor, orden.proveedor_id)
    if datos.ruc_proveedor != proveedor.ruc:
        raise ValidationError(f"La OC {orden.id} es del proveedor {proveedor.ruc}", field="ruc_proveedor")
    if datos.moneda != orden.moneda:
        raise ValidationError(f"La OC está en {orden.moneda}", field="moneda")
    _validar_importes(datos)
    serie, numero = normalizar_numero(datos.numero_factura)
    duplicada = session.execute(select(FacturaProveedor.id).where(
        FacturaProveedor.ruc_proveedor == proveedor.ruc, FacturaProveedor.tipo == datos.tipo,
        FacturaProveedor.serie == serie, FacturaProveedor.numero == numero)).first()
    if duplicada:
        raise Conflict(f"La factura {serie}-{numero} del RUC {proveedor.ruc} ya está registrada",
                       field="numero_factura")
    lineas_oc = {d.id: d for d in ordenes.detalle(session, orden.id)}
    for i, linea in enumerate(datos.lineas):
        if linea.detalle_orden_id not in lineas_oc:
            raise ValidationError(f"La línea {linea.detalle_orden_id} no es de la OC {orden.id}",
                                  field=f"lineas.{i}.detalle_orden_id")
    tasa = Decimal("1") if datos.moneda == "PEN" else (
        datos.tipo_cambio or Decimal(tipo_cambio_del_dia(session, datos.fecha_emision, datos.moneda).venta))
    lineas_costo = [costos.LineaCosto(linea.detalle_orden_id, lineas_oc[linea.detalle_orden_id].producto_id,
                                      linea.cantidad, linea.base) for linea in datos.lineas]
    base = costos.pesos(session, lineas_costo, datos.prorrateo, "prorrateo") if datos.gastos_logisticos else []
    gastos = costos.prorratear(datos.gastos_logisticos, base) if base else [CERO] * len(datos.lineas)
    cuotas = _cuotas(datos)
    factura = FacturaProveedor(
        proveedor_id=proveedor.id, orden_id=orden.id, ruc_proveedor=proveedor.ruc, tipo=datos.tipo, serie=serie,
        numero=numero, numero_factura=f"{serie}-{numero}", fecha_emision=datos.fecha_emision,
        fecha_vencimiento=cuotas[-1].vencimiento if cuotas else vencimiento(proveedor, datos.fecha_emision,
                                                                            datos.fecha_vencimiento),
        moneda=datos.moneda,
        tipo_cambio=tasa, monto_base=datos.monto_base, igv=datos.igv, total=datos.total,
        gastos_logisticos=datos.gastos_logisticos, usuario_id=usuario_id)
    session.add(factura)
    session.flush()
    session.add_all([DetalleFacturaProveedor(
        factura_id=factura.id, detalle_orden_id=linea.detalle_orden_id,
        producto_id=lineas_oc[linea.detalle_orden_id].producto_id, cantidad=linea.cantidad,
        precio_unitario=linea.precio_unitario, base=linea.base, igv=linea.igv, total=linea.total, gasto_prorrateado=g)
        for linea, g in zip(datos.lineas, gastos, strict=True)])
    cxp = contabilizar_factura_proveedor(session, usuario_id, FacturaProveedorIn(
        proveedor_ruc=proveedor.ruc, proveedor_razon_social=proveedor.razon_social, tipo_documento=datos.tipo,
        serie=serie, numero=str(numero), fecha_emision=datos.fecha_emision, fecha_vencimiento=factura.fecha_vencimiento,
        moneda=datos.moneda, tipo_cambio=tasa if datos.moneda != "PEN" else None, base_imponible=datos.monto_base,
        costos_vinculados=datos.gastos_logisticos, igv=datos.igv), proveedor.id, factura.id, cuotas)[0]
    factura.contabilizado = True
    session.add(factura)
    if base:
        _costo_llegado(session, usuario_id, factura, orden, datos, cxp.id, lineas_costo, base, lineas_oc)
    solicitar_validacion(session, factura)
    session.commit()
    return factura


def _cuotas(datos: FacturaIn) -> list[Cuota] | None:
    """The invoice's own instalments (checked as a credit sale's: each due after the issue date, adding up to the
    total), in due-date order; None: one payable at the supplier's terms or the invoice's due date."""
    if datos.cuotas is None:
        return None
    if datos.fecha_vencimiento is not None:
        raise ValidationError("Indique fecha_vencimiento o cuotas, no ambos", field="fecha_vencimiento")
    plan = sorted(plan_cuotas(datos.cuotas, datos.total, datos.fecha_emision, 0), key=lambda c: c.fecha_vencimiento)
    return [Cuota(i, c.monto, c.fecha_vencimiento) for i, c in enumerate(plan, start=1)]


def _costo_llegado(session: Session, usuario_id: int, factura: FacturaProveedor, orden: OrdenCompra,
                   datos: FacturaIn, cxp_id: int, lineas: list[costos.LineaCosto], base: list[Decimal],
                   lineas_oc: dict[int, DetalleOrdenCompra]) -> None:
    """The invoice's logistics costs into the landed cost of the units it bills that were received (a line
    whose goods have not arrived cannot carry them yet: 422)."""
    recibidas = []
    for i, (linea, peso) in enumerate(zip(lineas, base, strict=True)):
        recibido = Decimal(lineas_oc[linea.detalle_orden_id].cantidad_recibida)
        if peso and not recibido:
            raise UnprocessableError(f"Línea {i + 1}: la mercadería aún no se recibió; registre los gastos logísticos "
                                     "cuando llegue", field="gastos_logisticos")
        recibidas.append(replace(linea, cantidad=min(linea.cantidad, recibido)))
    costo = CostoVinculado(
        orden_id=orden.id, factura_proveedor_id=factura.id, proveedor_id=factura.proveedor_id,
        cuenta_por_pagar_id=cxp_id, documento=factura.numero_factura, concepto=datos.concepto_gastos,
        criterio=datos.prorrateo, moneda=factura.moneda, tipo_cambio=factura.tipo_cambio, monto=datos.gastos_logisticos,
        monto_pen=redondear(datos.gastos_logisticos * Decimal(factura.tipo_cambio)), usuario_id=usuario_id)
    costos.aplicar(session, costo, orden, recibidas, base, usuario_id, datos.fecha_emision)


def validacion_id(factura_id: int) -> str:
    return f"factura-proveedor-{factura_id}"


def solicitar_validacion(session: Session, factura: FacturaProveedor) -> None:
    """In the invoice's transaction: the automatic SUNAT check (ValidarFacturaProveedor), retried until SUNAT
    answers."""
    request_workflow(session, "ValidarFacturaProveedor", validacion_id(factura.id),
                     ValidacionFactura(factura.id, get_settings().sunat_consulta_reintento_s),
                     search_attributes={"Documento": factura.numero_factura, "Ruc": factura.ruc_proveedor,
                                        "Estado": "PENDIENTE"})


# --- three-way match ------------------------------------------------------------------------------------------


def _facturado_en_otras(session: Session, factura: FacturaProveedor) -> dict[int, Decimal]:
    """Quantity of each OC line already invoiced by the OC's other invoices."""
    filas = session.execute(select(DetalleFacturaProveedor.detalle_orden_id, func.sum(DetalleFacturaProveedor.cantidad))
                            .join(FacturaProveedor, FacturaProveedor.id == DetalleFacturaProveedor.factura_id)
                            .where(FacturaProveedor.orden_id == factura.orden_id, FacturaProveedor.id != factura.id)
                            .group_by(DetalleFacturaProveedor.detalle_orden_id)).all()
    return {fila[0]: Decimal(fila[1]) for fila in filas}


def diferencias(factura: FacturaProveedor, lineas: list[Row], oc: dict[int, Row],
                otras: dict[int, Decimal], tol_cantidad: Decimal, tol_pct: Decimal, tol_monto: Decimal) -> list[dict]:
    """Every line outside tolerance: quantity against what was received and accepted (less what other invoices
    already billed), price against the OC (±pct % or ±monto PEN per unit, whichever is wider)."""
    tasa = Decimal(factura.tipo_cambio)
    resultado = []
    for linea in lineas:
        d = oc[linea.detalle_orden_id]
        disponible = Decimal(d.cantidad_recibida) - otras.get(d.id, CERO)
        precio_oc, precio = Decimal(d.precio_unitario), Decimal(linea.precio_unitario)
        motivos = []
        if abs(Decimal(linea.cantidad) - disponible) > tol_cantidad:
            motivos.append("CANTIDAD")
        margen = max(precio_oc * tol_pct / CIEN, tol_monto / tasa)
        if abs(precio - precio_oc) > margen:
            motivos.append("PRECIO")
        if motivos:
            resultado.append({
                "detalle_orden_id": d.id, "producto_id": d.producto_id, "motivos": motivos,
                "ordenado": str(d.cantidad), "recibido": str(disponible), "facturado": str(linea.cantidad),
                "precio_oc": str(precio_oc), "precio_factura": str(precio),
                "diferencia_importe": str(redondear(Decimal(linea.base) - disponible * precio_oc))})
    return resultado


def conciliar(session: Session, factura_id: int) -> FacturaProveedor:
    factura = bloquear(session, factura_id)
    if factura.estado == "OBSERVADA":
        raise Conflict("La factura está OBSERVADA por SUNAT: levante la observación antes de conciliarla",
                       field="estado")
    if factura.estado == "CONCILIADA":
        return factura
    config = ordenes.configuracion(session)
    # Plain rows, not ORM objects: a 200-line match reads 400 of them (the benchmark's p95 target is 50 ms).
    oc_t, fac_t = DetalleOrdenCompra.__table__, DetalleFacturaProveedor.__table__
    oc = {d.id: d for d in session.execute(select(oc_t).where(oc_t.c.orden_id == factura.orden_id))}
    lineas = list(session.execute(select(fac_t).where(fac_t.c.factura_id == factura.id).order_by(fac_t.c.id)))
    difs = diferencias(factura, lineas, oc, _facturado_en_otras(session, factura),
                       Decimal(config.tolerancia_cantidad), Decimal(config.tolerancia_precio_pct),
                       Decimal(config.tolerancia_precio_monto))
    factura.estado, factura.diferencias = ("EN_REVISION", difs) if difs else ("CONCILIADA", [])
    session.add(factura)
    audit.record(session, "compras", "conciliar", "facturas_proveedor", str(factura.id),
                 {"estado": factura.estado, "diferencias": len(difs)})
    session.commit()
    return factura


def justificar(session: Session, factura_id: int, justificacion: str) -> FacturaProveedor:
    """Accept an invoice EN_REVISION with a written reason (audited): it becomes CONCILIADA, payable."""
    factura = bloquear(session, factura_id)
    if factura.estado != "EN_REVISION":
        raise Conflict(f"La factura está {factura.estado}: solo se justifica una factura EN_REVISION", field="estado")
    factura.estado, factura.justificacion = "CONCILIADA", justificacion
    session.add(factura)
    audit.record(session, "compras", "justificar", "facturas_proveedor", str(factura.id),
                 {"justificacion": justificacion, "diferencias": factura.diferencias})
    session.commit()
    return factura


def bloquear(session: Session, factura_id: int) -> FacturaProveedor:
    return get_or_404(session, FacturaProveedor, factura_id, "Factura de proveedor no encontrada", for_update=True)


def obtener(session: Session, factura_id: int) -> FacturaProveedor:
    return get_or_404(session, FacturaProveedor, factura_id, "Factura de proveedor no encontrada")


def detalle(session: Session, factura_id: int) -> list[DetalleFacturaProveedor]:
    return list(session.execute(select(DetalleFacturaProveedor).where(DetalleFacturaProveedor.factura_id == factura_id)
                                .order_by(DetalleFacturaProveedor.id)).scalars())


def cuentas_por_pagar(session: Session, factura_id: int) -> list[CuentaPorPagar]:
    """The invoice's payables, one per instalment."""
    return list(session.execute(select(CuentaPorPagar).where(CuentaPorPagar.factura_proveedor_id == factura_id)
                                .order_by(CuentaPorPagar.cuota)).scalars())


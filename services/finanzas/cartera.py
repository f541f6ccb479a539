"""Receivables and payables (cuentas_por_cobrar / cuentas_por_pagar), collections and payments (pagos_cobros)
with the realized exchange difference, aging, overdue marking, and the daily exchange rate.

A collection or payment is one operation that may settle several documents of one party: one `pagos_cobros`
row per document, one journal entry. Amounts a user types are in the payment's currency; each document is
settled in its own currency and its PEN book value is relieved at the document's rate, so a different rate on
the payment day posts the difference to 776 (gain) or 676 (loss)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import func, select, text
from sqlmodel import Session

from core.errors import Conflict, NotFound, ValidationError
from core.schemas import Entrada, Fecha, Id
from core.settings import get_settings
from integrations.sunat import tipo_cambio as sunat_tc
from models.finanzas import CuentaPorCobrar, CuentaPorPagar, PagoCobro, TipoCambio
from services.finanzas import asientos, plan
from services.finanzas.asientos import CERO, Asiento, Movimiento, debe, haber, hoy, redondear, registrar
from services.finanzas.contabilizar import Cuota, cuotas_de, estado_de, repartir_valor_en_libros, valor_en_libros

Documento = CuentaPorCobrar | CuentaPorPagar
Moneda = Literal["PEN", "USD", "EUR"]
MetodoTesoreria = Literal["EFECTIVO", "TARJETA", "YAPE", "PLIN", "TRANSFERENCIA"]


# --- exchange rates ---------------------------------------------------------------------------------------


class TipoCambioIn(Entrada):
    fecha: Fecha
    moneda: Moneda = "USD"
    compra: Decimal = Field(gt=0, max_digits=10, decimal_places=4)
    venta: Decimal = Field(gt=0, max_digits=10, decimal_places=4)


def registrar_tipo_cambio(session: Session, datos: TipoCambioIn, fuente: str = "MANUAL") -> TipoCambio:
    """Manual entry (or the daily SUNAT load): replaces that day's rate."""
    if datos.moneda == "PEN":
        raise ValidationError("El tipo de cambio es de una moneda extranjera", field="moneda")
    fila = session.execute(select(TipoCambio).where(TipoCambio.fecha == datos.fecha,
                                                    TipoCambio.moneda == datos.moneda)).scalar_one_or_none()
    fila = fila or TipoCambio(fecha=datos.fecha, moneda=datos.moneda)
    fila.compra, fila.venta, fila.fuente = datos.compra, datos.venta, fuente
    session.add(fila)
    session.commit()
    return fila


def tipo_cambio_del_dia(session: Session, fecha: date, moneda: str) -> TipoCambio:
    """The rate published for `fecha`, or the last one before it (SUNAT publishes none on holidays)."""
    fila = session.execute(select(TipoCambio).where(TipoCambio.moneda == moneda, TipoCambio.fecha <= fecha)
                           .order_by(TipoCambio.fecha.desc()).limit(1)).scalar_one_or_none()
    if fila is None:
        raise ValidationError(f"No hay tipo de cambio de {moneda} al {fecha}: regístrelo", field="tipo_cambio")
    return fila


def cargar_tipo_cambio_sunat(session: Session, fecha: date | None = None, url: str | None = None) -> TipoCambio:
    """The daily load: every USD rate SUNAT published in the month up to `fecha` (the month before too when
    none yet), so a day SUNAT was down is filled on the next run. Rates the accountant typed (MANUAL) stay.
    Returns the rate that holds on `fecha` (a weekend or holiday: the last business day's). Raises
    TipoCambioNoDisponible when SUNAT does not answer (the schedule retries)."""
    fecha = fecha or hoy()
    url = url or get_settings().sunat_tipo_cambio_url
    publicadas = [p for p in sunat_tc.del_mes(url, fecha.year, fecha.month) if p.fecha <= fecha]
    if not publicadas:
        anterior = fecha.replace(day=1) - timedelta(days=1)
        publicadas = sunat_tc.del_mes(url, anterior.year, anterior.month)
    if not publicadas:
        raise sunat_tc.TipoCambioNoDisponible(f"SUNAT no publica tipo de cambio hasta el {fecha}")
    existentes = {t.fecha: t for t in session.execute(select(TipoCambio).where(
        TipoCambio.moneda == "USD", TipoCambio.fecha.in_([p.fecha for p in publicadas]))).scalars()}
    for p in publicadas:
        fila = existentes.get(p.fecha) or TipoCambio(fecha=p.fecha, moneda="USD")
        if fila.id is None or fila.fuente == "SUNAT":
            fila.compra, fila.venta, fila.fuente = p.compra, p.venta, "SUNAT"
            session.add(fila)
    session.commit()
    return tipo_cambio_del_dia(session, fecha, "USD")


# --- supplier invoices (until module 5 posts its own, the accountant registers them here) -------------------


class FacturaProveedorIn(Entrada):
    proveedor_ruc: str = Field(pattern="^[0-9]{11}$")
    proveedor_razon_social: str = Field(min_length=1, max_length=200)
    tipo_documento: str = Field(default="01", pattern="^(01|03|07|08|12|14)$", description="catálogo 01")
    serie: str = Field(min_length=1, max_length=4)
    numero: str = Field(pattern="^[0-9]{1,8}$")
    fecha_emision: Fecha
    fecha_vencimiento: Fecha | None = None
    moneda: Moneda = "PEN"
    tipo_cambio: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=4)
    base_imponible: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    costos_vinculados: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2,
                                       description="flete, seguro, aduanas (6091)")
    igv: Decimal = Field(ge=0, max_digits=14, decimal_places=2)

    @model_validator(mode="after")
    def _fechas(self) -> "FacturaProveedorIn":
        if self.fecha_vencimiento and self.fecha_vencimiento < self.fecha_emision:
            raise ValueError("fecha_vencimiento no puede ser anterior a fecha_emision")
        return self


def registrar_factura_proveedor(session: Session, usuario_id: int, datos: FacturaProveedorIn) -> CuentaPorPagar:
    """6011 D base · 6091 D costos vinculados · 40111 D IGV · 4212 H total, and its cuenta por pagar.
    One transaction."""
    cxp = contabilizar_factura_proveedor(session, usuario_id, datos)[0]
    session.commit()
    return cxp


def contabilizar_factura_proveedor(session: Session, usuario_id: int, datos: FacturaProveedorIn,
                                   proveedor_id: int | None = None, factura_proveedor_id: int | None = None,
                                   cuotas: list[Cuota] | None = None) -> list[CuentaPorPagar]:
    """The posting and payables of a supplier invoice in the caller's transaction (module 5 calls it with its
    `facturas_proveedor` row; nothing here commits): one cuenta por pagar per instalment (`cuotas`, adding up
    to the total, as a credit sale's receivables), else one due on `fecha_vencimiento`. Each instalment carries
    the document's base and IGV (the purchase register reads instalment 1); the entry references instalment 1."""
    tasa = Decimal("1")
    if datos.moneda != "PEN":
        tasa = datos.tipo_cambio or tipo_cambio_del_dia(session, datos.fecha_emision, datos.moneda).venta
    total = datos.base_imponible + datos.costos_vinculados + datos.igv
    if total <= 0:
        raise ValidationError("La factura no tiene importe", field="base_imponible")
    documento = f"{datos.serie}-{int(datos.numero)}"
    vence = datos.fecha_vencimiento or datos.fecha_emision
    filas = [CuentaPorPagar(
        proveedor_id=proveedor_id, factura_proveedor_id=factura_proveedor_id, proveedor_ruc=datos.proveedor_ruc,
        proveedor_razon_social=datos.proveedor_razon_social, tipo_documento=datos.tipo_documento,
        documento=documento, cuota=c.numero, moneda=datos.moneda, tipo_cambio=tasa,
        base_imponible=datos.base_imponible + datos.costos_vinculados, igv=datos.igv, monto_total=c.monto,
        monto_pagado=CERO, saldo=c.monto, saldo_pen=redondear(c.monto * tasa), fecha_emision=datos.fecha_emision,
        fecha_vencimiento=c.vencimiento)
        for c in cuotas_de(total, datos.fecha_emision, (vence - datos.fecha_emision).days, cuotas)]
    cuentas = plan.cuentas_operacion(session)
    partes = [(cuentas["COMPRA_MERCADERIAS"], redondear(datos.base_imponible * tasa)),
              (cuentas["COMPRA_COSTOS_VINCULADOS"], redondear(datos.costos_vinculados * tasa)),
              (cuentas["COMPRA_IGV"], redondear(datos.igv * tasa))]
    total_pen = sum((p[1] for p in partes), CERO)
    repartir_valor_en_libros(filas, total_pen)
    session.add_all(filas)
    session.flush()
    registrar(session, Asiento(
        fecha=datos.fecha_emision, descripcion=f"Compra {documento} {datos.proveedor_razon_social}",
        referencia_tipo="FACTURA_PROVEEDOR", referencia_id=str(filas[0].id),
        centro_costo_id=plan.centro_general(session), usuario_id=usuario_id, moneda=datos.moneda, tipo_cambio=tasa,
        movimientos=[*(debe(c, m) for c, m in partes if m), haber(cuentas["CXP"], total_pen, documento)]))
    return filas


# --- collections and payments -----------------------------------------------------------------------------


class AplicacionIn(Entrada):
    documento_id: Id | None = Field(default=None, description="cuenta_cobrar_id / cuenta_pagar_id (one instalment)")
    comprobante_id: Id | None = Field(default=None, description="cobros: a comprobante al crédito, applied to its "
                                      "open instalments oldest due date first")
    monto: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="en la moneda del pago")

    @model_validator(mode="after")
    def _uno(self) -> "AplicacionIn":
        if (self.documento_id is None) == (self.comprobante_id is None):
            raise ValueError("indique documento_id o comprobante_id (uno de los dos)")
        return self


class PagoCobroIn(Entrada):
    fecha: Fecha | None = None  # default: today (Lima)
    metodo_pago: MetodoTesoreria
    moneda: Moneda = "PEN"
    tipo_cambio: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=4,
                                        description="del pago; por defecto el publicado del día")
    referencia: str = Field(default="", max_length=100)
    documentos: list[AplicacionIn] = Field(min_length=1, max_length=100)


@dataclass
class _Aplicacion:
    documento: Documento
    monto: Decimal  # payment currency
    aplicado: Decimal  # document currency
    pen_pago: Decimal  # what the payment is worth in PEN today
    pen_libros: Decimal  # the PEN book value of the part of the document it settles


def _tasa_pago(session: Session, datos: PagoCobroIn, fecha: date, moneda_doc: str, cobro: bool) -> Decimal:
    """PEN per unit of the foreign currency involved on the payment day: given, or SUNAT's (compra for what we
    receive, venta for what we pay, as the SBS/SUNAT rule for assets and liabilities)."""
    if datos.tipo_cambio is not None:
        return datos.tipo_cambio
    extranjera = datos.moneda if datos.moneda != "PEN" else moneda_doc
    if extranjera == "PEN":
        return Decimal("1")
    tc = tipo_cambio_del_dia(session, fecha, extranjera)
    return tc.compra if cobro else tc.venta


def _en_moneda_del_documento(monto: Decimal, moneda: str, moneda_doc: str, tasa: Decimal) -> Decimal:
    if moneda == moneda_doc:
        return monto
    if moneda == "PEN":
        return redondear(monto / tasa)
    if moneda_doc == "PEN":
        return redondear(monto * tasa)
    raise ValidationError("Pague en la moneda del documento o en soles", field="moneda")


def _repartir(documentos: list[Documento], monto: Decimal, moneda: str, tasa: Decimal,
              campo: str) -> list[_Aplicacion]:
    """One amount over one document or a comprobante's open instalments, oldest due first: the last part
    takes what is left of the payment so the parts add up to it exactly."""
    aplicado = _en_moneda_del_documento(monto, moneda, documentos[0].moneda, tasa)
    abierto = sum((d.saldo for d in documentos), CERO)
    nombre = documentos[0].documento
    if aplicado > abierto:
        raise ValidationError(f"El importe ({aplicado} {documentos[0].moneda}) excede el saldo del documento "
                              f"{nombre} ({abierto} {documentos[0].moneda})", field=f"{campo}.monto")
    if aplicado <= 0:
        raise ValidationError("El importe es menor que un céntimo en la moneda del documento", field=f"{campo}.monto")
    partes, restante, por_pagar = [], aplicado, monto
    for documento in documentos:
        if restante <= 0:
            break
        parte = min(restante, documento.saldo)
        restante -= parte
        pago = por_pagar if restante == 0 else redondear(monto * parte / aplicado)
        por_pagar -= pago
        pen_pago = pago if moneda == "PEN" else redondear(pago * tasa)
        partes.append(_Aplicacion(documento, pago, parte, pen_pago, valor_en_libros(documento, parte)))
    return partes


def _documentos(session: Session, datos: PagoCobroIn, cobro: bool) -> list[list[Documento]]:
    """The documents each application settles (locked): the one named, or a comprobante's open instalments by
    due date. All of one customer or supplier."""
    modelo = CuentaPorCobrar if cobro else CuentaPorPagar
    por_comprobante = [a.comprobante_id for a in datos.documentos if a.comprobante_id is not None]
    if por_comprobante and not cobro:
        i = next(i for i, a in enumerate(datos.documentos) if a.comprobante_id is not None)
        raise ValidationError("Un pago a proveedor se aplica por documento_id", field=f"documentos.{i}.comprobante_id")
    condicion = modelo.id.in_([a.documento_id for a in datos.documentos if a.documento_id is not None])
    if por_comprobante:
        condicion = condicion | (CuentaPorCobrar.comprobante_id.in_(por_comprobante) & (CuentaPorCobrar.saldo > 0))
    filas = list(session.execute(select(modelo).where(condicion).order_by(modelo.id).with_for_update()).scalars())
    grupos = []
    for i, a in enumerate(datos.documentos):
        if a.documento_id is not None:
            grupo = [f for f in filas if f.id == a.documento_id]
        else:
            grupo = sorted((f for f in filas if f.comprobante_id == a.comprobante_id and f.saldo > 0),
                           key=lambda f: (f.fecha_vencimiento, f.cuota))
        if not grupo:
            _sin_documento(session, a, f"documentos.{i}")
        grupos.append(grupo)
    ids = [f.id for grupo in grupos for f in grupo]
    if len(set(ids)) != len(ids):
        raise ValidationError("Un documento aparece dos veces", field="documentos")
    parte = {(f.cliente_numero_doc if cobro else f.proveedor_ruc) for f in filas}
    if len(parte) > 1:
        raise ValidationError("Un mismo cobro/pago solo liquida documentos de un mismo cliente o proveedor",
                              field="documentos")
    return grupos


def _sin_documento(session: Session, aplicacion: AplicacionIn, campo: str) -> None:
    if aplicacion.documento_id is not None:
        raise NotFound("Documento por cobrar/pagar no encontrado", field=f"{campo}.documento_id")
    existe = session.execute(select(CuentaPorCobrar.id).where(
        CuentaPorCobrar.comprobante_id == aplicacion.comprobante_id).limit(1)).first()
    if existe is None:
        raise NotFound("El comprobante no tiene cuentas por cobrar", field=f"{campo}.comprobante_id")
    raise ValidationError("El comprobante no tiene saldo por cobrar", field=f"{campo}.monto")


_NUMERO_OPERACION = text("SELECT nextval('pagos_cobros_operacion_seq')")


def _registrar(session: Session, usuario_id: int, datos: PagoCobroIn, cobro: bool) -> list[PagoCobro]:
    filas = aplicar(session, usuario_id, datos, cobro)
    session.commit()
    return filas


def aplicar(session: Session, usuario_id: int | None, datos: PagoCobroIn, cobro: bool) -> list[PagoCobro]:
    """A collection (cobro=True) or payment in the caller's transaction (bank reconciliation records the
    collection a statement line proves and reconciles it in one commit). Does not commit."""
    fecha = datos.fecha or hoy()
    grupos = _documentos(session, datos, cobro)
    aplicaciones = []
    for i, (aplicacion, documentos) in enumerate(zip(datos.documentos, grupos, strict=True)):
        tasa = _tasa_pago(session, datos, fecha, documentos[0].moneda, cobro)
        aplicaciones += _repartir(documentos, aplicacion.monto, datos.moneda, tasa, f"documentos.{i}")
    prefijo = "COB" if cobro else "PAG"
    operacion = f"{prefijo}-{session.execute(_NUMERO_OPERACION).scalar_one()}"
    asiento_id = registrar(session, _asiento(session, aplicaciones, datos, fecha, operacion, usuario_id, cobro))
    filas = []
    for a in aplicaciones:
        doc = a.documento
        doc.monto_pagado += a.aplicado
        doc.saldo -= a.aplicado
        doc.saldo_pen -= a.pen_libros
        doc.estado = estado_de(doc.saldo, doc.monto_pagado, doc.fecha_vencimiento)
        session.add(doc)
        filas.append(PagoCobro(
            operacion=operacion, tipo="COBRO" if cobro else "PAGO", cuenta_cobrar_id=doc.id if cobro else None,
            cuenta_pagar_id=None if cobro else doc.id, monto=a.monto, monto_aplicado=a.aplicado,
            metodo_pago=datos.metodo_pago, moneda=datos.moneda,
            tipo_cambio=datos.tipo_cambio or (a.pen_pago / a.monto if datos.moneda != "PEN" else Decimal("1")),
            diferencia_cambio=(a.pen_pago - a.pen_libros) if cobro else (a.pen_libros - a.pen_pago),
            referencia=datos.referencia, usuario_id=usuario_id, fecha=fecha, asiento_id=asiento_id,
            valor_libros=a.pen_libros))
    session.add_all(filas)
    session.flush()
    return filas


def _asiento(session: Session, aplicaciones: list[_Aplicacion], datos: PagoCobroIn, fecha: date, operacion: str,
             usuario_id: int | None, cobro: bool) -> Asiento:
    """Collection: 101/1041 D received · 1212 H book value · 776 H gain / 676 D loss.
    Payment: 4212 D book value · 101/1041 H paid · 676 D loss / 776 H gain."""
    cuentas = plan.cuentas_operacion(session)
    tesoreria = cuentas[f"TESORERIA_{datos.metodo_pago}"]
    cartera = cuentas["VENTA_CXC" if cobro else "CXP"]
    pen_pago = sum((a.pen_pago for a in aplicaciones), CERO)
    pen_libros = sum((a.pen_libros for a in aplicaciones), CERO)
    movimientos: list[Movimiento] = []
    if cobro:
        movimientos += [debe(tesoreria, pen_pago, operacion)]
        movimientos += [haber(cartera, a.pen_libros, a.documento.documento) for a in aplicaciones]
        ganancia = pen_pago - pen_libros
    else:
        movimientos += [debe(cartera, a.pen_libros, a.documento.documento) for a in aplicaciones]
        movimientos += [haber(tesoreria, pen_pago, operacion)]
        ganancia = pen_libros - pen_pago
    if ganancia > 0:
        movimientos.append(haber(cuentas["DIFERENCIA_CAMBIO_GANANCIA"], ganancia, "Diferencia de cambio"))
    elif ganancia < 0:
        movimientos.append(debe(cuentas["DIFERENCIA_CAMBIO_PERDIDA"], -ganancia, "Diferencia de cambio"))
    monedas = {a.documento.moneda for a in aplicaciones} | {datos.moneda}
    extranjera = next((m for m in sorted(monedas) if m != "PEN"), "PEN")
    tasa = aplicaciones[0].pen_pago / aplicaciones[0].monto if datos.moneda != "PEN" else (
        datos.tipo_cambio or Decimal("1"))
    return Asiento(fecha=fecha, descripcion=f"{'Cobro' if cobro else 'Pago'} {operacion} {datos.referencia}".strip(),
                   referencia_tipo="COBRO" if cobro else "PAGO", referencia_id=operacion, usuario_id=usuario_id,
                   centro_costo_id=plan.centro_general(session), moneda=extranjera,
                   tipo_cambio=redondear_tasa(tasa), movimientos=[m for m in movimientos if m.debe or m.haber])


def pendientes(session: Session, ids: Iterable[int]) -> list[PagoCobro]:
    """The collections/payments `ids`, locked, each neither reconciled nor reversed (404 / 409 otherwise)."""
    ids = set(ids)
    filas = list(session.execute(select(PagoCobro).where(PagoCobro.id.in_(ids)).order_by(PagoCobro.id)
                                 .with_for_update()).scalars())
    if len(filas) != len(ids):
        raise NotFound("Cobro/pago no encontrado", field="pagos_cobros")
    for p in filas:
        if p.anulado or p.conciliado:
            raise Conflict(f"El cobro/pago {p.operacion} ya está {'anulado' if p.anulado else 'conciliado'}",
                           field="pagos_cobros")
    return filas


def anular(session: Session, usuario_id: int | None, ids: Iterable[int], motivo: str) -> None:
    """Reverse recorded collections/payments in the caller's transaction: each document gets back what the
    row settled (its balance and its PEN book value), the row is marked `anulado`, and its journal entry is
    reversed by a reversing entry (never deleted). Refused (409) if a row is already reversed or reconciled."""
    filas = pendientes(session, ids)
    for p in filas:
        doc = session.get(CuentaPorCobrar if p.tipo == "COBRO" else CuentaPorPagar,
                          p.cuenta_cobrar_id or p.cuenta_pagar_id, with_for_update=True, populate_existing=True)
        doc.monto_pagado -= p.monto_aplicado
        doc.saldo += p.monto_aplicado
        doc.saldo_pen += _valor_libros(p)
        doc.estado = estado_de(doc.saldo, doc.monto_pagado, doc.fecha_vencimiento)
        p.anulado = True
        session.add_all([doc, p])
    for asiento_id in sorted({p.asiento_id for p in filas} - {None}):
        asientos.registrar_reversion(session, asiento_id, usuario_id, motivo)
    session.flush()


def _valor_libros(p: PagoCobro) -> Decimal:
    """The book value a row relieved; rows from before it was stored: what was paid in PEN less (collection) or
    plus (payment) its exchange difference."""
    if p.valor_libros is not None:
        return p.valor_libros
    pen = p.monto if p.moneda == "PEN" else redondear(p.monto * p.tipo_cambio)
    return pen - p.diferencia_cambio if p.tipo == "COBRO" else pen + p.diferencia_cambio


def redondear_tasa(tasa: Decimal) -> Decimal:
    return Decimal(tasa).quantize(Decimal("0.0001"))


def registrar_cobro(session: Session, usuario_id: int, datos: PagoCobroIn) -> list[PagoCobro]:
    """POST /api/finanzas/cobros/: one transaction."""
    return _registrar(session, usuario_id, datos, cobro=True)


def registrar_pago(session: Session, usuario_id: int, datos: PagoCobroIn) -> list[PagoCobro]:
    """POST /api/finanzas/pagos/: one transaction."""
    return _registrar(session, usuario_id, datos, cobro=False)


# --- month-end revaluation of open foreign-currency balances -------------------------------------------------


def revaluar(session: Session, periodo: str, usuario_id: int | None = None) -> int | None:
    """Open USD/EUR receivables at SUNAT's compra rate of the month's last day, payables at the venta rate
    (the SBS/SUNAT rule for assets and liabilities); the change of book value posts to 776/676 in one entry
    dated that day. Idempotent for a month: a second run finds nothing to change. Returns the entry id."""
    from services.finanzas.ple import validar_periodo

    _, fin = validar_periodo(periodo)
    cierre = fin - timedelta(days=1)
    cuentas = plan.cuentas_operacion(session)
    movimientos: list[Movimiento] = []
    for cobrar, modelo in ((True, CuentaPorCobrar), (False, CuentaPorPagar)):
        abiertos = session.execute(select(modelo).where(modelo.saldo > 0, modelo.moneda != "PEN",
                                                        modelo.fecha_emision <= cierre)
                                   .order_by(modelo.id).with_for_update()).scalars()
        for doc in abiertos:
            tc = tipo_cambio_del_dia(session, cierre, doc.moneda)
            nuevo = redondear(doc.saldo * (tc.compra if cobrar else tc.venta))
            cambio = nuevo - doc.saldo_pen  # + : the asset (or the liability) is worth more in PEN
            if cambio == 0:
                continue
            cartera = cuentas["VENTA_CXC" if cobrar else "CXP"]
            ganancia = cambio if cobrar else -cambio
            lado_cartera = debe if (cambio > 0) == cobrar else haber  # an asset grows on the debit side
            movimientos.append(lado_cartera(cartera, abs(cambio), doc.documento))
            movimientos.append(haber(cuentas["DIFERENCIA_CAMBIO_GANANCIA"], ganancia, doc.documento) if ganancia > 0
                               else debe(cuentas["DIFERENCIA_CAMBIO_PERDIDA"], -ganancia, doc.documento))
            doc.saldo_pen = nuevo
            session.add(doc)
    if not movimientos:
        session.commit()
        return None
    asiento_id = registrar(session, Asiento(
        fecha=cierre, descripcion=f"Diferencia de cambio por revaluación de saldos en moneda extranjera {periodo}",
        referencia_tipo="REVALUACION", referencia_id=periodo, usuario_id=usuario_id,
        centro_costo_id=plan.centro_general(session), movimientos=movimientos))
    session.commit()
    return asiento_id


def periodo_anterior(al: date | None = None) -> str:
    primero = (al or hoy()).replace(day=1) - timedelta(days=1)
    return f"{primero:%Y%m}"


# --- listing, aging, overdue --------------------------------------------------------------------------------


@dataclass
class FiltrosCartera:
    estado: str | None = None
    vencidas: bool | None = None
    parte: str | None = None  # cliente/proveedor document number or part of the name
    cliente_id: int | None = None
    desde: date | None = None
    hasta: date | None = None
    moneda: str | None = None


def _filtrar(q, modelo: type, f: FiltrosCartera):  # noqa: ANN001, ANN202 - a Select in, a Select out
    if f.estado:
        q = q.where(modelo.estado == f.estado.upper())
    if f.vencidas is True:
        q = q.where(modelo.saldo > 0, modelo.fecha_vencimiento < hoy())
    elif f.vencidas is False:
        q = q.where(modelo.fecha_vencimiento >= hoy())
    if f.parte:
        patron = f"%{f.parte}%"
        doc, nombre = ((modelo.cliente_numero_doc, modelo.cliente_razon_social) if modelo is CuentaPorCobrar
                       else (modelo.proveedor_ruc, modelo.proveedor_razon_social))
        q = q.where(doc.ilike(patron) | nombre.ilike(patron))
    if f.cliente_id is not None and modelo is CuentaPorCobrar:
        q = q.where(modelo.cliente_id == f.cliente_id)
    if f.desde:
        q = q.where(modelo.fecha_emision >= f.desde)
    if f.hasta:
        q = q.where(modelo.fecha_emision <= f.hasta)
    if f.moneda:
        q = q.where(modelo.moneda == f.moneda.upper())
    return q


def listar(session: Session, cobrar: bool, f: FiltrosCartera, limit: int, offset: int) -> tuple[list[Documento], int]:
    modelo = CuentaPorCobrar if cobrar else CuentaPorPagar
    q = _filtrar(select(modelo), modelo, f)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    filas = session.execute(q.order_by(modelo.fecha_vencimiento, modelo.id).limit(limit).offset(offset)).scalars()
    return list(filas), total


TRAMOS = (("por_vencer", None, -1), ("0_30", 0, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("mas_90", 91, None))


def antiguedad(session: Session, cobrar: bool, f: FiltrosCartera, al: date | None = None) -> dict[str, dict]:
    """Open balances by days past due (por vencer, 0–30, 31–60, 61–90, > 90), per currency."""
    modelo = CuentaPorCobrar if cobrar else CuentaPorPagar
    al = al or hoy()
    dias = al - modelo.fecha_vencimiento
    q = _filtrar(select(modelo.moneda, dias.label("dias"), modelo.saldo).where(modelo.saldo > 0), modelo, f)
    resultado: dict[str, dict] = {}
    for moneda, atraso, saldo in session.execute(q):
        tramos = resultado.setdefault(moneda, {nombre: {"documentos": 0, "saldo": CERO} for nombre, *_ in TRAMOS})
        nombre = next(n for n, lo, hi in TRAMOS if (lo is None or atraso >= lo) and (hi is None or atraso <= hi))
        tramos[nombre]["documentos"] += 1
        tramos[nombre]["saldo"] += saldo
    return resultado


def marcar_vencidas(session: Session, al: date | None = None) -> int:
    """The daily schedule: open documents past their due date become VENCIDA. Returns how many."""
    al = al or hoy()
    n = 0
    for modelo in (CuentaPorCobrar, CuentaPorPagar):
        filas = session.execute(select(modelo).where(modelo.saldo > 0, modelo.fecha_vencimiento < al,
                                                     modelo.estado != "VENCIDA")).scalars()
        for fila in filas:
            fila.estado = "VENCIDA"
            session.add(fila)
            n += 1
    session.commit()
    return n


def obtener(session: Session, cobrar: bool, documento_id: int) -> Documento:
    fila = session.get(CuentaPorCobrar if cobrar else CuentaPorPagar, documento_id)
    if fila is None:
        raise NotFound("Documento no encontrado")
    return fila


def pagos_de(session: Session, operacion: str) -> list[PagoCobro]:
    return list(session.execute(select(PagoCobro).where(PagoCobro.operacion == operacion)
                                .order_by(PagoCobro.id)).scalars())


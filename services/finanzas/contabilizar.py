"""Automatic entries of the other modules' operations (the posting table of MODULES.md). Each function is called
by the owning module's service INSIDE its transaction and never commits: an entry that cannot be posted raises
a DomainError and the operation rolls back with it.

Entry lines are in PEN (the functional currency); a foreign-currency document is converted at its own rate and
the entry records the currency and rate."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Row, select, text
from sqlmodel import Session

from core.errors import ValidationError
from integrations.sunat import catalogos as cat
from models.facturacion import Comprobante, DetalleComprobante
from models.finanzas import CostoPromedio, CuentaPorCobrar, CuentaPorPagar
from models.ventas import METODOS_PAGO, Cliente, Venta
from services import facturacion_pago
from services.finanzas import plan
from services.finanzas.asientos import (
    CERO,
    Asiento,
    Movimiento,
    debe,
    haber,
    hoy,
    redondear,
    registrar,
    registrar_reversion,
    sin_ceros,
    sin_revertir,
)

SERVICIO = "ZZ"  # catálogo 03 unit of services
EXPORTACION = "40"
GRAVADO_GRATUITO = {"11", "12", "13", "14", "15", "16"}


def _caso(detalle: DetalleComprobante) -> str | None:
    """The revenue account key of a line (None: a free transfer, no revenue)."""
    codigo = detalle.afectacion_igv
    if codigo in GRAVADO_GRATUITO or codigo == "21" or (codigo.startswith("3") and codigo != "30"):
        return None
    if codigo == EXPORTACION:
        return "VENTA_EXPORTACION"
    if detalle.unidad_medida == SERVICIO:
        return "VENTA_SERVICIOS"
    return {"2": "VENTA_EXONERADA", "3": "VENTA_INAFECTA"}.get(codigo[0], "VENTA_GRAVADA")


def _ingresos(detalle: list[DetalleComprobante]) -> dict[str, Decimal]:
    """Revenue per account key, from the lines' valor de venta (the entry's balance check proves they add up
    to the document's SUNAT totals)."""
    por_caso: dict[str, Decimal] = defaultdict(lambda: CERO)
    for d in detalle:
        caso = _caso(d)
        if caso is not None:
            por_caso[caso] += Decimal(d.subtotal)
    return dict(por_caso)


def _igv_gratuito(detalle: list[DetalleComprobante], tasa: Decimal) -> Decimal:
    return redondear(sum((Decimal(d.subtotal) for d in detalle if d.afectacion_igv in GRAVADO_GRATUITO), CERO) * tasa)


@dataclass(frozen=True)
class _Conversion:
    """PEN amounts of a document at its own rate."""

    tasa: Decimal

    def pen(self, monto: Decimal) -> Decimal:
        return redondear(Decimal(monto) * self.tasa)


def contabilizar_comprobante(session: Session, comprobante: Comprobante, tasa_igv: Decimal,
                             detalle: "list[DetalleComprobante] | list[Row] | None" = None) -> int:
    """Factura/boleta/nota de débito: 1212 D total · 40111 H IGV · 4012 H ISC · 40189 H ICBPER · 70 H base;
    nota de crédito: the mirror with 7091 D. A gravado free transfer posts its IGV as the issuer's cost
    (6411 D · 40111 H). A comprobante not issued from a sale also opens its receivable. `detalle`: its lines
    as just written (else read back)."""
    if detalle is None:
        detalle = list(session.execute(select(DetalleComprobante).where(
            DetalleComprobante.comprobante_id == comprobante.id).order_by(DetalleComprobante.orden)).scalars())
    venta = session.get(Venta, comprobante.venta_id) if comprobante.venta_id else None
    sucursal_id = venta.sucursal_id if venta else None
    conv = _Conversion(Decimal(comprobante.tipo_cambio or 1) if comprobante.moneda != "PEN" else Decimal("1"))
    cuentas = plan.cuentas_operacion(session)
    credito = comprobante.tipo == cat.NOTA_CREDITO
    total = conv.pen(comprobante.total_venta)
    partes = _con_base_del_documento([(cuentas[clave], conv.pen(monto), clave)
                                      for clave, monto in _ingresos(detalle).items()], comprobante, conv)
    if credito:
        partes = [(cuentas["NOTA_CREDITO"], sum((p[1] for p in partes), CERO), "NOTA_CREDITO")]
    descuento = conv.pen(comprobante.total_descuentos)
    partes += [(cuentas["VENTA_IGV"], conv.pen(comprobante.total_igv), "VENTA_IGV"),
               (cuentas["VENTA_ISC"], conv.pen(comprobante.total_isc), "VENTA_ISC"),
               (cuentas["VENTA_ICBPER"], conv.pen(comprobante.total_icbper), "VENTA_ICBPER"),
               (cuentas["CARGO_GLOBAL"], conv.pen(comprobante.total_cargos), "CARGO_GLOBAL")]
    partes = _ajustar_redondeo(partes, total + descuento, comprobante)
    lado, contra = (debe, haber) if credito else (haber, debe)
    movimientos = [contra(cuentas["VENTA_CXC"], total, comprobante.documento),
                   contra(cuentas["DESCUENTO_GLOBAL"], descuento, "DESCUENTO_GLOBAL")]
    movimientos += [lado(cuenta, monto, clave) for cuenta, monto, clave in partes if monto]
    igv_gratuito = conv.pen(_igv_gratuito(detalle, tasa_igv))
    if igv_gratuito and not credito:
        movimientos += [debe(cuentas["VENTA_GRATUITA_IGV"], igv_gratuito, "IGV de transferencia gratuita"),
                        haber(cuentas["VENTA_IGV"], igv_gratuito, "IGV de transferencia gratuita")]
    nombre = cat.CAT_01_TIPO_DOCUMENTO.get(comprobante.tipo, comprobante.tipo)
    asiento_id = registrar(session, Asiento(
        fecha=comprobante.fecha_emision, descripcion=f"{nombre} {comprobante.documento} "
        f"{comprobante.cliente_razon_social}", referencia_tipo="COMPROBANTE", referencia_id=str(comprobante.id),
        centro_costo_id=plan.centro_de_sucursal(session, sucursal_id), moneda=comprobante.moneda,
        tipo_cambio=conv.tasa, movimientos=sin_ceros(movimientos)))
    if comprobante.venta_id is None and comprobante.tipo != cat.NOTA_CREDITO and comprobante.total_venta > 0:
        crear_cuentas_por_cobrar(session, comprobante, None, comprobante.total_venta)
    if credito:
        _aplicar_nota_credito(session, comprobante)
    return asiento_id


def _sumar_a_la_mayor(partes: list[tuple[int, Decimal, str]], diferencia: Decimal) -> list[tuple[int, Decimal, str]]:
    mayor = max(range(len(partes)), key=lambda i: partes[i][1])
    cuenta, monto, clave = partes[mayor]
    return [*partes[:mayor], (cuenta, monto + diferencia, clave), *partes[mayor + 1:]]


def _con_base_del_documento(partes: list[tuple[int, Decimal, str]], comprobante: Comprobante,
                            conv: "_Conversion") -> list[tuple[int, Decimal, str]]:
    """Global discounts 02 and charges 49 change the document's taxable base, not its lines: the difference
    between the document's bases and its lines' values is netted into the largest revenue account."""
    base = conv.pen(comprobante.total_gravada + comprobante.total_exonerada + comprobante.total_inafecta
                    + comprobante.total_exportacion)
    diferencia = base - sum((p[1] for p in partes), CERO)
    if not partes or diferencia == 0 or not comprobante.descuentos_cargos:
        return partes
    return _sumar_a_la_mayor(partes, diferencia)


def _ajustar_redondeo(partes: list[tuple[int, Decimal, str]], total: Decimal,
                      comprobante: Comprobante) -> list[tuple[int, Decimal, str]]:
    diferencia = total - sum((p[1] for p in partes), CERO)
    if diferencia == 0:
        return partes
    if comprobante.moneda == "PEN" or abs(diferencia) > Decimal("0.05"):
        # In PEN the SUNAT totals add up exactly: a difference is a calculator defect, not rounding.
        raise ValidationError(f"El comprobante {comprobante.documento} no cuadra contablemente: total "
                              f"{total} ≠ suma de base e impuestos (diferencia {diferencia})", field="total")
    return _sumar_a_la_mayor(partes, diferencia)


def anular_comprobante(session: Session, comprobante: Comprobante) -> list[int]:
    """SUNAT accepted the voiding (comunicación de baja / resumen condición 3): the comprobante's entry is
    reversed (dated today) and its open receivables cancelled; what was already collected stays as the
    customer's credit balance in 1212 (a refund). Idempotent: an entry is reversed once."""
    reversiones = [registrar_reversion(session, asiento_id, None, f"anulación de {comprobante.documento}")
                   for asiento_id in sin_revertir(session, "COMPROBANTE", str(comprobante.id))]
    for cxc in session.execute(select(CuentaPorCobrar).where(CuentaPorCobrar.comprobante_id == comprobante.id)
                               .with_for_update()).scalars():
        cxc.monto_total, cxc.saldo, cxc.saldo_pen, cxc.estado = cxc.monto_pagado, CERO, CERO, "ANULADA"
        session.add(cxc)
    session.flush()
    return reversiones


# --- receivables --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cuota:
    numero: int
    monto: Decimal
    vencimiento: date


def cuotas_de(monto: Decimal, fecha: date, dias_credito: int, cuotas: list[Cuota] | None = None,
              detraccion: bool = False) -> list[Cuota]:
    """How a credit amount falls due: the factura's instalments (cuotas_comprobante) when it has them, else one
    instalment at the customer's `dias_credito`. Under a detracción SUNAT's instalments cover the amount net of
    it (monto neto pendiente); what the customer deposits in our Banco de la Nación account is then a receivable
    of its own, due with the first instalment."""
    if not cuotas:
        return [Cuota(1, monto, fecha + timedelta(days=dias_credito))]
    retenido = monto - sum((c.monto for c in cuotas), CERO)
    if retenido < 0 or (retenido > 0 and not detraccion):
        raise ValidationError(f"Las cuotas deben sumar el monto al crédito ({monto})", field="cuotas")
    if retenido:
        return [*cuotas, Cuota(len(cuotas) + 1, retenido, min(c.vencimiento for c in cuotas))]
    return cuotas


def crear_cuentas_por_cobrar(session: Session, comprobante: Comprobante, cliente: Cliente | None,
                             monto: Decimal, venta_id: int | None = None) -> list[CuentaPorCobrar]:
    """One receivable per instalment of the comprobante (its cuotas_comprobante, already written in this
    transaction), or one at the customer's días de crédito."""
    if cliente is None:
        cliente = session.execute(select(Cliente).where(
            Cliente.tipo_doc == comprobante.cliente_tipo_doc,
            Cliente.numero_doc == comprobante.cliente_numero_doc)).scalar_one_or_none()
    dias = cliente.dias_credito if cliente else 0
    tasa = Decimal(comprobante.tipo_cambio or 1) if comprobante.moneda != "PEN" else Decimal("1")
    del_comprobante = [Cuota(q.numero, Decimal(q.monto), q.fecha_vencimiento)
                       for q in facturacion_pago.cuotas(session, comprobante.id)]
    filas = [CuentaPorCobrar(
        cliente_id=cliente.id if cliente else None, cliente_numero_doc=comprobante.cliente_numero_doc,
        cliente_razon_social=comprobante.cliente_razon_social, comprobante_id=comprobante.id, venta_id=venta_id,
        documento=comprobante.documento, cuota=c.numero, moneda=comprobante.moneda,
        tipo_cambio=tasa, monto_total=c.monto, monto_pagado=CERO, saldo=c.monto, saldo_pen=redondear(c.monto * tasa),
        fecha_emision=comprobante.fecha_emision, fecha_vencimiento=c.vencimiento)
        for c in cuotas_de(monto, comprobante.fecha_emision, dias, del_comprobante,
                           detraccion=comprobante.detraccion_codigo is not None)]
    repartir_valor_en_libros(filas, redondear(monto * tasa))
    session.add_all(filas)
    session.flush()
    return filas


def repartir_valor_en_libros(filas: list[CuentaPorCobrar] | list[CuentaPorPagar], total_pen: Decimal) -> None:
    """Instalments rounded one by one may not add up to the entry's 1212 debit (4212 credit): the last carries
    the cent."""
    filas[-1].saldo_pen += total_pen - sum((f.saldo_pen for f in filas), CERO)


def _aplicar_nota_credito(session: Session, nota: Comprobante) -> None:
    """A credit note lowers what the customer still owes on the document it modifies (earliest instalment
    due first, as collections). What exceeds the open balance stays as the customer's credit balance in 1212
    (a refund)."""
    restante = nota.total_venta
    abiertas = session.execute(select(CuentaPorCobrar).where(
        CuentaPorCobrar.comprobante_id == nota.comprobante_origen_id, CuentaPorCobrar.saldo > 0)
        .order_by(CuentaPorCobrar.fecha_vencimiento, CuentaPorCobrar.cuota).with_for_update()).scalars()
    for cxc in abiertas:
        if restante <= 0:
            break
        aplicado = min(restante, cxc.saldo)
        cxc.saldo_pen -= valor_en_libros(cxc, aplicado)
        cxc.monto_total -= aplicado
        cxc.saldo -= aplicado
        cxc.estado = estado_de(cxc.saldo, cxc.monto_pagado, cxc.fecha_vencimiento)
        restante -= aplicado
        session.add(cxc)
    session.flush()


def valor_en_libros(documento: CuentaPorCobrar | CuentaPorPagar, parte: Decimal) -> Decimal:
    """PEN book value of `parte` of a document's open balance; the last part relieves exactly what is left."""
    if parte == documento.saldo:
        return documento.saldo_pen
    return redondear(documento.saldo_pen * parte / documento.saldo)


def estado_de(saldo: Decimal, pagado: Decimal, vencimiento: date) -> str:
    if saldo == 0:
        return "PAGADA"
    if vencimiento < hoy():
        return "VENCIDA"
    return "PARCIAL" if pagado > 0 else "PENDIENTE"


# --- the sale: its cash collection, its receivable, its cost --------------------------------------------------


def contabilizar_venta(session: Session, venta: Venta, detalle: list[Row], pagos: list[Row],
                       cliente: Cliente | None) -> int | None:
    """Called by services.ventas.registrar after the comprobante: the cash part is collected on the spot
    (101/1041 D · 1212 H), the credit part becomes cuentas_por_cobrar, and the goods leave at the warehouse's
    weighted average cost (6911 D · 20111 H). One entry."""
    cuentas = plan.cuentas_operacion(session)
    comprobante = session.get(Comprobante, venta.comprobante_id)
    movimientos: list[Movimiento] = []
    contado = CERO
    for pago in pagos:
        if METODOS_PAGO[pago.metodo][2]:
            continue
        movimientos.append(debe(cuentas[f"TESORERIA_{pago.metodo}"], pago.monto, f"Cobro {pago.metodo}"))
        contado += pago.monto
    if contado:
        movimientos.append(haber(cuentas["VENTA_CXC"], contado, comprobante.documento))
    credito = sum((p.monto for p in pagos if METODOS_PAGO[p.metodo][2]), CERO)
    if credito:
        crear_cuentas_por_cobrar(session, comprobante, cliente, credito, venta.id)
    costo = costo_de_salida(session, venta.almacen_id, [(d.producto_id, Decimal(d.cantidad)) for d in detalle])
    if costo:
        movimientos += [debe(cuentas["COSTO_VENTA"], costo, "Costo de ventas"),
                        haber(cuentas["MERCADERIAS"], costo, "Salida de mercaderías")]
    if not movimientos:
        return None
    return registrar(session, Asiento(
        fecha=comprobante.fecha_emision, descripcion=f"Venta {venta.id} ({comprobante.documento}): cobro y costo",
        referencia_tipo="VENTA", referencia_id=str(venta.id),
        centro_costo_id=plan.centro_de_sucursal(session, venta.sucursal_id), usuario_id=venta.usuario_id,
        movimientos=movimientos))


# --- weighted average cost ----------------------------------------------------------------------------------

# Every product of an exit in one statement. The rows are locked in product-id order first (the order the
# sale's stock UPDATEs take), so two exits of overlapping products wait for each other instead of deadlocking.
_SALIDA_COSTO = text("""
    WITH salidas AS (
        SELECT * FROM unnest(CAST(:p AS integer[]), CAST(:q AS numeric[])) AS s(producto_id, cantidad)
    ), bloqueadas AS (
        SELECT c.producto_id FROM costos_promedio c JOIN salidas USING (producto_id)
        WHERE c.almacen_id = :a ORDER BY c.producto_id FOR UPDATE OF c
    )
    UPDATE costos_promedio c SET cantidad = c.cantidad - s.cantidad, updated_at = now()
    FROM salidas s JOIN bloqueadas b USING (producto_id)
    WHERE c.producto_id = s.producto_id AND c.almacen_id = :a
    RETURNING c.costo_unitario, s.cantidad
""")

# The one weighted-average rule: value :v added with quantity :q (a costed entry: q units worth q × c; a landed
# cost: value only, q = 0) over what the warehouse holds; with nothing held, the entry's own unit cost.
_SUMAR_VALOR = text("""
    INSERT INTO costos_promedio (producto_id, almacen_id, cantidad, costo_unitario, updated_at)
    VALUES (:p, :a, :q, :c, now())
    ON CONFLICT (producto_id, almacen_id) DO UPDATE SET
        costo_unitario = CASE WHEN costos_promedio.cantidad + EXCLUDED.cantidad > 0 AND costos_promedio.cantidad > 0
            THEN round((costos_promedio.cantidad * costos_promedio.costo_unitario + :v)
                       / (costos_promedio.cantidad + EXCLUDED.cantidad), 6)
            ELSE EXCLUDED.costo_unitario END,
        cantidad = costos_promedio.cantidad + EXCLUDED.cantidad, updated_at = now()
    RETURNING costo_unitario
""")
_EN_ALMACEN = text("""
    SELECT cantidad, costo_unitario FROM costos_promedio WHERE producto_id = :p AND almacen_id = :a FOR UPDATE
""")


def costo_de_salida(session: Session, almacen_id: int, salidas: list[tuple[int, Decimal]]) -> Decimal:
    """The cost of goods leaving a warehouse at its current weighted average (the average does not change on
    an exit). Products never costed (no costed entry yet) cost 0 and post nothing."""
    por_producto: dict[int, Decimal] = defaultdict(lambda: CERO)
    for producto_id, cantidad in salidas:
        por_producto[producto_id] += cantidad
    if not por_producto:
        return CERO
    productos = sorted(por_producto)
    filas = session.execute(_SALIDA_COSTO, {"p": productos, "q": [por_producto[p] for p in productos],
                                            "a": almacen_id})
    return redondear(sum((Decimal(f.costo_unitario) * Decimal(f.cantidad) for f in filas), CERO))


def registrar_ingreso_costeado(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal,
                               costo_unitario: Decimal, referencia: str, usuario_id: int | None,
                               sucursal_id: int | None, fecha: date) -> tuple[Decimal, int]:
    """A goods entry at a known (landed) unit cost: moves the weighted average and posts 20111 D · 6111 H.
    Returns the new average and the entry id."""
    promedio = session.execute(_SUMAR_VALOR, {"p": producto_id, "a": almacen_id, "q": cantidad,
                                              "c": costo_unitario, "v": cantidad * costo_unitario}).scalar_one()
    cuentas = plan.cuentas_operacion(session)
    importe = redondear(cantidad * costo_unitario)
    asiento_id = registrar(session, Asiento(
        fecha=fecha, descripcion=f"Ingreso al almacén {referencia}", referencia_tipo="INGRESO_ALMACEN",
        referencia_id=referencia[:40], centro_costo_id=plan.centro_de_sucursal(session, sucursal_id),
        usuario_id=usuario_id, movimientos=[debe(cuentas["MERCADERIAS"], importe, "Ingreso de mercaderías"),
                                            haber(cuentas["VARIACION_EXISTENCIAS"], importe, "Variación")]))
    return Decimal(promedio), asiento_id


@dataclass(frozen=True)
class CostoAdicional:
    """A landed cost (PEN) that belongs to `cantidad` units of a product received into a warehouse."""

    producto_id: int
    almacen_id: int
    importe: Decimal
    cantidad: Decimal


@dataclass(frozen=True)
class Capitalizacion:
    capitalizado: Decimal  # into the average cost of the units still held (20111)
    a_costo_venta: Decimal  # of the units already gone (6911)
    costo_unitario: Decimal | None  # the new average (None: nothing held)


def capitalizar_costos_vinculados(session: Session, partes: list[CostoAdicional], referencia: str,
                                  usuario_id: int | None, sucursal_id: int | None,
                                  fecha: date) -> tuple[list[Capitalizacion], int | None]:
    """Logistics costs (6091, posted with their invoice) into the landed cost: while the warehouse holds at
    least the units a cost belongs to, all of it raises their weighted average; when some already left (sold,
    transferred), their share goes to cost of sales. One entry: 20111 D · 6911 D · 6111 H (variación).
    Returns one Capitalizacion per part and the entry id (None when every part is 0)."""
    cuentas = plan.cuentas_operacion(session)
    resultado = []
    for parte in partes:
        fila = session.execute(_EN_ALMACEN, {"p": parte.producto_id, "a": parte.almacen_id}).first()
        en_almacen = max(CERO, Decimal(fila.cantidad)) if fila else CERO
        capitalizado = parte.importe if en_almacen >= parte.cantidad else (
            redondear(parte.importe * en_almacen / parte.cantidad) if parte.cantidad > 0 else CERO)
        promedio = None
        if capitalizado:
            promedio = Decimal(session.execute(_SUMAR_VALOR, {
                "p": parte.producto_id, "a": parte.almacen_id, "q": CERO, "c": fila.costo_unitario,
                "v": capitalizado}).scalar_one())
        resultado.append(Capitalizacion(capitalizado, parte.importe - capitalizado, promedio))
    capitalizado = sum((c.capitalizado for c in resultado), CERO)
    a_costo_venta = sum((c.a_costo_venta for c in resultado), CERO)
    if not capitalizado + a_costo_venta:
        return resultado, None
    asiento_id = registrar(session, Asiento(
        fecha=fecha, descripcion=f"Costos vinculados {referencia} al costo de las mercaderías",
        referencia_tipo="COSTO_VINCULADO", referencia_id=referencia[:40],
        centro_costo_id=plan.centro_de_sucursal(session, sucursal_id), usuario_id=usuario_id,
        movimientos=sin_ceros([debe(cuentas["MERCADERIAS"], capitalizado, "Costo vinculado en existencias"),
                               debe(cuentas["COSTO_VENTA"], a_costo_venta, "Costo vinculado de unidades vendidas"),
                               haber(cuentas["VARIACION_EXISTENCIAS"], capitalizado + a_costo_venta, "Variación")])))
    return resultado, asiento_id


def costo_promedio(session: Session, producto_id: int, almacen_id: int) -> CostoPromedio | None:
    return session.get(CostoPromedio, (producto_id, almacen_id))

"""Notas de crédito and débito, bounded by what the original document invoiced, line by line.

- Every line of a note points at the line of the original it modifies (`detalle_origen_id`). Per line, the
  value the live credit notes credit (cantidad × valor unitario, exact, before rounding) never passes the value
  invoiced, and the quantity they return (motivos 01, 02, 06, 07) never passes the quantity invoiced.
- Motivos 01/02 (anulación de la operación, anulación por error en el RUC) and 06 (devolución total) credit
  everything still creditable, line by line; a live 01/02 note closes the document for any further note.
- "Live" = not rejected by SUNAT and not voided: a RECHAZADO or ANULADO note gives its balance back, with
  nothing to undo, because balances are always summed from the notes themselves.
- The original's row is locked (SELECT ... FOR UPDATE) from reading its balance until the note is written
  and committed, so two notes racing against one document are decided one after the other.
- Debit notes add charges: they are not bounded, but a document closed by an anulación takes none.
- A line of the original priced with IGV (precio_incluye_igv) is credited at that same price (its discount
  folded into the net unit price, as notes carry no line allowances, and its plastic bags kept), so the note
  credits exactly what the customer paid for it; a note line may
  give ``precio_unitario`` (con IGV) instead of ``valor_unitario``, its value without IGV counted by the one
  calculator (services/calculo).
"""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import case, func, select
from sqlmodel import Session

from core.errors import Conflict, FieldError, NotFound, UnprocessableError, ValidationError
from integrations.sunat import catalogos as cat
from integrations.sunat import documento as doc
from integrations.sunat.totales import Tasas, calcular_linea
from models.facturacion import Comprobante, DetalleComprobante, EstadoComprobante, ModoEmision
from services import calculo
from services.facturacion import ClienteDatos, LineaDatos, _registrar, detalle, exigir_texto

SERIES_NOTAS = {("07", "01"): "FC01", ("08", "01"): "FD01", ("07", "03"): "BC01", ("08", "03"): "BD01"}
CATALOGO_MOTIVOS = {"07": cat.CAT_09_TIPO_NOTA_CREDITO, "08": cat.CAT_10_TIPO_NOTA_DEBITO}
MOTIVOS_ANULACION = frozenset({"01", "02"})  # credit the whole document and close it
MOTIVOS_TOTALES = MOTIVOS_ANULACION | {"06"}  # credit everything still creditable; no lines in the request
MOTIVOS_DEVOLUCION = MOTIVOS_TOTALES | {"07"}  # goods come back: the quantity counts against the invoiced one
NO_VIVAS = (EstadoComprobante.RECHAZADO, EstadoComprobante.ANULADO)
CERO = Decimal("0")
CENTIMO = Decimal("0.01")
DECIMALES_VALOR = Decimal("0.0000000001")  # detalle_comprobante.valor_unitario: NUMERIC(22, 10)


@dataclass
class LineaNota:
    """A line of a note as requested. `linea_origen` is the `orden` of the original's line; what is not given
    comes from that line (credit notes: the quantity still returnable and the original unit value). A debit
    note line without `linea_origen` is a new charge and gives every field."""

    linea_origen: int | None = None
    cantidad: Decimal | None = None
    valor_unitario: Decimal | None = None
    precio_unitario: Decimal | None = None  # con IGV, instead of valor_unitario
    descripcion: str | None = None
    codigo_producto: str | None = None
    unidad_medida: str | None = None
    afectacion_igv: str | None = None


@dataclass
class DatosNota:
    tipo: str  # 07 | 08
    comprobante_origen_id: int
    motivo_codigo: str
    motivo_descripcion: str
    lineas: list[LineaNota] = field(default_factory=list)  # motivos 01, 02, 06: empty (everything creditable)


@dataclass
class SaldoLinea:
    """What the live credit notes took from one line of the original."""

    detalle: DetalleComprobante
    cantidad_devuelta: Decimal = CERO
    valor_acreditado: Decimal = CERO  # sin IGV, exact (cantidad × valor unitario of each note line)

    @property
    def cantidad_por_devolver(self) -> Decimal:
        return Decimal(self.detalle.cantidad) - self.cantidad_devuelta

    @property
    def valor_por_acreditar(self) -> Decimal:
        return Decimal(self.detalle.cantidad) * Decimal(self.detalle.valor_unitario) - self.valor_acreditado


@dataclass
class SaldoCredito:
    """A factura's or boleta's credited balance (importe total of its live credit notes)."""

    total_venta: Decimal
    total_acreditado: Decimal = Decimal("0.00")
    anulado: bool = False  # a live anulación (motivo 01/02) closed it

    @property
    def saldo_por_acreditar(self) -> Decimal:
        return self.total_venta - self.total_acreditado

    @property
    def cerrado_para_credito(self) -> bool:
        return self.anulado or self.saldo_por_acreditar <= 0


# --- balances -------------------------------------------------------------------------------------


def _viva(nota: type[Comprobante] = Comprobante) -> object:
    return (nota.tipo == cat.NOTA_CREDITO) & nota.estado_sunat.not_in(NO_VIVAS)


def saldos(session: Session, comprobantes: list[Comprobante]) -> dict[int, SaldoCredito]:
    """Credited balance of each factura/boleta among `comprobantes` (notes have none), in one query."""
    origenes = {c.id: c for c in comprobantes if c.tipo in (cat.FACTURA, cat.BOLETA)}
    resultado = {cid: SaldoCredito(Decimal(c.total_venta)) for cid, c in origenes.items()}
    if not origenes:
        return resultado
    filas = session.execute(
        select(Comprobante.comprobante_origen_id, func.sum(Comprobante.total_venta),
               func.bool_or(Comprobante.motivo_codigo.in_(MOTIVOS_ANULACION)))
        .where(Comprobante.comprobante_origen_id.in_(origenes), _viva())
        .group_by(Comprobante.comprobante_origen_id))
    for origen_id, acreditado, anulado in filas:
        resultado[origen_id].total_acreditado, resultado[origen_id].anulado = Decimal(acreditado), bool(anulado)
    return resultado


def saldos_por_linea(session: Session, origen_id: int) -> list[SaldoLinea]:
    """Each line of the original with what the live credit notes returned and credited from it."""
    lineas = {d.id: SaldoLinea(d) for d in detalle(session, origen_id)}
    devuelto = case((Comprobante.motivo_codigo.in_(MOTIVOS_DEVOLUCION), DetalleComprobante.cantidad), else_=CERO)
    filas = session.execute(
        select(DetalleComprobante.detalle_origen_id, func.sum(devuelto),
               func.sum(DetalleComprobante.cantidad * DetalleComprobante.valor_unitario))
        .join(Comprobante, Comprobante.id == DetalleComprobante.comprobante_id)
        .where(Comprobante.comprobante_origen_id == origen_id, _viva(),
               DetalleComprobante.detalle_origen_id.is_not(None))
        .group_by(DetalleComprobante.detalle_origen_id))
    for detalle_id, cantidad, valor in filas:
        lineas[detalle_id].cantidad_devuelta, lineas[detalle_id].valor_acreditado = Decimal(cantidad), Decimal(valor)
    return list(lineas.values())


# --- validation -----------------------------------------------------------------------------------


def _validar_motivo(datos: DatosNota) -> None:
    if datos.tipo not in CATALOGO_MOTIVOS:
        raise ValidationError("Tipo de nota debe ser 07 (crédito) o 08 (débito)", field="tipo")
    if datos.motivo_codigo not in CATALOGO_MOTIVOS[datos.tipo]:
        catalogo = "09" if datos.tipo == cat.NOTA_CREDITO else "10"
        raise ValidationError(f"Motivo no válido (catálogo {catalogo})", field="motivo_codigo")
    if not datos.motivo_descripcion.strip():
        raise ValidationError("Descripción del motivo requerida", field="motivo_descripcion")
    exigir_texto(motivo_descripcion=datos.motivo_descripcion)


def _origen_bloqueado(session: Session, datos: DatosNota) -> Comprobante:
    """The original document, locked until the note commits (notes against it are decided one by one)."""
    origen = session.execute(select(Comprobante).where(Comprobante.id == datos.comprobante_origen_id)
                             .with_for_update().execution_options(populate_existing=True)).scalars().first()
    if origen is None or origen.tipo not in (cat.FACTURA, cat.BOLETA):
        raise NotFound("Comprobante de origen no encontrado", field="comprobante_origen_id")
    if origen.estado_sunat not in (EstadoComprobante.ACEPTADO, EstadoComprobante.OBSERVADO):
        raise Conflict("Solo se emiten notas sobre comprobantes aceptados por SUNAT",
                       field="comprobante_origen_id")
    return origen


def _rechazar(errores: list[FieldError]) -> None:
    if errores:
        raise UnprocessableError(errores[0].message, errors=errores)


def _linea_de(s: SaldoLinea, cantidad: Decimal, valor_unitario: Decimal | None, descripcion: str | None,
              precio_unitario: Decimal | None = None) -> LineaDatos:
    """A note line on the original's line. At the original's own unit value, a line that was priced with IGV is
    credited at its price (discount prorated, bags kept): what the customer paid, not a recomputed IGV."""
    d = s.detalle
    mismo_unitario = precio_unitario is None and valor_unitario == d.valor_unitario
    if mismo_unitario and Decimal(d.descuento):
        # A note line carries no discount (SUNAT's notes have no line allowances): the original's net unit amount.
        neto = Decimal(d.total) - Decimal(d.icbper) if d.precio_incluye_igv else Decimal(d.subtotal)
        unitario = (neto / Decimal(d.cantidad)).quantize(DECIMALES_VALOR)
        valor_unitario, precio_unitario = (None, unitario) if d.precio_incluye_igv else (unitario, None)
    elif mismo_unitario and d.precio_incluye_igv:
        valor_unitario, precio_unitario = None, Decimal(d.precio_unitario)
    return LineaDatos(codigo_producto=d.codigo_producto, descripcion=descripcion or d.descripcion, cantidad=cantidad,
                      valor_unitario=valor_unitario, precio_unitario=precio_unitario,
                      icbper_cantidad=int(cantidad) if d.icbper_cantidad and cantidad == int(cantidad) else 0,
                      unidad_medida=d.unidad_medida, afectacion_igv=d.afectacion_igv, detalle_origen_id=d.id)


def _valor_sin_igv(pedida: LineaNota, cantidad: Decimal, d: DetalleComprobante, tasas: Tasas) -> Decimal:
    """The value without IGV a line given with precio_unitario credits (the calculator's base)."""
    linea = doc.Linea(d.codigo_producto, d.descripcion, cantidad, precio_unitario=pedida.precio_unitario,
                      afectacion_igv=d.afectacion_igv)
    return calcular_linea(linea, tasas).valor_venta


def _todo_lo_acreditable(origen: Comprobante, lineas: list[SaldoLinea]) -> list[LineaDatos]:
    """Motivos 01, 02, 06: one line per original line with value left (its unreturned quantity, or the whole
    quantity when only value is left, at the unit value that credits exactly what is left)."""
    salida = []
    for s in lineas:
        if s.valor_por_acreditar.quantize(CENTIMO, ROUND_DOWN) <= 0:
            continue
        if s.valor_acreditado == 0:
            salida.append(_linea_de(s, Decimal(s.detalle.cantidad), Decimal(s.detalle.valor_unitario), None))
            continue
        cantidad = s.cantidad_por_devolver if s.cantidad_por_devolver > 0 else Decimal(s.detalle.cantidad)
        unitario = Decimal(s.detalle.valor_unitario)
        if abs(s.valor_por_acreditar - cantidad * unitario) < CENTIMO:  # only whole units were returned so far
            salida.append(_linea_de(s, cantidad, unitario, None))  # at the original unit value (or price)
            continue
        valor = (s.valor_por_acreditar / cantidad).quantize(DECIMALES_VALOR, ROUND_DOWN)
        salida.append(_linea_de(s, cantidad, valor, None))
    if not salida:
        raise Conflict(f"{origen.documento} ya fue acreditado por completo", field="comprobante_origen_id")
    return salida


def _distinto_del_origen(i: int, pedida: LineaNota, d: DetalleComprobante) -> list[FieldError]:
    """A credit line may restate the original's code, unit and tax treatment, never change them."""
    return [FieldError(f"lineas.{i}.{campo}", f"La línea {d.orden} de origen tiene {campo} {getattr(d, campo)}")
            for campo in ("codigo_producto", "unidad_medida", "afectacion_igv")
            if getattr(pedida, campo) is not None and getattr(pedida, campo) != getattr(d, campo)]


def _acotar(i: int, s: SaldoLinea, cantidad: Decimal, valor: Decimal, devuelve: bool) -> list[FieldError]:
    """The line against what is left of the original's line; `s` already holds this note's earlier lines."""
    d, errores = s.detalle, []
    if devuelve and cantidad > s.cantidad_por_devolver:
        errores.append(FieldError(
            f"lineas.{i}.cantidad", f"La línea {d.orden} ({d.descripcion}) admite devolver "
            f"{_cifra(s.cantidad_por_devolver)} (facturado {_cifra(d.cantidad)}, "
            f"devuelto {_cifra(s.cantidad_devuelta)})"))
    if valor > s.valor_por_acreditar:
        errores.append(FieldError(
            f"lineas.{i}.valor_unitario", f"La línea {d.orden} ({d.descripcion}) admite acreditar "
            f"{s.valor_por_acreditar.quantize(CENTIMO, ROUND_DOWN)} sin IGV; esta línea acredita "
            f"{valor.quantize(CENTIMO)}"))
    return errores


def _cifra(valor: Decimal) -> str:
    return f"{Decimal(valor).normalize():f}"


def _lineas_credito(datos: DatosNota, origen: Comprobante, lineas: list[SaldoLinea],
                    tasas: Tasas) -> list[LineaDatos]:
    if datos.motivo_codigo in MOTIVOS_TOTALES:
        if datos.lineas:
            raise UnprocessableError(f"El motivo {datos.motivo_codigo} acredita todo el saldo de "
                                     f"{origen.documento}: no indique líneas", field="lineas")
        return _todo_lo_acreditable(origen, lineas)
    if not datos.lineas:
        raise UnprocessableError("Indique las líneas del comprobante que la nota acredita (linea_origen)",
                                 field="lineas")
    por_orden = {s.detalle.orden: s for s in lineas}
    devuelve = datos.motivo_codigo in MOTIVOS_DEVOLUCION
    salida, errores = [], []
    for i, pedida in enumerate(datos.lineas):
        s = por_orden.get(pedida.linea_origen) if pedida.linea_origen is not None else None
        if s is None:
            errores.append(FieldError(f"lineas.{i}.linea_origen", f"Indique una línea de {origen.documento} "
                                      f"(1 a {len(lineas)}) que la nota acredita"))
            continue
        cantidad = pedida.cantidad if pedida.cantidad is not None else (
            s.cantidad_por_devolver if devuelve else Decimal(s.detalle.cantidad))
        valor_unitario = Decimal(s.detalle.valor_unitario if pedida.valor_unitario is None else pedida.valor_unitario)
        if cantidad <= 0:
            errores.append(FieldError(f"lineas.{i}.cantidad", f"La línea {s.detalle.orden} ya fue devuelta"))
            continue
        if pedida.precio_unitario is not None and pedida.valor_unitario is not None:
            errores.append(FieldError(f"lineas.{i}.precio_unitario", "Indique valor_unitario (sin IGV) o "
                                      "precio_unitario (con IGV), uno de los dos"))
            continue
        valor = (cantidad * valor_unitario if pedida.precio_unitario is None
                 else _valor_sin_igv(pedida, cantidad, s.detalle, tasas))
        errores += _distinto_del_origen(i, pedida, s.detalle) + _acotar(i, s, cantidad, valor, devuelve)
        s.cantidad_devuelta += cantidad if devuelve else CERO  # a line named twice counts twice
        s.valor_acreditado += valor
        salida.append(_linea_de(s, cantidad, None if pedida.precio_unitario is not None else valor_unitario,
                                pedida.descripcion, pedida.precio_unitario))
    _rechazar(errores)
    return salida


def _lineas_debito(datos: DatosNota, lineas: list[SaldoLinea]) -> list[LineaDatos]:
    if not datos.lineas:
        raise UnprocessableError("Indique las líneas que la nota de débito cobra", field="lineas")
    por_orden = {s.detalle.orden: s for s in lineas}
    salida, errores = [], []
    for i, pedida in enumerate(datos.lineas):
        faltan = ["valor_unitario"] if pedida.valor_unitario is None and pedida.precio_unitario is None else []
        if pedida.linea_origen is not None:
            if (s := por_orden.get(pedida.linea_origen)) is None:
                errores.append(FieldError(f"lineas.{i}.linea_origen", f"No existe la línea {pedida.linea_origen}"))
            elif not faltan:
                salida.append(_linea_de(s, pedida.cantidad or Decimal(s.detalle.cantidad), pedida.valor_unitario,
                                        pedida.descripcion, pedida.precio_unitario))
            errores += [FieldError(f"lineas.{i}.{c}", "Requerido") for c in faltan]
            continue
        faltan += [c for c in ("codigo_producto", "descripcion", "cantidad") if getattr(pedida, c) is None]
        errores += [FieldError(f"lineas.{i}.{c}", "Requerido en una línea sin linea_origen") for c in faltan]
        if not faltan:
            salida.append(LineaDatos(pedida.codigo_producto, pedida.descripcion, pedida.cantidad,
                                     pedida.valor_unitario, pedida.unidad_medida or "NIU",
                                     pedida.afectacion_igv,  # None: 10, or 40 on an export
                                     precio_unitario=pedida.precio_unitario))
    _rechazar(errores)
    return salida


# --- issuing --------------------------------------------------------------------------------------


def emitir_nota(session: Session, datos: DatosNota) -> Comprobante:
    """POST /api/facturacion/notas/: nota de crédito (catálogo 09) or débito (catálogo 10). One transaction,
    with the original document locked throughout."""
    _validar_motivo(datos)
    origen = _origen_bloqueado(session, datos)
    if saldos(session, [origen])[origen.id].anulado:
        raise Conflict(f"{origen.documento} fue anulado por una nota de crédito: no admite más notas",
                       field="comprobante_origen_id")
    lineas_origen = saldos_por_linea(session, origen.id)
    if datos.tipo == cat.NOTA_CREDITO:
        lineas = _lineas_credito(datos, origen, lineas_origen, calculo.tasas(session))
    else:
        lineas = _lineas_debito(datos, lineas_origen)
    cliente = ClienteDatos(origen.cliente_tipo_doc, origen.cliente_numero_doc, origen.cliente_razon_social,
                           origen.cliente_direccion, origen.cliente_email, origen.cliente_pais)
    modo = ModoEmision.INDIVIDUAL if origen.tipo == cat.FACTURA else ModoEmision.RESUMEN
    nota = _registrar(session, datos.tipo, SERIES_NOTAS[(datos.tipo, origen.tipo)], cliente, lineas,
                      origen.moneda, origen.tipo_cambio, modo, origen=origen,
                      motivo=(datos.motivo_codigo, datos.motivo_descripcion),
                      globales=origen.descuentos_cargos if datos.motivo_codigo in MOTIVOS_TOTALES else [])
    session.commit()
    return nota

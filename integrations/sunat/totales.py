"""Tax and totals calculator for SUNAT documents.

``calcular(comprobante) -> Totales`` computes, per line: valor de venta, ISC, IGV/IVAP (or the IGV of a free
transfer), ICBPER and the unit price with taxes; per document: the base and amount per tributo (catálogo 05),
discounts/charges (catálogo 53), the LegalMonetaryTotal amounts, detracción and legends (catálogo 52).

Rules:
- Totals and every amount written as a 2-decimal UBL amount use ROUND_HALF_UP at 2 decimals.
  Unit prices keep up to 10 decimals (SUNAT's n(12,10)).
- Rates come from the Comprobante (``tasa_igv``, ``tasa_ivap``, ``tarifa_icbper``); nothing is hard-coded.
- Line discounts/charges that affect the base (00 / 47) change the line's valor de venta; 01 / 48 don't, and
  like the global 03 / 50 they only change the amount payable (AllowanceTotalAmount / ChargeTotalAmount, SUNAT
  rules 4307 / 4308). Global 02 discounts and 49 charges change the gravado base; the IGV is the lines' IGV plus
  (49 − 02) × rate, exactly SUNAT's 4290 formula.
- A line takes ``valor_unitario`` (sin IGV) or ``precio_unitario`` (con IGV/IVAP, the shelf price). With a price
  the line total is price × quantity − descuento to the céntimo; base = total / (1 + rate) and IGV = total − base
  (within half a céntimo of base × rate, SUNAT 3103), valor unitario = base before discount / quantity at up to 10
  decimals (quantity × valor unitario − descuento = base, 4288/3271). ``descuento`` is written as a line 00
  allowance, so the list price stays on the document.
- Advances (anticipos: global 04, PrepaidAmount, cac:PrepaidPayment with the advance's document) are not
  supported and are refused, rather than written in a form SUNAT would observe or reject.
- ISC: sistema 01 = valor de venta × tasa; 02 = cantidad × monto fijo (Percent = the effective rate);
  03 = (cantidad × precio de venta al público / (1 + IGV)) × tasa, that net price being the ISC base.
  In every case base × Percent = ISC (SUNAT 3108). The IGV base of a gravado line is valor de venta + ISC.
- Gratuitas (07: 11-16, 21, 31-37): valor referencial as LineExtensionAmount, nothing charged; 11-16 carry
  the IGV that would apply (tributo 9996), informative only.
- Detracción amount is in PEN rounded to whole soles (SUNAT deposits have no cents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

from integrations.sunat import catalogos as cat
from integrations.sunat.documento import (
    ICBPER_TARIFA_DEFAULT,
    IGV_TASA_DEFAULT,
    IVAP_TASA_DEFAULT,
    Comprobante,
    DescuentoCargo,
    Linea,
)

CENTIMO = Decimal("0.01")
UNIDAD_PRECIO = Decimal("0.0000000001")  # 10 decimals
TASA = Decimal("0.00001")  # Percent: SUNAT's n(3,5)
CIEN = Decimal("100")
CERO = Decimal("0")
ANTICIPO = "04"  # catálogo 53: global discount for advances


def redondear(valor: Decimal, exp: Decimal = CENTIMO) -> Decimal:
    return valor.quantize(exp, rounding=ROUND_HALF_UP)


def redondear_precio(valor: Decimal) -> Decimal:
    """Unit values: up to 10 decimals, trailing zeros trimmed but at least 2 decimals."""
    q = redondear(valor, UNIDAD_PRECIO).normalize()
    if q.as_tuple().exponent > -2:  # type: ignore[operator]
        q = q.quantize(CENTIMO)
    return q


@dataclass
class DescuentoCargoCalculado:
    codigo: str
    es_cargo: bool
    afecta_base: bool
    factor: Decimal
    monto: Decimal
    base: Decimal


@dataclass
class TotalesLinea:
    valor_venta: Decimal  # LineExtensionAmount
    tributo: str  # catálogo 05 of the main TaxSubtotal (1000, 1016, 9995, 9996, 9997, 9998)
    base_igv: Decimal  # TaxableAmount of the main TaxSubtotal
    igv: Decimal  # TaxAmount of the main TaxSubtotal (IGV, IVAP or the informative IGV of gratuitas)
    porcentaje: Decimal  # Percent of the main TaxSubtotal (18, 4 or 0)
    isc_base: Decimal
    isc: Decimal
    isc_porcentaje: Decimal
    icbper: Decimal
    total_impuestos: Decimal  # line TaxTotal/TaxAmount
    precio_unitario: Decimal  # with taxes (PriceTypeCode 01); 0 for gratuitas
    valor_referencial: Decimal | None  # PriceTypeCode 02, only gratuitas
    valor_unitario: Decimal  # cac:Price/PriceAmount (0 for gratuitas)
    es_gratuita: bool
    descuentos_cargos: list[DescuentoCargoCalculado] = field(default_factory=list)


@dataclass
class TotalTributo:
    codigo: str  # catálogo 05
    base: Decimal
    monto: Decimal

    @property
    def tributo(self) -> cat.Tributo:
        return cat.CAT_05_TRIBUTO[self.codigo]


@dataclass
class Totales:
    lineas: list[TotalesLinea]
    tributos: list[TotalTributo]
    descuentos_cargos: list[DescuentoCargoCalculado]
    gravado: Decimal
    ivap_base: Decimal
    exonerado: Decimal
    inafecto: Decimal
    exportacion: Decimal
    gratuito: Decimal
    igv: Decimal
    ivap: Decimal
    isc: Decimal
    icbper: Decimal
    igv_gratuito: Decimal
    valor_venta: Decimal  # LegalMonetaryTotal/LineExtensionAmount
    total_impuestos: Decimal  # TaxTotal/TaxAmount
    precio_venta: Decimal  # TaxInclusiveAmount
    descuentos: Decimal  # AllowanceTotalAmount
    cargos: Decimal  # ChargeTotalAmount
    redondeo: Decimal  # PayableRoundingAmount
    importe_total: Decimal  # PayableAmount
    monto_detraccion: Decimal  # PEN
    monto_neto_pendiente: Decimal  # amount of FormaPago Credito
    leyendas: list[tuple[str, str]]

    def tributo(self, codigo: str) -> TotalTributo | None:
        return next((t for t in self.tributos if t.codigo == codigo), None)


def _calcular_descuento(dc: DescuentoCargo, base_default: Decimal) -> DescuentoCargoCalculado:
    tipo = cat.CAT_53_DESCUENTO_CARGO[dc.codigo]
    base = redondear(dc.base if dc.base is not None else base_default)
    if dc.monto is not None:
        monto = redondear(dc.monto)
        factor = dc.factor if dc.factor is not None else (
            redondear(monto / base, Decimal("0.00001")) if base else CERO)
    else:
        factor = dc.factor if dc.factor is not None else CERO
        monto = redondear(base * factor)
    return DescuentoCargoCalculado(dc.codigo, tipo.es_cargo, tipo.afecta_base, factor, monto, base)


def _neto(items: list[DescuentoCargoCalculado], afecta_base: bool) -> Decimal:
    """Charges minus discounts of the given kind."""
    total = CERO
    for dc in items:
        if dc.afecta_base == afecta_base:
            total += dc.monto if dc.es_cargo else -dc.monto
    return total


def _calcular_isc(linea: Linea, valor_venta: Decimal, tasa_igv: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(base, monto, porcentaje) of the line's ISC."""
    if not linea.isc_sistema or linea.isc_tasa is None:
        return CERO, CERO, CERO
    tasa = linea.isc_tasa
    if linea.isc_sistema == "01":
        return valor_venta, redondear(valor_venta * tasa), tasa * CIEN
    if linea.isc_sistema == "02":
        # A fixed amount per unit: SUNAT still wants base × Percent = ISC (3108) and Percent ≠ 0 (3104), so the
        # Percent written is the effective rate.
        isc = redondear(linea.cantidad * tasa)
        return valor_venta, isc, redondear(isc / valor_venta * CIEN, TASA) if valor_venta else CERO
    # Public sale price: the base is that price net of IGV, so that base × rate = ISC (3108).
    base = redondear(linea.cantidad * (linea.isc_precio_publico or CERO) / (1 + tasa_igv))
    return base, redondear(base * tasa), tasa * CIEN


@dataclass(frozen=True)
class Tasas:
    """The rates a calculation uses (from the company's configuration, never hard-coded here)."""

    igv: Decimal = IGV_TASA_DEFAULT
    ivap: Decimal = IVAP_TASA_DEFAULT
    icbper: Decimal = ICBPER_TARIFA_DEFAULT  # S/ per plastic bag

    @classmethod
    def de(cls, comprobante: Comprobante) -> Tasas:
        return cls(comprobante.tasa_igv, comprobante.tasa_ivap, comprobante.tarifa_icbper)


def _tasa(afectacion: str, tasas: Tasas) -> Decimal:
    if afectacion in cat.AFECTACION_GRAVADA_ONEROSA or afectacion in cat.AFECTACION_GRAVADA_GRATUITA:
        return tasas.igv
    if afectacion in cat.AFECTACION_IVAP:
        return tasas.ivap
    return CERO


def _descuento_linea(bruto: Decimal, monto: Decimal) -> DescuentoCargoCalculado:
    """The line's ``descuento`` as a code 00 allowance (base = the line before the discount)."""
    factor = redondear(monto / bruto, TASA) if bruto else CERO
    return DescuentoCargoCalculado("00", False, True, factor, monto, bruto)


def _validar_linea(linea: Linea) -> None:
    if (linea.valor_unitario is None) == (linea.precio_unitario is None):
        raise ValueError("Cada línea lleva valor_unitario (sin IGV) o precio_unitario (con IGV), uno de los dos")
    if linea.descuento < 0:
        raise ValueError("El descuento de la línea no puede ser negativo")
    if linea.icbper_cantidad and linea.icbper_cantidad != linea.cantidad:
        raise ValueError("Las bolsas plásticas (ICBPER) de una línea son su cantidad (SUNAT 3236)")
    if linea.precio_unitario is not None and (linea.isc_sistema or linea.descuentos_cargos):
        raise ValueError("Una línea con precio_unitario (con IGV) no lleva ISC ni descuentos/cargos de catálogo 53; "
                         "use valor_unitario")


def _base_desde_precio(linea: Linea, tasa: Decimal) -> tuple[Decimal, Decimal, list[DescuentoCargoCalculado]]:
    """(valor de venta, valor unitario, discounts) of a line priced with IGV: the line total stays
    price × quantity − descuento to the céntimo; base = total / (1 + rate), IGV = total − base, so that
    base × rate = IGV within half a céntimo (SUNAT 3103) and quantity × valor unitario − descuento = base
    (4288) with the valor unitario at 10 decimals."""
    precio = linea.precio_unitario or CERO
    con_igv = linea.cantidad * precio
    if linea.descuento > con_igv:
        raise ValueError("El descuento no puede superar el importe de la línea")
    valor_venta = redondear((con_igv - linea.descuento) / (1 + tasa))
    if not linea.descuento:
        return valor_venta, valor_venta / linea.cantidad, []
    bruto = redondear(con_igv / (1 + tasa))
    return valor_venta, bruto / linea.cantidad, [_descuento_linea(bruto, bruto - valor_venta)]


def _base_desde_valor(linea: Linea, gratuita: bool) -> tuple[Decimal, Decimal, list[DescuentoCargoCalculado]]:
    valor_unitario = linea.valor_unitario or CERO
    bruto = redondear(linea.cantidad * valor_unitario)
    if linea.descuento > bruto:
        raise ValueError("El descuento no puede superar el importe de la línea")
    dcs = [_calcular_descuento(dc, bruto) for dc in linea.descuentos_cargos]
    if linea.descuento:
        dcs.insert(0, _descuento_linea(bruto, redondear(linea.descuento)))
    valor_venta = bruto if gratuita else bruto + _neto(dcs, afecta_base=True)
    return valor_venta, valor_unitario, dcs


def calcular_linea(linea: Linea, comprobante: Comprobante | Tasas) -> TotalesLinea:
    tasas = comprobante if isinstance(comprobante, Tasas) else Tasas.de(comprobante)
    _validar_linea(linea)
    afectacion = linea.afectacion_igv
    gratuita = afectacion in cat.AFECTACION_GRATUITA
    tasa = _tasa(afectacion, tasas)
    con_precio = linea.precio_unitario is not None
    if con_precio:
        valor_venta, unitario, dcs = _base_desde_precio(linea, tasa)
        total_con_igv = redondear(linea.cantidad * (linea.precio_unitario or CERO) - linea.descuento)
    else:
        valor_venta, unitario, dcs = _base_desde_valor(linea, gratuita)
    isc_base, isc, isc_pct = _calcular_isc(linea, valor_venta, tasas.igv)
    tributo = cat.tributo_de_afectacion(afectacion)
    gravada = afectacion in cat.AFECTACION_GRAVADA_ONEROSA or afectacion in cat.AFECTACION_GRAVADA_GRATUITA
    base = valor_venta + isc if gravada else valor_venta
    igv = total_con_igv - valor_venta if con_precio else redondear(base * tasa)
    icbper = redondear(Decimal(linea.icbper_cantidad) * tasas.icbper)
    total_impuestos = igv + isc + icbper
    if gratuita:
        precio, referencial, valor_unitario = CERO, redondear_precio(unitario), CERO
    else:
        referencial, valor_unitario = None, redondear_precio(unitario)
        if con_precio and not linea.descuento:
            precio = redondear_precio(linea.precio_unitario or CERO)
        else:
            precio = redondear_precio((valor_venta + isc + igv) / linea.cantidad) if linea.cantidad else CERO
    return TotalesLinea(
        valor_venta=valor_venta, tributo=tributo, base_igv=base, igv=igv, porcentaje=tasa * CIEN,
        isc_base=isc_base, isc=isc, isc_porcentaje=isc_pct, icbper=icbper, total_impuestos=total_impuestos,
        precio_unitario=precio, valor_referencial=referencial, valor_unitario=valor_unitario,
        es_gratuita=gratuita, descuentos_cargos=dcs,
    )


def _suma(lineas: list[TotalesLinea], attr: str, tributo: str) -> Decimal:
    return sum((getattr(t, attr) for t in lineas if t.tributo == tributo), CERO)


def _detraccion(comprobante: Comprobante, importe_total: Decimal) -> Decimal:
    d = comprobante.detraccion
    if d is None:
        return CERO
    if d.monto is not None:
        return redondear(d.monto)
    total_pen = importe_total * (comprobante.tipo_cambio or Decimal(1)) if comprobante.moneda != "PEN" \
        else importe_total
    return redondear(total_pen * d.porcentaje / CIEN, Decimal(1)).quantize(CENTIMO)


def _neto_pendiente(comprobante: Comprobante, importe_total: Decimal, detraccion: Decimal) -> Decimal:
    if not detraccion:
        return importe_total
    if comprobante.moneda == "PEN":
        return importe_total - detraccion
    return importe_total - redondear(detraccion / (comprobante.tipo_cambio or Decimal(1)))


def _no_base(items: list[DescuentoCargoCalculado], es_cargo: bool) -> Decimal:
    return sum((d.monto for d in items if not d.afecta_base and d.es_cargo == es_cargo), CERO)


def calcular(comprobante: Comprobante) -> Totales:
    """Totals of a whole document: :func:`calcular_importes` plus detracción and legends."""
    if comprobante.es_nota and any(linea.descuento or linea.descuentos_cargos for linea in comprobante.lineas):
        # CreditNoteLine/DebitNoteLine: SUNAT checks quantity × valor unitario = valor de venta, no allowances.
        raise ValueError("Las líneas de una nota no llevan descuentos: indique el importe unitario neto")
    t = calcular_importes(comprobante.lineas, comprobante.descuentos_cargos, Tasas.de(comprobante),
                          comprobante.redondeo)
    detraccion = _detraccion(comprobante, t.importe_total)
    return replace(t, monto_detraccion=detraccion,
                   monto_neto_pendiente=_neto_pendiente(comprobante, t.importe_total, detraccion),
                   leyendas=leyendas(comprobante, t.importe_total, t.gratuito > 0
                                     or any(tl.tributo == "9996" for tl in t.lineas), t.ivap_base > 0))


def calcular_importes(lineas_in: list[Linea], descuentos_cargos: list[DescuentoCargo] | None = None,
                      tasas: Tasas | None = None, redondeo: Decimal = CERO) -> Totales:
    """The one calculator of what a sale, quote, order, comprobante or note charges: the same lines and
    global discounts/charges give the same amounts wherever they are priced (no legends, no detracción)."""
    tasas = tasas or Tasas()
    globales_in = descuentos_cargos or []
    if any(dc.codigo == ANTICIPO for dc in globales_in):
        raise ValueError("Descuentos por anticipos (catálogo 53 código 04) no soportados")
    lineas = [calcular_linea(linea, tasas) for linea in lineas_in]
    gravado_lineas = _suma(lineas, "valor_venta", "1000")
    base_igv_lineas = _suma(lineas, "base_igv", "1000")
    globales = [_calcular_descuento(dc, gravado_lineas) for dc in globales_in]
    ajuste_base = _neto(globales, afecta_base=True)
    base_igv = base_igv_lineas + ajuste_base
    # The lines' IGV plus the IGV of the base-affecting globals (SUNAT 4290's own formula): the lines keep the
    # amounts they were priced with.
    igv = _suma(lineas, "igv", "1000") + redondear(ajuste_base * tasas.igv)
    ivap_base, ivap = _suma(lineas, "base_igv", "1016"), _suma(lineas, "igv", "1016")
    exonerado, inafecto = _suma(lineas, "valor_venta", "9997"), _suma(lineas, "valor_venta", "9998")
    exportacion, gratuito = _suma(lineas, "valor_venta", "9995"), _suma(lineas, "valor_venta", "9996")
    igv_gratuito = _suma(lineas, "igv", "9996")
    isc = sum((t.isc for t in lineas), CERO)
    icbper = sum((t.icbper for t in lineas), CERO)
    onerosas = sum((t.valor_venta for t in lineas if not t.es_gratuita), CERO)
    valor_venta = onerosas + ajuste_base
    total_impuestos = igv + ivap + isc + icbper
    precio_venta = valor_venta + total_impuestos
    no_base = globales + [dc for t in lineas for dc in t.descuentos_cargos]
    descuentos, cargos = _no_base(no_base, es_cargo=False), _no_base(no_base, es_cargo=True)
    redondeo = redondear(redondeo)
    importe_total = precio_venta - descuentos + cargos + redondeo
    presentes = {t.tributo for t in lineas}
    tributos = _tributos(presentes, base_igv, igv, ivap_base, ivap, lineas, isc, icbper, exportacion,
                         gratuito, igv_gratuito, exonerado, inafecto)
    return Totales(
        lineas=lineas, tributos=tributos, descuentos_cargos=globales, gravado=base_igv, ivap_base=ivap_base,
        exonerado=exonerado, inafecto=inafecto, exportacion=exportacion, gratuito=gratuito, igv=igv, ivap=ivap,
        isc=isc, icbper=icbper, igv_gratuito=igv_gratuito, valor_venta=valor_venta,
        total_impuestos=total_impuestos, precio_venta=precio_venta, descuentos=descuentos, cargos=cargos,
        redondeo=redondeo, importe_total=importe_total, monto_detraccion=CERO, monto_neto_pendiente=importe_total,
        leyendas=[],
    )


def _tributos(presentes: set[str], base_igv: Decimal, igv: Decimal, ivap_base: Decimal, ivap: Decimal,
              lineas: list[TotalesLinea], isc: Decimal, icbper: Decimal, exportacion: Decimal,
              gratuito: Decimal, igv_gratuito: Decimal, exonerado: Decimal,
              inafecto: Decimal) -> list[TotalTributo]:
    """Document-level TaxSubtotals in a fixed order, one per tributo present in the lines."""
    candidatos = [
        ("1000", base_igv, igv),
        ("1016", ivap_base, ivap),
        ("2000", sum((t.isc_base for t in lineas if t.isc), CERO), isc),
        ("7152", CERO, icbper),
        ("9995", exportacion, CERO),
        ("9996", gratuito, igv_gratuito),
        ("9997", exonerado, CERO),
        ("9998", inafecto, CERO),
    ]
    incluidos = set(presentes)
    if isc:
        incluidos.add("2000")
    if icbper:
        incluidos.add("7152")
    return [TotalTributo(c, b, m) for c, b, m in candidatos if c in incluidos]


def monto_en_letras(monto: Decimal, moneda: str = "PEN") -> str:
    """Legend 1000: ``CIENTO DIECIOCHO CON 00/100 SOLES``."""
    monto = redondear(monto)
    entero = int(monto)
    centimos = int((monto - entero) * 100)
    letras = num2words(entero, lang="es")
    # num2words says "veintiuno mil"; Spanish apocopates "uno" before mil / millones.
    letras = re.sub(r"veintiuno(?= (mil|millones)\b)", "veintiún", letras)
    letras = re.sub(r"\buno(?= (mil|millones)\b)", "un", letras)
    nombre = cat.CAT_02_MONEDA.get(moneda, moneda)
    return f"{letras.upper()} CON {centimos:02d}/100 {nombre}"


def leyendas(comprobante: Comprobante, importe_total: Decimal, hay_gratuitas: bool,
             hay_ivap: bool) -> list[tuple[str, str]]:
    resultado = [(cat.LEYENDA_MONTO_LETRAS, monto_en_letras(importe_total, comprobante.moneda))]
    if hay_gratuitas:
        resultado.append((cat.LEYENDA_GRATUITA, cat.CAT_52_LEYENDA[cat.LEYENDA_GRATUITA]))
    if comprobante.detraccion is not None:
        resultado.append((cat.LEYENDA_DETRACCION, cat.CAT_52_LEYENDA[cat.LEYENDA_DETRACCION]))
    if hay_ivap:
        resultado.append((cat.LEYENDA_IVAP, cat.CAT_52_LEYENDA[cat.LEYENDA_IVAP]))
    return resultado

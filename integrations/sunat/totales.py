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
  rules 4307 / 4308). Global 02 discounts and 49 charges change the gravado base (and the IGV).
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
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

from integrations.sunat import catalogos as cat
from integrations.sunat.documento import Comprobante, DescuentoCargo, Linea

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


def calcular_linea(linea: Linea, comprobante: Comprobante) -> TotalesLinea:
    afectacion = linea.afectacion_igv
    gratuita = afectacion in cat.AFECTACION_GRATUITA
    bruto = redondear(linea.cantidad * linea.valor_unitario)
    dcs = [_calcular_descuento(dc, bruto) for dc in linea.descuentos_cargos]
    valor_venta = bruto if gratuita else bruto + _neto(dcs, afecta_base=True)
    isc_base, isc, isc_pct = _calcular_isc(linea, valor_venta, comprobante.tasa_igv)
    tributo = cat.tributo_de_afectacion(afectacion)
    if afectacion in cat.AFECTACION_GRAVADA_ONEROSA or afectacion in cat.AFECTACION_GRAVADA_GRATUITA:
        base, tasa = valor_venta + isc, comprobante.tasa_igv
    elif afectacion in cat.AFECTACION_IVAP:
        base, tasa = valor_venta, comprobante.tasa_ivap
    else:
        base, tasa = valor_venta, CERO
    igv = redondear(base * tasa)
    icbper = redondear(Decimal(linea.icbper_cantidad) * comprobante.tarifa_icbper)
    total_impuestos = igv + isc + icbper
    if gratuita:
        precio, referencial, valor_unitario = CERO, redondear_precio(linea.valor_unitario), CERO
    else:
        precio = redondear_precio((valor_venta + isc + igv) / linea.cantidad) if linea.cantidad else CERO
        referencial, valor_unitario = None, redondear_precio(linea.valor_unitario)
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
    if any(dc.codigo == ANTICIPO for dc in comprobante.descuentos_cargos):
        raise ValueError("Descuentos por anticipos (catálogo 53 código 04) no soportados")
    lineas = [calcular_linea(linea, comprobante) for linea in comprobante.lineas]
    gravado_lineas = _suma(lineas, "valor_venta", "1000")
    base_igv_lineas = _suma(lineas, "base_igv", "1000")
    globales = [_calcular_descuento(dc, gravado_lineas) for dc in comprobante.descuentos_cargos]
    ajuste_base = _neto(globales, afecta_base=True)
    base_igv = base_igv_lineas + ajuste_base
    igv = _suma(lineas, "igv", "1000") if not ajuste_base else redondear(base_igv * comprobante.tasa_igv)
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
    redondeo = redondear(comprobante.redondeo)
    importe_total = precio_venta - descuentos + cargos + redondeo
    detraccion = _detraccion(comprobante, importe_total)
    presentes = {t.tributo for t in lineas}
    tributos = _tributos(presentes, base_igv, igv, ivap_base, ivap, lineas, isc, icbper, exportacion,
                         gratuito, igv_gratuito, exonerado, inafecto)
    return Totales(
        lineas=lineas, tributos=tributos, descuentos_cargos=globales, gravado=base_igv, ivap_base=ivap_base,
        exonerado=exonerado, inafecto=inafecto, exportacion=exportacion, gratuito=gratuito, igv=igv, ivap=ivap,
        isc=isc, icbper=icbper, igv_gratuito=igv_gratuito, valor_venta=valor_venta,
        total_impuestos=total_impuestos, precio_venta=precio_venta, descuentos=descuentos, cargos=cargos,
        redondeo=redondeo, importe_total=importe_total, monto_detraccion=detraccion,
        monto_neto_pendiente=_neto_pendiente(comprobante, importe_total, detraccion),
        leyendas=leyendas(comprobante, importe_total, gratuito > 0 or "9996" in presentes, ivap_base > 0),
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

"""A subset of SUNAT's validation rules for CPE (Invoice, CreditNote, DebitNote), with SUNAT's codes.

``validar_reglas(xml) -> list[Hallazgo]``: codes 2000-3999 reject the document, 4000+ are observations
(the document is accepted and the CDR lists them). The local SUNAT sandbox runs these on every sendBill.
Codes, wording and formulas follow SUNAT's validation stylesheet for facturas UBL 2.1
(``ValidaExprRegFactura-2.0.1.xsl``) and its return-code list; where SUNAT compares sums it allows ±1.00.
Rules implemented:
- 1001: a factura's ID must be ``F`` + 3 alphanumerics, ``-``, 1 to 8 digits.
- 2017: a factura's customer must be identified by RUC (schemeID 6), except exports (operation type 02xx).
- 2040: a line's tipo de afectación (catálogo 07) must exist and belong to the line's tributo
  (10 → 1000, 17 → 1016, 40 → 9995, 11-16/21/31-37 → 9996, 20 → 9997, 30 → 9998).
- 2071: every amount's currencyID must be the DocumentCurrencyCode (except PaymentTerms/Amount, which carries
  the detracción in PEN, DeliveryTerms/Amount and percepción charges 51-53).
- 2072 / 2073: CustomizationID must be present and be "2.0".
- 4288: a line's LineExtensionAmount must equal quantity × PriceAmount − line 00 discounts + line 47 charges
  (01 / 48 do not touch the line's value).
- 3103 / 3108: a line's IGV or IVAP / ISC must equal its taxable amount × Percent (±1 céntimo).
- 3104: a line's ISC Percent must not be 0.
- 4293: a line's TaxTotal/TaxAmount must equal the sum of its TaxSubtotal amounts.
- 4307: AllowanceTotalAmount must equal the global 03 discounts + the line 01 discounts.
- 4308: ChargeTotalAmount must equal the global 45/46/50-53 charges + the line 48 charges.
- 4309: LegalMonetaryTotal/LineExtensionAmount must equal the non-free lines' LineExtensionAmount − global 02
  discounts + global 49 charges.
- 4290: the document's IGV must equal the lines' IGV + (global 49 − 02 − 04) × rate.
- 4312: PayableAmount must equal TaxInclusiveAmount + ChargeTotalAmount − AllowanceTotalAmount − PrepaidAmount
  + PayableRoundingAmount.
- 4314: PayableRoundingAmount must be between -1.00 and 1.00.
- ICBPER (tributo 7152) per line: 3237 the subtotal must carry BaseUnitMeasure (the bags); 3236 a positive
  BaseUnitMeasure must equal the line's quantity; 4320 its unitCode must be NIU; 3238 PerUnitAmount must not be
  0 when there are bags; 4318 TaxAmount must equal PerUnitAmount × bags; 4237 in PEN, PerUnitAmount must be the
  rate in force on the issue date (Ley 30884: 0.10 in 2019 rising 0.10 a year to 0.50 from 2023).
- Global discounts/charges (cac:AllowanceCharge under the root): 3072 each needs AllowanceChargeReasonCode;
  3071 the code must be a global one of catálogo 53 (02, 03, 04, 05, 06, 45-53, not the line codes 00/01/47/48);
  3025 MultiplierFactorNumeric, when present, must be a positive n(3,5).
Forma de pago of a factura (cac:PaymentTerms with cbc:ID "FormaPago"; SUNAT's return codes since 2021):
- 3244: a factura must state its forma de pago; 3246: PaymentMeansID is Contado, Credito or Cuota + 3 digits.
- 3249: Credito needs at least one instalment; 3251: Credito needs the net pending amount (cbc:Amount);
  3252: instalments need Credito; 3256: each instalment needs its PaymentDueDate.
- 3265: the net pending amount must not exceed PayableAmount; 3319: the instalments add up to it.
Detracción (SPOT, operation types 1001-1004):
- 3127: the operation needs the catalog-54 code (PaymentTerms "Detraccion"/PaymentMeansID); 3128: a code on
  an operation type that is not a detracción; 3033: the code must be in catalog 54; 3035: the detracción
  amount must be stated; 3034: the Banco de la Nación account (PaymentMeans "Detraccion"/PayeeFinancialAccount)
  must be stated; 3174: the payment means code must be in catalog 59 (the schema already requires one; SUNAT's
  list words 3174 for the rail-ticket form of payment, the stylesheet applies it to catalog 59 codes).
- 4265 (observation): legend 2006 must be present.
Exportación (operation types 0200-0208):
- 2642: every line's afectación is 40; 3107: no document-level tributo other than 9995 / 9996 / 7152.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from integrations.sunat import catalogos as cat
from integrations.sunat.ubl import NS

TOLERANCIA = Decimal("0.01")
TOLERANCIA_SUNAT = Decimal("1")  # SUNAT's stylesheet: (x + 1) < calculado or (x - 1) > calculado
CERO = Decimal(0)
_LINEAS = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")
_CANTIDADES = ("cbc:InvoicedQuantity", "cbc:CreditedQuantity", "cbc:DebitedQuantity")
_TOTALES = ("cac:LegalMonetaryTotal", "cac:RequestedMonetaryTotal")
_SERIE_FACTURA = re.compile(r"F[A-Z0-9]{3}-[0-9]{1,8}")
_TRIBUTOS_CON_AFECTACION = frozenset({"1000", "1016", "9995", "9996", "9997", "9998"})
_TRIBUTOS_ONEROSOS = frozenset({"1000", "1016", "9995", "9997", "9998"})
_CARGOS_GLOBALES_NO_BASE = frozenset({"45", "46", "50", "51", "52", "53"})
_PERCEPCION = frozenset({"51", "52", "53"})
_CODIGOS_GLOBALES = frozenset({"02", "03", "04", "05", "06", "45", "46", "49", "50", "51", "52", "53"})
_FACTOR_N3_5 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,5})?")
ICBPER_TASA_POR_ANIO = {2019: Decimal("0.10"), 2020: Decimal("0.20"), 2021: Decimal("0.30"), 2022: Decimal("0.40")}
ICBPER_TASA_VIGENTE = Decimal("0.50")  # since 2023
_CUOTA = re.compile(r"Cuota[0-9]{3}")
_TRIBUTOS_NO_EXPORTACION = frozenset({"1000", "1016", "2000", "9997", "9998", "9999"})


@dataclass(frozen=True)
class Hallazgo:
    codigo: str
    mensaje: str
    es_observacion: bool


def _hallazgo(codigo: str, mensaje: str) -> Hallazgo:
    return Hallazgo(codigo, mensaje, int(codigo) >= 4000)


def _dec(node: etree._Element, path: str) -> Decimal | None:
    found = node.find(path, NS)
    return Decimal(found.text) if found is not None and found.text else None


def _difiere(valor: Decimal, calculado: Decimal, tolerancia: Decimal = TOLERANCIA_SUNAT) -> bool:
    return abs(valor - calculado) > tolerancia


def _lineas(raiz: etree._Element) -> list[etree._Element]:
    return [linea for tag in _LINEAS for linea in raiz.findall(tag, NS)]


def _total(raiz: etree._Element) -> etree._Element | None:
    return next((t for tag in _TOTALES if (t := raiz.find(tag, NS)) is not None), None)


def _tributo(sub: etree._Element) -> str | None:
    return sub.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS)


def _igv(node: etree._Element) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(taxable amount, tax amount, percent) of the IGV subtotal under `node`'s TaxTotal."""
    for sub in node.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        if _tributo(sub) == "1000":
            return (_dec(sub, "cbc:TaxableAmount"), _dec(sub, "cbc:TaxAmount"),
                    _dec(sub, "cac:TaxCategory/cbc:Percent"))
    return None, None, None


def _suma_cargos(nodos: Iterable[etree._Element], codigos: Iterable[str]) -> Decimal:
    """Sum of the cac:AllowanceCharge/cbc:Amount directly under `nodos` whose reason code is in `codigos`."""
    codigos = set(codigos)
    return sum((_dec(ac, "cbc:Amount") or CERO for nodo in nodos for ac in nodo.findall("cac:AllowanceCharge", NS)
                if ac.findtext("cbc:AllowanceChargeReasonCode", namespaces=NS) in codigos), CERO)


# --- document header ---------------------------------------------------------------------------------


def _regla_version(raiz: etree._Element) -> list[Hallazgo]:
    version = raiz.findtext("cbc:CustomizationID", namespaces=NS)
    if not version:
        return [_hallazgo("2073", "El XML no existe informacion de CustomizationID")]
    if version != "2.0":
        return [_hallazgo("2072", "CustomizationID - La versión del documento no es la correcta")]
    return []


def _regla_numeracion(raiz: etree._Element) -> list[Hallazgo]:
    if raiz.findtext("cbc:InvoiceTypeCode", namespaces=NS) != cat.FACTURA:
        return []
    if _SERIE_FACTURA.fullmatch(raiz.findtext("cbc:ID", default="", namespaces=NS)):
        return []
    return [_hallazgo("1001", "ID - El dato SERIE-CORRELATIVO no cumple con el formato de acuerdo al tipo de "
                              "comprobante")]


def _moneda_exenta(nodo: etree._Element) -> bool:
    """Amounts SUNAT lets differ from the document currency (2071)."""
    padre = nodo.getparent()
    local = etree.QName(nodo).localname
    if local == "Amount" and padre is not None and etree.QName(padre).localname in ("PaymentTerms", "DeliveryTerms"):
        return True
    if local == "DeclaredForCarriageValueAmount":
        return True
    return any(ac.findtext("cbc:AllowanceChargeReasonCode", namespaces=NS) in _PERCEPCION
               for ac in nodo.iterancestors(f"{{{NS['cac']}}}AllowanceCharge"))


def _regla_moneda(raiz: etree._Element) -> list[Hallazgo]:
    moneda = raiz.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    for nodo in raiz.iter():
        if nodo.get("currencyID") not in (None, moneda) and not _moneda_exenta(nodo):
            return [_hallazgo("2071", "La moneda debe ser la misma en todo el documento. Salvo las percepciones "
                                      "que sólo son en moneda nacional.")]
    return []


def _regla_receptor_ruc(raiz: etree._Element) -> list[Hallazgo]:
    es_factura = raiz.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "01"
    operacion = raiz.find("cbc:InvoiceTypeCode", NS)
    exportacion = operacion is not None and (operacion.get("listID") or "").startswith("02")
    scheme = raiz.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
    if es_factura and not exportacion and (scheme is None or scheme.get("schemeID") != "6"):
        return [_hallazgo("2017", "El numero de documento de identidad del receptor debe ser RUC")]
    return []


def _es_factura(raiz: etree._Element) -> bool:
    return raiz.findtext("cbc:InvoiceTypeCode", namespaces=NS) == cat.FACTURA


def _operacion(raiz: etree._Element) -> str:
    nodo = raiz.find("cbc:InvoiceTypeCode", NS)
    return (nodo.get("listID") or "") if nodo is not None else ""


# --- forma de pago, detracción, exportación ----------------------------------------------------------


def _terminos(raiz: etree._Element, identificador: str) -> list[etree._Element]:
    return [t for t in raiz.findall("cac:PaymentTerms", NS) if t.findtext("cbc:ID", namespaces=NS) == identificador]


def _medio(termino: etree._Element) -> str:
    return termino.findtext("cbc:PaymentMeansID", default="", namespaces=NS)


def _reglas_forma_pago(raiz: etree._Element) -> list[Hallazgo]:
    if not _es_factura(raiz):
        return []
    terminos = _terminos(raiz, "FormaPago")
    if not terminos:
        return [_hallazgo("3244", "Debe consignar la informacion del tipo de transaccion del comprobante")]
    hallazgos = []
    if any(_medio(t) not in ("Contado", "Credito") and not _CUOTA.fullmatch(_medio(t)) for t in terminos):
        hallazgos.append(_hallazgo("3246", "El tipo de transaccion o el identificador de la cuota no cumple con el "
                                           "formato esperado"))
    cuotas = [t for t in terminos if _CUOTA.fullmatch(_medio(t))]
    credito = next((t for t in terminos if _medio(t) == "Credito"), None)
    if credito is None:
        if cuotas:
            hallazgos.append(_hallazgo("3252", "Si existe información de cuota de pago, el tipo de transaccion debe "
                                               "ser al credito"))
        return hallazgos
    return hallazgos + _reglas_credito(raiz, credito, cuotas)


def _reglas_credito(raiz: etree._Element, credito: etree._Element, cuotas: list[etree._Element]) -> list[Hallazgo]:
    hallazgos = []
    if not cuotas:
        hallazgos.append(_hallazgo("3249", "Si el tipo de transaccion es al Credito debe existir al menos información "
                                           "de una cuota de pago"))
    neto = _dec(credito, "cbc:Amount")
    total = _total(raiz)
    importe = _dec(total, "cbc:PayableAmount") if total is not None else None
    if neto is None:
        hallazgos.append(_hallazgo("3251", "Si el tipo de transaccion es al Credito debe consignarse el Monto neto "
                                           "pendiente de pago"))
    elif importe is not None and neto > importe:
        hallazgos.append(_hallazgo("3265", "El monto neto pendiente de pago debe ser menor o igual al Importe total "
                                           "del comprobante"))
    if neto is not None and cuotas and sum((_dec(c, "cbc:Amount") or CERO for c in cuotas), CERO) != neto:
        hallazgos.append(_hallazgo("3319", "La suma de las cuotas debe ser igual al Monto neto pendiente de pago."))
    if any(c.find("cbc:PaymentDueDate", NS) is None for c in cuotas):
        hallazgos.append(_hallazgo("3256", "Si se consigna información de la cuota de pago, debe indicarse la fecha "
                                           "del pago único o de las cuotas"))
    return hallazgos


def _reglas_detraccion(raiz: etree._Element) -> list[Hallazgo]:
    if not _es_factura(raiz):
        return []
    terminos = _terminos(raiz, "Detraccion")
    codigo = _medio(terminos[0]) if terminos else ""
    if _operacion(raiz) not in cat.OPERACIONES_DETRACCION:
        return [_hallazgo("3128", "El XML contiene información de codigo de bien y servicio de detracción que no "
                                  "corresponde al tipo de operación.")] if codigo else []
    hallazgos = []
    if not codigo:
        hallazgos.append(_hallazgo("3127", "El XML no contiene el tag o no existe información del Codigo de BBSS de "
                                           "detracción para el tipo de operación."))
    elif codigo not in cat.CAT_54_BIEN_SERVICIO_DETRACCION:
        hallazgos.append(_hallazgo("3033", "El codigo de bien o servicio sujeto a detracción no existe en el "
                                           "listado."))
    if not terminos or _dec(terminos[0], "cbc:Amount") is None:
        hallazgos.append(_hallazgo("3035", "El xml no contiene el tag o no existe información en el monto de "
                                           "detraccion"))
    return hallazgos + _reglas_medio_detraccion(raiz) + _regla_leyenda_detraccion(raiz)


def _reglas_medio_detraccion(raiz: etree._Element) -> list[Hallazgo]:
    medio = next((m for m in raiz.findall("cac:PaymentMeans", NS)
                  if m.findtext("cbc:ID", namespaces=NS) == "Detraccion"), None)
    hallazgos = []
    if medio is None or not medio.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS):
        hallazgos.append(_hallazgo("3034", "El xml no contiene el tag o no existe información en el nro de cuenta de "
                                           "detracción"))
    codigo = medio.findtext("cbc:PaymentMeansCode", namespaces=NS) if medio is not None else None
    if codigo is not None and codigo not in cat.CAT_59_MEDIO_PAGO:  # the schema makes the code itself mandatory
        hallazgos.append(_hallazgo("3174", "El dato ingreso como Servicio transporte: Forma de Pago no corresponde al "
                                           "valor esperado (catalogo nro 59)"))
    return hallazgos


def _regla_leyenda_detraccion(raiz: etree._Element) -> list[Hallazgo]:
    if any(n.get("languageLocaleID") == cat.LEYENDA_DETRACCION for n in raiz.findall("cbc:Note", NS)):
        return []
    return [_hallazgo("4265", "El XML no contiene el codigo de leyenda 2006 para tipo de operación de detracciones")]


def _reglas_exportacion(raiz: etree._Element, lineas: list[etree._Element]) -> list[Hallazgo]:
    if not _es_factura(raiz) or _operacion(raiz) not in cat.OPERACIONES_EXPORTACION:
        return []
    hallazgos = []
    afectaciones = {sub.findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=NS)
                    for linea in lineas for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
                    if _tributo(sub) in _TRIBUTOS_CON_AFECTACION}
    if afectaciones - set(cat.AFECTACION_EXPORTACION):
        hallazgos.append(_hallazgo("2642", "Operaciones de exportacion, deben consignar Tipo Afectacion igual a 40"))
    if any(_tributo(sub) in _TRIBUTOS_NO_EXPORTACION for sub in raiz.findall("cac:TaxTotal/cac:TaxSubtotal", NS)):
        hallazgos.append(_hallazgo("3107", "El dato ingresado como codigo de tributo global es invalido para tipo de "
                                           "operación."))
    return hallazgos


# --- lines -------------------------------------------------------------------------------------------


def _afectacion_valida(tributo: str, afectacion: str | None) -> bool:
    try:
        return afectacion is not None and cat.tributo_de_afectacion(afectacion) == tributo
    except KeyError:
        return False


def _regla_afectacion(linea: etree._Element, numero: str | None) -> list[Hallazgo]:
    for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        tributo = _tributo(sub)
        afectacion = sub.findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=NS)
        if tributo in _TRIBUTOS_CON_AFECTACION and afectacion is not None \
                and not _afectacion_valida(tributo, afectacion):
            return [_hallazgo("2040", f"Línea {numero}: El tipo de afectacion del IGV es incorrecto")]
    return []


def _regla_impuestos_linea(linea: etree._Element, numero: str | None) -> list[Hallazgo]:
    total = _dec(linea, "cac:TaxTotal/cbc:TaxAmount")
    suma = sum((_dec(sub, "cbc:TaxAmount") or CERO for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS)),
               CERO)
    if total is not None and _difiere(total, suma):
        return [_hallazgo("4293", f"Línea {numero}: El importe total de impuestos por línea no coincide con la "
                                  "sumatoria de los impuestos por línea.")]
    return []


def _reglas_linea(raiz: etree._Element, linea: etree._Element) -> list[Hallazgo]:
    hallazgos = []
    numero = linea.findtext("cbc:ID", namespaces=NS)
    valor = _dec(linea, "cbc:LineExtensionAmount")
    cantidad = next((_dec(linea, tag) for tag in _CANTIDADES if linea.find(tag, NS) is not None), None)
    precio = _dec(linea, "cac:Price/cbc:PriceAmount")
    ajustes = _suma_cargos([linea], ["47"]) - _suma_cargos([linea], ["00"])  # only those that affect the base
    if None not in (valor, cantidad, precio) and precio and _difiere(valor, cantidad * precio + ajustes, TOLERANCIA):
        hallazgos.append(_hallazgo("4288", f"Línea {numero}: el valor de venta no corresponde a cantidad × valor "
                                           "unitario"))
    return (hallazgos + _reglas_factor(linea, numero) + _regla_afectacion(linea, numero)
            + _regla_impuestos_linea(linea, numero) + _reglas_icbper(raiz, linea, numero))


def _tasa_icbper(raiz: etree._Element) -> Decimal | None:
    fecha = raiz.findtext("cbc:IssueDate", namespaces=NS) or ""
    if not fecha[:4].isdigit() or int(fecha[:4]) < 2019:
        return None
    return ICBPER_TASA_POR_ANIO.get(int(fecha[:4]), ICBPER_TASA_VIGENTE)


def _reglas_icbper(raiz: etree._Element, linea: etree._Element, numero: str | None) -> list[Hallazgo]:
    hallazgos: list[Hallazgo] = []
    cantidad = next((_dec(linea, tag) for tag in _CANTIDADES if linea.find(tag, NS) is not None), None)
    for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        if _tributo(sub) != "7152":
            continue
        medida = sub.find("cbc:BaseUnitMeasure", NS)
        if medida is None or not (medida.text or "").strip():
            hallazgos.append(_hallazgo("3237", f"Línea {numero}: Debe consignar el campo cac:TaxSubtotal/"
                                               "cbc:BaseUnitMeasure a nivel de ítem"))
            continue
        bolsas = Decimal(medida.text)
        if bolsas > 0 and bolsas != cantidad:
            hallazgos.append(_hallazgo("3236", f"Línea {numero}: El valor ingresado en el campo cac:TaxSubtotal/"
                                               "cbc:BaseUnitMeasure no corresponde al valor esperado"))
        if medida.get("unitCode") != "NIU":
            hallazgos.append(_hallazgo("4320", f"Línea {numero}: El dato ingresado como unidad de medida no "
                                               "corresponde al valor esperado"))
        unitario = _dec(sub, "cac:TaxCategory/cbc:PerUnitAmount") or CERO
        if bolsas > 0 and not unitario:
            hallazgos.append(_hallazgo("3238", f"Línea {numero}: El valor ingresado en el campo cac:TaxSubtotal/"
                                               "cbc:PerUnitAmount del ítem no corresponde al valor esperado"))
        if bolsas > 0 and _difiere(_dec(sub, "cbc:TaxAmount") or CERO, unitario * bolsas, CERO):
            hallazgos.append(_hallazgo("4318", f"Línea {numero}: El dato ingresado en el campo cac:TaxSubtotal/"
                                               "cbc:TaxAmount del ítem no coincide con el valor calculado"))
        vigente = _tasa_icbper(raiz)
        if (bolsas > 0 and vigente is not None and unitario != vigente
                and raiz.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "PEN"):
            hallazgos.append(_hallazgo("4237", f"Línea {numero}: La tasa del tributo de la línea no corresponde "
                                               "al valor esperado"))
    return hallazgos


_FACTOR = {"1000": ("3103", "IGV/IVAP"), "1016": ("3103", "IGV/IVAP"), "2000": ("3108", "ISC")}


def _reglas_factor(linea: etree._Element, numero: str | None) -> list[Hallazgo]:
    """3103 (IGV/IVAP) and 3108 (ISC): a line's base × Percent must give its tax amount; 3104: no ISC at 0 %."""
    hallazgos = []
    for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        tributo = _tributo(sub)
        base, monto = _dec(sub, "cbc:TaxableAmount"), _dec(sub, "cbc:TaxAmount")
        tasa = _dec(sub, "cac:TaxCategory/cbc:Percent")
        if tributo not in _FACTOR or None in (base, monto, tasa):
            continue
        if tributo == "2000" and not tasa:
            hallazgos.append(_hallazgo("3104", f"Línea {numero}: El factor de afectación de ISC por linea debe ser "
                                               "diferente a 0.00"))
        elif _difiere(monto, base * tasa / 100, TOLERANCIA):
            codigo, nombre = _FACTOR[tributo]
            hallazgos.append(_hallazgo(codigo, f"Línea {numero}: El producto del factor y monto base de la "
                                               f"afectación del {nombre} no corresponde al monto de afectacion de "
                                               "linea"))
    return hallazgos


# --- document totals ---------------------------------------------------------------------------------


def _es_onerosa(linea: etree._Element) -> bool:
    return any(_tributo(sub) in _TRIBUTOS_ONEROSOS for sub in linea.findall("cac:TaxTotal/cac:TaxSubtotal", NS))


def _regla_valor_venta(raiz: etree._Element, lineas: list[etree._Element]) -> list[Hallazgo]:
    total = _dec(raiz, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount")
    suma = sum((_dec(linea, "cbc:LineExtensionAmount") or CERO for linea in lineas if _es_onerosa(linea)), CERO)
    calculado = suma - _suma_cargos([raiz], ["02"]) + _suma_cargos([raiz], ["49"])
    if total is not None and _difiere(total, calculado):
        return [_hallazgo("4309", "La sumatoria de valor de venta no corresponde a los importes consignados")]
    return []


def _regla_igv_total(raiz: etree._Element, lineas: list[etree._Element]) -> list[Hallazgo]:
    _, igv_total, _ = _igv(raiz)
    if igv_total is None:
        return []
    igv_lineas = [_igv(linea) for linea in lineas]
    tasa = next((t for _, _, t in igv_lineas if t is not None), CERO) / 100
    ajuste = _suma_cargos([raiz], ["49"]) - _suma_cargos([raiz], ["02", "04"])
    calculado = sum((igv or CERO for _, igv, _ in igv_lineas), CERO) + ajuste * tasa
    if _difiere(igv_total, calculado):
        return [_hallazgo("4290", "El cálculo del IGV es Incorrecto")]
    return []


def _reglas_descuentos_cargos(total: etree._Element, raiz: etree._Element,
                              lineas: list[etree._Element]) -> list[Hallazgo]:
    hallazgos = []
    descuentos = _suma_cargos([raiz], ["03"]) + _suma_cargos(lineas, ["01"])
    if _difiere(_dec(total, "cbc:AllowanceTotalAmount") or CERO, descuentos):
        hallazgos.append(_hallazgo("4307", "La sumatoria consignados en descuentos globales no corresponden al "
                                           "total."))
    cargos = _suma_cargos([raiz], _CARGOS_GLOBALES_NO_BASE) + _suma_cargos(lineas, ["48"])
    if _difiere(_dec(total, "cbc:ChargeTotalAmount") or CERO, cargos):
        hallazgos.append(_hallazgo("4308", "La sumatoria consignados en cargos globales no corresponden al total"))
    return hallazgos


def _reglas_importe_total(total: etree._Element) -> list[Hallazgo]:
    hallazgos = []
    redondeo = _dec(total, "cbc:PayableRoundingAmount") or CERO
    if abs(redondeo) > 1:
        hallazgos.append(_hallazgo("4314", "El monto para el redondeo del Importe Total excede el valor permitido"))
    precio_venta, importe = _dec(total, "cbc:TaxInclusiveAmount"), _dec(total, "cbc:PayableAmount") or CERO
    if precio_venta is None:
        return hallazgos
    calculado = (precio_venta + (_dec(total, "cbc:ChargeTotalAmount") or CERO)
                 - (_dec(total, "cbc:AllowanceTotalAmount") or CERO) - (_dec(total, "cbc:PrepaidAmount") or CERO)
                 + redondeo)
    if _difiere(importe, calculado):
        hallazgos.append(_hallazgo("4312", "El importe total del comprobante no coincide con el valor calculado"))
    return hallazgos


def _reglas_cargos_globales(raiz: etree._Element) -> list[Hallazgo]:
    hallazgos = []
    for ac in raiz.findall("cac:AllowanceCharge", NS):
        codigo = (ac.findtext("cbc:AllowanceChargeReasonCode", namespaces=NS) or "").strip()
        if not codigo:
            hallazgos.append(_hallazgo("3072", "El XML no contiene el tag o no existe informacion de codigo de motivo "
                                               "de cargo/descuento global."))
        elif codigo not in _CODIGOS_GLOBALES:
            hallazgos.append(_hallazgo("3071", "El dato ingresado como codigo de motivo de cargo/descuento global no "
                                               "es valido (catalogo nro 53)"))
        factor = ac.findtext("cbc:MultiplierFactorNumeric", namespaces=NS)
        if factor is not None and (not _FACTOR_N3_5.fullmatch(factor.strip()) or not Decimal(factor)):
            hallazgos.append(_hallazgo("3025", "El dato ingresado en factor de cargo o descuento global no cumple con "
                                               "el formato establecido."))
    return hallazgos


def _reglas_totales(raiz: etree._Element, lineas: list[etree._Element]) -> list[Hallazgo]:
    hallazgos = _regla_valor_venta(raiz, lineas) + _regla_igv_total(raiz, lineas)
    total = _total(raiz)
    if total is not None:
        hallazgos += _reglas_descuentos_cargos(total, raiz, lineas) + _reglas_importe_total(total)
    return hallazgos


def validar_reglas(xml: bytes) -> list[Hallazgo]:
    raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if etree.QName(raiz).localname in ("SummaryDocuments", "VoidedDocuments"):
        return []
    lineas = _lineas(raiz)
    hallazgos = (_regla_version(raiz) + _regla_numeracion(raiz) + _regla_moneda(raiz)
                 + _regla_receptor_ruc(raiz) + _reglas_forma_pago(raiz) + _reglas_detraccion(raiz)
                 + _reglas_exportacion(raiz, lineas))
    for linea in lineas:
        hallazgos += _reglas_linea(raiz, linea)
    return hallazgos + _reglas_cargos_globales(raiz) + _reglas_totales(raiz, lineas)

"""A subset of SUNAT's validation rules for CPE (Invoice, CreditNote, DebitNote), with SUNAT's codes.

``validar_reglas(xml) -> list[Hallazgo]``: codes 2000-3999 reject the document, 4000+ are observations
(the document is accepted and the CDR lists them). The local SUNAT sandbox runs these on every sendBill.
Rules implemented:
- 2017: a factura's customer must be identified by RUC (schemeID 6), except exports (operation type 02xx).
- 4288: a line's LineExtensionAmount must equal quantity × PriceAmount − line allowances + line charges.
- 4290: a line's IGV must equal its taxable amount × rate (±1 céntimo).
- 4309: the lines' LineExtensionAmount must add up to LegalMonetaryTotal/LineExtensionAmount.
- 4310: the lines' IGV must add up to the document's IGV subtotal (tributo 1000).
"""

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from integrations.sunat.ubl import NS

TOLERANCIA = Decimal("0.01")
_LINEAS = ("cac:InvoiceLine", "cac:CreditNoteLine", "cac:DebitNoteLine")
_CANTIDADES = ("cbc:InvoicedQuantity", "cbc:CreditedQuantity", "cbc:DebitedQuantity")


@dataclass(frozen=True)
class Hallazgo:
    codigo: str
    mensaje: str
    es_observacion: bool


def _dec(node: etree._Element, path: str) -> Decimal | None:
    found = node.find(path, NS)
    return Decimal(found.text) if found is not None and found.text else None


def _lineas(raiz: etree._Element) -> list[etree._Element]:
    return [linea for tag in _LINEAS for linea in raiz.findall(tag, NS)]


def _igv(node: etree._Element) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(taxable amount, tax amount, percent) of the IGV subtotal under `node`'s TaxTotal."""
    for sub in node.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        if sub.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS) == "1000":
            return (_dec(sub, "cbc:TaxableAmount"), _dec(sub, "cbc:TaxAmount"),
                    _dec(sub, "cac:TaxCategory/cbc:Percent"))
    return None, None, None


def _regla_receptor_ruc(raiz: etree._Element) -> list[Hallazgo]:
    es_factura = raiz.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "01"
    operacion = raiz.find("cbc:InvoiceTypeCode", NS)
    exportacion = operacion is not None and (operacion.get("listID") or "").startswith("02")
    scheme = raiz.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
    if es_factura and not exportacion and (scheme is None or scheme.get("schemeID") != "6"):
        return [Hallazgo("2017", "El numero de documento de identidad del receptor debe ser RUC", False)]
    return []


def _reglas_linea(linea: etree._Element) -> list[Hallazgo]:
    hallazgos = []
    numero = linea.findtext("cbc:ID", namespaces=NS)
    valor = _dec(linea, "cbc:LineExtensionAmount")
    cantidad = next((_dec(linea, tag) for tag in _CANTIDADES if linea.find(tag, NS) is not None), None)
    precio = _dec(linea, "cac:Price/cbc:PriceAmount")
    ajustes = sum((Decimal(a.findtext("cbc:Amount", namespaces=NS)) * (1 if a.findtext(
        "cbc:ChargeIndicator", namespaces=NS) == "true" else -1) for a in linea.findall("cac:AllowanceCharge", NS)),
        Decimal(0))
    if None not in (valor, cantidad, precio) and precio and abs(cantidad * precio + ajustes - valor) > TOLERANCIA:
        hallazgos.append(Hallazgo("4288", f"Línea {numero}: el valor de venta no corresponde a cantidad × valor "
                                          "unitario", True))
    base, igv, tasa = _igv(linea)
    if None not in (base, igv, tasa) and abs(base * tasa / 100 - igv) > TOLERANCIA:
        hallazgos.append(Hallazgo("4290", f"Línea {numero}: el cálculo del IGV es incorrecto", True))
    return hallazgos


def _reglas_totales(raiz: etree._Element, lineas: list[etree._Element]) -> list[Hallazgo]:
    hallazgos = []
    total_valor = _dec(raiz, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount")
    suma_valor = sum((_dec(linea, "cbc:LineExtensionAmount") or Decimal(0) for linea in lineas), Decimal(0))
    if total_valor is not None and abs(total_valor - suma_valor) > TOLERANCIA:
        hallazgos.append(Hallazgo("4309", "La sumatoria de valores de venta de las líneas no corresponde al total "
                                          "valor de venta", True))
    _, igv_total, _ = _igv(raiz)
    suma_igv = sum((_igv(linea)[1] or Decimal(0) for linea in lineas), Decimal(0))
    if igv_total is not None and abs(igv_total - suma_igv) > TOLERANCIA:
        hallazgos.append(Hallazgo("4310", "La sumatoria del IGV de las líneas no corresponde al IGV total", True))
    return hallazgos


def validar_reglas(xml: bytes) -> list[Hallazgo]:
    raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if etree.QName(raiz).localname in ("SummaryDocuments", "VoidedDocuments"):
        return []
    lineas = _lineas(raiz)
    hallazgos = _regla_receptor_ruc(raiz)
    for linea in lineas:
        hallazgos += _reglas_linea(linea)
    return hallazgos + _reglas_totales(raiz, lineas)

"""Tax cases totales.py / ubl.py implement: ISC (catálogo 08 sistemas 01, 02, 03), a USD factura and global
discounts/charges (catálogo 53: 02, 03, 04, 49, 50). Each document is built, signed, XSD-validated and checked
against the SUNAT rules; the amounts in the XML are computed here by hand (ROUND_HALF_UP, 2 decimals)."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from integrations.sunat import firma, reglas, xsd
from integrations.sunat.documento import Cuota, DescuentoCargo, Detraccion, FormaPago
from integrations.sunat.ubl import NS
from tests.sunat.test_documentos import HOY, factura, firmado, linea

IGV = Decimal("0.18")


def r2(valor: Decimal) -> Decimal:
    return valor.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def emitir(comprobante) -> etree._Element:
    """Sign, validate (XSD + signature) and rule-check; the signed document's root."""
    xml = firmado(comprobante)
    assert xsd.validar(xml) == []
    firma.verificar_firma(xml)
    assert reglas.validar_reglas(xml) == []
    return etree.fromstring(xml)


def monto(nodo: etree._Element, path: str) -> Decimal:
    return Decimal(nodo.findtext(path, namespaces=NS))


def subtotal(nodo: etree._Element, tributo: str) -> etree._Element:
    return next(s for s in nodo.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
                if s.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS) == tributo)


def totales_xml(raiz: etree._Element) -> dict[str, Decimal]:
    lmt = raiz.find("cac:LegalMonetaryTotal", NS)
    return {etree.QName(e).localname: Decimal(e.text) for e in lmt}


def descuentos_cargos_xml(raiz: etree._Element) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(ac.findtext("cbc:ChargeIndicator", namespaces=NS), ac.findtext("cbc:AllowanceChargeReasonCode",
                                                                            namespaces=NS),
             monto(ac, "cbc:Amount"), monto(ac, "cbc:BaseAmount")) for ac in raiz.findall("cac:AllowanceCharge", NS)]


# --- ISC (tributo 2000) ------------------------------------------------------------------------------

# (sistema, cantidad, valor unitario, isc_tasa, precio público, ISC base, ISC, Percent in the XML)
_ISC = {
    # 01 al valor: ISC = valor de venta × tasa. 3 × 10.125 = 30.375 -> 30.38; × 17 % = 5.1646 -> 5.16
    "01": ("3", "10.125", "0.17", None, r2(Decimal("30.38")), r2(Decimal("30.38") * Decimal("0.17")),
           Decimal("17.00")),
    # 02 monto fijo: ISC = cantidad × monto por unidad. 10 × 1.25 = 12.50 on a valor de venta of 50.00, written
    # as the effective rate 25 % so that base × Percent = ISC (3108) and Percent ≠ 0 (3104)
    "02": ("10", "5", "1.25", None, Decimal("50.00"), Decimal("12.50"), Decimal("25.00")),
    # 03 precio de venta al público: base = cantidad × PVP / (1 + IGV) = 48 / 1.18 = 40.68; ISC = 40.68 × 25 %
    "03": ("12", "2.50", "0.25", "4.00", Decimal("40.68"), r2(Decimal("40.68") * Decimal("0.25")),
           Decimal("25.00")),
}


@pytest.mark.parametrize("sistema", list(_ISC))
def test_isc_line_and_igv_base_includes_isc(sistema):
    cantidad, valor, tasa, pvp, isc_base, isc, porcentaje = _ISC[sistema]
    c = factura(linea(valor, cantidad, isc_sistema=sistema, isc_tasa=Decimal(tasa),
                      isc_precio_publico=Decimal(pvp) if pvp else None))
    raiz = emitir(c)
    valor_venta = r2(Decimal(cantidad) * Decimal(valor))
    base_igv = valor_venta + isc  # SUNAT: the IGV base of a gravado line is valor de venta + ISC
    igv = r2(base_igv * IGV)
    total = valor_venta + isc + igv

    ln = raiz.find("cac:InvoiceLine", NS)
    isc_sub = subtotal(ln, "2000")
    assert (monto(isc_sub, "cbc:TaxableAmount"), monto(isc_sub, "cbc:TaxAmount")) == (isc_base, isc)
    assert Decimal(isc_sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS)) == porcentaje
    assert isc_sub.findtext("cac:TaxCategory/cbc:TierRange", namespaces=NS) == sistema
    igv_sub = subtotal(ln, "1000")
    assert (monto(igv_sub, "cbc:TaxableAmount"), monto(igv_sub, "cbc:TaxAmount")) == (base_igv, igv)
    assert monto(ln, "cac:TaxTotal/cbc:TaxAmount") == isc + igv
    precio = Decimal(ln.findtext("cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount",
                                 namespaces=NS))
    assert precio == (total / Decimal(cantidad)).quantize(precio)

    assert monto(raiz, "cac:TaxTotal/cbc:TaxAmount") == isc + igv
    assert (monto(subtotal(raiz, "2000"), "cbc:TaxableAmount"), monto(subtotal(raiz, "2000"), "cbc:TaxAmount")) \
        == (isc_base, isc)
    assert (monto(subtotal(raiz, "1000"), "cbc:TaxableAmount"), monto(subtotal(raiz, "1000"), "cbc:TaxAmount")) \
        == (base_igv, igv)
    assert totales_xml(raiz) == {"LineExtensionAmount": valor_venta, "TaxInclusiveAmount": total,
                                 "PayableAmount": total}


# --- foreign currency ----------------------------------------------------------------------------------


def test_factura_in_usd_with_detraccion_in_pen():
    """Every amount is in USD except the detracción (always PEN). The exchange rate is not an element of the
    factura's UBL: it only converts the total to PEN for the detracción and back for the net pending amount."""
    tipo_cambio = Decimal("3.712")
    total = r2(Decimal("1000") * (1 + IGV))  # 1180.00 USD
    detraccion = (total * tipo_cambio * Decimal("0.12")).quantize(Decimal(1), rounding=ROUND_HALF_UP)  # 526 PEN
    neto = total - r2(detraccion / tipo_cambio)  # 1180.00 - 141.70
    c = factura(linea("1000"), moneda="USD", tipo_cambio=tipo_cambio, tipo_operacion="1001",
                detraccion=Detraccion("037", Decimal("12"), "00-000-123456"),
                forma_pago=FormaPago.credito([Cuota(neto, HOY + timedelta(days=30))]))
    raiz = emitir(c)

    assert raiz.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "USD"
    monedas = {(etree.QName(e.getparent()).localname, etree.QName(e).localname, e.get("currencyID"))
               for e in raiz.iter() if e.get("currencyID")}
    assert {m for *_, m in monedas} == {"USD", "PEN"}
    assert {(p, t) for p, t, m in monedas if m == "PEN"} == {("PaymentTerms", "Amount")}
    terms = {t.findtext("cbc:PaymentMeansID", namespaces=NS): t for t in raiz.findall("cac:PaymentTerms", NS)}
    assert (monto(terms["037"], "cbc:Amount"), terms["037"].find("cbc:Amount", NS).get("currencyID")) \
        == (Decimal("526.00"), "PEN")
    assert monto(terms["Credito"], "cbc:Amount") == neto == Decimal("1038.30")
    assert terms["Credito"].find("cbc:Amount", NS).get("currencyID") == "USD"
    assert raiz.find(".//cac:PaymentExchangeRate", NS) is None
    assert totales_xml(raiz)["PayableAmount"] == total
    leyendas = {n.get("languageLocaleID"): n.text for n in raiz.findall("cbc:Note", NS)}
    assert leyendas["1000"] == "MIL CIENTO OCHENTA CON 00/100 DÓLARES AMERICANOS"


# --- global discounts and charges (catálogo 53) ------------------------------------------------------


def test_global_discount_02_reduces_the_igv_base():
    c = factura(linea("100", "2"), descuentos_cargos=[DescuentoCargo("02", factor=Decimal("0.10"))])
    raiz = emitir(c)
    descuento = r2(Decimal("200") * Decimal("0.10"))  # 20.00
    base = Decimal("200.00") - descuento
    igv = r2(base * IGV)  # 32.40: recomputed on the reduced base, not 36.00 - 3.60 by line
    assert descuentos_cargos_xml(raiz) == [("false", "02", descuento, Decimal("200.00"))]
    assert raiz.find("cac:AllowanceCharge/cbc:MultiplierFactorNumeric", NS).text == "0.10"
    assert (monto(subtotal(raiz, "1000"), "cbc:TaxableAmount"), monto(subtotal(raiz, "1000"), "cbc:TaxAmount")) \
        == (base, igv)
    assert monto(subtotal(raiz.find("cac:InvoiceLine", NS), "1000"), "cbc:TaxAmount") == Decimal("36.00")
    assert totales_xml(raiz) == {"LineExtensionAmount": base, "TaxInclusiveAmount": base + igv,
                                 "PayableAmount": base + igv}


def test_global_charge_49_increases_the_igv_base():
    c = factura(linea("100", "2"), descuentos_cargos=[DescuentoCargo("49", monto=Decimal("10"))])
    raiz = emitir(c)
    base = Decimal("210.00")
    igv = r2(base * IGV)  # 37.80
    assert descuentos_cargos_xml(raiz) == [("true", "49", Decimal("10.00"), Decimal("200.00"))]
    assert raiz.find("cac:AllowanceCharge/cbc:MultiplierFactorNumeric", NS).text == "0.05"
    assert monto(subtotal(raiz, "1000"), "cbc:TaxableAmount") == base
    assert totales_xml(raiz) == {"LineExtensionAmount": base, "TaxInclusiveAmount": base + igv,
                                 "PayableAmount": base + igv}


def test_global_03_discount_and_50_charge_only_change_the_payable_amount():
    c = factura(linea("100", "2"), descuentos_cargos=[DescuentoCargo("03", monto=Decimal("15")),
                                                      DescuentoCargo("50", factor=Decimal("0.05"))])
    raiz = emitir(c)
    cargo = r2(Decimal("200") * Decimal("0.05"))  # 10.00
    igv = r2(Decimal("200") * IGV)  # 36.00, base untouched
    assert descuentos_cargos_xml(raiz) == [("false", "03", Decimal("15.00"), Decimal("200.00")),
                                           ("true", "50", cargo, Decimal("200.00"))]
    assert (monto(subtotal(raiz, "1000"), "cbc:TaxableAmount"), monto(subtotal(raiz, "1000"), "cbc:TaxAmount")) \
        == (Decimal("200.00"), igv)
    assert totales_xml(raiz) == {"LineExtensionAmount": Decimal("200.00"), "TaxInclusiveAmount": 200 + igv,
                                 "AllowanceTotalAmount": Decimal("15.00"), "ChargeTotalAmount": cargo,
                                 "PayableAmount": 200 + igv - Decimal("15.00") + cargo}


def test_global_discounts_and_charges_combined_with_an_exonerated_line():
    c = factura(linea("100", "2"), linea("50", afectacion="20"),
                descuentos_cargos=[DescuentoCargo("02", factor=Decimal("0.10")), DescuentoCargo("49",
                                   monto=Decimal("5")), DescuentoCargo("50", monto=Decimal("3")),
                                   DescuentoCargo("03", monto=Decimal("2"))])
    raiz = emitir(c)
    base = Decimal("200") - Decimal("20.00") + Decimal("5.00")  # 02 and 49 act on the gravado base only
    igv = r2(base * IGV)  # 185 × 18 % = 33.30
    valor_venta = base + Decimal("50.00")
    assert monto(subtotal(raiz, "1000"), "cbc:TaxableAmount") == base
    assert monto(subtotal(raiz, "1000"), "cbc:TaxAmount") == igv
    assert monto(subtotal(raiz, "9997"), "cbc:TaxableAmount") == Decimal("50.00")
    assert totales_xml(raiz) == {"LineExtensionAmount": valor_venta, "TaxInclusiveAmount": valor_venta + igv,
                                 "AllowanceTotalAmount": Decimal("2.00"), "ChargeTotalAmount": Decimal("3.00"),
                                 "PayableAmount": valor_venta + igv - 2 + 3}


def test_line_01_discount_and_48_charge_change_only_the_payable_amount():
    """Line-level 01/48 leave the line's value and the IGV base alone but, like global 03/50, count in
    AllowanceTotalAmount/ChargeTotalAmount and the amount payable (SUNAT 4307/4308/4312)."""
    c = factura(linea("100", "2", descuentos_cargos=[DescuentoCargo("01", monto=Decimal("4")),
                                                     DescuentoCargo("48", monto=Decimal("1.50"))]),
                descuentos_cargos=[DescuentoCargo("03", monto=Decimal("2"))])
    raiz = emitir(c)
    igv = r2(Decimal("200") * IGV)
    assert monto(raiz.find("cac:InvoiceLine", NS), "cbc:LineExtensionAmount") == Decimal("200.00")
    assert monto(subtotal(raiz, "1000"), "cbc:TaxableAmount") == Decimal("200.00")
    assert totales_xml(raiz) == {"LineExtensionAmount": Decimal("200.00"), "TaxInclusiveAmount": 200 + igv,
                                 "AllowanceTotalAmount": Decimal("6.00"), "ChargeTotalAmount": Decimal("1.50"),
                                 "PayableAmount": 200 + igv - Decimal("6.00") + Decimal("1.50")}


def test_advance_deductions_are_refused_rather_than_written_wrong():
    """Anticipos need PrepaidAmount and cac:PrepaidPayment with the advance's document, which the library does not
    write: a global 04 is refused instead of producing a document SUNAT would observe or reject."""
    with pytest.raises(ValueError, match="anticipos"):
        firmado(factura(linea("1000"), descuentos_cargos=[DescuentoCargo("04", monto=Decimal("500"))]))

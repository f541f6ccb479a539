"""SUNAT validation rules (integrations/sunat/reglas.py): a correct document passes every rule and a minimally
tampered copy yields exactly the rule's code; 2000-3999 reject, 4000+ are observations."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from integrations.sunat import xsd
from integrations.sunat.documento import DescuentoCargo
from integrations.sunat.reglas import validar_reglas
from integrations.sunat.ubl import NS, construir_xml
from tests.sunat.test_documentos import factura, firmado, linea


def _factura():
    """Gravado + exonerado lines, two plastic bags (ICBPER), a global 03 discount and 50 charge, and a rounding
    amount."""
    return factura(linea("100", "2"), linea("50", afectacion="20"), linea("0.10", "2", icbper_cantidad=2),
                   redondeo=Decimal("-0.30"),
                   descuentos_cargos=[DescuentoCargo("03", monto=Decimal("2")),
                                      DescuentoCargo("50", monto=Decimal("3"))])


def _raiz() -> etree._Element:
    return etree.fromstring(firmado(_factura()))


def _hallazgos(raiz: etree._Element) -> list[tuple[str, bool]]:
    return [(h.codigo, h.es_observacion) for h in validar_reglas(etree.tostring(raiz))]


def _poner(path: str, texto: str | None = None, **attrs: str) -> Callable[[etree._Element], None]:
    def tamper(raiz: etree._Element) -> None:
        nodo = raiz.find(path, NS)
        if texto is not None:
            nodo.text = texto
        for nombre, valor in attrs.items():
            nodo.set(nombre, valor)
    return tamper


def _sumar(path: str, delta: str) -> Callable[[etree._Element], None]:
    def tamper(raiz: etree._Element) -> None:
        nodo = raiz.find(path, NS)
        nodo.text = f"{Decimal(nodo.text) + Decimal(delta):.2f}"
    return tamper


def _quitar(path: str) -> Callable[[etree._Element], None]:
    def tamper(raiz: etree._Element) -> None:
        nodo = raiz.find(path, NS)
        nodo.getparent().remove(nodo)
    return tamper


def _redondeo_excesivo(raiz: etree._Element) -> None:
    """PayableRoundingAmount 1.50 with PayableAmount moved accordingly: only the rounding limit is broken."""
    _sumar("cac:LegalMonetaryTotal/cbc:PayableRoundingAmount", "1.80")(raiz)
    _sumar("cac:LegalMonetaryTotal/cbc:PayableAmount", "1.80")(raiz)


_LINEA_1 = "cac:InvoiceLine[1]"
_IGV_LINEA_1 = f"{_LINEA_1}/cac:TaxTotal/cac:TaxSubtotal"
_AC_03, _AC_50 = "cac:AllowanceCharge[1]", "cac:AllowanceCharge[2]"

CASOS: dict[str, tuple[Callable[[etree._Element], None], str, bool]] = {
    "1001-serie": (_poner("cbc:ID", "F01-1"), "1001", False),
    "2040-afectacion-de-otro-tributo": (
        _poner(f"{_IGV_LINEA_1}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "20"), "2040", False),
    "2040-afectacion-inexistente": (
        _poner(f"{_IGV_LINEA_1}/cac:TaxCategory/cbc:TaxExemptionReasonCode", "99"), "2040", False),
    "2071-moneda": (_poner(f"{_LINEA_1}/cac:Price/cbc:PriceAmount", currencyID="USD"), "2071", False),
    "2072-customization": (_poner("cbc:CustomizationID", "1.0"), "2072", False),
    "2073-sin-customization": (_quitar("cbc:CustomizationID"), "2073", False),
    "3103-igv-linea": (_poner(f"{_IGV_LINEA_1}/cac:TaxCategory/cbc:Percent", "10.00"), "3103", False),
    "4293-impuestos-linea": (_sumar(f"{_LINEA_1}/cac:TaxTotal/cbc:TaxAmount", "4"), "4293", True),
    "4307-descuentos": (_sumar(f"{_AC_03}/cbc:Amount", "8"), "4307", True),
    "4308-cargos": (_sumar(f"{_AC_50}/cbc:Amount", "6"), "4308", True),
    "4309-valor-venta": (_sumar("cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "5"), "4309", True),
    "4290-igv-total": (_sumar("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "5"), "4290", True),
    "4312-importe-total": (_sumar("cac:LegalMonetaryTotal/cbc:PayableAmount", "5"), "4312", True),
    "4314-redondeo": (_redondeo_excesivo, "4314", True),
}


def test_the_reference_factura_is_valid_and_passes_every_rule():
    xml = firmado(_factura())
    assert xsd.validar(xml) == []
    assert validar_reglas(xml) == []
    lmt = etree.fromstring(xml).find("cac:LegalMonetaryTotal", NS)
    assert [etree.QName(e).localname for e in lmt] == [
        "LineExtensionAmount", "TaxInclusiveAmount", "AllowanceTotalAmount", "ChargeTotalAmount",
        "PayableRoundingAmount", "PayableAmount"]


@pytest.mark.parametrize("caso", list(CASOS))
def test_a_tampered_factura_yields_exactly_the_rule_code(caso):
    tamper, codigo, es_observacion = CASOS[caso]
    raiz = _raiz()
    tamper(raiz)
    assert _hallazgos(raiz) == [(codigo, es_observacion)]


def test_tolerance_is_sunats_one_sol_on_sums():
    raiz = _raiz()
    _sumar("cac:LegalMonetaryTotal/cbc:PayableAmount", "0.99")(raiz)
    assert _hallazgos(raiz) == []
    _sumar("cac:LegalMonetaryTotal/cbc:PayableAmount", "0.02")(raiz)
    assert _hallazgos(raiz) == [("4312", True)]


def test_line_afectacion_matches_each_tributo():
    c = factura(linea("100"), linea("10", afectacion="13"), linea("20", afectacion="20"),
                linea("30", afectacion="30"), linea("40", afectacion="17"))
    assert validar_reglas(construir_xml(c)) == []


def test_free_lines_and_base_affecting_globals_do_not_trip_4309_4290():
    """4309 sums only non-free lines and applies global 02/49; 4290 applies 02/04/49 at the IGV rate."""
    c = factura(linea("100", "2"), linea("20", afectacion="13"),
                descuentos_cargos=[DescuentoCargo("02", monto=Decimal("30")), DescuentoCargo("49",
                                                                                             monto=Decimal("7"))])
    assert validar_reglas(construir_xml(c)) == []


def test_2071_exempts_payment_terms_amounts_only():
    """The detracción's PaymentTerms/Amount is always PEN; any other amount must use the document currency."""
    raiz = _raiz()
    terms = etree.SubElement(raiz, f"{{{NS['cac']}}}PaymentTerms")
    etree.SubElement(terms, f"{{{NS['cbc']}}}Amount", currencyID="USD").text = "1.00"
    assert _hallazgos(raiz) == []
    raiz.find(f"{_AC_03}/cbc:Amount", NS).set("currencyID", "USD")
    assert _hallazgos(raiz) == [("2071", False)]


_BOLSA = "cac:InvoiceLine[3]/cac:TaxTotal/cac:TaxSubtotal[2]"  # the ICBPER subtotal of the bag line

CASOS_VARIOS: dict[str, tuple[Callable[[etree._Element], None], list[tuple[str, bool]]]] = {
    "3237-sin-bolsas": (_quitar(f"{_BOLSA}/cbc:BaseUnitMeasure"), [("3237", False)]),
    "3236-bolsas-no-son-la-cantidad": (_poner(f"{_BOLSA}/cbc:BaseUnitMeasure", "3"),
                                       [("3236", False), ("4318", True)]),
    "4320-unidad": (_poner(f"{_BOLSA}/cbc:BaseUnitMeasure", unitCode="KGM"), [("4320", True)]),
    "3238-monto-unitario-cero": (_poner(f"{_BOLSA}/cac:TaxCategory/cbc:PerUnitAmount", "0.00"),
                                 [("3238", False), ("4318", True), ("4237", True)]),
    "4318-icbper": (_sumar(f"{_BOLSA}/cbc:TaxAmount", "0.10"), [("4318", True)]),
    "4237-tasa-de-otro-anio": (_poner("cbc:IssueDate", "2022-06-01"), [("4237", True)]),
    "3071-codigo-global": (_poner(f"{_AC_03}/cbc:AllowanceChargeReasonCode", "00"),
                           [("3071", False), ("4307", True)]),
    "3072-sin-codigo-global": (_quitar(f"{_AC_03}/cbc:AllowanceChargeReasonCode"),
                               [("3072", False), ("4307", True)]),
    "3025-factor-global": (_poner(f"{_AC_03}/cbc:MultiplierFactorNumeric", "1234.5"), [("3025", False)]),
}


@pytest.mark.parametrize("caso", list(CASOS_VARIOS))
def test_icbper_and_global_allowance_rules(caso):
    tamper, esperado = CASOS_VARIOS[caso]
    raiz = _raiz()
    tamper(raiz)
    assert _hallazgos(raiz) == esperado


def test_1001_only_applies_to_facturas():
    raiz = etree.fromstring(construir_xml(factura(linea("50"), tipo="03", serie="B001",
                                                   adquirente=factura(linea("1")).adquirente)))
    assert _hallazgos(raiz) == []


def test_isc_needs_a_non_zero_factor_that_gives_the_amount():
    """3104 (ISC Percent 0) and 3108 (ISC base × Percent ≠ ISC), both rejections, on every ISC system."""
    for sistema, precio_publico in (("01", None), ("02", None), ("03", Decimal("4.00"))):
        isc = linea("2.50", "12", isc_sistema=sistema, isc_tasa=Decimal("0.25"), isc_precio_publico=precio_publico)
        raiz = etree.fromstring(firmado(factura(isc)))
        assert _hallazgos(raiz) == []
        porcentaje = next(p for p in raiz.iterfind("cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
                          if p.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) == "2000").find("cbc:Percent", NS)
        porcentaje.text = "30.00"
        assert _hallazgos(raiz) == [("3108", False)]
        porcentaje.text = "0.00"
        assert _hallazgos(raiz) == [("3104", False)]


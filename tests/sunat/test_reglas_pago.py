"""SUNAT rules for how a factura is paid and what operation it is (integrations/sunat/reglas.py): forma de pago
and instalments (3244-3319), detracción (3033-3035, 3127, 3128, 3174, 4265) and exportación (2642, 3107).
Each reference document passes every rule and the XSD; a minimally tampered copy yields exactly the rule's code."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

from integrations.sunat import xsd
from integrations.sunat.documento import Adquirente, Cuota, Detraccion, FormaPago
from integrations.sunat.reglas import validar_reglas
from integrations.sunat.ubl import NS
from tests.sunat.test_documentos import HOY, factura, firmado, linea
from tests.sunat.test_reglas import _poner

Tamper = Callable[[etree._Element], None]
EXTRANJERO = Adquirente("0", "US-77-1234567", "ACME IMPORTS LLC", "500 MAIN ST, MIAMI FL", pais="US")


def _credito():
    """236.00 in two instalments."""
    return factura(linea("100", "2"), forma_pago=FormaPago.credito([
        Cuota(Decimal("136.00"), HOY + timedelta(days=30)), Cuota(Decimal("100.00"), HOY + timedelta(days=60))]))


def _detraccion():
    """A 1 180.00 service subject to 12 % (142 PEN), paid al contado."""
    return factura(linea("1000", "1"), tipo_operacion="1001",
                   detraccion=Detraccion("037", Decimal("12"), "00-000-123456"))


def _exportacion():
    return factura(linea("500", "2", afectacion="40"), tipo_operacion="0200", moneda="USD",
                   tipo_cambio=Decimal("3.75"), adquirente=EXTRANJERO)


DOCUMENTOS = {"contado": factura(linea("100", "2")), "credito": _credito(), "detraccion": _detraccion(),
              "exportacion": _exportacion()}


def _hallazgos(raiz: etree._Element) -> list[tuple[str, bool]]:
    return [(h.codigo, h.es_observacion) for h in validar_reglas(etree.tostring(raiz))]


def _termino(raiz: etree._Element, medio: str) -> etree._Element:
    return next(t for t in raiz.findall("cac:PaymentTerms", NS) if t.findtext("cbc:PaymentMeansID", namespaces=NS)
                == medio)


def _en_termino(medio: str, hijo: str, texto: str | None = None) -> Tamper:
    """Set the text of `hijo` in the PaymentTerms whose PaymentMeansID is `medio`, or remove it (None)."""
    def tamper(raiz: etree._Element) -> None:
        nodo = _termino(raiz, medio).find(hijo, NS)
        if texto is None:
            nodo.getparent().remove(nodo)
        else:
            nodo.text = texto
    return tamper


def _quitar(path: str) -> Tamper:
    def tamper(raiz: etree._Element) -> None:
        for nodo in raiz.findall(path, NS):
            nodo.getparent().remove(nodo)
    return tamper


def _neto_mayor_al_total(raiz: etree._Element) -> None:
    """Net pending 10.00 over PayableAmount, the instalments still adding up to it: only 3265 is broken."""
    for medio in ("Credito", "Cuota001"):
        nodo = _termino(raiz, medio).find("cbc:Amount", NS)
        nodo.text = f"{Decimal(nodo.text) + 10:.2f}"


def _quitar_cuotas(raiz: etree._Element) -> None:
    for medio in ("Cuota001", "Cuota002"):
        termino = _termino(raiz, medio)
        termino.getparent().remove(termino)


def _sin_leyenda_detraccion(raiz: etree._Element) -> None:
    nota = next(n for n in raiz.findall("cbc:Note", NS) if n.get("languageLocaleID") == "2006")
    raiz.remove(nota)


def _linea_gravada(raiz: etree._Element) -> None:
    """An export line written as a 0 %-IGV gravado line (afectación 10, tributo 1000): only 2642 is broken."""
    sub = raiz.find("cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal", NS)
    sub.find("cac:TaxCategory/cbc:TaxExemptionReasonCode", NS).text = "10"
    sub.find("cac:TaxCategory/cac:TaxScheme/cbc:ID", NS).text = "1000"


_LEGAL = "cac:LegalMonetaryTotal"

CASOS: dict[str, tuple[str, Tamper, str, bool]] = {
    "3244-sin-forma-de-pago": ("contado", _quitar("cac:PaymentTerms"), "3244", False),
    "3246-forma-de-pago-desconocida": ("contado", _en_termino("Contado", "cbc:PaymentMeansID", "Contada"), "3246",
                                       False),
    "3249-credito-sin-cuotas": ("credito", _quitar_cuotas, "3249", False),
    "3251-credito-sin-monto-neto": ("credito", _en_termino("Credito", "cbc:Amount"), "3251", False),
    "3252-cuotas-sin-credito": ("credito", _en_termino("Credito", "cbc:PaymentMeansID", "Contado"), "3252", False),
    "3256-cuota-sin-vencimiento": ("credito", _en_termino("Cuota002", "cbc:PaymentDueDate"), "3256", False),
    "3265-neto-mayor-al-total": ("credito", _neto_mayor_al_total, "3265", False),
    "3319-cuotas-no-suman-el-neto": ("credito", _en_termino("Cuota002", "cbc:Amount", "99.99"), "3319", False),
    "3127-sin-codigo-de-detraccion": ("detraccion", _en_termino("037", "cbc:PaymentMeansID", ""), "3127", False),
    "3128-codigo-sin-operacion-de-detraccion": ("detraccion", _poner("cbc:InvoiceTypeCode", listID="0101"), "3128",
                                                False),
    "3033-codigo-fuera-del-catalogo-54": ("detraccion", _en_termino("037", "cbc:PaymentMeansID", "999"), "3033",
                                          False),
    "3035-sin-monto-de-detraccion": ("detraccion", _en_termino("037", "cbc:Amount"), "3035", False),
    "3034-sin-cuenta-banco-de-la-nacion": ("detraccion", _quitar("cac:PaymentMeans/cac:PayeeFinancialAccount"),
                                           "3034", False),
    "3174-medio-de-pago-fuera-del-catalogo-59": ("detraccion", _poner("cac:PaymentMeans/cbc:PaymentMeansCode", "998"),
                                                 "3174", False),
    "4265-sin-leyenda-2006": ("detraccion", _sin_leyenda_detraccion, "4265", True),
    "2642-exportacion-sin-afectacion-40": ("exportacion", _linea_gravada, "2642", False),
    "3107-exportacion-con-tributo-interno": ("exportacion",
                                             _poner("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID",
                                                    "9998"), "3107", False),
}


@pytest.mark.parametrize("nombre", list(DOCUMENTOS))
def test_reference_documents_pass_the_schema_and_every_rule(nombre):
    xml = firmado(DOCUMENTOS[nombre])
    assert xsd.validar(xml) == []
    assert validar_reglas(xml) == []


@pytest.mark.parametrize("caso", list(CASOS))
def test_a_tampered_document_yields_exactly_the_rule_code(caso):
    documento, tamper, codigo, es_observacion = CASOS[caso]
    raiz = etree.fromstring(firmado(DOCUMENTOS[documento]))
    tamper(raiz)
    assert _hallazgos(raiz) == [(codigo, es_observacion)]


def test_instalments_add_up_to_the_cent():
    """3319 compares to the cent (no ±1 tolerance: the instalments are what the customer owes)."""
    raiz = etree.fromstring(firmado(_credito()))
    _en_termino("Cuota002", "cbc:Amount", "100.01")(raiz)
    assert _hallazgos(raiz) == [("3319", False)]


def test_credit_terms_are_written_as_sunat_shows_them():
    raiz = etree.fromstring(firmado(_credito()))
    terminos = [(t.findtext("cbc:ID", namespaces=NS), t.findtext("cbc:PaymentMeansID", namespaces=NS),
                 t.findtext("cbc:Amount", namespaces=NS), t.findtext("cbc:PaymentDueDate", namespaces=NS))
                for t in raiz.findall("cac:PaymentTerms", NS)]
    assert terminos == [("FormaPago", "Credito", "236.00", None),
                        ("FormaPago", "Cuota001", "136.00", (HOY + timedelta(days=30)).isoformat()),
                        ("FormaPago", "Cuota002", "100.00", (HOY + timedelta(days=60)).isoformat())]


def test_export_customer_carries_its_country():
    raiz = etree.fromstring(firmado(_exportacion()))
    party = raiz.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert party.find("cac:PartyIdentification/cbc:ID", NS).get("schemeID") == "0"
    assert party.findtext("cac:PartyLegalEntity/cac:RegistrationAddress/cac:Country/cbc:IdentificationCode",
                          namespaces=NS) == "US"
    assert raiz.find("cbc:InvoiceTypeCode", NS).get("listID") == "0200"

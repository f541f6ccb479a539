"""The SUNAT document library on its own (no database, no network): totals, UBL 2.1 + XSD for every
document type, XMLDSig checked by two independent verifiers, SUNAT rules, the printed PDF and its QR."""

import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from lxml import etree
from pyzbar.pyzbar import decode

from integrations.sunat import firma, reglas, xsd
from integrations.sunat.documento import (
    Adquirente,
    BajaLinea,
    Comprobante,
    ComunicacionBaja,
    Cuota,
    DescuentoCargo,
    Detraccion,
    Direccion,
    DocumentoReferencia,
    Emisor,
    FormaPago,
    Linea,
    ResumenDiario,
    ResumenLinea,
)
from integrations.sunat.pdf import generar_pdf, monto_en_letras
from integrations.sunat.totales import calcular
from integrations.sunat.ubl import NS, construir, construir_xml

EMISOR = Emisor("20100066603", "JSOLUCIONES DEMO S.A.C.", Direccion("AV. JAVIER PRADO 123", ubigeo="150131"))
CLIENTE = Adquirente("6", "20100047218", "CLIENTE DEMO S.A.")
HOY = date(2026, 11, 20)
PFX, PASSWORD = firma.generar_certificado_demo(EMISOR.ruc, EMISOR.razon_social)


def factura(*lineas: Linea, tipo: str = "01", serie: str = "F001", **kw) -> Comprobante:
    adquirente = kw.pop("adquirente", CLIENTE)
    return Comprobante(tipo, serie, 1, HOY, EMISOR, adquirente, list(lineas), **kw)


def linea(valor: str, cantidad: str = "1", afectacion: str = "10", **kw) -> Linea:
    return Linea("P1", "Producto", Decimal(cantidad), Decimal(valor), afectacion_igv=afectacion, **kw)


def firmado(documento) -> bytes:
    return firma.firmar_xml(construir(documento), PFX, PASSWORD)[0]


# --- totals ---------------------------------------------------------------------------------------


def test_gravado_exonerado_inafecto_by_tributo():
    t = calcular(factura(linea("100", "2"), linea("50", afectacion="20"), linea("30", afectacion="30")))
    assert (t.gravado, t.exonerado, t.inafecto) == (Decimal("200.00"), Decimal("50.00"), Decimal("30.00"))
    assert t.igv == Decimal("36.00")
    assert t.importe_total == Decimal("316.00")
    assert {tr.codigo for tr in t.tributos} == {"1000", "9997", "9998"}


def test_igv_rounds_half_up_per_line():
    t = calcular(factura(linea("10.125", "3")))  # 30.375 -> 30.38; IGV 5.4675 -> 5.47
    assert t.lineas[0].valor_venta == Decimal("30.38")
    assert t.igv == Decimal("5.47") and t.importe_total == Decimal("35.85")


def test_gratuita_pays_nothing_and_is_reported_apart():
    t = calcular(factura(linea("100", "2"), linea("20", afectacion="13")))
    assert t.gratuito == Decimal("20.00") and t.importe_total == Decimal("236.00")
    assert any(codigo == "1002" for codigo, _ in t.leyendas)  # "transferencia gratuita"


def test_icbper_per_bag():
    t = calcular(factura(linea("100"), linea("0.10", "2", icbper_cantidad=2)))
    assert t.icbper == Decimal("1.00") and t.importe_total == Decimal("119.24")  # 118 + 0.24 + 2 × 0.50


def test_line_discount_reduces_the_taxable_base():
    t = calcular(factura(linea("100", "2", descuentos_cargos=[DescuentoCargo("00", factor=Decimal("0.10"))])))
    assert t.gravado == Decimal("180.00") and t.igv == Decimal("32.40") and t.importe_total == Decimal("212.40")


def test_exportacion_has_no_igv():
    t = calcular(factura(linea("1000", afectacion="40"), tipo_operacion="0200", moneda="USD",
                         tipo_cambio=Decimal("3.75")))
    assert t.exportacion == Decimal("1000.00") and t.igv == 0 and t.importe_total == Decimal("1000.00")


def test_detraccion_and_credit_instalments():
    c = factura(linea("1000"), tipo_operacion="1001",
                detraccion=Detraccion("037", Decimal("12"), "00-000-123456"),
                forma_pago=FormaPago.credito([Cuota(Decimal("1038.00"), HOY + timedelta(days=30))]))
    t = calcular(c)
    assert t.importe_total == Decimal("1180.00")
    assert t.monto_detraccion == Decimal("142.00")  # 12 % of 1180 = 141.60, deposited in whole soles
    assert t.monto_neto_pendiente == Decimal("1038.00")


def test_amount_in_words():
    assert monto_en_letras(Decimal("118.00"), "PEN") == "CIENTO DIECIOCHO CON 00/100 SOLES"
    assert monto_en_letras(Decimal("1005.50"), "USD") == "MIL CINCO CON 50/100 DÓLARES AMERICANOS"


# --- UBL, XSD, signature -----------------------------------------------------------------------------


def _documentos() -> dict[str, object]:
    boleta = factura(linea("50"), tipo="03", serie="B001", adquirente=Adquirente("1", "45678912", "JUAN PEREZ"))
    ref = DocumentoReferencia("01", "F001", 1)
    return {
        "factura": factura(linea("100", "2"), forma_pago=FormaPago.contado()),
        "boleta": boleta,
        "nota_credito": factura(linea("100"), tipo="07", documento_referencia=ref, motivo_codigo="01",
                                motivo_descripcion="ANULACION DE LA OPERACION"),
        "nota_debito": factura(linea("10"), tipo="08", documento_referencia=ref, motivo_codigo="02",
                               motivo_descripcion="AUMENTO EN EL VALOR"),
        "resumen": ResumenDiario(EMISOR, HOY, HOY, 1, [ResumenLinea(boleta)]),
        "baja": ComunicacionBaja(EMISOR, HOY, HOY, 1, [BajaLinea("01", "F001", 1, "ERROR EN DATOS")]),
    }


@pytest.mark.parametrize("nombre", list(_documentos()))
def test_every_document_type_is_valid_ubl_after_signing(nombre):
    xml = firmado(_documentos()[nombre])
    assert xsd.validar(xml) == []
    firma.verificar_firma(xml)


def test_building_and_signing_is_deterministic():
    c = _documentos()["factura"]
    assert firma.firmar_xml(construir_xml(c), PFX, PASSWORD) == firma.firmar_xml(construir_xml(c), PFX, PASSWORD)


def _xmlsec1_verify(xml: bytes, tmp_path) -> bool:
    raiz = etree.fromstring(xml)
    cert = "".join(raiz.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text.split())
    pem = tmp_path / "cert.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n" + "\n".join(cert[i:i + 64] for i in range(0, len(cert), 64))
                   + "\n-----END CERTIFICATE-----\n")
    doc = tmp_path / "doc.xml"
    doc.write_bytes(xml)
    res = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(pem), str(doc)], capture_output=True)
    return res.returncode == 0


def test_signature_verifies_independently_and_a_tampered_amount_fails(tmp_path):
    xml = firmado(_documentos()["factura"])
    assert _xmlsec1_verify(xml, tmp_path)
    tampered = xml.replace(b">236.00</cbc:PayableAmount>", b">1.00</cbc:PayableAmount>")
    assert tampered != xml
    assert not _xmlsec1_verify(tampered, tmp_path)
    with pytest.raises(firma.FirmaInvalida):
        firma.verificar_firma(tampered)


# --- SUNAT rules ---------------------------------------------------------------------------------


def test_rules_accept_a_correct_factura():
    assert reglas.validar_reglas(firmado(_documentos()["factura"])) == []


def test_rules_flag_a_wrong_igv_with_sunat_codes():
    xml = construir_xml(_documentos()["factura"])
    raiz = etree.fromstring(xml)
    linea_igv = raiz.find("cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", NS)
    linea_igv.text = "30.00"
    hallazgos = {h.codigo: h.es_observacion for h in reglas.validar_reglas(etree.tostring(raiz))}
    assert hallazgos["3103"] is False  # the line's IGV ≠ base × rate: SUNAT rejects
    assert hallazgos["4290"] is True  # the document's IGV ≠ the lines' IGV: observation


def test_rules_refuse_a_factura_to_a_customer_without_ruc():
    c = factura(linea("100"), adquirente=Adquirente("1", "45678912", "JUAN PEREZ"))
    hallazgos = reglas.validar_reglas(construir_xml(c))
    assert [(h.codigo, h.es_observacion) for h in hallazgos] == [("2017", False)]


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_qr_decodes_to_the_sunat_string_and_rendering_is_stable():
    c = _documentos()["factura"]
    signed, digest = firma.firmar_xml(construir_xml(c), PFX, PASSWORD)
    qr = f"{EMISOR.ruc}|01|F001|1|36.00|236.00|2026-11-20|6|{CLIENTE.numero_documento}|{digest}|"
    pdf = generar_pdf(c, qr, digest)
    assert pdf == generar_pdf(c, qr, digest)
    image = pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil()
    assert [d.data.decode() for d in decode(image)] == [qr]
    ticket = generar_pdf(c, qr, digest, formato="ticket")
    assert [d.data.decode() for d in decode(pdfium.PdfDocument(ticket)[0].render(scale=3).to_pil())] == [qr]

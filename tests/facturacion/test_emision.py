"""Issuing facturas against the local SUNAT: accepted with CDR 0, rejected RUC, files, signature, QR."""

import io

import pypdfium2
from pyzbar.pyzbar import decode

from integrations.sunat.cdr import leer_cdr
from integrations.sunat.sandbox.verificacion import verificar_firma
from integrations.sunat.xsd import validar as validar_xsd
from tests.facturacion.conftest import RUC_NO_INSCRITO, factura


def _qr_del_pdf(pdf: bytes) -> str:
    pagina = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    imagen = pagina.render(scale=3).to_pil()
    codigos = decode(imagen)
    assert codigos, "el PDF no tiene un QR legible"
    return codigos[0].data.decode()


def test_factura_con_ruc_valido_aceptada_con_cdr_0(client, admin_headers, worker, sunat, emitir, esperar):
    c = emitir()
    assert (c["serie"], c["numero"], c["tipo"], c["estado_sunat"]) == ("F001", 1, "01", "PENDIENTE")
    c = esperar(c["id"], "ACEPTADO", archivo="pdf")
    assert c["codigo_respuesta"] == "0"
    assert [e["codigo_respuesta"] for e in c["envios_sunat"]] == ["0"]

    xml = client.get(f"/api/facturacion/comprobantes/{c['id']}/xml/", headers=admin_headers)
    assert xml.status_code == 200 and xml.headers["content-type"] == "application/xml"
    assert verificar_firma(xml.content) is None
    assert validar_xsd(xml.content) == []  # UBL 2.1 schemas (SUNAT's Anexo 8 packaging)
    assert c["hash"] and c["hash"].encode() in xml.content

    cdr = client.get(f"/api/facturacion/comprobantes/{c['id']}/cdr/", headers=admin_headers)
    assert cdr.status_code == 200
    assert leer_cdr(cdr.content).codigo == "0"

    pdf = client.get(f"/api/facturacion/comprobantes/{c['id']}/pdf/", headers=admin_headers)
    qr = _qr_del_pdf(pdf.content)
    assert qr == c["qr"] == f"20100066603|01|F001|1|36.00|236.00|{c['fecha_emision']}|6|20100047218|{c['hash']}|"


def test_ruc_no_inscrito_rechazado_y_registrado_en_envios(client, admin_headers, worker, sunat, emitir, esperar):
    c = esperar(emitir(factura(ruc=RUC_NO_INSCRITO))["id"], "RECHAZADO")
    assert c["codigo_respuesta"] == "1083"
    assert c["envios_sunat"][0]["estado"] == "RECHAZADO" and c["envios_sunat"][0]["codigo_respuesta"] == "1083"
    res = client.post(f"/api/facturacion/comprobantes/{c['id']}/reenviar/", headers=admin_headers)
    assert res.status_code == 409 and "nuevo comprobante" in res.json()["message"]

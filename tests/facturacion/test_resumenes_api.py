"""Summaries (RC) and voidings (RA) visible through the API (issue 10, point 9): the real worker sends them to
the local SUNAT; operators follow them, their documents, ticket and answer, and download the signed XML and
the CDR."""

import time
from datetime import timedelta

from lxml import etree
from sqlalchemy import text

from core.db import session_scope
from integrations.sunat.cdr import leer_cdr
from services.facturacion import ahora_lima
from tests.facturacion.conftest import boleta

RESUMENES = "/api/facturacion/resumenes/"


def _hasta(client, headers, identificador: str, *estados: str, timeout: float = 30.0) -> dict:  # noqa: ANN001
    limite = time.monotonic() + timeout
    while True:
        res = client.get(f"{RESUMENES}{identificador}/", headers=headers)
        assert res.status_code == 200, res.text
        if res.json()["estado_envio"] in estados:
            return res.json()
        assert time.monotonic() < limite, res.json()
        time.sleep(0.1)


def _descargas(client, headers, identificador: str) -> None:  # noqa: ANN001
    xml = client.get(f"{RESUMENES}{identificador}/xml/", headers=headers)
    assert xml.status_code == 200 and xml.headers["content-type"] == "application/xml"
    raiz = etree.fromstring(xml.content)
    assert raiz.findtext("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID") == identificador
    assert raiz.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue") is not None
    cdr = client.get(f"{RESUMENES}{identificador}/cdr/", headers=headers)
    assert cdr.status_code == 200 and cdr.headers["content-type"] == "application/zip"
    constancia = leer_cdr(cdr.content)
    assert (constancia.codigo, constancia.documento_id) == ("0", identificador)


def test_resumen_diario_y_baja_visibles_con_xml_y_cdr(client, admin_headers, worker, sunat, emitir, esperar):
    hoy = ahora_lima().date()
    boletas = [emitir(boleta(dni)) for dni in ("45678912", "40404040")]
    for b in boletas:
        esperar(b["id"], "PENDIENTE", archivo="xml")
    futuro = client.post("/api/facturacion/resumen-diario/", json={"fecha": str(hoy + timedelta(days=1))},
                         headers=admin_headers)
    assert futuro.status_code == 400 and futuro.json()["errors"][0]["field"] == "fecha"
    # A date before the boletas' informs nothing.
    res = client.post("/api/facturacion/resumen-diario/", json={"fecha": str(hoy - timedelta(days=1))},
                      headers=admin_headers)
    assert res.status_code == 202 and res.json() == []

    res = client.post("/api/facturacion/resumen-diario/", json={"fecha": str(hoy)}, headers=admin_headers)
    assert res.status_code == 202, res.text
    [rc] = res.json()
    assert (rc["tipo"], rc["fecha"], rc["cantidad_documentos"]) == ("RC", str(hoy), 2)
    assert rc["identificador"].startswith(f"RC-{hoy:%Y%m%d}-") and rc["workflow_id"] == f"resumen-{rc['identificador']}"
    assert sorted((d["documento"], d["condicion"]) for d in rc["documentos"]) == sorted(
        (f"{b['serie']}-{b['numero']}", "1") for b in boletas)
    rc = _hasta(client, admin_headers, rc["identificador"], "ACEPTADO")
    assert rc["codigo_ticket"] and rc["codigo_respuesta"] == "0" and rc["mensaje_respuesta"]
    assert {d["estado_sunat"] for d in rc["documentos"]} == {"ACEPTADO"}
    _descargas(client, admin_headers, rc["identificador"])

    factura = esperar(emitir()["id"], "ACEPTADO")
    res = client.post(f"/api/facturacion/comprobantes/{factura['id']}/anular/", json={"motivo": "Error en el monto"},
                      headers=admin_headers)
    assert res.status_code == 202, res.text
    ra = res.json()
    assert (ra["tipo"], ra["cantidad_documentos"], ra["estado_envio"]) == ("RA", 1, "PENDIENTE")
    assert [(d["comprobante_id"], d["condicion"], d["motivo"]) for d in ra["documentos"]] == [
        (factura["id"], "3", "Error en el monto")]
    ra = _hasta(client, admin_headers, ra["identificador"], "ACEPTADO")
    assert ra["documentos"][0]["estado_sunat"] == "ANULADO" and ra["codigo_ticket"]
    _descargas(client, admin_headers, ra["identificador"])

    # The list: newest first, one shape (core.schemas.Pagina), filters by tipo, estado and fecha.
    def listar(**params: object) -> dict:
        res = client.get(RESUMENES, params=params, headers=admin_headers)
        assert res.status_code == 200, res.text
        return res.json()

    todos = listar()
    assert (todos["total"], [r["identificador"] for r in todos["items"]]) == (
        2, [ra["identificador"], rc["identificador"]])
    assert todos["items"][1]["documentos"] == rc["documentos"]
    assert [r["tipo"] for r in listar(tipo="RA")["items"]] == ["RA"]
    assert listar(estado="ACEPTADO", fecha=str(hoy))["total"] == 2
    assert listar(fecha_hasta=str(hoy - timedelta(days=1)))["total"] == 0
    pagina = listar(limit=1, offset=1)
    assert (pagina["total"], pagina["limit"], pagina["offset"], len(pagina["items"])) == (2, 1, 1, 1)
    malo = client.get(RESUMENES, params={"tipo": "XX"}, headers=admin_headers)
    assert malo.status_code == 400 and malo.json()["errors"][0]["field"].endswith("tipo"), malo.text
    assert client.get(f"{RESUMENES}RA-19990101-1/", headers=admin_headers).status_code == 404

    # A boleta's credit note is informed by the next resumen, bounded like any note.
    res = client.post("/api/facturacion/notas/", json={"tipo": "07", "comprobante_origen_id": boletas[0]["id"],
                                                       "motivo_codigo": "01", "motivo_descripcion": "Anulación"},
                      headers=admin_headers)
    assert res.status_code == 201 and res.json()["serie"] == "BC01", res.text
    nota = esperar(res.json()["id"], "PENDIENTE", archivo="xml")
    [rc2] = client.post("/api/facturacion/resumen-diario/", headers=admin_headers).json()
    assert [(d["tipo"], d["documento"], d["condicion"]) for d in rc2["documentos"]] == [
        ("07", f"BC01-{nota['numero']}", "1")]
    rc2 = _hasta(client, admin_headers, rc2["identificador"], "ACEPTADO")
    assert rc2["documentos"][0]["estado_sunat"] == "ACEPTADO"
    vista = client.get(f"/api/facturacion/comprobantes/{boletas[0]['id']}/", headers=admin_headers).json()
    assert (vista["saldo_por_acreditar"], vista["cerrado_para_credito"]) == ("0.00", True)


def test_baja_no_recibida_por_sunat_muestra_el_error_y_su_xml(client, admin_headers, worker, sunat, emitir,
                                                              esperar, make_user):
    factura = esperar(emitir()["id"], "ACEPTADO")
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET sunat_usuario_sol = 'OTRO'"))
    ra = client.post(f"/api/facturacion/comprobantes/{factura['id']}/anular/", json={"motivo": "Error"},
                     headers=admin_headers).json()
    ra = _hasta(client, admin_headers, ra["identificador"], "ERROR")
    assert (ra["codigo_respuesta"], ra["codigo_ticket"]) == ("0102", None)
    assert ra["documentos"][0]["estado_sunat"] == "ACEPTADO"  # the factura stays valid
    # The signed XML that SUNAT refused to receive can be inspected; there is no CDR.
    assert client.get(f"{RESUMENES}{ra['identificador']}/xml/", headers=admin_headers).status_code == 200
    assert client.get(f"{RESUMENES}{ra['identificador']}/cdr/", headers=admin_headers).status_code == 404
    assert client.get(RESUMENES, params={"estado": "ERROR"}, headers=admin_headers).json()["total"] == 1
    _, sin_permiso = make_user("ALMACENERO")
    assert client.get(RESUMENES, headers=sin_permiso).status_code == 403
    assert client.get(RESUMENES).status_code == 401

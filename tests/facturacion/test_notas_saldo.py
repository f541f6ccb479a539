"""Notes are bounded by what was invoiced, line by line (issue 10, point 8): through the API, against the real
worker, PostgreSQL and the local SUNAT."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from core.db import session_scope
from tests.facturacion.conftest import RUC_CLIENTE

NOTAS = "/api/facturacion/notas/"


def _factura_dos_lineas() -> dict:
    """Line 1: 2 × 100.00, line 2: 1 × 50.00 (gravadas): total 295.00."""
    return {"cliente": {"tipo_documento": "6", "numero_documento": RUC_CLIENTE, "razon_social": "CLIENTE DEMO S.A.C.",
                        "direccion": "AV. AREQUIPA 100, LIMA"},
            "lineas": [{"codigo_producto": "P001", "descripcion": "Silla", "cantidad": "2", "valor_unitario": "100"},
                       {"codigo_producto": "P002", "descripcion": "Mesa", "cantidad": "1", "valor_unitario": "50"}]}


def _nota(origen: int, motivo: str, lineas: list[dict] | None = None, tipo: str = "07") -> dict:
    return {"tipo": tipo, "comprobante_origen_id": origen, "motivo_codigo": motivo,
            "motivo_descripcion": f"Motivo {motivo}", **({"lineas": lineas} if lineas is not None else {})}


def _factura(client, headers, esperar, emitir, body: dict | None = None) -> dict:  # noqa: ANN001
    return esperar(emitir(body or _factura_dos_lineas())["id"], "ACEPTADO")


def _ver(client, headers, cid: int) -> dict:  # noqa: ANN001
    res = client.get(f"/api/facturacion/comprobantes/{cid}/", headers=headers)
    assert res.status_code == 200, res.text
    return res.json()


def _error(res, status: int, field: str) -> str:  # noqa: ANN001
    assert res.status_code == status, res.text
    errores = res.json()["errors"]
    assert errores and errores[0]["field"] == field, errores
    return errores[0]["message"]


def test_devolucion_parcial_y_anulacion_cierran_la_factura(client, admin_headers, worker, sunat, emitir, esperar):
    f = _factura(client, admin_headers, esperar, emitir)
    assert (f["total_venta"], f["total_acreditado"], f["saldo_por_acreditar"]) == ("295.00", "0.00", "295.00")

    # Devolución por ítem: one chair of two.
    res = client.post(NOTAS, json=_nota(f["id"], "07", [{"linea_origen": 1, "cantidad": "1"}]), headers=admin_headers)
    assert res.status_code == 201, res.text
    devolucion = res.json()
    assert (devolucion["serie"], devolucion["total_venta"]) == ("FC01", "118.00")
    vista = _ver(client, admin_headers, f["id"])
    assert (vista["total_acreditado"], vista["saldo_por_acreditar"], vista["cerrado_para_credito"]) == (
        "118.00", "177.00", False)
    silla = vista["lineas"][0]
    assert (silla["cantidad_devuelta"], silla["cantidad_por_devolver"], silla["valor_por_acreditar"]) == (
        "1.0000", "1.0000", "100.00")

    # Two more chairs than are left, a line that does not exist, a line that changes the product: 422 naming each.
    res = client.post(NOTAS, json=_nota(f["id"], "07", [{"linea_origen": 1, "cantidad": "2"},
                                                        {"linea_origen": 3, "cantidad": "1"},
                                                        {"linea_origen": 2, "codigo_producto": "OTRO"}]),
                      headers=admin_headers)
    assert res.status_code == 422, res.text
    campos = [e["field"] for e in res.json()["errors"]]
    assert campos == ["lineas.0.cantidad", "lineas.0.valor_unitario", "lineas.1.linea_origen",
                      "lineas.2.codigo_producto"]
    assert "admite devolver 1 (facturado 2, devuelto 1)" in res.json()["errors"][0]["message"]
    # The same line named twice in one note counts twice.
    res = client.post(NOTAS, json=_nota(f["id"], "07", [{"linea_origen": 1, "cantidad": "1"},
                                                        {"linea_origen": 1, "cantidad": "1"}]), headers=admin_headers)
    _error(res, 422, "lineas.1.cantidad")
    # Lines without a reference to the original, or no lines for a partial motivo: 422.
    res = client.post(NOTAS, json=_nota(f["id"], "07", [{"codigo_producto": "P001", "descripcion": "Silla",
                                                         "cantidad": "1", "valor_unitario": "100"}]),
                      headers=admin_headers)
    _error(res, 422, "lineas.0.linea_origen")
    _error(client.post(NOTAS, json=_nota(f["id"], "07"), headers=admin_headers), 422, "lineas")
    # An anulación credits the whole balance: it takes no lines.
    _error(client.post(NOTAS, json=_nota(f["id"], "01", [{"linea_origen": 2}]), headers=admin_headers), 422, "lineas")

    res = client.post(NOTAS, json=_nota(f["id"], "01"), headers=admin_headers)
    assert res.status_code == 201, res.text
    anulacion = res.json()
    assert anulacion["total_venta"] == "177.00"  # what was left: one chair and the table
    lineas = _ver(client, admin_headers, anulacion["id"])["lineas"]
    assert [(d["orden"], d["cantidad"], d["valor_unitario"]) for d in lineas] == [
        (1, "1.0000", "100.0000000000"), (2, "1.0000", "50.0000000000")]

    for nota in (_nota(f["id"], "09", [{"linea_origen": 2, "valor_unitario": "1"}]),
                 _nota(f["id"], "01"), _nota(f["id"], "01", [{"linea_origen": 1, "valor_unitario": "5"}], tipo="08")):
        assert "anulado" in _error(client.post(NOTAS, json=nota, headers=admin_headers), 409, "comprobante_origen_id")

    for nota in (devolucion, anulacion):  # both go to SUNAT and pass its rules
        assert esperar(nota["id"], "ACEPTADO")["comprobante_origen_id"] == f["id"]
    listado = client.get("/api/facturacion/comprobantes/?tipo=01", headers=admin_headers).json()["items"]
    assert [(c["total_acreditado"], c["saldo_por_acreditar"], c["cerrado_para_credito"]) for c in listado] == [
        ("295.00", "0.00", True)]
    notas = client.get("/api/facturacion/comprobantes/?tipo=07", headers=admin_headers).json()["items"]
    assert {c["total_acreditado"] for c in notas} == {None}  # notes have no credited balance of their own


def test_valor_acreditado_acota_devoluciones_y_descuentos(client, admin_headers, worker, sunat, emitir, esperar):
    f = _factura(client, admin_headers, esperar, emitir)
    # Disminución en el valor: 30.00 less per chair (2 × 30 = 60 of the line's 200).
    res = client.post(NOTAS, json=_nota(f["id"], "09", [{"linea_origen": 1, "valor_unitario": "30"}]),
                      headers=admin_headers)
    assert res.status_code == 201 and res.json()["total_venta"] == "70.80", res.text
    # Returning both chairs at their full value would credit 200 of the 140 left on the line.
    mensaje = _error(client.post(NOTAS, json=_nota(f["id"], "07", [{"linea_origen": 1}]), headers=admin_headers),
                     422, "lineas.0.valor_unitario")
    assert "admite acreditar 140.00 sin IGV; esta línea acredita 200.00" in mensaje
    res = client.post(NOTAS, json=_nota(f["id"], "07", [{"linea_origen": 1, "valor_unitario": "70"}]),
                      headers=admin_headers)
    assert res.status_code == 201 and res.json()["total_venta"] == "165.20", res.text
    # Devolución total credits what is left (the table) and exhausts the document.
    res = client.post(NOTAS, json=_nota(f["id"], "06"), headers=admin_headers)
    assert res.status_code == 201 and res.json()["total_venta"] == "59.00", res.text
    vista = _ver(client, admin_headers, f["id"])
    assert (vista["total_acreditado"], vista["saldo_por_acreditar"], vista["cerrado_para_credito"]) == (
        "295.00", "0.00", True)
    _error(client.post(NOTAS, json=_nota(f["id"], "06"), headers=admin_headers), 409, "comprobante_origen_id")
    # A debit note (intereses por mora) is a new charge: not bounded by the factura.
    cargo = {"codigo_producto": "INT", "descripcion": "Intereses por mora", "cantidad": "1", "valor_unitario": "10"}
    _error(client.post(NOTAS, json=_nota(f["id"], "01", [{"descripcion": "x"}], tipo="08"), headers=admin_headers),
           422, "lineas.0.valor_unitario")
    res = client.post(NOTAS, json=_nota(f["id"], "01", [cargo], tipo="08"), headers=admin_headers)
    assert res.status_code == 201 and (res.json()["serie"], res.json()["total_venta"]) == ("FD01", "11.80"), res.text
    esperar(res.json()["id"], "ACEPTADO")


def test_nota_rechazada_por_sunat_devuelve_su_saldo(client, admin_headers, worker, sunat, emitir, esperar):
    f = _factura(client, admin_headers, esperar, emitir)
    sunat.modo("rechazar", codigo="2800", cantidad=1, mensaje="forzado")
    res = client.post(NOTAS, json=_nota(f["id"], "01"), headers=admin_headers)
    assert res.status_code == 201, res.text
    anulacion = res.json()
    assert esperar(anulacion["id"], "RECHAZADO")["codigo_respuesta"] == "2800"
    vista = _ver(client, admin_headers, f["id"])
    assert (vista["total_acreditado"], vista["saldo_por_acreditar"], vista["cerrado_para_credito"]) == (
        "0.00", "295.00", False)
    assert vista["lineas"][0]["cantidad_devuelta"] == "0.0000"
    res = client.post(NOTAS, json=_nota(f["id"], "01"), headers=admin_headers)
    assert res.status_code == 201 and res.json()["total_venta"] == "295.00", res.text
    assert res.json()["numero"] == anulacion["numero"] + 1  # the rejected number stays void at SUNAT
    esperar(res.json()["id"], "ACEPTADO")


def _en_paralelo(client, headers, notas: list[dict]) -> list[int]:  # noqa: ANN001
    """Post every note at once (a barrier releases all threads together); the status of each."""
    barrera = threading.Barrier(len(notas))

    def enviar(nota: dict) -> int:
        barrera.wait()
        return client.post(NOTAS, json=nota, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(notas)) as pool:
        return list(pool.map(enviar, notas))


def test_notas_concurrentes_no_exceden_la_factura(client, admin_headers, worker, sunat, emitir, esperar):
    diez = {**_factura_dos_lineas(), "lineas": [{"codigo_producto": "P001", "descripcion": "Caja", "cantidad": "10",
                                                  "valor_unitario": "10"}]}
    f = _factura(client, admin_headers, esperar, emitir, diez)
    estados = _en_paralelo(client, admin_headers,
                           [_nota(f["id"], "07", [{"linea_origen": 1, "cantidad": "1"}]) for _ in range(16)])
    assert Counter(estados) == {201: 10, 422: 6}
    with session_scope() as s:
        notas = s.execute(text("SELECT count(*), sum(total_venta) FROM comprobantes WHERE comprobante_origen_id = :id")
                          .bindparams(id=f["id"])).one()
        devuelto = s.execute(text("""SELECT sum(d.cantidad) FROM detalle_comprobante d
            JOIN comprobantes n ON n.id = d.comprobante_id WHERE n.comprobante_origen_id = :id""")
                             .bindparams(id=f["id"])).scalar()
    assert (notas[0], str(notas[1]), devuelto) == (10, "118.00", 10)
    assert _ver(client, admin_headers, f["id"])["saldo_por_acreditar"] == "0.00"

    # Anulaciones racing: exactly one is accepted, the rest find the factura closed.
    otra = _factura(client, admin_headers, esperar, emitir)
    assert Counter(_en_paralelo(client, admin_headers, [_nota(otra["id"], "01") for _ in range(6)])) == {
        201: 1, 409: 5}
    assert _ver(client, admin_headers, otra["id"])["total_acreditado"] == "295.00"

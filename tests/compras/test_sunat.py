"""SUNAT consulta integrada against the local sandbox: valid, not found, annulled, supplier no habido, wrong
credentials, SUNAT down (and rate-limited) then back; the override of an observation; the token cached."""

import asyncio

from tests.compras.helpers import RUC_A, factura_body
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


def _registrar(compras, recibida, numero: str = "F001-123") -> dict:
    orden_id, l1, l2 = recibida
    res = compras.client.post("/api/compras/facturas/", headers=compras.admin,
                              json=factura_body(orden_id, [(l1, "6", "12.50"), (l2, "5", "20")], numero=numero))
    assert res.status_code == 201, res.text
    return res.json()


def _fecha(f: dict) -> str:
    y, m, d = f["fecha_emision"].split("-")
    return f"{d}/{m}/{y}"


def _validar(compras, factura_id: int):
    return compras.client.post(f"/api/compras/facturas/{factura_id}/validar-sunat/", headers=compras.admin)


def test_valid_invoice_keeps_the_evidence_and_the_token_is_cached(compras, recibida, consulta_sunat):
    f = _registrar(compras, recibida)
    consulta_sunat.registrar(RUC_A, "01", "F001", 123, _fecha(f), f["total"], "1")
    res = _validar(compras, f["id"])
    assert res.status_code == 200, res.text
    v = res.json()
    assert (v["estado_sunat"], v["sunat_estado_cp"], v["sunat_estado_ruc"], v["sunat_cond_domi_ruc"]) == (
        "VALIDA", "1", "00", "00")
    assert v["estado"] == "REGISTRADA" and v["sunat_consultado_at"]
    assert _validar(compras, f["id"]).json()["estado_sunat"] == "VALIDA"
    assert consulta_sunat.tokens_emitidos == 1 and consulta_sunat.consultas == 2
    assert contar("audit_logs", "accion = 'validar_sunat'") == 2


def test_not_found_is_observed_blocks_the_match_until_overridden(compras, recibida, consulta_sunat, make_user):
    f = _registrar(compras, recibida)
    v = _validar(compras, f["id"]).json()
    assert v["estado"] == "OBSERVADA" and v["sunat_estado_cp"] == "0" and v["sunat_observaciones"]
    assert compras.client.post(f"/api/compras/facturas/{f['id']}/conciliar/", headers=compras.admin).status_code == 409
    _, comprador = make_user("COMPRAS")
    _, finanzas = make_user("FINANZAS")
    motivo = {"motivo": "Factura física verificada; SUNAT aún no la publica"}
    ruta = f"/api/compras/facturas/{f['id']}/levantar-observacion/"
    assert compras.client.post(ruta, headers=comprador, json=motivo).status_code == 403
    assert compras.client.post(ruta, headers=finanzas, json=motivo).json()["estado"] == "REGISTRADA"
    assert contar("audit_logs", "accion = 'levantar_observacion'") == 1
    conciliada = compras.client.post(f"/api/compras/facturas/{f['id']}/conciliar/", headers=compras.admin).json()
    assert conciliada["estado"] == "CONCILIADA"


def test_annulled_comprobante_and_supplier_no_habido_are_observed(compras, recibida, consulta_sunat):
    anulada = _registrar(compras, recibida, "F001-7")
    consulta_sunat.registrar(RUC_A, "01", "F001", 7, _fecha(anulada), anulada["total"], "2")
    v = _validar(compras, anulada["id"]).json()
    assert v["estado"] == "OBSERVADA" and v["sunat_estado_cp"] == "2"
    otra = _registrar(compras, recibida, "F001-8")
    consulta_sunat.registrar(RUC_A, "01", "F001", 8, _fecha(otra), otra["total"], "1")
    consulta_sunat.contribuyente(RUC_A, estado_ruc="00", cond_domi_ruc="12")
    v = _validar(compras, otra["id"]).json()
    assert v["estado"] == "OBSERVADA" and v["sunat_estado_cp"] == "1" and v["sunat_cond_domi_ruc"] == "12"


def test_wrong_credentials_are_a_400_naming_them(compras, recibida, consulta_sunat):
    f = _registrar(compras, recibida)
    consulta_sunat.client_secret = "otro"
    res = _validar(compras, f["id"])
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "sunat_client_id"


async def test_sunat_down_then_back_the_automatic_check_loses_nothing(compras, recibida, consulta_sunat, worker):
    consulta_sunat.modo("caido")
    f = _registrar(compras, recibida)
    consulta_sunat.registrar(RUC_A, "01", "F001", 123, _fecha(f), f["total"], "1")
    await asyncio.sleep(1.0)
    assert compras.client.get(f"/api/compras/facturas/{f['id']}/", headers=compras.admin).json()["estado_sunat"] == \
        "PENDIENTE"
    assert _validar(compras, f["id"]).status_code == 503
    consulta_sunat.modo("limite")
    assert _validar(compras, f["id"]).status_code == 503
    consulta_sunat.modo("normal")
    fin = asyncio.get_running_loop().time() + 20
    while compras.client.get(f"/api/compras/facturas/{f['id']}/", headers=compras.admin).json()["estado_sunat"] != \
            "VALIDA":
        assert asyncio.get_running_loop().time() < fin, "the automatic check never completed"
        await asyncio.sleep(0.2)

"""Receptions: stock in through services/stock with the OC as reference, incidents, tolerance, weighted
average cost, partial/total states, closing; incidents e-mailed to the supplier by the worker."""

import asyncio
from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from tests.compras.helpers import RUC_A
from tests.ventas_fixtures import contar, stock_de

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


def _recibir(compras, orden_id: int, lineas: list[dict], headers: dict | None = None):
    return compras.client.post("/api/compras/recepciones/", headers=headers or compras.admin,
                               json={"orden_id": orden_id, "lineas": lineas})


def _costo(producto_id: int, almacen_id: int) -> Decimal:
    with session_scope() as s:
        return s.execute(text("SELECT costo_unitario FROM costos_promedio WHERE producto_id = :p AND almacen_id = :a"),
                         {"p": producto_id, "a": almacen_id}).scalar_one()


def test_partial_and_total_receptions_move_stock_cost_incidents_and_state(compras, make_user):
    tienda = compras.tienda
    proveedor = compras.proveedor(RUC_A)
    p1, p2 = tienda.producto("REC1", stock=None), tienda.producto("REC2", stock=None)
    tienda.entrada(p1, "10", costo_unitario="10")  # 10 units at S/ 10 already in the warehouse
    oc = compras.orden(proveedor, [(p1, "10", "12.50"), (p2, "5", "20")])
    l1, l2 = (d["id"] for d in oc["detalle"])
    assert _recibir(compras, oc["id"], [{"detalle_orden_id": l1, "cantidad_recibida": "1"}]).status_code == 409
    compras.enviar(oc["id"])

    r1 = _recibir(compras, oc["id"], [
        {"detalle_orden_id": l1, "cantidad_recibida": "4"},
        {"detalle_orden_id": l2, "cantidad_recibida": "5", "estado_item": "DAÑADO", "cantidad_danada": "1",
         "observacion": "Caja aplastada"}])
    assert r1.status_code == 201, r1.text
    body = r1.json()
    assert body["estado_orden"] == "PARCIAL" and body["estado"] == "CON_INCIDENCIAS"
    assert [d["cantidad_aceptada"] for d in body["detalle"]] == ["4.000", "4.000"]
    assert body["incidencias"][0]["tipo_incidencia"] == "DAÑADO" and body["incidencias"][0]["cantidad_afectada"] == \
        "1.000"
    assert stock_de(p1, tienda.almacen_id) == 14 and stock_de(p2, tienda.almacen_id) == 4
    assert contar("movimientos_stock", "tipo_movimiento = 'ENTRADA' AND referencia_doc = :r", r=f"oc-{oc['id']}") == 2
    assert _costo(p1, tienda.almacen_id) == Decimal("10.714286")  # (10 × 10 + 4 × 12.50) / 14
    assert contar("asientos_contables", "referencia_tipo = 'INGRESO_ALMACEN'") == 3

    # beyond the tolerance (0 % by default): 400 naming the line, nothing written
    exceso = _recibir(compras, oc["id"], [{"detalle_orden_id": l1, "cantidad_recibida": "7"}])
    assert exceso.status_code == 400 and exceso.json()["errors"][0]["field"] == "lineas.0.cantidad_recibida"
    assert contar("recepciones") == 1 and stock_de(p1, tienda.almacen_id) == 14
    ajena = _recibir(compras, oc["id"], [{"detalle_orden_id": 999999, "cantidad_recibida": "1"}])
    assert ajena.status_code == 400 and ajena.json()["errors"][0]["field"] == "lineas.0.detalle_orden_id"
    _, vendedor = make_user("VENDEDOR")
    assert _recibir(compras, oc["id"], [{"detalle_orden_id": l1, "cantidad_recibida": "1"}],
                    vendedor).status_code == 403

    r2 = _recibir(compras, oc["id"], [{"detalle_orden_id": l1, "cantidad_recibida": "6"}]).json()
    assert r2["estado_orden"] == "PARCIAL" and r2["incidencias"] == []  # one damaged unit of p2 still due
    cerrada = compras.client.post(f"/api/compras/recepciones/{r2['id']}/cerrar/", headers=compras.admin).json()
    assert cerrada["estado"] == "CERRADA"
    assert [d["cantidad_cancelada"] for d in cerrada["detalle"]] == ["0.000", "1.000"]
    assert _recibir(compras, oc["id"], [{"detalle_orden_id": l2, "cantidad_recibida": "1"}]).status_code == 409
    assert compras.client.post(f"/api/compras/recepciones/{r2['id']}/cerrar/",
                               headers=compras.admin).status_code == 409
    assert compras.client.get("/api/compras/recepciones/999999/", headers=compras.admin).status_code == 404


def test_total_reception_within_tolerance_lots_and_excess(compras):
    tienda = compras.tienda
    with session_scope() as s:
        s.execute(text("INSERT INTO configuracion_compras (id, "
                       "recordatorio_horas, escalamiento_horas, tolerancia_recepcion_pct, tolerancia_cantidad, "
                       "tolerancia_precio_pct, tolerancia_precio_monto, estado_propuesta, umbral_evaluacion, "
                       "sunat_client_id) VALUES (1, 24, 48, 10, 0, 0.5, 0.1, 'BORRADOR', 70, '')"))
    proveedor = compras.proveedor(RUC_A)
    lote = tienda.producto("REC3", stock=None, trazabilidad=True)
    oc = compras.orden(proveedor, [(lote, "10", "3")])
    compras.enviar(oc["id"])
    linea = oc["detalle"][0]["id"]
    sin_lote = _recibir(compras, oc["id"], [{"detalle_orden_id": linea, "cantidad_recibida": "10"}])
    assert sin_lote.status_code == 400 and sin_lote.json()["errors"][0]["field"] == "lineas.0.numero_lote"
    assert _recibir(compras, oc["id"], [{"detalle_orden_id": linea, "cantidad_recibida": "12",
                                         "numero_lote": "L1"}]).status_code == 400  # 20 % > 10 %
    r = _recibir(compras, oc["id"], [{"detalle_orden_id": linea, "cantidad_recibida": "11", "numero_lote": "L1",
                                      "fecha_vencimiento": "2030-01-31"}]).json()
    assert r["estado_orden"] == "RECIBIDA" and r["detalle"][0]["estado_item"] == "EXCEDENTE"
    assert r["incidencias"][0]["tipo_incidencia"] == "EXCEDENTE" and r["detalle"][0]["lote_id"] is not None
    assert stock_de(lote, tienda.almacen_id) == 11


async def test_incidents_are_mailed_to_the_supplier_and_marked(compras, worker, smtp_server):
    proveedor = compras.proveedor(RUC_A, email="reclamos@andina.pe")
    producto = compras.tienda.producto("REC4", stock=None)
    oc = compras.orden(proveedor, [(producto, "5", "2")])
    compras.enviar(oc["id"])
    r = _recibir(compras, oc["id"], [{"detalle_orden_id": oc["detalle"][0]["id"], "cantidad_recibida": "3",
                                      "estado_item": "FALTANTE", "observacion": "Llegaron 3 de 5"}]).json()
    assert r["incidencias"][0]["tipo_incidencia"] == "FALTANTE" and not r["incidencias"][0]["notificado_proveedor"]
    fin = asyncio.get_running_loop().time() + 15
    while contar("incidencias_compra", "notificado_proveedor") == 0:
        assert asyncio.get_running_loop().time() < fin, "incident never notified"
        await asyncio.sleep(0.1)
    [correo] = smtp_server.messages()
    assert correo["To"] == "reclamos@andina.pe" and f"OC-{oc['id']}" in correo["Subject"]
    assert "FALTANTE" in correo.get_content() and "REC4" in correo.get_content()


def test_suppliers_compared_for_one_product_by_price_lead_time_and_quality(compras):
    from tests.compras.helpers import RUC_B

    a, b = compras.proveedor(RUC_A), compras.proveedor(RUC_B)
    producto = compras.tienda.producto("CMP1", stock=None)
    precios = {a: ["10", "12"], b: ["10.50"]}
    for proveedor, lista in precios.items():
        for precio in lista:
            oc = compras.orden(proveedor, [(producto, "10", precio)])
            compras.enviar(oc["id"])
            danado = {"estado_item": "DAÑADO", "cantidad_danada": "5"} if proveedor == b else {}
            assert _recibir(compras, oc["id"], [{"detalle_orden_id": oc["detalle"][0]["id"],
                                                 "cantidad_recibida": "10", **danado}]).status_code == 201
    res = compras.client.get(f"/api/proveedores/{a}/comparar/{producto}/", headers=compras.admin).json()
    filas = {f["proveedor_id"]: f for f in res["items"]}
    assert res["total"] == 2 and res["items"][0]["proveedor_id"] == b  # cheapest on average first (10.50 < 11)
    assert (filas[a]["ultimo_precio_pen"], filas[a]["precio_promedio_pen"], filas[a]["ordenes"]) == (
        "12.000000", "11.000000", 2)
    assert filas[a]["calidad_pct"] == "100.000" and filas[b]["calidad_pct"] == "0.000"
    assert filas[a]["es_consultado"] and not filas[b]["es_consultado"]
    assert filas[a]["plazo_entrega_dias"] is not None
    assert compras.client.get(f"/api/proveedores/{a}/comparar/999999/", headers=compras.admin).status_code == 404


def test_photo_of_a_damaged_line_is_stored_as_the_incident_evidence(compras, tmp_path):
    from integrations.storage import get_storage
    from tests.conftest import set_env

    set_env(STORAGE_DIR=str(tmp_path / "storage"))
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("FOT1", stock=None)
    oc = compras.orden(proveedor, [(producto, "5", "2")])
    compras.enviar(oc["id"])
    r = _recibir(compras, oc["id"], [{"detalle_orden_id": oc["detalle"][0]["id"], "cantidad_recibida": "5",
                                      "estado_item": "DAÑADO", "cantidad_danada": "1"}]).json()
    linea = r["detalle"][0]["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    ruta = f"/api/compras/recepciones/{r['id']}/fotos/"
    malo = compras.client.post(ruta, headers=compras.admin, data={"detalle_id": str(linea)},
                               files={"archivo": ("x.txt", b"hola", "text/plain")})
    assert malo.status_code == 400 and malo.json()["errors"][0]["field"] == "archivo"
    ajena = compras.client.post(ruta, headers=compras.admin, data={"detalle_id": "999999"},
                                files={"archivo": ("f.png", png, "image/png")})
    assert ajena.status_code == 400 and ajena.json()["errors"][0]["field"] == "detalle_id"
    ok = compras.client.post(ruta, headers=compras.admin, data={"detalle_id": str(linea)},
                             files={"archivo": ("f.png", png, "image/png")})
    assert ok.status_code == 200, ok.text
    clave = ok.json()["foto_url"]
    assert get_storage().get(clave) == png
    vista = compras.client.get(f"/api/compras/recepciones/{r['id']}/", headers=compras.admin).json()
    assert vista["incidencias"][0]["evidencia_url"] == clave

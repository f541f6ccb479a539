"""Suppliers and purchase orders: RUC check, duplicates, search; OC lines, totals, states, filters."""

from datetime import timedelta

from services.finanzas.asientos import hoy
from tests.compras.helpers import RUC_A, RUC_B
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


def test_supplier_ruc_is_checked_duplicates_are_409_and_search_finds_by_ruc_or_name(compras):
    post = compras.client.post
    malo = post("/api/proveedores/", headers=compras.admin, json={"ruc": "20100066604", "razon_social": "X"})
    assert malo.status_code == 400 and malo.json()["errors"][0]["field"] == "ruc"
    a = compras.proveedor(RUC_A, razon_social="Distribuidora Andina SAC", condicion_pago="CREDITO", dias_credito=30)
    compras.proveedor(RUC_B, razon_social="Importadora Lima")
    dup = post("/api/proveedores/", headers=compras.admin, json={"ruc": RUC_A, "razon_social": "Otro"})
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "ruc"
    plazo = post("/api/proveedores/", headers=compras.admin,
                 json={"ruc": "20601234565", "razon_social": "Y", "condicion_pago": "CONTADO", "dias_credito": 5})
    assert plazo.status_code == 400 and "dias_credito" in plazo.json()["message"]
    get = compras.client.get
    assert [p["id"] for p in get("/api/proveedores/?q=2010006", headers=compras.admin).json()["items"]] == [a]
    assert [p["ruc"] for p in get("/api/proveedores/?q=andina", headers=compras.admin).json()["items"]] == [RUC_A]
    assert get("/api/proveedores/?q=%25", headers=compras.admin).json()["total"] == 0  # literal, not a wildcard
    cambio = compras.client.put(f"/api/proveedores/{a}/", headers=compras.admin, json={
        "razon_social": "Distribuidora Andina SAC", "condicion_pago": "CREDITO", "dias_credito": 60, "activo": False})
    assert cambio.status_code == 200 and cambio.json()["dias_credito"] == 60
    assert get("/api/proveedores/?activo=true", headers=compras.admin).json()["total"] == 1
    assert get("/api/proveedores/999999/", headers=compras.admin).status_code == 404


def test_purchase_order_totals_states_and_illegal_transitions(compras):
    proveedor = compras.proveedor()
    p1, p2 = compras.tienda.producto("OC1", stock=None), compras.tienda.producto("OC2", stock=None)
    oc = compras.orden(proveedor, [(p1, "10", "12.50"), (p2, "3", "0.333333")])
    assert oc["estado"] == "BORRADOR" and oc["total"] == "126.00" and len(oc["detalle"]) == 2
    assert oc["detalle"][1]["subtotal"] == "1.00"
    # within the automatic tier (S/ 5,000): approved on submission, audited
    enviado = compras.enviar(oc["id"])
    assert enviado["estado"] == "APROBADA" and enviado["nivel_aprobacion"] == 0
    assert contar("audit_logs", "accion = 'aprobar_automatico' AND objeto_id = :i", i=str(oc["id"])) == 1
    assert contar("outbox", "workflow_id = :w", w=f"oc-{oc['id']}") == 0
    otra = compras.client.post(f"/api/compras/ordenes/{oc['id']}/enviar/", headers=compras.admin)
    assert otra.status_code == 409 and "APROBADA" in otra.json()["message"]
    put = compras.client.put(f"/api/compras/ordenes/{oc['id']}/", headers=compras.admin, json={
        "proveedor_id": proveedor, "almacen_destino_id": compras.tienda.almacen_id,
        "lineas": [{"producto_id": p1, "cantidad": "1", "precio_unitario": "1"}]})
    assert put.status_code == 409
    anulada = compras.client.post(f"/api/compras/ordenes/{oc['id']}/anular/", headers=compras.admin,
                                  json={"motivo": "Proveedor sin stock"})
    assert anulada.json()["estado"] == "ANULADA"
    assert compras.client.post(f"/api/compras/ordenes/{oc['id']}/anular/", headers=compras.admin,
                               json={"motivo": "otra vez"}).status_code == 409


def test_purchase_order_bad_input_is_refused_with_the_field_and_nothing_written(compras, make_user):
    proveedor = compras.proveedor()
    p1 = compras.tienda.producto("OC3", stock=None)
    base = {"proveedor_id": proveedor, "almacen_destino_id": compras.tienda.almacen_id,
            "lineas": [{"producto_id": p1, "cantidad": "1", "precio_unitario": "5"}]}
    post = compras.client.post
    casos = [
        ({**base, "lineas": []}, 400, "lineas"),
        ({**base, "lineas": base["lineas"] * 2}, 400, "lineas.1.producto_id"),
        ({**base, "proveedor_id": 999999}, 400, "proveedor_id"),
        ({**base, "lineas": [{"producto_id": 999999, "cantidad": "1", "precio_unitario": "5"}]}, 400,
         "lineas.0.producto_id"),
        ({**base, "fecha_estimada_entrega": str(hoy() - timedelta(days=1))}, 422, "fecha_estimada_entrega"),
        ({**base, "extra": 1}, 400, "extra"),
    ]
    for body, status, campo in casos:
        res = post("/api/compras/ordenes/", headers=compras.admin, json=body)
        assert res.status_code == status, (body, res.text)
        assert res.json()["errors"][0]["field"] == campo
    assert contar("ordenes_compra") == 0
    _, vendedor = make_user("VENDEDOR")
    assert post("/api/compras/ordenes/", headers=vendedor, json=base).status_code == 403
    assert post("/api/compras/ordenes/", json=base).status_code == 401
    assert compras.client.get("/api/compras/ordenes/424242/", headers=compras.admin).status_code == 404


def test_purchase_orders_are_listed_with_filters_and_pages(compras):
    a, b = compras.proveedor(RUC_A), compras.proveedor(RUC_B)
    p1 = compras.tienda.producto("OC4", stock=None)
    otro_almacen = compras.tienda.almacen("Almacén norte")
    for _ in range(3):
        compras.orden(a, [(p1, "1", "10")])
    ob = compras.orden(b, [(p1, "1", "10")], almacen_destino_id=otro_almacen)
    compras.enviar(ob["id"])
    get = compras.client.get
    pagina = get("/api/compras/ordenes/?limit=2", headers=compras.admin).json()
    assert pagina["total"] == 4 and len(pagina["items"]) == 2
    assert get(f"/api/compras/ordenes/?proveedor_id={b}", headers=compras.admin).json()["total"] == 1
    assert get(f"/api/compras/ordenes/?almacen_id={otro_almacen}", headers=compras.admin).json()["total"] == 1
    assert get("/api/compras/ordenes/?estado=APROBADA", headers=compras.admin).json()["items"][0]["id"] == ob["id"]
    dia = hoy()
    assert get(f"/api/compras/ordenes/?desde={dia}&hasta={dia}", headers=compras.admin).json()["total"] == 4
    assert get(f"/api/compras/ordenes/?desde={dia + timedelta(days=1)}", headers=compras.admin).json()["total"] == 0
    assert get("/api/compras/ordenes/?estado=NADA", headers=compras.admin).status_code == 400

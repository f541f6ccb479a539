"""Module 1: POS sales (stock, IGV, payments, one transaction), cash registers, customers, reports."""

from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from tests.ventas_fixtures import contar, stock_de, venta

RUC_CLIENTE = "20100070970"

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def test_every_sales_endpoint_requires_a_token(client):
    for method, path in (("post", "/api/ventas/"), ("get", "/api/ventas/"), ("post", "/api/ventas/offline-sync/"),
                         ("get", "/api/clientes/"), ("post", "/api/cajas/abrir/"), ("post", "/api/cotizaciones/"),
                         ("get", "/api/reportes/ventas-diarias/?desde=2026-01-01&hasta=2026-01-02")):
        assert getattr(client, method)(path).status_code == 401, path


def test_sale_without_stock_is_400_and_writes_nothing(tienda, cajero):
    producto = tienda.producto("SIN-STOCK", stock="2")
    res = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "3", "35.40"))
    assert res.status_code == 400
    assert res.json()["errors"][0]["field"] == "lineas.0.cantidad"
    assert stock_de(producto, tienda.almacen_id) == 2
    assert contar("ventas") == 0 and contar("movimientos_stock", "tipo_movimiento = 'VENTA'") == 0


def test_failure_on_the_last_line_rolls_back_the_whole_sale(tienda, cajero):
    a, b = tienda.producto("A", precio="10.00"), tienda.producto("B", precio="10.00")
    escaso = tienda.producto("C", precio="10.00", stock="1")
    body = {"lineas": [{"producto_id": p, "cantidad": "2"} for p in (a, b, escaso)],
            "formas_pago": [{"metodo": "EFECTIVO", "monto": "60.00"}]}
    res = tienda.client.post("/api/ventas/", headers=cajero, json=body)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.2.cantidad"
    # The first two lines had already taken their stock inside the transaction: all of it is undone.
    assert [stock_de(p, tienda.almacen_id) for p in (a, b, escaso)] == [100, 100, 1]
    assert contar("ventas") == contar("detalle_venta") == contar("formas_pago") == 0
    assert contar("movimientos_stock", "tipo_movimiento = 'VENTA'") == 0
    assert contar("comprobantes") == 0 and contar("outbox", "workflow = 'EmitirComprobante'") == 0


def test_sale_computes_igv_decrements_stock_and_requests_the_comprobante(tienda, cajero):
    con_igv = tienda.producto("CON-IGV", precio="11.80")  # 10.00 + 18 %
    sin_igv = tienda.producto("SIN-IGV", precio="10.00", precio_incluye_igv=False)
    body = {"lineas": [{"producto_id": con_igv, "cantidad": "3", "descuento": "1.18"},
                       {"producto_id": sin_igv, "cantidad": "1.5"}],
            "formas_pago": [{"metodo": "EFECTIVO", "monto": "30.00"}, {"metodo": "YAPE", "monto": "21.92"}]}
    res = tienda.client.post("/api/ventas/", headers=cajero, json=body)
    assert res.status_code == 201, res.text
    v = res.json()
    l1, l2 = v["detalle"]
    assert (Decimal(l1["total"]), Decimal(l1["subtotal"]), Decimal(l1["igv"])) == (Decimal("34.22"), Decimal("29.00"),
                                                                                  Decimal("5.22"))
    assert (Decimal(l2["subtotal"]), Decimal(l2["igv"]), Decimal(l2["total"])) == (Decimal("15.00"), Decimal("2.70"),
                                                                                  Decimal("17.70"))
    assert Decimal(v["total"]) == Decimal("51.92") and Decimal(v["igv"]) == Decimal("7.92")
    assert v["tipo_comprobante"] == "03" and v["comprobante_id"] is not None  # no customer: boleta
    assert stock_de(con_igv, tienda.almacen_id) == 97 and stock_de(sin_igv, tienda.almacen_id) == Decimal("98.5")
    assert contar("movimientos_stock", "tipo_movimiento = 'VENTA' AND referencia_doc = :r", r=f"venta-{v['id']}") == 2
    assert contar("audit_logs", "objeto_tipo = 'ventas' AND objeto_id = :i", i=str(v["id"])) >= 1
    assert contar("outbox", "workflow = 'EmitirComprobante'") == 1


def test_payments_must_add_up_to_the_total(tienda, cajero):
    producto = tienda.producto("P1", precio="10.00")
    res = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "9.99"))
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "formas_pago"
    res = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "10.00", metodo="BITCOIN"))
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "formas_pago.0.metodo"


def test_product_allowed_without_stock_is_sold_and_flagged(tienda, cajero):
    producto = tienda.producto("BAJO-PEDIDO", precio="5.00", stock="1", permite_venta_sin_stock=True)
    res = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "3", "15.00"))
    assert res.status_code == 201, res.text
    assert res.json()["detalle"][0]["alerta_stock"] is True
    assert stock_de(producto, tienda.almacen_id) == -2
    assert contar("notificaciones", "tipo = 'VENTA_SIN_STOCK'") == 1


def test_traceable_product_is_sold_from_a_named_lot_recorded_on_the_line(tienda, cajero):
    producto = tienda.producto("VACUNA", precio="20.00", stock=None, trazabilidad=True)
    tienda.entrada(producto, "5", numero_lote="V-1", fecha_vencimiento="2099-01-31")
    sin_lote = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "2", "40.00"))
    assert sin_lote.status_code == 400 and sin_lote.json()["errors"][0]["field"] == "lineas.0.numero_lote"
    con_lote = venta(producto, "2", "40.00")
    con_lote["lineas"][0]["numero_lote"] = "V-1"
    res = tienda.client.post("/api/ventas/", headers=cajero, json=con_lote)
    assert res.status_code == 201, res.text
    linea = res.json()["detalle"][0]
    traza = tienda.client.get("/api/inventario/trazabilidad/V-1/", headers=tienda.admin).json()
    assert linea["lote_id"] == traza["lotes"][0]["id"]
    assert traza["lotes"][0]["cantidad_actual"] == "3.000"
    assert [m["tipo_movimiento"] for m in traza["movimientos"]] == ["ENTRADA", "VENTA"]


def test_factura_for_ruc_customer_and_credit_limit(tienda, cajero):
    cliente = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "CLIENTE SAC", "limite_credito": "50.00",
        "dias_credito": 30}).json()  # a credit sale's factura falls due at the customer's días de crédito
    producto = tienda.producto("CRED", precio="30.00")
    ok = tienda.client.post("/api/ventas/", headers=cajero,
                            json=venta(producto, "1", "30.00", metodo="CREDITO", cliente_id=cliente["id"]))
    assert ok.status_code == 201, ok.text
    assert ok.json()["tipo_comprobante"] == "01"
    sobre = tienda.client.post("/api/ventas/", headers=cajero,
                               json=venta(producto, "1", "30.00", metodo="CREDITO", cliente_id=cliente["id"]))
    assert sobre.status_code == 400 and "Crédito insuficiente" in sobre.json()["message"]
    sin_cliente = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "30.00", "CREDITO"))
    assert sin_cliente.status_code == 400 and sin_cliente.json()["errors"][0]["field"] == "cliente_id"


def test_cash_register_open_once_close_with_arqueo_then_no_sales(tienda, make_user):
    _, headers = make_user("CAJERO")
    producto = tienda.producto("CAJA", precio="20.00")
    sin_caja = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "1", "20.00"))
    assert sin_caja.status_code == 409 and sin_caja.json()["errors"][0]["field"] == "caja"
    tienda.abrir_caja(headers, "100.00")
    assert tienda.client.post("/api/cajas/abrir/", headers=headers, json={"monto_apertura": "5"}).status_code == 409
    body = {"lineas": [{"producto_id": producto, "cantidad": "3"}],
            "formas_pago": [{"metodo": "EFECTIVO", "monto": "40.00"}, {"metodo": "TARJETA", "monto": "20.00"}]}
    assert tienda.client.post("/api/ventas/", headers=headers, json=body).status_code == 201
    res = tienda.client.post("/api/cajas/cerrar/", headers=headers,
                             json={"conteo": {"EFECTIVO": "139.50", "TARJETA": "20.00"}})
    assert res.status_code == 200, res.text
    arqueo = {a["metodo"]: a for a in res.json()["arqueo"]}
    assert Decimal(arqueo["EFECTIVO"]["monto_esperado"]) == Decimal("140.00")
    assert Decimal(arqueo["EFECTIVO"]["diferencia"]) == Decimal("-0.50")
    assert Decimal(arqueo["TARJETA"]["diferencia"]) == 0
    assert tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "1", "20.00")).status_code == 409


def test_customers_validate_documents_are_unique_and_searchable(client, admin_headers):
    bad = client.post("/api/clientes/", headers=admin_headers,
                      json={"tipo_doc": "6", "numero_doc": "20100070971", "razon_social": "X"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "numero_doc"
    dni = client.post("/api/clientes/", headers=admin_headers,
                      json={"tipo_doc": "1", "numero_doc": "1234567", "razon_social": "X"})
    assert dni.status_code == 400 and dni.json()["errors"][0]["field"] == "numero_doc"
    body = {"tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "Ferretería Los Andes SAC", "tags": ["vip"]}
    assert client.post("/api/clientes/", headers=admin_headers, json=body).status_code == 201
    assert client.post("/api/clientes/", headers=admin_headers, json=body).status_code == 409
    for q in ("201000", "los andes"):
        found = client.get("/api/clientes/", headers=admin_headers, params={"q": q}).json()
        assert [c["numero_doc"] for c in found] == [RUC_CLIENTE], q


def test_product_unit_must_be_in_sunat_catalog_03(client, admin_headers):
    res = client.post("/api/productos/", headers=admin_headers,
                      json={"sku": "X", "nombre": "X", "precio": "1.00", "unidad_medida": "CAJITA"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "unidad_medida"


def test_reports_aggregate_by_lima_day_product_and_customer(tienda, cajero):
    a, b = tienda.producto("REP-A", precio="10.00"), tienda.producto("REP-B", precio="5.00")
    for producto, monto in ((a, "20.00"), (b, "10.00"), (a, "20.00")):
        assert tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "2", monto)).status_code == 201
    with session_scope() as s:  # one sale at 23:30 Lima yesterday (04:30 UTC today) belongs to yesterday
        s.execute(text("UPDATE ventas SET fecha = date_trunc('day', now() AT TIME ZONE 'America/Lima') "
                       "AT TIME ZONE 'America/Lima' - interval '30 minutes' WHERE id = (SELECT min(id) FROM ventas)"))
    from services.stock import hoy_lima

    hoy = hoy_lima()
    params = {"desde": str(hoy.replace(day=1) if hoy.day > 1 else hoy), "hasta": str(hoy)}
    diarias = tienda.client.get("/api/reportes/ventas-diarias/", headers=tienda.admin, params=params).json()
    assert diarias[-1]["dia"] == str(hoy) and diarias[-1]["ventas"] == 2
    solo_hoy = {"desde": str(hoy), "hasta": str(hoy)}
    productos = tienda.client.get("/api/reportes/ventas-por-producto/", headers=tienda.admin, params=solo_hoy).json()
    assert [(p["sku"], Decimal(p["total"])) for p in productos] == [("REP-A", Decimal("20.00")),
                                                                    ("REP-B", Decimal("10.00"))]
    clientes = tienda.client.get("/api/reportes/ventas-por-cliente/", headers=tienda.admin, params=solo_hoy).json()
    assert clientes[0]["cliente"] == "CLIENTES VARIOS" and Decimal(clientes[0]["total"]) == Decimal("30.00")
    bad = tienda.client.get("/api/reportes/ventas-diarias/", headers=tienda.admin,
                            params={"desde": "2026-02-01", "hasta": "2026-01-01"})
    assert bad.status_code == 422

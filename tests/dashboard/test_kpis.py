"""Module 8 KPIs against a small known data set: every figure asserted, the live "today" figure, the role and
scope filtering done in the backend (SUPERVISOR_ALMACEN → 403 on finance; GERENTE_VENTAS sees only their
branch), and each user's widgets."""

from datetime import timedelta

from sqlalchemy import text

from core.db import session_scope
from services.stock import hoy_lima
from tests.dashboard.fixtures import Tablero, refrescar

pytest_plugins = ["tests.dashboard.fixtures"]


def _periodo(total: str, ventas: int, ticket: str) -> dict:
    return {"total": total, "ventas": ventas, "ticket_promedio": ticket}


def test_sales_kpis_by_branch_period_product_and_payment_method(con_ventas: Tablero):
    t = con_ventas
    antes = t.kpis("ventas")
    assert antes["calculado_en"] is None and antes["por_sucursal"] == []  # no snapshot yet …
    assert antes["hoy"] == {"fecha": str(hoy_lima()), **_periodo("94.40", 3, "31.47")}  # … but today is live
    refrescar()
    k = t.kpis("ventas")
    assert k["calculado_en"] is not None and k["fecha"] == str(hoy_lima())
    for periodo in ("dia", "semana", "mes"):
        assert k["totales"][periodo] == _periodo("94.40", 3, "31.47")
    principal, norte = k["por_sucursal"]
    assert principal["sucursal_id"] == t.sucursal_id and principal["dia"] == _periodo("47.20", 2, "23.60")
    assert norte["sucursal_id"] == t.sucursal_norte and norte["mes"] == _periodo("47.20", 1, "47.20")
    assert [(p["producto_id"], p["total"], p["cantidad"], p["sucursal_id"]) for p in k["top_productos"]] == [
        (t.productos["DB"], "70.80", "3.000", None), (t.productos["DA"], "23.60", "2.000", None)]
    assert k["por_metodo_pago"] == [{"metodo": "EFECTIVO", "total": "70.80", "pagos": 2},
                                    {"metodo": "YAPE", "total": "23.60", "pagos": 1}]
    # a sale after the refresh: today's figure moves at once, the snapshot waits for the next run
    t.vender("DA", "1", "11.80")
    k = t.kpis("ventas")
    assert k["hoy"]["total"] == "106.20" and k["totales"]["dia"]["total"] == "94.40"


def test_inventory_kpis_stock_value_minimum_lots_and_rotation(con_ventas: Tablero):
    t = con_ventas
    with session_scope() as s:  # an expired lot still holding stock
        s.execute(text("INSERT INTO lotes_series (producto_id, almacen_id, numero_lote, fecha_vencimiento, "
                       "cantidad_inicial, cantidad_actual, estado) VALUES (:p, :a, 'L-VIEJO', :f, 2, 2, 'ACTIVO')"),
                  {"p": t.productos["DL"], "a": t.almacen_id, "f": hoy_lima() - timedelta(days=5)})
    refrescar()
    k = t.kpis("inventario")
    assert (k["valor_stock"], k["items_bajo_minimo"], k["lotes_por_vencer"], k["lotes_vencidos"]) == (
        "130.00", 1, 1, 1)
    principal, norte = k["por_almacen"]
    assert principal == {"almacen_id": t.almacen_id, "valor_stock": "94.00", "items_con_stock": 3,
                         "items_bajo_minimo": 1, "lotes_por_vencer": 1, "unidades_por_vencer": "3.000",
                         "lotes_vencidos": 1, "unidades_vencidas": "2.000", "rotacion": "0.2000",
                         "salidas_periodo": "3.000"}
    assert (norte["almacen_id"], norte["valor_stock"], norte["rotacion"]) == (t.almacen_norte, "36.00", "0.6667")
    assert k["bajo_minimo"] == [{"almacen_id": t.almacen_id, "producto_id": t.productos["DA"],
                                 "nombre": "Producto DA", "stock_actual": "8.0000", "stock_minimo": "9.000"}]


def test_finance_kpis_aging_collections_and_cash_position(con_ventas: Tablero):
    refrescar()
    k = con_ventas.kpis("financiero")
    cxc = {x["tramo"]: (x["saldo"], x["documentos"]) for x in k["cuentas_por_cobrar"]}
    assert cxc == {"por_vencer": ("50.00", 1), "0_30": ("0.00", 0), "31_60": ("100.00", 1),
                   "61_90": ("0.00", 0), "mas_90": ("25.00", 1)}
    cxp = {x["tramo"]: (x["saldo"], x["documentos"]) for x in k["cuentas_por_pagar"]}
    assert cxp["0_30"] == ("200.00", 1) and sum(n for _, n in cxp.values()) == 1
    assert k["cobranzas_mes"] == {"monto": "67.50", "operaciones": 2}  # 30 PEN + 10 USD at 3.75
    assert k["pagos_mes"] == {"monto": "0.00", "operaciones": 0}
    caja = {c["cuenta"]: c["saldo"] for c in k["posicion_caja"]}
    assert caja["101"] == "70.80" and caja["1041"] == "23.60"  # cash sales; Yape is collected by the bank
    assert k["caja_total"] == "94.40"


def test_logistics_kpis_orders_by_state_on_time_and_by_carrier(tablero: Tablero):
    refrescar()
    k = tablero.kpis("logistica")
    hoy = hoy_lima()
    ayer_en_el_mes = (hoy - timedelta(days=1)) >= hoy.replace(day=1)
    estados = {e["estado"]: (e["pedidos"], e["total"]) for e in k["pedidos_por_estado"]}
    assert estados["PENDIENTE"] == (1, "150.00")
    assert estados["ENTREGADO"] == ((2, "150.00") if ayer_en_el_mes else (1, "50.00"))
    assert (k["entregas_mes"], k["entregas_a_tiempo"], k["porcentaje_a_tiempo"]) == (2, 1, "50.00")
    assert [(c["nombre"], c["entregas"]) for c in k["por_transportista"]] == [("Conductor KPI-1", 2)]


def test_an_empty_group_gets_a_newer_empty_snapshot_not_the_old_rows(tablero: Tablero):
    refrescar()
    assert tablero.kpis("financiero")["cobranzas_mes"]["monto"] == "67.50"
    with session_scope() as s:
        s.execute(text("DELETE FROM pagos_cobros"))
    refrescar()
    assert tablero.kpis("financiero")["cobranzas_mes"] == {"monto": "0.00", "operaciones": 0}


def test_supervisor_sees_only_inventory_of_their_warehouses(con_ventas: Tablero, make_user):
    t = con_ventas
    refrescar()
    supervisor_id, supervisor = make_user("SUPERVISOR_ALMACEN")
    res = t.client.post(f"/api/almacenes/{t.almacen_id}/usuarios/", headers=t.admin,
                        json={"usuario_id": supervisor_id})
    assert res.status_code == 204, res.text
    for grupo in ("financiero", "ventas", "logistica"):
        res = t.client.get(f"/api/dashboard/kpis/{grupo}/", headers=supervisor)
        assert res.status_code == 403, (grupo, res.text)
    k = t.kpis("inventario", supervisor)
    assert k["valor_stock"] == "94.00" and [a["almacen_id"] for a in k["por_almacen"]] == [t.almacen_id]
    res = t.client.get("/api/dashboard/kpis/inventario/", headers=supervisor, params={"almacen_id": t.almacen_norte})
    assert res.status_code == 403
    _, contador = make_user("CONTADOR")  # the finance permission is what finance KPIs need
    assert t.client.get("/api/dashboard/kpis/financiero/", headers=contador).status_code == 200


def test_sales_manager_sees_only_the_sales_of_their_branch(con_ventas: Tablero, make_user):
    t = con_ventas
    refrescar()
    _, gerente = make_user("GERENTE_VENTAS", sucursal_id=t.sucursal_id)
    k = t.kpis("ventas", gerente)
    assert k["hoy"]["total"] == "47.20" and k["totales"]["mes"] == _periodo("47.20", 2, "23.60")
    assert [s["sucursal_id"] for s in k["por_sucursal"]] == [t.sucursal_id]
    assert [(p["producto_id"], p["sucursal_id"]) for p in k["top_productos"]] == [
        (t.productos["DA"], t.sucursal_id), (t.productos["DB"], t.sucursal_id)]  # tie: by id
    assert k["por_metodo_pago"] == [{"metodo": "EFECTIVO", "total": "23.60", "pagos": 1},
                                    {"metodo": "YAPE", "total": "23.60", "pagos": 1}]
    res = t.client.get("/api/dashboard/kpis/ventas/", headers=gerente, params={"sucursal_id": t.sucursal_norte})
    assert res.status_code == 403
    for grupo in ("inventario", "financiero"):
        assert t.client.get(f"/api/dashboard/kpis/{grupo}/", headers=gerente).status_code == 403
    assert t.client.get("/api/dashboard/kpis/ventas/").status_code == 401


def test_widgets_are_validated_against_the_catalog_and_the_role(client, admin_headers, make_user):
    _, gerente = make_user("GERENTE_VENTAS")
    res = client.get("/api/dashboard/configuracion/", headers=gerente)
    assert res.status_code == 200, res.text
    inicial = res.json()
    assert inicial["grupos"] == ["ventas"] and not inicial["personalizado"]
    assert [w["widget"] for w in inicial["widgets"]][:2] == ["ventas_hoy", "ventas_periodo"]
    nuevo = {"widgets": [{"widget": "top_productos", "posicion": 1, "tamano": "L"},
                         {"widget": "ventas_hoy", "posicion": 0}]}
    res = client.put("/api/dashboard/configuracion/", headers=gerente, json=nuevo)
    assert res.status_code == 200, res.text
    assert res.json()["personalizado"] and res.json()["widgets"] == [
        {"widget": "ventas_hoy", "posicion": 0, "tamano": "M"},
        {"widget": "top_productos", "posicion": 1, "tamano": "L"}]
    assert client.get("/api/dashboard/configuracion/", headers=gerente).json()["widgets"] == res.json()["widgets"]
    res = client.put("/api/dashboard/configuracion/", headers=gerente,
                     json={"widgets": [{"widget": "no_existe", "posicion": 0}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"].startswith("widgets.0.widget")
    res = client.put("/api/dashboard/configuracion/", headers=gerente,
                     json={"widgets": [{"widget": "posicion_caja", "posicion": 0}]})
    assert res.status_code == 403 and res.json()["errors"][0]["field"] == "widgets.0.widget"
    res = client.put("/api/dashboard/configuracion/", headers=gerente,
                     json={"widgets": [{"widget": "ventas_hoy", "posicion": 0},
                                       {"widget": "ventas_hoy", "posicion": 1}]})
    assert res.status_code == 400
    _, cajero = make_user("CAJERO")
    assert client.get("/api/dashboard/configuracion/", headers=cajero).status_code == 403
    assert len(client.get("/api/dashboard/configuracion/", headers=admin_headers).json()["widgets"]) == 16

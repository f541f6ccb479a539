"""Landed cost: freight/insurance/customs, from a document of its own or the supplier invoice's gastos_logisticos,
prorated by weight or value (the remainder on the last line), raise the warehouse's weighted average cost of
what is still held; the share of units already sold goes to cost of sales. Posted 6091 · 40111 · 4212 with the
document, 20111 / 6911 · 6111 for the landed cost."""

from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from services import finanzas
from services.finanzas.contabilizar import costo_de_salida
from tests.compras.helpers import EMISION, RUC_A, RUC_B
from tests.compras.helpers import factura_body as _factura

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


def _promedio(producto_id: int, almacen_id: int) -> tuple[str, str]:
    with session_scope() as s:
        fila = finanzas.contabilizar.costo_promedio(s, producto_id, almacen_id)
        return str(fila.cantidad), str(fila.costo_unitario)


def _saldos(referencia_tipo: str) -> dict[str, str]:
    with session_scope() as s:
        filas = s.execute(text(
            "SELECT c.codigo, sum(l.debe) - sum(l.haber) FROM lineas_asiento l JOIN asientos_contables a "
            "ON a.id = l.asiento_id JOIN cuentas_contables c ON c.id = l.cuenta_id "
            "WHERE a.referencia_tipo = :t GROUP BY c.codigo"), {"t": referencia_tipo}).all()
    return {codigo: str(saldo) for codigo, saldo in filas}


def _recibida(compras):
    """10 × S/ 10 (2 kg) and 10 × S/ 30 (1 kg), all received; then a sale takes 5 of the second."""
    tienda = compras.tienda
    proveedor = compras.proveedor(RUC_A)
    p1 = tienda.producto("LC1", stock=None, peso_kg="2")
    p2 = tienda.producto("LC2", stock=None, peso_kg="1")
    oc = compras.orden(proveedor, [(p1, "10", "10"), (p2, "10", "30")])
    compras.enviar(oc["id"])
    l1, l2 = (d["id"] for d in oc["detalle"])
    recepcion = compras.recibir(oc["id"], [(l1, "10"), (l2, "10")])
    with session_scope() as s:  # the cost of a sale of 5 units, at the average
        assert costo_de_salida(s, tienda.almacen_id, [(p2, Decimal("5"))]) == Decimal("150.00")
        s.commit()
    return oc["id"], recepcion["id"], (p1, l1), (p2, l2)


def test_freight_by_weight_raises_the_average_and_the_sold_share_goes_to_cost_of_sales(compras):
    orden_id, recepcion_id, (p1, _), (p2, _) = _recibida(compras)
    almacen = compras.tienda.almacen_id
    transportista = compras.proveedor(RUC_B, condicion_pago="CREDITO", dias_credito=15)
    body = {"orden_id": orden_id, "recepcion_id": recepcion_id, "concepto": "FLETE", "criterio": "PESO",
            "proveedor_id": transportista, "numero_documento": "f001-77", "fecha_emision": str(EMISION),
            "monto": "100.01", "igv": "18.00"}
    res = compras.client.post("/api/compras/costos-vinculados/", headers=compras.admin, json=body)
    assert res.status_code == 201, res.text
    costo = res.json()
    # 20 kg : 10 kg of S/ 100.01 → 66.67 and the remainder 33.34 on the last line: exactly the total
    assert [(d["producto_id"], d["importe_pen"]) for d in costo["detalle"]] == [(p1, "66.67"), (p2, "33.34")]
    assert costo["documento"] == "F001-77" and costo["monto_pen"] == "100.01"
    # p1: all 10 still held → (100 + 66.67) / 10; p2: 5 of 10 held → half raises the average, half is sold
    assert _promedio(p1, almacen) == ("10.000", "16.667000")
    assert _promedio(p2, almacen) == ("5.000", "33.334000")
    assert (costo["capitalizado_pen"], costo["costo_venta_pen"]) == ("83.34", "16.67")
    assert _saldos("COSTO_VINCULADO") == {"20111": "83.34", "6911": "16.67", "6111": "-100.01"}
    assert _saldos("FACTURA_PROVEEDOR") == {"6091": "100.01", "40111": "18.00", "4212": "-118.01"}
    with session_scope() as s:  # the carrier's payable, due at its terms
        cxp = s.execute(text("SELECT proveedor_ruc, saldo, fecha_vencimiento - fecha_emision FROM cuentas_por_pagar "
                             "WHERE id = :i"), {"i": costo["cuenta_por_pagar_id"]}).one()
    assert (cxp[0], str(cxp[1]), cxp[2]) == (RUC_B, "118.01", 15)
    listado = compras.client.get(f"/api/compras/ordenes/{orden_id}/costos-vinculados/", headers=compras.admin).json()
    assert listado["total"] == 1 and listado["items"][0]["id"] == costo["id"]
    assert compras.client.post("/api/compras/costos-vinculados/", headers=compras.admin,
                               json=body).status_code == 409  # the same document twice


def test_invoice_logistics_costs_by_value_into_the_landed_cost(compras):
    orden_id, _, (p1, l1), (p2, l2) = _recibida(compras)
    almacen = compras.tienda.almacen_id
    res = compras.client.post("/api/compras/facturas/", headers=compras.admin,
                              json=_factura(orden_id, [(l1, "10", "10"), (l2, "10", "30")], gastos="30.00"))
    assert res.status_code == 201, res.text
    assert [d["gasto_prorrateado"] for d in res.json()["detalle"]] == ["7.50", "22.50"]  # 100 : 300
    assert _promedio(p1, almacen) == ("10.000", "10.750000")
    assert _promedio(p2, almacen) == ("5.000", "32.250000")  # 11.25 of 22.50 on the 5 held
    assert _saldos("COSTO_VINCULADO") == {"20111": "18.75", "6911": "11.25", "6111": "-30.00"}
    costos = compras.client.get(f"/api/compras/ordenes/{orden_id}/costos-vinculados/", headers=compras.admin).json()
    assert [(c["factura_proveedor_id"], c["criterio"], c["monto_pen"]) for c in costos["items"]] == [
        (res.json()["id"], "VALOR", "30.00")]


def test_landed_cost_bad_input(compras):
    tienda = compras.tienda
    orden_id, recepcion_id, *_ = _recibida(compras)
    transportista = compras.proveedor(RUC_B)
    post = compras.client.post
    base = {"orden_id": orden_id, "concepto": "ADUANA", "proveedor_id": transportista, "numero_documento": "F001-9",
            "fecha_emision": str(EMISION), "monto": "50"}
    sin_peso = compras.proveedor("20100070970")
    p = tienda.producto("LC3", stock=None)
    oc = compras.orden(sin_peso, [(p, "1", "5")])
    compras.enviar(oc["id"])
    # not received yet → 422; the reception of another OC → 400; no weights → 400 criterio; unknown field → 400
    assert post("/api/compras/costos-vinculados/", headers=compras.admin,
                json={**base, "orden_id": oc["id"]}).status_code == 422
    otra = compras.recibir(oc["id"], [(oc["detalle"][0]["id"], "1")])
    res = post("/api/compras/costos-vinculados/", headers=compras.admin, json={**base, "recepcion_id": otra["id"]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "recepcion_id"
    res = post("/api/compras/costos-vinculados/", headers=compras.admin,
               json={**base, "orden_id": oc["id"], "criterio": "PESO"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "criterio"
    assert post("/api/compras/costos-vinculados/", headers=compras.admin,
                json={**base, "extra": 1}).status_code == 400
    # an invoice's logistics costs on goods not received yet → 422 naming gastos_logisticos
    oc2 = compras.orden(sin_peso, [(p, "2", "5")])
    compras.enviar(oc2["id"])
    res = post("/api/compras/facturas/", headers=compras.admin,
               json=_factura(oc2["id"], [(oc2["detalle"][0]["id"], "2", "5")], gastos="3.00", ruc="20100070970"))
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "gastos_logisticos"
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM costos_vinculados_compra")).scalar() == 0
    assert post("/api/compras/costos-vinculados/", headers={},
                json={**base, "recepcion_id": recepcion_id}).status_code == 401

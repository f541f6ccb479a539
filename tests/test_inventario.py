"""Module 2: movements with their checks, warehouse permissions, the immutable partitioned kardex, lots,
transfers through the TransferenciaStock workflow, and the daily alerts on the real worker."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import session_scope
from services.stock import hoy_lima
from tests.ventas_fixtures import contar, stock_de

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def _mov(tienda, ruta: str, headers: dict, producto: int, cantidad: str, **extra: object):
    return tienda.client.post(f"/api/inventario/{ruta}/", headers=headers, json={
        "producto_id": producto, "almacen_id": tienda.almacen_id, "cantidad": cantidad, **extra})


def _almacenero(tienda, make_user, rol: str = "ALMACENERO") -> dict:
    user_id, headers = make_user(rol)
    res = tienda.client.post(f"/api/almacenes/{tienda.almacen_id}/usuarios/", headers=tienda.admin,
                             json={"usuario_id": user_id})
    assert res.status_code == 204
    return headers


def test_exit_beyond_stock_is_400_unless_forced_by_an_authorised_role(tienda, make_user):
    producto = tienda.producto("SAL", stock="5")
    almacenero = _almacenero(tienda, make_user)
    res = _mov(tienda, "salida", almacenero, producto, "10")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cantidad"
    assert _mov(tienda, "salida", almacenero, producto, "10", forzar=True).status_code == 403
    assert stock_de(producto, tienda.almacen_id) == 5
    supervisor = _almacenero(tienda, make_user, "SUPERVISOR_ALMACEN")
    assert _mov(tienda, "salida", supervisor, producto, "10", forzar=True).status_code == 201
    assert stock_de(producto, tienda.almacen_id) == -5


def test_entry_increments_stock_and_writes_the_kardex(tienda):
    producto = tienda.producto("ENT", stock="10")
    res = _mov(tienda, "entrada", tienda.admin, producto, "2.5", referencia_doc="GR-001")
    assert res.status_code == 201 and res.json()["stock_actual"] == "12.500"
    assert stock_de(producto, tienda.almacen_id) == 12.5
    assert contar("movimientos_stock", "producto_id = :p AND tipo_movimiento = 'ENTRADA'", p=producto) == 2


def test_adjustment_needs_a_reason_and_a_supervisor_and_is_audited(tienda, make_user):
    producto = tienda.producto("AJU", stock="10")
    assert _mov(tienda, "ajuste", tienda.admin, producto, "-2").json()["errors"][0]["field"] == "motivo"
    assert _mov(tienda, "ajuste", tienda.admin, producto, "-2").status_code == 400
    almacenero = _almacenero(tienda, make_user)
    assert _mov(tienda, "ajuste", almacenero, producto, "-2", motivo="conteo").status_code == 403
    res = _mov(tienda, "ajuste", tienda.admin, producto, "-2", motivo="Conteo cíclico: rotura")
    assert res.status_code == 201 and stock_de(producto, tienda.almacen_id) == 8
    with session_scope() as s:
        ref = s.execute(text("SELECT referencia_doc FROM movimientos_stock WHERE tipo_movimiento = 'AJUSTE'")).scalar()
        audit = s.execute(text("SELECT datos_nuevos_json FROM audit_logs WHERE accion = 'ajuste'")).scalar_one()
    assert audit["referencia"] == ref and audit["motivo"] == "Conteo cíclico: rotura"


def test_user_without_permission_on_the_warehouse_gets_403(tienda, make_user):
    producto = tienda.producto("PERM", stock="5")
    _, ajeno = make_user("ALMACENERO")
    assert _mov(tienda, "entrada", ajeno, producto, "1").status_code == 403
    assert tienda.client.get("/api/inventario/stock/", headers=ajeno,
                             params={"almacen_id": tienda.almacen_id}).status_code == 403
    assert tienda.client.get("/api/almacenes/", headers=ajeno).json() == []


def test_kardex_is_immutable_partitioned_and_paged_by_keyset(tienda, owner_engine):
    """The trigger refuses even the owner (the app role is refused before, by privileges: test_roles_bd)."""
    producto = tienda.producto("KAR", stock="1")
    for _ in range(4):
        assert _mov(tienda, "entrada", tienda.admin, producto, "1").status_code == 201
    for stmt in ("UPDATE movimientos_stock SET cantidad = 0", "DELETE FROM movimientos_stock"):
        with pytest.raises(DBAPIError, match="solo inserción"), owner_engine.begin() as s:
            s.execute(text(stmt))
    with session_scope() as s:
        particion = s.execute(text("SELECT tableoid::regclass::text FROM movimientos_stock LIMIT 1")).scalar_one()
    assert particion.startswith("movimientos_stock_2")  # a monthly partition, not the default one
    vistos, cursor = [], None
    while True:
        params = {"producto_id": producto, "limit": 2, "desde": str(hoy_lima()), "hasta": str(hoy_lima())}
        page = tienda.client.get("/api/inventario/movimientos/", headers=tienda.admin,
                                 params=params | ({"cursor": cursor} if cursor else {})).json()
        vistos += [m["id"] for m in page["resultados"]]
        if not (cursor := page["siguiente"]):
            break
    assert len(vistos) == 5 and vistos == sorted(vistos, reverse=True)


def test_traceable_product_needs_a_lot_and_the_lot_history_is_complete(tienda):
    producto = tienda.producto("LOTE", stock=None, trazabilidad=True)
    res = _mov(tienda, "entrada", tienda.admin, producto, "10")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "numero_lote"
    vence = str(hoy_lima() + timedelta(days=90))
    assert _mov(tienda, "entrada", tienda.admin, producto, "10", numero_lote="L-77",
                fecha_vencimiento=vence).status_code == 201
    assert _mov(tienda, "salida", tienda.admin, producto, "11", numero_lote="L-77").status_code == 400
    assert _mov(tienda, "salida", tienda.admin, producto, "4", numero_lote="L-77").status_code == 201
    traza = tienda.client.get("/api/inventario/trazabilidad/L-77/", headers=tienda.admin).json()
    assert [m["tipo_movimiento"] for m in traza["movimientos"]] == ["ENTRADA", "SALIDA"]
    assert traza["lotes"][0]["cantidad_actual"] == "6.000" and traza["lotes"][0]["fecha_vencimiento"] == vence


async def _estado(temporal_client, transferencia_id: int) -> str:
    handle = temporal_client.get_workflow_handle(f"transferencia-{transferencia_id}")
    for _ in range(100):
        try:
            return await handle.query("estado_actual")
        except Exception:  # noqa: BLE001 - not started by the outbox relay yet
            await asyncio.sleep(0.1)
    raise AssertionError("workflow not started")


async def _esperar_estado(temporal_client, transferencia_id: int, estado: str) -> None:
    for _ in range(100):
        if await _estado(temporal_client, transferencia_id) == estado:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"workflow never reached {estado}")


async def test_transfer_stays_in_transit_until_confirmed_and_incidents_block_closing(tienda, worker, temporal_client):
    producto = tienda.producto("TRF", stock="10")
    destino = tienda.almacen("Almacén destino")
    body = {"almacen_origen_id": tienda.almacen_id, "almacen_destino_id": destino,
            "lineas": [{"producto_id": producto, "cantidad": "11"}]}
    post = tienda.client.post
    assert post("/api/inventario/transferencia/", headers=tienda.admin, json=body).status_code == 400
    assert contar("transferencias") == 0 and contar("outbox", "workflow = 'TransferenciaStock'") == 0

    body["lineas"][0]["cantidad"] = "6"
    t = post("/api/inventario/transferencia/", headers=tienda.admin, json=body).json()
    assert t["estado"] == "SOLICITADA" and await _estado(temporal_client, t["id"]) == "SOLICITADA"
    assert post(f"/api/inventario/transferencia/{t['id']}/despachar/", headers=tienda.admin).json()["estado"] == \
        "EN_TRANSITO"
    assert stock_de(producto, tienda.almacen_id) == 4
    await _esperar_estado(temporal_client, t["id"], "EN_TRANSITO")
    await asyncio.sleep(0.5)
    assert await _estado(temporal_client, t["id"]) == "EN_TRANSITO"  # nothing closes it but the destination

    linea = t["detalle"][0]["id"]
    res = post(f"/api/inventario/transferencia/{t['id']}/confirmar/", headers=tienda.admin,
               json={"lineas": [{"detalle_id": linea, "cantidad_recibida": "5"}]}).json()
    assert res["estado"] == "CON_INCIDENCIA" and res["incidencias"][0]["estado"] == "ABIERTA"
    assert stock_de(producto, destino) == 5
    await _esperar_estado(temporal_client, t["id"], "CON_INCIDENCIA")
    res = post(f"/api/inventario/transferencia/{t['id']}/resolver/", headers=tienda.admin,
               json={"accion": "ACEPTAR_RECIBIDO", "resolucion": "Una unidad rota en el camión"}).json()
    assert res["estado"] == "CONFIRMADA" and stock_de(producto, destino) == 5
    assert contar("movimientos_stock", "tipo_movimiento = 'MERMA' AND cantidad = -1") == 1
    handle = temporal_client.get_workflow_handle(f"transferencia-{t['id']}")
    assert await asyncio.wait_for(handle.result(), 20) == "CONFIRMADA"


async def test_transfer_with_matching_quantities_confirms_at_once(tienda, worker, temporal_client):
    producto = tienda.producto("TRF2", stock="3")
    destino = tienda.almacen("Destino 2")
    t = tienda.client.post("/api/inventario/transferencia/", headers=tienda.admin, json={
        "almacen_origen_id": tienda.almacen_id, "almacen_destino_id": destino,
        "lineas": [{"producto_id": producto, "cantidad": "3"}]}).json()
    tienda.client.post(f"/api/inventario/transferencia/{t['id']}/despachar/", headers=tienda.admin)
    res = tienda.client.post(f"/api/inventario/transferencia/{t['id']}/confirmar/", headers=tienda.admin,
                             json={"lineas": [{"detalle_id": t["detalle"][0]["id"], "cantidad_recibida": "3"}]})
    assert res.json()["estado"] == "CONFIRMADA"
    assert (stock_de(producto, tienda.almacen_id), stock_de(producto, destino)) == (0, 3)
    await _estado(temporal_client, t["id"])  # the outbox relay starts the workflow asynchronously
    handle = temporal_client.get_workflow_handle(f"transferencia-{t['id']}")
    assert await asyncio.wait_for(handle.result(), 20) == "CONFIRMADA"


async def test_daily_alerts_create_notifications_once_per_day_and_mail_them(tienda, worker, temporal_client,
                                                                             smtp_server):
    producto = tienda.producto("ALR", stock="2")
    res = tienda.client.put(f"/api/almacenes/{tienda.almacen_id}/productos/{producto}/", headers=tienda.admin,
                            json={"stock_minimo": "5", "stock_maximo": "50"})
    assert res.status_code == 200
    lote = tienda.producto("VENCE", stock=None, trazabilidad=True)
    tienda.entrada(lote, "3", numero_lote="L-1", fecha_vencimiento=str(hoy_lima() + timedelta(days=3)))
    for run in ("1", "2"):
        await temporal_client.execute_workflow("AlertasInventario", id=f"alertas-{run}", task_queue="erp-test")
    assert contar("notificaciones", "tipo = 'STOCK_BAJO'") == 1
    assert contar("notificaciones", "tipo = 'LOTE_POR_VENCER'") == 1
    [mensaje] = smtp_server.messages()  # the second run found nothing new to mail
    cuerpo = mensaje.get_content()
    assert "ALR" in cuerpo and "L-1" in cuerpo and mensaje["To"] == "admin@test.pe"
    alertas = tienda.client.get("/api/inventario/alertas-stock/", headers=tienda.admin).json()
    assert [a["sku"] for a in alertas] == ["ALR"]

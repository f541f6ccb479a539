"""Module 1 under load and over time: 50 parallel sales for the last 10 units on a real server, the offline
batch sync, quotes (edit/duplicate/convert) and the nightly expiry workflow on the real worker."""

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from core.db import session_scope
from tests.ventas_fixtures import contar, stock_de, venta
from workflows.ventas import SCHEDULES

LIMA = ZoneInfo("America/Lima")

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def test_fifty_parallel_sales_for_the_last_ten_units(tienda, cajero, servidor):
    producto = tienda.producto("ULTIMOS", precio="10.00", stock="10")

    async def vender(client: httpx.AsyncClient) -> int:
        return (await client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "10.00"))).status_code

    async def todas() -> list[int]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=servidor, limits=limits, timeout=60) as client:
            return await asyncio.gather(*(vender(client) for _ in range(50)))

    codigos = asyncio.run(todas())
    assert sorted(codigos) == [201] * 10 + [400] * 40
    assert stock_de(producto, tienda.almacen_id) == 0
    assert contar("movimientos_stock", "producto_id = :p AND tipo_movimiento = 'VENTA'", p=producto) == 10
    assert contar("ventas") == 10


def _offline(producto: int, cantidad: str, minutos: int, total: str) -> dict:
    momento = datetime.now(LIMA) - timedelta(hours=2) + timedelta(minutes=minutos)
    return venta(producto, cantidad, total) | {"id_local": str(uuid.uuid4()),
                                               "fecha_registro_local": momento.isoformat()}


def test_offline_batch_of_ten_in_order_with_failures_and_idempotent_resend(tienda, cajero):
    producto = tienda.producto("OFF", precio="10.00", stock="5")
    # Sent out of order; chronologically: 1 unit x5 (the 5th empties the stock), then 3 more that fail,
    # and two for an unknown product.
    lote = [_offline(producto, "1", m, "10.00") for m in (4, 0, 3, 1, 2, 6, 5, 7)]
    lote += [_offline(999_999, "1", 8, "10.00"), _offline(999_999, "1", 9, "10.00")]
    res = tienda.client.post("/api/ventas/offline-sync/", headers=cajero, json={"ventas": lote})
    assert res.status_code == 200, res.text
    resultados = res.json()["resultados"]
    assert [r["estado"] for r in resultados] == ["creada"] * 5 + ["error_sync"] * 5
    assert all("Stock insuficiente" in r["motivo"] for r in resultados[5:8])
    assert stock_de(producto, tienda.almacen_id) == 0 and contar("ventas", "modo_emision = 'OFFLINE'") == 5
    assert contar("ventas_offline", "error_sync IS NOT NULL AND NOT sincronizado") == 5
    # The sales keep the time they happened, not the sync time.
    with session_scope() as s:
        primera = s.execute(text("SELECT min(fecha) FROM ventas")).scalar_one()
    assert primera < datetime.now(LIMA) - timedelta(hours=1)

    again = tienda.client.post("/api/ventas/offline-sync/", headers=cajero, json={"ventas": lote}).json()
    assert [r["estado"] for r in again["resultados"]] == ["duplicada"] * 5 + ["error_sync"] * 5
    assert contar("ventas") == 5 and contar("ventas_offline") == 10


def _cotizacion(tienda, producto: int) -> dict:
    cliente = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "1", "numero_doc": "45678912", "razon_social": "Juana Pérez"}).json()
    res = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json={
        "cliente_id": cliente["id"], "dias_validez": 10, "lineas": [{"producto_id": producto, "cantidad": "2"}]})
    assert res.status_code == 201, res.text
    return res.json()


def _expirar(cotizacion_id: int) -> None:
    with session_scope() as s:
        s.execute(text("UPDATE cotizaciones SET fecha_emision = fecha_emision - 30, "
                       "fecha_vencimiento = fecha_vencimiento - 30 WHERE id = :i"), {"i": cotizacion_id})


def test_expired_quote_cannot_be_edited_but_can_be_duplicated_and_converted(tienda):
    producto = tienda.producto("COT", precio="59.00")
    cot = _cotizacion(tienda, producto)
    assert cot["estado"] == "pendiente" and cot["total"] == "118.00"
    edit = {"cliente_id": cot["cliente_id"], "lineas": [{"producto_id": producto, "cantidad": "3"}]}
    assert tienda.client.put(f"/api/cotizaciones/{cot['id']}/", headers=tienda.admin, json=edit).status_code == 200
    _expirar(cot["id"])
    from services.cotizaciones import vencer

    with session_scope() as s:
        assert vencer(s) == 1
    res = tienda.client.put(f"/api/cotizaciones/{cot['id']}/", headers=tienda.admin, json=edit)
    assert res.status_code == 403 and "Use duplicar" in res.json()["message"]
    assert tienda.client.post(f"/api/cotizaciones/{cot['id']}/convertir/", headers=tienda.admin).status_code == 403

    copia = tienda.client.post(f"/api/cotizaciones/{cot['id']}/duplicar/", headers=tienda.admin).json()
    hoy = datetime.now(LIMA).date()
    assert copia["estado"] == "pendiente" and copia["fecha_emision"] == str(hoy)
    assert copia["fecha_vencimiento"] == str(hoy + timedelta(days=10))
    assert [(d["producto_id"], d["cantidad"]) for d in copia["detalle"]] == [(producto, "3.000")]
    orden = tienda.client.post(f"/api/cotizaciones/{copia['id']}/convertir/", headers=tienda.admin)
    assert orden.status_code == 201 and orden.json()["total"] == copia["total"]
    assert tienda.client.post(f"/api/cotizaciones/{copia['id']}/convertir/", headers=tienda.admin).status_code == 409


async def test_nightly_expiry_workflow_on_the_real_worker(tienda, worker, temporal_client):
    producto = tienda.producto("COT-WF", precio="10.00")
    vieja, vigente = _cotizacion(tienda, producto), None
    vigente = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json={
        "cliente_id": vieja["cliente_id"], "lineas": [{"producto_id": producto, "cantidad": "1"}]}).json()
    _expirar(vieja["id"])
    resultado = await temporal_client.execute_workflow("VencerCotizaciones", id="vencer-test", task_queue="erp-test")
    assert resultado == 1
    with session_scope() as s:
        estados = dict(s.execute(text("SELECT id, estado FROM cotizaciones")).all())
    assert estados == {vieja["id"]: "vencida", vigente["id"]: "pendiente"}
    [defn] = SCHEDULES
    assert (defn.workflow, defn.cron, defn.timezone) == ("VencerCotizaciones", "0 23 * * *", "America/Lima")
    schedule = await temporal_client.get_schedule_handle(defn.id).describe()
    assert schedule.schedule.spec.time_zone_name == "America/Lima"

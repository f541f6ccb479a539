"""Scheduled work: the 07:00 replenishment proposals (usual supplier, up to the maximum minus what open OCs
bring, one OC per supplier and warehouse, idempotent per day, BORRADOR or PENDIENTE_APROBACION) and the
quarterly supplier evaluation (scores, no zero for quarters without deliveries, review task)."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from core.settings import get_settings
from services.compras import planificacion
from tests.compras.helpers import RUC_A, RUC_B
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]
RUC_C = "20601234565"


def _niveles(producto: int, almacen: int, actual: str, minimo: str, maximo: str) -> None:
    with session_scope() as s:
        s.execute(text("INSERT INTO productos_almacen (producto_id, almacen_id, stock_actual, stock_minimo, "
                       "stock_maximo, stock_seguridad) VALUES (:p, :a, :q, :mi, :ma, 0) ON CONFLICT (producto_id, "
                       "almacen_id) DO UPDATE SET stock_actual = :q, stock_minimo = :mi, stock_maximo = :ma"),
                  {"p": producto, "a": almacen, "q": actual, "mi": minimo, "ma": maximo})


def _cerrar(orden_id: int) -> None:
    with session_scope() as s:
        s.execute(text("UPDATE ordenes_compra SET estado = 'CERRADA' WHERE id = :i"), {"i": orden_id})


def _historial(compras):
    a, b = compras.proveedor(RUC_A), compras.proveedor(RUC_B)
    p1, p2, p3 = (compras.tienda.producto(s, stock=None) for s in ("PRO1", "PRO2", "PRO3"))
    _cerrar(compras.orden(a, [(p1, "5", "9")])["id"])
    _cerrar(compras.orden(b, [(p1, "5", "10"), (p2, "5", "4")])["id"])  # the last supplier of p1 is b
    abierta = compras.orden(b, [(p2, "3", "4")])  # brings 3 of p2
    compras.enviar(abierta["id"])
    almacen = compras.tienda.almacen_id
    _niveles(p1, almacen, "2", "5", "20")
    _niveles(p2, almacen, "0", "1", "10")
    _niveles(p3, almacen, "0", "5", "10")  # never bought: no supplier to propose
    return a, b, p1, p2


def test_daily_proposals_use_the_usual_supplier_and_run_once_a_day(compras):
    _, b, p1, p2 = _historial(compras)
    with session_scope() as s:
        creadas = planificacion.generar_propuestas(s)
    assert len(creadas) == 1
    oc = compras.client.get(f"/api/compras/ordenes/{creadas[0]}/", headers=compras.admin).json()
    assert oc["proveedor_id"] == b and oc["estado"] == "BORRADOR" and oc["propuesta"]
    assert {d["producto_id"]: d["cantidad"] for d in oc["detalle"]} == {p1: "18.000", p2: "7.000"}
    assert {d["producto_id"]: d["precio_unitario"] for d in oc["detalle"]} == {p1: "10.000000", p2: "4.000000"}
    with session_scope() as s:
        assert planificacion.generar_propuestas(s) == []  # the same day again: nothing twice
    assert contar("ordenes_compra", "propuesta IS NOT NULL") == 1
    assert contar("notificaciones", "tipo = 'OC_PROPUESTA'") == 1
    with session_scope() as s:  # tomorrow: what the open proposal brings is already counted
        assert planificacion.generar_propuestas(s, planificacion.hoy_lima() + timedelta(days=1)) == []


async def test_proposals_pending_approval_on_the_worker_schedule(compras, worker, temporal_client):
    with session_scope() as s:
        s.execute(text("INSERT INTO configuracion_compras (id, "
                       "recordatorio_horas, escalamiento_horas, tolerancia_recepcion_pct, tolerancia_cantidad, "
                       "tolerancia_precio_pct, tolerancia_precio_monto, estado_propuesta, umbral_evaluacion, "
                       "sunat_client_id) VALUES (1, 24, 48, 0, 0, 0.5, 0.1, 'PENDIENTE_APROBACION', "
                       "70, '')"))
    _historial(compras)
    creadas = await temporal_client.execute_workflow("PropuestasCompra", id="propuestas-test",
                                                     task_queue=get_settings().temporal_task_queue)
    assert creadas == 1
    oc = compras.client.get("/api/compras/ordenes/?estado=PENDIENTE_APROBACION", headers=compras.admin).json()
    propuestas = [o for o in oc["items"] if o["propuesta"]]
    assert len(propuestas) == 1 and propuestas[0]["nivel_aprobacion"] == 1  # S/ 208 still needs a person
    schedules = [s.id async for s in await temporal_client.list_schedules()]
    assert {"propuestas-compra", "evaluacion-proveedores"} <= set(schedules)


def test_quarterly_evaluation_scores_deliveries_and_flags_low_scores(compras):
    a, c = compras.proveedor(RUC_A), compras.proveedor(RUC_C)
    compras.proveedor(RUC_B)  # no deliveries this quarter: not scored
    p1 = compras.tienda.producto("EVA1", stock=None)
    manana = str(planificacion.hoy_lima() + timedelta(days=1))
    oa = compras.orden(a, [(p1, "10", "12")], fecha_estimada_entrega=manana)
    oc = compras.orden(c, [(p1, "10", "10")])
    for orden in (oa, oc):
        compras.enviar(orden["id"])
    post = compras.client.post
    assert post("/api/compras/recepciones/", headers=compras.admin, json={"orden_id": oa["id"], "lineas": [
        {"detalle_orden_id": oa["detalle"][0]["id"], "cantidad_recibida": "8", "estado_item": "DAÑADO",
         "cantidad_danada": "2"}]}).status_code == 201
    assert post("/api/compras/recepciones/", headers=compras.admin, json={"orden_id": oa["id"], "lineas": [
        {"detalle_orden_id": oa["detalle"][0]["id"], "cantidad_recibida": "2"}]}).status_code == 201
    assert post("/api/compras/recepciones/", headers=compras.admin, json={"orden_id": oc["id"], "lineas": [
        {"detalle_orden_id": oc["detalle"][0]["id"], "cantidad_recibida": "10"}]}).status_code == 201
    _, _, siguiente = planificacion.trimestre(planificacion.hoy_lima())
    with session_scope() as s:
        s.execute(text("UPDATE configuracion_compras SET umbral_evaluacion = 90"))
    with session_scope() as s:
        assert sorted(planificacion.evaluar_proveedores(s, siguiente)) == sorted([a, c])
    with session_scope() as s:
        filas = {r.proveedor_id: r for r in s.execute(text("SELECT * FROM evaluaciones_proveedor"))}
    periodo = planificacion.trimestre(planificacion.hoy_lima())[0]
    ea = filas[a]
    assert ea.periodo == periodo and ea.total_entregas == 2 and ea.entregas_completas == 1
    assert (ea.puntualidad_score, ea.calidad_score, ea.precio_score) == (
        Decimal("100.000"), Decimal("20.000"), Decimal("83.333"))  # 2 of 10 on CONFORME lines; 10 / 12
    assert filas[c].total_score == Decimal("100.000")
    assert contar("notificaciones", "tipo = 'REVISION_PROVEEDOR' AND objeto_id = :i", i=str(a)) == 1
    assert contar("notificaciones", "tipo = 'REVISION_PROVEEDOR'") == 1
    with session_scope() as s:  # re-running the quarter replaces, never duplicates
        planificacion.evaluar_proveedores(s, siguiente)
    assert contar("evaluaciones_proveedor") == 2
    proveedor = compras.client.get(f"/api/proveedores/{a}/", headers=compras.admin).json()
    assert proveedor["ultima_evaluacion"] == "67.778"


def test_the_fallback_supplier_is_chosen_by_price_then_lead_time_and_the_proposal_expects_it(compras):
    """The last supplier of the product is inactive: among those who sold it at the same price the one that
    delivers sooner is proposed (one with no deliveries yet comes after), expected its lead time from today."""
    producto = compras.tienda.producto("PRO9", stock=None)
    almacen = compras.tienda.almacen_id

    def recibida(ruc: str, dias: int) -> int:
        proveedor = compras.proveedor(ruc)
        oc = compras.orden(proveedor, [(producto, "2", "5")])
        compras.enviar(oc["id"])
        with session_scope() as s:  # ordered `dias` days before it arrived (today)
            s.execute(text("UPDATE ordenes_compra SET fecha_creacion = now() - make_interval(days => :d) "
                           "WHERE id = :i"), {"d": dias, "i": oc["id"]})
        compras.recibir(oc["id"], [(oc["detalle"][0]["id"], "2")])
        return proveedor

    lento, rapido = recibida(RUC_A, 10), recibida(RUC_B, 3)
    sin_entregas = compras.proveedor("20100070970")
    _cerrar(compras.orden(sin_entregas, [(producto, "1", "5")])["id"])
    ultimo = compras.proveedor(RUC_C)
    _cerrar(compras.orden(ultimo, [(producto, "1", "4")])["id"])  # the last one, cheapest, no longer active
    with session_scope() as s:
        s.execute(text("UPDATE proveedores SET activo = false WHERE id = :i"), {"i": ultimo})
    _niveles(producto, almacen, "1", "5", "10")
    with session_scope() as s:
        creadas = planificacion.generar_propuestas(s)
    assert len(creadas) == 1
    oc = compras.client.get(f"/api/compras/ordenes/{creadas[0]}/", headers=compras.admin).json()
    assert oc["proveedor_id"] == rapido != lento
    assert oc["fecha_estimada_entrega"] == str(planificacion.hoy_lima() + timedelta(days=3))
    assert {d["producto_id"]: d["cantidad"] for d in oc["detalle"]} == {producto: "9.000"}

"""The approval workflow AprobacionOrdenCompra on the real worker: tiers, the update's validator (403 without
permission, below the tier, own creator), audit, rejection and resubmission as a new run of `oc-<id>`, the
reminder timer with its e-mail and the escalation, and the Temporal UI search by Documento/Estado/Ruc."""

import asyncio
import contextlib

from sqlalchemy import text

from core.db import session_scope
from tests.compras.helpers import RUC_A
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


async def _estado_wf(temporal_client, orden_id: int, estado: str, deadline: float = 15) -> None:
    handle = temporal_client.get_workflow_handle(f"oc-{orden_id}")
    fin = asyncio.get_running_loop().time() + deadline
    ultimo = None
    while asyncio.get_running_loop().time() < fin:
        try:
            ultimo = await handle.query("estado_actual")
            if ultimo == estado:
                return
        except Exception:  # noqa: BLE001 - not started yet by the relay
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"oc-{orden_id} never reached {estado} (last {ultimo})")


def _aprobar(compras, orden_id: int, headers: dict, decision: str = "APROBAR", comentario: str = "ok"):
    return compras.client.put(f"/api/compras/ordenes/{orden_id}/aprobar/", headers=headers,
                              json={"decision": decision, "comentario": comentario})


async def test_approval_tiers_validator_403s_audit_and_search(compras, make_user, worker, temporal_client):
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("APR1", stock=None)
    comprador_id, comprador = make_user("COMPRAS")
    _, finanzas = make_user("FINANZAS")
    _, sin_permiso = make_user("COMPRAS")  # sees purchases, may not approve
    _, vendedor = make_user("VENDEDOR")
    oc = compras.orden(proveedor, [(producto, "100", "60")], headers=comprador)  # S/ 6,000: tier 1
    enviada = compras.enviar(oc["id"], comprador)
    assert enviada["estado"] == "PENDIENTE_APROBACION" and enviada["nivel_aprobacion"] == 1
    await _estado_wf(temporal_client, oc["id"], "PENDIENTE_APROBACION")
    encontrados = [w.id async for w in temporal_client.list_workflows(
        f'Documento = "OC-{oc["id"]}" AND Ruc = "{RUC_A}" AND Estado = "PENDIENTE_APROBACION"')]
    assert encontrados == [f"oc-{oc['id']}"]

    assert _aprobar(compras, oc["id"], vendedor).status_code == 403  # no compras permission at all
    res = _aprobar(compras, oc["id"], sin_permiso)
    assert res.status_code == 403 and "compras:aprobar" in res.json()["message"]
    assert _aprobar(compras, oc["id"], comprador).status_code == 403
    assert compras.client.get(f"/api/compras/ordenes/{oc['id']}/", headers=compras.admin).json()["estado"] == \
        "PENDIENTE_APROBACION"
    res = _aprobar(compras, oc["id"], finanzas, comentario="Presupuesto del trimestre")
    assert res.status_code == 200, res.text
    assert res.json()["estado"] == "APROBADA" and res.json()["comentario_aprobacion"] == "Presupuesto del trimestre"
    assert await asyncio.wait_for(temporal_client.get_workflow_handle(f"oc-{oc['id']}").result(), 15) == "APROBADA"
    assert _aprobar(compras, oc["id"], finanzas).status_code == 409
    with session_scope() as s:
        auditado = s.execute(text("SELECT usuario_id, datos_nuevos_json->>'comentario' FROM audit_logs "
                                  "WHERE accion = 'aprobar' AND objeto_id = :i"), {"i": str(oc["id"])}).one()
    assert auditado[1] == "Presupuesto del trimestre" and auditado[0] != comprador_id

    # above S/ 50,000 only ADMIN approves; the admin who created it may not (segregation of duties)
    grande = compras.orden(proveedor, [(producto, "1000", "60")])
    assert compras.enviar(grande["id"])["nivel_aprobacion"] == 2
    await _estado_wf(temporal_client, grande["id"], "PENDIENTE_APROBACION")
    res = _aprobar(compras, grande["id"], finanzas)
    assert res.status_code == 403 and "nivel 2" in res.json()["message"]
    assert _aprobar(compras, grande["id"], compras.admin).status_code == 403
    _, otro_admin = make_user("ADMIN")
    assert _aprobar(compras, grande["id"], otro_admin).json()["estado"] == "APROBADA"


async def test_rejected_oc_is_edited_and_resubmitted_as_a_new_run(compras, make_user, worker, temporal_client):
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("APR2", stock=None)
    _, comprador = make_user("COMPRAS")
    _, finanzas = make_user("FINANZAS")
    oc = compras.orden(proveedor, [(producto, "100", "80")], headers=comprador)
    compras.enviar(oc["id"], comprador)
    await _estado_wf(temporal_client, oc["id"], "PENDIENTE_APROBACION")
    handle = temporal_client.get_workflow_handle(f"oc-{oc['id']}")
    primera = (await handle.describe()).run_id
    assert _aprobar(compras, oc["id"], finanzas, "RECHAZAR", "Precio alto").json()["estado"] == "RECHAZADA"
    cuerpo = {"proveedor_id": proveedor, "almacen_destino_id": compras.tienda.almacen_id,
              "lineas": [{"producto_id": producto, "cantidad": "100", "precio_unitario": "70"}]}
    editada = compras.client.put(f"/api/compras/ordenes/{oc['id']}/", headers=comprador, json=cuerpo)
    assert editada.status_code == 200 and editada.json()["total"] == "7000.00"
    assert compras.enviar(oc["id"], comprador)["envio"] == 2
    fin = asyncio.get_running_loop().time() + 15
    while (await handle.describe()).run_id == primera:
        assert asyncio.get_running_loop().time() < fin, "the resubmission never continued as a new run"
        await asyncio.sleep(0.1)
    await _estado_wf(temporal_client, oc["id"], "PENDIENTE_APROBACION")
    assert _aprobar(compras, oc["id"], finanzas).json()["estado"] == "APROBADA"
    assert contar("audit_logs", "accion IN ('aprobar', 'rechazar') AND objeto_id = :i", i=str(oc["id"])) == 2


async def test_pending_oc_reminds_the_approvers_by_notification_and_mail_then_escalates(
        compras, make_user, worker, temporal_client, smtp_server):
    with session_scope() as s:  # remind after ~1 s, escalate after ~2 s
        s.execute(text("INSERT INTO configuracion_compras (id, "
                       "recordatorio_horas, escalamiento_horas, tolerancia_recepcion_pct, tolerancia_cantidad, "
                       "tolerancia_precio_pct, tolerancia_precio_monto, estado_propuesta, umbral_evaluacion, "
                       "sunat_client_id) VALUES (1, 0.0003, 0.0006, 0, 0, 0.5, 0.1, 'BORRADOR', 70, '') "
                       "ON CONFLICT (id) DO UPDATE SET recordatorio_horas = 0.0003, escalamiento_horas = 0.0006"))
    make_user("FINANZAS", email="aprobador@test.pe")
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("APR3", stock=None)
    oc = compras.orden(proveedor, [(producto, "100", "60")])
    compras.enviar(oc["id"])
    fin = asyncio.get_running_loop().time() + 20
    while contar("notificaciones", "tipo = 'OC_PENDIENTE_APROBACION' AND titulo LIKE 'Escalada%'") == 0:
        assert asyncio.get_running_loop().time() < fin, "no escalation"
        await asyncio.sleep(0.2)
    assert contar("notificaciones", "tipo = 'OC_PENDIENTE_APROBACION' AND titulo NOT LIKE 'Escalada%'") == 1
    destinatarios = {m["To"] for m in smtp_server.messages()}
    assert "aprobador@test.pe" in ", ".join(destinatarios)  # tier 1: FINANZAS and ADMIN
    assert any("ADMIN" in m["Subject"] for m in smtp_server.messages())  # escalation: tier 2
    assert await temporal_client.get_workflow_handle(f"oc-{oc['id']}").query("recordatorios_enviados") >= 2


def test_approval_tiers_are_a_validated_table(compras, make_user):
    put, get = compras.client.put, compras.client.get
    por_defecto = get("/api/compras/niveles-aprobacion/", headers=compras.admin).json()
    assert [(n["nivel"], n["monto_minimo"], n["roles"]) for n in por_defecto["items"]] == [
        (1, "5000.00", ["FINANZAS", "CONTADOR", "ADMIN"]), (2, "50000.00", ["ADMIN"])]
    malos = [({"niveles": []}, "niveles"),
             ({"niveles": [{"monto_minimo": "100", "roles": ["FINANZAS"]},
                           {"monto_minimo": "100", "roles": ["ADMIN"]}]}, "niveles.1.monto_minimo"),
             ({"niveles": [{"monto_minimo": "100", "roles": ["NO_EXISTE"]}]}, "niveles.0.roles"),
             ({"niveles": [{"monto_minimo": "100", "roles": []}]}, "niveles.0.roles"),
             ({"niveles": [{"monto_minimo": "-1", "roles": ["ADMIN"]}]}, "niveles.0.monto_minimo")]
    for malo, campo in malos:
        res = put("/api/compras/niveles-aprobacion/", headers=compras.admin, json=malo)
        assert res.status_code == 400 and campo in [e["field"] for e in res.json()["errors"]], (campo, res.text)
    _, comprador = make_user("COMPRAS")
    nuevos = {"niveles": [{"monto_minimo": "1000", "roles": ["FINANZAS"], "descripcion": "Jefatura"},
                          {"monto_minimo": "2000", "roles": ["ADMIN"]}]}
    assert put("/api/compras/niveles-aprobacion/", headers=comprador, json=nuevos).status_code == 403
    res = put("/api/compras/niveles-aprobacion/", headers=compras.admin, json=nuevos)
    assert res.status_code == 200, res.text
    assert [(n["nivel"], n["monto_minimo"]) for n in res.json()["items"]] == [(1, "1000.00"), (2, "2000.00")]
    assert contar("audit_logs", "objeto_tipo = 'niveles_aprobacion_compra'") >= 2  # every change audited
    # the table decides: S/ 900 is approved on submission, S/ 1,500 needs tier 1 (it was automatic up to 5,000)
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("APR5", stock=None)
    chica = compras.orden(proveedor, [(producto, "9", "100")], headers=comprador)
    assert compras.enviar(chica["id"], comprador)["estado"] == "APROBADA"
    media = compras.orden(proveedor, [(producto, "15", "100")], headers=comprador)
    assert compras.enviar(media["id"], comprador)["nivel_aprobacion"] == 1


async def test_the_approval_run_keeps_the_tiers_it_read_at_its_start(compras, make_user, worker, temporal_client):
    put = compras.client.put
    assert put("/api/compras/niveles-aprobacion/", headers=compras.admin, json={"niveles": [
        {"monto_minimo": "1000", "roles": ["FINANZAS"]}, {"monto_minimo": "2000", "roles": ["ADMIN"]}]}
    ).status_code == 200
    _, comprador = make_user("COMPRAS")
    _, finanzas = make_user("FINANZAS")
    _, otro_admin = make_user("ADMIN")
    proveedor = compras.proveedor(RUC_A)
    producto = compras.tienda.producto("APR6", stock=None)
    oc = compras.orden(proveedor, [(producto, "25", "100")], headers=comprador)  # S/ 2,500: tier 2, ADMIN
    assert compras.enviar(oc["id"], comprador)["nivel_aprobacion"] == 2
    handle = temporal_client.get_workflow_handle(f"oc-{oc['id']}")
    fin = asyncio.get_running_loop().time() + 15
    leidos = None
    while leidos is None:
        assert asyncio.get_running_loop().time() < fin, "the run never read its tiers"
        with contextlib.suppress(Exception):  # not started yet by the relay
            leidos = await handle.query("niveles_aprobacion")
        await asyncio.sleep(0.1)
    assert [(n["nivel"], n["roles"]) for n in leidos["niveles"]] == [(1, ["FINANZAS"]), (2, ["ADMIN"])]
    # FINANZAS is given tier 2 now; this OC's run still holds it to the tiers it read: 403 below the tier
    assert put("/api/compras/niveles-aprobacion/", headers=compras.admin, json={"niveles": [
        {"monto_minimo": "1000", "roles": ["FINANZAS"]}, {"monto_minimo": "2000", "roles": ["FINANZAS", "ADMIN"]}]}
    ).status_code == 200
    res = _aprobar(compras, oc["id"], finanzas)
    assert res.status_code == 403 and "nivel 2" in res.json()["message"], res.text
    res = _aprobar(compras, oc["id"], otro_admin)
    assert res.status_code == 200 and res.json()["estado"] == "APROBADA", res.text

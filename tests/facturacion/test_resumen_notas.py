"""Resumen diario de boletas (scheduled workflow), voiding (RA / RC estado 3) and credit notes."""

import asyncio
import time

from sqlalchemy import text
from sqlmodel import select
from temporalio.service import RPCError

from core.db import session_scope
from core.settings import get_settings
from models.facturacion import ComunicacionBaja, ResumenDiario
from tests.facturacion.conftest import boleta
from workflows.facturacion import SCHEDULES


async def _programado(temporal_client, schedule_id: str):  # noqa: ANN202
    """The worker registers schedules as it starts: wait for it (bounded)."""
    for _ in range(100):
        try:
            return await temporal_client.get_schedule_handle(schedule_id).describe()
        except RPCError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"schedule {schedule_id} not registered")


async def test_resumen_diario_enviado_por_el_workflow_programado(client, admin_headers, worker, sunat, emitir,
                                                                 esperar, temporal_client):
    definicion = next(s for s in SCHEDULES if s.workflow == "ResumenDiarioBoletas")
    assert (definicion.cron, definicion.timezone) == ("50 23 * * *", "America/Lima")
    programado = await _programado(temporal_client, definicion.id)
    calendario = programado.schedule.spec.calendars[0]
    assert ([r.start for r in calendario.hour], [r.start for r in calendario.minute]) == ([23], [50])
    assert programado.schedule.spec.time_zone_name == "America/Lima"

    ids = [emitir(boleta(dni))["id"] for dni in ("45678912", "40404040")]
    for cid in ids:  # signed, PDF ready, waiting for the summary
        assert esperar(cid, "PENDIENTE", archivo="pdf")["modo_emision"] == "RESUMEN"

    resultado = await temporal_client.execute_workflow(
        "ResumenDiarioBoletas", id="resumen-diario-test", task_queue=get_settings().temporal_task_queue)
    assert len(resultado) == 1 and resultado[0].endswith("ACEPTADO")
    for cid in ids:
        body = esperar(cid, "ACEPTADO")
        assert body["codigo_respuesta"] == "0"
        # The boleta's own workflow waited for the summary and ends with SUNAT's decision, searchable by Estado.
        handle = temporal_client.get_workflow_handle(f"comprobante-03-{body['serie']}-{body['numero']}")
        assert await asyncio.wait_for(handle.result(), timeout=30) == "ACEPTADO"
    for _ in range(100):  # visibility is eventually consistent
        encontrados = [w.id async for w in temporal_client.list_workflows(
            'WorkflowType = "EmitirComprobante" AND Estado = "ACEPTADO" AND Serie = "B001"')]
        if len(encontrados) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(encontrados) == 2
    with session_scope() as s:
        resumen = s.exec(select(ResumenDiario)).one()
        assert (resumen.cantidad_documentos, resumen.estado_envio) == (2, "ACEPTADO")
        assert resumen.codigo_ticket and resumen.cdr_path and resumen.identificador.startswith("RC-")

    # Voiding a boleta: an RC with estado 3
    res = client.post(f"/api/facturacion/comprobantes/{ids[0]}/anular/", json={"motivo": "Error en el monto"},
                      headers=admin_headers)
    assert res.status_code == 202 and res.json()["tipo"] == "RC"
    esperar(ids[0], "ANULADO")
    again = await temporal_client.execute_workflow(
        "ResumenDiarioBoletas", args=[None], id="resumen-diario-test-2", task_queue=get_settings().temporal_task_queue)
    assert again == []  # nothing left to inform


def test_anular_factura_por_comunicacion_de_baja(client, admin_headers, worker, sunat, emitir, esperar):
    c = esperar(emitir()["id"], "ACEPTADO")
    res = client.post(f"/api/facturacion/comprobantes/{c['id']}/anular/", json={"motivo": "Error en el RUC"},
                      headers=admin_headers)
    assert res.status_code == 202 and res.json()["identificador"].startswith("RA-")
    esperar(c["id"], "ANULADO")
    res = client.post(f"/api/facturacion/comprobantes/{c['id']}/anular/", json={"motivo": "otra vez"},
                      headers=admin_headers)
    assert res.status_code == 409


def test_nota_de_credito_sobre_factura_aceptada(client, admin_headers, worker, sunat, emitir, esperar):
    origen = esperar(emitir()["id"], "ACEPTADO")
    nota = {"tipo": "07", "comprobante_origen_id": origen["id"], "motivo_codigo": "99",
            "motivo_descripcion": "Devolución"}
    res = client.post("/api/facturacion/notas/", json=nota, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "motivo_codigo"
    res = client.post("/api/facturacion/notas/", json={**nota, "motivo_codigo": "06"}, headers=admin_headers)
    assert res.status_code == 201, res.text
    nc = res.json()
    assert (nc["tipo"], nc["serie"], nc["numero"], nc["total_venta"]) == ("07", "FC01", 1, "236.00")
    nc = esperar(nc["id"], "ACEPTADO")
    assert nc["comprobante_origen_id"] == origen["id"] and nc["motivo_codigo"] == "06"


def test_baja_rechazada_por_credenciales_deja_la_factura_vigente(client, admin_headers, worker, sunat, emitir,
                                                                 esperar):
    c = esperar(emitir()["id"], "ACEPTADO")
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET sunat_usuario_sol = 'OTRO'"))
    res = client.post(f"/api/facturacion/comprobantes/{c['id']}/anular/", json={"motivo": "Error"},
                      headers=admin_headers)
    assert res.status_code == 202
    esperar(c["id"], "ACEPTADO")  # POR_ANULAR, then back: the RA never reached SUNAT
    with session_scope() as s:
        baja = s.exec(select(ComunicacionBaja)).one()
        for _ in range(100):
            s.refresh(baja)
            if baja.estado_envio == "ERROR":
                break
            time.sleep(0.1)
        assert (baja.estado_envio, baja.codigo_respuesta) == ("ERROR", "0102")

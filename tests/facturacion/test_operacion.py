"""Operating the queue: manual reenviar, refused requests (ERROR) fixed and resent, the 15-minute sweep,
search attributes and the workflow query, and the Nubefact provider."""

from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus

from core.db import session_scope
from core.settings import get_settings
from integrations.sunat.sandbox.nubefact_local import TOKEN_DEMO
from models.configuracion import Configuracion
from tests.conftest import set_env
from workflows.entradas import Barrido


def test_reenviar_despierta_la_cola_sin_esperar_el_temporizador(client, admin_headers, worker, sunat, emitir,
                                                                esperar):
    set_env(SUNAT_REINTENTO_INICIAL_S="600", SUNAT_REINTENTO_MAXIMO_S="900")  # production-like timers
    sunat.modo("caido")
    c = esperar(emitir()["id"], "CONTINGENCIA")
    sunat.modo("normal")
    res = client.post(f"/api/facturacion/comprobantes/{c['id']}/reenviar/", headers=admin_headers)
    assert res.status_code == 202
    assert esperar(c["id"], "ACEPTADO", timeout=10)["codigo_respuesta"] == "0"
    assert client.post(f"/api/facturacion/comprobantes/{c['id']}/reenviar/", headers=admin_headers).status_code == 409


def test_credenciales_sol_erroneas_quedan_en_error_hasta_corregir_y_reenviar(client, admin_headers, worker, sunat,
                                                                             emitir, esperar):
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET sunat_usuario_sol = 'OTRO'"))
    c = esperar(emitir()["id"], "ERROR")
    assert c["codigo_respuesta"] == "0102" and c["envios_sunat"][0]["estado"] == "ERROR"
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET sunat_usuario_sol = 'MODDATOS'"))
    assert client.post(f"/api/facturacion/comprobantes/{c['id']}/reenviar/", headers=admin_headers).status_code == 202
    c = esperar(c["id"], "ACEPTADO")
    assert [e["estado"] for e in c["envios_sunat"]] == ["ERROR", "ACEPTADO"]


async def test_barrido_reinicia_workflows_perdidos_y_atributos_de_busqueda(client, admin_headers, worker, sunat,
                                                                          emitir, esperar, temporal_client):
    sunat.modo("caido")
    c = esperar(emitir()["id"], "CONTINGENCIA")
    workflow_id = "comprobante-01-F001-1"
    handle = temporal_client.get_workflow_handle(workflow_id)
    assert await handle.query("estado") == "CONTINGENCIA"
    await handle.terminate("simulated loss")
    sunat.modo("normal")

    reiniciados = await temporal_client.execute_workflow(
        "ReintentarComprobantesPendientes", Barrido(antiguedad_min=0), id="barrido-test",
        task_queue=get_settings().temporal_task_queue)
    assert reiniciados == 1
    esperar(c["id"], "ACEPTADO")
    desc = await temporal_client.get_workflow_handle(workflow_id).describe()
    assert desc.status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)
    encontrados = [w.id async for w in temporal_client.list_workflows(
        'Documento = "F001-1" AND Ruc = "20100047218"')]
    assert workflow_id in encontrados


def test_proveedor_nubefact(client, admin_headers, worker, sunat, emitir, esperar):
    with session_scope() as s:
        config = s.get(Configuracion, 1)
        config.proveedor_sunat, config.nubefact_url = "NUBEFACT", sunat.nubefact_url
        config.nubefact_token = TOKEN_DEMO
    c = esperar(emitir()["id"], "ACEPTADO")
    assert c["envios_sunat"][0]["estado"] == "ACEPTADO"

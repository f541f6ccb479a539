"""Module 8 scheduled reports: the programación's Temporal schedule is created, paused, resumed, updated and
deleted with the row (described on the real dev server), a worker restart reconciles a lost change, and a run
(handle.trigger()) e-mails the report as an attachment to the SMTP sandbox, each send's result recorded."""

import asyncio
import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment

from core.db import session_scope
from core.schedules import ScheduleDef, build
from services.stock import hoy_lima
from tests.conftest import BackgroundWorker, set_env
from tests.ventas_fixtures import contar, venta
from workflows.entradas import EjecucionProgramada

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero

BASE = {"nombre": "Ventas de ayer", "tipo_reporte": "ventas_diarias", "frecuencia": "DIARIA",
        "hora_envio": "07:30", "emails_destino": ["gerencia@example.pe", "Ventas@Example.pe"]}


def crear(client, headers, **cambios) -> dict:
    res = client.post("/api/reportes/programaciones/", headers=headers, json=BASE | cambios)
    assert res.status_code == 201, res.text
    return res.json()


@pytest.mark.parametrize(("cambios", "campo"), [
    ({"emails_destino": ["gerencia@example.pe", "no-es-correo"]}, "emails_destino.1"),
    ({"emails_destino": []}, "emails_destino"),
    ({"frecuencia": "SEMANAL"}, "dia_semana"),
    ({"frecuencia": "MENSUAL", "dia_mes": 31}, "dia_mes"),
    ({"dia_semana": 1}, "dia_semana"),
    ({"frecuencia": "CADA_HORA"}, "frecuencia"),
    ({"hora_envio": "25:00"}, "hora_envio"),
    ({"hora_envio": "07:30:00+02:00"}, "hora_envio"),
    ({"tipo_reporte": "libro_mayor"}, "filtros.cuenta"),
    ({"filtros": {"periodo": "202601"}}, "filtros.periodo"),
    ({"filtros": {"desde": "2026-01-01"}}, "filtros.hasta"),
])
def test_a_bad_programacion_is_a_400_naming_the_field_and_writes_nothing(client, admin_headers, cambios, campo):
    res = client.post("/api/reportes/programaciones/", headers=admin_headers, json=BASE | cambios)
    assert res.status_code == 400, res.text
    assert [e["field"] for e in res.json()["errors"]] == [campo]
    assert contar("programaciones_reporte") == 0 and contar("outbox") == 0


def test_programaciones_need_the_reports_permission_and_are_their_owners(client, admin_headers, make_user):
    _, almacen = make_user("SUPERVISOR_ALMACEN")
    res = client.post("/api/reportes/programaciones/", headers=almacen, json=BASE | {
        "tipo_reporte": "libro_diario"})
    assert res.status_code == 403 and res.json()["errors"][0]["field"] == "tipo_reporte"
    propia = crear(client, almacen, tipo_reporte="stock", filtros={"solo_alertas": True}, formato="pdf")
    assert propia["emails_destino"] == ["gerencia@example.pe", "ventas@example.pe"]
    assert propia["schedule_id"] == f"reporte-programado-{propia['id']}" and propia["hora_envio"] == "07:30:00"
    _, otro = make_user("SUPERVISOR_ALMACEN")
    assert client.get(f"/api/reportes/programaciones/{propia['id']}/", headers=otro).status_code == 404
    assert client.delete(f"/api/reportes/programaciones/{propia['id']}/", headers=otro).status_code == 404
    assert client.get("/api/reportes/programaciones/", headers=otro).json()["total"] == 0
    assert client.get("/api/reportes/programaciones/", headers=admin_headers).json()["total"] == 1
    # each change asked for its own synchronisation, in its transaction
    assert contar("outbox", "workflow = 'SincronizarProgramacion'") == 1


async def _schedule(temporal_client, schedule_id: str, cumple, limite: float = 20):
    """Describe the schedule until `cumple(desc or None)` (None: it does not exist)."""
    deadline = time.monotonic() + limite
    while True:
        try:
            desc = await temporal_client.get_schedule_handle(schedule_id).describe()
        except RPCError as exc:
            assert exc.status == RPCStatusCode.NOT_FOUND
            desc = None
        if cumple(desc):
            return desc
        assert time.monotonic() < deadline, f"{schedule_id}: {desc}"
        await asyncio.sleep(0.1)


async def test_the_schedule_is_created_paused_resumed_updated_and_deleted_with_the_row(
        client, admin_headers, worker, temporal_client):
    prog = crear(client, admin_headers, frecuencia="SEMANAL", dia_semana=1)
    sid = prog["schedule_id"]
    desc = await _schedule(temporal_client, sid, lambda d: d is not None)
    assert desc.schedule.spec.cron_expressions == ["30 7 * * 1"] or desc.schedule.spec.calendars
    assert desc.schedule.spec.time_zone_name == "America/Lima" and not desc.schedule.state.paused
    assert desc.schedule.action.workflow == "ReporteProgramado"
    siguiente = desc.info.next_action_times[0].astimezone(ZoneInfo("America/Lima"))
    assert (siguiente.weekday(), siguiente.hour, siguiente.minute) == (0, 7, 30)  # Monday 07:30 Lima

    url = f"/api/reportes/programaciones/{prog['id']}/"
    pausa = client.put(url, headers=admin_headers, json=BASE | {"frecuencia": "SEMANAL", "dia_semana": 1,
                                                                 "activo": False})
    assert pausa.status_code == 200 and pausa.json()["version"] == 2
    await _schedule(temporal_client, sid, lambda d: d is not None and d.schedule.state.paused)

    mensual = client.put(url, headers=admin_headers, json=BASE | {"frecuencia": "MENSUAL", "dia_mes": 5,
                                                                   "hora_envio": "18:45"})
    assert mensual.status_code == 200, mensual.text
    desc = await _schedule(temporal_client, sid, lambda d: d is not None and not d.schedule.state.paused)
    siguiente = desc.info.next_action_times[0].astimezone(ZoneInfo("America/Lima"))
    assert (siguiente.day, siguiente.hour, siguiente.minute) == (5, 18, 45)

    assert client.delete(url, headers=admin_headers).status_code == 204
    await _schedule(temporal_client, sid, lambda d: d is None)
    assert client.get(url, headers=admin_headers).status_code == 404
    # each change had its own synchronisation run; every one completed (one applied after the deletion finds
    # the schedule already gone: AUSENTE)
    for version in (1, 2, 3, 4):
        handle = temporal_client.get_workflow_handle(f"sincronizar-{sid}-v{version}")
        assert await asyncio.wait_for(handle.result(), 20) in {"PAUSADA", "ACTIVA", "ELIMINADA", "AUSENTE"}


async def test_a_worker_restart_reconciles_schedules_with_the_rows(client, admin_headers, db, temporal_address,
                                                                   temporal_client):
    with session_scope() as s:  # rows whose synchronisation never ran (e.g. a schedule deleted by hand)
        s.execute(text("INSERT INTO programaciones_reporte (usuario_id, nombre, tipo_reporte, filtros_json, formato, "
                       "frecuencia, hora_envio, emails_destino, activo, version) SELECT id, 'Stock', 'stock', '{}', "
                       "'xlsx', 'DIARIA', '06:00', ARRAY['a@example.pe'], v.activo, 1 FROM usuarios u, "
                       "(VALUES (true), (false)) AS v(activo) WHERE u.email = 'admin@test.pe' ORDER BY v.activo DESC"))
        ids = list(s.execute(text("SELECT id FROM programaciones_reporte ORDER BY id")).scalars())
    huerfana = await temporal_client.create_schedule(  # a schedule whose row is gone
        "reporte-programado-999999", build(ScheduleDef("x", "ReporteProgramado", "0 6 * * *", "huérfana"), "erp"))
    w = BackgroundWorker(temporal_address).start()
    try:
        activa = await _schedule(temporal_client, f"reporte-programado-{ids[0]}", lambda d: d is not None)
        pausada = await _schedule(temporal_client, f"reporte-programado-{ids[1]}", lambda d: d is not None)
        assert not activa.schedule.state.paused and pausada.schedule.state.paused
        await _schedule(temporal_client, huerfana.id, lambda d: d is None)
    finally:
        w.stop()


@pytest.fixture
def ayer(tienda, cajero):
    """Two sales yesterday (Lima) and one today: a DIARIA report sent today covers yesterday's two."""
    producto = tienda.producto("PRG-1", precio="10.00")
    for _ in range(3):
        assert tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "10.00")).status_code == 201
    with session_scope() as s:
        s.execute(text("UPDATE ventas SET fecha = fecha - interval '1 day' WHERE id IN "
                       "(SELECT id FROM ventas ORDER BY id LIMIT 2)"))
    return tienda


async def test_the_scheduled_report_arrives_by_email_with_the_attachment(ayer, worker, smtp_server, temporal_client):
    prog = crear(ayer.client, ayer.admin)
    handle = temporal_client.get_schedule_handle(prog["schedule_id"])
    await _schedule(temporal_client, prog["schedule_id"], lambda d: d is not None)
    await handle.trigger()
    deadline = time.monotonic() + 30
    while not smtp_server.messages():
        assert time.monotonic() < deadline, "no e-mail reached the SMTP sandbox"
        await asyncio.sleep(0.1)
    [mensaje] = smtp_server.messages()
    fecha = hoy_lima() - timedelta(days=1)
    assert mensaje["X-Envelope-To"] == "gerencia@example.pe, ventas@example.pe"  # both received it
    assert mensaje["Subject"] == f"Ventas de ayer: Ventas diarias ({fecha} a {fecha})"
    [adjunto] = list(mensaje.iter_attachments())
    assert adjunto.get_filename() == f"ventas_diarias-{hoy_lima():%Y%m%d}.xlsx"
    hoja = load_workbook(io.BytesIO(adjunto.get_content())).active
    assert [(f[0].value, f[1].value, f[4].value) for f in hoja.iter_rows(min_row=6)] == [
        (datetime.combine(fecha, datetime.min.time()), 2, 20)]

    envios = ayer.client.get(f"/api/reportes/programaciones/{prog['id']}/envios/", headers=ayer.admin).json()
    [envio] = envios["items"]
    assert envio["ok"] and envio["error"] is None and envio["filas"] == 1
    assert envio["message_id"] == mensaje["Message-ID"] and envio["ejecucion"].startswith("cron-reporte-programado-")


def test_a_failed_send_is_recorded_and_retried_and_a_sent_run_is_not_sent_again(ayer, smtp_server):
    from activities.reportes import enviar_reporte_programado

    prog = crear(ayer.client, ayer.admin, formato="pdf")
    ejecucion = EjecucionProgramada(prog["id"], "cron-reporte-programado-prueba")
    set_env(SMTP_PORT="1")  # nothing listens there: connection refused, as a mail server that is down
    try:
        with pytest.raises(ConnectionRefusedError):
            ActivityEnvironment().run(enviar_reporte_programado, ejecucion)
    finally:
        set_env(SMTP_PORT=str(smtp_server.port))
    assert ActivityEnvironment().run(enviar_reporte_programado, ejecucion) == "ENVIADO"
    assert ActivityEnvironment().run(enviar_reporte_programado, ejecucion) == "OMITIDO"  # a retry after success
    assert len(smtp_server.messages()) == 1
    envios = ayer.client.get(f"/api/reportes/programaciones/{prog['id']}/envios/", headers=ayer.admin).json()["items"]
    assert [(e["ok"], (e["error"] or "")[:22]) for e in reversed(envios)] == [
        (False, "ConnectionRefusedError"), (True, "")]
    [adjunto] = list(smtp_server.messages()[0].iter_attachments())
    assert adjunto.get_content_type() == "application/pdf" and adjunto.get_content().startswith(b"%PDF")

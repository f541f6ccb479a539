"""Module 4 GRE remitente, what a dispatcher meets the first week, on the real worker against the sandbox:
a send whose answer was lost (SUNAT registered it, the retry meets 1033) never ends RECHAZADA and is settled
with the CDR from SOL; a rejected guía corrected and re-sent under a new number without leaving the route; an
accepted guía whose order leaves the route voided in SOL (BAJA_PENDIENTE → ANULADA, its number never reused);
the printed QR is the link of SUNAT's CDR."""

import asyncio
import io
import time

import httpx
import pypdfium2
from pyzbar.pyzbar import decode
from sqlalchemy import text

from core.db import session_scope
from integrations.sunat import gre_client
from integrations.sunat.cdr import leer_cdr
from tests.distribucion.test_gre import (
    RUC,
    _credenciales,
    _en_ruta_en_el_workflow,
    _gre,
    _hasta_final,
    _planificado,
    firmada,
    guia,
)

pytest_plugins = ["tests.distribucion.fixtures"]


def _notificaciones(tipo: str) -> list[str]:
    with session_scope() as s:
        return list(s.execute(text("SELECT mensaje FROM notificaciones WHERE tipo = :t ORDER BY id"),
                              {"t": tipo}).scalars())


def _reenviar(despacho, guia_id: int, correccion: dict):  # noqa: ANN001, ANN202
    """POST …/reenviar/; a 409 "still being issued" (the workflow has not yet taken the final answer the
    database already shows) is what a dispatcher retries a moment later."""
    limite = time.monotonic() + 10
    while True:
        res = despacho.client.post(f"/api/guias-remision/{guia_id}/reenviar/", headers=despacho.admin,
                                   json=correccion)
        if res.status_code != 409 or "aún se está emitiendo" not in res.text or time.monotonic() > limite:
            return res
        time.sleep(0.1)


def _cdr_en_sol(gre_sunat, numero: int) -> bytes:
    """What the dispatcher downloads in SOL: the CDR SUNAT holds for the guía."""
    almacen = gre_sunat.servidor.sandbox.almacen
    (ruc,) = {r["ruc"] for r in almacen.listar() if r["tipo"] == "09" and r["numero"] == numero}
    return almacen.buscar(ruc, "09", "T001", numero).cdr


def test_sandbox_can_lose_the_answer_of_a_registered_send_and_gives_the_qr_link(gre_sunat):
    gre_sunat.reset()
    c = _credenciales()
    gre_sunat.modo("perder_respuesta", cantidad=1)
    try:
        gre_client.enviar(c, f"{RUC}-09-T001-1", firmada(guia()))
        raise AssertionError("the answer should have been lost")
    except gre_client.SunatNoDisponible as exc:
        assert "504" in str(exc)
    registrado = gre_sunat.servidor.sandbox.almacen.buscar(RUC, "09", "T001", 1)
    assert registrado.estado == "ACEPTADO"  # SUNAT took it all the same
    _, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-1", firmada(guia())))  # the retry: normal again
    assert (estado.codigo, estado.error_codigo, estado.cdr) == ("99", "1033", None)
    enlace = leer_cdr(registrado.cdr).enlace
    assert "/v1/contribuyente/gre/comprobantes/descargaqr?hashqr=" in enlace
    pagina = httpx.get(enlace, timeout=5)
    assert pagina.status_code == 200 and f"{RUC}-09-T001-1" in pagina.text


async def test_a_lost_send_answer_never_rejects_the_guia_and_its_sol_cdr_makes_it_accepted(
        despacho, make_user, gre_sunat, worker, temporal_client):
    gre_sunat.modo("perder_respuesta", cantidad=1)  # SUNAT registers the GRE; the 504 makes the activity resend
    pedido = _planificado(despacho, make_user, "GRE-401")
    guia_ = await asyncio.to_thread(_gre, despacho, pedido["id"], "POR_VERIFICAR", "RECHAZADA", "ACEPTADA")
    assert guia_["estado"] == "POR_VERIFICAR" and guia_["codigo_respuesta"] == "1033" and guia_["numero"] == 1
    (aviso,) = _notificaciones("GRE_POR_VERIFICAR")
    assert "SOL" in aviso and f"/api/guias-remision/{guia_['id']}/cdr/" in aviso
    res = despacho.estado(pedido["id"], "EN_RUTA")
    assert res.status_code == 409 and "descargue su CDR en SOL" in res.json()["message"]

    url = f"/api/guias-remision/{guia_['id']}/cdr/"
    res = despacho.client.post(url, headers=despacho.admin,
                               files={"archivo": ("x.zip", b"no es un zip", "application/zip")})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "archivo"
    cdr = _cdr_en_sol(gre_sunat, 1)
    res = despacho.client.post(url, headers=despacho.admin, files={"archivo": ("R.zip", cdr, "application/zip")})
    assert res.status_code == 200, res.text
    assert res.json()["estado"] == "ACEPTADA" and res.json()["cdr_path"] and res.json()["codigo_respuesta"] == "0"
    assert despacho.client.post(url, headers=despacho.admin,
                                files={"archivo": ("R.zip", cdr, "application/zip")}).status_code == 409
    assert despacho.estado(pedido["id"], "EN_RUTA").status_code == 200
    assert [(r["numero"], r["estado"]) for r in gre_sunat.servidor.sandbox.almacen.listar() if r["tipo"] == "09"] == \
        [(1, "ACEPTADO")]  # registered once
    await _en_ruta_en_el_workflow(temporal_client, pedido["id"])


async def test_a_rejected_guia_is_corrected_and_resent_under_a_new_number_on_its_route(
        despacho, make_user, gre_sunat, worker, temporal_client):
    pedido = _planificado(despacho, make_user, "GRE-501", peso="0")  # gross weight 0: SUNAT rejects (2523)
    rechazada = await asyncio.to_thread(_gre, despacho, pedido["id"], "RECHAZADA")
    assert rechazada["codigo_respuesta"] == "2523"
    res = despacho.estado(pedido["id"], "EN_RUTA")
    assert res.status_code == 409 and f"/api/guias-remision/{rechazada['id']}/reenviar/" in res.json()["message"]

    url = f"/api/guias-remision/{rechazada['id']}/reenviar/"
    res = despacho.client.post(url, headers=despacho.admin, json={"peso_total": "-1"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "peso_total"
    res = await asyncio.to_thread(_reenviar, despacho, rechazada["id"], {"peso_total": "12.5", "placa": "GRE-502"})
    assert res.status_code == 202, res.text
    second = despacho.client.post(url, headers=despacho.admin, json={})  # already re-sent / in flight
    assert second.status_code == 409
    nueva = await asyncio.to_thread(_gre, despacho, pedido["id"], "ACEPTADA")
    assert nueva["id"] != rechazada["id"] and nueva["numero"] == 2  # the rejected number is burnt
    assert nueva["peso_bruto"] == "12.500" and nueva["placa"] == "GRE-502"
    with session_scope() as s:
        assert s.execute(text("SELECT estado FROM guias_remision WHERE id = :g"),
                         {"g": rechazada["id"]}).scalar() == "RECHAZADA"  # kept, under its number
        assert s.execute(text("SELECT estado FROM pedidos WHERE id = :p"), {"p": pedido["id"]}).scalar() == \
            "PLANIFICADO"  # never left its route
    res = despacho.client.post(f"/api/guias-remision/{nueva['id']}/reenviar/", headers=despacho.admin, json={})
    assert res.status_code == 409 and "ACEPTADA" in res.json()["message"]  # an accepted guía is not re-sent
    assert despacho.estado(pedido["id"], "EN_RUTA").status_code == 200
    assert sorted((r["numero"], r["estado"]) for r in gre_sunat.servidor.sandbox.almacen.listar()
                  if r["tipo"] == "09") == [(1, "RECHAZADO"), (2, "ACEPTADO")]
    await _en_ruta_en_el_workflow(temporal_client, pedido["id"])

    sin_ubigeo = _planificado(despacho, make_user, "GRE-503", ubigeo="")  # ERROR: nothing numbered
    error = await asyncio.to_thread(_gre, despacho, sin_ubigeo["id"], "ERROR")
    res = await asyncio.to_thread(_reenviar, despacho, error["id"], {"ubigeo": "150122"})
    assert res.status_code == 202, res.text
    corregida = await asyncio.to_thread(_gre, despacho, sin_ubigeo["id"], "ACEPTADA")
    assert corregida["id"] == error["id"] and corregida["numero"] == 3 and corregida["ubigeo_llegada"] == "150122"


async def test_an_accepted_guia_whose_order_leaves_the_route_is_voided_in_sol_and_never_reused(
        despacho, make_user, gre_sunat, worker):
    pedido = _planificado(despacho, make_user, "GRE-601")
    aceptada = await asyncio.to_thread(_gre, despacho, pedido["id"], "ACEPTADA")
    pdf = despacho.client.get(f"/api/guias-remision/{aceptada['id']}/pdf/", headers=despacho.admin)
    (qr,) = decode(pypdfium2.PdfDocument(io.BytesIO(pdf.content))[0].render(scale=4).to_pil())
    assert qr.data.decode() == leer_cdr(_cdr_en_sol(gre_sunat, 1)).enlace  # the QR is SUNAT's CDR link

    confirmar = f"/api/guias-remision/{aceptada['id']}/baja/confirmar/"
    assert despacho.client.post(confirmar, headers=despacho.admin).status_code == 409  # not to be voided
    assert despacho.estado(pedido["id"], "PENDIENTE").status_code == 200  # off the route before leaving
    res = despacho.client.get(f"/api/pedidos/{pedido['id']}/gre/", headers=despacho.admin)
    assert res.json()["estado"] == "BAJA_PENDIENTE" and "PENDIENTE" in res.json()["motivo_baja"]
    (aviso,) = _notificaciones("GRE_BAJA_PENDIENTE")
    assert "Dar de baja" in aviso and "T001-1" in aviso and confirmar in aviso
    res = despacho.client.post(confirmar, headers=despacho.admin)
    assert res.status_code == 200 and res.json()["estado"] == "ANULADA" and res.json()["baja_confirmada_at"]
    assert despacho.client.post(confirmar, headers=despacho.admin).status_code == 409

    ruta = despacho.ruta(despacho.transportista("GRE-602"))  # planned again: a new guía, a new number
    assert despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                                json={"pedidos": [pedido["id"]]}).status_code == 200
    nueva = await asyncio.to_thread(_gre, despacho, pedido["id"], "ACEPTADA")
    assert nueva["id"] != aceptada["id"] and nueva["numero"] == 2

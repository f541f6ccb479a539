"""Module 4 tracking: GPS fixes validated and stored, pushed over a real WebSocket (through PostgreSQL NOTIFY)
to the order's subscribers within a second with the recomputed ETA, the public tracking endpoint without JWT
(nothing personal, rate limited), and the public page in a real headless Chromium."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect

from api.distribucion import limite_seguimiento
from tests.distribucion.fixtures import CHROMIUM_ARGS, chofer, en_ruta

pytest_plugins = ["tests.distribucion.fixtures"]


def _fix(segundos_atras: float = 0, lat: float = -12.06, lon: float = -77.04, **extra: object) -> dict:
    momento = datetime.now(UTC) - timedelta(seconds=segundos_atras)
    return {"latitud": lat, "longitud": lon, "timestamp": momento.isoformat(), "velocidad_kmh": 20, **extra}


@pytest.fixture
def en_camino(despacho, make_user):  # noqa: ANN201
    p = despacho.producto("SEG", stock="10")
    pedido = despacho.pedido(p, "1")
    transportista, headers = chofer(despacho, make_user, "SEG-101")
    en_ruta(despacho, transportista, pedido["id"])
    limite_seguimiento._vistos.clear()
    return pedido, transportista, headers


def test_gps_fix_is_validated_and_the_last_one_is_the_location(despacho, en_camino, make_user):
    _, transportista, headers = en_camino
    post = despacho.client.post
    assert post("/api/tracking/actualizar/", headers=headers, json=_fix(60)).status_code == 201
    res = post("/api/tracking/actualizar/", headers=headers, json=_fix(90))  # older than the last one
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "timestamp"
    res = post("/api/tracking/actualizar/", headers=headers, json=_fix(-600))  # in the future
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "timestamp"
    assert post("/api/tracking/actualizar/", headers=headers, json=_fix(lat=40.4, lon=-3.7)).status_code == 400
    assert post("/api/tracking/actualizar/", headers=headers, json=_fix(lat=91)).status_code == 400
    _, otro = chofer(despacho, make_user, "SEG-202")
    assert post("/api/tracking/actualizar/", headers=otro,
                json=_fix(transportista_id=transportista)).status_code == 403
    assert post("/api/tracking/actualizar/", headers=headers, json=_fix(0, lat=-12.07)).status_code == 201
    res = despacho.client.get(f"/api/transportistas/{transportista}/ubicacion/", headers=despacho.admin)
    assert res.status_code == 200 and res.json()["latitud"] == -12.07


def test_public_tracking_answers_without_jwt_with_state_and_coordinate_only(despacho, en_camino):
    pedido, _, headers = en_camino
    despacho.client.post("/api/tracking/actualizar/", headers=headers, json=_fix(5))
    res = despacho.client.get(f"/api/pedidos/seguimiento/{pedido['codigo_seguimiento']}/")
    assert res.status_code == 200, res.text
    cuerpo = res.json()
    assert cuerpo["estado"] == "EN_RUTA" and cuerpo["posicion_transportista"]["latitud"] == -12.06
    assert cuerpo["eta"] is not None
    texto = res.text
    for privado in ("María", "987654321", "maria@", "Larco", "SEG-101", "Conductor", '"id"', "ruta"):
        assert privado not in texto, privado
    assert set(cuerpo) == {"codigo", "estado", "fecha_entrega", "distrito", "eta", "posicion_transportista",
                           "eventos"}
    assert despacho.client.get("/api/pedidos/seguimiento/no-existe-codigo-x/").status_code == 404
    codes = [despacho.client.get(f"/api/pedidos/seguimiento/{pedido['codigo_seguimiento']}/").status_code
             for _ in range(70)]
    assert 429 in codes and codes.index(429) == 58  # 60 a minute (two spent above)
    limite_seguimiento._vistos.clear()


def test_gps_update_is_pushed_over_a_real_websocket(despacho, en_camino, servidor):
    pedido, _, headers = en_camino
    ws_url = servidor.replace("http://", "ws://") + f"/ws/seguimiento/{pedido['codigo_seguimiento']}"
    with connect(ws_url, open_timeout=10) as ws, httpx.Client(base_url=servidor) as http:
        inicial = json.loads(ws.recv(timeout=10))
        assert inicial["estado"] == "EN_RUTA"
        enviado = time.monotonic()
        assert http.post("/api/tracking/actualizar/", headers=headers, json=_fix(1, lat=-12.08)).status_code == 201
        mensaje = json.loads(ws.recv(timeout=5))
        latencia = time.monotonic() - enviado
        assert mensaje["latitud"] == -12.08 and mensaje["eta"] is not None
        assert latencia < 1.0, latencia


def test_public_tracking_page_updates_live_in_a_real_browser(despacho, en_camino, servidor):
    pedido, _, headers = en_camino
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{servidor}/seguimiento/{pedido['codigo_seguimiento']}")
            expect(page.locator("#estado")).to_have_text("EN RUTA")
            expect(page.locator("#eventos li")).to_have_count(3)  # PENDIENTE, PLANIFICADO, EN_RUTA
            page.wait_for_timeout(300)  # the WebSocket connects after the first read
            with httpx.Client(base_url=servidor) as http:
                assert http.post("/api/tracking/actualizar/", headers=headers,
                                 json=_fix(1, lat=-12.09, lon=-77.03)).status_code == 201
            expect(page.locator("#posicion")).to_contain_text("-12.09000, -77.03000")
            expect(page.locator("#vivo")).to_contain_text("en vivo")
        finally:
            browser.close()


def test_old_fixes_are_pruned_daily(despacho, en_camino):
    from sqlalchemy import text

    from core.db import session_scope
    from services.distribucion import seguimiento
    from tests.ventas_fixtures import contar

    _, transportista, headers = en_camino
    assert despacho.client.post("/api/tracking/actualizar/", headers=headers, json=_fix(1)).status_code == 201
    with session_scope() as s:
        s.execute(text("INSERT INTO tracking_transportista (transportista_id, latitud, longitud, momento) "
                       "VALUES (:t, -12.0, -77.0, now() - interval '31 days')"), {"t": transportista})
        assert seguimiento.podar(s) == 1
    assert contar("tracking_transportista") == 1


def test_the_live_feed_shows_the_carrier_only_while_on_the_way_to_this_order(despacho, make_user, servidor):
    """Before its order is EN_RUTA (the carrier still on other deliveries) and once it is delivered, the
    customer's WebSocket gets none of the carrier's fixes: they would show someone else's stops."""
    p = despacho.producto("WSP", stock="10")
    primero, mio = despacho.pedido(p, "1"), despacho.pedido(p, "1")
    transportista, headers = chofer(despacho, make_user, "WSP-101")
    ruta = despacho.ruta(transportista)
    assert despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                                json={"pedidos": [primero["id"], mio["id"]]}).status_code == 200
    assert despacho.estado(primero["id"], "EN_RUTA").status_code == 200  # mine is still PLANIFICADO
    limite_seguimiento._vistos.clear()
    ws_url = servidor.replace("http://", "ws://") + f"/ws/seguimiento/{mio['codigo_seguimiento']}"
    with connect(ws_url, open_timeout=10) as ws, httpx.Client(base_url=servidor) as http:
        assert json.loads(ws.recv(timeout=10))["posicion_transportista"] is None
        assert http.post("/api/tracking/actualizar/", headers=headers, json=_fix(20, lat=-12.08)).status_code == 201
        assert despacho.estado(mio["id"], "EN_RUTA").status_code == 200
        assert http.post("/api/tracking/actualizar/", headers=headers, json=_fix(10, lat=-12.09)).status_code == 201
        assert json.loads(ws.recv(timeout=5))["latitud"] == -12.09  # the fix before EN_RUTA was not sent
        res = http.post(f"/api/entregas/{mio['id']}/confirmar/", headers=headers,
                        data={"firma_trazos": "[[[0, 0], [5, 5]]]"})
        assert res.status_code == 200, res.text
        assert http.post("/api/tracking/actualizar/", headers=headers, json=_fix(1, lat=-12.10)).status_code == 201
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.6)


def test_the_public_websocket_shares_the_tracking_rate_limit(despacho, en_camino):
    from collections import deque

    from starlette.websockets import WebSocketDisconnect

    pedido, _, _ = en_camino
    limite_seguimiento._vistos["testclient"] = deque([time.monotonic()] * 60)  # this minute's 60 reads spent
    try:
        url = f"/ws/seguimiento/{pedido['codigo_seguimiento']}"
        with pytest.raises(WebSocketDisconnect) as cierre, despacho.client.websocket_connect(url) as ws:
            ws.receive_json()
        assert cierre.value.code == 4429
    finally:
        limite_seguimiento._vistos.clear()

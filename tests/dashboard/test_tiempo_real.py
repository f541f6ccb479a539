"""Module 8 live updates: a real WebSocket client against a real uvicorn server receives a registered sale
(and the stock alert it raises) within a second through PostgreSQL NOTIFY; the token comes as a subprotocol
or in the first message, 4401/4403 for bad or insufficient ones; a rolled-back sale publishes nothing; a
manager's connection gets only their branch's sales; and the dashboard page updates in a real Chromium."""

import json
import time

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from core.db import session_scope
from services.auth import authenticate
from services.ventas import VentaIn, registrar
from tests.dashboard.fixtures import Tablero
from tests.distribucion.test_seguimiento import CHROMIUM_ARGS
from tests.ventas_fixtures import venta

pytest_plugins = ["tests.dashboard.fixtures"]


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _ws_url(servidor: str) -> str:
    return servidor.replace("http://", "ws://") + "/ws/dashboard/"


def _conectar(servidor: str, headers: dict[str, str]) -> ClientConnection:
    ws = connect(_ws_url(servidor), subprotocols=["erp.bearer", _token(headers)], open_timeout=10)
    assert ws.subprotocol == "erp.bearer"  # the token is never echoed back
    hola = json.loads(ws.recv(timeout=10))
    assert hola["tipo"] == "conectado", hola
    return ws


def _cierre(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as exc:
        ws.recv(timeout=10)
    return exc.value.rcvd.code


def test_a_sale_and_its_stock_alert_reach_the_dashboard_within_a_second(tablero: Tablero, servidor):
    with _conectar(servidor, tablero.admin) as ws, httpx.Client(base_url=servidor) as http:
        enviado = time.monotonic()
        vendida = tablero.vender("DA", "2", "23.60", client=http)  # leaves DA at 8, under its minimum of 9
        mensajes = [json.loads(ws.recv(timeout=5)), json.loads(ws.recv(timeout=5))]
        latencia = time.monotonic() - enviado
    por_tipo = {m["tipo"]: m for m in mensajes}
    assert por_tipo["venta"]["venta_id"] == vendida["id"] and por_tipo["venta"]["total"] == "23.60"
    assert por_tipo["venta"]["sucursal_id"] == tablero.sucursal_id
    assert por_tipo["alerta_stock"] == {"tipo": "alerta_stock", "producto_id": tablero.productos["DA"],
                                        "almacen_id": tablero.almacen_id, "stock_actual": "8.000",
                                        "stock_minimo": "9.000"}
    assert latencia < 1.0, latencia


def test_token_in_the_first_message_and_the_4401_4403_closes(tablero: Tablero, servidor, make_user):
    with connect(_ws_url(servidor), open_timeout=10) as ws:
        ws.send(json.dumps({"token": _token(tablero.admin)}))
        assert json.loads(ws.recv(timeout=10))["grupos"] == ["ventas", "inventario", "financiero", "logistica"]
    with connect(_ws_url(servidor), subprotocols=["erp.bearer", "no-es-un-jwt"], open_timeout=10) as ws:
        assert _cierre(ws) == 4401
    with connect(_ws_url(servidor), open_timeout=10) as ws:
        ws.send(json.dumps({"token": "x.y.z"}))
        assert _cierre(ws) == 4401
    with connect(_ws_url(servidor), subprotocols=["erp.bearer", _token(tablero.cajero)], open_timeout=10) as ws:
        assert _cierre(ws) == 4403  # a cashier has no dashboard:ver


def test_a_rolled_back_sale_publishes_nothing(tablero: Tablero, servidor):
    datos = VentaIn.model_validate(venta(tablero.productos["DB"], "1", "23.60"))
    with _conectar(servidor, tablero.admin) as ws:
        with session_scope() as s:
            user = authenticate(s, _token(tablero.cajero))
        with session_scope() as s:
            registrar(s, user, datos, commit=False)  # the whole sale, its NOTIFY included …
            s.rollback()  # … then undone
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)
        vendida = tablero.vender("DB", "1", "23.60")
        assert json.loads(ws.recv(timeout=5))["venta_id"] == vendida["id"]  # the next message is the real one


def test_a_manager_connection_gets_only_their_branch_sales(tablero: Tablero, servidor, make_user):
    _, gerente = make_user("GERENTE_VENTAS", sucursal_id=tablero.sucursal_id)
    with _conectar(servidor, gerente) as ws:
        tablero.vender("DB", "1", "23.60", headers=tablero.cajero_norte)
        propia = tablero.vender("DB", "1", "23.60")
        assert json.loads(ws.recv(timeout=5))["venta_id"] == propia["id"]
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)


def test_dashboard_page_shows_a_new_sale_in_a_real_browser(tablero: Tablero, servidor):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{servidor}/dashboard")
            page.fill("#email", "admin@test.pe")
            page.fill("#password", "admin-password-123")
            page.click("button[type=submit]")
            expect(page.locator("#ventas-hoy")).to_have_text("S/ 0.00")
            expect(page.locator("#vivo")).to_contain_text("en vivo")
            with httpx.Client(base_url=servidor) as http:
                tablero.vender("DB", "2", "47.20", client=http)
            expect(page.locator("#ventas-hoy")).to_have_text("S/ 47.20")
            expect(page.locator("#eventos li").first).to_contain_text("S/ 47.20")
        finally:
            browser.close()

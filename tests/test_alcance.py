"""Reads are scoped like writes (issue 18 §5): a cashier reads only their own sales, a warehouse user only
their warehouses' lots and stock; forwarded headers are believed only from configured proxies; the
authenticated 2FA code checks are throttled; the local Google stand-in runs in development only."""

import subprocess
import sys

import httpx
import pyotp
import pytest

from integrations.google.sandbox import GoogleSandbox
from tests.conftest import api_process, set_env
from tests.ventas_fixtures import venta

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def test_a_cashier_reads_only_their_own_sales_a_manager_those_of_their_branches(tienda, cajero, make_user):
    producto = tienda.producto("ALC-1", stock="10")
    _, otro = make_user("CAJERO")
    tienda.abrir_caja(otro)
    mia = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "11.80")).json()
    ajena = tienda.client.post("/api/ventas/", headers=otro, json=venta(producto, "1", "11.80")).json()

    assert [v["id"] for v in tienda.client.get("/api/ventas/", headers=cajero).json()] == [mia["id"]]
    # asking for the other cashier's sales by filter gives nothing, by id a 403
    assert tienda.client.get(f"/api/ventas/?usuario_id={ajena['usuario_id']}", headers=cajero).json() == []
    assert tienda.client.get(f"/api/ventas/{ajena['id']}/", headers=cajero).status_code == 403
    assert tienda.client.get(f"/api/ventas/{mia['id']}/", headers=cajero).status_code == 200

    for rol in ("GERENTE_VENTAS", "CONTADOR"):
        _, jefe = make_user(rol, sucursal_id=tienda.sucursal_id)
        assert {v["id"] for v in tienda.client.get("/api/ventas/", headers=jefe).json()} == {mia["id"], ajena["id"]}
        assert tienda.client.get(f"/api/ventas/{ajena['id']}/", headers=jefe).status_code == 200
    otra_sucursal = tienda.sucursal_id + 1000
    assert tienda.client.get(f"/api/ventas/?sucursal_id={otra_sucursal}", headers=jefe).status_code == 403
    res = tienda.client.get(f"/api/reportes/ventas-diarias/?desde=2020-01-01&hasta=2099-12-31"
                            f"&sucursal_id={otra_sucursal}", headers=jefe)
    assert res.status_code == 403


def test_a_warehouse_user_sees_only_their_warehouses_lots_and_stock(tienda, make_user):
    producto = tienda.producto("ALC-LOTE", stock=None, trazabilidad=True)
    propio, ajeno = tienda.almacen("Propio"), tienda.almacen("Ajeno")
    tienda.entrada(producto, "5", almacen_id=propio, numero_lote="L-PROPIO")
    tienda.entrada(producto, "7", almacen_id=ajeno, numero_lote="L-AJENO")
    usuario_id, almacenero = make_user("ALMACENERO")
    res = tienda.client.post(f"/api/almacenes/{propio}/usuarios/", headers=tienda.admin,
                             json={"usuario_id": usuario_id})
    assert res.status_code == 204, res.text

    assert tienda.client.get("/api/inventario/trazabilidad/L-AJENO/", headers=almacenero).status_code == 404
    traza = tienda.client.get("/api/inventario/trazabilidad/L-PROPIO/", headers=almacenero)
    assert traza.status_code == 200 and {m["almacen_id"] for m in traza.json()["movimientos"]} == {propio}
    assert tienda.client.get("/api/inventario/trazabilidad/L-AJENO/", headers=tienda.admin).status_code == 200

    def total(headers: dict[str, str]) -> str:
        res = tienda.client.get(f"/api/productos/{producto}/", headers=headers)
        listado = {p["id"]: p["stock_actual"] for p in tienda.client.get("/api/productos/", headers=headers).json()}
        assert listado[producto] == res.json()["stock_actual"]
        return res.json()["stock_actual"]

    assert float(total(almacenero)) == 5 and float(total(tienda.admin)) == 12
    assert tienda.client.get(f"/api/inventario/stock/?almacen_id={ajeno}", headers=almacenero).status_code == 403


def _login(api: str, ip: str) -> int:
    return httpx.post(f"{api}/api/auth/login/", headers={"X-Forwarded-For": ip},
                      json={"email": "admin@test.pe", "password": "wrong-password"}, timeout=30).status_code


def test_changing_x_forwarded_for_does_not_escape_the_login_rate_limit(db):
    with api_process(LOGIN_RATE_LIMIT_PER_MINUTE="3") as api:
        assert [_login(api, f"203.0.113.{i}") for i in range(5)] == [401, 401, 401, 429, 429]


def test_x_forwarded_for_is_believed_from_a_configured_proxy(db):
    with api_process(LOGIN_RATE_LIMIT_PER_MINUTE="1", TRUSTED_PROXIES='["127.0.0.1"]') as api:
        # each client behind the proxy has its own bucket; the same client is limited
        assert [_login(api, ip) for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.1")] == [401, 401, 429]


def _activar(client, usuario_id: int, headers: dict[str, str]) -> tuple[pyotp.TOTP, str]:
    res = client.post(f"/api/usuarios/{usuario_id}/activar-2fa/", headers=headers)
    totp = pyotp.TOTP(pyotp.parse_uri(res.json()["otpauth_uri"]).secret)
    return totp, "000000" if totp.now() != "000000" else "111111"


def test_authenticated_2fa_code_checks_are_throttled(client, make_user):
    confirma_id, confirma = make_user("VENDEDOR")
    desactiva_id, desactiva = make_user("VENDEDOR")
    totp_c, malo_c = _activar(client, confirma_id, confirma)
    totp_d, malo_d = _activar(client, desactiva_id, desactiva)
    confirmar, desactivar = (f"/api/usuarios/{confirma_id}/confirmar-2fa/",
                             f"/api/usuarios/{desactiva_id}/desactivar-2fa/")
    set_env(LOGIN_RATE_LIMIT_PER_MINUTE="3")
    try:
        ok = client.post(f"/api/usuarios/{desactiva_id}/confirmar-2fa/", headers=desactiva,
                         json={"codigo": totp_d.now()})
        assert ok.status_code == 200, ok.text
        codigos = [client.post(confirmar, headers=confirma, json={"codigo": malo_c}).status_code for _ in range(4)]
        assert codigos == [400, 400, 400, 429]
        # the right code is refused too until the minute passes: guessing cannot go on
        assert client.post(confirmar, headers=confirma, json={"codigo": totp_c.now()}).status_code == 429
        codigos = [client.post(desactivar, headers=desactiva, json={"codigo": malo_d}).status_code for _ in range(3)]
        assert codigos == [400, 400, 429]  # the confirmation above used the first attempt of the minute
    finally:
        set_env(LOGIN_RATE_LIMIT_PER_MINUTE="1000")


def test_google_stand_in_refuses_to_run_outside_development(client, caplog):
    set_env(ERP_ENV="production")
    try:
        with pytest.raises(RuntimeError, match="ERP_ENV=development"):
            GoogleSandbox().start()
        proc = subprocess.run([sys.executable, "-m", "integrations.google.sandbox", "--port", "0"],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0 and "ERP_ENV=development" in proc.stderr
        # an API pointed at a plain-HTTP key set (the stand-in's) refuses Google sign-in outside development
        set_env(GOOGLE_JWKS_URL="http://127.0.0.1:8710/oauth2/v3/certs")
        res = client.post("/api/auth/sso/google/", json={"id_token": "x.y.z"})
        assert res.status_code == 503 and "HTTPS" in res.json()["message"]
    finally:
        set_env(ERP_ENV="development", GOOGLE_JWKS_URL="https://www.googleapis.com/oauth2/v3/certs")
    sandbox = GoogleSandbox().start()  # development: it runs, and says so loudly
    sandbox.stop()
    assert any("ANY user" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)

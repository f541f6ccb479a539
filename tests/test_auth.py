"""Module 9 authentication: JWT, expiry, logout revocation, 2FA, Google SSO, rate limit."""

import os
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import text

from core.db import session_scope
from core.security import ACCESS, issue_token
from integrations.google.client import _jwks_client
from integrations.google.sandbox import GoogleSandbox, new_key
from models.usuarios import Usuario
from tests.conftest import login, set_env

PROTECTED = "/api/usuarios/"


def test_login_without_2fa_returns_a_valid_jwt(client, admin_headers):
    assert client.get(PROTECTED, headers=admin_headers).status_code == 200
    with session_scope() as s:
        sesiones = s.execute(text("SELECT tipo, ip FROM sesiones ORDER BY id")).all()
    assert {row.tipo for row in sesiones} == {"access", "refresh"}
    assert all(row.ip for row in sesiones)


def test_wrong_password_and_unknown_email_are_401(client):
    for email in ("admin@test.pe", "nobody@test.pe"):
        res = client.post("/api/auth/login/", json={"email": email, "password": "wrong-password-1"})
        assert res.status_code == 401 and res.json()["message"] == "Credenciales inválidas"


def test_expired_token_is_401(client, db):
    token, _ = issue_token(1, ACCESS, timedelta(seconds=-5), "ADMIN")
    res = client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401 and "expirado" in res.json()["message"]


def test_token_after_logout_is_401_and_refresh_rotates(client):
    tokens = client.post("/api/auth/login/", json={"email": "admin@test.pe", "password": "admin-password-123"}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    refreshed = client.post("/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    # the used refresh token is revoked (rotation)
    assert client.post("/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert client.post("/api/auth/logout/", headers=headers).status_code == 204
    assert client.get(PROTECTED, headers=headers).status_code == 401
    assert "revocado" in client.get(PROTECTED, headers=headers).json()["message"]


def test_deactivated_user_cannot_use_existing_tokens(client, admin_headers, make_user):
    user_id, headers = make_user("CAJERO")
    assert client.get("/api/productos/", headers=headers).status_code == 200
    res = client.put(f"/api/usuarios/{user_id}/", headers=admin_headers, json={"activo": False})
    assert res.status_code == 200 and res.json()["activo"] is False
    assert client.get("/api/productos/", headers=headers).status_code == 401
    with session_scope() as s:
        live = s.execute(text("SELECT count(*) FROM sesiones WHERE usuario_id = :u AND activo"), {"u": user_id})
        assert live.scalar_one() == 0


def _fresh_totp_window() -> None:
    """Start the 2FA steps early in a 30 s window so 'same window' assertions are deterministic."""
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.1)


def _enable_2fa(client, user_id: int, headers: dict) -> tuple[pyotp.TOTP, str]:
    res = client.post(f"/api/usuarios/{user_id}/activar-2fa/", headers=headers)
    assert res.status_code == 200
    body = res.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and body["qr_svg"].startswith("data:image/svg+xml")
    totp = pyotp.TOTP(pyotp.parse_uri(body["otpauth_uri"]).secret)
    bad = "000000" if totp.now() != "000000" else "111111"
    assert client.post(f"/api/usuarios/{user_id}/confirmar-2fa/", headers=headers, json={"codigo": bad}
                       ).status_code == 400
    code = totp.now()
    res = client.post(f"/api/usuarios/{user_id}/confirmar-2fa/", headers=headers, json={"codigo": code})
    assert res.status_code == 200 and res.json()["twofa_activo"] is True
    return totp, code


def test_login_with_2fa_needs_the_totp_code(client, make_user):
    user_id, headers = make_user("VENDEDOR", email="dosfa@test.pe")
    _fresh_totp_window()
    totp, used_code = _enable_2fa(client, user_id, headers)
    first = client.post("/api/auth/login/", json={"email": "dosfa@test.pe", "password": "secret-pass-123"}).json()
    assert first["requiere_2fa"] is True and first["access_token"] is None
    step2 = {"token_2fa": first["token_2fa"]}
    # the 2FA-only token opens nothing else
    assert client.get("/api/productos/", headers={"Authorization": f"Bearer {first['token_2fa']}"}).status_code == 401
    assert client.post("/api/auth/login/2fa/", json=step2 | {"codigo": "123456"}).status_code == 401
    # a code already used (for the activation) cannot be replayed
    assert client.post("/api/auth/login/2fa/", json=step2 | {"codigo": used_code}).status_code == 401
    next_code = totp.at(int(time.time()) + totp.interval)  # accepted: one step of clock drift
    ok = client.post("/api/auth/login/2fa/", json=step2 | {"codigo": next_code})
    assert ok.status_code == 200, ok.text
    full = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert client.get("/api/productos/", headers=full).status_code == 200
    # the 2FA token is single-use
    assert client.post("/api/auth/login/2fa/", json=step2 | {"codigo": next_code}).status_code == 401


def test_turning_2fa_off_needs_a_current_code_or_an_admin(client, make_user, admin_headers):
    user_id, headers = make_user("VENDEDOR", email="apaga2fa@test.pe")
    otro_id, otro = make_user("VENDEDOR")
    _fresh_totp_window()
    totp, used_code = _enable_2fa(client, user_id, headers)
    url = f"/api/usuarios/{user_id}/desactivar-2fa/"
    assert client.post(url, headers=otro, json={}).status_code == 403  # nobody else's 2FA
    for sin_codigo in (None, {}, {"codigo": used_code}):  # no code, or a code already spent
        res = client.post(url, headers=headers, json=sin_codigo)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == "codigo", res.text
    res = client.post(url, headers=headers, json={"codigo": totp.at(int(time.time()) + totp.interval)})
    assert res.status_code == 200 and res.json()["twofa_activo"] is False
    assert client.get("/api/productos/", headers=headers).status_code == 401  # live tokens revoked
    with session_scope() as s:
        assert s.get(Usuario, user_id).twofa_secret is None
    # the next login is a plain one; a second switch-off is a 409 naming the state
    again = login(client, "apaga2fa@test.pe", "secret-pass-123")
    res = client.post(url, headers=again, json={})
    assert res.status_code == 409 and res.json()["errors"][0]["field"] == "twofa_activo"
    # an administrator resets a user who lost the phone, without a code
    _fresh_totp_window()
    _enable_2fa(client, otro_id, otro)
    res = client.post(f"/api/usuarios/{otro_id}/desactivar-2fa/", headers=admin_headers)
    assert res.status_code == 200 and res.json()["twofa_activo"] is False
    assert client.post("/api/usuarios/999999/desactivar-2fa/", headers=admin_headers).status_code == 404


@pytest.fixture
def google():
    sandbox = GoogleSandbox(client_id="erp-test-client").start()
    previous = {k: os.environ.get(k, "") for k in sandbox.settings_env()}
    set_env(**sandbox.settings_env())
    _jwks_client.cache_clear()
    try:
        yield sandbox
    finally:
        sandbox.stop()
        set_env(**{k: v for k, v in previous.items() if v} or {"GOOGLE_CLIENT_ID": "erp-local"})
        for k, v in previous.items():
            if not v:
                os.environ.pop(k, None)
        _jwks_client.cache_clear()


def _sso(client, token: str):
    return client.post("/api/auth/sso/google/", json={"id_token": token})


def test_google_sso_accepts_known_users_only(client, google):
    ok = _sso(client, google.mint("admin@test.pe"))
    assert ok.status_code == 200 and ok.json()["access_token"]
    assert _sso(client, google.mint("stranger@gmail.com")).status_code == 401
    assert _sso(client, google.mint("admin@test.pe", audience="other-app")).status_code == 401
    assert _sso(client, google.mint("admin@test.pe", lifetime=-120)).status_code == 401
    assert _sso(client, google.mint("admin@test.pe", key=new_key())).status_code == 401
    assert _sso(client, google.mint("admin@test.pe", email_verified=False)).status_code == 401
    assert _sso(client, "not-a-jwt").status_code == 401


def test_login_rate_limit_is_5_per_ip_per_minute(client):
    set_env(LOGIN_RATE_LIMIT_PER_MINUTE="5")
    try:
        codes = [client.post("/api/auth/login/", json={"email": "admin@test.pe", "password": "bad-password-1"}
                             ).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        # even the right password is refused until the minute passes
        res = client.post("/api/auth/login/", json={"email": "admin@test.pe", "password": "admin-password-123"})
        assert res.status_code == 429
    finally:
        set_env(LOGIN_RATE_LIMIT_PER_MINUTE="1000")


def test_login_helper_still_works(client):
    assert login(client, "admin@test.pe", "admin-password-123")["Authorization"].startswith("Bearer ")

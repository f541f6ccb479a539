"""Foundation: health, error contract, login basics, outbox, schedules, audit immutability."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from core.db import get_engine, session_scope


def test_login_returns_jwt_and_protected_endpoint_needs_it(client, admin_headers):
    res = client.post("/api/auth/logout/", headers={"Authorization": "Bearer nope"})
    assert res.status_code == 401
    assert res.json()["code"] == "unauthorized"


def test_validation_error_is_400_with_field(client):
    res = client.post("/api/auth/login/", json={"email": "not-an-email", "password": "x"})
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "email"


def test_no_free_database_connection_is_a_503_to_retry_not_a_500(client, admin_headers, monkeypatch):
    """A request that cannot get a connection within the pool timeout answers 503 + Retry-After."""
    tiny = create_engine(get_engine().url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    monkeypatch.setattr("api.deps.get_engine", lambda: tiny)
    try:
        with tiny.connect():  # the only connection is taken
            res = client.get("/api/productos/", headers=admin_headers)
        assert res.status_code == 503 and res.headers["retry-after"] == "1"
        assert res.json()["code"] == "unavailable"
        assert client.get("/api/productos/", headers=admin_headers).status_code == 200  # and back once free
    finally:
        tiny.dispose()


def test_audit_logs_cannot_be_updated_or_deleted(db, owner_engine):
    """The trigger refuses even the owner (the app role is refused before, by privileges: test_roles_bd)."""
    with session_scope() as s:
        s.execute(text("INSERT INTO audit_logs (modulo, accion, objeto_tipo) VALUES ('t', 'create', 'x')"))
    for stmt in ("UPDATE audit_logs SET accion = 'hacked'", "DELETE FROM audit_logs"):
        with pytest.raises(DBAPIError, match="solo inserción"), owner_engine.begin() as s:
            s.execute(text(stmt))
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM audit_logs WHERE accion = 'create'")).scalar_one() >= 1

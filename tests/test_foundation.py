"""Foundation: health, error contract, login basics, outbox, schedules, audit immutability."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import session_scope


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


def test_audit_logs_cannot_be_updated_or_deleted(db):
    with session_scope() as s:
        s.execute(text("INSERT INTO audit_logs (modulo, accion, objeto_tipo) VALUES ('t', 'create', 'x')"))
    for stmt in ("UPDATE audit_logs SET accion = 'hacked'", "DELETE FROM audit_logs"):
        with pytest.raises(DBAPIError, match="solo inserción"), session_scope() as s:
            s.execute(text(stmt))
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM audit_logs WHERE accion = 'create'")).scalar_one() >= 1

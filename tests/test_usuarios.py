"""Module 9 administration: users, roles and permissions, the audit trail, the company configuration."""

from sqlalchemy import text

from core.db import session_scope
from integrations.sunat.firma import generar_certificado_demo


def _rol_id(client, headers, nombre: str) -> int:
    return next(r["id"] for r in client.get("/api/roles/", headers=headers).json()["items"] if r["nombre"] == nombre)


def test_create_user_validates_and_refuses_duplicates(client, admin_headers):
    rol = _rol_id(client, admin_headers, "CAJERO")
    body = {"nombre": "Ana Cajera", "email": "ana@test.pe", "password": "clave-segura-1", "rol_id": rol}
    res = client.post("/api/usuarios/", headers=admin_headers, json=body)
    assert res.status_code == 201 and res.json()["rol"] == "CAJERO"
    dup = client.post("/api/usuarios/", headers=admin_headers, json=body | {"email": "ANA@test.pe"})
    assert dup.status_code == 409 and dup.json()["errors"][0]["field"] == "email"
    weak = client.post("/api/usuarios/", headers=admin_headers, json=body | {"email": "b@test.pe", "password": "123"})
    assert weak.status_code == 400 and weak.json()["errors"][0]["field"] == "password"
    bad_rol = client.post("/api/usuarios/", headers=admin_headers, json=body | {"email": "c@test.pe", "rol_id": 999})
    assert bad_rol.status_code == 400 and bad_rol.json()["errors"][0]["field"] == "rol_id"
    listed = client.get("/api/usuarios/", headers=admin_headers, params={"buscar": "ana"}).json()
    assert [u["email"] for u in listed["items"]] == ["ana@test.pe"] and listed["total"] == 1


def test_role_permissions_are_enforced_and_replaceable(client, admin_headers, make_user):
    res = client.post("/api/roles/", headers=admin_headers, json={"nombre": "AUDITOR", "descripcion": "Solo lectura"})
    assert res.status_code == 201
    rol_id = res.json()["id"]
    put = client.put(f"/api/roles/{rol_id}/permisos/", headers=admin_headers,
                     json={"permisos": [{"modulo": "auditoria", "accion": "ver"}]})
    assert put.status_code == 200 and put.json()["permisos"][0]["modulo"] == "auditoria"
    _, auditor = make_user("AUDITOR")
    assert client.get("/api/audit-logs/", headers=auditor).status_code == 200
    assert client.get("/api/usuarios/", headers=auditor).status_code == 403
    client.put(f"/api/roles/{rol_id}/permisos/", headers=admin_headers, json={"permisos": []})
    assert client.get("/api/audit-logs/", headers=auditor).status_code == 403
    bad = client.put(f"/api/roles/{rol_id}/permisos/", headers=admin_headers,
                     json={"permisos": [{"modulo": "Drop Table", "accion": "ver"}]})
    assert bad.status_code == 400 and "modulo" in bad.json()["errors"][0]["field"]


def test_changes_to_critical_models_are_audited_automatically(client, admin_headers):
    rol = _rol_id(client, admin_headers, "VENDEDOR")
    user = client.post("/api/usuarios/", headers={**admin_headers, "User-Agent": "pytest-agent/1.0"}, json={
        "nombre": "Luis", "email": "luis@test.pe", "password": "clave-segura-1", "rol_id": rol}).json()
    client.put(f"/api/usuarios/{user['id']}/", headers=admin_headers, json={"nombre": "Luis Pérez",
                                                                          "password": "otra-clave-22"})
    logs = client.get("/api/audit-logs/", headers=admin_headers,
                      params={"objeto_tipo": "usuarios", "objeto_id": str(user["id"])}).json()["items"]
    by_action = {log["accion"]: log for log in logs}
    created, updated = by_action["create"], by_action["update"]
    admins = client.get("/api/usuarios/", headers=admin_headers, params={"buscar": "admin@test.pe"}).json()
    admin_id = admins["items"][0]["id"]
    assert created["usuario_id"] == admin_id and created["ip"] and created["user_agent"] == "pytest-agent/1.0"
    assert created["modulo"] == "usuarios" and created["datos_nuevos_json"]["email"] == "luis@test.pe"
    assert updated["datos_anteriores_json"] == {"nombre": "Luis"}
    assert updated["datos_nuevos_json"] == {"nombre": "Luis Pérez"}
    assert all("password_hash" not in (log["datos_nuevos_json"] or {}) for log in logs)


def test_configuracion_secrets_are_write_only_and_encrypted_at_rest(client, admin_headers):
    res = client.put("/api/configuracion/", headers=admin_headers,
                     json={"sunat_clave_sol": "clave-sol-secreta", "igv_tasa": "0.18"})
    assert res.status_code == 200
    body = res.json()
    assert body["sunat_clave_sol_configurada"] is True and "sunat_clave_sol" not in body
    assert client.put("/api/configuracion/", headers=admin_headers, json={"ruc": "20100066604"}).status_code == 400
    pfx, password = generar_certificado_demo("20100066603", "DEMO S.A.C.")
    up = client.post("/api/configuracion/certificado/", headers=admin_headers, data={"password": password},
                     files={"archivo": ("cert.pfx", pfx, "application/x-pkcs12")})
    assert up.status_code == 200 and up.json()["certificado_configurado"] is True
    wrong = client.post("/api/configuracion/certificado/", headers=admin_headers, data={"password": "nope"},
                        files={"archivo": ("cert.pfx", pfx, "application/x-pkcs12")})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "certificado"
    with session_scope() as s:
        raw = s.execute(text("SELECT certificado_pfx, sunat_clave_sol FROM configuracion")).one()
    assert bytes(raw.certificado_pfx) != pfx and pfx not in bytes(raw.certificado_pfx)
    assert "clave-sol-secreta" not in raw.sunat_clave_sol
    logs = client.get("/api/audit-logs/", headers=admin_headers, params={"objeto_tipo": "configuracion"}).json()
    assert all("clave-sol-secreta" not in str(log) for log in logs["items"])

"""Life cycle through the real worker: Temporal updates drive approve / issue / cancel; audit; PDF."""

import asyncio

import pypdfium2
from sqlalchemy import text

from core.db import session_scope
from services import notas_venta as nv
from services.notas_venta_pdf import render_pdf
from tests.notas_venta.conftest import crear, documento

UA = {"User-Agent": "Mozilla/5.0 (pruebas NV)"}


def _post(client, nota_id: int, action: str, headers: dict, **kw):
    return client.post(f"/api/notas-venta/{nota_id}/{action}", headers={**headers, **UA}, **kw)


def _pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


async def test_approve_then_issue_records_who_where_and_the_pdf_hash(client, admin_headers, make_user, worker,
                                                                     temporal_client):
    contador_id, contador = make_user("CONTADOR")
    nota = crear(client, admin_headers)
    res = _post(client, nota["id"], "approve", {**contador, "X-User": "impostor"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["status"], body["approved_by"], body["approved_by_name"]) == ("approved", contador_id,
                                                                               "Usuario CONTADOR")
    assert (body["approved_ip"], body["approved_ua"]) == ("testclient", UA["User-Agent"])

    issued = _post(client, nota["id"], "issue", contador).json()
    assert issued["status"] == "issued" and len(issued["pdf_hash"]) == 64 and issued["emitted_at"]
    pdf = client.get(issued["pdf_url"], headers=admin_headers)
    assert pdf.headers["content-type"] == "application/pdf"
    assert nv.sha256(pdf.content) == issued["pdf_hash"]

    audit = client.get(f"/api/notas-venta/{nota['id']}/audit", headers=admin_headers).json()["items"]
    assert [a["action"] for a in audit] == ["create", "approve", "issue"]
    for row in audit[1:]:
        assert (row["actor_id"], row["ip"], row["user_agent"]) == (contador_id, "testclient", UA["User-Agent"])
        assert "impostor" not in str(row)
    assert audit[2]["payload_json"]["pdf_sha256"] == issued["pdf_hash"]
    assert audit[2]["payload_json"]["status"] == "issued"

    handle = temporal_client.get_workflow_handle(nv.workflow_id(nota["id"]))
    assert (await handle.query("estado_actual"))["estado"] == "issued"
    for _ in range(50):  # visibility is eventually consistent
        found = [w async for w in temporal_client.list_workflows("Documento = '001-2025' AND Estado = 'issued'")]
        if found:
            break
        await asyncio.sleep(0.1)
    assert [w.id for w in found] == [nv.workflow_id(nota["id"])]


def test_invalid_transitions_are_409_with_the_current_state(client, admin_headers, worker):
    nota = crear(client, admin_headers)
    assert _post(client, nota["id"], "approve", admin_headers).status_code == 200
    res = _post(client, nota["id"], "approve", admin_headers)  # refused by the activity (DB state)
    assert (res.status_code, res.json()["estado_actual"]) == (409, "approved")
    assert _post(client, nota["id"], "issue", admin_headers).status_code == 200
    res = _post(client, nota["id"], "approve", admin_headers)  # refused by the workflow's validator
    assert (res.status_code, res.json()["estado_actual"]) == (409, "issued")
    assert _post(client, nota["id"], "issue", admin_headers).status_code == 409

    assert _post(client, nota["id"], "cancel", admin_headers, json={}).json()["errors"][0]["field"] == "motivo"
    res = _post(client, nota["id"], "cancel", admin_headers, json={"motivo": "Cliente desiste"})
    assert (res.status_code, res.json()["status"], res.json()["cancel_reason"]) == (200, "cancelled",
                                                                                    "Cliente desiste")
    res = _post(client, nota["id"], "issue", admin_headers)
    assert (res.status_code, res.json()["estado_actual"]) == (409, "cancelled")
    audit = client.get(f"/api/notas-venta/{nota['id']}/audit", headers=admin_headers).json()["items"]
    assert [a["action"] for a in audit] == ["create", "approve", "issue", "cancel"]
    # The PDF of the cancelled note is still the one issued, and still verifies.
    assert client.get(f"/api/notas-venta/{nota['id']}/verify", headers=admin_headers).json()["matches"] is True


def test_issuing_a_draft_approves_it_and_needs_both_permissions(client, admin_headers, make_user, worker):
    _, vendedor = make_user("VENDEDOR")
    gerente_id, gerente = make_user("GERENTE_VENTAS")
    nota = crear(client, vendedor)
    assert _post(client, nota["id"], "issue", vendedor).status_code == 403
    res = _post(client, nota["id"], "issue", gerente)
    assert res.status_code == 200, res.text
    assert (res.json()["status"], res.json()["approved_by"]) == ("issued", gerente_id)
    audit = client.get(f"/api/notas-venta/{nota['id']}/audit", headers=admin_headers).json()["items"]
    assert [a["action"] for a in audit] == ["create", "approve", "issue"]
    assert audit[1]["payload_json"]["implicita_en_emision"] is True


def test_pdf_content_is_stable_and_verified(client, admin_headers, worker):
    client.put("/api/notas-venta/configuracion", json={"razon_social": "Zeman González SpA"}, headers=admin_headers)
    nota = crear(client, admin_headers)
    issued = _post(client, nota["id"], "issue", admin_headers).json()
    with session_scope() as s:
        stored = nv.get_note(s, nota["id"])
        items = nv.items_of(s, nota["id"])
        first, second = render_pdf(stored, items), render_pdf(stored, items)
    assert first == second and nv.sha256(first) == issued["pdf_hash"]

    content = _pdf_text(first)
    when = stored.emitted_at.astimezone(nv.SANTIAGO).strftime("%d-%m-%Y / %H:%M")
    assert f"www.zemangonzalez.com {when} Pedro de Valdivia 3121 dp 15 | Ñuñoa | Santiago | Chile" in content
    for expected in ("001-2025", "76.086.428-5", "Construcción", "Av. Apoquindo 4501", "Las Condes",
                     "Transferencia 30 días", "Edificio Los Leones", "P-2025-041", "$ 340.500", "$ 64.695",
                     "$ 405.195", "Administrador", "CEO | Chief Executive Officer", "Zeman González SpA"):
        assert expected in content, expected

    # A later change of the company configuration does not change what was issued.
    client.put("/api/notas-venta/configuracion", json={"url": "www.otra.cl"}, headers=admin_headers)
    verify = client.get(f"/api/notas-venta/{nota['id']}/verify", headers=admin_headers).json()
    assert verify["matches"] and verify["stored_file_matches"]

    # Tampering with the stored file is detected.
    path = nv._storage_root() / stored.pdf_path
    path.write_bytes(first + b"%tampered")
    verify = client.get(f"/api/notas-venta/{nota['id']}/verify", headers=admin_headers).json()
    assert verify["matches"] is True and verify["stored_file_matches"] is False


def test_put_of_approved_note_brings_the_workflow_back_to_draft(client, admin_headers, worker, temporal_client):
    nota = crear(client, admin_headers)
    assert _post(client, nota["id"], "approve", admin_headers).status_code == 200
    assert client.put(f"/api/notas-venta/{nota['id']}", json=documento(vendedor="Otra"),
                      headers=admin_headers).json()["status"] == "draft"
    res = _post(client, nota["id"], "approve", admin_headers)  # approvable again right away
    assert res.status_code == 200 and res.json()["version"] == 4

    async def state() -> dict:
        handle = temporal_client.get_workflow_handle(nv.workflow_id(nota["id"]))
        return await handle.query("estado_actual")

    assert asyncio.run(state())["estado"] == "approved"
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM outbox WHERE kind = 'signal'")).scalar_one() == 1

"""Module 7 without a worker: the rules before Meta, what Meta's answers mean, and Meta's webhooks (signed,
out of order, duplicated, early). The activity's service function is called directly; workflows are in
test_campanas.py."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import session_scope
from core.errors import ValidationError
from integrations.whatsapp.client import firma
from integrations.whatsapp.sandbox import MetaSandbox
from services import whatsapp, whatsapp_webhook
from tests.conftest import set_env
from tests.whatsapp.conftest import CUENTA, H, entregar

URL = "/api/whatsapp"


def _mensaje(client: TestClient, headers: H, mensaje_id: int) -> dict:
    items = client.get(f"{URL}/mensajes/?limit=200", headers=headers).json()["items"]
    return next(m for m in items if m["id"] == mensaje_id)


def _enviar(client: TestClient, headers: H, **body: object) -> dict:
    res = client.post(f"{URL}/mensajes/enviar/", json=body, headers=headers)
    assert res.status_code == 202, res.text
    return res.json()


def _filas(tabla: str) -> int:
    with session_scope() as session:
        return session.execute(text(f"SELECT count(*) FROM {tabla}")).scalar_one()


@pytest.mark.parametrize(("escrito", "e164"), [
    ("987 654 321", "51987654321"), ("+51 987-654-321", "51987654321"), ("0051987654321", "51987654321"),
    ("(01) 444-5555", "5114445555"), ("+56 9 8765 4321", "56987654321"),
])
def test_phone_numbers_are_normalised_to_e164_digits(escrito: str, e164: str) -> None:
    assert whatsapp.normalizar_telefono(escrito) == e164


@pytest.mark.parametrize("malo", ["123", "98765432100000", "hola", "+51 12"])
def test_what_cannot_be_a_phone_number_is_refused(malo: str) -> None:
    with pytest.raises(ValidationError) as exc:
        whatsapp.normalizar_telefono(malo)
    assert exc.value.field == "telefono"


def test_consent_with_a_bad_phone_is_a_400_naming_it(client: TestClient, admin_headers: H,
                                                     cliente_wa: Callable) -> None:
    cliente_id = cliente_wa(telefono="12", opt_in=False)
    res = client.post(f"{URL}/contactos/", json={"cliente_id": cliente_id, "medio": "TIENDA", "evidencia": "sí"},
                      headers=admin_headers)
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"] == "telefono"


def test_account_secrets_are_encrypted_and_never_returned(client: TestClient, admin_headers: H,
                                                          cuenta: dict) -> None:
    assert "token" not in cuenta and "app_secret" not in cuenta
    listed = client.get(f"{URL}/cuentas/", headers=admin_headers).json()["items"]
    assert CUENTA.token not in json.dumps(listed)
    with session_scope() as session:
        raw = session.execute(text("SELECT token, app_secret FROM wa_cuentas")).one()
    assert CUENTA.token not in raw.token and CUENTA.app_secret not in raw.app_secret


def test_a_template_is_submitted_to_meta_and_its_decision_arrives_by_webhook(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable) -> None:
    p = plantilla(decision=None)
    assert p["estado_meta"] == "PENDING" and p["meta_template_id"] and p["variables_count"] == 2
    enviada = meta.plantillas[p["meta_template_id"]]
    assert enviada.name == "aviso_pedido" and enviada.language == "es_PE" and enviada.category == "UTILITY"
    assert enviada.components == [{"type": "BODY", "text": "Hola {{1}}, su pedido {{2}} está listo.",
                                   "example": {"body_text": [["Ana", "P-12"]]}}]
    meta.decidir(p["meta_template_id"], "REJECTED", "INVALID_FORMAT")
    entregar(client, meta)
    items = client.get(f"{URL}/plantillas/?estado=REJECTED", headers=admin_headers).json()["items"]
    assert [(i["id"], i["motivo_rechazo"]) for i in items] == [(p["id"], "INVALID_FORMAT")]
    meta.decidir(p["meta_template_id"], "APPROVED")
    entregar(client, meta)
    assert client.get(f"{URL}/plantillas/?estado=APPROVED", headers=admin_headers).json()["total"] == 1


@pytest.mark.parametrize(("cambio", "campo"), [
    ({"nombre": "Aviso Pedido"}, "nombre"), ({"categoria": "PROMO"}, "categoria"),
    ({"texto": "Hola {{1}} y {{3}}", "ejemplos": ["a", "b"]}, "texto"), ({"ejemplos": []}, "ejemplos"),
])
def test_templates_follow_metas_rules(client: TestClient, admin_headers: H, cuenta: dict, cambio: dict,
                                      campo: str) -> None:
    body = {"nombre": "aviso", "idioma": "es_PE", "categoria": "UTILITY", "texto": "Hola {{1}}", "ejemplos": ["Ana"],
            **cambio}
    res = client.post(f"{URL}/plantillas/", json=body, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert campo in res.text


def test_no_opt_in_unapproved_template_or_wrong_parameters_is_a_400_and_nothing_is_queued(
        client: TestClient, admin_headers: H, plantilla: Callable, cliente_wa: Callable) -> None:
    aprobada, pendiente = plantilla(), plantilla("promo", "Oferta {{1}}", ("10%",), decision=None)
    sin_consentimiento, con = cliente_wa(opt_in=False), cliente_wa("987654322", doc="45678913")
    casos = [
        ({"cliente_id": sin_consentimiento, "plantilla_id": aprobada["id"], "parametros": ["A", "B"]}, "cliente_id"),
        ({"cliente_id": con, "plantilla_id": pendiente["id"], "parametros": ["10%"]}, "plantilla_id"),
        ({"cliente_id": con, "plantilla_id": aprobada["id"], "parametros": ["solo uno"]}, "parametros"),
        ({"cliente_id": con, "plantilla_id": aprobada["id"], "texto": "hola"}, "texto"),
    ]
    for body, campo in casos:
        res = client.post(f"{URL}/mensajes/enviar/", json=body, headers=admin_headers)
        assert res.status_code == 400, res.text
        assert campo in res.text
    assert _filas("wa_mensajes") == 0 and _filas("outbox WHERE workflow = 'EnviarMensajeWhatsApp'") == 0


def test_a_sent_template_is_accepted_by_meta_then_statuses_move_it_to_read(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa("+51 987-654-321")
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-12"])
    assert m["estado"] == "PENDIENTE" and m["numero_destino"] == "51987654321"
    with session_scope() as session:
        wf = session.execute(text("SELECT workflow_id FROM outbox WHERE workflow = 'EnviarMensajeWhatsApp'")).one()
    assert wf.workflow_id == f"mensaje-wa-{m['id']}"

    assert whatsapp.despachar(m["id"]).resultado == "ACEPTADO"
    assert meta.enviados[0].body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "51987654321", "type": "template",
        "template": {"name": "aviso_pedido", "language": {"code": "es_PE"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "P-12"}]}]},
        "biz_opaque_callback_data": f"erp-wa-{m['id']}"}
    aceptado = _mensaje(client, admin_headers, m["id"])
    assert aceptado["estado"] == "ENVIADO_A_META" and aceptado["meta_message_id"] == meta.enviados[0].wamid
    assert whatsapp.despachar(m["id"]).resultado == "OMITIDO" and meta.intentos == 1  # idempotent

    entregar(client, meta)
    leido = _mensaje(client, admin_headers, m["id"])
    assert leido["estado"] == "LEIDO"
    assert leido["fecha_envio"] and leido["fecha_entrega"] and leido["fecha_lectura"]


def test_statuses_never_go_backwards_whatever_order_or_repetition(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    meta.auto_status = ()
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    whatsapp.despachar(m["id"])
    wamid = meta.enviados[0].wamid
    t = int(datetime(2026, 12, 1, 15, 0, tzinfo=UTC).timestamp())
    for status, ts in (("read", t + 60), ("delivered", t + 30), ("delivered", t + 30), ("sent", t), ("read", t + 60)):
        meta.estado(wamid, status, ts=ts)
    entregar(client, meta)
    leido = _mensaje(client, admin_headers, m["id"])
    assert leido["estado"] == "LEIDO"
    assert leido["fecha_envio"].startswith("2026-12-01T15:00:00")
    assert leido["fecha_entrega"].startswith("2026-12-01T15:00:30")
    assert leido["fecha_lectura"].startswith("2026-12-01T15:01:00")
    meta.estado(wamid, "failed", code=131026)  # a late failure does not undo a read message
    entregar(client, meta)
    assert _mensaje(client, admin_headers, m["id"])["estado"] == "LEIDO"


def test_read_without_delivered_fills_the_delivery_date(client: TestClient, admin_headers: H, meta: MetaSandbox,
                                                        plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    meta.auto_status = ("read",)
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    whatsapp.despachar(m["id"])
    entregar(client, meta)
    leido = _mensaje(client, admin_headers, m["id"])
    assert leido["estado"] == "LEIDO" and leido["fecha_entrega"] == leido["fecha_lectura"]


def test_a_status_that_beats_the_send_response_is_applied_when_the_wamid_is_stored(
        client: TestClient, admin_headers: H, plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    wamid = "wamid.HBgLNTE5ODc2NTQzMjEVAgARGBI1"
    body = {"object": "whatsapp_business_account", "entry": [{"id": CUENTA.waba_id, "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": CUENTA.phone_number_id},
                      "statuses": [{"id": wamid, "status": "delivered", "timestamp": "1764601200",
                                    "recipient_id": "51987654321"}]}}]}]}
    raw = json.dumps(body).encode()
    res = client.post(f"{URL}/webhook/", content=raw, headers={"X-Hub-Signature-256": firma(CUENTA.app_secret, raw)})
    assert res.status_code == 200, res.text
    whatsapp_webhook.procesar(res.json()["log_id"])
    assert _filas("wa_estados_pendientes") == 1
    with session_scope() as session:
        whatsapp_webhook.aceptado(session, m["id"], wamid)
    entregado = _mensaje(client, admin_headers, m["id"])
    assert entregado["estado"] == "ENTREGADO" and entregado["fecha_entrega"].startswith("2025-12-01T15:00:00")
    assert _filas("wa_estados_pendientes") == 0


def test_a_bad_or_missing_signature_is_403_and_nothing_is_stored(client: TestClient, cuenta: dict) -> None:
    raw = b'{"object": "whatsapp_business_account", "entry": []}'
    for headers in ({}, {"X-Hub-Signature-256": firma("otro-secreto", raw)}, {"X-Hub-Signature-256": "sha256=00"}):
        res = client.post(f"{URL}/webhook/", content=raw, headers=headers)
        assert res.status_code == 403, res.text
    assert _filas("wa_logs_webhook") == 0
    res = client.post(f"{URL}/webhook/", content=raw, headers={"X-Hub-Signature-256": firma(CUENTA.app_secret, raw)})
    assert res.status_code == 200 and _filas("wa_logs_webhook") == 1


def test_metas_verification_handshake(client: TestClient) -> None:
    set_env(WHATSAPP_VERIFY_TOKEN="mi-token-de-verificacion")
    try:
        ok = client.get(f"{URL}/webhook/?hub.mode=subscribe&hub.verify_token=mi-token-de-verificacion"
                        "&hub.challenge=1158201444")
        assert ok.status_code == 200 and ok.text == "1158201444"
        malo = client.get(f"{URL}/webhook/?hub.mode=subscribe&hub.verify_token=otro&hub.challenge=1")
        assert malo.status_code == 403
    finally:
        set_env(WHATSAPP_VERIFY_TOKEN="")


def test_free_text_only_inside_the_24h_window_opened_by_an_inbound_message(
        client: TestClient, admin_headers: H, meta: MetaSandbox, cuenta: dict, cliente_wa: Callable) -> None:
    cliente_id = cliente_wa()
    res = client.post(f"{URL}/mensajes/enviar/", json={"cliente_id": cliente_id, "texto": "¿Le ayudo?"},
                      headers=admin_headers)
    assert res.status_code == 400 and "24 h" in res.text
    meta.entrante(CUENTA.phone_number_id, "51987654321", "Hola, ¿tienen stock?")
    entregar(client, meta)
    contacto = client.get(f"{URL}/contactos/{cliente_id}/", headers=admin_headers).json()
    assert contacto["ultima_interaccion_cliente"]
    m = _enviar(client, admin_headers, cliente_id=cliente_id, texto="Sí, tenemos stock.")
    assert whatsapp.despachar(m["id"]).resultado == "ACEPTADO"
    assert meta.enviados[-1].body["text"] == {"body": "Sí, tenemos stock.", "preview_url": False}

    with session_scope() as session:  # the window closed 1 minute ago: the 400 names when
        session.execute(text("UPDATE wa_contactos SET ultima_interaccion_cliente = :t"),
                        {"t": datetime.now(UTC) - timedelta(hours=24, minutes=1)})
    res = client.post(f"{URL}/mensajes/enviar/", json={"cliente_id": cliente_id, "texto": "¿Sigue ahí?"},
                      headers=admin_headers)
    assert res.status_code == 400 and "se cerró el" in res.text


def test_meta_reports_a_closed_window_later_as_a_failed_status_131047(
        client: TestClient, admin_headers: H, meta: MetaSandbox, cuenta: dict, cliente_wa: Callable) -> None:
    cliente_id = cliente_wa()
    with session_scope() as session:  # we believe the window is open; Meta never saw the customer write
        session.execute(text("UPDATE wa_contactos SET ultima_interaccion_cliente = now() - interval '1 hour'"))
    m = _enviar(client, admin_headers, cliente_id=cliente_id, texto="Hola")
    assert whatsapp.despachar(m["id"]).resultado == "ACEPTADO"
    entregar(client, meta)
    fallido = _mensaje(client, admin_headers, m["id"])
    assert (fallido["estado"], fallido["error_codigo"]) == ("FALLIDO", 131047)


def test_stop_from_the_customer_opts_them_out(client: TestClient, admin_headers: H, meta: MetaSandbox,
                                              plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    meta.entrante(CUENTA.phone_number_id, "51987654321", " Stop ")
    entregar(client, meta)
    contacto = client.get(f"{URL}/contactos/{cliente_id}/", headers=admin_headers).json()
    assert contacto["opt_in"] is False and contacto["opt_out_fecha"] and "Stop" in contacto["opt_out_motivo"]
    res = client.post(f"{URL}/mensajes/enviar/", json={"cliente_id": cliente_id, "plantilla_id": p["id"],
                                                       "parametros": ["A", "B"]}, headers=admin_headers)
    assert res.status_code == 400 and "opt-in" in res.text


def test_an_agent_records_an_opt_out(client: TestClient, admin_headers: H, cliente_wa: Callable) -> None:
    cliente_id = cliente_wa()
    res = client.post(f"{URL}/contactos/{cliente_id}/opt-out/", json={"motivo": "Llamó a la tienda"},
                      headers=admin_headers)
    assert res.status_code == 200 and res.json()["opt_in"] is False


def test_a_throughput_limit_is_retried_and_a_refusal_is_recorded_not_retried(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    meta.fallar(130429, message="Rate limit hit")
    with pytest.raises(whatsapp.Reintentar):
        whatsapp.despachar(m["id"])
    assert _mensaje(client, admin_headers, m["id"])["estado"] == "PENDIENTE"
    assert whatsapp.despachar(m["id"]).resultado == "ACEPTADO"

    otro = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-2"])
    meta.fallar(131026, message="Message undeliverable")
    assert whatsapp.despachar(otro["id"]).resultado == "FALLIDO"
    fallido = _mensaje(client, admin_headers, otro["id"])
    assert (fallido["estado"], fallido["error_codigo"]) == ("FALLIDO", 131026)
    assert "undeliverable" in fallido["error_mensaje"]


def test_an_invalid_token_marks_the_account(client: TestClient, admin_headers: H, meta: MetaSandbox,
                                            plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    meta.cuentas[CUENTA.phone_number_id].token = "token-rotado-en-meta"
    assert whatsapp.despachar(m["id"]).resultado == "TOKEN_INVALIDO"
    assert _mensaje(client, admin_headers, m["id"])["error_codigo"] == 190
    cuenta = client.get(f"{URL}/cuentas/", headers=admin_headers).json()["items"][0]
    assert cuenta["estado"] == "TOKEN_INVALIDO" and "190" in cuenta["estado_detalle"]
    res = client.post(f"{URL}/mensajes/enviar/", json={"cliente_id": cliente_id, "plantilla_id": p["id"],
                                                       "parametros": ["A", "B"]}, headers=admin_headers)
    assert res.status_code == 409


def test_metrics_by_template_with_the_top_error_codes(client: TestClient, admin_headers: H, meta: MetaSandbox,
                                                      plantilla: Callable, cliente_wa: Callable) -> None:
    p, cliente_id = plantilla(), cliente_wa()
    meta.not_on_whatsapp.add("51987654321")
    for n in range(2):
        m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["A", str(n)])
        whatsapp.despachar(m["id"])
    entregar(client, meta)
    res = client.get(f"{URL}/metricas/?agrupar=plantilla", headers=admin_headers)
    assert res.status_code == 200, res.text
    grupo = res.json()["grupos"][0]
    assert (grupo["clave"], grupo["total"], grupo["fallidos"], grupo["tasa_fallo"]) == ("aviso_pedido", 2, 2, "100.00")
    assert res.json()["top_errores"] == [{"codigo": 131026, "cantidad": 2}]


def test_a_send_interrupted_mid_call_is_never_resent_and_metas_webhook_revives_it(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable) -> None:
    """The worker died after Meta took the message and before its wamid was stored: the retry must not send
    it again; Meta's statuses carry our id back (biz_opaque_callback_data) and the message lives again."""
    p, cliente_id = plantilla(), cliente_wa()
    m = _enviar(client, admin_headers, cliente_id=cliente_id, plantilla_id=p["id"], parametros=["Ana", "P-1"])
    with session_scope() as session:  # what the dead attempt left: ENVIANDO, and Meta has the message
        body = whatsapp._cuerpo(session, session.get(whatsapp.WaMensaje, m["id"]))
        session.execute(text("UPDATE wa_mensajes SET estado = 'ENVIANDO', intentos = 1"))
    meta.send(CUENTA.phone_number_id, CUENTA.token, body)
    assert whatsapp.despachar(m["id"]).resultado == "INTERRUMPIDO"
    assert meta.intentos == 1 and _mensaje(client, admin_headers, m["id"])["estado"] == "FALLIDO"
    entregar(client, meta)
    revivido = _mensaje(client, admin_headers, m["id"])
    assert (revivido["estado"], revivido["meta_message_id"]) == ("LEIDO", meta.enviados[0].wamid)

"""Customer notifications from the other modules, without a worker: the one channel decision (WhatsApp with
opt-in and an approved mapped template, else e-mail, else nothing), the event → template mapping API, the
workflow's steps called as its activities call them (WhatsApp, then the e-mail fallback, each attempt
recorded), and the overdue-receivable reminders' milestones. End to end on the worker: test_avisos_flujos.py."""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from core import enlaces
from core.db import session_scope
from core.settings import get_settings
from integrations.storage import get_storage
from integrations.whatsapp.sandbox import MetaSandbox
from models.facturacion import Comprobante
from models.whatsapp import NotificacionCliente
from services import notificaciones_cliente, whatsapp
from services.notificaciones_cliente import Aviso, Correo
from tests.whatsapp.conftest import H, entregar

URL = "/api/whatsapp"
RECORDATORIO = "Hola {{1}}, su documento {{2}} venció hace {{3}} días."


def _mapear(client: TestClient, headers: H, evento: str, plantilla_id: int, parametros: list[str],
            **extra: object):  # noqa: ANN202 - the response
    return client.put(f"{URL}/eventos/{evento}/", json={"plantilla_id": plantilla_id, "parametros": parametros,
                                                       **extra}, headers=headers)


def _vencida(cliente_id: int | None, correo: bool = True, clave: str | None = None) -> Aviso:
    variables = {"cliente": "Ana Díaz", "documento": "F001-7", "saldo": "118.00", "moneda": "PEN",
                 "fecha_vencimiento": "01/11/2026", "dias_vencido": "7", "empresa": "JSoluciones"}
    return Aviso("CXC_VENCIDA", cliente_id, variables,
                 Correo(["ana@cliente.pe"], "Recordatorio de pago", "Su documento F001-7 venció") if correo else None,
                 "cuentas_por_cobrar", "1", clave)


def _avisar(aviso: Aviso) -> int | None:
    with session_scope() as session:
        return notificaciones_cliente.avisar(session, aviso)


def _fila(sql: str, **params: object):  # noqa: ANN202 - a Row
    with session_scope() as session:
        return session.execute(text(sql), params).one()


@pytest.fixture
def recordatorio(client: TestClient, admin_headers: H, plantilla: Callable) -> dict:
    p = plantilla("recordatorio_pago", RECORDATORIO, ("Ana", "F001-1", "7"))
    res = _mapear(client, admin_headers, "CXC_VENCIDA", p["id"], ["cliente", "documento", "dias_vencido"])
    assert res.status_code == 200, res.text
    return p


def test_the_channel_is_whatsapp_with_opt_in_and_an_approved_template_else_email_else_nothing(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable) -> None:
    con, sin = cliente_wa(), cliente_wa("987654322", opt_in=False, doc="45678913")
    sin_mapeo = _avisar(_vencida(con))  # opted in, but no template mapped to the event yet
    p = plantilla("recordatorio_pago", RECORDATORIO, ("Ana", "F001-1", "7"))
    assert _mapear(client, admin_headers, "CXC_VENCIDA", p["id"], ["cliente", "documento", "dias_vencido"]
                   ).status_code == 200
    por_whatsapp, sin_opt_in, nada = _avisar(_vencida(con)), _avisar(_vencida(sin)), _avisar(_vencida(sin, False))
    meta.decidir(p["meta_template_id"], "PAUSED")  # Meta paused the template for its quality
    entregar(client, meta)
    pausada = _avisar(_vencida(con))

    items = {n["id"]: n for n in client.get(f"{URL}/notificaciones/?evento=CXC_VENCIDA",
                                            headers=admin_headers).json()["items"]}
    assert (items[sin_mapeo]["canal"], items[sin_mapeo]["motivo"]) == ("EMAIL", "sin plantilla de WhatsApp para "
                                                                                "CXC_VENCIDA")
    assert items[por_whatsapp]["canal"] == "WHATSAPP" and items[por_whatsapp]["estado"] == "PENDIENTE"
    assert items[sin_opt_in]["canal"] == "EMAIL" and "opt-in" in items[sin_opt_in]["motivo"]
    assert (items[nada]["canal"], items[nada]["estado"]) == ("NINGUNO", "OMITIDA")
    assert items[pausada]["canal"] == "EMAIL" and "PAUSED" in items[pausada]["motivo"]
    assert "correo" not in items[sin_opt_in]  # it may carry a delivery code: never shown

    # the WhatsApp message is queued with the event's variables in the mapping's order, by the outbox
    mensaje = _fila("SELECT m.parametros_json, m.estado, m.numero_destino FROM wa_mensajes m JOIN "
                    "notificaciones_cliente n ON n.wa_mensaje_id = m.id WHERE n.id = :n", n=por_whatsapp)
    assert mensaje == (["Ana Díaz", "F001-7", "7"], "PENDIENTE", "51987654321")
    avisos = _fila("SELECT count(*), count(*) FILTER (WHERE payload->>'wa_mensaje_id' IS NOT NULL) FROM outbox "
                   "WHERE workflow = 'NotificarCliente'")
    assert tuple(avisos) == (4, 1)  # nothing to send for NINGUNO


def test_a_notice_with_a_business_key_is_asked_for_once(client: TestClient, admin_headers: H,
                                                        cliente_wa: Callable) -> None:
    cliente = cliente_wa(opt_in=False)
    assert _avisar(_vencida(cliente, clave="CXC_VENCIDA:1:7")) is not None
    assert _avisar(_vencida(cliente, clave="CXC_VENCIDA:1:7")) is None
    assert client.get(f"{URL}/notificaciones/?cliente_id={cliente}", headers=admin_headers).json()["total"] == 1


@pytest.mark.parametrize(("evento", "cuerpo", "campo"), [
    ("CXC_VENCIDA", {"parametros": ["cliente", "documento"]}, "parametros"),
    ("CXC_VENCIDA", {"parametros": ["cliente", "documento", "codigo"]}, "parametros.2"),
    ("CXC_VENCIDA", {"parametros": ["cliente", "documento", "saldo"], "encabezado": "pdf_url"}, "encabezado"),
    ("NO_EXISTE", {"parametros": []}, "evento"),
])
def test_the_event_mapping_is_checked_against_the_template_and_the_events_variables(
        client: TestClient, admin_headers: H, plantilla: Callable, evento: str, cuerpo: dict, campo: str) -> None:
    p = plantilla("recordatorio_pago", RECORDATORIO, ("Ana", "F001-1", "7"), decision=None)  # pending: allowed
    res = client.put(f"{URL}/eventos/{evento}/", json={"plantilla_id": p["id"], **cuerpo}, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert campo in [e["field"] for e in res.json()["errors"]], res.text
    assert client.get(f"{URL}/eventos/", headers=admin_headers).json()["total"] == 0


def test_a_document_header_template_needs_the_events_link(client: TestClient, admin_headers: H,
                                                          meta: MetaSandbox, cuenta: dict) -> None:
    res = client.post(f"{URL}/plantillas/", json={
        "nombre": "comprobante_pdf", "categoria": "UTILITY", "texto": "Hola {{1}}, adjuntamos su {{2}}.",
        "ejemplos": ["Ana", "F001-1"], "encabezado_formato": "DOCUMENT", "encabezado_ejemplo": "4::cGRm:ARZ"},
        headers=admin_headers)
    assert res.status_code == 201, res.text
    sin = _mapear(client, admin_headers, "COMPROBANTE_EMITIDO", res.json()["id"], ["cliente", "documento"])
    assert sin.status_code == 400 and sin.json()["errors"][0]["field"] == "encabezado"
    con = _mapear(client, admin_headers, "COMPROBANTE_EMITIDO", res.json()["id"], ["cliente", "documento"],
                  encabezado="pdf_url")
    assert con.status_code == 200 and con.json()["encabezado"] == "pdf_url"
    otra = _mapear(client, admin_headers, "COMPROBANTE_EMITIDO", res.json()["id"], ["cliente", "total"],
                   encabezado="pdf_url", activo=False)  # the event's one mapping is replaced
    assert otra.status_code == 200 and otra.json()["id"] == con.json()["id"] and otra.json()["activo"] is False


def _otp(cliente_id: int, codigo: str) -> Aviso:
    return Aviso("PEDIDO_EN_RUTA", cliente_id, {"cliente": "Ana", "pedido": "PED-9", "codigo": codigo,
                                                "enlace_seguimiento": "https://erp.pe/seguimiento/x",
                                                "vigencia_horas": "12", "empresa": ""},
                 Correo(["ana@cliente.pe"], "Su pedido PED-9 está en camino", f"Código de entrega: {codigo}"),
                 "pedidos", "9")


def test_whatsapp_first_then_the_email_when_meta_refuses_each_attempt_recorded_and_the_code_not_kept(
        client: TestClient, admin_headers: H, meta: MetaSandbox, plantilla: Callable, cliente_wa: Callable,
        smtp_server) -> None:  # noqa: ANN001
    p = plantilla("pedido_en_camino", "Hola {{1}}, su pedido {{2}} va en camino. Código {{3}}.", ("Ana", "P-1", "1"))
    assert _mapear(client, admin_headers, "PEDIDO_EN_RUTA", p["id"], ["cliente", "pedido", "codigo"]
                   ).status_code == 200
    cliente = cliente_wa()
    aceptado, rechazado = _avisar(_otp(cliente, "654321")), _avisar(_otp(cliente, "112233"))
    ids = _fila("SELECT array_agg(wa_mensaje_id ORDER BY id) FROM notificaciones_cliente")[0]
    mensajes = dict(zip([aceptado, rechazado], ids, strict=True))

    # as NotificarCliente runs it: the message workflow's send, then the verdict, then (if refused) the e-mail
    assert whatsapp.despachar(mensajes[aceptado]).resultado == "ACEPTADO"
    assert notificaciones_cliente.concluir_whatsapp(aceptado) is True
    meta.fallar(131026, message="Message undeliverable")  # not a WhatsApp user: refused, not retried
    assert whatsapp.despachar(mensajes[rechazado]).resultado == "FALLIDO"
    assert notificaciones_cliente.concluir_whatsapp(rechazado) is False
    assert notificaciones_cliente.enviar_correo(rechazado) is True
    assert notificaciones_cliente.enviar_correo(rechazado) is True  # a retried activity mails nobody twice

    [correo] = smtp_server.messages()
    assert correo["To"] == "ana@cliente.pe" and "112233" in correo.get_content()
    [enviado] = meta.enviados
    cuerpo = enviado.body["template"]["components"][0]["parameters"]
    assert [c["text"] for c in cuerpo] == ["Ana", "PED-9", "654321"]
    items = {n["id"]: n for n in client.get(f"{URL}/notificaciones/", headers=admin_headers).json()["items"]}
    assert (items[aceptado]["estado"], items[aceptado]["canal_final"]) == ("ENVIADA", "WHATSAPP")
    assert (items[rechazado]["estado"], items[rechazado]["canal_final"]) == ("ENVIADA", "EMAIL")
    assert [(i["canal"], i["resultado"]) for i in items[rechazado]["intentos"]] == [("WHATSAPP", "FALLIDO"),
                                                                                     ("EMAIL", "ENVIADO")]
    assert "131026" in items[rechazado]["intentos"][0]["detalle"]
    # the delivery code is not kept once out: neither the e-mail nor (once Meta delivered it) the WhatsApp
    entregar(client, meta)  # Meta's sent/delivered/read webhooks
    with session_scope() as session:
        assert [n.correo for n in session.exec(select(NotificacionCliente))] == ["", ""]
    assert _fila("SELECT parametros_json FROM wa_mensajes WHERE id = :m", m=mensajes[aceptado])[0] == ["***"] * 3


def _cxc(cliente_id: int, documento: str, vence: date, saldo: str = "118.00") -> None:
    with session_scope() as session:
        session.execute(text("""
            INSERT INTO cuentas_por_cobrar (cliente_id, cliente_numero_doc, cliente_razon_social, comprobante_id,
                documento, cuota, moneda, tipo_cambio, monto_total, monto_pagado, saldo, saldo_pen, fecha_emision,
                fecha_vencimiento, estado, created_at)
            VALUES (:c, '45678912', 'Ana Díaz', CAST(right(:d, 1) AS int), :d, 1, 'PEN', 1, 118,
                    118 - CAST(:s AS numeric), CAST(:s AS numeric), CAST(:s AS numeric), CAST(:v AS date) - 30, :v,
                    'PENDIENTE', now())"""), {"c": cliente_id, "d": documento, "v": vence, "s": saldo})


def test_overdue_receivables_are_reminded_once_per_milestone_catching_up_missed_days(
        client: TestClient, admin_headers: H, recordatorio: dict, cliente_wa: Callable) -> None:
    cliente, hoy = cliente_wa(), date(2026, 12, 1)
    _cxc(cliente, "F001-1", hoy - timedelta(days=1))
    _cxc(cliente, "F001-2", hoy)  # due today: not overdue yet
    _cxc(cliente, "F001-3", hoy - timedelta(days=3), saldo="0.00")  # paid
    _cxc(cliente, "F001-4", hoy - timedelta(days=9))  # the 7-day milestone
    assert notificaciones_cliente.recordar_vencidas(hoy) == 2
    assert notificaciones_cliente.recordar_vencidas(hoy) == 0  # the schedule ran twice: nobody twice
    assert notificaciones_cliente.recordar_vencidas(hoy + timedelta(days=2)) == 1  # only F001-2 reaches one
    assert notificaciones_cliente.recordar_vencidas(hoy + timedelta(days=8)) == 3  # 9, 17 and 8 days: 7, 15, 7
    items = client.get(f"{URL}/notificaciones/?evento=CXC_VENCIDA", headers=admin_headers).json()["items"]
    with session_scope() as session:
        cxc = dict(session.execute(text("SELECT documento, id FROM cuentas_por_cobrar")).all())
    assert sorted(i["dedupe_key"] for i in items) == sorted(
        f"CXC_VENCIDA:{cxc[d]}:{h}" for d, h in (("F001-1", 1), ("F001-4", 7), ("F001-2", 1), ("F001-1", 7),
                                                 ("F001-4", 15), ("F001-2", 7)))
    assert {i["canal"] for i in items} == {"WHATSAPP"}
    params = _fila("SELECT parametros_json FROM wa_mensajes ORDER BY id LIMIT 1")[0]
    assert params == [f"Cliente {45678912}", "F001-1", "1"]


@pytest.fixture
def dos_comprobantes() -> list[int]:
    """Two issued comprobantes with their PDFs stored (the rows the issuing workflow leaves)."""
    ids = []
    with session_scope() as s:
        for numero in (1, 2):
            ruta = f"tests/comprobantes/F001-{numero}.pdf"
            get_storage().put(ruta, b"%PDF-1.7 F001-" + str(numero).encode())
            c = Comprobante(tipo="01", serie="F001", numero=numero, fecha_emision=date(2026, 12, 1),
                            hora_emision=dt_time(10), cliente_tipo_doc="6", cliente_numero_doc="20601234567",
                            cliente_razon_social="CLIENTE S.A.C.", pdf_path=ruta)
            s.add(c)
            s.flush()
            ids.append(c.id)
    return ids


def test_a_comprobantes_public_link_is_signed_like_an_export_and_bound_to_its_comprobante(
        client: TestClient, dos_comprobantes: list[int]) -> None:
    uno, dos = dos_comprobantes
    enlace = notificaciones_cliente.enlace_pdf(uno)
    ruta = enlace[enlace.index("/api/"):]
    assert ruta.startswith(f"/api/whatsapp/publico/comprobantes/{uno}/?expira=")
    res = client.get(ruta)  # no token: the signature is the credential
    assert res.status_code == 200 and res.content == b"%PDF-1.7 F001-1"
    expira = int(parse_qs(urlsplit(ruta).query)["expira"][0])
    assert 29 * 86400 < expira - time.time() <= 30 * 86400  # the 30 days customers were promised

    firma = parse_qs(urlsplit(ruta).query)["firma"][0]
    otra = ("0" if firma[0] != "0" else "1") + firma[1:]
    for alterada in (ruta.replace(firma, otra),  # signature changed
                     ruta.replace(f"expira={expira}", f"expira={expira + 86400}"),  # validity pushed back
                     ruta.replace(f"/comprobantes/{uno}/", f"/comprobantes/{dos}/"),  # another comprobante
                     f"/api/whatsapp/publico/comprobantes/{uno}/"):  # no signature at all
        res = client.get(alterada)
        assert res.status_code == 403, (alterada, res.text)
        assert res.json()["errors"][0]["field"] == "firma"
    # an export's signature over the same path and expiry does not open it either (the purpose is signed)
    de_exportacion, _ = enlaces.firmar("exportacion", f"/api/whatsapp/publico/comprobantes/{uno}/",
                                       timedelta(days=30))
    assert client.get(de_exportacion).status_code == 403

    vencido = notificaciones_cliente.enlace_pdf(uno, ahora=time.time() - 30 * 86400 - 1)  # genuine, 1 s past
    res = client.get(vencido[vencido.index("/api/"):])
    assert res.status_code == 410 and res.json()["code"] == "gone"
    assert client.get(notificaciones_cliente.enlace_pdf(999)[len(get_settings().public_base_url.rstrip("/")):]) \
        .status_code == 404  # genuine link, no such comprobante


def test_a_link_of_the_older_jwt_kind_opens_until_it_expires(client: TestClient, dos_comprobantes: list[int]) -> None:
    """Links already sent to customers on WhatsApp (a JWT signed with SECRET_KEY, 30 days) keep working."""
    uno = dos_comprobantes[0]
    settings = get_settings()

    def antiguo(cid: int, vence: datetime, tipo: str = "comprobante_pdf") -> str:
        token = jwt.encode({"tipo": tipo, "cid": cid, "exp": vence}, settings.secret_key,
                           algorithm=settings.jwt_algorithm)
        return f"/api/whatsapp/publico/comprobantes/{token}/"

    ahora = datetime.now(UTC)
    res = client.get(antiguo(uno, ahora + timedelta(days=29)))
    assert res.status_code == 200 and res.content == b"%PDF-1.7 F001-1"
    assert client.get(antiguo(uno, ahora - timedelta(seconds=1))).status_code == 404  # expired, as it always was
    assert client.get(antiguo(uno, ahora + timedelta(days=1), tipo="otro")).status_code == 404
    assert client.get(antiguo(uno, ahora + timedelta(days=1)).replace("/comprobantes/", "/comprobantes/x")) \
        .status_code == 404  # altered


def test_a_whatsapp_that_fails_after_meta_accepted_it_is_sent_by_email_after_all(
        client: TestClient, admin_headers: H, meta: MetaSandbox, recordatorio: dict, cliente_wa: Callable,
        smtp_server) -> None:  # noqa: ANN001
    meta.auto_status = ()
    n = _avisar(_vencida(cliente_wa()))
    m = _fila("SELECT wa_mensaje_id FROM notificaciones_cliente WHERE id = :n", n=n)[0]
    assert whatsapp.despachar(m).resultado == "ACEPTADO" and notificaciones_cliente.concluir_whatsapp(n)
    meta.estado(meta.enviados[0].wamid, "failed", 131026)  # the number is not on WhatsApp after all
    entregar(client, meta)
    [aviso] = client.get(f"{URL}/notificaciones/", headers=admin_headers).json()["items"]
    assert (aviso["estado"], aviso["canal_final"]) == ("PENDIENTE", None)
    assert _fila("SELECT count(*) FROM outbox WHERE workflow_id = :w", w=f"aviso-{n}-correo")[0] == 1
    assert notificaciones_cliente.enviar_correo(n) is True  # what that workflow does
    [aviso] = client.get(f"{URL}/notificaciones/", headers=admin_headers).json()["items"]
    assert (aviso["estado"], aviso["canal_final"]) == ("ENVIADA", "EMAIL")
    assert [(i["canal"], i["resultado"]) for i in aviso["intentos"]] == [("WHATSAPP", "FALLIDO"), ("EMAIL", "ENVIADO")]
    assert "tras aceptarlo" in aviso["intentos"][0]["detalle"] and len(smtp_server.messages()) == 1

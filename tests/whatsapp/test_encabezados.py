"""Media headers (IMAGE, VIDEO, DOCUMENT): the template is submitted with Meta's sample handle, every send
carries the file as the header parameter Meta's reference shows, and both our API and Meta's stand-in refuse
a send without it (400 before Meta; 132012 from Meta)."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import session_scope
from integrations.whatsapp import client as graph
from integrations.whatsapp.sandbox import MetaSandbox
from services import whatsapp, whatsapp_campanas
from tests.whatsapp.conftest import CUENTA, H, entregar

URL = "/api/whatsapp"
MANUAL = {"tipo": "document", "link": "https://erp.pe/archivos/catalogo.pdf", "filename": "catalogo-2027.pdf"}


@pytest.fixture
def con_documento(client: TestClient, admin_headers: H, meta: MetaSandbox, cuenta: dict) -> dict:
    res = client.post(f"{URL}/plantillas/", json={
        "nombre": "catalogo_nuevo", "categoria": "MARKETING", "texto": "Hola {{1}}, le enviamos el catálogo.",
        "ejemplos": ["Ana"], "encabezado_formato": "DOCUMENT", "encabezado_ejemplo": "4::YXBwbGljYXRpb24vcGRm:ARZ"},
        headers=admin_headers)
    assert res.status_code == 201, res.text
    meta.decidir(res.json()["meta_template_id"], "APPROVED")
    entregar(client, meta)
    return res.json()


def test_a_document_header_template_is_submitted_with_its_sample_handle(con_documento: dict,
                                                                        meta: MetaSandbox) -> None:
    assert con_documento["encabezado_formato"] == "DOCUMENT"
    header, _body = meta.plantillas[con_documento["meta_template_id"]].components
    assert header == {"type": "HEADER", "format": "DOCUMENT",
                      "example": {"header_handle": ["4::YXBwbGljYXRpb24vcGRm:ARZ"]}}


@pytest.mark.parametrize("cambio", [{"encabezado_formato": "IMAGE"},
                                    {"encabezado_formato": "VIDEO", "encabezado": "Hola",
                                     "encabezado_ejemplo": "4::dmlkZW8=:ARZ"}])
def test_a_media_header_needs_a_sample_handle_and_no_text(client: TestClient, admin_headers: H, cuenta: dict,
                                                         cambio: dict) -> None:
    res = client.post(f"{URL}/plantillas/", json={"nombre": "promo", "categoria": "MARKETING", "texto": "Oferta",
                                                  **cambio}, headers=admin_headers)
    assert res.status_code == 400 and "encabezado_ejemplo" in res.text


def test_metas_stand_in_refuses_a_media_header_without_its_handle_or_a_send_without_its_file(
        meta: MetaSandbox, con_documento: dict) -> None:
    with pytest.raises(graph.GraphError) as sin_handle:
        graph.crear_plantilla(CUENTA.waba_id, CUENTA.token, "otra", "es_PE", "MARKETING",
                              [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Hola"}])
    assert sin_handle.value.code == 100
    sin_archivo = graph.cuerpo_plantilla("51987654321", "catalogo_nuevo", "es_PE", ["Ana"])
    with pytest.raises(graph.GraphError) as exc:
        graph.enviar(CUENTA.phone_number_id, CUENTA.token, sin_archivo)
    assert exc.value.code == 132012 and not exc.value.reintentable  # recorded on the message, not retried
    imagen = graph.cuerpo_plantilla("51987654321", "catalogo_nuevo", "es_PE", ["Ana"],
                                    {"type": "image", "image": {"link": "https://erp.pe/a.png"}})
    with pytest.raises(graph.GraphError) as exc:
        graph.enviar(CUENTA.phone_number_id, CUENTA.token, imagen)
    assert exc.value.code == 132012
    assert meta.enviados == []


def test_a_send_carries_the_file_as_metas_header_parameter_and_without_it_is_a_400_before_meta(
        client: TestClient, admin_headers: H, meta: MetaSandbox, con_documento: dict, cliente_wa: Callable) -> None:
    cliente_id = cliente_wa()
    base = {"cliente_id": cliente_id, "plantilla_id": con_documento["id"], "parametros": ["Ana"]}
    for malo in ({}, {"encabezado": {**MANUAL, "tipo": "image"}}):
        res = client.post(f"{URL}/mensajes/enviar/", json={**base, **malo}, headers=admin_headers)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == "encabezado", res.text
    res = client.post(f"{URL}/mensajes/enviar/", json={**base, "encabezado": MANUAL}, headers=admin_headers)
    assert res.status_code == 202, res.text
    assert whatsapp.despachar(res.json()["id"]).resultado == "ACEPTADO"
    [enviado] = meta.enviados
    assert enviado.body["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "document", "document": {
            "link": "https://erp.pe/archivos/catalogo.pdf", "filename": "catalogo-2027.pdf"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]


def test_a_campaigns_file_goes_to_every_recipient(client: TestClient, admin_headers: H, meta: MetaSandbox,
                                                  con_documento: dict, cliente_wa: Callable) -> None:
    cliente_wa(), cliente_wa("987654322", doc="45678913")
    body = {"nombre": "Catálogo", "plantilla_id": con_documento["id"], "parametros": ["razon_social"]}
    res = client.post(f"{URL}/campanas/", json=body, headers=admin_headers)
    assert res.status_code == 201
    assert client.post(f"{URL}/campanas/{res.json()['id']}/ejecutar/", headers=admin_headers).status_code == 400
    res = client.post(f"{URL}/campanas/", json={**body, "encabezado": MANUAL}, headers=admin_headers)
    campana_id = res.json()["id"]
    assert res.json()["encabezado"]["document"]["filename"] == "catalogo-2027.pdf"
    assert client.post(f"{URL}/campanas/{campana_id}/ejecutar/", headers=admin_headers).status_code == 202
    assert whatsapp_campanas.preparar(campana_id) == 2  # the workflow's first activity
    with session_scope() as session:
        ids = session.execute(text("SELECT id FROM wa_mensajes WHERE campana_id = :c"), {"c": campana_id}).scalars()
        assert [whatsapp.despachar(i).resultado for i in ids] == ["ACEPTADO", "ACEPTADO"]
    assert {e.body["template"]["components"][0]["parameters"][0]["document"]["filename"]
            for e in meta.enviados} == {"catalogo-2027.pdf"}

"""Customer notifications end to end on the real worker: module 3's comprobante reaches an opted-in customer
as a WhatsApp template with the PDF as its DOCUMENT header (the public link Meta fetches), and module 4's
delivery code goes by WhatsApp and confirms the delivery. Without opt-in the same events go by e-mail
(tests/facturacion/test_desde_venta.py, tests/distribucion/test_entrega.py: the same routes, unchanged)."""

import time
from collections.abc import Callable
from urllib.parse import urlparse

from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import session_scope
from integrations.whatsapp.sandbox import Enviado, MetaSandbox
from tests.conftest import BackgroundWorker
from tests.distribucion.fixtures import chofer, en_ruta
from tests.facturacion.conftest import RUC_CLIENTE, emitir, esperar, factura, sunat  # noqa: F401
from tests.sunat_transport.conftest import sandbox  # noqa: F401 - the session's local SUNAT
from tests.whatsapp.conftest import H, entregar

pytest_plugins = ["tests.distribucion.fixtures"]
URL = "/api/whatsapp"


def _enviado_a_meta(meta: MetaSandbox, nombre: str, segundos: float = 60) -> Enviado:
    limite = time.monotonic() + segundos
    while time.monotonic() < limite:
        if hallado := [e for e in meta.enviados if e.body.get("template", {}).get("name") == nombre]:
            return hallado[0]
        time.sleep(0.1)
    raise AssertionError(f"Meta did not receive {nombre} within {segundos} s")


def _aprobada(client: TestClient, headers: H, meta: MetaSandbox, **cuerpo: object) -> dict:
    res = client.post(f"{URL}/plantillas/", json={"idioma": "es_PE", "categoria": "UTILITY", **cuerpo}, headers=headers)
    assert res.status_code == 201, res.text
    meta.decidir(res.json()["meta_template_id"], "APPROVED")
    entregar(client, meta)
    return res.json()


def test_a_comprobante_reaches_an_opted_in_customer_by_whatsapp_with_its_pdf_as_the_document_header(
        client: TestClient, admin_headers: H, meta: MetaSandbox, cuenta: dict, sunat, emitir: Callable,  # noqa: ANN001, F811
        esperar: Callable, smtp_server, worker: BackgroundWorker) -> None:  # noqa: ANN001, F811
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET notificar_cliente = true"))
    res = client.post("/api/clientes/", json={"tipo_doc": "6", "numero_doc": RUC_CLIENTE, "telefono": "987654321",
                                              "razon_social": "CLIENTE DEMO S.A.C."}, headers=admin_headers)
    cliente_id = res.json()["id"]
    assert client.post(f"{URL}/contactos/", json={"cliente_id": cliente_id, "medio": "TIENDA",
                                                  "evidencia": "Sí acepto"}, headers=admin_headers).status_code == 201
    p = _aprobada(client, admin_headers, meta, nombre="comprobante_pdf", texto="Hola {{1}}, su {{2}} por S/ {{3}}.",
                  ejemplos=["Ana", "F001-1", "118.00"], encabezado_formato="DOCUMENT",
                  encabezado_ejemplo="4::YXBwbGljYXRpb24vcGRm:ARZ")
    assert client.put(f"{URL}/eventos/COMPROBANTE_EMITIDO/", json={
        "plantilla_id": p["id"], "parametros": ["cliente", "documento", "total"], "encabezado": "pdf_url"},
        headers=admin_headers).status_code == 200

    c = emitir(factura())
    esperar(c["id"], "ACEPTADO", archivo="pdf")
    enviado = _enviado_a_meta(meta, "comprobante_pdf")
    header, body = enviado.body["template"]["components"]
    assert [x["text"] for x in body["parameters"]] == ["CLIENTE DEMO S.A.C.", "F001-1", "236.00"]
    [documento] = header["parameters"]
    assert documento["type"] == "document" and documento["document"]["filename"] == "20100066603-01-F001-1.pdf"
    enlace = urlparse(documento["document"]["link"])
    pdf = client.get(f"{enlace.path}?{enlace.query}")  # public: what Meta and the customer fetch
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    def enviada() -> dict | None:
        [n] = client.get(f"{URL}/notificaciones/?evento=COMPROBANTE_EMITIDO", headers=admin_headers).json()["items"]
        return n if n["estado"] == "ENVIADA" else None

    limite = time.monotonic() + 30
    while not (n := enviada()):
        assert time.monotonic() < limite, "the notice was not closed"
        time.sleep(0.1)
    assert (n["canal_final"], n["objeto_id"], n["cliente_id"]) == ("WHATSAPP", str(c["id"]), cliente_id)
    assert smtp_server.messages() == []  # one channel, not both


def test_the_delivery_code_goes_by_whatsapp_and_confirms_the_delivery(
        despacho, make_user: Callable, meta: MetaSandbox, cuenta: dict, smtp_server,  # noqa: ANN001
        worker: BackgroundWorker) -> None:  # the SMTP server outlives the worker: its last mail is in flight
    client, admin = despacho.client, despacho.admin
    assert client.post(f"{URL}/contactos/", json={"cliente_id": despacho.cliente_id, "medio": "TIENDA",
                                                  "evidencia": "Acepto avisos de mis pedidos"},
                       headers=admin).status_code == 201
    p = _aprobada(client, admin, meta, nombre="pedido_en_camino",
                  texto="Hola {{1}}, su pedido {{2}} va en camino: {{3}}. Código de entrega: {{4}}.",
                  ejemplos=["Ana", "PED-1", "https://erp.pe/s/x", "123456"])
    assert client.put(f"{URL}/eventos/PEDIDO_EN_RUTA/", json={
        "plantilla_id": p["id"], "parametros": ["cliente", "pedido", "enlace_seguimiento", "codigo"]},
        headers=admin).status_code == 200
    producto = despacho.producto("WA", stock="5")
    pedido = despacho.pedido(producto, "1")
    transportista, headers_chofer = chofer(despacho, make_user, "WAP-101")
    en_ruta(despacho, transportista, pedido["id"])

    enviado = _enviado_a_meta(meta, "pedido_en_camino")
    cliente, documento, enlace, codigo = (x["text"] for x in enviado.body["template"]["components"][0]["parameters"])
    assert (cliente, documento, enviado.to) == ("María Quispe", f"PED-{pedido['id']}", "51987654321")
    assert enlace.endswith(f"/seguimiento/{pedido['codigo_seguimiento']}") and len(codigo) == 6
    res = client.post(f"/api/entregas/{pedido['id']}/confirmar/", headers=headers_chofer,
                      data={"otp": codigo, "latitud": "-12.1212", "longitud": "-77.0298"})
    assert res.status_code == 200, res.text
    assert res.json()["asignacion"]["otp_verificado"] is True
    limite = time.monotonic() + 30  # the workflow's last step (the delivered mail) ends before the worker stops
    while not any("entregado" in m["Subject"] for m in smtp_server.messages()):
        assert time.monotonic() < limite, "the delivered notice was not mailed"
        time.sleep(0.1)
    assert not any("en camino" in m["Subject"] for m in smtp_server.messages())  # WhatsApp carried it

"""Module 7 fixtures: the local Meta Cloud API stand-in (integrations.whatsapp.sandbox), an account
registered in both, approved templates, opted-in clients, and delivering Meta's signed webhooks."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from integrations.whatsapp.sandbox import Cuenta, MetaSandbox
from services import whatsapp_webhook
from tests.conftest import set_env
from tests.ventas_fixtures import servidor  # noqa: F401 - the real uvicorn app, for Meta's webhooks

CUENTA = Cuenta("100000000000001", "200000000000001", "token-de-prueba-123", "secreto-de-la-app-123")
H = dict[str, str]


@pytest.fixture
def meta() -> Iterator[MetaSandbox]:
    """Meta's Graph API on loopback; webhooks are kept (`entregar`) unless a test gives a webhook URL."""
    sandbox = MetaSandbox().start()
    sandbox.registrar(Cuenta(**vars(CUENTA)))
    set_env(WHATSAPP_GRAPH_URL=sandbox.url)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def cuenta(client: TestClient, admin_headers: H, meta: MetaSandbox) -> dict[str, Any]:
    body = {"phone_number_id": CUENTA.phone_number_id, "business_account_id": CUENTA.waba_id,
            "token": CUENTA.token, "app_secret": CUENTA.app_secret, "nombre_display": "JSoluciones",
            "tier": "TIER_2K"}
    res = client.post("/api/whatsapp/cuentas/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    return res.json()


def entregar(client: TestClient, meta: MetaSandbox) -> list[int]:
    """Deliver the webhooks Meta produced to our endpoint (signed as Meta signs them) and process them as
    the workflow's activity does."""
    logs = []
    for raw, headers in meta.retenidos_pop():
        res = client.post("/api/whatsapp/webhook/", content=raw, headers=headers)
        assert res.status_code == 200, res.text
        logs.append(res.json()["log_id"])
        whatsapp_webhook.procesar(logs[-1])
    return logs


@pytest.fixture
def plantilla(client: TestClient, admin_headers: H, meta: MetaSandbox, cuenta: dict) -> Callable[..., dict]:
    def crear(nombre: str = "aviso_pedido", texto: str = "Hola {{1}}, su pedido {{2}} está listo.",
              ejemplos: tuple[str, ...] = ("Ana", "P-12"), decision: str | None = "APPROVED") -> dict:
        body = {"nombre": nombre, "idioma": "es_PE", "categoria": "UTILITY", "texto": texto,
                "ejemplos": list(ejemplos)}
        res = client.post("/api/whatsapp/plantillas/", json=body, headers=admin_headers)
        assert res.status_code == 201, res.text
        if decision:
            meta.decidir(res.json()["meta_template_id"], decision)
            entregar(client, meta)
        return res.json()
    return crear


@pytest.fixture
def cliente_wa(client: TestClient, admin_headers: H) -> Callable[..., int]:
    """A client with a WhatsApp number, opted in (or not)."""
    def crear(telefono: str = "987 654 321", opt_in: bool = True, doc: str = "45678912",
              **extra: Any) -> int:
        res = client.post("/api/clientes/", json={"tipo_doc": "1", "numero_doc": doc, "razon_social": f"Cliente {doc}",
                                                  "telefono": telefono, **extra}, headers=admin_headers)
        assert res.status_code == 201, res.text
        cliente_id = res.json()["id"]
        if opt_in:
            res = client.post("/api/whatsapp/contactos/", json={
                "cliente_id": cliente_id, "medio": "FORMULARIO_WEB", "fuente": "https://tienda.pe/alta",
                "evidencia": "Acepto recibir avisos de mis pedidos por WhatsApp"}, headers=admin_headers)
            assert res.status_code == 201, res.text
        return cliente_id
    return crear

"""Shared helpers for the sales-note tests: a sample document and a real uvicorn server."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from core.embedded import free_port

RUT_CLIENTE = "76.086.428-5"


def documento(**overrides: Any) -> dict[str, Any]:
    doc = {
        "customer_rut": "76086428-5", "customer_razon_social": "Constructora Andes SpA",
        "customer_giro": "Construcción", "customer_direccion": "Av. Apoquindo 4501 of. 1201",
        "customer_comuna": "Las Condes", "customer_ciudad": "Santiago", "customer_contacto": "María Pérez",
        "forma_pago": "Transferencia 30 días", "proyecto": "Edificio Los Leones", "presupuesto": "P-2025-041",
        "observaciones": "Entrega en obra", "vendedor": "Juan Soto", "issue_date": "2025-09-17",
        "items": [{"description": "Asesoría estructural", "quantity": "2", "unit_price": "150000"},
                  {"description": "Visita a terreno", "quantity": "1", "unit_price": "45000", "discount_pct": "10"}],
    }
    doc.update(overrides)
    return doc


def crear(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    res = client.post("/api/notas-venta/", json=documento(**overrides), headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


class LiveServer:
    """The ERP API on a free loopback port, served by uvicorn in a thread."""

    def __init__(self) -> None:
        from api.main import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=self.port,
                                                    log_level="warning", limit_concurrency=200))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(db: None) -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server

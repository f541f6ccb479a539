"""Fixtures for module 3: the local SUNAT sandbox (real SOAP on loopback), the settings pointing at it,
and helpers to issue comprobantes through the API and wait for the workflow's decision."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrations.sunat.sandbox.servidor import SandboxEnEjecucion
from tests.conftest import set_env
from tests.sunat_transport.conftest import sandbox  # noqa: F401 - the session's local SUNAT

RUC_CLIENTE = "20100047218"  # in the sandbox padrón
RUC_NO_INSCRITO = "20601030021"  # checksum-valid, unknown to SUNAT


@pytest.fixture
def sunat(sandbox: SandboxEnEjecucion, tmp_path: Path) -> Iterator[SandboxEnEjecucion]:  # noqa: F811
    """A clean sandbox and storage (numbering restarts with every test database) and fast contingency
    timers."""
    sandbox.reset()
    set_env(STORAGE_DIR=str(tmp_path / "storage"), SUNAT_ENV="sandbox",
            SUNAT_SANDBOX_PORT=str(sandbox.servidor.port),
            SUNAT_REINTENTO_INICIAL_S="0.5", SUNAT_REINTENTO_MAXIMO_S="2")
    yield sandbox
    sandbox.modo("normal")


def factura(ruc: str = RUC_CLIENTE, descripcion: str = "Servicio de consultoría", cantidad: str = "2",
            valor: str = "100.00") -> dict:
    return {"cliente": {"tipo_documento": "6", "numero_documento": ruc, "razon_social": "CLIENTE DEMO S.A.C.",
                        "direccion": "AV. AREQUIPA 100, LIMA"},
            "lineas": [{"codigo_producto": "P001", "descripcion": descripcion, "cantidad": cantidad,
                        "valor_unitario": valor}]}


def boleta(dni: str = "45678912") -> dict:
    return {"cliente": {"tipo_documento": "1", "numero_documento": dni, "razon_social": "JUAN PEREZ"},
            "lineas": [{"codigo_producto": "P002", "descripcion": "Producto", "cantidad": "1",
                        "valor_unitario": "50.00"}]}


@pytest.fixture
def emitir(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., dict]:
    def _emitir(body: dict | None = None) -> dict:
        res = client.post("/api/facturacion/emitir/", json=body or factura(), headers=admin_headers)
        assert res.status_code == 201, res.text
        return res.json()

    return _emitir


@pytest.fixture
def esperar(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., dict]:
    """Poll the API until the comprobante reaches one of `estados` (short interval, bounded)."""

    def _esperar(comprobante_id: int, *estados: str, timeout: float = 30.0, archivo: str | None = None) -> dict:
        limite = time.monotonic() + timeout
        while True:
            res = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/", headers=admin_headers)
            assert res.status_code == 200, res.text
            body = res.json()
            listo = body["estado_sunat"] in estados and (archivo is None or client.get(
                f"/api/facturacion/comprobantes/{comprobante_id}/{archivo}/", headers=admin_headers).status_code == 200)
            if listo:
                return body
            assert time.monotonic() < limite, f"estado {body['estado_sunat']}, esperado {estados}: {body}"
            time.sleep(0.1)

    return _esperar

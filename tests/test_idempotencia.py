"""Idempotency-Key on the creating endpoints: a retry after a time-out gets the first answer (same status
and body) instead of a second document; the key lives in the document's transaction; the same key with
another body is refused; concurrent identical retries create one document."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import Allowed, SessionDep, idempotent
from core.db import session_scope
from core.schemas import Entrada, Salida
from tests.facturacion.conftest import factura
from tests.notas_venta.conftest import documento
from tests.ventas_fixtures import contar, venta

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def _clave() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_a_retried_sale_returns_the_first_answer_and_sells_once(tienda, cajero):
    producto = tienda.producto("IDEM-1", stock="10")
    headers = cajero | _clave()
    primera = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "2", "23.60"))
    segunda = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "2", "23.60"))
    assert primera.status_code == segunda.status_code == 201, segunda.text
    assert segunda.json() == primera.json()
    assert segunda.headers["idempotent-replayed"] == "true"
    assert contar("ventas") == 1 and contar("comprobantes") == 1
    assert contar("movimientos_stock", "tipo_movimiento = 'VENTA'") == 1
    # Without a key every POST is a new sale, as before, and answered in the same shape (money as strings).
    sin_clave = tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "2", "23.60"))
    assert sin_clave.status_code == 201 and contar("ventas") == 2
    assert sin_clave.json().keys() == primera.json().keys() and primera.json()["total"] == "23.60"
    assert primera.json() == tienda.client.get(f"/api/ventas/{primera.json()['id']}/", headers=cajero).json()


def test_same_key_with_another_body_is_422_and_writes_nothing(tienda, cajero):
    producto = tienda.producto("IDEM-2", stock="10")
    headers = cajero | _clave()
    assert tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "1", "11.80")).status_code == 201
    otra = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "3", "35.40"))
    assert otra.status_code == 422, otra.text
    assert otra.json()["errors"][0]["field"] == "Idempotency-Key"
    assert contar("ventas") == 1


def test_a_failed_creation_stores_no_key_so_the_corrected_retry_creates(tienda, cajero):
    producto = tienda.producto("IDEM-3", stock="1")
    headers = cajero | _clave()
    sin_stock = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "5", "59.00"))
    assert sin_stock.status_code == 400, sin_stock.text
    assert contar("claves_idempotencia") == 0 and contar("ventas") == 0
    corregida = tienda.client.post("/api/ventas/", headers=headers, json=venta(producto, "1", "11.80"))
    assert corregida.status_code == 201, corregida.text
    assert contar("claves_idempotencia") == 1 and contar("ventas") == 1


def test_a_key_belongs_to_its_user(tienda, cajero, make_user):
    producto = tienda.producto("IDEM-4", stock="10")
    _, otro = make_user("CAJERO")
    tienda.abrir_caja(otro)
    clave = _clave()
    for headers in (cajero, otro):
        res = tienda.client.post("/api/ventas/", headers=headers | clave, json=venta(producto, "1", "11.80"))
        assert res.status_code == 201 and "idempotent-replayed" not in res.headers
    assert contar("ventas") == 2


def test_invalid_key_is_a_400_naming_the_header(tienda, cajero):
    producto = tienda.producto("IDEM-5", stock="10")
    res = tienda.client.post("/api/ventas/", headers=cajero | {"Idempotency-Key": "x" * 256},
                             json=venta(producto, "1", "11.80"))
    assert res.status_code == 400, res.text
    assert "Idempotency-Key" in res.json()["errors"][0]["field"]


def test_comprobante_and_credit_note_are_idempotent(client, admin_headers):
    headers = admin_headers | _clave()
    primera = client.post("/api/facturacion/emitir/", headers=headers, json=factura())
    segunda = client.post("/api/facturacion/emitir/", headers=headers, json=factura())
    assert primera.status_code == segunda.status_code == 201, segunda.text
    assert segunda.json() == primera.json() and primera.json()["numero"] == 1
    with session_scope() as s:  # SUNAT's acceptance is not what this test is about
        s.execute(text("UPDATE comprobantes SET estado_sunat = 'ACEPTADO' WHERE id = :id"),
                  {"id": primera.json()["id"]})
    nota = {"tipo": "07", "comprobante_origen_id": primera.json()["id"], "motivo_codigo": "01",
            "motivo_descripcion": "Anulación de la operación"}
    nc_headers = admin_headers | _clave()
    respuestas = [client.post("/api/facturacion/notas/", headers=nc_headers, json=nota) for _ in range(2)]
    assert [r.status_code for r in respuestas] == [201, 201], respuestas[0].text
    assert respuestas[0].json() == respuestas[1].json()
    assert contar("comprobantes") == 2


def test_concurrent_identical_retries_create_one_sales_note(servidor, admin_headers):
    headers = admin_headers | _clave()

    def crear(_: int) -> httpx.Response:
        return httpx.post(f"{servidor}/api/notas-venta/", headers=headers, json=documento(), timeout=60)

    with ThreadPoolExecutor(12) as pool:
        respuestas = list(pool.map(crear, range(12)))
    assert {r.status_code for r in respuestas} == {201}, [r.text for r in respuestas if r.status_code != 201]
    assert len({r.text for r in respuestas}) == 1
    assert sum("idempotent-replayed" in r.headers for r in respuestas) == 11
    assert contar("sales_notes") == 1


def test_keyed_answer_and_its_replay_are_the_response_model_body(client, admin_headers):
    """With a key, the first answer and every replay are what the route's response model gives, as FastAPI
    serialises it without a key: same status, the same bytes on replay, the same fields and the same stored
    values as an unkeyed answer (money in cents, as the later GET shows it)."""
    for crear, leer, cuerpo in (("/api/facturacion/emitir/", "/api/facturacion/comprobantes/{}/", factura()),
                                ("/api/notas-venta/", "/api/notas-venta/{}", documento())):
        headers = admin_headers | _clave()
        primera, segunda = (client.post(crear, headers=headers, json=cuerpo) for _ in range(2))
        sin_clave = client.post(crear, headers=admin_headers, json=cuerpo)
        assert primera.status_code == segunda.status_code == sin_clave.status_code == 201, primera.text
        assert "idempotent-replayed" not in primera.headers and segunda.headers["idempotent-replayed"] == "true"
        assert primera.content == segunda.content
        assert primera.json().keys() == sin_clave.json().keys()
        leida = client.get(leer.format(primera.json()["id"]), headers=admin_headers).json()
        assert {k: v for k, v in leida.items() if k in primera.json()} == primera.json()


class _Fila(BaseModel):
    """What a service may hand back: a row with more than the answer declares."""

    id: int
    nombre: str
    clave_interna: str


class _FilaIn(Entrada):
    nombre: str


class _FilaOut(Salida):
    id: int
    nombre: str


def test_keyed_answer_goes_through_the_response_model_and_the_route_status(db, admin_headers):
    """The stored first answer is the response model's body with the route's status, not the raw result: an
    undeclared attribute never reaches the client (with or without a key), a 202 route replays 202."""
    router = APIRouter()

    @router.post("/filas/", status_code=202, response_model=_FilaOut)
    @idempotent
    def crear(datos: _FilaIn, session: SessionDep, _: Allowed("ventas", "crear")) -> _Fila:
        return _Fila(id=7, nombre=datos.nombre, clave_interna="no-sale")

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as cliente:
        headers = admin_headers | _clave()
        respuestas = [cliente.post("/filas/", headers=h, json={"nombre": "x"})
                      for h in (headers, headers, admin_headers)]
    assert [r.status_code for r in respuestas] == [202, 202, 202]
    assert [r.json() for r in respuestas] == [{"id": 7, "nombre": "x"}] * 3
    assert respuestas[1].headers["idempotent-replayed"] == "true"

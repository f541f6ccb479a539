"""Shared setup for the sales and inventory tests: a branch warehouse, products with stock, an open register."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import session_scope
from core.embedded import free_port


@dataclass
class Tienda:
    client: TestClient
    admin: dict[str, str]
    almacen_id: int
    sucursal_id: int

    def producto(self, sku: str, precio: str = "11.80", stock: str | None = "100", **extra: object) -> int:
        res = self.client.post("/api/productos/", headers=self.admin,
                               json={"sku": sku, "nombre": f"Producto {sku}", "precio": precio, **extra})
        assert res.status_code == 201, res.text
        producto_id = res.json()["id"]
        if stock is not None:
            self.entrada(producto_id, stock)
        return producto_id

    def entrada(self, producto_id: int, cantidad: str, almacen_id: int | None = None, **extra: object) -> None:
        res = self.client.post("/api/inventario/entrada/", headers=self.admin, json={
            "producto_id": producto_id, "almacen_id": almacen_id or self.almacen_id, "cantidad": cantidad, **extra})
        assert res.status_code == 201, res.text

    def almacen(self, nombre: str, predeterminado: bool = False) -> int:
        res = self.client.post("/api/almacenes/", headers=self.admin, json={
            "nombre": nombre, "sucursal_id": self.sucursal_id, "predeterminado": predeterminado})
        assert res.status_code == 201, res.text
        return res.json()["id"]

    def abrir_caja(self, headers: dict[str, str], monto: str = "100.00") -> int:
        res = self.client.post("/api/cajas/abrir/", headers=headers, json={"monto_apertura": monto})
        assert res.status_code == 201, res.text
        return res.json()["id"]


def stock_de(producto_id: int, almacen_id: int) -> Decimal:
    with session_scope() as s:
        return s.execute(text("SELECT stock_actual FROM productos_almacen WHERE producto_id = :p AND almacen_id = :a"),
                         {"p": producto_id, "a": almacen_id}).scalar_one()


def contar(tabla: str, where: str = "true", **params: object) -> int:
    with session_scope() as s:
        return s.execute(text(f"SELECT count(*) FROM {tabla} WHERE {where}"), params).scalar_one()


@pytest.fixture
def tienda(client: TestClient, admin_headers: dict[str, str]) -> Tienda:
    with session_scope() as s:
        sucursal_id = s.execute(text("SELECT id FROM sucursales ORDER BY id LIMIT 1")).scalar_one()
    res = client.post("/api/almacenes/", headers=admin_headers,
                      json={"nombre": "Almacén tienda", "sucursal_id": sucursal_id, "predeterminado": True})
    assert res.status_code == 201, res.text
    return Tienda(client, admin_headers, res.json()["id"], sucursal_id)


@pytest.fixture
def cajero(tienda: Tienda, make_user: Callable) -> dict[str, str]:
    """A cashier with an open register."""
    _, headers = make_user("CAJERO")
    tienda.abrir_caja(headers)
    return headers


def venta(producto_id: int, cantidad: str, monto: str, metodo: str = "EFECTIVO", **extra: object) -> dict:
    return {"lineas": [{"producto_id": producto_id, "cantidad": cantidad}],
            "formas_pago": [{"metodo": metodo, "monto": monto}], **extra}


@pytest.fixture
def servidor(db):
    """The real app on a real uvicorn server (own thread) on a free loopback port."""
    from api.main import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(10)

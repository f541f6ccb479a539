"""Shared setup of the purchasing tests: a warehouse (the `tienda` fixture), suppliers, products, OCs."""

from dataclasses import dataclass

import pytest

from tests.ventas_fixtures import Tienda

RUC_A = "20100066603"
RUC_B = "20131312955"  # SUNAT's own RUC: check digit valid


@dataclass
class Compras:
    tienda: Tienda

    @property
    def client(self):  # noqa: ANN201
        return self.tienda.client

    @property
    def admin(self) -> dict[str, str]:
        return self.tienda.admin

    def proveedor(self, ruc: str = RUC_A, **extra: object) -> int:
        res = self.client.post("/api/proveedores/", headers=self.admin, json={
            "ruc": ruc, "razon_social": f"PROVEEDOR {ruc} S.A.C.", "email": "ventas@proveedor.pe", **extra})
        assert res.status_code == 201, res.text
        return res.json()["id"]

    def orden(self, proveedor_id: int, lineas: list[tuple[int, str, str]], headers: dict | None = None,
              **extra: object) -> dict:
        res = self.client.post("/api/compras/ordenes/", headers=headers or self.admin, json={
            "proveedor_id": proveedor_id, "almacen_destino_id": self.tienda.almacen_id,
            "lineas": [{"producto_id": p, "cantidad": c, "precio_unitario": u} for p, c, u in lineas], **extra})
        assert res.status_code == 201, res.text
        return res.json()

    def enviar(self, orden_id: int, headers: dict | None = None) -> dict:
        res = self.client.post(f"/api/compras/ordenes/{orden_id}/enviar/", headers=headers or self.admin)
        assert res.status_code == 200, res.text
        return res.json()


@pytest.fixture
def compras(tienda: Tienda) -> Compras:
    return Compras(tienda)

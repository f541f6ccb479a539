"""Shared setup of the purchasing tests: a warehouse (the `tienda` fixture), suppliers, products, OCs."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.ventas_fixtures import Tienda

RUC_A = "20100066603"
RUC_B = "20131312955"  # SUNAT's own RUC: check digit valid
EMISION = date.today()


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

    def recibir(self, orden_id: int, lineas: list[tuple[int, str]]) -> dict:
        res = self.client.post("/api/compras/recepciones/", headers=self.admin, json={
            "orden_id": orden_id, "lineas": [{"detalle_orden_id": d, "cantidad_recibida": q} for d, q in lineas]})
        assert res.status_code == 201, res.text
        return res.json()

    def enviar(self, orden_id: int, headers: dict | None = None) -> dict:
        res = self.client.post(f"/api/compras/ordenes/{orden_id}/enviar/", headers=headers or self.admin)
        assert res.status_code == 200, res.text
        return res.json()


@pytest.fixture
def compras(tienda: Tienda) -> Compras:
    return Compras(tienda)


@pytest.fixture
def consulta_sunat(compras):
    """The local SUNAT consulta integrada on a free port, its credentials in configuracion, fast retries."""
    from core.embedded import free_port
    from integrations.sunat.consulta_sandbox import ConsultaSandbox
    from tests.conftest import set_env

    sandbox = ConsultaSandbox(free_port()).start()
    set_env(SUNAT_CONSULTA_SANDBOX_PORT=str(sandbox.url.rsplit(':', 1)[1]), SUNAT_CONSULTA_REINTENTO_S="0.3")
    try:
        res = compras.client.put("/api/compras/configuracion/", headers=compras.admin, json={
            "recordatorio_horas": "24",
            "escalamiento_horas": "48", "sunat_client_id": sandbox.client_id,
            "sunat_client_secret": sandbox.client_secret})
        assert res.status_code == 200, res.text
        yield sandbox
    finally:
        sandbox.stop()
        set_env(SUNAT_CONSULTA_REINTENTO_S="30")


@pytest.fixture
def recibida(compras):
    """An OC of 10 × 12.50 and 5 × 20.00 from a 30-day-credit supplier, received: 6 and 5."""
    proveedor = compras.proveedor(RUC_A, condicion_pago="CREDITO", dias_credito=30)
    p1, p2 = compras.tienda.producto("FAC1", stock=None), compras.tienda.producto("FAC2", stock=None)
    oc = compras.orden(proveedor, [(p1, "10", "12.50"), (p2, "5", "20")])
    compras.enviar(oc["id"])
    l1, l2 = (d["id"] for d in oc["detalle"])
    compras.recibir(oc["id"], [(l1, "6"), (l2, "5")])
    return oc["id"], l1, l2


def factura_body(orden_id: int, lineas: list[tuple[int, str, str]], numero: str = "F001-00000123",
             gastos: str = "0", ruc: str = RUC_A) -> dict:
    def r(x: Decimal) -> Decimal:
        return x.quantize(Decimal("0.01"), ROUND_HALF_UP)

    filas = []
    for detalle, cantidad, precio in lineas:
        base = r(Decimal(cantidad) * Decimal(precio))
        igv = r(base * Decimal("0.18"))
        filas.append({"detalle_orden_id": detalle, "cantidad": cantidad, "precio_unitario": precio,
                      "base": str(base), "igv": str(igv), "total": str(base + igv)})
    base = sum(Decimal(f["base"]) for f in filas)
    igv = sum(Decimal(f["igv"]) for f in filas) + r(Decimal(gastos) * Decimal("0.18"))
    return {"orden_id": orden_id, "ruc_proveedor": ruc, "numero_factura": numero, "fecha_emision": str(EMISION),
            "monto_base": str(base), "gastos_logisticos": gastos, "igv": str(igv),
            "total": str(base + Decimal(gastos) + igv), "lineas": filas}

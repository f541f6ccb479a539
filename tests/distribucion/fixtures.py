"""Shared setup for module 4's tests: a dispatch warehouse with coordinates, a customer, products with
weight and volume, carriers, and helpers to create orders."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from core.db import session_scope
from tests.sunat_transport.conftest import sandbox  # noqa: F401 - the session's local SUNAT
from tests.ventas_fixtures import Tienda

pytest_plugins = ["tests.ventas_fixtures"]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ALMACEN_LIMA = (-12.0464, -77.0428)  # Cercado de Lima
PUNTOS_LIMA = [(-12.1211, -77.0297), (-12.0874, -76.9747), (-12.0860, -77.0350), (-12.0770, -77.0860),
               (-12.0740, -77.0480), (-12.1110, -77.0120), (-11.9440, -77.0580), (-12.0570, -76.9440)]


@dataclass
class Despacho:
    tienda: Tienda
    cliente_id: int
    productos: dict[str, int] = field(default_factory=dict)

    @property
    def client(self):  # noqa: ANN201
        return self.tienda.client

    @property
    def admin(self) -> dict[str, str]:
        return self.tienda.admin

    def producto(self, sku: str, stock: str = "100", peso: str = "1", volumen: str = "0.01") -> int:
        self.productos[sku] = self.tienda.producto(sku, stock=stock, peso_kg=peso, volumen_m3=volumen)
        return self.productos[sku]

    def pedido_json(self, producto_id: int, cantidad: str = "1", punto: tuple[float, float] | None = PUNTOS_LIMA[0],
                    **extra: object) -> dict:
        coords = {"latitud": punto[0], "longitud": punto[1]} if punto else {}
        return {"cliente_id": self.cliente_id, "almacen_id": self.tienda.almacen_id,
                "direccion_entrega": "Av. Larco 345, Miraflores", "origen": "WHATSAPP",
                "lineas": [{"producto_id": producto_id, "cantidad": cantidad}], **coords, **extra}

    def pedido(self, producto_id: int, cantidad: str = "1", headers: dict | None = None, **extra: object) -> dict:
        res = self.client.post("/api/pedidos/", headers=headers or self.admin,
                               json=self.pedido_json(producto_id, cantidad, **extra))
        assert res.status_code == 201, res.text
        return res.json()

    def transportista(self, placa: str, peso: str = "500", volumen: str = "5", limite: int = 20,
                      usuario_id: int | None = None, **extra: object) -> int:
        res = self.client.post("/api/transportistas/", headers=self.admin, json={
            "nombre": f"Conductor {placa}", "tipo_vehiculo": "FURGONETA", "placa": placa,
            "conductor_documento": "45678912", "conductor_licencia": "Q45678912", "capacidad_max_peso": peso,
            "capacidad_max_volumen": volumen, "limite_pedidos_dia": limite, "usuario_id": usuario_id, **extra})
        assert res.status_code == 201, res.text
        return res.json()["id"]

    def ruta(self, transportista_id: int, fecha: str | None = None) -> int:
        from services.stock import hoy_lima

        res = self.client.post("/api/rutas/", headers=self.admin,
                               json={"transportista_id": transportista_id, "fecha": fecha or str(hoy_lima())})
        assert res.status_code == 201, res.text
        return res.json()["id"]

    def estado(self, pedido_id: int, estado: str, headers: dict | None = None, **extra: object):  # noqa: ANN201
        return self.client.put(f"/api/pedidos/{pedido_id}/estado/", headers=headers or self.admin,
                               json={"estado": estado, **extra})


def stock_fila(producto_id: int, almacen_id: int) -> tuple:
    with session_scope() as s:
        return tuple(s.execute(text("SELECT stock_actual, stock_reservado FROM productos_almacen "
                                    "WHERE producto_id = :p AND almacen_id = :a"),
                               {"p": producto_id, "a": almacen_id}).one())


@pytest.fixture
def despacho(tienda: Tienda) -> Despacho:
    from tests.conftest import set_env

    set_env(GRE_REMITENTE="false")  # the GRE tests switch it on with the SUNAT sandbox (fixture `gre_sunat`)
    with session_scope() as s:
        s.execute(text("UPDATE almacenes SET latitud = :la, longitud = :lo, direccion = 'Jr. Lampa 900', "
                       "ubigeo = '150101' WHERE id = :a"), {"la": ALMACEN_LIMA[0], "lo": ALMACEN_LIMA[1],
                                                           "a": tienda.almacen_id})
    res = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "1", "numero_doc": "45454545", "razon_social": "María Quispe", "email": "maria@cliente.pe",
        "telefono": "987654321"})
    assert res.status_code == 201, res.text
    return Despacho(tienda, res.json()["id"])


@pytest.fixture
def despachador(despacho: Despacho, make_user: Callable) -> dict[str, str]:
    user_id, headers = make_user("DESPACHADOR")
    res = despacho.client.post(f"/api/almacenes/{despacho.tienda.almacen_id}/usuarios/", headers=despacho.admin,
                               json={"usuario_id": user_id})
    assert res.status_code == 204
    return headers


@pytest.fixture
def geocoder():  # noqa: ANN201
    """The local Google Geocoding stand-in; the app's settings point at it during the test."""
    from integrations.geocoding.sandbox import GeocodingSandbox
    from tests.conftest import set_env

    geo = GeocodingSandbox("clave-prueba").start()
    set_env(**geo.settings_env())
    try:
        yield geo
    finally:
        geo.stop()
        set_env(GOOGLE_GEOCODING_URL="https://maps.googleapis.com", GOOGLE_MAPS_API_KEY="")


def chofer(despacho: Despacho, make_user: Callable, placa: str, **extra: object) -> tuple[int, dict[str, str]]:
    """A driver's login and their carrier; returns (transportista_id, headers)."""
    user_id, headers = make_user("TRANSPORTISTA")
    return despacho.transportista(placa, usuario_id=user_id, **extra), headers


def en_ruta(despacho: Despacho, transportista_id: int, *pedido_ids: int) -> int:
    """Assign the orders to a new route of the carrier, optimise it, and send them out."""
    ruta = despacho.ruta(transportista_id)
    res = despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                               json={"pedidos": list(pedido_ids)})
    assert res.status_code == 200, res.text
    assert despacho.client.post(f"/api/rutas/{ruta}/optimizar/?segundos=0.2", headers=despacho.admin).status_code == 200
    for pedido_id in pedido_ids:
        res = despacho.estado(pedido_id, "EN_RUTA")
        assert res.status_code == 200, res.text
    return ruta


@pytest.fixture
def gre_sunat(despacho: Despacho, sandbox, tmp_path):  # noqa: ANN001, ANN201, F811
    """GRE remitente on, against the session's local SUNAT sandbox (its GRE REST API), clean and normal."""
    from tests.conftest import set_env

    sandbox.reset()
    set_env(GRE_REMITENTE="true", STORAGE_DIR=str(tmp_path / "storage"), SUNAT_SANDBOX_PORT=str(sandbox.servidor.port),
            SUNAT_GRE_SEGURIDAD_URL="", SUNAT_GRE_API_URL="")
    try:
        yield sandbox
    finally:
        sandbox.modo("normal")
        set_env(GRE_REMITENTE="false")

"""Issue 18.4: hostile input gets a clear 4xx naming the field, never a 500 (one shared type per class of
bug: core.schemas.Id / Fecha / Momento / PasswordBcrypt / HoraLocal, url_almacenable, core.db.contiene,
models.base.exigir_monto)."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.facturacion.conftest import factura
from tests.notas_venta.conftest import documento
from tests.ventas_fixtures import venta

pytest_plugins = ["tests.ventas_fixtures"]


def _campo(res) -> list[str]:
    return [e["field"] for e in res.json()["errors"]]


@pytest.mark.parametrize(("metodo", "ruta", "campo"), [
    ("GET", "/api/ventas/?sucursal_id=-750867789115", "sucursal_id"),
    ("GET", "/api/ventas/?cliente_id=99999999999999999999999", "cliente_id"),
    ("GET", "/api/ventas/8833734252/", "venta_id"),
    ("POST", "/api/usuarios/8833734252/activar-2fa/", "usuario_id"),
    ("GET", "/api/productos/8833734252/", "producto_id"),
    ("GET", "/api/facturacion/comprobantes/-1/", "comprobante_id"),
    ("GET", "/api/notas-venta/2147483648", "nota_id"),
    ("GET", "/api/notas-venta/?year=8833734252", "year"),
    ("GET", "/api/inventario/stock/?almacen_id=8833734252", "almacen_id"),
    ("GET", "/api/audit-logs/?antes_de_id=99999999999999999999", "antes_de_id"),
    ("GET", "/api/productos/?offset=242614966732935790592", "offset"),
    ("GET", "/api/finanzas/asientos/2147483648/", "asiento_id"),
    ("GET", "/api/finanzas/cuentas-cobrar/?cliente_id=-1", "cliente_id"),
    ("GET", "/api/finanzas/libros/diario/?periodo=202601&centro_costo_id=8833734252", "centro_costo_id"),
    ("GET", "/api/finanzas/tributario/periodos/0/verificar/", "periodo_id"),
])
def test_enteros_fuera_del_rango_de_la_base_son_400_con_el_campo(client: TestClient, admin_headers, metodo, ruta,
                                                                  campo) -> None:
    res = client.request(metodo, ruta, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert _campo(res) == [campo]


def test_id_en_el_cuerpo_fuera_de_rango_es_400(client: TestClient, admin_headers) -> None:
    res = client.post("/api/almacenes/", headers=admin_headers,
                      json={"nombre": "Almacén X", "sucursal_id": -142092684125776969728})
    assert res.status_code == 400 and _campo(res) == ["sucursal_id"], res.text


def test_id_en_rango_que_no_existe_sigue_siendo_404(client: TestClient, admin_headers) -> None:
    assert client.get("/api/productos/2147483647/", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(("ruta", "campo"), [
    ("/api/productos/?q=a%00b", "q"),
    ("/api/clientes/?q=%00", "q"),
    ("/api/usuarios/?buscar=x%00", "buscar"),
    ("/api/facturacion/comprobantes/?cliente=a%00", "cliente"),
    ("/api/notas-venta/?customer=a%00", "customer"),
    ("/api/audit-logs/?modulo=a%00", "modulo"),
    ("/api/inventario/trazabilidad/L%00T/", "lote"),
])
def test_nul_en_la_url_es_400_con_el_parametro(client: TestClient, admin_headers, ruta, campo) -> None:
    res = client.get(ruta, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert _campo(res) == [campo]


def test_password_de_mas_de_72_bytes_es_400_en_login_y_alta(client: TestClient, admin_headers) -> None:
    largo = "Clave-1" + "ñ" * 40  # 87 bytes in UTF-8, 47 characters
    res = client.post("/api/auth/login/", json={"email": "admin@test.pe", "password": largo})
    assert res.status_code == 400 and _campo(res) == ["password"], res.text
    roles = client.get("/api/roles/", headers=admin_headers).json()["items"]
    rol_id = next(r["id"] for r in roles if r["nombre"] == "CAJERO")
    alta = {"nombre": "Ana Ruiz", "email": "ana@test.pe", "password": largo, "rol_id": rol_id}
    res = client.post("/api/usuarios/", headers=admin_headers, json=alta)
    assert res.status_code == 400 and _campo(res) == ["password"], res.text
    # 72 bytes exactly is a whole bcrypt password: created, and it logs in.
    justo = "Clave-1" + "ñ" * 32 + "x"  # 7 + 64 + 1 = 72 bytes
    res = client.post("/api/usuarios/", headers=admin_headers, json=alta | {"password": justo})
    assert res.status_code == 201, res.text
    assert client.post("/api/auth/login/", json={"email": "ana@test.pe", "password": justo}).status_code == 200


def test_importes_que_no_caben_en_numeric_son_400_con_el_campo(client: TestClient, admin_headers) -> None:
    body = factura(cantidad="9999999999.9999", valor="999999999999.9999999999")
    res = client.post("/api/facturacion/emitir/", headers=admin_headers, json=body)
    assert res.status_code == 400, res.text
    assert _campo(res)[0].startswith("lineas.0")
    assert client.get("/api/facturacion/comprobantes/", headers=admin_headers).json()["total"] == 0

    items = [{"description": "Grúa", "quantity": "9999999999", "unit_price": "999999999999.99"}]
    res = client.post("/api/notas-venta/", headers=admin_headers, json=documento(items=items))
    assert res.status_code == 400 and _campo(res) == ["items.0"], res.text


@pytest.mark.parametrize(("ruta", "campo"), [
    ("/api/ventas/?hasta=9999-12-31", "hasta"),
    ("/api/ventas/?desde=0001-01-01", "desde"),
    ("/api/inventario/movimientos/?hasta=9999-12-31", "hasta"),
    ("/api/reportes/ventas-diarias/?desde=2026-01-01&hasta=9999-12-31", "hasta"),
    ("/api/reportes/ventas-por-producto/?desde=2026-01-01&hasta=9999-12-31", "hasta"),
    ("/api/reportes/ventas-por-cliente/?desde=0001-01-01&hasta=2026-01-31", "desde"),
    ("/api/facturacion/comprobantes/?fecha_hasta=9999-12-31", "fecha_hasta"),
    ("/api/audit-logs/?hasta=9999-12-31T23:59:59-05:00", "hasta"),
])
def test_fechas_lejanas_son_400_con_el_campo(client: TestClient, admin_headers, ruta, campo) -> None:
    res = client.get(ruta, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert _campo(res) == [campo]


def test_venta_offline_del_anio_9999_es_400(tienda, cajero) -> None:
    producto = tienda.producto("OFF9", precio="10.00", stock="5")
    lote = [venta(producto, "1", "10.00") | {"id_local": str(uuid.uuid4()),
                                             "fecha_registro_local": "9999-12-31T23:59:59-05:00"}]
    res = tienda.client.post("/api/ventas/offline-sync/", headers=cajero, json={"ventas": lote})
    assert res.status_code == 400, res.text
    assert _campo(res) == ["ventas.0.fecha_registro_local"]


def test_hora_emision_lleva_el_offset_que_promete_format_time(client: TestClient, admin_headers) -> None:
    res = client.post("/api/facturacion/emitir/", headers=admin_headers, json=factura())
    assert res.status_code == 201, res.text
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}-05:00", res.json()["hora_emision"]), res.json()["hora_emision"]
    detalle = client.get(f"/api/facturacion/comprobantes/{res.json()['id']}/", headers=admin_headers).json()
    assert detalle["hora_emision"] == res.json()["hora_emision"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ComprobanteOut"]
    assert schema["properties"]["hora_emision"]["format"] == "time"


def test_porcentaje_y_guion_bajo_se_buscan_literalmente(client: TestClient, admin_headers) -> None:
    for sku, nombre in (("A1", "Polo 100% algodón"), ("A2", "Polo 100 algodón"), ("A3", "Cable_USB"),
                        ("A4", "CableXUSB")):
        assert client.post("/api/productos/", headers=admin_headers,
                           json={"sku": sku, "nombre": nombre, "precio": "10.00"}).status_code == 201

    def nombres(q: str) -> list[str]:
        res = client.get("/api/productos/", params={"q": q}, headers=admin_headers)
        assert res.status_code == 200, res.text
        return sorted(p["nombre"] for p in res.json()["items"])

    assert nombres("100%") == ["Polo 100% algodón"]
    assert nombres("e_U") == ["Cable_USB"]
    assert nombres("%") == ["Polo 100% algodón"]
    res = client.get("/api/usuarios/", params={"buscar": "_"}, headers=admin_headers)
    assert res.status_code == 200 and res.json()["items"] == [], res.text

"""Module 4 orders: stock reserved (never oversold, also under concurrency on the real server), states with
the allowed transitions only, cancellation releasing the reservation, lists with filters."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from tests.distribucion.fixtures import stock_fila
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.distribucion.fixtures"]


def test_order_without_available_stock_is_400_naming_the_line(despacho):
    a, b = despacho.producto("A", stock="10"), despacho.producto("B", stock="2")
    body = despacho.pedido_json(a, "1")
    body["lineas"].append({"producto_id": b, "cantidad": "3"})
    res = despacho.client.post("/api/pedidos/", headers=despacho.admin, json=body)
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"] == "lineas.1.cantidad"
    assert stock_fila(a, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("0"))  # nothing half-written
    assert contar("pedidos") == 0 and contar("outbox") == 0


def test_stock_is_reserved_on_creation_and_not_decremented(despacho):
    p = despacho.producto("R", stock="10", peso="2.5")
    pedido = despacho.pedido(p, "4")
    assert pedido["estado"] == "PENDIENTE" and pedido["peso_total"] == "10.000"
    assert len(pedido["codigo_seguimiento"]) >= 20 and str(pedido["id"]) != pedido["codigo_seguimiento"]
    assert [e["estado_nuevo"] for e in pedido["eventos"]] == ["PENDIENTE"]
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("4"))
    # the reservation is not available to another order nor to a POS exit
    res = despacho.client.post("/api/pedidos/", headers=despacho.admin, json=despacho.pedido_json(p, "7"))
    assert res.status_code == 400
    res = despacho.client.post("/api/inventario/salida/", headers=despacho.admin, json={
        "producto_id": p, "almacen_id": despacho.tienda.almacen_id, "cantidad": "7", "motivo": "x"})
    assert res.status_code == 400
    with session_scope() as s:
        start = s.execute(text("SELECT workflow, workflow_id, search_attributes FROM outbox "
                               "WHERE kind = 'start'")).one()
    assert start.workflow == "EntregaPedido" and start.workflow_id == f"pedido-{pedido['id']}"
    assert start.search_attributes == {"Documento": f"PED-{pedido['id']}", "Estado": "PENDIENTE"}


def test_concurrent_orders_never_oversell(despacho):
    p = despacho.producto("C", stock="10")
    body = despacho.pedido_json(p, "1")

    def crear(_: int) -> int:
        return despacho.client.post("/api/pedidos/", headers=despacho.admin, json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(crear, range(16)))
    assert codes.count(201) == 10 and codes.count(400) == 6, codes
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("10"))


def test_coordinates_outside_peru_or_zero_are_400(despacho):
    p = despacho.producto("G")
    for punto in [(0.0, 0.0), (40.4, -3.7), (-12.05, -60.0)]:
        res = despacho.client.post("/api/pedidos/", headers=despacho.admin, json=despacho.pedido_json(p, punto=punto))
        assert res.status_code == 400, (punto, res.text)
    res = despacho.client.post("/api/pedidos/", headers=despacho.admin,
                               json=despacho.pedido_json(p, punto=None, latitud=-12.1))
    assert res.status_code == 400


def test_illegal_transition_is_409_with_the_current_state(despacho):
    p = despacho.producto("T")
    pedido = despacho.pedido(p)
    res = despacho.estado(pedido["id"], "EN_RUTA")
    assert res.status_code == 409 and "PENDIENTE" in res.json()["message"]
    res = despacho.estado(pedido["id"], "ENTREGADO")
    assert res.status_code == 409 and "/api/entregas/" in res.json()["message"]
    assert despacho.estado(pedido["id"], "CANCELADO").status_code == 400  # a reason is required
    res = despacho.estado(pedido["id"], "CANCELADO", motivo="El cliente desistió")
    assert res.status_code == 200 and res.json()["estado"] == "CANCELADO"
    assert stock_fila(p, despacho.tienda.almacen_id)[1] == 0  # reservation released
    assert despacho.estado(pedido["id"], "PENDIENTE").status_code == 409
    assert [e["estado_nuevo"] for e in res.json()["eventos"]] == ["PENDIENTE", "CANCELADO"]


def test_en_ruta_requires_the_reservation_to_cover_every_line(despacho):
    p = despacho.producto("E", stock="5")
    pedido = despacho.pedido(p, "3")
    ruta = despacho.ruta(despacho.transportista("ABC-123"))
    assert despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                                json={"pedidos": [pedido["id"]]}).status_code == 200
    with session_scope() as s:  # a reservation lost (e.g. a manual correction in the database)
        s.execute(text("UPDATE productos_almacen SET stock_reservado = 1 WHERE producto_id = :p"), {"p": p})
    res = despacho.estado(pedido["id"], "EN_RUTA")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.cantidad"
    with session_scope() as s:
        s.execute(text("UPDATE productos_almacen SET stock_reservado = 3 WHERE producto_id = :p"), {"p": p})
    assert despacho.estado(pedido["id"], "EN_RUTA").json()["estado"] == "EN_RUTA"


def test_list_filters_and_pages(despacho):
    p = despacho.producto("L")
    uno = despacho.pedido(p, zona="SUR")
    despacho.pedido(p, zona="NORTE")
    despacho.estado(uno["id"], "CANCELADO", motivo="duplicado")
    res = despacho.client.get("/api/pedidos/?estado=PENDIENTE&limit=1", headers=despacho.admin).json()
    assert res["total"] == 1 and res["items"][0]["zona"] == "NORTE" and res["limit"] == 1
    res = despacho.client.get("/api/pedidos/?zona=SUR", headers=despacho.admin).json()
    assert [i["id"] for i in res["items"]] == [uno["id"]]
    res = despacho.client.get(f"/api/pedidos/?cliente_id={despacho.cliente_id}", headers=despacho.admin).json()
    assert res["total"] == 2
    assert despacho.client.get("/api/pedidos/?estado=RARO", headers=despacho.admin).status_code == 400


def test_dispatcher_needs_the_warehouse_and_a_driver_cannot_create(despacho, despachador, make_user):
    p = despacho.producto("P")
    assert despacho.pedido(p, headers=despachador)["estado"] == "PENDIENTE"
    _, chofer = make_user("TRANSPORTISTA")
    res = despacho.client.post("/api/pedidos/", headers=chofer, json=despacho.pedido_json(p))
    assert res.status_code == 403


def test_every_geocoder_status_is_handled(geocoder):
    import pytest

    from integrations.geocoding.client import DireccionNoEncontrada, GeocodificacionNoDisponible, geocodificar
    from tests.conftest import set_env

    assert geocodificar("Av. Larco 345, Miraflores").latitud == -12.1211  # OK
    for direccion, status in (("Calle Inexistente 999", "ZERO_RESULTS"), ("", "INVALID_REQUEST")):
        with pytest.raises(DireccionNoEncontrada) as error:  # the address's fault: not retried
            geocodificar(direccion)
        assert error.value.status == status
    for status in ("OVER_QUERY_LIMIT", "UNKNOWN_ERROR"):  # retried later
        geocoder.fallar(status)
        with pytest.raises(GeocodificacionNoDisponible) as error:
            geocodificar("Av. Larco 345")
        assert error.value.status == status
    set_env(GOOGLE_MAPS_API_KEY="clave-revocada")
    with pytest.raises(GeocodificacionNoDisponible) as error:
        geocodificar("Av. Larco 345")
    assert error.value.status == "REQUEST_DENIED"
    set_env(GOOGLE_GEOCODING_URL="http://127.0.0.1:9")  # nobody listening
    with pytest.raises(GeocodificacionNoDisponible):
        geocodificar("Av. Larco 345")


def test_a_denied_geocoding_key_tells_the_dispatcher_once_and_the_order_waits(despacho, geocoder):
    import pytest
    from temporalio.testing import ActivityEnvironment

    from activities.distribucion import geocodificar_pedido
    from integrations.geocoding.client import GeocodificacionNoDisponible
    from tests.conftest import set_env
    from workflows.entradas import PedidoRef

    p = despacho.producto("KEY")
    pedido = despacho.pedido(p, punto=None, direccion_entrega="Av. Larco 345", distrito="Miraflores")
    set_env(GOOGLE_MAPS_API_KEY="clave-revocada")
    for _ in range(2):  # two attempts of the retried activity
        with pytest.raises(GeocodificacionNoDisponible):
            ActivityEnvironment().run(geocodificar_pedido, PedidoRef(pedido["id"]))
    assert contar("notificaciones", "tipo = 'GEOCODIFICACION_RECHAZADA'") == 1
    assert despacho.client.get(f"/api/pedidos/{pedido['id']}/", headers=despacho.admin).json()[
        "geocodificacion"] == "PENDIENTE"
    set_env(GOOGLE_MAPS_API_KEY=geocoder.key)  # the operator fixed the key: the next attempt geocodes
    assert ActivityEnvironment().run(geocodificar_pedido, PedidoRef(pedido["id"])) == "OK"


def test_a_stop_never_optimised_gets_an_eta_on_departure_so_lateness_is_watched(despacho):
    from datetime import UTC, datetime, timedelta

    from tests.distribucion.fixtures import PUNTOS_LIMA

    p = despacho.producto("SINOPT")
    primero, segundo = despacho.pedido(p, punto=PUNTOS_LIMA[0]), despacho.pedido(p, punto=PUNTOS_LIMA[1])
    ruta = despacho.ruta(despacho.transportista("SOP-101"))
    assert despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                                json={"pedidos": [primero["id"], segundo["id"]]}).status_code == 200
    salida = datetime.now(UTC)
    etas = {}
    for pedido in (segundo, primero):  # never optimised: visited in the order they were assigned
        res = despacho.estado(pedido["id"], "EN_RUTA")
        assert res.status_code == 200, res.text
        etas[pedido["id"]] = datetime.fromisoformat(res.json()["asignacion"]["eta"])
    # warehouse → Miraflores ~8.5 km at 22 km/h; then 5 min there and ~6.5 km on to Surco
    assert salida + timedelta(minutes=15) < etas[primero["id"]] < salida + timedelta(minutes=40)
    assert etas[primero["id"]] + timedelta(minutes=20) < etas[segundo["id"]]
    with session_scope() as s:  # the workflow's update carries it: the late-stop timer has a time to watch
        eta = s.execute(text("SELECT payload->>'eta' FROM outbox WHERE kind = 'update' AND workflow_id = :w "
                             "AND payload->>'estado' = 'EN_RUTA'"), {"w": f"pedido-{segundo['id']}"}).scalar()
    assert datetime.fromisoformat(eta) == etas[segundo["id"]]


def test_an_order_already_invoiced_is_not_invoiced_again_on_delivery(despacho, make_user):
    from services import facturacion
    from services.distribucion import entregas
    from tests.distribucion.fixtures import chofer, en_ruta

    p = despacho.producto("FAC", stock="10")
    with session_scope() as s:  # the eCommerce checkout invoiced it (module 3's one path), and another customer's
        def boleta(numero_doc: str) -> int:
            c = facturacion.registrar_emision(s, facturacion.DatosEmision(
                cliente=facturacion.ClienteDatos("1", numero_doc, "María Quispe", "", "", "PE"),
                lineas=[facturacion.LineaDatos(codigo_producto="FAC", descripcion="FAC", cantidad=Decimal("2"),
                                               precio_unitario=Decimal("11.80"))]))
            s.flush()
            return c.id
        propia, ajena = boleta("45454545"), boleta("70707070")
        s.commit()
    res = despacho.client.post("/api/pedidos/", headers=despacho.admin,
                               json=despacho.pedido_json(p, "2", comprobante_id=ajena))
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "comprobante_id"
    assert despacho.client.post("/api/pedidos/", headers=despacho.admin, json=despacho.pedido_json(
        p, "2", comprobante_id=999_999)).status_code == 400
    pedido = despacho.pedido(p, "2", comprobante_id=propia)
    assert pedido["comprobante_id"] == propia
    res = despacho.client.post("/api/pedidos/", headers=despacho.admin,
                               json=despacho.pedido_json(p, "2", comprobante_id=propia))
    assert res.status_code == 409 and res.json()["errors"][0]["field"] == "comprobante_id"  # one order per invoice
    transportista, headers = chofer(despacho, make_user, "FAC-101")
    en_ruta(despacho, transportista, pedido["id"])
    assert despacho.client.post(f"/api/entregas/{pedido['id']}/confirmar/", headers=headers,
                                data={"firma_trazos": "[[[0, 0], [3, 4]]]"}).status_code == 200
    with session_scope() as s:  # the workflow's facturar_pedido step
        assert entregas.facturar(s, pedido["id"]) == propia
    assert contar("comprobantes") == 2

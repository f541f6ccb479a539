"""Module 4 dispatch: the EntregaPedido workflow on the real worker (geocoding through an outage, OTP mailed
when EN_RUTA, delivery confirmed with evidence turning the reservation into an exit), and the proof-of-delivery
rules (evidence required, the driver's own stops only, OTP attempts)."""

import asyncio
import re
import time
from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from tests.distribucion.fixtures import chofer, en_ruta, stock_fila
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.distribucion.fixtures"]


def _png(ancho: int = 8, alto: int = 8) -> bytes:
    import io

    from PIL import Image

    salida = io.BytesIO()
    Image.new("RGB", (ancho, alto), (200, 30, 30)).save(salida, "PNG")
    return salida.getvalue()


PNG = _png()


def _png_enorme() -> bytes:
    """A real PNG's chunks with its header claiming 30000 x 30000 pixels (a decompression bomb's shape)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return (PNG[:8] + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
            + PNG[33:])


async def _esperar(condicion, timeout: float = 30.0):  # noqa: ANN001, ANN202
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        if resultado := await condicion():
            return resultado
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


def _confirmar(despacho, pedido_id: int, headers: dict, files: dict | None = None, **data: object):  # noqa: ANN202
    return despacho.client.post(f"/api/entregas/{pedido_id}/confirmar/", headers=headers, files=files,
                                data={k: str(v) for k, v in data.items()})


async def test_dispatch_workflow_from_creation_to_delivery_on_the_real_worker(
        despacho, make_user, worker, temporal_client, smtp_server):
    p = despacho.producto("WF", stock="10")
    pedido = despacho.pedido(p, "3")
    transportista, headers_chofer = chofer(despacho, make_user, "WFA-101")
    en_ruta(despacho, transportista, pedido["id"])
    handle = temporal_client.get_workflow_handle(f"pedido-{pedido['id']}")

    async def otp() -> str | None:
        for m in smtp_server.messages():
            if "en camino" in m["Subject"]:
                return re.search(r"entrega[^:]*: (\d{6})", m.get_content()).group(1)
        return None

    codigo = await _esperar(otp)
    assert await handle.query("estado_actual") == "EN_RUTA"
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("3"))  # reserved, not decremented

    res = _confirmar(despacho, pedido["id"], headers_chofer, otp=f"{(int(codigo) + 1) % 10**6:06d}")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "otp"
    with session_scope() as s:
        assert s.execute(text("SELECT otp_intentos FROM asignaciones_pedido")).scalar() == 1
    res = _confirmar(despacho, pedido["id"], headers_chofer, otp=codigo, latitud=-12.1212, longitud=-77.0298)
    assert res.status_code == 200, res.text
    assert res.json()["estado"] == "ENTREGADO" and res.json()["asignacion"]["otp_verificado"] is True
    assert res.json()["asignacion"]["lejos_del_destino"] is False
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("7"), Decimal("0"))  # definitive exit
    assert contar("movimientos_stock", "tipo_movimiento = 'VENTA' AND referencia_doc = :r",
                  r=f"pedido-{pedido['id']}") == 1

    assert await asyncio.wait_for(handle.result(), 30) == "ENTREGADO"
    desc = await handle.describe()
    atributos = {k.name: v for k, v in ((p.key, p.value) for p in desc.typed_search_attributes)}
    assert atributos["Estado"] == "ENTREGADO" and atributos["Transportista"] == "WFA-101"
    assert atributos["Documento"] == f"PED-{pedido['id']}"
    assert any("entregado" in m["Subject"] for m in smtp_server.messages())
    with session_scope() as s:  # not invoiced before: a boleta (DNI customer) for the delivered lines
        tipo, total = s.execute(text("SELECT c.tipo, c.total_venta FROM comprobantes c JOIN pedidos p "
                                     "ON p.comprobante_id = c.id WHERE p.id = :p"), {"p": pedido["id"]}).one()
    assert tipo == "03" and total == Decimal("35.40")


async def test_address_geocoded_through_a_geocoder_outage(despacho, worker, temporal_client, geocoder):
    p = despacho.producto("GEO")
    geocoder.fallar("OVER_QUERY_LIMIT", 2)
    pedido = despacho.pedido(p, punto=None, direccion_entrega="Av. Javier Prado Este 4200", distrito="Surco")
    assert pedido["latitud"] is None and pedido["geocodificacion"] == "PENDIENTE"

    async def ubicado() -> dict | None:
        d = despacho.client.get(f"/api/pedidos/{pedido['id']}/", headers=despacho.admin).json()
        return d if d["geocodificacion"] != "PENDIENTE" else None

    d = await _esperar(ubicado)
    assert d["geocodificacion"] == "OK" and (d["latitud"], d["longitud"]) == (-12.0874, -76.9747)
    assert geocoder.consultas == 3  # two refusals over quota, then the answer

    otro = despacho.pedido(p, punto=None, direccion_entrega="Calle Inexistente 999")

    async def fallido() -> dict | None:
        d = despacho.client.get(f"/api/pedidos/{otro['id']}/", headers=despacho.admin).json()
        return d if d["geocodificacion"] != "PENDIENTE" else None

    assert (await _esperar(fallido))["geocodificacion"] == "ZERO_RESULTS"
    assert contar("notificaciones", "tipo = 'PEDIDO_SIN_COORDENADAS'") == 1


def test_confirmation_without_evidence_is_400_and_changes_nothing(despacho, make_user):
    p = despacho.producto("EV", stock="5")
    pedido = despacho.pedido(p, "2")
    transportista, headers_chofer = chofer(despacho, make_user, "EVA-101")
    en_ruta(despacho, transportista, pedido["id"])
    res = _confirmar(despacho, pedido["id"], headers_chofer)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "evidencia"
    res = _confirmar(despacho, pedido["id"], headers_chofer, files={"foto": ("x.jpg", b"GIF89a not a photo")})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "foto"
    res = _confirmar(despacho, pedido["id"], headers_chofer, firma_trazos="[[1, 2]]")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "firma_trazos"
    res = _confirmar(despacho, pedido["id"], headers_chofer, otp="123456")  # no code was issued (no worker)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "otp"
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("5"), Decimal("2"))
    assert despacho.client.get(f"/api/pedidos/{pedido['id']}/", headers=despacho.admin).json()["estado"] == "EN_RUTA"


def test_driver_confirms_only_own_stops_with_a_photo_or_strokes(despacho, make_user):
    p = despacho.producto("DR", stock="5")
    uno, dos = despacho.pedido(p, "1"), despacho.pedido(p, "1")
    t1, chofer1 = chofer(despacho, make_user, "DRA-101")
    _, chofer2 = chofer(despacho, make_user, "DRB-202")
    en_ruta(despacho, t1, uno["id"], dos["id"])
    assert _confirmar(despacho, uno["id"], chofer2, files={"foto": ("f.png", PNG)}).status_code == 403
    res = _confirmar(despacho, uno["id"], chofer1, files={"foto": ("f.png", PNG)}, latitud=-12.0, longitud=-77.0)
    assert res.status_code == 200, res.text
    a = res.json()["asignacion"]
    assert a["evidencia_foto_url"].endswith(".png") and a["lejos_del_destino"] is True  # ~13 km away
    res = _confirmar(despacho, dos["id"], chofer1, firma_trazos="[[[0, 0], [10, 12], [20, 5]]]")
    assert res.status_code == 200 and res.json()["asignacion"]["firma_digital"].endswith(".json")
    assert _confirmar(despacho, dos["id"], chofer1, files={"foto": ("f.png", PNG)}).status_code == 409
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("3"), Decimal("0"))


async def test_a_stop_past_its_eta_alerts_the_dispatcher_once(despacho, make_user, worker, temporal_client):
    p = despacho.producto("ETA", stock="5")
    pedido = despacho.pedido(p, "1")
    transportista, _ = chofer(despacho, make_user, "ETA-101")
    ruta = despacho.ruta(transportista)
    assert despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                                json={"pedidos": [pedido["id"]]}).status_code == 200
    with session_scope() as s:  # planned for 20 minutes ago (past the 15-minute grace)
        s.execute(text("UPDATE asignaciones_pedido SET eta = now() - interval '20 minutes'"))
    assert despacho.estado(pedido["id"], "EN_RUTA").status_code == 200

    async def alertado() -> bool:
        return contar("notificaciones", "tipo = 'ENTREGA_RETRASADA' AND objeto_id = :p", p=str(pedido["id"])) == 1

    await _esperar(alertado)
    handle = temporal_client.get_workflow_handle(f"pedido-{pedido['id']}")
    assert await handle.query("estado_actual") == "EN_RUTA"  # still waiting for the delivery, alerted once
    await asyncio.sleep(1.5)
    assert await alertado()


def test_driver_confirms_on_the_qr_page_with_a_signature_drawn_in_a_real_browser(despacho, make_user, servidor):
    """The route sheet's QR opens /entregas/{id}/confirmar: the driver logs in, draws the signature on the
    canvas and confirms; the page posts to POST /api/entregas/{id}/confirmar/ with the device's GPS fix."""
    from playwright.sync_api import expect, sync_playwright

    from services.distribucion.hoja_ruta import enlace_confirmacion
    from tests.distribucion.fixtures import CHROMIUM_ARGS

    p = despacho.producto("QRP", stock="5")
    pedido = despacho.pedido(p, "2")
    user_id, _ = make_user("TRANSPORTISTA", email="chofer.qr@test.pe", password="chofer-pass-123")
    en_ruta(despacho, despacho.transportista("QRP-101", usuario_id=user_id), pedido["id"])
    ruta = enlace_confirmacion(pedido["id"]).split("://", 1)[1].split("/", 1)[1]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            contexto = browser.new_context(permissions=["geolocation"],
                                           geolocation={"latitude": -12.1212, "longitude": -77.0298})
            page = contexto.new_page()
            page.goto(f"{servidor}/{ruta}")
            page.fill("#email", "chofer.qr@test.pe")
            page.fill("#password", "chofer-pass-123")
            page.click("#entrar")
            expect(page.locator("#pedido")).to_have_text(f"PED-{pedido['id']}")
            expect(page.locator("#estado")).to_have_text("EN_RUTA")
            page.click("#confirmar")  # no evidence: the API's 400 is shown, nothing confirmed
            expect(page.locator("#mensaje")).to_have_class("error")
            caja = page.locator("#firma").bounding_box()
            page.mouse.move(caja["x"] + 20, caja["y"] + 40)
            page.mouse.down()
            for i in range(1, 8):
                page.mouse.move(caja["x"] + 20 + 30 * i, caja["y"] + 40 + (15 if i % 2 else -10))
            page.mouse.up()
            page.click("#confirmar")
            expect(page.locator("#mensaje")).to_contain_text("ENTREGADO")
        finally:
            browser.close()
    with session_scope() as s:
        firma, lat, lejos = s.execute(text("SELECT firma_digital, latitud_confirmacion, lejos_del_destino FROM "
                                           "asignaciones_pedido WHERE pedido_id = :p"), {"p": pedido["id"]}).one()
    assert firma and lat == -12.1212 and lejos is False
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("3"), Decimal("0"))


def test_bad_coordinates_of_a_confirmation_or_an_event_are_400_naming_the_field(despacho, make_user):
    p = despacho.producto("GPS0", stock="5")
    pedido = despacho.pedido(p, "1")
    transportista, headers_chofer = chofer(despacho, make_user, "GPS-101")
    en_ruta(despacho, transportista, pedido["id"])
    foto = {"foto": ("f.png", PNG)}
    for fix, campo in (({"latitud": 0, "longitud": 0}, "latitud"), ({"latitud": 40.4, "longitud": -3.7}, "latitud"),
                       ({"latitud": -12.12}, "longitud")):  # a device's (0, 0), Madrid, half a fix
        res = _confirmar(despacho, pedido["id"], headers_chofer, files=foto, **fix)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == campo, (fix, res.text)
        res = despacho.estado(pedido["id"], "NO_ENTREGADO", motivo="Cliente ausente", **fix)
        assert res.status_code == 400, (fix, res.text)
    assert despacho.client.get(f"/api/pedidos/{pedido['id']}/", headers=despacho.admin).json()["estado"] == "EN_RUTA"
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("5"), Decimal("1"))


def test_not_delivered_needs_a_reason_then_retries_next_day_or_returns_to_stock(despacho, make_user):
    from datetime import timedelta

    from services.stock import hoy_lima

    p = despacho.producto("NOE", stock="10")
    uno, dos = despacho.pedido(p, "2"), despacho.pedido(p, "3")
    transportista, _ = chofer(despacho, make_user, "NOE-101")
    en_ruta(despacho, transportista, uno["id"], dos["id"])
    res = despacho.estado(uno["id"], "NO_ENTREGADO")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "motivo"
    for pedido in (uno, dos):
        res = despacho.estado(pedido["id"], "NO_ENTREGADO", motivo="Cliente ausente", latitud=-12.12, longitud=-77.03)
        assert res.status_code == 200, res.text
        assert res.json()["motivo"] == "Cliente ausente" and res.json()["asignacion"]["estado"] == "CERRADA"
        evento = res.json()["eventos"][-1]
        assert (evento["estado_nuevo"], evento["descripcion"], evento["latitud_evento"]) == (
            "NO_ENTREGADO", "Cliente ausente", -12.12)
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("5"))  # nothing left the warehouse
    # retried the next day: PENDIENTE for tomorrow, the reservation kept, plannable on tomorrow's route
    res = despacho.estado(uno["id"], "PENDIENTE")
    assert res.status_code == 200 and res.json()["fecha_entrega"] == str(hoy_lima() + timedelta(days=1))
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("5"))
    manana = despacho.ruta(transportista, str(hoy_lima() + timedelta(days=1)))
    res = despacho.client.post(f"/api/rutas/{manana}/asignar/", headers=despacho.admin, json={"pedidos": [uno["id"]]})
    assert res.status_code == 200, res.text
    # returned to stock: CANCELADO releases its reservation; it cannot be retried afterwards
    assert despacho.estado(dos["id"], "CANCELADO").status_code == 400  # a reason is required
    assert despacho.estado(dos["id"], "CANCELADO", motivo="Devuelto al almacén").status_code == 200
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("10"), Decimal("2"))
    assert despacho.estado(dos["id"], "PENDIENTE").status_code == 409
    assert despacho.estado(dos["id"], "EN_RUTA").status_code == 409


def test_the_otp_is_kept_hashed_locks_after_five_wrong_codes_and_expires(despacho, make_user):
    from services.distribucion.avisos import hash_otp

    p = despacho.producto("OTP", stock="5")
    uno, dos = despacho.pedido(p, "1"), despacho.pedido(p, "1")
    transportista, headers_chofer = chofer(despacho, make_user, "OTP-101")
    en_ruta(despacho, transportista, uno["id"], dos["id"])
    with session_scope() as s:  # the codes the EN_RUTA notice would have sent (only their keyed hashes stored)
        for pedido_id, vence in ((uno["id"], "12 hours"), (dos["id"], "-1 minute")):
            a = s.execute(text("SELECT id FROM asignaciones_pedido WHERE pedido_id = :p"), {"p": pedido_id}).scalar()
            s.execute(text(f"UPDATE asignaciones_pedido SET otp_hash = :h, otp_expira = now() + interval '{vence}' "
                           "WHERE id = :a"), {"h": hash_otp(a, "246810"), "a": a})
            assert hash_otp(a, "246810") != "246810" and len(hash_otp(a, "246810")) == 64
    for restantes in (4, 3, 2, 1, 0):
        res = _confirmar(despacho, uno["id"], headers_chofer, otp="111111")
        assert res.status_code == 400 and f"{restantes} intentos" in res.json()["errors"][0]["message"]
    res = _confirmar(despacho, uno["id"], headers_chofer, otp="246810")  # the right code, too late
    assert res.status_code == 400 and "agotaron" in res.json()["errors"][0]["message"]
    res = _confirmar(despacho, dos["id"], headers_chofer, otp="246810")
    assert res.status_code == 400 and "expiró" in res.json()["errors"][0]["message"]
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("5"), Decimal("2"))
    assert _confirmar(despacho, uno["id"], headers_chofer, files={"foto": ("f.png", PNG)}).status_code == 200


def test_multipart_edge_cases_are_400_naming_the_field_never_500(despacho, make_user):
    p = despacho.producto("MPE", stock="5")
    pedido = despacho.pedido(p, "1")
    transportista, headers_chofer = chofer(despacho, make_user, "MPE-101")
    en_ruta(despacho, transportista, pedido["id"])
    url = f"/api/entregas/{pedido['id']}/confirmar/"
    casos = [
        ({"files": {"foto": ("f.png", b"")}}, "foto"),  # empty file
        ({"files": {"foto": ("f.png", b"%PDF-1.7\n" + b"x" * 100)}}, "foto"),  # a PDF named .png
        ({"files": {"foto": ("f.png", PNG + b"\x00" * (5 * 1024 * 1024))}}, "foto"),  # over 5 MB
        ({"files": {"foto": ("f.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)}}, "foto"),  # a PNG signature, no image
        ({"files": {"foto": ("f.jpg", b"\xff\xd8\xff\xe0" + b"JFIF" * 50)}}, "foto"),  # a JPEG header, truncated
        ({"files": {"foto": ("f.png", PNG[: len(PNG) // 2])}}, "foto"),  # half a real PNG
        ({"files": {"foto": ("f.png", _png_enorme())}}, "foto"),  # 900 megapixels declared in a small file
        ({"files": {"firma": ("f.png", b"<svg/>")}}, "firma"),
        ({"data": {"foto": "not a file"}}, "foto"),  # a text field where a file goes
        ({"data": {"firma_trazos": "not json"}}, "firma_trazos"),
        ({"data": {"firma_trazos": '[[["a", 1], [2, 3]]]'}}, "firma_trazos"),
        ({"data": {"otp": "12ab56"}}, "otp"),
        ({"data": {"latitud": "abc", "longitud": "-77"}, "files": {"foto": ("f.png", PNG)}}, "latitud"),
        ({"data": {"latitud": "nan", "longitud": "-77"}, "files": {"foto": ("f.png", PNG)}}, "latitud"),
        ({"json": {"otp": "123456"}}, "evidencia"),  # not multipart at all
    ]
    for kwargs, campo in casos:
        res = despacho.client.post(url, headers=headers_chofer, **kwargs)
        assert res.status_code == 400, (campo, res.status_code, res.text[:300])
        assert campo in [e["field"].split(".")[-1] for e in res.json()["errors"]], (campo, res.text[:300])
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("5"), Decimal("1"))
    assert despacho.client.get(f"/api/pedidos/{pedido['id']}/", headers=despacho.admin).json()["estado"] == "EN_RUTA"


async def test_the_workflow_follows_a_failed_delivery_retried_then_returned_to_stock(
        despacho, make_user, worker, temporal_client):
    """NO_ENTREGADO is not the end of the order's workflow: retried (PENDIENTE) it waits to be planned again;
    returned to stock (CANCELADO) it ends."""
    p = despacho.producto("WNE", stock="5")
    pedido = despacho.pedido(p, "1")
    transportista, _ = chofer(despacho, make_user, "WNE-101")
    en_ruta(despacho, transportista, pedido["id"])
    handle = temporal_client.get_workflow_handle(f"pedido-{pedido['id']}")

    async def en(estado: str):  # noqa: ANN202
        async def listo() -> bool:
            try:
                return await handle.query("estado_actual") == estado
            except Exception:  # noqa: BLE001 - not started by the relay yet
                return False
        await _esperar(listo)

    await en("EN_RUTA")
    assert despacho.estado(pedido["id"], "NO_ENTREGADO", motivo="Dirección cerrada").status_code == 200
    await en("NO_ENTREGADO")
    assert despacho.estado(pedido["id"], "PENDIENTE").status_code == 200
    await en("PENDIENTE")
    desc = await handle.describe()
    assert desc.status.name == "RUNNING"
    assert {p.key.name: p.value for p in desc.typed_search_attributes}["Estado"] == "PENDIENTE"
    assert despacho.estado(pedido["id"], "CANCELADO", motivo="Devuelto al almacén").status_code == 200
    assert await asyncio.wait_for(handle.result(), 30) == "CANCELADO"
    assert stock_fila(p, despacho.tienda.almacen_id) == (Decimal("5"), Decimal("0"))


def test_a_routes_state_follows_its_stops_and_a_departed_route_takes_no_more_orders(despacho, make_user):
    p = despacho.producto("RTE", stock="10")
    uno, dos, tres = (despacho.pedido(p, "1") for _ in range(3))
    transportista, _ = chofer(despacho, make_user, "RTE-101")
    ruta = despacho.ruta(transportista)
    url = f"/api/rutas/{ruta}/"

    def estado() -> str:
        return despacho.client.get(url, headers=despacho.admin).json()["estado"]

    res = despacho.client.post(f"{url}asignar/", headers=despacho.admin, json={"pedidos": [uno["id"], dos["id"]]})
    assert res.status_code == 200 and res.json()["estado"] == "PLANIFICADA"
    assert despacho.client.post(f"{url}optimizar/?segundos=0.2", headers=despacho.admin).status_code == 200
    assert despacho.estado(uno["id"], "EN_RUTA").status_code == 200
    assert estado() == "EN_RUTA"
    # the van has left: a forgotten order goes on another route, not onto this one
    res = despacho.client.post(f"{url}asignar/", headers=despacho.admin, json={"pedidos": [tres["id"]]})
    assert res.status_code == 409 and res.json()["errors"][0]["field"] == "estado", res.text
    assert "EN_RUTA" in res.json()["errors"][0]["message"]
    assert despacho.estado(dos["id"], "EN_RUTA").status_code == 200
    for pedido in (uno, dos):
        assert despacho.estado(pedido["id"], "NO_ENTREGADO", motivo="Cliente ausente").status_code == 200
    assert estado() == "COMPLETADA"

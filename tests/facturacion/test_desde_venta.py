"""A sale (module 1) asks for its comprobante inside its transaction; the workflow takes it to SUNAT
and e-mails the customer the PDF and XML."""

import time
from decimal import Decimal

from sqlalchemy import text

from core.db import session_scope
from tests.facturacion.conftest import RUC_CLIENTE

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def _esperar_correo(smtp_server, timeout: float = 20.0) -> list:
    limite = time.monotonic() + timeout
    while not (mensajes := smtp_server.messages()):
        assert time.monotonic() < limite, "no llegó el correo"
        time.sleep(0.1)
    return mensajes


def test_venta_con_ruc_genera_factura_aceptada_y_la_envia_por_correo(tienda, cajero, worker, sunat, esperar,
                                                                     smtp_server):
    with session_scope() as s:
        s.execute(text("UPDATE configuracion SET notificar_cliente = true"))
    cliente = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "CLIENTE SAC",
        "email": "compras@cliente.pe"}).json()
    producto = tienda.producto("CON-IGV", precio="11.80")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente["id"], "lineas": [{"producto_id": producto, "cantidad": "3", "descuento": "1.18"}],
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "34.22"}]})
    assert res.status_code == 201, res.text
    venta = res.json()

    c = esperar(venta["comprobante_id"], "ACEPTADO", archivo="pdf")
    assert (c["tipo"], c["serie"], c["venta_id"]) == ("01", "F001", venta["id"])
    assert Decimal(c["total_venta"]) == Decimal(venta["total"]) == Decimal("34.22")
    assert Decimal(c["lineas"][0]["subtotal"]) == Decimal("29.00") and c["lineas"][0]["codigo_producto"] == "CON-IGV"

    [correo] = _esperar_correo(smtp_server)
    assert correo["To"] == "compras@cliente.pe" and "F001-1" in correo["Subject"]
    adjuntos = {a.get_filename(): a.get_content() for a in correo.iter_attachments()}
    assert sorted(adjuntos) == ["20100066603-01-F001-1.pdf", "20100066603-01-F001-1.xml"]
    assert adjuntos["20100066603-01-F001-1.pdf"].startswith(b"%PDF")


def test_venta_con_datos_que_sunat_rechazaria_no_se_registra(tienda, cajero):
    producto = tienda.producto("CARO", precio="800.00")  # boleta above S/ 700 without the buyer's document
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "lineas": [{"producto_id": producto, "cantidad": "1"}], "formas_pago": [{"metodo": "EFECTIVO",
                                                                                  "monto": "800.00"}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cliente.numero_documento"
    with session_scope() as s:
        for tabla in ("ventas", "comprobantes", "series", "outbox"):
            assert s.execute(text(f"SELECT count(*) FROM {tabla}")).scalar() == 0, tabla

"""Facturas as Peruvian businesses issue them, through the API, the real worker and the local SUNAT (which runs
reglas.py): al Crédito with instalments (direct emission, credit sale, quote/order), subject to detracción
(SPOT), and exportación to a customer abroad."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pypdfium2
from lxml import etree
from sqlalchemy import text

from core.db import session_scope
from integrations.sunat.ubl import NS
from tests.facturacion.conftest import RUC_CLIENTE, factura
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero

CUENTA_BN = "00-068-123456"


def _hoy(c: dict) -> date:
    return date.fromisoformat(c["fecha_emision"])


def _xml(client, headers, comprobante_id: int) -> etree._Element:
    res = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/xml/", headers=headers)
    assert res.status_code == 200, res.text
    return etree.fromstring(res.content)


def _terminos(raiz: etree._Element) -> list[tuple[str, str, str | None, str | None, str | None]]:
    return [(t.findtext("cbc:ID", namespaces=NS), t.findtext("cbc:PaymentMeansID", namespaces=NS),
             t.findtext("cbc:Amount", namespaces=NS), (t.find("cbc:Amount", NS).get("currencyID")
                                                       if t.find("cbc:Amount", NS) is not None else None),
             t.findtext("cbc:PaymentDueDate", namespaces=NS)) for t in raiz.findall("cac:PaymentTerms", NS)]


def _texto_pdf(client, headers, comprobante_id: int) -> str:
    res = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/pdf/", headers=headers)
    assert res.status_code == 200
    pdf = pypdfium2.PdfDocument(io.BytesIO(res.content))
    return " ".join(pagina.get_textpage().get_text_range() for pagina in pdf)


def _nada_escrito() -> None:
    for tabla in ("comprobantes", "cuotas_comprobante", "series", "outbox"):
        assert contar(tabla) == 0, tabla


def _cuenta_detracciones(client, headers, cuenta: str = CUENTA_BN) -> None:
    res = client.put("/api/configuracion/", headers=headers, json={"cuenta_detracciones": cuenta})
    assert res.status_code == 200, res.text


# --- crédito ---------------------------------------------------------------------------------------------


def test_factura_al_credito_en_cuotas_aceptada_con_formapago_credito(client, admin_headers, worker, sunat, esperar):
    hoy = date.today()
    body = factura() | {"forma_pago": "Credito", "cuotas": [  # 236.00 = 136.00 + 100.00
        {"monto": "136.00", "fecha_vencimiento": (hoy + timedelta(days=30)).isoformat()},
        {"monto": "100.00", "fecha_vencimiento": (hoy + timedelta(days=60)).isoformat()}]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO", archivo="pdf")
    assert (c["forma_pago"], Decimal(c["monto_neto_pendiente"])) == ("Credito", Decimal("236.00"))
    assert [(q["numero"], q["monto"]) for q in c["cuotas"]] == [(1, "136.00"), (2, "100.00")]

    vence = [(_hoy(c) + timedelta(days=d)).isoformat() for d in (30, 60)]
    assert _terminos(_xml(client, admin_headers, c["id"])) == [
        ("FormaPago", "Credito", "236.00", "PEN", None),
        ("FormaPago", "Cuota001", "136.00", "PEN", vence[0]),
        ("FormaPago", "Cuota002", "100.00", "PEN", vence[1])]
    texto = _texto_pdf(client, admin_headers, c["id"])
    assert "Crédito" in texto and "Cuota001" in texto and "Cuota002" in texto and "136.00" in texto


def test_contado_sigue_diciendo_contado(client, admin_headers, worker, sunat, emitir, esperar):
    c = esperar(emitir()["id"], "ACEPTADO")
    assert c["forma_pago"] == "Contado" and c["cuotas"] == [] and c["monto_neto_pendiente"] is None
    assert _terminos(_xml(client, admin_headers, c["id"])) == [("FormaPago", "Contado", None, None, None)]


def test_cuotas_que_no_suman_el_pendiente_o_vencen_antes_se_rechazan_sin_escribir_nada(client, admin_headers):
    hoy = date.today()
    body = factura() | {"forma_pago": "Credito", "cuotas": [
        {"monto": "200.00", "fecha_vencimiento": (hoy + timedelta(days=30)).isoformat()}]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400
    assert res.json()["errors"] == [{"field": "cuotas", "message": "La suma de las cuotas (200.00) debe ser igual al "
                                                                  "monto neto pendiente de pago (236.00)"}]
    body["cuotas"] = [{"monto": "236.00", "fecha_vencimiento": hoy.isoformat()}]
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas.0.fecha_vencimiento"
    res = client.post("/api/facturacion/emitir/", json=factura() | {"cuotas": body["cuotas"]}, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas"  # cuotas al contado
    _nada_escrito()


def test_credito_sin_cuotas_vence_a_los_dias_de_credito_del_cliente(client, admin_headers, worker, sunat, esperar):
    res = client.post("/api/facturacion/emitir/", json=factura() | {"forma_pago": "Credito"}, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas"  # unknown customer: no días
    res = client.post("/api/clientes/", headers=admin_headers, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "CLIENTE DEMO S.A.C.", "dias_credito": 45})
    assert res.status_code == 201, res.text
    res = client.post("/api/facturacion/emitir/", json=factura() | {"forma_pago": "Credito"}, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO")
    assert c["cuotas"] == [{"numero": 1, "monto": "236.00",
                            "fecha_vencimiento": (_hoy(c) + timedelta(days=45)).isoformat()}]


def _cliente_credito(tienda, dias: int = 30) -> int:
    res = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "DISTRIBUIDORA SAC", "limite_credito": "5000",
        "dias_credito": dias})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def test_venta_al_credito_emite_factura_credito_por_lo_pendiente(tienda, cajero, worker, sunat, esperar):
    cliente = _cliente_credito(tienda)
    producto = tienda.producto("CRED-1", precio="118.00")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "2"}],
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "36.00"}, {"metodo": "CREDITO", "monto": "200.00"}]})
    assert res.status_code == 201, res.text
    c = esperar(res.json()["comprobante_id"], "ACEPTADO")
    assert (c["forma_pago"], c["monto_neto_pendiente"], Decimal(c["total_venta"])) == ("Credito", "200.00",
                                                                                       Decimal("236.00"))
    vence = (_hoy(c) + timedelta(days=30)).isoformat()
    assert c["cuotas"] == [{"numero": 1, "monto": "200.00", "fecha_vencimiento": vence}]
    assert _terminos(_xml(tienda.client, tienda.admin, c["id"])) == [
        ("FormaPago", "Credito", "200.00", "PEN", None), ("FormaPago", "Cuota001", "200.00", "PEN", vence)]


def test_venta_al_credito_con_cuotas_que_no_cuadran_no_se_registra(tienda, cajero):
    cliente = _cliente_credito(tienda)
    producto = tienda.producto("CRED-2", precio="118.00")
    manana = (date.today() + timedelta(days=2)).isoformat()
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "1"}],
        "formas_pago": [{"metodo": "CREDITO", "monto": "118.00"}],
        "cuotas": [{"monto": "100.00", "fecha_vencimiento": manana}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas", res.text
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "1"}],
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "118.00"}],
        "cuotas": [{"monto": "118.00", "fecha_vencimiento": manana}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas", res.text
    for tabla in ("ventas", "comprobantes", "cuotas_comprobante", "series"):
        assert contar(tabla) == 0, tabla


def test_cotizacion_al_credito_lleva_sus_cuotas_a_la_orden(tienda):
    cliente = _cliente_credito(tienda, dias=15)
    producto = tienda.producto("COT-1", precio="118.00", stock=None)
    hoy = date.today()
    cuotas = [{"monto": "118.00", "fecha_vencimiento": (hoy + timedelta(days=30)).isoformat()},
              {"monto": "118.00", "fecha_vencimiento": (hoy + timedelta(days=60)).isoformat()}]
    body = {"cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "2"}], "forma_pago": "Credito"}
    res = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json=body | {"cuotas": cuotas[:1]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cuotas"
    res = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json=body | {"cuotas": cuotas})
    assert res.status_code == 201, res.text
    cotizacion = res.json()
    assert cotizacion["cuotas"] == cuotas
    res = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json=body)  # default: días de crédito
    assert res.json()["cuotas"] == [{"monto": "236.00", "fecha_vencimiento": (hoy + timedelta(days=15)).isoformat()}]
    orden = tienda.client.post(f"/api/cotizaciones/{cotizacion['id']}/convertir/", headers=tienda.admin)
    assert orden.status_code == 201, orden.text
    assert orden.json()["cuotas"] == cuotas


# --- detracción ------------------------------------------------------------------------------------------


def _servicio(client, headers, sku: str = "SRV-MANT", codigo: str = "020") -> None:
    res = client.post("/api/productos/", headers=headers, json={
        "sku": sku, "nombre": "Mantenimiento de maquinaria", "precio": "1180.00", "unidad_medida": "ZZ",
        "codigo_detraccion": codigo})
    assert res.status_code == 201, res.text


def _linea_servicio(valor: str = "1000.00", sku: str = "SRV-MANT") -> dict:
    return {"codigo_producto": sku, "descripcion": "Mantenimiento de maquinaria", "cantidad": "1",
            "valor_unitario": valor, "unidad_medida": "ZZ"}


def test_servicio_sujeto_a_detraccion_sobre_700_soles(client, admin_headers, worker, sunat, esperar):
    _cuenta_detracciones(client, admin_headers)
    _servicio(client, admin_headers)  # catálogo 54 code 020 (mantenimiento de bienes muebles, 12 %)
    body = factura() | {"lineas": [_linea_servicio()]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO", archivo="pdf")
    assert (c["tipo_operacion"], c["detraccion_codigo"], c["detraccion_porcentaje"], c["detraccion_monto"],
            c["detraccion_cuenta"], c["detraccion_medio_pago"]) == ("1001", "020", "12.00", "142.00", CUENTA_BN, "001")

    raiz = _xml(client, admin_headers, c["id"])
    assert raiz.find("cbc:InvoiceTypeCode", NS).get("listID") == "1001"
    medio = raiz.find("cac:PaymentMeans", NS)
    assert (medio.findtext("cbc:ID", namespaces=NS), medio.findtext("cbc:PaymentMeansCode", namespaces=NS),
            medio.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS)) == ("Detraccion", "001", CUENTA_BN)
    assert _terminos(raiz) == [("Detraccion", "020", "142.00", "PEN", None), ("FormaPago", "Contado", None, None, None)]
    assert {n.get("languageLocaleID"): n.text for n in raiz.findall("cbc:Note", NS)}["2006"] \
        == "Operación sujeta a detracción"
    texto = _texto_pdf(client, admin_headers, c["id"])
    assert "detracción" in texto and "142.00" in texto and CUENTA_BN in texto


def test_detraccion_credito_las_cuotas_cubren_el_neto(client, admin_headers, worker, sunat, esperar):
    _cuenta_detracciones(client, admin_headers)
    _servicio(client, admin_headers)
    vence = (date.today() + timedelta(days=30)).isoformat()
    body = factura() | {"lineas": [_linea_servicio()], "forma_pago": "Credito",
                        "cuotas": [{"monto": "1180.00", "fecha_vencimiento": vence}]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and "1038.00" in res.json()["errors"][0]["message"]  # 1180 - 142
    body["cuotas"] = [{"monto": "1038.00", "fecha_vencimiento": vence}]
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO")
    assert _terminos(_xml(client, admin_headers, c["id"]))[1:] == [
        ("FormaPago", "Credito", "1038.00", "PEN", None),
        ("FormaPago", "Cuota001", "1038.00", "PEN", (_hoy(c) + timedelta(days=30)).isoformat())]


def test_detraccion_en_dolares_se_informa_en_soles_al_tipo_de_cambio(client, admin_headers, worker, sunat, esperar):
    _cuenta_detracciones(client, admin_headers)
    _servicio(client, admin_headers)
    body = factura() | {"lineas": [_linea_servicio("250.00")], "moneda": "USD", "tipo_cambio": "3.7500"}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)  # 295 USD = 1106.25 PEN
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO")
    assert (c["tipo_operacion"], c["detraccion_monto"]) == ("1001", "133.00")  # 12 % of 1106.25, whole soles
    assert _terminos(_xml(client, admin_headers, c["id"]))[0] == ("Detraccion", "020", "133.00", "PEN", None)


def test_hasta_700_soles_no_hay_detraccion_salvo_que_se_indique(client, admin_headers, worker, sunat, esperar):
    _cuenta_detracciones(client, admin_headers)
    _servicio(client, admin_headers)
    body = factura() | {"lineas": [_linea_servicio("500.00")]}  # 590.00
    c = esperar(client.post("/api/facturacion/emitir/", json=body, headers=admin_headers).json()["id"], "ACEPTADO")
    assert (c["tipo_operacion"], c["detraccion_codigo"]) == ("0101", None)
    body["detraccion"] = {"codigo": "020"}  # the code's own rule makes it subject
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO")
    assert (c["tipo_operacion"], c["detraccion_monto"]) == ("1001", "71.00")  # 12 % of 590.00


def test_detraccion_sin_cuenta_o_con_datos_invalidos_se_rechaza(client, admin_headers):
    _servicio(client, admin_headers)
    body = factura() | {"lineas": [_linea_servicio()]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "detraccion"
    assert "Banco de la Nación" in res.json()["message"]
    _cuenta_detracciones(client, admin_headers)
    for detraccion, campo in (({"codigo": "999"}, "detraccion.codigo"), ({"codigo": "027"}, "detraccion.codigo"),
                              ({"codigo": "020", "medio_pago": "555"}, "detraccion.medio_pago"),
                              ({"codigo": "020", "banco": "BN"}, "detraccion.banco")):
        res = client.post("/api/facturacion/emitir/", json=body | {"detraccion": detraccion}, headers=admin_headers)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == campo, res.text
    _nada_escrito()


def test_venta_al_credito_de_un_servicio_sujeto_a_detraccion(tienda, cajero, worker, sunat, esperar):
    """The POS sale's factura is subject too: its instalment covers the credit part minus the detracción."""
    _cuenta_detracciones(tienda.client, tienda.admin)
    cliente = _cliente_credito(tienda)
    producto = tienda.producto("SRV-037", precio="1180.00", stock=None, unidad_medida="ZZ", codigo_detraccion="037",
                               permite_venta_sin_stock=True)
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "1"}],
        "formas_pago": [{"metodo": "CREDITO", "monto": "1180.00"}]})
    assert res.status_code == 201, res.text
    c = esperar(res.json()["comprobante_id"], "ACEPTADO")
    assert (c["tipo_operacion"], c["detraccion_codigo"], c["detraccion_monto"]) == ("1001", "037", "142.00")
    assert (c["monto_neto_pendiente"], [q["monto"] for q in c["cuotas"]]) == ("1038.00", ["1038.00"])


# --- exportación -----------------------------------------------------------------------------------------

EXTRANJERO = {"tipo_documento": "0", "numero_documento": "US-47-1234567", "razon_social": "ACME IMPORTS LLC",
              "direccion": "500 BRICKELL AVE, MIAMI FL", "pais": "US"}


def test_exportacion_a_cliente_del_exterior_en_dolares(client, admin_headers, worker, sunat, esperar):
    body = {"cliente": EXTRANJERO, "moneda": "USD", "tipo_cambio": "3.7500", "lineas": [
        {"codigo_producto": "CAFE-1", "descripcion": "Café verde en grano", "cantidad": "100", "unidad_medida": "KGM",
         "valor_unitario": "4.50"}]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO", archivo="pdf")
    assert (c["tipo"], c["serie"], c["tipo_operacion"], c["cliente_pais"], c["moneda"]) \
        == ("01", "F001", "0200", "US", "USD")
    assert (Decimal(c["total_igv"]), Decimal(c["total_venta"])) == (Decimal("0"), Decimal("450.00"))
    assert c["lineas"][0]["afectacion_igv"] == "40"

    raiz = _xml(client, admin_headers, c["id"])
    assert raiz.find("cbc:InvoiceTypeCode", NS).get("listID") == "0200"
    assert raiz.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cac:RegistrationAddress/"
                         "cac:Country/cbc:IdentificationCode", namespaces=NS) == "US"
    assert [s.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS)
            for s in raiz.findall("cac:TaxTotal/cac:TaxSubtotal", NS)] == ["9995"]
    assert "0200" in _texto_pdf(client, admin_headers, c["id"])


def test_exportacion_de_servicios_en_euros(client, admin_headers, worker, sunat, esperar):
    body = {"cliente": EXTRANJERO | {"tipo_documento": "7", "numero_documento": "X1234567", "pais": "ES"},
            "tipo_operacion": "0201", "moneda": "EUR", "tipo_cambio": "4.1000",
            "lineas": [{"codigo_producto": "SRV-SW", "descripcion": "Desarrollo de software", "cantidad": "1",
                        "unidad_medida": "ZZ", "valor_unitario": "2000.00"}]}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 201, res.text
    c = esperar(res.json()["id"], "ACEPTADO")
    assert (c["tipo_operacion"], c["moneda"], c["total_venta"]) == ("0201", "EUR", "2000.00")


def test_exportacion_mal_formada_se_rechaza_nombrando_el_campo(client, admin_headers):
    linea = {"codigo_producto": "X", "descripcion": "Café", "cantidad": "1", "valor_unitario": "10"}
    casos = [
        ({"cliente": EXTRANJERO | {"pais": "PE"}, "tipo": "01", "lineas": [linea]}, "cliente.tipo_documento"),
        ({"cliente": EXTRANJERO, "lineas": [linea | {"afectacion_igv": "10"}]}, "lineas.0.afectacion_igv"),
        ({"cliente": EXTRANJERO | {"pais": "PE"}, "tipo_operacion": "0200", "lineas": [linea]}, "cliente.pais"),
        ({"cliente": EXTRANJERO, "tipo": "03", "tipo_operacion": "0200", "lineas": [linea]}, "tipo_operacion"),
        (factura() | {"lineas": [linea | {"afectacion_igv": "40"}]}, "lineas.0.afectacion_igv"),  # 40 outside export
    ]
    for body, campo in casos:
        res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
        assert res.status_code == 400, res.text
        assert res.json()["errors"][0]["field"] == campo, res.text
    _nada_escrito()


def test_cliente_del_exterior_registra_su_pais(client, admin_headers):
    res = client.post("/api/clientes/", headers=admin_headers, json={
        "tipo_doc": "7", "numero_doc": "X1234567", "razon_social": "JOHN DOE", "pais": "US"})
    assert res.status_code == 201, res.text
    assert res.json()["pais"] == "US"
    with session_scope() as s:
        assert s.execute(text("SELECT pais FROM clientes")).scalar_one() == "US"


def test_con_nubefact_se_rechaza_lo_que_su_json_no_lleva(client, admin_headers):
    """Nubefact receives a JSON translation without instalments or exports: 422 instead of a different factura."""
    res = client.put("/api/configuracion/", headers=admin_headers, json={"proveedor_sunat": "NUBEFACT"})
    assert res.status_code == 200, res.text
    vence = (date.today() + timedelta(days=30)).isoformat()
    credito = factura() | {"forma_pago": "Credito", "cuotas": [{"monto": "236.00", "fecha_vencimiento": vence}]}
    exportacion = {"cliente": EXTRANJERO, "lineas": [factura()["lineas"][0]]}
    for body, campo in ((credito, "forma_pago"), (exportacion, "tipo_operacion")):
        res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
        assert res.status_code == 422 and res.json()["errors"][0]["field"] == campo, res.text
    _nada_escrito()

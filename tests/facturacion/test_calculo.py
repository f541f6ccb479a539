"""Issue 10, points 1, 5 and 7 through the API, the real worker and the local SUNAT: the sale, the quote, the
direct emission and the notes are priced by the one calculator, so the comprobante says exactly what the customer
paid; plastic bags carry ICBPER; global discounts and charges are document-level cac:AllowanceCharge."""

import io
from decimal import Decimal

import pypdfium2
from lxml import etree
from sqlalchemy import text

from core.db import session_scope
from integrations.sunat.ubl import NS
from tests.facturacion.conftest import RUC_CLIENTE, factura

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero


def _xml(client, headers, comprobante_id: int) -> etree._Element:
    res = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/xml/", headers=headers)
    assert res.status_code == 200, res.text
    return etree.fromstring(res.content)


def _texto_pdf(client, headers, comprobante_id: int) -> str:
    pdf = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/pdf/", headers=headers).content
    return pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()


def _payable(raiz: etree._Element) -> Decimal:
    return Decimal(raiz.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS))


def _cliente_ruc(tienda) -> int:
    res = tienda.client.post("/api/clientes/", headers=tienda.admin, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "CLIENTE SAC"})
    assert res.status_code == 201, res.text
    return res.json()["id"]


def test_two_lines_of_20_at_30_centimos_sell_for_12_soles_and_the_factura_says_12(tienda, cajero, worker, sunat,
                                                                                    esperar):
    """The sale the POS used to refuse ("El total calculado según SUNAT (8.18) no coincide…")."""
    a, b = tienda.producto("CHICLE", precio="0.30"), tienda.producto("CARAMELO", precio="0.30")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": _cliente_ruc(tienda), "lineas": [{"producto_id": a, "cantidad": "20"},
                                                       {"producto_id": b, "cantidad": "20"}],
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "12.00"}]})
    assert res.status_code == 201, res.text
    venta = res.json()
    assert [Decimal(d["total"]) for d in venta["detalle"]] == [Decimal("6.00")] * 2
    c = esperar(venta["comprobante_id"], "ACEPTADO")
    assert c["codigo_respuesta"] == "0" and not c["envios_sunat"][-1]["observaciones"]
    raiz = _xml(tienda.client, tienda.admin, c["id"])
    assert _payable(raiz) == Decimal(c["total_venta"]) == Decimal(venta["total"]) == Decimal("12.00")
    # the sale stores exactly what the document says, line by line
    lineas = raiz.findall("cac:InvoiceLine", NS)
    for d, linea in zip(venta["detalle"], lineas, strict=True):
        assert Decimal(linea.findtext("cbc:LineExtensionAmount", namespaces=NS)) == Decimal(d["subtotal"])
        assert Decimal(linea.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS)) == Decimal(d["igv"])
        assert Decimal(linea.findtext("cac:Price/cbc:PriceAmount", namespaces=NS)) == Decimal(d["valor_unitario"])
        assert linea.findtext("cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount",
                              namespaces=NS) == "0.30"


def test_a_total_that_does_not_add_up_names_the_sale_not_sunat(tienda, cajero):
    producto = tienda.producto("GALLETA", precio="0.30")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "lineas": [{"producto_id": producto, "cantidad": "20"}], "formas_pago": [{"metodo": "EFECTIVO",
                                                                                   "monto": "5.99"}]})
    assert res.status_code == 400
    body = res.json()
    assert body["errors"][0]["field"] == "formas_pago" and "6.00" in body["message"]
    assert "SUNAT" not in body["message"]


def test_a_plastic_bag_in_the_pos_adds_icbper_to_the_boleta_and_its_pdf(tienda, cajero, worker, sunat, esperar):
    bolsa = tienda.producto("BOLSA", precio="0.10", bolsa_plastica=True)
    pan = tienda.producto("PAN", precio="5.00")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "lineas": [{"producto_id": pan, "cantidad": "1"}, {"producto_id": bolsa, "cantidad": "2"}],
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "6.20"}]})  # 5.00 + 2 × 0.10 + 2 × 0.50 ICBPER
    assert res.status_code == 201, res.text
    venta = res.json()
    assert Decimal(venta["icbper"]) == Decimal("1.00") and Decimal(venta["total"]) == Decimal("6.20")
    c = esperar(venta["comprobante_id"], "PENDIENTE", archivo="xml")
    assert (c["tipo"], Decimal(c["total_icbper"]), Decimal(c["total_venta"])) == ("03", Decimal("1.00"),
                                                                                  Decimal("6.20"))
    raiz = _xml(tienda.client, tienda.admin, c["id"])
    icbper = raiz.find("cac:InvoiceLine[2]/cac:TaxTotal/cac:TaxSubtotal[2]", NS)
    assert icbper.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS) == "7152"
    assert (icbper.findtext("cbc:BaseUnitMeasure", namespaces=NS), icbper.findtext("cbc:TaxAmount", namespaces=NS),
            icbper.findtext("cac:TaxCategory/cbc:PerUnitAmount", namespaces=NS)) == ("2", "1.00", "0.50")
    c = esperar(c["id"], "PENDIENTE", archivo="pdf")
    assert "ICBPER" in _texto_pdf(tienda.client, tienda.admin, c["id"])
    res = tienda.client.post("/api/facturacion/resumen-diario/", headers=tienda.admin, json={})
    assert res.status_code == 202, res.text
    assert esperar(c["id"], "ACEPTADO")["estado_sunat"] == "ACEPTADO"  # the RC informing it was accepted


def test_the_icbper_rate_comes_from_configuracion(tienda, cajero):
    assert tienda.client.put("/api/configuracion/", headers=tienda.admin,
                             json={"icbper_tarifa": "0.40"}).status_code == 200
    bolsa = tienda.producto("BOLSA", precio="0.00", bolsa_plastica=True)
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "lineas": [{"producto_id": bolsa, "cantidad": "3"}], "formas_pago": [{"metodo": "EFECTIVO",
                                                                               "monto": "1.20"}]})
    assert res.status_code == 201, res.text
    assert Decimal(res.json()["icbper"]) == Decimal("1.20")


def test_half_a_bag_is_refused(tienda, cajero):
    bolsa = tienda.producto("BOLSA", precio="0.10", bolsa_plastica=True)
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "lineas": [{"producto_id": bolsa, "cantidad": "1.5"}], "formas_pago": [{"metodo": "EFECTIVO",
                                                                                 "monto": "1.00"}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.cantidad"


def test_global_discounts_on_a_sale_are_document_level_allowances(tienda, cajero, worker, sunat, esperar):
    producto = tienda.producto("SILLA", precio="118.00")
    res = tienda.client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": _cliente_ruc(tienda), "lineas": [{"producto_id": producto, "cantidad": "2"}],
        "descuentos_cargos": [{"codigo": "02", "porcentaje": "10"}, {"codigo": "03", "monto": "5.00"}],
        # base 200.00 − 10 % = 180.00, IGV 32.40, − 5.00 not affecting the base = 207.40
        "formas_pago": [{"metodo": "EFECTIVO", "monto": "207.40"}]})
    assert res.status_code == 201, res.text
    venta = res.json()
    assert (Decimal(venta["subtotal"]), Decimal(venta["igv"]), Decimal(venta["total"])) == (
        Decimal("180.00"), Decimal("32.40"), Decimal("207.40"))
    c = esperar(venta["comprobante_id"], "ACEPTADO", archivo="pdf")
    assert c["codigo_respuesta"] == "0" and not c["envios_sunat"][-1]["observaciones"]
    assert c["descuentos_cargos"] == venta["descuentos_cargos"] == [
        {"codigo": "02", "monto": None, "factor": "0.1"}, {"codigo": "03", "monto": "5.00", "factor": None}]
    raiz = _xml(tienda.client, tienda.admin, c["id"])
    globales = [(ac.findtext("cbc:AllowanceChargeReasonCode", namespaces=NS), ac.findtext("cbc:Amount", namespaces=NS))
                for ac in raiz.findall("cac:AllowanceCharge", NS)]
    assert globales == [("02", "20.00"), ("03", "5.00")]
    # the list price is not folded: valor unitario 100, precio 118 on the line
    assert raiz.findtext("cac:InvoiceLine/cac:Price/cbc:PriceAmount", namespaces=NS) == "100.00"
    assert _payable(raiz) == Decimal("207.40")
    texto = _texto_pdf(tienda.client, tienda.admin, c["id"])
    assert "Descuento global (02" in texto and "118" in texto


def test_a_quote_is_priced_like_the_sale(tienda):
    producto = tienda.producto("MESA", precio="0.30")
    bolsa = tienda.producto("BOLSA", precio="0.10", bolsa_plastica=True)
    res = tienda.client.post("/api/cotizaciones/", headers=tienda.admin, json={
        "cliente_id": _cliente_ruc(tienda), "lineas": [{"producto_id": producto, "cantidad": "20"},
                                                       {"producto_id": bolsa, "cantidad": "1"}],
        "descuentos_cargos": [{"codigo": "50", "monto": "2.00"}]})
    assert res.status_code == 201, res.text
    cot = res.json()
    # 6.00 + 0.10 + 0.50 ICBPER + 2.00 charge
    assert Decimal(cot["total"]) == Decimal("8.60") and Decimal(cot["icbper"]) == Decimal("0.50")
    assert cot["descuentos_cargos"] == [{"codigo": "50", "monto": "2.00", "factor": None}]


def test_emission_takes_precio_unitario_or_valor_unitario_exactly_one(client, admin_headers):
    body = factura()
    body["lineas"][0] |= {"precio_unitario": "118.00"}
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.precio_unitario"
    del body["lineas"][0]["precio_unitario"], body["lineas"][0]["valor_unitario"]
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.valor_unitario"
    body["descuentos_cargos"] = [{"codigo": "02", "monto": "1.00", "porcentaje": "5"}]
    body["lineas"][0]["precio_unitario"] = "11.80"
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "descuentos_cargos.0.monto"
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM comprobantes")).scalar() == 0


def test_direct_emission_with_prices_bags_and_global_charges_is_accepted(client, admin_headers, worker, sunat,
                                                                          emitir, esperar):
    body = factura()
    body["lineas"] = [
        {"codigo_producto": "P1", "descripcion": "Gaseosa", "cantidad": "20", "precio_unitario": "0.30"},
        {"codigo_producto": "P2", "descripcion": "Libro", "cantidad": "1", "precio_unitario": "40.00",
         "afectacion_igv": "20"},
        {"codigo_producto": "BOLSA", "descripcion": "Bolsa", "cantidad": "3", "precio_unitario": "0.10",
         "bolsa_plastica": True},
        {"codigo_producto": "P3", "descripcion": "Servicio", "cantidad": "1", "valor_unitario": "100.00",
         "descuento": "10.00"},
    ]
    body["descuentos_cargos"] = [{"codigo": "49", "monto": "5.00"}, {"codigo": "50", "monto": "1.50"}]
    c = esperar(emitir(body)["id"], "ACEPTADO")
    assert c["codigo_respuesta"] == "0" and not c["envios_sunat"][-1]["observaciones"]
    # 6.00 + 40.00 + 0.30 + 1.50 ICBPER + (90.00 + 5.00) × 1.18 + 1.50 = 161.40
    assert (Decimal(c["total_venta"]), Decimal(c["total_icbper"]), Decimal(c["total_cargos"])) == (
        Decimal("161.40"), Decimal("1.50"), Decimal("1.50"))
    raiz = _xml(client, admin_headers, c["id"])
    assert _payable(raiz) == Decimal("161.40")
    servicio = raiz.find("cac:InvoiceLine[4]", NS)
    assert servicio.findtext("cac:AllowanceCharge/cbc:AllowanceChargeReasonCode", namespaces=NS) == "00"
    assert servicio.findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "100.00"
    [linea] = [d for d in c["lineas"] if d["codigo_producto"] == "P1"]
    assert (linea["precio_incluye_igv"], Decimal(linea["total"])) == (True, Decimal("6.00"))


def test_a_credit_note_priced_with_igv_credits_what_was_paid(client, admin_headers, worker, sunat, emitir, esperar):
    body = factura()
    body["lineas"] = [{"codigo_producto": "P1", "descripcion": "Gaseosa", "cantidad": "20", "precio_unitario": "0.30"}]
    origen = esperar(emitir(body)["id"], "ACEPTADO")
    res = client.post("/api/facturacion/notas/", headers=admin_headers, json={
        "tipo": "07", "comprobante_origen_id": origen["id"], "motivo_codigo": "07",
        "motivo_descripcion": "Devolución", "lineas": [{"linea_origen": 1, "cantidad": "7",
                                                         "precio_unitario": "0.30"}]})
    assert res.status_code == 201, res.text
    nota = esperar(res.json()["id"], "ACEPTADO")
    assert Decimal(nota["total_venta"]) == Decimal("2.10")
    completa = client.post("/api/facturacion/notas/", headers=admin_headers, json={
        "tipo": "07", "comprobante_origen_id": origen["id"], "motivo_codigo": "06",
        "motivo_descripcion": "Devolución total"})
    assert completa.status_code == 201, completa.text
    # the rest of the balance: 13 at the original price, exactly what was paid for them
    assert Decimal(esperar(completa.json()["id"], "ACEPTADO")["total_venta"]) == Decimal("3.90")


def test_a_full_credit_note_of_a_sale_priced_with_igv_is_what_was_paid(client, admin_headers, worker, sunat,
                                                                        emitir, esperar):
    body = factura()
    body["lineas"] = [{"codigo_producto": "P1", "descripcion": "Gaseosa", "cantidad": "20", "precio_unitario": "0.30",
                       "descuento": "0.30"},
                      {"codigo_producto": "B", "descripcion": "Bolsa", "cantidad": "2", "precio_unitario": "0.10",
                       "bolsa_plastica": True}]
    body["descuentos_cargos"] = [{"codigo": "03", "monto": "0.50"}]
    origen = esperar(emitir(body)["id"], "ACEPTADO")
    assert Decimal(origen["total_venta"]) == Decimal("6.40")  # 5.70 + 0.20 + 1.00 ICBPER − 0.50
    res = client.post("/api/facturacion/notas/", headers=admin_headers, json={
        "tipo": "07", "comprobante_origen_id": origen["id"], "motivo_codigo": "01",
        "motivo_descripcion": "Anulación de la operación"})
    assert res.status_code == 201, res.text
    assert Decimal(esperar(res.json()["id"], "ACEPTADO")["total_venta"]) == Decimal("6.40")

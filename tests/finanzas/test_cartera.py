"""Module 6: receivables and payables, collections and payments, realized exchange differences, aging."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.db import session_scope
from services.finanzas.asientos import hoy
from tests.finanzas.helpers import d, lineas, saldo

RUC_CLIENTE = "20100047218"
RUC_PROVEEDOR = "20601030021"


@pytest.fixture
def contador(make_user):
    return make_user("CONTADOR")[1]


def _factura(client, headers, valor: str, moneda: str = "PEN", tipo_cambio: str | None = None,
             ruc: str = RUC_CLIENTE, afectacion: str = "30") -> dict:
    """A factura outside a sale (it opens its receivable); inafecto (30) keeps the amounts round."""
    res = client.post("/api/facturacion/emitir/", headers=headers, json={
        "cliente": {"tipo_documento": "6", "numero_documento": ruc, "razon_social": f"CLIENTE {ruc}"},
        "lineas": [{"codigo_producto": "X", "descripcion": "Item", "cantidad": "1", "valor_unitario": valor,
                    "afectacion_igv": afectacion}], "moneda": moneda,
        **({"tipo_cambio": tipo_cambio} if tipo_cambio else {})})
    assert res.status_code == 201, res.text
    return res.json()


def _cxc(client, headers, comprobante_id: int) -> dict:
    items = client.get("/api/finanzas/cuentas-cobrar/?limit=200", headers=headers).json()["items"]
    return next(c for c in items if c["comprobante_id"] == comprobante_id)


def _cobro(client, headers, documentos: list[tuple[int, str]], moneda: str = "PEN", tipo_cambio: str | None = None,
           metodo: str = "TRANSFERENCIA", url: str = "/api/finanzas/cobros/"):
    return client.post(url, headers=headers, json={
        "metodo_pago": metodo, "moneda": moneda, "referencia": "OP-123",
        "documentos": [{"documento_id": i, "monto": m} for i, m in documentos],
        **({"tipo_cambio": tipo_cambio} if tipo_cambio else {})})


def test_usd_receivable_collected_in_parts_posts_gain_then_loss(client, admin_headers, contador):
    factura = _factura(client, admin_headers, "1000.00", "USD", "3.7500")
    cxc = _cxc(client, contador, factura["id"])
    assert saldo("1212") == d("3750.00")
    res = _cobro(client, contador, [(cxc["id"], "400.00")], "USD", "3.8000")
    assert res.status_code == 201, res.text
    [primero] = res.json()
    assert (primero["monto_aplicado"], primero["diferencia_cambio"]) == ("400.00", "20.00")
    assert lineas(client, contador, "COBRO", primero["operacion"]) == {
        "1041": (d("1520.00"), 0), "1212": (0, d("1500.00")), "776": (0, d("20.00"))}
    assert (_cxc(client, contador, factura["id"])["saldo"], _cxc(client, contador, factura["id"])["estado"]) == \
        ("600.00", "PARCIAL")
    [ultimo] = _cobro(client, contador, [(cxc["id"], "600.00")], "USD", "3.7000").json()
    assert lineas(client, contador, "COBRO", ultimo["operacion"]) == {
        "1041": (d("2220.00"), 0), "1212": (0, d("2250.00")), "676": (d("30.00"), 0)}
    assert _cxc(client, contador, factura["id"])["estado"] == "PAGADA"
    assert saldo("1212") == 0 and saldo("776") == d("-20.00") and saldo("676") == d("30.00")


def test_usd_receivable_collected_in_soles_at_the_day_rate(client, admin_headers, contador):
    factura = _factura(client, admin_headers, "1000.00", "USD", "3.7500")
    cxc = _cxc(client, contador, factura["id"])
    client.post("/api/finanzas/tipos-cambio/", headers=contador,
                json={"fecha": str(hoy() - timedelta(days=2)), "compra": "3.8000", "venta": "3.8200"})
    res = _cobro(client, contador, [(cxc["id"], "1900.00")], "PEN")  # no rate given: the last published (compra)
    assert res.status_code == 201, res.text
    [cobro] = res.json()
    assert (cobro["monto_aplicado"], cobro["diferencia_cambio"]) == ("500.00", "25.00")
    assert lineas(client, contador, "COBRO", cobro["operacion"]) == {
        "1041": (d("1900.00"), 0), "1212": (0, d("1875.00")), "776": (0, d("25.00"))}


def test_supplier_invoice_and_its_payment_with_exchange_loss(client, contador):
    res = client.post("/api/finanzas/cuentas-pagar/", headers=contador, json={
        "proveedor_ruc": RUC_PROVEEDOR, "proveedor_razon_social": "PROVEEDOR SAC", "serie": "F001", "numero": "77",
        "fecha_emision": str(hoy()), "fecha_vencimiento": str(hoy() + timedelta(days=30)), "moneda": "USD",
        "tipo_cambio": "3.7000", "base_imponible": "450.00", "costos_vinculados": "50.00", "igv": "90.00"})
    assert res.status_code == 201, res.text
    cxp = res.json()
    assert (cxp["documento"], cxp["monto_total"], cxp["saldo"]) == ("F001-77", "590.00", "590.00")
    assert lineas(client, contador, "FACTURA_PROVEEDOR", cxp["id"]) == {
        "6011": (d("1665.00"), 0), "6091": (d("185.00"), 0), "40111": (d("333.00"), 0), "4212": (0, d("2183.00"))}
    res = _cobro(client, contador, [(cxp["id"], "590.00")], "USD", "3.8000", url="/api/finanzas/pagos/")
    assert res.status_code == 201, res.text
    [pago] = res.json()
    assert pago["diferencia_cambio"] == "-59.00"
    assert lineas(client, contador, "PAGO", pago["operacion"]) == {
        "4212": (d("2183.00"), 0), "1041": (0, d("2242.00")), "676": (d("59.00"), 0)}
    assert saldo("4212") == 0


def test_payment_cheaper_than_booked_is_a_gain_on_payables(client, contador):
    cxp = client.post("/api/finanzas/cuentas-pagar/", headers=contador, json={
        "proveedor_ruc": RUC_PROVEEDOR, "proveedor_razon_social": "PROVEEDOR SAC", "serie": "F001", "numero": "78",
        "fecha_emision": str(hoy()), "moneda": "USD", "tipo_cambio": "3.8000", "base_imponible": "100.00",
        "igv": "0.00"}).json()
    [pago] = _cobro(client, contador, [(cxp["id"], "40.00")], "USD", "3.7000", url="/api/finanzas/pagos/").json()
    assert lineas(client, contador, "PAGO", pago["operacion"]) == {
        "4212": (d("152.00"), 0), "1041": (0, d("148.00")), "776": (0, d("4.00"))}


def test_one_collection_settles_several_documents_of_one_customer(client, admin_headers, contador):
    a = _cxc(client, contador, _factura(client, admin_headers, "100.00")["id"])
    b = _cxc(client, contador, _factura(client, admin_headers, "250.00")["id"])
    res = _cobro(client, contador, [(a["id"], "100.00"), (b["id"], "50.00")], metodo="EFECTIVO")
    assert res.status_code == 201, res.text
    filas = res.json()
    assert len({f["operacion"] for f in filas}) == 1 and len({f["asiento_id"] for f in filas}) == 1
    assert lineas(client, contador, "COBRO", filas[0]["operacion"]) == {"101": (d("150.00"), 0),
                                                                       "1212": (0, d("150.00"))}
    assert (_cxc(client, contador, a["comprobante_id"])["estado"],
            _cxc(client, contador, b["comprobante_id"])["saldo"]) == ("PAGADA", "200.00")


def test_overpaying_or_mixing_customers_is_400_and_writes_nothing(client, admin_headers, contador):
    a = _cxc(client, contador, _factura(client, admin_headers, "100.00")["id"])
    otro = _cxc(client, contador, _factura(client, admin_headers, "100.00", ruc="20100066603")["id"])
    res = _cobro(client, contador, [(a["id"], "100.01")])
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "documentos.0.monto"
    res = _cobro(client, contador, [(a["id"], "10.00"), (otro["id"], "10.00")])
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "documentos"
    res = _cobro(client, contador, [(999999, "10.00")])
    assert res.status_code == 404
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM pagos_cobros")).scalar_one() == 0
    assert _cxc(client, contador, a["comprobante_id"])["saldo"] == "100.00"


def test_aging_buckets_filters_and_the_daily_overdue_marking(client, admin_headers, contador):
    ids = [_cxc(client, contador, _factura(client, admin_headers, v)["id"])["id"]
           for v in ("10.00", "20.00", "30.00", "40.00", "50.00")]
    with session_scope() as s:
        for cxc_id, dias in zip(ids, (-5, 10, 45, 75, 120), strict=True):
            s.execute(text("UPDATE cuentas_por_cobrar SET fecha_vencimiento = :f WHERE id = :i"),
                      {"f": hoy() - timedelta(days=dias), "i": cxc_id})
    tramos = client.get("/api/finanzas/cuentas-cobrar/antiguedad/", headers=contador).json()["monedas"]["PEN"]
    assert {k: (v["documentos"], v["saldo"]) for k, v in tramos.items()} == {
        "por_vencer": (1, "10.00"), "0_30": (1, "20.00"), "31_60": (1, "30.00"), "61_90": (1, "40.00"),
        "mas_90": (1, "50.00")}
    vencidas = client.get("/api/finanzas/cuentas-cobrar/?vencidas=true", headers=contador).json()
    assert vencidas["total"] == 4
    from services.finanzas.cartera import marcar_vencidas

    with session_scope() as s:
        assert marcar_vencidas(s) == 4
    res = client.get("/api/finanzas/cuentas-cobrar/?estado=VENCIDA&parte=CLIENTE", headers=contador).json()
    assert res["total"] == 4 and all(c["estado"] == "VENCIDA" for c in res["items"])


def _factura_en_cuotas(client, headers, cuotas: list[tuple[str, int]]) -> dict:
    """A factura al crédito (inafecta, so its total is the sum of the instalments) due in `cuotas` (monto, días)."""
    total = sum(Decimal(m) for m, _ in cuotas)
    res = client.post("/api/facturacion/emitir/", headers=headers, json={
        "cliente": {"tipo_documento": "6", "numero_documento": RUC_CLIENTE, "razon_social": "CLIENTE EN CUOTAS"},
        "lineas": [{"codigo_producto": "X", "descripcion": "Item", "cantidad": "1", "valor_unitario": f"{total}",
                    "afectacion_igv": "30"}], "forma_pago": "Credito",
        "cuotas": [{"monto": m, "fecha_vencimiento": str(hoy() + timedelta(days=dias))} for m, dias in cuotas]})
    assert res.status_code == 201, res.text
    return res.json()


def test_instalments_are_collected_oldest_first_and_aged_one_by_one(client, admin_headers, contador):
    factura = _factura_en_cuotas(client, admin_headers, [("100.00", 60), ("100.00", 30), ("100.00", 90)])
    por_cuota = {c["cuota"]: c for c in client.get("/api/finanzas/cuentas-cobrar/", headers=contador).json()["items"]}
    assert [(n, c["monto_total"], c["fecha_vencimiento"]) for n, c in sorted(por_cuota.items())] == [
        (1, "100.00", str(hoy() + timedelta(days=60))), (2, "100.00", str(hoy() + timedelta(days=30))),
        (3, "100.00", str(hoy() + timedelta(days=90)))]
    with session_scope() as s:  # cuota 2 (due first) is 40 days late, cuota 1 ten days
        for cuota, dias in ((2, 40), (1, 10)):
            s.execute(text("UPDATE cuentas_por_cobrar SET fecha_vencimiento = :f WHERE comprobante_id = :c "
                           "AND cuota = :n"), {"f": hoy() - timedelta(days=dias), "c": factura["id"], "n": cuota})
    tramos = client.get("/api/finanzas/cuentas-cobrar/antiguedad/", headers=contador).json()["monedas"]["PEN"]
    assert {k: v["documentos"] for k, v in tramos.items() if v["documentos"]} == {"por_vencer": 1, "0_30": 1,
                                                                                 "31_60": 1}
    res = client.post("/api/finanzas/cobros/", headers=contador, json={
        "metodo_pago": "TRANSFERENCIA", "documentos": [{"comprobante_id": factura["id"], "monto": "150.00"}]})
    assert res.status_code == 201, res.text
    assert [(p["cuenta_cobrar_id"], p["monto"]) for p in res.json()] == [(por_cuota[2]["id"], "100.00"),
                                                                         (por_cuota[1]["id"], "50.00")]
    despues = {c["cuota"]: (c["saldo"], c["estado"]) for c in
               client.get("/api/finanzas/cuentas-cobrar/", headers=contador).json()["items"]}
    assert despues == {1: ("50.00", "VENCIDA"), 2: ("0.00", "PAGADA"), 3: ("100.00", "PENDIENTE")}
    assert lineas(client, contador, "COBRO", res.json()[0]["operacion"]) == {"1041": (d("150.00"), 0),
                                                                            "1212": (0, d("150.00"))}
    res = client.post("/api/finanzas/cobros/", headers=contador, json={
        "metodo_pago": "EFECTIVO", "documentos": [{"comprobante_id": factura["id"], "monto": "150.01"}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "documentos.0.monto"
    assert "150.00" in res.json()["message"]  # what is still open
    res = client.post("/api/finanzas/cobros/", headers=contador, json={
        "metodo_pago": "EFECTIVO", "documentos": [{"comprobante_id": factura["id"], "documento_id": 1,
                                                   "monto": "1.00"}]})
    assert res.status_code == 400
    res = client.post("/api/finanzas/pagos/", headers=contador, json={
        "metodo_pago": "EFECTIVO", "documentos": [{"comprobante_id": factura["id"], "monto": "1.00"}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "documentos.0.comprobante_id"


def test_exchange_rate_of_a_day_without_publication_is_the_previous_one(client, contador):
    res = client.get(f"/api/finanzas/tipos-cambio/{hoy()}/", headers=contador)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "tipo_cambio"
    client.post("/api/finanzas/tipos-cambio/", headers=contador,
                json={"fecha": "2026-11-27", "compra": "3.7400", "venta": "3.7500"})
    res = client.get("/api/finanzas/tipos-cambio/2026-11-29/", headers=contador)  # Sunday
    assert (res.json()["fecha"], res.json()["venta"]) == ("2026-11-27", "3.7500")


async def test_daily_workflow_marks_overdue_documents(client, admin_headers, contador, worker, temporal_client):
    from workflows.finanzas import SCHEDULES

    cxc = _cxc(client, contador, _factura(client, admin_headers, "10.00")["id"])
    with session_scope() as s:
        s.execute(text("UPDATE cuentas_por_cobrar SET fecha_vencimiento = :f WHERE id = :i"),
                  {"f": hoy() - timedelta(days=1), "i": cxc["id"]})
    marcadas = await temporal_client.execute_workflow("CarteraVencida", id="cartera-vencida-test",
                                                      task_queue="erp-test")
    assert marcadas == 1
    assert _cxc(client, contador, cxc["comprobante_id"])["estado"] == "VENCIDA"
    assert [(s.workflow, s.cron) for s in SCHEDULES] == [("CarteraVencida", "5 0 * * *"),
                                                        ("RevaluacionMensual", "30 0 1 * *"),
                                                        ("TipoCambioDiario", "0 8 * * *")]


def test_tesorero_collects_but_does_not_post_or_close(client, make_user):
    _, tesorero = make_user("TESORERO")
    assert client.get("/api/finanzas/cuentas-cobrar/", headers=tesorero).status_code == 200
    res = client.post("/api/finanzas/cobros/", headers=tesorero,
                      json={"metodo_pago": "EFECTIVO", "documentos": [{"documento_id": 1, "monto": "1.00"}]})
    assert res.status_code == 404  # allowed, the document does not exist
    assert client.post("/api/finanzas/tributario/cerrar-periodo/", headers=tesorero,
                       json={"periodo": "202601"}).status_code == 403
    assert client.post("/api/finanzas/asientos/", headers=tesorero, json={
        "fecha": "2026-01-01", "descripcion": "x", "lineas": [{"cuenta": "101", "debe": "1"},
                                                             {"cuenta": "501", "haber": "1"}]}).status_code == 403


def test_month_end_revaluation_then_collection_at_the_revalued_rate(client, admin_headers, contador):
    factura = _factura(client, admin_headers, "1000.00", "USD", "3.7500")
    cxc = _cxc(client, contador, factura["id"])
    cxp = client.post("/api/finanzas/cuentas-pagar/", headers=contador, json={
        "proveedor_ruc": RUC_PROVEEDOR, "proveedor_razon_social": "PROVEEDOR SAC", "serie": "F001", "numero": "9",
        "fecha_emision": str(hoy()), "moneda": "USD", "tipo_cambio": "3.7000", "base_imponible": "100.00",
        "igv": "0.00"}).json()
    periodo = f"{hoy():%Y%m}"
    fin_de_mes = (hoy().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    client.post("/api/finanzas/tipos-cambio/", headers=contador,
                json={"fecha": str(fin_de_mes), "compra": "3.8000", "venta": "3.8100"})
    res = client.post("/api/finanzas/tributario/revaluar/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 200, res.text
    asiento = client.get(f"/api/finanzas/asientos/{res.json()['asiento_id']}/", headers=contador).json()
    assert asiento["fecha"] == str(fin_de_mes)
    assert lineas(client, contador, "REVALUACION", periodo) == {
        "1212": (d("50.00"), 0), "776": (0, d("50.00")),  # receivable worth more at 3.80
        "4212": (0, d("11.00")), "676": (d("11.00"), 0)}  # payable costs more at 3.81
    again = client.post("/api/finanzas/tributario/revaluar/", headers=contador, json={"periodo": periodo})
    assert again.json()["asiento_id"] is None  # nothing left to change
    [cobro] = _cobro(client, contador, [(cxc["id"], "1000.00")], "USD", "3.8000").json()
    assert cobro["diferencia_cambio"] == "0.00"  # the book value already carries the month-end rate
    assert saldo("1212") == 0 and cxp["id"]


def test_sunat_exchange_rate_load_carries_weekends_holidays_and_month_starts(session, tipo_cambio_sunat):
    from integrations.sunat.tipo_cambio_sandbox import tasa_del_dia
    from services.finanzas.cartera import TipoCambioIn, cargar_tipo_cambio_sunat, registrar_tipo_cambio

    viernes = date(2026, 11, 27)
    tc = cargar_tipo_cambio_sunat(session, date(2026, 11, 29))  # a Sunday: Friday's rate
    assert (tc.fecha, (tc.compra, tc.venta), tc.fuente) == (viernes, tasa_del_dia(viernes), "SUNAT")
    publicados = session.execute(text("SELECT count(*) FROM tipos_cambio WHERE fecha BETWEEN '2026-11-01' "
                                      "AND '2026-11-29'")).scalar_one()
    assert publicados == 20  # the month's business days up to that Sunday (1 Nov, a holiday, is a Sunday)
    assert cargar_tipo_cambio_sunat(session, date(2026, 10, 8)).fecha == date(2026, 10, 7)  # Combate de Angamos
    assert cargar_tipo_cambio_sunat(session, date(2026, 11, 1)).fecha == date(2026, 10, 30)  # the month before
    assert cargar_tipo_cambio_sunat(session, date(2026, 4, 3)).fecha == date(2026, 4, 1)  # Holy Thu/Fri 2026
    # The accountant's own rate for a day stays; SUNAT's next load does not overwrite it.
    registrar_tipo_cambio(session, TipoCambioIn(fecha=viernes, compra="3.7000", venta="3.7100"))
    assert cargar_tipo_cambio_sunat(session, date(2026, 11, 29)).venta == Decimal("3.7100")


def test_sunat_exchange_rate_down_blocked_or_slow_is_retried_and_writes_nothing(session, tipo_cambio_sunat):
    from integrations.sunat import tipo_cambio as sunat_tc
    from services.finanzas.cartera import cargar_tipo_cambio_sunat

    for falla in ("caido", "bloqueado"):
        tipo_cambio_sunat.falla = falla
        with pytest.raises(sunat_tc.TipoCambioNoDisponible):
            cargar_tipo_cambio_sunat(session, date(2026, 11, 27))
    tipo_cambio_sunat.falla = "lento"
    with pytest.raises(sunat_tc.TipoCambioNoDisponible, match="no responde"):
        sunat_tc.del_mes(tipo_cambio_sunat.url, 2026, 11, timeout=0.5)
    assert session.execute(text("SELECT count(*) FROM tipos_cambio")).scalar_one() == 0
    tipo_cambio_sunat.falla = None  # SUNAT is back: the next run loads what was missed
    assert cargar_tipo_cambio_sunat(session, date(2026, 11, 27)).fecha == date(2026, 11, 27)
    with pytest.raises(sunat_tc.TipoCambioNoDisponible):
        sunat_tc.leer([{"fecPublica": "27/11/2026", "valTipo": "-1", "codTipo": "C"}])


async def test_daily_schedule_loads_the_sunat_rate(client, contador, worker, temporal_client, tipo_cambio_sunat):
    from integrations.sunat.tipo_cambio_sandbox import tasa_del_dia
    from workflows.entradas import CargaTipoCambio, TipoCambioCargado
    from workflows.finanzas import SCHEDULES

    cargado = await temporal_client.execute_workflow("TipoCambioDiario", CargaTipoCambio("2026-11-28"),
                                                     id="tipo-cambio-test", task_queue="erp-test",
                                                     result_type=TipoCambioCargado)
    assert (cargado.fecha, cargado.publicado) == ("2026-11-28", "2026-11-27")
    res = client.get("/api/finanzas/tipos-cambio/2026-11-28/", headers=contador).json()
    compra = f"{tasa_del_dia(date(2026, 11, 27))[0]:.4f}"
    assert (res["fecha"], res["fuente"], res["compra"]) == ("2026-11-27", "SUNAT", compra)
    diario = next(s for s in SCHEDULES if s.workflow == "TipoCambioDiario")
    assert (diario.cron, diario.timezone) == ("0 8 * * *", "America/Lima")

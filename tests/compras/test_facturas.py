"""Supplier invoices: normalised unique numbering, amounts, due date, logistics costs prorated, posting and
payable through finanzas; the three-way match (CONCILIADA / EN_REVISION with differences, justification);
payment only when CONCILIADA, held by the database."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from tests.compras.helpers import EMISION, RUC_A, RUC_B
from tests.compras.helpers import factura_body as _factura
from tests.ventas_fixtures import contar

pytest_plugins = ["tests.ventas_fixtures", "tests.compras.helpers"]


def _pagar(client, headers, cxp: int, monto: str):
    return client.post("/api/finanzas/pagos/", headers=headers, json={
        "metodo_pago": "TRANSFERENCIA", "documentos": [{"documento_id": cxp, "monto": monto}]})


def test_invoice_numbering_posting_match_and_payment_only_when_reconciled(compras, recibida):
    orden_id, l1, l2 = recibida
    post = compras.client.post
    body = _factura(orden_id, [(l1, "6", "12.50"), (l2, "5", "20")], gastos="20.00")
    res = post("/api/compras/facturas/", headers=compras.admin, json=body)
    assert res.status_code == 201, res.text
    f = res.json()
    assert f["numero_factura"] == "F001-123" and f["estado"] == "REGISTRADA" and f["contabilizado"]
    assert f["fecha_vencimiento"] == str(EMISION + timedelta(days=30))
    assert [d["gasto_prorrateado"] for d in f["detalle"]] == ["8.57", "11.43"]  # 75 : 100 of S/ 20
    with session_scope() as s:
        lineas = dict(s.execute(text(
            "SELECT c.codigo, sum(l.debe) - sum(l.haber) FROM lineas_asiento l JOIN asientos_contables a "
            "ON a.id = l.asiento_id JOIN cuentas_contables c ON c.id = l.cuenta_id "
            "WHERE a.referencia_tipo = 'FACTURA_PROVEEDOR' GROUP BY c.codigo")).all())
    assert {k: str(v) for k, v in lineas.items()} == {"6011": "175.00", "6091": "20.00", "40111": "35.10",
                                                      "4212": "-230.10"}
    for tecleado in ("f001 123", "F001-123", "F001-00000123"):
        dup = post("/api/compras/facturas/", headers=compras.admin, json={**body, "numero_factura": tecleado})
        assert dup.status_code == 409, tecleado

    # not reconciled: the payment is refused by the database, nothing written
    cxp = f["cuenta_por_pagar_id"]
    antes = contar("pagos_cobros")
    refused = _pagar(compras.client, compras.admin, cxp, f["total"])
    assert refused.status_code == 400 and "CONCILIADA" in refused.json()["message"]
    assert contar("pagos_cobros") == antes
    with pytest.raises(IntegrityError), session_scope() as s:
        s.execute(text("UPDATE facturas_proveedor SET estado_pago = 'PAGADA' WHERE id = :i"), {"i": f["id"]})

    conciliada = post(f"/api/compras/facturas/{f['id']}/conciliar/", headers=compras.admin).json()
    assert conciliada["estado"] == "CONCILIADA" and conciliada["diferencias"] == []
    assert _pagar(compras.client, compras.admin, cxp, f["total"]).status_code == 201
    assert compras.client.get(f"/api/compras/facturas/{f['id']}/", headers=compras.admin).json()["estado_pago"] == \
        "PAGADA"


def test_differences_put_the_invoice_in_review_until_justified(compras, recibida, make_user):
    orden_id, l1, l2 = recibida
    post = compras.client.post
    # 12.58 is within ±S/ 0.10 of 12.50; 20.50 is 2.5 % over; 10 invoiced but 6 received
    f = post("/api/compras/facturas/", headers=compras.admin,
             json=_factura(orden_id, [(l1, "10", "12.58"), (l2, "5", "20.50")])).json()
    revisada = post(f"/api/compras/facturas/{f['id']}/conciliar/", headers=compras.admin).json()
    assert revisada["estado"] == "EN_REVISION"
    assert [(d["detalle_orden_id"], d["motivos"]) for d in revisada["diferencias"]] == [
        (l1, ["CANTIDAD"]), (l2, ["PRECIO"])]
    assert revisada["diferencias"][0] | {"motivos": None} == {
        "detalle_orden_id": l1, "producto_id": revisada["detalle"][0]["producto_id"], "motivos": None,
        "ordenado": "10.000", "recibido": "6.000", "facturado": "10.000", "precio_oc": "12.500000",
        "precio_factura": "12.580000", "diferencia_importe": "50.80"}
    assert _pagar(compras.client, compras.admin, revisada["cuenta_por_pagar_id"], "10").status_code == 400
    _, comprador = make_user("COMPRAS")
    _, finanzas = make_user("FINANZAS")
    motivo = {"justificacion": "El proveedor enviará las 4 unidades; precio pactado por teléfono"}
    assert post(f"/api/compras/facturas/{f['id']}/justificar/", headers=comprador, json=motivo).status_code == 403
    ok = post(f"/api/compras/facturas/{f['id']}/justificar/", headers=finanzas, json=motivo).json()
    assert ok["estado"] == "CONCILIADA" and ok["justificacion"] == motivo["justificacion"]
    assert contar("audit_logs", "accion = 'justificar' AND objeto_id = :i", i=str(f["id"])) == 1
    assert post(f"/api/compras/facturas/{f['id']}/justificar/", headers=finanzas, json=motivo).status_code == 409


def test_invoice_bad_input_is_refused_naming_the_field(compras, recibida):
    orden_id, l1, _ = recibida
    post = compras.client.post
    body = _factura(orden_id, [(l1, "6", "12.50")])
    casos = [
        ({**body, "ruc_proveedor": RUC_B}, "ruc_proveedor"),
        ({**body, "numero_factura": "F0001-1"}, "numero_factura"),
        ({**body, "numero_factura": "F001-0"}, "numero_factura"),
        ({**body, "total": "1.00"}, "total"),
        ({**body, "lineas": [{**body["lineas"][0], "total": "1.00"}]}, "lineas.0.total"),
        ({**body, "lineas": [{**body["lineas"][0], "detalle_orden_id": 999999}]}, "lineas.0.detalle_orden_id"),
        ({**body, "fecha_vencimiento": str(EMISION - timedelta(days=1))}, "fecha_vencimiento"),
    ]
    for caso, campo in casos:
        res = post("/api/compras/facturas/", headers=compras.admin, json=caso)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == campo, (campo, res.text)
    borrador = compras.orden(compras.proveedor(RUC_B), [(compras.tienda.producto("FAC3", stock=None), "1", "1")])
    res = post("/api/compras/facturas/", headers=compras.admin,
               json=_factura(borrador["id"], [(borrador["detalle"][0]["id"], "1", "1")], ruc=RUC_B))
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "orden_id"
    assert contar("facturas_proveedor") == 0 and contar("cuentas_por_pagar") == 0
    assert post("/api/compras/facturas/999999/conciliar/", headers=compras.admin).status_code == 404


def test_rce_proposal_from_sire_compared_with_registered_supplier_invoices(compras, recibida):
    """SIRE's RCE proposal against our supplier invoices: a purchase is its supplier's RUC plus the number, so
    another supplier's F001-123 is not ours; a total that differs is listed field by field."""
    orden_id, l1, _ = recibida
    f = compras.client.post("/api/compras/facturas/", headers=compras.admin,
                            json=_factura(orden_id, [(l1, "6", "12.50")])).json()
    cabecera = ("RUC|Apellidos y Nombres o Razón social|Periodo|CAR SUNAT|Fecha de emisión|Fecha Vcto/Pago|"
                "Tipo CP/Doc.|Serie del CDP|Año|Nro CP o Doc. Nro Inicial (Rango)|Nro Final (Rango)|"
                "Tipo Doc Identidad|Nro Doc Identidad|Apellidos Nombres/ Razón Social|BI Gravado DG|IGV / IPM DG|"
                "BI Gravado DGNG|IGV / IPM DGNG|Total CP|Moneda|Tipo de Cambio")

    def fila(ruc: str, total: str) -> str:
        return (f"20100066603|DEMO|{EMISION:%Y%m}00|X|{EMISION:%d/%m/%Y}||01|F001||123||6|{ruc}|PROVEEDOR|"
                f"{f['monto_base']}|{f['igv']}|0.00|0.00|{total}|PEN|")

    def comparar(*filas: str) -> dict:
        res = compras.client.post("/api/finanzas/tributario/sire/rce/comparar/", headers=compras.admin,
                                  json={"periodo": f"{EMISION:%Y%m}", "contenido": "\n".join([cabecera, *filas])})
        assert res.status_code == 200, res.text
        return res.json()

    assert (f["ruc_proveedor"], f["serie"], f["numero"]) == (RUC_A, "F001", 123)
    body = comparar(fila(RUC_A, f["total"]), fila(RUC_B, "59.00"))
    assert body["coinciden"] == 1 and body["faltan_en_sunat"] == [] and body["diferencias"] == []
    assert body["faltan_en_erp"] == [f"{RUC_B} 01 F001-123"]
    body = comparar(fila(RUC_A, "100.00"))
    assert body["diferencias"] == [{"documento": f"{RUC_A} 01 F001-123",
                                    "campos": {"total": {"erp": f["total"], "sunat": "100.00"}}}]
    assert comparar(fila(RUC_B, "59.00"))["faltan_en_sunat"] == [f"{RUC_A} 01 F001-123"]


def test_credit_invoice_in_instalments_opens_one_payable_each_aged_and_paid_one_by_one(compras, recibida):
    orden_id, l1, l2 = recibida
    post = compras.client.post
    emision = EMISION - timedelta(days=40)
    body = {**_factura(orden_id, [(l1, "6", "12.50"), (l2, "5", "20")]), "fecha_emision": str(emision)}
    assert body["total"] == "206.50"
    cuotas = [{"monto": "106.50", "fecha_vencimiento": str(EMISION + timedelta(days=30))},
              {"monto": "100.00", "fecha_vencimiento": str(emision + timedelta(days=5))}]
    malas = [({**body, "cuotas": [cuotas[0]]}, "cuotas"),  # they do not add up to the total
             ({**body, "cuotas": [cuotas[0], {**cuotas[1], "fecha_vencimiento": str(emision)}]},
              "cuotas.1.fecha_vencimiento"),
             ({**body, "cuotas": cuotas, "fecha_vencimiento": str(EMISION)}, "fecha_vencimiento"),
             ({**body, "cuotas": []}, "cuotas")]
    for mala, campo in malas:
        res = post("/api/compras/facturas/", headers=compras.admin, json=mala)
        assert res.status_code == 400 and campo in [e["field"] for e in res.json()["errors"]], (campo, res.text)
    assert contar("cuentas_por_pagar") == 0

    res = post("/api/compras/facturas/", headers=compras.admin, json={**body, "cuotas": cuotas})
    assert res.status_code == 201, res.text
    f = res.json()
    # one payable per instalment, in due-date order; the invoice falls due with its last instalment
    assert [(c["cuota"], c["monto_total"], c["fecha_vencimiento"]) for c in f["cuotas"]] == [
        (1, "100.00", cuotas[1]["fecha_vencimiento"]), (2, "106.50", cuotas[0]["fecha_vencimiento"])]
    assert f["fecha_vencimiento"] == cuotas[0]["fecha_vencimiento"]
    assert f["cuenta_por_pagar_id"] == f["cuotas"][0]["id"]
    # aging per instalment: the first is 35 days past due, the second not yet due
    aging = compras.client.get("/api/finanzas/cuentas-pagar/antiguedad/", headers=compras.admin).json()
    tramos = aging["monedas"]["PEN"]
    assert (tramos["31_60"]["documentos"], tramos["31_60"]["saldo"]) == (1, "100.00")
    assert (tramos["por_vencer"]["documentos"], tramos["por_vencer"]["saldo"]) == (1, "106.50")
    assert contar("lineas_asiento l JOIN asientos_contables a ON a.id = l.asiento_id",
                  "a.referencia_tipo = 'FACTURA_PROVEEDOR'") == 3  # one entry for the invoice, not per instalment

    assert post(f"/api/compras/facturas/{f['id']}/conciliar/", headers=compras.admin).json()["estado"] == "CONCILIADA"
    assert _pagar(compras.client, compras.admin, f["cuotas"][0]["id"], "100.00").status_code == 201
    ver = compras.client.get(f"/api/compras/facturas/{f['id']}/", headers=compras.admin).json()
    assert ver["estado_pago"] == "PARCIAL" and [c["estado"] for c in ver["cuotas"]] == ["PAGADA", "PENDIENTE"]
    assert _pagar(compras.client, compras.admin, f["cuotas"][1]["id"], "106.50").status_code == 201
    assert compras.client.get(f"/api/compras/facturas/{f['id']}/", headers=compras.admin).json()["estado_pago"] == \
        "PAGADA"

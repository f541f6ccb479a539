"""Bank reconciliation through the API: import (each format, a broken file, a re-import), suggestions,
confirmation (idempotent, both sides in one transaction, entries posted), undo, auto-confirm, large files."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from core.db import session_scope
from services.finanzas.asientos import hoy
from tests.finanzas.datos_conciliacion.evaluar import AQUI
from tests.finanzas.helpers import d, lineas, saldo
from tests.finanzas.test_cartera import RUC_CLIENTE, _cobro, _cxc, _factura

URL = "/api/finanzas/conciliacion"
OTRO_RUC = "20601030021"


@pytest.fixture
def contador(make_user):
    return make_user("CONTADOR")[1]


def _cuenta(client, headers, banco: str = "BCP", numero: str = "193-2456789-0-31", **extra) -> dict:
    res = client.post(f"{URL}/cuentas/", headers=headers, json={"banco": banco, "numero": numero, **extra})
    assert res.status_code == 201, res.text
    return res.json()


def _cargar(client, headers, cuenta_id: int, contenido: bytes, nombre: str = "movimientos.csv"):
    return client.post(f"{URL}/cargar/", headers=headers, data={"cuenta_id": str(cuenta_id)},
                       files={"archivo": (nombre, contenido, "text/csv")})


def _bcp(filas: list[tuple]) -> bytes:
    """A BCP export (cp1252, `;`, title block, newest first) of (date, description, amount, operation)."""
    lineas_csv = ["Movimientos de la cuenta", "Cuenta:;193-2456789-0-31", "",
                  "Fecha;Fecha valuta;Descripción operación;Monto;Saldo;Operación - Número"]
    for fecha, descripcion, monto, numero in sorted(filas, key=lambda f: f[0], reverse=True):
        lineas_csv.append(f"{fecha:%d/%m/%Y};{fecha:%d/%m/%Y};{descripcion};{monto};;{numero}")
    return "\r\n".join(lineas_csv).encode("cp1252")


def _sugerencias(client, headers, cuenta_id: int, **filtros) -> dict[str, dict]:
    res = client.get(f"{URL}/sugerencias/", headers=headers, params={"cuenta_id": cuenta_id, **filtros})
    assert res.status_code == 200, res.text
    return {m["referencia"]: m for m in res.json()["items"]}


def _conciliado(pago_id: int) -> bool:
    with session_scope() as s:
        return s.execute(text("SELECT conciliado FROM pagos_cobros WHERE id = :i"), {"i": pago_id}).scalar_one()


def test_import_suggest_confirm_and_undo(client, admin_headers, contador):
    cuenta = _cuenta(client, contador)
    pagada = _cxc(client, contador, _factura(client, admin_headers, "1000.00")["id"])
    [cobro] = _cobro(client, contador, [(pagada["id"], "1000.00")]).json()
    abierta = _cxc(client, contador, _factura(client, admin_headers, "590.00", ruc=OTRO_RUC)["id"])
    dia = hoy()
    archivo = _bcp([(dia, f"ABONO {RUC_CLIENTE}", "1,000.00", "0001"), (dia, "ITF", "-0.05", "0002"),
                    (dia, f"PAGO {abierta['documento'].replace('-', ' ')}", "590.00", "0003"),
                    (dia - timedelta(days=1), "DEP.EFECTIVO", "77.70", "0004")])
    res = _cargar(client, contador, cuenta["id"], archivo)
    assert res.status_code == 201, res.text
    assert (res.json()["perfil"], res.json()["nuevas"], res.json()["duplicadas"]) == ("BCP", 4, 0)

    pendientes = _sugerencias(client, contador, cuenta["id"])
    assert {k: m["clase"] for k, m in pendientes.items()} == {
        "0001": "PAGO_COBRO", "0002": "ITF", "0003": "DOCUMENTOS", "0004": ""}
    top = pendientes["0001"]["sugerencias"][0]
    assert top["pagos_cobros"] == [cobro["id"]] and top["razones"]["ruc_dni"] == RUC_CLIENTE
    assert 0.9 <= top["score"] <= 1 and top["razones"]["monto_delta"] == "0.00"
    assert set(_sugerencias(client, contador, cuenta["id"], score_min="0.8")) == {"0001", "0002", "0003"}

    # confirm: both sides reconciled; again is the same answer; something else is a conflict
    linea = pendientes["0001"]["id"]
    res = client.post(f"{URL}/confirmar/{linea}/", headers=contador, json={})
    assert res.status_code == 200, res.text
    assert res.json()["pagos_cobros"] == [cobro["id"]] and _conciliado(cobro["id"])
    again = client.post(f"{URL}/confirmar/{linea}/", headers=contador, json={"sugerencia": 0})
    assert (again.status_code, again.json()["id"]) == (200, res.json()["id"])
    assert client.post(f"{URL}/confirmar/{linea}/", headers=contador, json={"clase": "ITF"}).status_code == 409
    assert client.post(f"{URL}/confirmar/{pendientes['0004']['id']}/", headers=contador,
                       json={"pagos_cobros": [cobro["id"]]}).status_code == 409  # already reconciled

    # the ITF is posted against the bank; the open invoice is collected by the line that proves it
    itf = client.post(f"{URL}/confirmar/{pendientes['0002']['id']}/", headers=contador, json={}).json()
    assert lineas(client, contador, "CONCILIACION", pendientes["0002"]["id"]) == {
        "6412": (d("0.05"), 0), "1041": (0, d("0.05"))}
    res = client.post(f"{URL}/confirmar/{pendientes['0003']['id']}/", headers=contador, json={})
    assert res.status_code == 200, res.text
    assert _cxc(client, contador, abierta["comprobante_id"])["estado"] == "PAGADA"
    assert all(_conciliado(i) for i in res.json()["pagos_cobros"])
    assert set(_sugerencias(client, contador, cuenta["id"])) == {"0004"}
    assert set(_sugerencias(client, contador, cuenta["id"], conciliados="true")) == {"0001", "0002", "0003"}

    # undo (with a reason): both sides pending again, the ITF entry reversed
    res = client.post(f"{URL}/deshacer/{linea}/", headers=contador, json={"motivo": "era otro cliente"})
    assert res.status_code == 200, res.text
    assert (res.json()["estado"], res.json()["motivo_deshacer"]) == ("DESHECHA", "era otro cliente")
    assert not _conciliado(cobro["id"]) and "0001" in _sugerencias(client, contador, cuenta["id"])
    assert client.post(f"{URL}/deshacer/{linea}/", headers=contador, json={"motivo": "otra vez"}).status_code == 409
    assert client.post(f"{URL}/deshacer/{itf['movimiento_id']}/", headers=contador,
                       json={"motivo": "no era ITF"}).status_code == 200
    assert saldo("6412") == 0

    # the same file again, and an overlapping one: no duplicate lines
    res = _cargar(client, contador, cuenta["id"], archivo)
    assert (res.json()["nuevas"], res.json()["duplicadas"]) == (0, 4)
    res = _cargar(client, contador, cuenta["id"], _bcp([(dia, "ITF", "-0.05", "0002"),
                                                         (dia + timedelta(days=1), "PORTES", "-2.50", "0005")]))
    assert (res.json()["nuevas"], res.json()["duplicadas"]) == (1, 1)


def test_each_bank_format_imports(client, contador):
    for banco, numero, archivo in (("BCP", "193-1", "bcp_pen.csv"), ("INTERBANK", "200-3", "interbank_pen.xlsx"),
                                   ("BBVA", "0011-0123", "bbva_usd.csv")):
        cuenta = _cuenta(client, contador, banco, f"{numero}00001", moneda="USD" if banco == "BBVA" else "PEN")
        res = _cargar(client, contador, cuenta["id"], (AQUI / archivo).read_bytes(), archivo)
        assert res.status_code == 201, res.text
        assert res.json()["perfil"] == banco and res.json()["nuevas"] >= 150


def test_a_broken_file_is_400_naming_the_row_and_stores_nothing(client, contador):
    cuenta = _cuenta(client, contador)
    archivo = _bcp([(hoy(), "ABONO", "100.00", "1"), (hoy(), "ABONO", "cien", "2")])
    res = _cargar(client, contador, cuenta["id"], archivo)
    assert res.status_code == 400
    assert res.json()["errors"][0]["field"] == "archivo" and "Fila 6" in res.json()["message"]
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM movimientos_bancarios")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM importaciones_extracto")).scalar_one() == 0
    assert _cargar(client, contador, 999999, archivo).status_code == 404


def test_generic_profile_needs_its_mapping_and_uses_it(client, contador):
    res = client.post(f"{URL}/cuentas/", headers=contador, json={"banco": "GENERICO", "numero": "555-000001"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "mapeo"
    cuenta = _cuenta(client, contador, "GENERICO", "555-000001",
                     mapeo={"fecha": "Dia", "descripcion": "Detalle", "cargo": "Debe", "abono": "Haber"})
    res = _cargar(client, contador, cuenta["id"], b"Dia,Detalle,Debe,Haber\n03/03/2026,ABONO X,,15.00\n")
    assert (res.status_code, res.json()["perfil"], res.json()["nuevas"]) == (201, "GENERICO", 1)


def test_undo_is_refused_once_the_period_is_closed(client, admin_headers, contador):
    cuenta = _cuenta(client, contador)
    _cargar(client, contador, cuenta["id"], _bcp([(hoy(), "COM.MANT.CTA", "-15.00", "9")]))
    [linea] = _sugerencias(client, contador, cuenta["id"]).values()
    assert client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={}).status_code == 200
    with session_scope() as s:
        s.execute(text("INSERT INTO periodos_tributarios (anio, mes, estado) VALUES (:a, :m, 'CERRADO')"),
                  {"a": hoy().year, "m": hoy().month})
    res = client.post(f"{URL}/deshacer/{linea['id']}/", headers=contador, json={"motivo": "no era comisión"})
    assert res.status_code == 400 and "cerrado" in res.json()["message"]


def test_auto_confirm_is_off_by_default_and_honours_its_threshold(client, admin_headers, contador):
    cuenta = _cuenta(client, contador)
    assert cuenta["auto_confirmar"] is False
    cxc = _cxc(client, contador, _factura(client, admin_headers, "420.00")["id"])
    [cobro] = _cobro(client, contador, [(cxc["id"], "420.00")]).json()
    res = client.patch(f"{URL}/cuentas/{cuenta['id']}/", headers=contador,
                       json={"auto_confirmar": True, "umbral_auto": "0.90"})
    assert res.status_code == 200, res.text
    _cargar(client, contador, cuenta["id"], _bcp([(hoy(), f"TRANSF {RUC_CLIENTE}", "420.00", "11"),
                                                   (hoy(), "DEP.EFECTIVO", "33.00", "12")]))
    assert _conciliado(cobro["id"])
    assert set(_sugerencias(client, contador, cuenta["id"])) == {"12"}
    with session_scope() as s:
        assert s.execute(text("SELECT automatica FROM conciliaciones")).scalar_one() is True


def test_a_large_statement_is_imported_by_the_workflow_with_progress(client, contador, worker):
    cuenta = _cuenta(client, contador)
    inicio = hoy() - timedelta(days=20)
    filas = [(inicio + timedelta(days=i % 20), f"TRAN.CTAS.TERC.BM CLIENTE {i:05d} DISTRIBUCIONES DEL NORTE",
              f"{100 + i % 900}.{i % 100:02d}", f"{i:07d}") for i in range(4000)]
    archivo = _bcp(filas)
    assert len(archivo) > 256 * 1024
    res = _cargar(client, contador, cuenta["id"], archivo)
    assert res.status_code == 202, res.text
    importacion = res.json()
    assert importacion["estado"] == "PENDIENTE"
    limite = time.monotonic() + 90
    vistos = set()
    while time.monotonic() < limite:
        importacion = client.get(f"{URL}/importaciones/{importacion['id']}/", headers=contador).json()
        vistos.add(importacion["estado"])
        if importacion["estado"] in ("COMPLETADA", "ERROR"):
            break
        time.sleep(0.2)
    assert importacion["estado"] == "COMPLETADA", importacion
    assert (importacion["total_lineas"], importacion["procesadas"], importacion["nuevas"]) == (4000, 4000, 4000)
    res = client.get(f"{URL}/sugerencias/", headers=contador, params={"cuenta_id": cuenta["id"], "limit": 1})
    assert res.json()["total"] == 4000


def test_usd_account_posts_bank_charges_in_soles_and_auto_confirm_never_breaks_an_import(client, contador):
    cuenta = _cuenta(client, contador, "BBVA", "0011-0123-0100045678", moneda="USD")
    client.patch(f"{URL}/cuentas/{cuenta['id']}/", headers=contador, json={"auto_confirmar": True})
    archivo = ("F. Operación,F. Valor,Código,Nº. Doc.,Concepto,Importe,Oficina\n"
               f"{hoy():%d-%m-%Y},{hoy():%d-%m-%Y},421,000777,COMISION MANTENIMIENTO,-10.00,0486\n").encode()
    res = _cargar(client, contador, cuenta["id"], archivo)  # no USD rate yet: the fee cannot be posted
    assert (res.status_code, res.json()["nuevas"]) == (201, 1), res.text
    [linea] = _sugerencias(client, contador, cuenta["id"]).values()
    assert linea["clase"] == "COMISION" and not linea["conciliado"]
    res = client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "tipo_cambio"
    client.post("/api/finanzas/tipos-cambio/", headers=contador,
                json={"fecha": str(hoy()), "compra": "3.7500", "venta": "3.7600"})
    assert client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={}).status_code == 200
    assert lineas(client, contador, "CONCILIACION", linea["id"]) == {"6391": (d("37.50"), 0), "1041": (0, d("37.50"))}


def _pago_cobro(pago_id: int) -> dict:
    with session_scope() as s:
        return dict(s.execute(text("SELECT conciliado, anulado, asiento_id, valor_libros FROM pagos_cobros "
                                   "WHERE id = :i"), {"i": pago_id}).one()._mapping)


def test_undo_reverses_the_collection_the_confirmation_recorded(client, admin_headers, contador):
    """A line that paid an open invoice recorded its collection (and its entry) when confirmed: undoing the
    reconciliation reverses both (a reversing entry, nothing deleted), the invoice is open again, and the line
    can be confirmed again."""
    cuenta = _cuenta(client, contador)
    abierta = _cxc(client, contador, _factura(client, admin_headers, "590.00", ruc=OTRO_RUC)["id"])
    cartera_antes, banco_antes = saldo("1212"), saldo("1041")
    _cargar(client, contador, cuenta["id"], _bcp([(hoy(), f"PAGO {abierta['documento']}", "590.00", "0003")]))
    [linea] = _sugerencias(client, contador, cuenta["id"]).values()
    assert linea["clase"] == "DOCUMENTOS"
    confirmada = client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={}).json()
    [pago_id] = confirmada["pagos_cobros"]
    assert _cxc(client, contador, abierta["comprobante_id"])["estado"] == "PAGADA"
    assert (saldo("1212"), saldo("1041")) == (cartera_antes - d("590.00"), banco_antes + d("590.00"))
    asiento = _pago_cobro(pago_id)["asiento_id"]
    assert _pago_cobro(pago_id)["valor_libros"] == d("590.00")

    res = client.post(f"{URL}/deshacer/{linea['id']}/", headers=contador, json={"motivo": "era un depósito propio"})
    assert res.status_code == 200, res.text
    cxc = _cxc(client, contador, abierta["comprobante_id"])
    assert (cxc["estado"], d(cxc["saldo"]), d(cxc["monto_pagado"])) == ("PENDIENTE", d("590.00"), 0)
    assert _pago_cobro(pago_id) | {"asiento_id": None} == {"conciliado": False, "anulado": True,
                                                           "asiento_id": None, "valor_libros": d("590.00")}
    assert (saldo("1212"), saldo("1041")) == (cartera_antes, banco_antes)
    with session_scope() as s:  # the collection's entry is still there, reversed by a reversing entry
        reversion = s.execute(text("SELECT count(*) FROM asientos_contables WHERE revierte_id = :a"),
                              {"a": asiento}).scalar_one()
        assert reversion == 1 and s.execute(text("SELECT count(*) FROM asientos_contables WHERE id = :a"),
                                            {"a": asiento}).scalar_one() == 1
    # a reversed collection cannot be reconciled; the line, confirmed again, records a new one
    otra = client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={"pagos_cobros": [pago_id]})
    assert otra.status_code == 409
    de_nuevo = client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={
        "documentos": [{"tipo": "CXC", "id": abierta["id"], "monto": "590.00"}]})
    assert de_nuevo.status_code == 200, de_nuevo.text
    assert de_nuevo.json()["pagos_cobros"] != [pago_id]
    assert _cxc(client, contador, abierta["comprobante_id"])["estado"] == "PAGADA"


def test_interest_and_bank_charges_are_classified_to_their_pcge_accounts(client, contador):
    """Interest earned (abono) → 772, interest the bank charges (cargo: overdraft) → 673, fees → 6391,
    ITF → 6412: the account is on the suggestion before confirming, and the confirmation posts it."""
    cuenta = _cuenta(client, contador)
    _cargar(client, contador, cuenta["id"], _bcp([
        (hoy(), "ABONO INTERESES", "3.10", "71"), (hoy(), "INTERES SOBREGIRO", "-12.40", "72"),
        (hoy(), "COM.MANT.CTA", "-15.00", "73"), (hoy(), "ITF", "-0.05", "74")]))
    lineas_ = _sugerencias(client, contador, cuenta["id"])
    esperadas = {"71": ("INTERES", "772"), "72": ("INTERES", "673"), "73": ("COMISION", "6391"), "74": ("ITF", "6412")}
    assert {k: (m["clase"], m["sugerencias"][0]["razones"]["cuenta"]) for k, m in lineas_.items()} == esperadas
    for ref, (_, codigo) in esperadas.items():
        linea = lineas_[ref]
        assert client.post(f"{URL}/confirmar/{linea['id']}/", headers=contador, json={}).status_code == 200
        monto = abs(d(linea["monto"]))
        esperado = {codigo: (0, monto), "1041": (monto, 0)} if d(linea["monto"]) > 0 else \
            {codigo: (monto, 0), "1041": (0, monto)}
        assert lineas(client, contador, "CONCILIACION", linea["id"]) == esperado, ref
    # chosen by hand, a fee cannot be an abono
    _cargar(client, contador, cuenta["id"], _bcp([(hoy(), "ABONO VARIOS", "9.00", "75")]))
    abono = _sugerencias(client, contador, cuenta["id"])["75"]
    res = client.post(f"{URL}/confirmar/{abono['id']}/", headers=contador, json={"clase": "COMISION"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "clase"


CCI_TEXTIL = "00219300123456789013"  # BCP (002), check digits 1 and 3


def test_a_customers_cci_is_validated_stored_and_names_it_in_the_statement(client, admin_headers, contador):
    cliente = client.post("/api/clientes/", headers=admin_headers, json={
        "tipo_doc": "6", "numero_doc": OTRO_RUC, "razon_social": "TEXTIL ALGODONERA PERUANA S.A."})
    assert cliente.status_code == 201, cliente.text
    url = f"{URL}/cuentas-terceros/"
    base = {"cliente_id": cliente.json()["id"]}
    for cuerpo, campo in (({"cci": CCI_TEXTIL[:-1] + "0"}, "cci"), ({"cci": "0021930012345678901"}, "cci"),
                          ({"cci": CCI_TEXTIL, "banco": "BBVA"}, "cci"), ({}, "numero"),
                          ({"numero": "193-12345678-0-12"}, "banco")):
        res = client.post(url, headers=contador, json=base | cuerpo)
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == campo, (cuerpo, res.text)
    assert client.post(url, headers=contador, json={"proveedor_id": 999999, "cci": CCI_TEXTIL}).status_code == 404
    res = client.post(url, headers=contador, json=base | {"cci": "002-193-001234567890-13",
                                                          "numero": "193-12345678-0-12"})
    assert res.status_code == 201, res.text
    assert (res.json()["banco"], res.json()["cci"], res.json()["numero"]) == ("BCP", CCI_TEXTIL, "19312345678012")
    assert client.post(url, headers=contador, json=base | {"cci": CCI_TEXTIL, "numero": "19312345678012"}
                       ).status_code == 409
    listado = client.get(url, headers=contador, params={"cliente_id": base["cliente_id"]}).json()
    assert [c["id"] for c in listado["items"]] == [res.json()["id"]]

    # the statement prints only the CCI: the customer's open invoice is the suggestion, for that reason
    cuenta = _cuenta(client, contador)
    abierta = _cxc(client, contador, _factura(client, admin_headers, "640.00", ruc=OTRO_RUC)["id"])
    _cargar(client, contador, cuenta["id"], _bcp([(hoy(), f"TRAN.CTAS.OTROS BCOS {CCI_TEXTIL}", "640.00", "81")]))
    [linea] = _sugerencias(client, contador, cuenta["id"]).values()
    top = linea["sugerencias"][0]
    assert (linea["clase"], top["documentos"][0]["id"], top["razones"]["cuenta_bancaria"]) == (
        "DOCUMENTOS", abierta["id"], CCI_TEXTIL)
    # deactivated, the account is no evidence any more
    client.patch(f"{url}{res.json()['id']}/", headers=contador, json={"activo": False})
    client.post(f"{URL}/sugerencias/recalcular/", headers=contador, params={"cuenta_id": cuenta["id"]})
    assert _sugerencias(client, contador, cuenta["id"])["81"]["clase"] == ""

"""Module 6: a month of operations → trial balance, PLE files in SUNAT's structures, and the signed close that
locks the month (API and database)."""

import base64
import io
import re
import zipfile
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from integrations.sunat.firma import generar_certificado_demo
from services.finanzas.asientos import hoy
from tests.finanzas.helpers import d, saldo
from tests.ventas_fixtures import cajero, tienda, venta  # noqa: F401

RUC_CLIENTE = "20100047218"
FECHA = re.compile(r"^\d{2}/\d{2}/\d{4}$")
IMPORTE = re.compile(r"^-?\d+\.\d{2}$")
TASA = re.compile(r"^\d+\.\d{3}$")


@pytest.fixture
def contador(make_user):
    return make_user("CONTADOR")[1]


def _firma(client, headers) -> None:
    pfx, password = generar_certificado_demo("20100066603", "CONTADOR DEMO")
    res = client.put("/api/finanzas/firma-digital/", headers=headers,
                     json={"pfx_base64": base64.b64encode(pfx).decode(), "password": password})
    assert res.status_code == 200, res.text


def _un_mes(client, tienda, cajero, contador) -> dict:  # noqa: F811
    """Cash and credit sales, a credit note, a purchase, a costed reception, collections in PEN and USD and
    a supplier payment, all in the current month."""
    admin = tienda.admin
    cliente = client.post("/api/clientes/", headers=admin, json={
        "tipo_doc": "6", "numero_doc": RUC_CLIENTE, "razon_social": "CLIENTE DEMO S.A.C.",
        "limite_credito": "9000.00", "dias_credito": 30}).json()["id"]
    producto = tienda.producto("M1", precio="118.00", stock=None)
    tienda.entrada(producto, "50", costo_unitario="60.00", referencia_doc="OC-1")
    contado = client.post("/api/ventas/", headers=cajero, json=venta(producto, "1", "118.00")).json()
    credito = client.post("/api/ventas/", headers=cajero, json={
        "cliente_id": cliente, "lineas": [{"producto_id": producto, "cantidad": "5"}],
        "formas_pago": [{"metodo": "CREDITO", "monto": "590.00"}]}).json()
    usd = client.post("/api/facturacion/emitir/", headers=admin, json={
        "cliente": {"tipo_documento": "6", "numero_documento": RUC_CLIENTE, "razon_social": "CLIENTE DEMO S.A.C."},
        "lineas": [{"codigo_producto": "INA", "descripcion": "Servicio inafecto", "cantidad": "1",
                    "valor_unitario": "1000.00", "afectacion_igv": "30"}],
        "moneda": "USD", "tipo_cambio": "3.7500"}).json()
    with session_scope() as s:
        s.execute(text("UPDATE comprobantes SET estado_sunat = 'ACEPTADO' WHERE id = :i"),
                  {"i": credito["comprobante_id"]})
    nota = client.post("/api/facturacion/notas/", headers=admin, json={
        "tipo": "07", "comprobante_origen_id": credito["comprobante_id"], "motivo_codigo": "07",
        "motivo_descripcion": "Devolución de una unidad",
        "lineas": [{"linea_origen": 1, "cantidad": "1"}]}).json()
    compra = client.post("/api/finanzas/cuentas-pagar/", headers=contador, json={
        "proveedor_ruc": "20601030021", "proveedor_razon_social": "PROVEEDOR SAC", "serie": "F001",
        "numero": "123", "fecha_emision": str(hoy()), "base_imponible": "3000.00", "igv": "540.00"}).json()
    cxc = {c["comprobante_id"]: c for c in client.get("/api/finanzas/cuentas-cobrar/", headers=contador)
           .json()["items"]}
    cobros = [
        client.post("/api/finanzas/cobros/", headers=contador, json={
            "metodo_pago": "TRANSFERENCIA", "documentos": [
                {"documento_id": cxc[credito["comprobante_id"]]["id"], "monto": "200.00"}]}),
        client.post("/api/finanzas/cobros/", headers=contador, json={
            "metodo_pago": "TRANSFERENCIA", "moneda": "USD", "tipo_cambio": "3.8000", "documentos": [
                {"documento_id": cxc[usd["id"]]["id"], "monto": "1000.00"}]}),
        client.post("/api/finanzas/pagos/", headers=contador, json={
            "metodo_pago": "TRANSFERENCIA", "documentos": [{"documento_id": compra["id"], "monto": "3540.00"}]}),
    ]
    assert all(r.status_code == 201 for r in cobros), [r.text for r in cobros]
    return {"contado": contado, "credito": credito, "usd": usd, "nota": nota, "compra": compra}


def _libros(client, headers, periodo: str) -> dict[str, list[list[str]]]:
    res = client.post("/api/finanzas/tributario/generar-ple/", headers=headers, json={"periodo": periodo})
    assert res.status_code == 201, res.text
    zipped = client.get(f"/api/finanzas/tributario/ple/{periodo}/", headers=headers)
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    libros = {}
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as z:
        assert sorted(z.namelist()) == sorted(res.json()["archivos"])
        for nombre in z.namelist():
            m = re.fullmatch(rf"LE20100066603{periodo}00(\d{{6}})001([01])11\.txt", nombre)
            assert m, nombre
            contenido = z.read(nombre).decode("iso-8859-1")
            assert (m.group(2) == "1") == bool(contenido)
            assert contenido == "" or contenido.endswith("|\r\n")
            libros[m.group(1)] = [ln.split("|")[:-1] for ln in contenido.split("\r\n") if ln]
    return libros


def test_a_month_of_operations_books_and_ple_files(client, tienda, cajero, contador):  # noqa: F811
    docs = _un_mes(client, tienda, cajero, contador)
    periodo = f"{hoy():%Y%m}"
    balance = client.get(f"/api/finanzas/reportes/balance-comprobacion/?periodo={periodo}", headers=contador).json()
    assert balance["total_debe"] == balance["total_haber"]
    # 1212: credit sale 590 − NC 118 − collected 200 + USD 3750 − 3750 relieved = 272 = the open receivables.
    assert saldo("1212") == d("272.00")
    abiertas = client.get("/api/finanzas/cuentas-cobrar/?estado=PARCIAL", headers=contador).json()["items"]
    assert [c["saldo"] for c in abiertas] == ["272.00"]
    assert saldo("776") == d("-50.00")  # 1000 USD booked at 3.75, collected at 3.80
    assert saldo("4212") == 0 and saldo("20111") == d("2640.00")  # 50 × 60 in, 6 × 60 out (cost of sales 360)
    assert saldo("6911") == d("360.00") and saldo("40111") == d("450.00")  # IGV 108 − NC 18 vs purchase 540
    situacion = client.get(f"/api/finanzas/reportes/balance-general/?periodo={periodo}", headers=contador).json()
    totales = {k: Decimal(v["actual"]) for k, v in situacion["totales"].items()}
    assert totales["ACTIVO"] == totales["PASIVO"] + totales["PATRIMONIO"] and totales["ACTIVO"] > 0
    resultados = client.get(f"/api/finanzas/reportes/estado-resultados/?periodo={periodo}", headers=contador).json()
    rubros = {r["nombre"]: Decimal(r["actual"]) for r in resultados["rubros"]}
    assert sum(rubros.values()) == Decimal(resultados["resultado"]["actual"])
    # ventas: 100 + 500 (credit) − 100 (NC) + 3750 (USD inafecto) = 4250; cost of sales 360; exchange gain 50.
    assert (rubros["Ventas"], rubros["Costo de ventas"], rubros["Ingresos financieros"]) == (
        d("4250.00"), d("-360.00"), d("50.00"))
    xlsx = client.get(f"/api/finanzas/reportes/estado-resultados/?periodo={periodo}&formato=xlsx", headers=contador)
    from openpyxl import load_workbook

    hoja = load_workbook(io.BytesIO(xlsx.content)).active
    assert hoja["A1"].value == "Estado de resultados" and hoja["A3"].value == "Ventas" and hoja["B3"].value == 4250
    libros = _libros(client, contador, periodo)

    for codigo, filas in libros.items():
        esperados = {"050100": 21, "050300": 8, "060100": 21, "080100": 42, "140100": 35}[codigo]
        assert all(len(f) == esperados for f in filas), (codigo, {len(f) for f in filas})
        assert all(f[0] == f"{periodo}00" for f in filas)

    diario = libros["050100"]
    por_cuo: dict[str, Decimal] = defaultdict(Decimal)
    for f in diario:
        assert re.fullmatch(r"M\d+", f[2]) and f[6] in ("PEN", "USD") and FECHA.match(f[14]) and f[15]
        assert IMPORTE.match(f[17]) and IMPORTE.match(f[18]) and (Decimal(f[17]) > 0) != (Decimal(f[18]) > 0)
        assert f[20] == "1"
        por_cuo[f[1]] += Decimal(f[17]) - Decimal(f[18])
    assert set(por_cuo.values()) == {Decimal(0)}  # the diario balances per CUO
    assert Counter(map(tuple, diario)) == Counter(map(tuple, libros["060100"]))  # the mayor is the diario by account
    assert [f[3] for f in libros["060100"]] == sorted(f[3] for f in libros["060100"])
    assert {f[3] for f in diario} <= {f[1] for f in libros["050300"]}
    assert all(f[3] == "01" and f[7] == "1" for f in libros["050300"])

    ventas = libros["140100"]
    assert {(f[5], f[6], f[7]) for f in ventas} == {
        (docs[k].get("tipo") or ("03" if k == "contado" else "01"), *_serie_numero(client, contador, docs[k]))
        for k in ("contado", "credito", "usd", "nota")}
    for f in ventas:
        assert FECHA.match(f[3]) and all(IMPORTE.match(f[i]) for i in range(12, 25)) and TASA.match(f[26])
        assert f[34] == "1"
    with session_scope() as s:
        esperado = s.execute(text(
            "SELECT sum(CASE WHEN tipo = '07' THEN -1 ELSE 1 END * round(total_venta * coalesce(tipo_cambio, 1), 2)) "
            "FROM comprobantes")).scalar_one()
    assert sum(Decimal(f[24]) for f in ventas) == esperado  # the register's total equals the comprobantes'
    nota = next(f for f in ventas if f[5] == "07")
    origen = _serie_numero(client, contador, docs["credito"])
    assert (nota[24], FECHA.match(nota[27]) is not None, nota[28], nota[29], nota[30]) == (
        "-118.00", True, "01", *origen)  # fields 28–31: the modified document
    exportacion = next(f for f in ventas if f[25] == "USD")
    assert (exportacion[18], exportacion[26]) == ("3750.00", "3.750")  # field 19: inafecta, in PEN
    # Field 20 of the diario links the sale's entry to its register line: 140100&periodo&CUO&M1.
    enlaces = {f[19] for f in diario if f[19].startswith("140100")}
    assert enlaces == {f"140100&{periodo}00&{f[1]}&M1" for f in ventas}

    [compra] = libros["080100"]
    assert (compra[11], compra[13], compra[14], compra[23], compra[24], compra[41]) == (
        "20601030021", "3000.00", "540.00", "3540.00", "PEN", "1")
    assert any(f[19] == f"080100&{periodo}00&{compra[1]}&M1" for f in diario)


def _serie_numero(client, headers, doc: dict) -> tuple[str, str]:
    comprobante_id = doc.get("comprobante_id") or doc["id"]
    c = client.get(f"/api/facturacion/comprobantes/{comprobante_id}/", headers=headers).json()
    return c["serie"], str(c["numero"])


def test_closing_needs_a_signature_and_a_clean_month_then_locks_it(client, tienda, cajero, contador, make_user):  # noqa: F811
    docs = _un_mes(client, tienda, cajero, contador)
    periodo = f"{hoy():%Y%m}"
    res = client.post("/api/finanzas/tributario/cerrar-periodo/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 403 and res.json()["errors"][0]["field"] == "firma"
    _firma(client, contador)
    res = client.post("/api/finanzas/tributario/cerrar-periodo/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 400
    campos = Counter(e["field"] for e in res.json()["errors"])
    assert campos["comprobantes"] == 3 and campos["ple"] == 1  # contado, usd and the note still PENDIENTE
    with session_scope() as s:
        s.execute(text("UPDATE comprobantes SET estado_sunat = 'ACEPTADO'"))
    _libros(client, contador, periodo)
    # A change after the PLE was generated makes it stale.
    client.post("/api/finanzas/cobros/", headers=contador, json={
        "metodo_pago": "EFECTIVO", "documentos": [{"documento_id": _cxc_id(client, contador), "monto": "1.00"}]})
    res = client.post("/api/finanzas/tributario/cerrar-periodo/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 400 and [e["field"] for e in res.json()["errors"]] == ["ple"]
    _libros(client, contador, periodo)
    res = client.post("/api/finanzas/tributario/cerrar-periodo/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 200, res.text
    cerrado = res.json()
    assert cerrado["estado"] == "CERRADO" and cerrado["fecha_cierre"] and cerrado["firmado_por"]
    verificacion = client.get(f"/api/finanzas/tributario/periodos/{cerrado['id']}/verificar/", headers=contador)
    assert verificacion.json()["valido"] is True, verificacion.json()
    # The close wrote the month's sums: the next month's ledgers open from them.
    siguiente = f"{hoy().replace(day=28) + timedelta(days=4):%Y%m}"
    mayor = client.get(f"/api/finanzas/libros/mayor/?periodo={siguiente}&cuenta=1212", headers=contador).json()
    abierto = saldo("1212")
    assert Decimal(mayor["saldo_inicial"]) == abierto != 0 and mayor["movimientos"]["total"] == 0
    with session_scope() as s:
        sumas = s.execute(text("SELECT sum(debe), sum(haber), count(*) FROM saldos_mensuales WHERE periodo = :p"),
                          {"p": periodo}).one()
        lineas = s.execute(text("SELECT sum(debe), sum(haber) FROM lineas_asiento")).one()
    assert (sumas[0], sumas[1]) == tuple(lineas) and sumas[2] > 0

    # The month is locked: API and database.
    res = client.post(f"/api/facturacion/comprobantes/{docs['usd']['id']}/anular/", headers=tienda.admin,
                      json={"motivo": "Error en el cliente"})
    assert res.status_code == 400, res.text
    assert "está cerrado" in res.json()["message"]
    res = client.post("/api/ventas/", headers=cajero, json=venta(tienda.producto("M2", precio="10.00"), "1", "10.00"))
    assert res.status_code == 400, res.text
    res = client.post("/api/finanzas/asientos/", headers=contador, json={
        "fecha": str(hoy()), "descripcion": "ajuste", "centro_costo_id": _centro(client, contador),
        "lineas": [{"cuenta": "1041", "debe": "1.00"}, {"cuenta": "501", "haber": "1.00"}]})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "fecha"
    res = client.post("/api/finanzas/tributario/generar-ple/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 409
    for sql in ("UPDATE comprobantes SET cliente_razon_social = 'X' WHERE id = :i",
                "DELETE FROM pagos_cobros WHERE true"):
        with pytest.raises(IntegrityError, match="está cerrado"), session_scope() as s:
            s.execute(text(sql), {"i": docs["usd"]["id"]})

    # Tampering with the signed record is detected.
    with session_scope() as s:
        s.execute(text("UPDATE periodos_tributarios SET cierre_json = replace(cierre_json, '\"periodo\"', "
                       "'\"periodo \"') WHERE id = :i"), {"i": cerrado["id"]})
    verificacion = client.get(f"/api/finanzas/tributario/periodos/{cerrado['id']}/verificar/", headers=contador)
    assert verificacion.json()["firma_valida"] is False and verificacion.json()["valido"] is False

    # Only an ADMIN reopens, with a reason, audited.
    res = client.post(f"/api/finanzas/tributario/periodos/{cerrado['id']}/reabrir/", headers=contador,
                      json={"motivo": "Corrección de una nota"})
    assert res.status_code == 403
    res = client.post(f"/api/finanzas/tributario/periodos/{cerrado['id']}/reabrir/", headers=tienda.admin,
                      json={"motivo": "Corrección de una nota"})
    assert res.status_code == 200 and res.json()["estado"] == "ABIERTO"
    mayor = client.get(f"/api/finanzas/libros/mayor/?periodo={siguiente}&cuenta=1212", headers=contador).json()
    assert Decimal(mayor["saldo_inicial"]) == abierto  # from the lines again
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM saldos_mensuales")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM audit_logs WHERE modulo = 'finanzas' AND accion = 'reabrir'"
                              )).scalar_one() == 1
    res = client.post("/api/ventas/", headers=cajero, json=venta(tienda.producto("M3", precio="10.00"), "1", "10.00"))
    assert res.status_code == 201, res.text


def test_closing_a_month_leaves_the_others_open(client, contador):
    _firma(client, contador)
    anterior = (hoy().replace(day=1) - timedelta(days=1))
    periodo = f"{anterior:%Y%m}"
    assert client.post("/api/finanzas/tributario/generar-ple/", headers=contador,
                       json={"periodo": periodo}).status_code == 201
    res = client.post("/api/finanzas/tributario/cerrar-periodo/", headers=contador, json={"periodo": periodo})
    assert res.status_code == 200, res.text
    res = client.post("/api/finanzas/asientos/", headers=contador, json={
        "fecha": str(hoy()), "descripcion": "mes abierto", "centro_costo_id": _centro(client, contador),
        "lineas": [{"cuenta": "1041", "debe": "1.00"}, {"cuenta": "501", "haber": "1.00"}]})
    assert res.status_code == 201, res.text
    res = client.post("/api/finanzas/asientos/", headers=contador, json={
        "fecha": str(anterior), "descripcion": "mes cerrado", "centro_costo_id": _centro(client, contador),
        "lineas": [{"cuenta": "1041", "debe": "1.00"}, {"cuenta": "501", "haber": "1.00"}]})
    assert res.status_code == 400


def _cxc_id(client, headers) -> int:
    return client.get("/api/finanzas/cuentas-cobrar/?estado=PARCIAL", headers=headers).json()["items"][0]["id"]


def _centro(client, headers) -> int:
    return next(c["id"] for c in client.get("/api/finanzas/centros-costo/", headers=headers).json()["items"]
                if c["predeterminado"])


def test_rvie_proposal_from_sire_compared_with_our_comprobantes(client, admin_headers, contador):
    def emitir(valor: str) -> dict:
        return client.post("/api/facturacion/emitir/", headers=admin_headers, json={
            "cliente": {"tipo_documento": "6", "numero_documento": RUC_CLIENTE, "razon_social": "CLIENTE"},
            "lineas": [{"codigo_producto": "X", "descripcion": "Item", "cantidad": "1", "valor_unitario": valor}]
        }).json()

    igual, distinto, solo_nuestro = emitir("100.00"), emitir("200.00"), emitir("300.00")
    cabecera = ("RUC|Apellidos y Nombres o Razón social|Periodo|CAR SUNAT|Fecha de emisión|Fecha Vcto/Pago|"
                "Tipo CP/Doc.|Serie del CDP|Nro CP o Doc. Nro Inicial (Rango)|Nro Final (Rango)|Tipo Doc Identidad|"
                "Nro Doc Identidad|Apellidos Nombres/ Razón Social|Valor Facturado Exportación|BI Gravada|Dscto BI|"
                "IGV / IPM|Dscto IGV / IPM|Mto Exonerado|Mto Inafecto|ISC|BI Grav IVAP|IVAP|ICBPER|Otros Tributos|"
                "Total CP|Moneda|Tipo Cambio")

    def fila(doc: dict, base: str, igv: str, total: str, numero: int | None = None) -> str:
        return (f"20100066603|DEMO|{hoy():%Y%m}|X|{hoy():%d/%m/%Y}||01|{doc['serie']}|{numero or doc['numero']}||6|"
                f"{RUC_CLIENTE}|CLIENTE|0.00|{base}|0.00|{igv}|0.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|{total}|PEN|")

    propuesta = "\n".join([cabecera, fila(igual, "100.00", "18.00", "118.00"),
                           fila(distinto, "200.00", "36.00", "236.50"), fila(igual, "50.00", "9.00", "59.00", 999)])
    res = client.post("/api/finanzas/tributario/sire/rvie/comparar/", headers=contador,
                      json={"periodo": f"{hoy():%Y%m}", "contenido": propuesta})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["coinciden"] == 1
    assert body["faltan_en_sunat"] == [f"01 {solo_nuestro['serie']}-{solo_nuestro['numero']}"]
    assert body["faltan_en_erp"] == [f"01 {igual['serie']}-999"]
    assert body["diferencias"] == [{"documento": f"01 {distinto['serie']}-{distinto['numero']}",
                                    "campos": {"total": {"erp": "236.00", "sunat": "236.50"}}}]
    res = client.post("/api/finanzas/tributario/sire/rvie/comparar/", headers=contador,
                      json={"periodo": f"{hoy():%Y%m}", "contenido": "a|b|c\n1|2|3"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "contenido"


def test_digital_signature_upload_refuses_what_does_not_open(client, contador):
    pfx, _ = generar_certificado_demo("20100066603", "CONTADOR DEMO")
    res = client.put("/api/finanzas/firma-digital/", headers=contador,
                     json={"pfx_base64": base64.b64encode(pfx).decode(), "password": "otra-clave"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "pfx_base64"
    res = client.put("/api/finanzas/firma-digital/", headers=contador,
                     json={"pfx_base64": "no es base64 !!!!!!!", "password": "x"})
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "pfx_base64"
    for texto in ("certificadó" * 3, "QUJDRA" * 3 + "="):  # non-ASCII (was a 500), then bad padding
        res = client.put("/api/finanzas/firma-digital/", headers=contador, json={"pfx_base64": texto, "password": "x"})
        assert res.status_code == 400 and res.json()["errors"][0]["field"] == "pfx_base64", res.text


def test_statements_print_to_pdf_with_the_same_rows_as_the_workbook(client, contador):
    import pypdfium2

    centro = client.get("/api/finanzas/centros-costo/", headers=contador).json()["items"][0]["id"]
    res = client.post("/api/finanzas/asientos/", headers=contador, json={
        "fecha": str(hoy()), "descripcion": "Venta de prueba", "centro_costo_id": centro, "lineas": [
            {"cuenta": "101", "debe": "12980.00"}, {"cuenta": "40111", "haber": "1980.00"},
            {"cuenta": "701111", "haber": "11000.00"}]})
    assert res.status_code == 201, res.text
    periodo = f"{hoy():%Y%m}"

    def texto(ruta: str) -> str:
        res = client.get(f"/api/finanzas/reportes/{ruta}/?periodo={periodo}&formato=pdf", headers=contador)
        assert res.status_code == 200 and res.headers["content-type"] == "application/pdf", res.text
        assert f"_{periodo}.pdf" in res.headers["content-disposition"]
        return pypdfium2.PdfDocument(io.BytesIO(res.content))[0].get_textpage().get_text_range()

    resultados = texto("estado-resultados")
    assert "Estado de resultados" in resultados and "RUC 20100066603" in resultados
    assert re.search(r"Ventas\s+11,000\.00\s+0\.00", resultados)
    assert re.search(r"Resultado del periodo\s+11,000\.00", resultados)
    situacion = texto("balance-general")
    assert re.search(r"Total activo\s+12,980\.00", situacion)
    assert re.search(r"Tributos por pagar\s+1,980\.00", situacion)
    res = client.get(f"/api/finanzas/reportes/balance-general/?periodo={periodo}&formato=odt", headers=contador)
    assert res.status_code == 400


def test_a_close_waits_for_the_writes_that_saw_its_month_open(client, contador):
    """A write to a period-guarded table holds the close's lock in shared mode until it commits."""
    centro = _centro(client, contador)
    with session_scope() as escritor, session_scope() as cierre:
        escritor.execute(text("INSERT INTO asientos_contables (fecha, periodo, cuo, descripcion, centro_costo_id, "
                              "referencia_tipo, referencia_id, origen, moneda, tipo_cambio, estado, created_at) "
                              "VALUES (:f, :p, 'X-1', 'en curso', :c, 'MANUAL', '', 'MANUAL', 'PEN', 1, "
                              "'CONTABILIZADO', now())"), {"f": hoy(), "p": f"{hoy():%Y%m}", "c": centro})
        cerrar = text("SELECT pg_try_advisory_xact_lock(hashtext('finanzas_cierre_periodo'))")
        assert cierre.execute(cerrar).scalar_one() is False  # the close would wait
        escritor.rollback()
        assert cierre.execute(cerrar).scalar_one() is True


def test_opening_balance_reads_closed_months_sums_and_open_stretches():
    from datetime import date

    from services.finanzas.libros import _sin_cerrar

    junio = date(2026, 6, 1)
    assert _sin_cerrar([], junio) == [(None, junio)]
    assert _sin_cerrar(["202602", "202603", "202605"], junio) == [
        (None, date(2026, 2, 1)), (date(2026, 4, 1), date(2026, 5, 1))]
    assert _sin_cerrar(["202604"], junio) == [(None, date(2026, 4, 1)), (date(2026, 5, 1), junio)]

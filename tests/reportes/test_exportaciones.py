"""Module 8 exports: the Excel file with the filters applied (opened with openpyxl: rows, types, formats, frozen
header, autofilter, widths), the branded PDF, the expiring signed link (200 / 403 tampered / 410 expired), the
report module's permission, the underlying report's row scoping, filters validated per report, and the export
running as the workflow `exportacion-<id>` started through the outbox."""

import asyncio
import io
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from core import enlaces
from core.db import session_scope
from services.reportes import exportaciones
from services.stock import hoy_lima
from tests.ventas_fixtures import contar, venta

pytest_plugins = ["tests.ventas_fixtures"]  # tienda, cajero

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exportar(client, headers, tipo: str, filtros: dict, formato: str = "xlsx") -> dict:
    res = client.post("/api/reportes/exportar/", headers=headers,
                      json={"tipo_reporte": tipo, "filtros": filtros, "formato": formato})
    assert res.status_code == 202, res.text
    assert res.json()["estado"] == "PENDIENTE" and res.json()["url"] is None
    return res.json()


def generar(exportacion_id: int) -> None:
    """What the workflow's activity does (the workflow itself is tested once, below)."""
    with session_scope() as s:
        estado = exportaciones.generar(s, exportacion_id)
        assert estado == "LISTA", s.execute(text("SELECT error FROM exportaciones_log WHERE id = :i"),
                                            {"i": exportacion_id}).scalar_one()


def descargar(client, headers, exportacion_id: int):
    estado = client.get(f"/api/reportes/exportaciones/{exportacion_id}/", headers=headers).json()
    assert estado["estado"] == "LISTA", estado
    res = client.get(estado["url"])  # no token: the signed link is the credential
    assert res.status_code == 200, res.text
    return res, estado


@pytest.fixture
def ventas(tienda, cajero):
    """Today: REP-A ×2 twice and REP-B ×2 once; one more REP-B sale moved to yesterday (outside the filter)."""
    a, b = tienda.producto("REP-A", precio="10.00"), tienda.producto("REP-B", precio="5.00")
    for producto, monto in ((b, "10.00"), (a, "20.00"), (b, "10.00"), (a, "20.00")):
        assert tienda.client.post("/api/ventas/", headers=cajero, json=venta(producto, "2", monto)).status_code == 201
    with session_scope() as s:
        s.execute(text("UPDATE ventas SET fecha = fecha - interval '1 day' WHERE id = (SELECT min(id) FROM ventas)"))
    return tienda


def test_excel_export_has_the_filtered_rows_typed_formatted_frozen_and_filterable(ventas):
    hoy = hoy_lima()
    pedida = exportar(ventas.client, ventas.admin, "ventas_por_producto",
                      {"desde": str(hoy), "hasta": str(hoy), "sucursal_id": ventas.sucursal_id})
    # the request only logged it and asked for the workflow, in its transaction
    assert contar("outbox", "workflow_id = :w AND workflow = 'ExportarReporte'", w=f"exportacion-{pedida['id']}") == 1
    generar(pedida["id"])
    res, estado = descargar(ventas.client, ventas.admin, pedida["id"])
    assert res.headers["content-type"] == XLSX and estado["filas"] == 2
    assert f'filename="ventas_por_producto-{hoy:%Y%m%d}.xlsx"' in res.headers["content-disposition"]

    hoja = load_workbook(io.BytesIO(res.content)).active
    assert hoja["A1"].value.startswith("JSOLUCIONES DEMO S.A.C.") and hoja["A2"].value == "Ventas por producto"
    assert f"desde: {hoy}" in hoja["A3"].value
    assert [c.value for c in hoja[5]] == ["SKU", "Producto", "Cantidad", "Subtotal", "IGV", "Total"]
    filas = [[c.value for c in fila] for fila in hoja.iter_rows(min_row=6)]
    # yesterday's REP-B sale is outside the filter: REP-B counts one sale of 2 units, not two
    assert [(f[0], f[2], f[5]) for f in filas] == [("REP-A", 4, 40), ("REP-B", 2, 10)]
    cantidad, subtotal, total = hoja["C6"], hoja["D6"], hoja["F6"]
    assert all(c.data_type == "n" for c in (cantidad, subtotal, total))  # numbers as numbers, not text
    assert Decimal(str(subtotal.value)) + Decimal(str(hoja["E6"].value)) == Decimal(str(total.value))
    assert (total.number_format, cantidad.number_format) == ("#,##0.00", "#,##0.000")
    assert hoja.freeze_panes == "A6" and hoja.auto_filter.ref == "A5:F7"
    assert hoja.column_dimensions["B"].width >= len("Producto REP-A")
    assert hoja[5][0].font.bold


def test_dates_are_dates_in_the_excel_and_the_pdf_carries_the_company_and_the_rows(ventas):
    hoy = hoy_lima()
    xlsx = exportar(ventas.client, ventas.admin, "ventas_diarias", {"desde": str(hoy - timedelta(days=1)),
                                                                    "hasta": str(hoy)})
    generar(xlsx["id"])
    hoja = load_workbook(io.BytesIO(descargar(ventas.client, ventas.admin, xlsx["id"])[0].content)).active
    dias = [(f[0].value, f[1].value, f[4].value) for f in hoja.iter_rows(min_row=6)]
    assert [d for d, *_ in dias] == [datetime.combine(hoy - timedelta(days=1), datetime.min.time()),
                                     datetime.combine(hoy, datetime.min.time())]
    assert hoja["A6"].is_date and hoja["A6"].number_format == "DD/MM/YYYY"
    assert [(v, t) for _, v, t in dias] == [(1, 10), (3, 50)]

    pdf = exportar(ventas.client, ventas.admin, "ventas_diarias", {"desde": str(hoy), "hasta": str(hoy)}, "pdf")
    generar(pdf["id"])
    res, _ = descargar(ventas.client, ventas.admin, pdf["id"])
    assert res.headers["content-type"] == "application/pdf" and res.content.startswith(b"%PDF")
    documento = pypdfium2.PdfDocument(io.BytesIO(res.content))
    texto = documento[0].get_textpage().get_text_range()
    assert "JSoluciones Demo" in texto and "RUC 20100066603" in texto and "Ventas diarias" in texto
    assert f"{hoy:%d/%m/%Y}" in texto and "50.00" in texto and "Página 1 de 1" in texto


def test_the_download_link_is_signed_and_expires(ventas, set_minutos):
    pedida = exportar(ventas.client, ventas.admin, "stock", {})
    generar(pedida["id"])
    _, estado = descargar(ventas.client, ventas.admin, pedida["id"])
    url = urlsplit(estado["url"])
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    vence = datetime.fromisoformat(estado["url_expira"]).timestamp()
    assert int(q["expira"]) == vence and 0 < vence - time.time() <= 2 * 60  # EXPORTACION_URL_MINUTOS=2

    otra_firma = ("0" if q["firma"][0] != "0" else "1") + q["firma"][1:]
    for alterada in (f"{url.path}?expira={q['expira']}&firma={otra_firma}",  # signature changed
                     f"{url.path}?expira={int(q['expira']) + 3600}&firma={q['firma']}",  # expiry pushed back
                     f"/api/reportes/exportaciones/{pedida['id'] + 1}/descargar/?{url.query}"):  # another file
        res = ventas.client.get(alterada)
        assert res.status_code == 403, (alterada, res.text)
        assert res.json()["errors"][0]["field"] == "firma"

    # a genuine link, 1 s past its expiry
    vencida, _ = enlaces.firmar("exportacion", url.path, timedelta(minutes=2), ahora=time.time() - 2 * 60 - 1)
    res = ventas.client.get(vencida)
    assert res.status_code == 410 and res.json()["code"] == "gone"
    assert ventas.client.get(estado["url"]).status_code == 200  # the fresh one still works


@pytest.fixture
def set_minutos():
    from tests.conftest import set_env

    set_env(EXPORTACION_URL_MINUTOS="2")
    yield
    set_env(EXPORTACION_URL_MINUTOS="15")


def test_each_report_needs_its_modules_permission(tienda, make_user):
    _, almacen = make_user("SUPERVISOR_ALMACEN")
    antes = contar("exportaciones_log")
    for tipo, filtros in (("libro_diario", {"periodo": f"{hoy_lima():%Y%m}"}), ("cuentas_cobrar", {}),
                          ("ventas_diarias", {"desde": "2026-01-01", "hasta": "2026-01-31"})):
        res = tienda.client.post("/api/reportes/exportar/", headers=almacen,
                                 json={"tipo_reporte": tipo, "filtros": filtros})
        assert res.status_code == 403, res.text
        assert res.json()["errors"][0]["field"] == "tipo_reporte"
    assert contar("exportaciones_log") == antes  # nothing logged, nothing queued
    propio = exportar(tienda.client, almacen, "kardex", {"desde": "2026-01-01", "hasta": "2026-12-31"})
    assert propio["tipo_reporte"] == "kardex"  # their own module's report

    _, contador = make_user("CONTADOR")
    propia = exportar(tienda.client, contador, "libro_diario", {"periodo": f"{hoy_lima():%Y%m}"})
    # another user's export is not theirs to see (404, not a hint that it exists); the ADMIN sees it
    assert tienda.client.get(f"/api/reportes/exportaciones/{propia['id']}/", headers=almacen).status_code == 404
    assert tienda.client.get(f"/api/reportes/exportaciones/{propia['id']}/", headers=tienda.admin).status_code == 200
    assert [e["id"] for e in tienda.client.get("/api/reportes/exportaciones/", headers=contador).json()["items"]] \
        == [propia["id"]]


def test_rows_are_scoped_as_the_underlying_report(ventas, make_user):
    otro = ventas.almacen("Almacén 2")
    ventas.producto("SOLO-2", stock=None)
    ventas.entrada(ventas.client.get("/api/productos/?q=SOLO-2", headers=ventas.admin).json()["items"][0]["id"], "7",
                   almacen_id=otro)
    usuario_id, supervisor = make_user("SUPERVISOR_ALMACEN")
    res = ventas.client.post(f"/api/almacenes/{otro}/usuarios/", headers=ventas.admin, json={"usuario_id": usuario_id})
    assert res.status_code == 204, res.text

    suya = exportar(ventas.client, supervisor, "stock", {})
    generar(suya["id"])
    hoja = load_workbook(io.BytesIO(descargar(ventas.client, supervisor, suya["id"])[0].content)).active
    assert [(f[0].value, f[2].value, f[3].value) for f in hoja.iter_rows(min_row=6)] == [("SOLO-2", "Almacén 2", 7)]
    # a warehouse not theirs, or a branch not theirs, is refused before anything is queued
    res = ventas.client.post("/api/reportes/exportar/", headers=supervisor,
                             json={"tipo_reporte": "stock", "filtros": {"almacen_id": ventas.almacen_id}})
    assert res.status_code == 403 and res.json()["errors"][0]["field"] == "filtros.almacen_id"
    _, gerente = make_user("GERENTE_VENTAS", sucursal_id=ventas.sucursal_id)
    res = ventas.client.post("/api/reportes/exportar/", headers=gerente, json={
        "tipo_reporte": "ventas_diarias", "filtros": {"desde": "2026-01-01", "hasta": "2026-01-02",
                                                      "sucursal_id": ventas.sucursal_id + 1000}})
    assert res.status_code == 403 and res.json()["errors"][0]["field"] == "sucursal_id"


@pytest.mark.parametrize(("cuerpo", "campo"), [
    ({"tipo_reporte": "ventas_diarias", "filtros": {"hasta": "2026-01-31"}}, "filtros.desde"),
    ({"tipo_reporte": "ventas_diarias", "filtros": {"desde": "2026-02-01", "hasta": "2026-01-31"}}, "filtros.hasta"),
    ({"tipo_reporte": "stock", "filtros": {"periodo": "202601"}}, "filtros.periodo"),
    ({"tipo_reporte": "libro_mayor", "filtros": {"periodo": "202601"}}, "filtros.cuenta"),
    ({"tipo_reporte": "libro_diario", "filtros": {"periodo": "202613"}}, "filtros.periodo"),
    ({"tipo_reporte": "libro_mayor", "filtros": {"periodo": "202601", "cuenta": "99999"}}, "filtros.cuenta"),
    ({"tipo_reporte": "kardex", "filtros": {"desde": "2026-01-01"}}, "filtros.hasta"),
    ({"tipo_reporte": "kardex", "filtros": {"tipo_movimiento": "ROBO"}}, "filtros.tipo_movimiento"),
    ({"tipo_reporte": "kardex", "filtros": {"almacen": 1}}, "filtros.almacen"),
    ({"tipo_reporte": "planilla", "filtros": {}}, "tipo_reporte"),
    ({"tipo_reporte": "stock", "filtros": {}, "formato": "csv"}, "formato"),
])
def test_bad_filters_are_a_400_naming_the_field(client, admin_headers, cuerpo, campo):
    res = client.post("/api/reportes/exportar/", headers=admin_headers, json=cuerpo)
    assert res.status_code == 400, res.text
    assert [e["field"] for e in res.json()["errors"]] == [campo]
    assert contar("exportaciones_log") == 0


async def test_the_export_runs_as_a_workflow_started_through_the_outbox(ventas, worker, temporal_client):
    from core.temporal import ESTADO

    pedida = exportar(ventas.client, ventas.admin, "ventas_por_cliente",
                      {"desde": str(hoy_lima()), "hasta": str(hoy_lima())})
    limite = time.monotonic() + 30
    while (estado := ventas.client.get(f"/api/reportes/exportaciones/{pedida['id']}/",
                                       headers=ventas.admin).json())["estado"] == "PENDIENTE":
        assert time.monotonic() < limite, estado
        await asyncio.sleep(0.1)
    assert estado["estado"] == "LISTA" and estado["filas"] == 1
    hoja = load_workbook(io.BytesIO(ventas.client.get(estado["url"]).content)).active
    assert [c.value for c in hoja[6]] == ["CLIENTES VARIOS", None, 3, 50]
    handle = temporal_client.get_workflow_handle(f"exportacion-{pedida['id']}")
    assert await asyncio.wait_for(handle.result(), 20) == "LISTA"
    assert (await handle.describe()).typed_search_attributes.get(ESTADO) == "LISTA"


def test_an_export_the_user_may_no_longer_run_ends_in_error(tienda, make_user):
    usuario_id, contador = make_user("CONTADOR")
    pedida = exportar(tienda.client, contador, "libro_diario", {"periodo": f"{date.today():%Y%m}"})
    with session_scope() as s:
        s.execute(text("UPDATE usuarios SET activo = false WHERE id = :u"), {"u": usuario_id})
    with session_scope() as s:
        assert exportaciones.generar(s, pedida["id"]) == "ERROR"
    with session_scope() as s:
        fila = s.execute(text("SELECT estado, error, archivo FROM exportaciones_log WHERE id = :i"),
                         {"i": pedida["id"]}).one()
    assert fila.estado == "ERROR" and "inactivo" in fila.error and fila.archivo is None


def test_inventory_and_ledger_reports_export_what_their_modules_show(ventas):
    """The kardex (Lima timestamps as Excel dates), the journal and the ledger of the sales' accounts, and an
    empty receivables list (cash sales) as a well-formed file with its header and a one-row filter range."""
    hoy, periodo = hoy_lima(), f"{hoy_lima():%Y%m}"
    kardex = exportar(ventas.client, ventas.admin, "kardex", {"desde": str(hoy), "hasta": str(hoy),
                                                              "tipo_movimiento": "VENTA"})
    diario = exportar(ventas.client, ventas.admin, "libro_diario", {"periodo": periodo})
    mayor = exportar(ventas.client, ventas.admin, "libro_mayor", {"periodo": periodo, "cuenta": "1212"})
    cobrar = exportar(ventas.client, ventas.admin, "cuentas_cobrar", {"vencidas": True})
    hojas = {}
    for pedida in (kardex, diario, mayor, cobrar):
        generar(pedida["id"])
        hojas[pedida["tipo_reporte"]] = load_workbook(
            io.BytesIO(descargar(ventas.client, ventas.admin, pedida["id"])[0].content)).active

    movimientos = list(hojas["kardex"].iter_rows(min_row=6))
    # the four sales' exits; the two products' ENTRADA rows are filtered out by tipo_movimiento
    assert len(movimientos) == 4 and {f[3].value for f in movimientos} == {"VENTA"}
    assert movimientos[0][0].is_date and movimientos[0][0].value.date() == hoy and movimientos[0][4].value == -2

    lineas = [[c.value for c in f] for f in hojas["libro_diario"].iter_rows(min_row=6)]
    assert lineas and sum(f[7] or 0 for f in lineas) == pytest.approx(sum(f[8] or 0 for f in lineas))  # it balances
    assert "1212" in {f[4] for f in lineas}  # each cash sale's collection: 101x D · 1212 H

    mayor_filas = [[c.value for c in f] for f in hojas["libro_mayor"].iter_rows(min_row=6)]
    assert mayor_filas[0][3] == "Saldo inicial"
    movido = sum((f[4] or 0) - (f[5] or 0) for f in mayor_filas[1:])
    assert len(mayor_filas) > 1 and mayor_filas[-1][6] == pytest.approx(mayor_filas[0][6] + movido)  # running balance

    vacia = hojas["cuentas_cobrar"]
    assert [c.value for c in vacia[5]][:2] == ["Documento", "Cuota"] and vacia.max_row == 5
    assert vacia.auto_filter.ref == "A5:K6"


def test_a_pdf_too_long_to_read_ends_in_error_pointing_to_xlsx(ventas, monkeypatch):
    monkeypatch.setattr(exportaciones, "MAX_FILAS_PDF", 1)
    hoy = hoy_lima()
    pedida = exportar(ventas.client, ventas.admin, "ventas_diarias",
                      {"desde": str(hoy - timedelta(days=1)), "hasta": str(hoy)}, "pdf")
    with session_scope() as s:
        assert exportaciones.generar(s, pedida["id"]) == "ERROR"
    estado = ventas.client.get(f"/api/reportes/exportaciones/{pedida['id']}/", headers=ventas.admin).json()
    assert estado["estado"] == "ERROR" and "use xlsx" in estado["error"] and estado["url"] is None


def test_a_streamed_table_is_written_row_by_row_typed_with_its_header_frozen_and_filtered(monkeypatch):
    """The xlsx writer reads its rows once, from a generator (a server-side cursor in production), in write-only
    mode: every row arrives typed and formatted, the header stays frozen and bold, the autofilter covers all the
    rows, and the widths are measured on the first MUESTRA rows (written before the rows in that mode)."""
    from models.configuracion import Configuracion
    from services.reportes import archivos
    from services.reportes.catalogo import REPORTES, Tabla, celdas

    monkeypatch.setattr(archivos, "MUESTRA", 50)
    columnas = list(REPORTES["kardex"].columnas)
    n = archivos.MUESTRA + 200
    leidas = []

    def filas():
        for i in range(n):
            leidas.append(i)
            yield {"created_at": datetime(2026, 11, 2, 15, 30, tzinfo=ZoneInfo("UTC")) + timedelta(seconds=i),
                   "producto": "SKU-1 Producto de nombre largo" if i == 7 else "SKU-1", "almacen": "Central",
                   "tipo_movimiento": "VENTA", "cantidad": Decimal("-1.500"), "motivo": None,
                   "referencia_doc": f"B001-{i:08d}"}

    empresa = Configuracion(ruc="20100066603", razon_social="EMPRESA S.A.C.")
    contenido, escritas = archivos.a_xlsx(Tabla("Kardex", columnas, celdas(columnas, filas()), "sin filtros"),
                                          empresa, datetime.now(ZoneInfo("UTC")))
    assert escritas == n and leidas == list(range(n))  # each row read once
    hoja = load_workbook(io.BytesIO(contenido)).active
    assert [c.value for c in hoja[5]] == [c.titulo for c in columnas] and hoja["A5"].font.bold
    assert hoja.freeze_panes == "A6" and hoja.auto_filter.ref == f"A5:G{5 + n}" and hoja.max_row == 5 + n
    ultima = hoja[5 + n]
    assert ultima[0].is_date and ultima[0].number_format == "DD/MM/YYYY HH:MM"
    assert ultima[0].value == datetime(2026, 11, 2, 10, 30) + timedelta(seconds=n - 1)  # Lima, naive
    assert ultima[4].data_type == "n" and ultima[4].value == -1.5 and ultima[4].number_format == "#,##0.000"
    assert ultima[5].value is None and ultima[6].value == f"B001-{n - 1:08d}"
    assert hoja.column_dimensions["B"].width >= len("SKU-1 Producto de nombre largo")


def test_an_export_past_the_row_limit_ends_in_error_while_streaming(ventas, monkeypatch):
    from services.reportes import catalogo

    monkeypatch.setattr(catalogo, "MAX_FILAS", 3)
    hoy = hoy_lima()
    pedida = exportar(ventas.client, ventas.admin, "kardex", {"desde": str(hoy), "hasta": str(hoy),
                                                              "tipo_movimiento": "VENTA"})  # 4 rows
    with session_scope() as s:
        assert exportaciones.generar(s, pedida["id"]) == "ERROR"
    estado = ventas.client.get(f"/api/reportes/exportaciones/{pedida['id']}/", headers=ventas.admin).json()
    assert "supera 3 filas" in estado["error"] and estado["url"] is None


def test_a_long_pdf_is_one_table_per_page_each_with_its_header_and_every_row_once():
    """The PDF is laid out a page-sized table at a time (WeasyPrint's cost of one long table grows faster than
    its rows): the rows fill the pages in order, none lost or repeated, each page under the column header."""
    from models.configuracion import Configuracion
    from services.reportes import archivos
    from services.reportes.catalogo import REPORTES, Tabla, celdas

    columnas = list(REPORTES["kardex"].columnas)
    n = archivos.FILAS_PRIMERA_PAGINA + archivos.FILAS_POR_PAGINA + 5
    filas = celdas(columnas, ({"created_at": datetime(2026, 11, 2, 15, tzinfo=ZoneInfo("UTC")), "producto": "SKU-1",
                               "almacen": "Central", "tipo_movimiento": "VENTA", "cantidad": Decimal(-1),
                               "referencia_doc": f"B001-{i:08d}"} for i in range(n)))
    contenido, impresas = archivos.a_pdf(Tabla("Kardex", columnas, list(filas), "sin filtros"),
                                         Configuracion(ruc="20100066603", razon_social="EMPRESA S.A.C."),
                                         datetime.now(ZoneInfo("UTC")))
    documento = pypdfium2.PdfDocument(io.BytesIO(contenido))
    textos = [documento[i].get_textpage().get_text_range() for i in range(len(documento))]
    assert impresas == n and len(textos) == 3 and f"{n} filas" in textos[0]
    por_pagina = [[linea.split("B001-")[1][:8] for linea in t.splitlines() if "B001-" in linea] for t in textos]
    # full pages hold their rows (none spills over), the last the remainder
    assert [len(p) for p in por_pagina] == [archivos.FILAS_PRIMERA_PAGINA, archivos.FILAS_POR_PAGINA, 5]
    assert [int(x) for p in por_pagina for x in p] == list(range(n))
    assert all("Fecha y hora" in t and "Documento" in t and f"Página {i + 1} de 3" in t for i, t in enumerate(textos))
    assert "02/11/2026 10:00" in textos[2] and "-1.000" in textos[2]  # Lima time, the quantity's format

"""Bank statement parsers: each bank's export as the customer downloads it, and the files they cannot read."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from core.errors import ValidationError
from services.finanzas import extractos
from tests.finanzas.datos_conciliacion.evaluar import AQUI, verdad


def _csv(filas: list[str], encoding: str = "utf-8", bom: bool = False) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + "\r\n".join(filas).encode(encoding)


@pytest.mark.parametrize("archivo", ["bcp_pen.csv", "interbank_pen.xlsx", "bbva_usd.csv"])
def test_data_set_statements_parse_with_their_detected_profile(archivo):
    """Title block, cp1252 / UTF-8 BOM, `;` / `,`, signed amount / cargo+abono, newest first, balance rows."""
    datos = verdad()[archivo]
    extracto = extractos.leer((AQUI / archivo).read_bytes())  # no bank given: detected from the file
    assert extracto.banco == datos["banco"]
    assert sorted(li.fila for li in extracto.lineas) == [e["fila"] for e in datos["lineas"]]


def test_bcp_cp1252_semicolon_signed_amounts_newest_first_with_totals():
    contenido = _csv([
        "Movimientos de la cuenta;;;", "Cuenta:;193-2456789-0-31;Moneda:;Soles", "",
        "Fecha;Fecha valuta;Descripción operación;Monto;Saldo;Sucursal - agencia;Operación - Número",
        "05/03/2026;06/03/2026;TRAN.CTAS.TERC.BM PEÑA SÁNCHEZ;1,234.56;10,234.56;191;0012345",
        "04/03/2026;04/03/2026;ITF;-0.05;9,000.00;191;0012344",
        "", ";;Saldo anterior;;9,000.05",
    ], "cp1252")
    extracto = extractos.leer(contenido)
    assert extracto.banco == "BCP"
    primera, itf = extracto.lineas
    assert (primera.fila, primera.fecha, primera.fecha_valor, primera.monto, primera.referencia) == \
        (5, date(2026, 3, 5), date(2026, 3, 6), Decimal("1234.56"), "0012345")
    assert primera.descripcion == "TRAN.CTAS.TERC.BM PEÑA SÁNCHEZ" and primera.saldo == Decimal("10234.56")
    assert itf.monto == Decimal("-0.05")


def test_interbank_excel_cargo_abono_and_real_dates():
    libro = Workbook()
    hoja = libro.active
    hoja.append(["INTERBANK"])
    hoja.append(["Fecha de operación", "Fecha de proceso", "Nro. de operación", "Descripción", "Cargo", "Abono",
                 "Saldo contable"])
    hoja.append([date(2026, 3, 2), date(2026, 3, 3), 778899, "TRANSF. DE ACME", None, 1500.5, 2500.5])
    hoja.append(["02/03/2026", "02/03/2026", "778900", "COMISION TRANSF", "3.50", None, "2,497.00"])
    hoja.append(["Total cargos", None, None, None, 3.5])
    buffer = io.BytesIO()
    libro.save(buffer)
    extracto = extractos.leer(buffer.getvalue())
    assert extracto.banco == "INTERBANK"
    assert [(li.fecha, li.fecha_valor, li.monto, li.referencia) for li in extracto.lineas] == [
        (date(2026, 3, 2), date(2026, 3, 3), Decimal("1500.50"), "778899"),
        (date(2026, 3, 2), date(2026, 3, 2), Decimal("-3.50"), "778900")]


def test_bbva_utf8_bom_comma_quoted_amounts_dd_mm_yyyy():
    contenido = _csv(["F. Operación,F. Valor,Código,Nº. Doc.,Concepto,Importe,Oficina",
                      '09-03-2026,10-03-2026,421,000123,ABONO TRANSF. ACME,"12,500.00",0486',
                      '09-03-2026,09-03-2026,421,000124,CARGO TRANSF. PROV,-250.00,0486'], bom=True)
    extracto = extractos.leer(contenido)
    assert extracto.banco == "BBVA"
    assert [li.monto for li in extracto.lineas] == [Decimal("12500.00"), Decimal("-250.00")]
    assert extracto.lineas[0].fecha_valor == date(2026, 3, 10)


def test_scotiabank_european_amounts_cargos_abonos():
    contenido = _csv(["Scotiabank Perú - Estado de cuenta", "Cuenta: 000-1234567", "",
                      "Fecha;Fecha valor;Descripción;Referencia;Cargos;Abonos;Saldo",
                      "15/03/2026;15/03/2026;DEPOSITO EN EFECTIVO;445566;;1.234,56;11.234,56",
                      "14/03/2026;14/03/2026;MANTENIMIENTO CTA;445565;15,00;;10.000,00",
                      ";;Total;;15,00;1.234,56;"], "cp1252")
    extracto = extractos.leer(contenido)
    assert extracto.banco == "SCOTIABANK"
    assert [li.monto for li in extracto.lineas] == [Decimal("1234.56"), Decimal("-15.00")]


def test_banco_de_la_nacion_dd_mm_yyyy_dashes_and_opening_balance_row():
    contenido = _csv(["BANCO DE LA NACION", "Cuenta Corriente 00-000-123456", "",
                      "Fecha,Nro. Operación,Descripción,Cargo,Abono,Saldo",
                      "01-03-2026,,SALDO ANTERIOR,,,500.00",
                      "03-03-2026,0099887,DETRACCION 20100047218,,\"1,180.00\",\"1,680.00\"",
                      "05-03-2026,0099890,ITF,0.05,,\"1,679.95\""])
    extracto = extractos.leer(contenido, "BN")
    assert extracto.banco == "BN"
    assert [(li.fecha, li.monto, li.referencia) for li in extracto.lineas] == [
        (date(2026, 3, 3), Decimal("1180.00"), "0099887"), (date(2026, 3, 5), Decimal("-0.05"), "0099890")]


def test_generic_profile_with_a_saved_mapping():
    mapeo = {"fecha": "Fecha Mov", "descripcion": "Glosa", "monto": "Importe S/", "referencia": "Operacion",
             "formato_fecha": "YMD"}
    contenido = _csv(["Mi banco cooperativo", "Fecha Mov|Glosa|Operacion|Importe S/",
                      "2026-03-07|ABONO CLIENTE X|55|(120.00)", "2026-03-08|ABONO CLIENTE Y|56|80.00-",
                      "2026-03-09|ABONO CLIENTE Z|57|S/ 1 500.00"])
    extracto = extractos.leer(contenido, None, mapeo)
    assert extracto.banco == "GENERICO"
    assert [li.monto for li in extracto.lineas] == [Decimal("-120.00"), Decimal("-80.00"), Decimal("1500.00")]


@pytest.mark.parametrize(("valor", "esperado"), [
    ("1,234.56", "1234.56"), ("1.234,56", "1234.56"), ("-0,05", "-0.05"), ("1.234", "1234.00"),
    ("1,234", "1234.00"), ("12", "12.00"), ("150.00-", "-150.00"), ("(3.50)", "-3.50"), ("S/ -50.00", "-50.00"),
    ("US$ 2,000.5", "2000.50"), ("", None), (1500.5, "1500.50")])
def test_amounts_in_every_shape(valor, esperado):
    assert extractos.leer_monto(valor) == (Decimal(esperado) if esperado else None)


def test_a_row_that_cannot_be_read_is_named():
    contenido = _csv(["Fecha;Descripción operación;Monto", "05/03/2026;ABONO;100.00", "32/03/2026;ABONO;5.00"])
    with pytest.raises(ValidationError, match="Fila 3: la fecha '32/03/2026' no es una fecha"):
        extractos.leer(contenido)
    contenido = _csv(["Fecha;Descripción operación;Monto", "05/03/2026;ABONO;cien soles"])
    with pytest.raises(ValidationError, match="Fila 2: 'cien soles' no es un importe"):
        extractos.leer(contenido)
    contenido = _csv(["Fecha;Descripción;Cargo;Abono", "05/03/2026;ABONO;;"])
    with pytest.raises(ValidationError, match="Fila 2: no tiene importe"):
        extractos.leer(contenido)


def test_files_without_a_statement_are_refused():
    with pytest.raises(ValidationError, match="encabezados"):
        extractos.leer(b"hola;mundo\r\n1;2\r\n")
    with pytest.raises(ValidationError, match="Excel no se puede leer"):
        extractos.leer(b"PK\x03\x04 esto no es un xlsx")
    with pytest.raises(ValidationError, match="vac"):
        extractos.leer(b"   ")


def test_fingerprints_keep_identical_real_lines_and_repeat_on_reimport():
    contenido = _csv(["Fecha;Descripción operación;Monto", "05/03/2026;ITF;-0.05", "05/03/2026;ITF;-0.05",
                      "06/03/2026;ITF;-0.05"])
    lineas = extractos.leer(contenido).lineas
    primeras = extractos.huellas(7, lineas)
    assert len(set(primeras)) == 3  # two identical lines on one day are two ITF charges
    # the next export, newest first and overlapping one day, yields the same fingerprints for that day
    siguiente = extractos.leer(_csv(["Fecha;Descripción operación;Monto", "07/03/2026;ITF;-0.05",
                                     "06/03/2026;ITF;-0.05"])).lineas
    assert extractos.huellas(7, siguiente)[1] == primeras[2]

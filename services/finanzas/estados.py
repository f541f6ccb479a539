"""Financial statements from the ledger, each period with the previous one beside it: the estado de situación
financiera (balance general) at the end of the period and the estado de resultados (by nature, PCGE elements
6 and 7) for the period. Exportable to xlsx and PDF."""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import text
from sqlmodel import Session
from weasyprint import HTML

from services import configuracion
from services.finanzas.asientos import CERO
from services.finanzas.ple import validar_periodo

PLANTILLAS = Path(__file__).parent.parent / "templates"


@dataclass(frozen=True)
class Empresa:
    ruc: str
    razon_social: str


@dataclass
class Rubro:
    nombre: str
    actual: Decimal
    anterior: Decimal


# (rubro, account prefixes, sign: +1 debit balances, −1 credit balances)
SITUACION: list[tuple[str, str, tuple[str, ...], int]] = [
    ("ACTIVO", "Efectivo y equivalentes de efectivo", ("10",), 1),
    ("ACTIVO", "Cuentas por cobrar comerciales", ("12",), 1),
    ("ACTIVO", "Otras cuentas por cobrar e inversiones", ("11", "13", "14", "16", "17", "18", "19"), 1),
    ("ACTIVO", "Inventarios", ("20", "21", "22", "23", "24", "25", "26", "28", "29"), 1),
    ("ACTIVO", "Activo no corriente", ("3",), 1),
    ("PASIVO", "Tributos por pagar", ("40",), -1),
    ("PASIVO", "Remuneraciones por pagar", ("41",), -1),
    ("PASIVO", "Cuentas por pagar comerciales", ("42", "43"), -1),
    ("PASIVO", "Otras cuentas por pagar", ("44", "45", "46", "47", "48", "49"), -1),
    ("PATRIMONIO", "Capital y reservas", ("50", "51", "52", "56", "57", "58"), -1),
    ("PATRIMONIO", "Resultados acumulados", ("59",), -1),
]
RESULTADOS: list[tuple[str, tuple[str, ...], int]] = [
    ("Ventas", ("70",), -1),
    ("Descuentos concedidos", ("74",), -1),
    ("Costo de ventas", ("69",), -1),
    ("Compras y variación de existencias", ("60", "61"), -1),
    ("Gastos de personal", ("62",), -1),
    ("Servicios prestados por terceros", ("63",), -1),
    ("Tributos", ("64",), -1),
    ("Otros gastos de gestión y provisiones", ("65", "66", "68"), -1),
    ("Otros ingresos de gestión", ("71", "72", "73", "75", "76", "78"), -1),
    ("Ingresos financieros", ("77",), -1),
    ("Gastos financieros", ("67",), -1),
]


def _saldos(session: Session, desde: date | None, hasta: date) -> dict[str, Decimal]:
    """Debit balance per leaf account over [desde, hasta)."""
    filas = session.execute(text(
        "SELECT c.codigo, sum(l.debe - l.haber) FROM lineas_asiento l JOIN cuentas_contables c ON c.id = l.cuenta_id "
        "WHERE l.fecha < :h AND (CAST(:d AS date) IS NULL OR l.fecha >= :d) GROUP BY c.codigo"),
        {"d": desde, "h": hasta})
    return {codigo: Decimal(s) for codigo, s in filas}


def _suma(saldos: dict[str, Decimal], prefijos: tuple[str, ...], signo: int) -> Decimal:
    return signo * sum((s for c, s in saldos.items() if c.startswith(prefijos)), CERO)


def _anterior(periodo: str) -> str:
    inicio, _ = validar_periodo(periodo)
    return f"{inicio.year - 1}12" if inicio.month == 1 else f"{inicio.year}{inicio.month - 1:02d}"


def _resultado(saldos: dict[str, Decimal]) -> Decimal:
    """Elements 6 and 7 (income positive), excluding 79 (cargas imputables) and 6x's destination mirror."""
    return -sum((s for c, s in saldos.items() if c[0] in "67" and not c.startswith("79")), CERO)


def situacion_financiera(session: Session, periodo: str) -> dict:
    actual, anterior = (_saldos(session, None, validar_periodo(p)[1]) for p in (periodo, _anterior(periodo)))
    secciones: dict[str, list[Rubro]] = {"ACTIVO": [], "PASIVO": [], "PATRIMONIO": []}
    for seccion, nombre, prefijos, signo in SITUACION:
        secciones[seccion].append(Rubro(nombre, _suma(actual, prefijos, signo), _suma(anterior, prefijos, signo)))
    secciones["PATRIMONIO"].append(Rubro("Resultado del ejercicio", _resultado(actual), _resultado(anterior)))
    totales = {s: Rubro(f"Total {s.lower()}", sum((r.actual for r in rubros), CERO),
                        sum((r.anterior for r in rubros), CERO)) for s, rubros in secciones.items()}
    return {"periodo": periodo, "anterior": _anterior(periodo), "secciones": secciones, "totales": totales}


def estado_resultados(session: Session, periodo: str) -> dict:
    def del_mes(p: str) -> dict[str, Decimal]:
        inicio, fin = validar_periodo(p)
        return _saldos(session, inicio, fin)

    actual, anterior = del_mes(periodo), del_mes(_anterior(periodo))
    rubros = [Rubro(nombre, _suma(actual, prefijos, signo), _suma(anterior, prefijos, signo))
              for nombre, prefijos, signo in RESULTADOS]
    # 709 (devoluciones) lives under 70 and reduces it by its debit balance, already in the sum.
    return {"periodo": periodo, "anterior": _anterior(periodo), "rubros": rubros,
            "resultado": Rubro("Resultado del periodo", _resultado(actual), _resultado(anterior))}


Filas = list[tuple[str, Rubro | None]]  # a statement as printed: a row without amounts is a section heading


def situacion_filas(datos: dict) -> Filas:
    filas: Filas = []
    for seccion, rubros in datos["secciones"].items():
        filas += [(seccion, None), *((r.nombre, r) for r in rubros), (datos["totales"][seccion].nombre,
                                                                      datos["totales"][seccion])]
    return filas


def resultados_filas(datos: dict) -> Filas:
    return [(r.nombre, r) for r in datos["rubros"]] + [(datos["resultado"].nombre, datos["resultado"])]


def _destacada(etiqueta: str, rubro: Rubro | None) -> bool:
    return rubro is None or etiqueta.startswith(("Total", "Resultado"))


def a_xlsx(titulo: str, periodo: str, anterior: str, filas: Filas) -> bytes:
    libro = Workbook()
    hoja = libro.active
    hoja.title = titulo[:31]
    hoja.append([titulo])
    hoja["A1"].font = Font(bold=True)
    hoja.append(["", periodo, anterior])
    for etiqueta, rubro in filas:
        hoja.append([etiqueta] if rubro is None else [etiqueta, rubro.actual, rubro.anterior])
        if _destacada(etiqueta, rubro):
            hoja.cell(hoja.max_row, 1).font = Font(bold=True)
    for fila in hoja.iter_rows(min_row=3, min_col=2):
        for celda in fila:
            celda.number_format = "#,##0.00"
    hoja.column_dimensions["A"].width = 45
    buffer = io.BytesIO()
    libro.save(buffer)
    return buffer.getvalue()


def importe(valor: Decimal) -> str:
    """Peruvian accounting display: thousands with commas, two decimals, negatives in parentheses."""
    texto = f"{abs(valor):,.2f}"
    return f"({texto})" if valor < 0 else texto


@lru_cache
def _plantillas() -> Environment:
    env = Environment(loader=FileSystemLoader(PLANTILLAS), autoescape=select_autoescape(["html"]))
    env.filters["importe"] = importe
    return env


def a_pdf(titulo: str, periodo: str, anterior: str, filas: Filas, empresa: Empresa) -> bytes:
    """The statement as an A4 PDF (Jinja2 + WeasyPrint), the same rows as the xlsx."""
    html = _plantillas().get_template("estado_financiero.html").render(
        titulo=titulo, periodo=periodo, anterior=anterior, empresa=empresa,
        filas=[(etiqueta, rubro, _destacada(etiqueta, rubro)) for etiqueta, rubro in filas])
    return HTML(string=html, base_url=str(PLANTILLAS)).write_pdf()


TITULOS = {"situacion": "Estado de situación financiera", "resultados": "Estado de resultados"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exportar(session: Session, estado: str, datos: dict, formato: str) -> tuple[bytes, str]:
    """One statement ('situacion' or 'resultados') as xlsx or pdf: (content, media type)."""
    filas = situacion_filas(datos) if estado == "situacion" else resultados_filas(datos)
    if formato == "xlsx":
        return a_xlsx(TITULOS[estado], datos["periodo"], datos["anterior"], filas), XLSX
    config = configuracion.obtener(session)
    empresa = Empresa(config.ruc, config.razon_social)
    return a_pdf(TITULOS[estado], datos["periodo"], datos["anterior"], filas, empresa), "application/pdf"

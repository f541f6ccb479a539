"""A report table as a file: xlsx (openpyxl: typed cells, number formats, frozen header, autofilter, column
widths) or an A4 landscape PDF (Jinja2 + WeasyPrint) with the company's branding from `configuracion`, the same
source the financial statements and comprobantes print."""

import io
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from weasyprint import HTML  # imported at load: cffi's first import is not thread-safe

from core.settings import get_settings
from models.configuracion import Configuracion
from services.finanzas.estados import XLSX, importe
from services.reportes.catalogo import Tabla, valor_celda

PLANTILLAS = Path(__file__).parent.parent / "templates"
MEDIA = {"xlsx": XLSX, "pdf": "application/pdf"}
FORMATOS_NUMERO = {"dinero": "#,##0.00", "cantidad": "#,##0.000", "entero": "0", "fecha": "DD/MM/YYYY",
                   "fechahora": "DD/MM/YYYY HH:MM"}
FILA_CABECERA = 5  # rows 1-3: company, title, filters; row 5: the column headers
ANCHO_MAXIMO = 60


def _texto(valor: Any, tipo: str) -> str:
    """How a cell reads (for column widths and the PDF)."""
    if valor is None:
        return ""
    if tipo == "dinero":
        return importe(valor)
    if tipo == "cantidad":
        return f"{valor:,.3f}"
    if tipo == "fecha":
        return f"{valor:%d/%m/%Y}"
    if tipo == "fechahora":
        return f"{valor:%d/%m/%Y %H:%M}"
    if tipo == "si_no":
        return "Sí" if valor else "No"
    return str(valor)


def _celdas(tabla: Tabla) -> list[list[Any]]:
    return [[valor_celda(c, v) for c, v in zip(tabla.columnas, fila, strict=True)] for fila in tabla.filas]


def a_xlsx(tabla: Tabla, empresa: Configuracion, generado: datetime) -> bytes:
    libro = Workbook()
    hoja = libro.active
    hoja.title = re.sub(r"[\[\]:*?/\\]", " ", tabla.titulo)[:31]
    libro.properties.creator = empresa.razon_social
    libro.properties.title = tabla.titulo
    hoja["A1"] = f"{empresa.razon_social} · RUC {empresa.ruc}"
    hoja["A1"].font = Font(bold=True, size=12)
    hoja["A2"] = tabla.titulo
    hoja["A2"].font = Font(bold=True, size=14)
    hoja["A3"] = f"Filtros: {tabla.filtros} · generado {_local(generado):%d/%m/%Y %H:%M}"
    hoja["A3"].font = Font(italic=True, color="555555")
    cabecera = Font(bold=True, color="FFFFFF")
    relleno = PatternFill("solid", fgColor="1F2937")
    for col, columna in enumerate(tabla.columnas, start=1):
        celda = hoja.cell(FILA_CABECERA, col, columna.titulo)
        celda.font, celda.fill = cabecera, relleno
        celda.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    anchos = [len(c.titulo) for c in tabla.columnas]
    for fila, valores in enumerate(_celdas(tabla), start=FILA_CABECERA + 1):
        for col, (columna, valor) in enumerate(zip(tabla.columnas, valores, strict=True), start=1):
            celda = hoja.cell(fila, col, valor)
            if columna.tipo in FORMATOS_NUMERO:
                celda.number_format = FORMATOS_NUMERO[columna.tipo]
            anchos[col - 1] = max(anchos[col - 1], len(_texto(valor, columna.tipo)))
    for col, ancho in enumerate(anchos, start=1):
        hoja.column_dimensions[get_column_letter(col)].width = min(ANCHO_MAXIMO, ancho + 2)
    ultima = get_column_letter(len(tabla.columnas))
    hoja.freeze_panes = f"A{FILA_CABECERA + 1}"
    hoja.auto_filter.ref = f"A{FILA_CABECERA}:{ultima}{FILA_CABECERA + max(1, len(tabla.filas))}"
    hoja.print_title_rows = f"{FILA_CABECERA}:{FILA_CABECERA}"
    buffer = io.BytesIO()
    libro.save(buffer)
    return buffer.getvalue()


def _local(momento: datetime) -> datetime:
    return momento.astimezone(ZoneInfo(get_settings().timezone))


@lru_cache
def _plantillas() -> Environment:
    return Environment(loader=FileSystemLoader(PLANTILLAS), autoescape=select_autoescape(["html"]))


def a_pdf(tabla: Tabla, empresa: Configuracion, generado: datetime) -> bytes:
    filas = [[(_texto(v, c.tipo), c.tipo in FORMATOS_NUMERO and c.tipo not in ("fecha", "fechahora"))
              for c, v in zip(tabla.columnas, valores, strict=True)] for valores in _celdas(tabla)]
    html = _plantillas().get_template("reporte_tabla.html").render(
        tabla=tabla, empresa=empresa, filas=filas, generado=f"{_local(generado):%d/%m/%Y %H:%M}")
    documento = HTML(string=html, base_url=str(PLANTILLAS)).render()
    documento.metadata.created = documento.metadata.modified = generado.astimezone(UTC).isoformat()
    documento.metadata.title = tabla.titulo
    documento.metadata.authors = [empresa.razon_social]
    return documento.write_pdf()


def generar(tabla: Tabla, formato: str, empresa: Configuracion, generado: datetime) -> bytes:
    return (a_xlsx if formato == "xlsx" else a_pdf)(tabla, empresa, generado)


def nombre_archivo(tipo: str, formato: str, dia: date) -> str:
    return f"{tipo}-{dia:%Y%m%d}.{formato}"


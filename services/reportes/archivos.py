"""A report table as a file: xlsx (openpyxl: typed cells, number formats, frozen header, autofilter, column
widths) or an A4 landscape PDF (Jinja2 + WeasyPrint) with the company's branding from `configuracion`, the same
source the financial statements and comprobantes print.

The xlsx is written in openpyxl's write-only mode: each row goes to the file as it is read, so memory stays flat
for 100k rows. That mode writes the sheet's view (the frozen header) and column widths before the first row, so
the widths are measured on the header and the first MUESTRA rows; the autofilter goes after the rows and covers
them all."""

import io
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from weasyprint import HTML  # imported at load: cffi's first import is not thread-safe

from core.settings import get_settings
from models.configuracion import Configuracion
from services.finanzas.estados import XLSX, importe
from services.reportes.catalogo import Tabla

PLANTILLAS = Path(__file__).parent.parent / "templates"
MEDIA = {"xlsx": XLSX, "pdf": "application/pdf"}
FORMATOS_NUMERO = {"dinero": "#,##0.00", "cantidad": "#,##0.000", "entero": "0", "fecha": "DD/MM/YYYY",
                   "fechahora": "DD/MM/YYYY HH:MM"}
FILA_CABECERA = 5  # rows 1-3: company, title, filters; row 5: the column headers
ANCHO_MAXIMO = 60
# PDF: each page is its own small table (WeasyPrint lays out one long table in worse than linear time): the rows
# that fit an A4 landscape page (35; 30 under the heading) less one line of slack for a row that wraps; a page
# whose rows wrap more continues on the next page, header repeated. Widths (relative) by column type.
FILAS_PRIMERA_PAGINA, FILAS_POR_PAGINA = 29, 34
PESO_COLUMNA = {"texto": 3.0, "fechahora": 2.0, "fecha": 1.3, "dinero": 1.4, "cantidad": 1.2, "entero": 0.8,
                "si_no": 0.8}
CLASE_PDF = {"dinero": "num", "cantidad": "num", "entero": "num", "fecha": "fecha", "fechahora": "fecha"}
MUESTRA = 1_000  # rows the xlsx column widths are measured on


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


def _celda(hoja: Any, valor: Any = None, **estilo: Any) -> Cell:
    celda = WriteOnlyCell(hoja, valor)
    for nombre, valor_estilo in estilo.items():
        setattr(celda, nombre, valor_estilo)
    return celda


def _con_formato(molde: Cell | None, valor: Any) -> Any:
    """The value in its column's formatted cell; one cell per column serves every row, since write-only mode
    writes a row out before `append` returns."""
    if molde is None or valor is None:
        return valor
    molde.value = valor
    return molde


def _anchos(tabla: Tabla, muestra: list[tuple[Any, ...]]) -> list[float]:
    return [min(ANCHO_MAXIMO, max([len(c.titulo), *(len(_texto(f[i], c.tipo)) for f in muestra)]) + 2)
            for i, c in enumerate(tabla.columnas)]


def a_xlsx(tabla: Tabla, empresa: Configuracion, generado: datetime) -> tuple[bytes, int]:
    """(the workbook, rows written)."""
    libro = Workbook(write_only=True)
    hoja = libro.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", tabla.titulo)[:31])
    libro.properties.creator = empresa.razon_social
    libro.properties.title = tabla.titulo
    filas = iter(tabla.filas)
    muestra = list(islice(filas, MUESTRA))
    for col, ancho in enumerate(_anchos(tabla, muestra), start=1):
        hoja.column_dimensions[get_column_letter(col)].width = ancho
    hoja.freeze_panes = f"A{FILA_CABECERA + 1}"
    hoja.print_title_rows = f"{FILA_CABECERA}:{FILA_CABECERA}"
    hoja.append([_celda(hoja, f"{empresa.razon_social} · RUC {empresa.ruc}", font=Font(bold=True, size=12))])
    hoja.append([_celda(hoja, tabla.titulo, font=Font(bold=True, size=14))])
    hoja.append([_celda(hoja, f"Filtros: {tabla.filtros} · generado {_local(generado):%d/%m/%Y %H:%M}",
                        font=Font(italic=True, color="555555"))])
    hoja.append([])
    cabecera = {"font": Font(bold=True, color="FFFFFF"), "fill": PatternFill("solid", fgColor="1F2937"),
                "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True)}
    hoja.append([_celda(hoja, c.titulo, **cabecera) for c in tabla.columnas])
    moldes = [_celda(hoja, number_format=FORMATOS_NUMERO[c.tipo]) if c.tipo in FORMATOS_NUMERO else None
              for c in tabla.columnas]
    escritas = 0
    for valores in chain(muestra, filas):
        hoja.append([_con_formato(m, v) for m, v in zip(moldes, valores, strict=True)])
        escritas += 1
    ultima = get_column_letter(len(tabla.columnas))
    hoja.auto_filter.ref = f"A{FILA_CABECERA}:{ultima}{FILA_CABECERA + max(1, escritas)}"
    buffer = io.BytesIO()
    libro.save(buffer)
    return buffer.getvalue(), escritas


def _local(momento: datetime) -> datetime:
    return momento.astimezone(ZoneInfo(get_settings().timezone))


@lru_cache
def _plantillas() -> Environment:
    return Environment(loader=FileSystemLoader(PLANTILLAS), autoescape=select_autoescape(["html"]))


def a_pdf(tabla: Tabla, empresa: Configuracion, generado: datetime) -> tuple[bytes, int]:
    """(the document, rows printed); the rows are all held (WeasyPrint lays out the whole document)."""
    clases = [CLASE_PDF.get(c.tipo) for c in tabla.columnas]
    filas = [[(_texto(v, c.tipo), clase) for c, clase, v in zip(tabla.columnas, clases, valores, strict=True)]
             for valores in tabla.filas]
    pesos = [PESO_COLUMNA[c.tipo] for c in tabla.columnas]
    resto = filas[FILAS_PRIMERA_PAGINA:]
    paginas = [filas[:FILAS_PRIMERA_PAGINA], *(resto[i:i + FILAS_POR_PAGINA] for i in range(0, len(resto),
                                                                                          FILAS_POR_PAGINA))]
    html = _plantillas().get_template("reporte_tabla.html").render(
        tabla=tabla, empresa=empresa, paginas=paginas, total=len(filas), generado=f"{_local(generado):%d/%m/%Y %H:%M}",
        anchos=[round(100 * p / sum(pesos), 2) for p in pesos])
    documento = HTML(string=html, base_url=str(PLANTILLAS)).render()
    documento.metadata.created = documento.metadata.modified = generado.astimezone(UTC).isoformat()
    documento.metadata.title = tabla.titulo
    documento.metadata.authors = [empresa.razon_social]
    return documento.write_pdf(), len(filas)


def generar(tabla: Tabla, formato: str, empresa: Configuracion, generado: datetime) -> tuple[bytes, int]:
    """(file, rows): the rows are read once, as they are written."""
    return (a_xlsx if formato == "xlsx" else a_pdf)(tabla, empresa, generado)


def nombre_archivo(tipo: str, formato: str, dia: date) -> str:
    return f"{tipo}-{dia:%Y%m%d}.{formato}"


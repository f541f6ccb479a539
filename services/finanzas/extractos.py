"""Bank statement parsers: the CSV and Excel exports BCP, BBVA, Interbank, Scotiabank and Banco de la Nación give
their customers, plus a generic profile with a column mapping the user saves once.

What real exports do, and what this reads: a title/account block before the header row; cp1252, UTF-8 or UTF-8
with BOM; `;`, `,` or tab; amounts as `1,234.56`, `1.234,56`, `S/ -50.00`, `150.00-` or `(150.00)`; one signed
amount column or separate cargo/abono columns; DD/MM/YYYY, DD-MM-YYYY, DD/MM/YY or ISO dates (Excel cells may be
real dates or numbers); operation date vs value date; opening/closing balance and totals rows; newest-first
order. A row the parser cannot read is a 400 naming the row (as the spreadsheet numbers it) and why.
"""

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.errors import ValidationError

BANCOS = ("BCP", "BBVA", "INTERBANK", "SCOTIABANK", "BN")
CAMPOS = ("fecha", "fecha_valor", "descripcion", "referencia", "monto", "cargo", "abono", "saldo")


@dataclass(frozen=True)
class LineaExtracto:
    fila: int  # row number in the file (1-based, as a spreadsheet shows it)
    fecha: date
    fecha_valor: date | None
    descripcion: str
    monto: Decimal  # + abono, − cargo
    referencia: str
    saldo: Decimal | None


@dataclass(frozen=True)
class Perfil:
    """Header aliases (normalised: lower case, no accents, no punctuation) of each column of one export."""

    banco: str
    columnas: dict[str, tuple[str, ...]]
    titulo: tuple[str, ...] = ()  # words of the title block that name the bank
    formato_fecha: str = "DMY"


PERFILES: dict[str, Perfil] = {p.banco: p for p in (
    Perfil("BCP", {"fecha": ("fecha",), "fecha_valor": ("fecha valuta",),
                   "descripcion": ("descripcion operacion", "descripcion"), "monto": ("monto",),
                   "saldo": ("saldo",), "referencia": ("operacion numero", "nro operacion")},
           ("bcp", "banco de credito")),
    Perfil("BBVA", {"fecha": ("f operacion", "fecha operacion"), "fecha_valor": ("f valor", "fecha valor"),
                    "descripcion": ("concepto",), "monto": ("importe",), "saldo": ("saldo",),
                    "referencia": ("n doc", "no doc", "numero doc", "n documento")},
           ("bbva", "continental")),
    Perfil("INTERBANK", {"fecha": ("fecha de operacion",), "fecha_valor": ("fecha de proceso",),
                         "referencia": ("nro de operacion", "n de operacion"), "descripcion": ("descripcion",),
                         "cargo": ("cargo", "cargos"), "abono": ("abono", "abonos"),
                         "saldo": ("saldo contable", "saldo")},
           ("interbank",)),
    Perfil("SCOTIABANK", {"fecha": ("fecha", "fecha proceso"), "fecha_valor": ("fecha valor",),
                          "descripcion": ("descripcion",), "referencia": ("referencia", "nro operacion"),
                          "cargo": ("cargos debe", "cargos", "debe"), "abono": ("abonos haber", "abonos", "haber"),
                          "saldo": ("saldo",)},
           ("scotiabank",)),
    Perfil("BN", {"fecha": ("fecha",), "descripcion": ("descripcion", "concepto"),
                  "referencia": ("nro operacion", "numero de operacion", "n operacion"), "cargo": ("cargo",),
                  "abono": ("abono",), "saldo": ("saldo",)},
           ("banco de la nacion", "bn")),
)}


def normalizar(texto: object) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: how headers and descriptions compare."""
    s = unicodedata.normalize("NFKD", str(texto or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


# --- the generic profile -------------------------------------------------------------------------------------


def perfil_generico(mapeo: dict[str, str]) -> Perfil:
    """A user's mapping {campo: header as it appears in the file}; `formato_fecha` DMY (default), MDY or YMD."""
    columnas = {k: (normalizar(v),) for k, v in mapeo.items() if k in CAMPOS and v}
    faltan = [c for c in ("fecha", "descripcion") if c not in columnas]
    if faltan or not ("monto" in columnas or ("cargo" in columnas and "abono" in columnas)):
        raise ValidationError("El mapeo necesita fecha, descripción y monto (o cargo y abono)",
                              field="mapeo." + (faltan[0] if faltan else "monto"))
    formato = str(mapeo.get("formato_fecha") or "DMY").upper()
    if formato not in ("DMY", "MDY", "YMD"):
        raise ValidationError("formato_fecha es DMY, MDY o YMD", field="mapeo.formato_fecha")
    return Perfil("GENERICO", columnas, (), formato)


# --- reading the file into rows --------------------------------------------------------------------------------


def _decodificar(contenido: bytes) -> str:
    if contenido.startswith(b"\xef\xbb\xbf"):
        return contenido[3:].decode("utf-8")
    try:
        return contenido.decode("utf-8")
    except UnicodeDecodeError:
        return contenido.decode("cp1252", errors="replace")


def _celda(valor: object) -> object:
    if isinstance(valor, datetime):
        return valor.date()
    return "" if valor is None else valor


def filas_xlsx(contenido: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        libro = load_workbook(io.BytesIO(contenido), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise ValidationError(f"El archivo Excel no se puede leer: {exc.__class__.__name__}",
                              field="archivo") from None
    try:
        hoja = libro.worksheets[0]
        return [[_celda(v) for v in fila] for fila in hoja.iter_rows(values_only=True)]
    finally:
        libro.close()


def _filas_csv(texto: str, delimitador: str) -> list[list[object]]:
    return [list(f) for f in csv.reader(io.StringIO(texto), delimiter=delimitador)]


def es_excel(contenido: bytes) -> bool:
    return contenido[:4] == b"PK\x03\x04"


# --- header detection --------------------------------------------------------------------------------------------


@dataclass
class Encabezado:
    fila: int  # 0-based index of the header row
    perfil: Perfil
    indices: dict[str, int] = field(default_factory=dict)


def _mapear(perfil: Perfil, cabecera: list[str]) -> dict[str, int]:
    indices: dict[str, int] = {}
    for campo, alias in perfil.columnas.items():
        for a in alias:  # aliases in order of preference: the first one present wins
            if a in cabecera and cabecera.index(a) not in indices.values():
                indices[campo] = cabecera.index(a)
                break
    return indices


def _completo(indices: dict[str, int]) -> bool:
    return "fecha" in indices and "descripcion" in indices and (
        "monto" in indices or ("cargo" in indices and "abono" in indices))


def encontrar_encabezado(filas: list[list[object]], perfiles: Sequence[Perfil],
                         preferido: str | None = None) -> Encabezado | None:
    """The first row (within the first 40) that maps the required columns of a profile. Among profiles that map
    it, the one mapping most columns wins; ties go to the bank the title block names, then the account's bank."""
    titulo = ""
    for i, fila in enumerate(filas[:40]):
        cabecera = [normalizar(c) for c in fila]
        opciones = []
        for p in perfiles:
            indices = _mapear(p, cabecera)
            if _completo(indices):
                nombrado = any(re.search(rf"\b{t}\b", titulo) for t in p.titulo)
                opciones.append((len(indices), nombrado, p.banco == preferido, p.banco, indices, p))
        if opciones:
            *_, indices, perfil = max(opciones, key=lambda o: o[:4])
            return Encabezado(i, perfil, indices)
        titulo += " " + " ".join(cabecera)
    return None


# --- values ------------------------------------------------------------------------------------------------------

_FECHA = re.compile(r"^(\d{1,4})[/\-.](\d{1,2})[/\-.](\d{2,4})(?:\s.*)?$")
_NO_MONTO = re.compile(r"[^0-9.,\-()]")
_MONEDA = re.compile(r"^\(?\s*(S/\.?|US\$|\$|USD|PEN)\s*|\s*(S/\.?|US\$|USD|PEN)$", re.IGNORECASE)
_RESUMEN = re.compile(r"\b(total|totales|saldo inicial|saldo anterior|saldo final|saldo disponible|saldo contable|"
                      r"saldo al|saldos|resumen)\b")


def leer_fecha(valor: object, formato: str = "DMY") -> date | None:
    """A date cell as the banks write it; None when the cell is not a date."""
    if isinstance(valor, date):
        return valor
    texto = str(valor).strip()
    m = _FECHA.match(texto)
    if not m:
        return None
    a, b, c = m.groups()
    if len(a) == 4:
        anio, mes, dia = int(a), int(b), int(c)
    elif formato == "MDY":
        mes, dia, anio = int(a), int(b), int(c)
    else:
        dia, mes, anio = int(a), int(b), int(c)
    if anio < 100:
        anio += 2000
    try:
        return date(anio, mes, dia)
    except ValueError:
        return None


def leer_monto(valor: object) -> Decimal | None:
    """`1,234.56`, `1.234,56`, `-50`, `S/ 50.00`, `50.00-`, `(50.00)`, an Excel number; None when empty.
    The separator followed by 1 or 2 digits at the end is the decimal one; 3 digits mean thousands."""
    if isinstance(valor, bool):
        raise ValueError("no es un importe")
    if isinstance(valor, int | float | Decimal):
        return Decimal(str(valor)).quantize(Decimal("0.01"))
    original = str(valor).strip()
    texto = _MONEDA.sub("", original).replace(" ", "").replace("\u00a0", "")
    if not texto:
        return None
    if _NO_MONTO.search(texto):
        raise ValueError(f"'{original[:30]}' no es un importe")
    negativo = texto.startswith("-") or texto.endswith("-") or (texto.startswith("(") and texto.endswith(")"))
    limpio = texto.strip("-()")
    if not limpio:
        return None
    ultimo = max(limpio.rfind("."), limpio.rfind(","))
    if ultimo >= 0 and len(limpio) - ultimo - 1 in (1, 2):
        entero, decimales = limpio[:ultimo], limpio[ultimo + 1:]
    else:
        entero, decimales = limpio, ""
    entero = entero.replace(".", "").replace(",", "")
    if not entero.isdigit() and entero != "" or (decimales and not decimales.isdigit()):
        raise ValueError(f"'{original[:30]}' no es un importe")
    try:
        monto = Decimal(f"{entero or '0'}.{decimales or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"'{original[:30]}' no es un importe") from None
    return -monto if negativo else monto


def _texto(fila: list[object], i: int | None) -> str:
    if i is None or i >= len(fila):
        return ""
    valor = fila[i]
    if isinstance(valor, float) and valor.is_integer():
        valor = int(valor)
    return " ".join(str(valor).split())


def _valor(fila: list[object], i: int | None) -> object:
    return "" if i is None or i >= len(fila) else fila[i]


def _error(numero: int, motivo: str) -> ValidationError:
    return ValidationError(f"Fila {numero}: {motivo}", field="archivo")


def _linea(fila: list[object], numero: int, e: Encabezado) -> LineaExtracto | None:
    """One data row, None for the rows real exports mix in (blank, balance and totals rows)."""
    ix = e.indices
    celda_fecha = _valor(fila, ix["fecha"])
    descripcion = _texto(fila, ix["descripcion"])
    if all(str(c).strip() == "" for c in fila):
        return None
    fecha = leer_fecha(celda_fecha, e.perfil.formato_fecha)
    resumen = _RESUMEN.search(normalizar(" ".join(str(c) for c in fila)))
    if fecha is None:
        if resumen or str(celda_fecha).strip() == "":
            return None
        raise _error(numero, f"la fecha '{str(celda_fecha)[:30]}' no es una fecha (DD/MM/AAAA)")
    if resumen and normalizar(descripcion).startswith(("saldo", "total")):
        return None
    try:
        if "monto" in ix:
            monto = leer_monto(_valor(fila, ix["monto"]))
        else:
            cargo, abono = leer_monto(_valor(fila, ix["cargo"])), leer_monto(_valor(fila, ix["abono"]))
            if cargo and abono:
                raise ValueError("tiene cargo y abono a la vez")
            monto = abono if abono else (-abs(cargo) if cargo else None)
        saldo = leer_monto(_valor(fila, ix.get("saldo"))) if "saldo" in ix else None
    except ValueError as exc:
        raise _error(numero, str(exc)) from None
    if monto is None or monto == 0:
        raise _error(numero, "no tiene importe")
    if not descripcion:
        raise _error(numero, "no tiene descripción")
    valor = leer_fecha(_valor(fila, ix.get("fecha_valor")), e.perfil.formato_fecha) if "fecha_valor" in ix else None
    return LineaExtracto(numero, fecha, valor, descripcion[:300], monto, _texto(fila, ix.get("referencia"))[:40],
                         saldo)


@dataclass
class Extracto:
    banco: str
    lineas: list[LineaExtracto]


def leer(contenido: bytes, banco: str | None = None, mapeo: dict[str, str] | None = None) -> Extracto:
    """Parse a whole statement (all or nothing). `banco` is the account's bank (preferred when a header fits
    several profiles); `mapeo` the account's saved generic mapping, tried before the bank profiles."""
    if not contenido.strip():
        raise ValidationError("El archivo está vacío", field="archivo")
    perfiles = ([perfil_generico(mapeo)] if mapeo else []) + list(PERFILES.values())
    if es_excel(contenido):
        candidatos = [filas_xlsx(contenido)]
    else:
        texto = _decodificar(contenido)
        candidatos = [_filas_csv(texto, d) for d in (";", ",", "\t", "|")]
    hallados = [(f, e) for f in candidatos if (e := encontrar_encabezado(f, perfiles, banco))]
    if not hallados:
        raise ValidationError("No se encontró la fila de encabezados (fecha, descripción, monto o cargo/abono) en "
                              "las primeras 40 filas: use un extracto del banco o configure el mapeo genérico",
                              field="archivo")
    filas, encabezado = max(hallados, key=lambda h: len(h[1].indices))
    lineas = [linea for i, fila in enumerate(filas[encabezado.fila + 1:], start=encabezado.fila + 2)
              if (linea := _linea(fila, i, encabezado))]
    if not lineas:
        raise ValidationError("El extracto no tiene movimientos", field="archivo")
    return Extracto(encabezado.perfil.banco, lineas)


def huellas(cuenta_id: int, lineas: Iterable[LineaExtracto]) -> list[str]:
    """Per-line fingerprint: date, amount, operation number, description and the position among identical
    lines of the file, so a re-import (or an overlapping period) finds the lines it already has, and two real
    identical lines (two ITF of S/ 0.05 on one day) stay two."""
    vistos: Counter[tuple] = Counter()
    resultado = []
    for linea in lineas:
        clave = (linea.fecha.isoformat(), str(linea.monto), linea.referencia.strip(), normalizar(linea.descripcion))
        resultado.append(hashlib.sha256(f"{cuenta_id}|{'|'.join(clave)}|{vistos[clave]}".encode()).hexdigest())
        vistos[clave] += 1
    return resultado

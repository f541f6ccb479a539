"""The reports an export or a programación can produce: each one's permission, filters and columns, and its
rows read through the module that owns the data (so the row scoping is the underlying report's own).

A report is a table (`Tabla`: typed columns, rows); `archivos` turns a table into xlsx or PDF. The reports that
grow large (kardex, stock, journal lines) stream their rows from a server-side cursor, so a 100k-row export
never holds its rows in memory; the rest are bounded summaries read as one page.

"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlmodel import Session

from core.db import transmitir_sql
from core.errors import Forbidden, ValidationError
from core.schemas import Entrada, Fecha, Id, Paginacion
from core.settings import get_settings
from models.inventario import TIPOS_MOVIMIENTO
from services import inventario
from services.auth import AuthUser
from services.finanzas import cartera, libros
from services.finanzas.ple import validar_periodo
from services.permisos import tiene_permiso
from services.reportes_ventas import reporte as reporte_ventas

TipoReporte = Literal["ventas_diarias", "ventas_por_producto", "ventas_por_cliente", "stock", "kardex",
                      "cuentas_cobrar", "cuentas_pagar", "libro_diario", "libro_mayor"]
Formato = Literal["xlsx", "pdf"]
MAX_FILAS = 100_000  # one export; a larger one asks for narrower filters instead of filling the worker's memory
TipoColumna = Literal["texto", "entero", "cantidad", "dinero", "fecha", "fechahora", "si_no"]


class FiltrosReporte(Entrada):
    """Every filter a report may take; which ones apply (and which are required) depends on the report."""

    desde: Fecha | None = None
    hasta: Fecha | None = None
    sucursal_id: Id | None = None
    almacen_id: Id | None = None
    producto_id: Id | None = None
    tipo_movimiento: Literal[TIPOS_MOVIMIENTO] | None = None  # type: ignore[valid-type]
    solo_alertas: bool | None = None
    estado: Literal["PENDIENTE", "PARCIAL", "PAGADA", "VENCIDA"] | None = None
    vencidas: bool | None = None
    parte: str | None = Field(default=None, min_length=1, max_length=100, description="RUC/DNI o parte del nombre")
    cliente_id: Id | None = None
    moneda: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    periodo: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="AAAAMM")
    cuenta: str | None = Field(default=None, pattern=r"^[0-9]{2,20}$", description="código PCGE")
    centro_costo_id: Id | None = None


@dataclass(frozen=True)
class Columna:
    titulo: str
    tipo: TipoColumna
    clave: str


@dataclass
class Tabla:
    titulo: str
    columnas: list[Columna]
    filas: Iterable[tuple[Any, ...]]  # typed cell values (`valor_celda`), possibly a stream read once
    filtros: str  # the filters applied, as printed under the title


Filas = Callable[[Session, AuthUser, FiltrosReporte], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class Reporte:
    titulo: str
    permiso: tuple[str, str]  # (modulo, accion) of the module that owns the data
    filtros: frozenset[str]
    requeridos: frozenset[str]  # for a one-off export; a programación derives the dates from its frequency
    columnas: tuple[Columna, ...]
    filas: Filas


def _pagina() -> Paginacion:
    return Paginacion(limit=MAX_FILAS + 1, offset=0)


def _ventas(tipo: str) -> Filas:
    def filas(session: Session, user: AuthUser, f: FiltrosReporte) -> list[dict[str, Any]]:
        return reporte_ventas(session, user, tipo, f.desde, f.hasta, f.sucursal_id, _pagina())[0]
    return filas


def _stock(session: Session, user: AuthUser, f: FiltrosReporte) -> Iterator[dict[str, Any]]:
    return transmitir_sql(session, *inventario.consulta_stock(session, user, f.almacen_id, f.producto_id,
                                                              bool(f.solo_alertas)))


def _kardex(session: Session, user: AuthUser, f: FiltrosReporte) -> Iterator[dict[str, Any]]:
    sql, params = inventario.consulta_movimientos(session, user, f.producto_id, f.almacen_id, f.tipo_movimiento,
                                                  f.desde, f.hasta)
    return transmitir_sql(session, f"""
        SELECT k.*, p.sku || ' ' || p.nombre AS producto, a.nombre AS almacen
        FROM ({sql}) k JOIN productos p ON p.id = k.producto_id LEFT JOIN almacenes a ON a.id = k.almacen_id
        ORDER BY k.created_at DESC, k.id DESC""", params)


def _cartera(cobrar: bool) -> Filas:
    def filas(session: Session, _: AuthUser, f: FiltrosReporte) -> list[dict[str, Any]]:
        filtros = cartera.FiltrosCartera(f.estado, f.vencidas, f.parte, f.cliente_id, f.desde, f.hasta, f.moneda)
        documentos = cartera.listar(session, cobrar, filtros, MAX_FILAS + 1, 0)[0]
        return [d.model_dump() | ({"tercero": d.cliente_razon_social, "numero_doc": d.cliente_numero_doc} if cobrar
                                  else {"tercero": d.proveedor_razon_social, "numero_doc": d.proveedor_ruc})
                for d in documentos]
    return filas


_LINEAS_DIARIO = """
    SELECT a.fecha, a.cuo, l.numero, a.descripcion, c.codigo AS cuenta, c.nombre AS cuenta_nombre,
           l.descripcion AS glosa, l.debe, l.haber
    FROM lineas_asiento l JOIN asientos_contables a ON a.id = l.asiento_id
    JOIN cuentas_contables c ON c.id = l.cuenta_id
    WHERE l.asiento_id = ANY(:ids) ORDER BY a.fecha, a.id, l.numero
"""


def _diario(session: Session, _: AuthUser, f: FiltrosReporte) -> Iterator[dict[str, Any]]:
    ids = libros.diario(session, f.periodo, f.centro_costo_id, MAX_FILAS + 1, 0)[0]
    return transmitir_sql(session, _LINEAS_DIARIO, {"ids": ids})


def _mayor(session: Session, _: AuthUser, f: FiltrosReporte) -> list[dict[str, Any]]:
    inicial, movimientos, *_ = libros.mayor(session, f.periodo, f.cuenta, f.centro_costo_id, MAX_FILAS + 1, 0)
    apertura = {"fecha": validar_periodo(f.periodo)[0], "cuo": "", "numero": None, "descripcion": "Saldo inicial",
                "debe": None, "haber": None, "saldo": inicial}
    return [apertura, *({c.name: getattr(m, c.name) for c in fields(m)} for m in movimientos)]


def _c(titulo: str, tipo: TipoColumna, clave: str) -> Columna:
    return Columna(titulo, tipo, clave)


_RANGO = frozenset({"desde", "hasta"})
_VENTAS = frozenset({"desde", "hasta", "sucursal_id"})
_CARTERA = frozenset({"estado", "vencidas", "parte", "desde", "hasta", "moneda"})
_CARTERA_COLUMNAS = (
    _c("Documento", "texto", "documento"), _c("Cuota", "entero", "cuota"), _c("RUC/DNI", "texto", "numero_doc"),
    _c("Razón social", "texto", "tercero"), _c("Emisión", "fecha", "fecha_emision"),
    _c("Vencimiento", "fecha", "fecha_vencimiento"), _c("Moneda", "texto", "moneda"),
    _c("Total", "dinero", "monto_total"), _c("Pagado", "dinero", "monto_pagado"), _c("Saldo", "dinero", "saldo"),
    _c("Estado", "texto", "estado"))

REPORTES: dict[str, Reporte] = {
    "ventas_diarias": Reporte("Ventas diarias", ("reportes", "ver"), _VENTAS, _RANGO, (
        _c("Día", "fecha", "dia"), _c("Ventas", "entero", "ventas"), _c("Subtotal", "dinero", "subtotal"),
        _c("IGV", "dinero", "igv"), _c("Total", "dinero", "total")), _ventas("diarias")),
    "ventas_por_producto": Reporte("Ventas por producto", ("reportes", "ver"), _VENTAS, _RANGO, (
        _c("SKU", "texto", "sku"), _c("Producto", "texto", "nombre"), _c("Cantidad", "cantidad", "cantidad"),
        _c("Subtotal", "dinero", "subtotal"), _c("IGV", "dinero", "igv"), _c("Total", "dinero", "total")),
        _ventas("por_producto")),
    "ventas_por_cliente": Reporte("Ventas por cliente", ("reportes", "ver"), _VENTAS, _RANGO, (
        _c("Cliente", "texto", "cliente"), _c("Documento", "texto", "numero_doc"), _c("Ventas", "entero", "ventas"),
        _c("Total", "dinero", "total")), _ventas("por_cliente")),
    "stock": Reporte("Stock por almacén", ("inventario", "ver"), frozenset({"almacen_id", "producto_id",
                                                                            "solo_alertas"}), frozenset(), (
        _c("SKU", "texto", "sku"), _c("Producto", "texto", "nombre"), _c("Almacén", "texto", "almacen"),
        _c("Stock actual", "cantidad", "stock_actual"), _c("Mínimo", "cantidad", "stock_minimo"),
        _c("Máximo", "cantidad", "stock_maximo"), _c("Bajo mínimo", "si_no", "bajo_minimo")), _stock),
    "kardex": Reporte("Kardex (movimientos de stock)", ("inventario", "ver"), frozenset({
        "producto_id", "almacen_id", "tipo_movimiento", "desde", "hasta"}), _RANGO, (
        _c("Fecha y hora", "fechahora", "created_at"), _c("Producto", "texto", "producto"),
        _c("Almacén", "texto", "almacen"), _c("Tipo", "texto", "tipo_movimiento"),
        _c("Cantidad", "cantidad", "cantidad"), _c("Motivo", "texto", "motivo"),
        _c("Documento", "texto", "referencia_doc")), _kardex),
    "cuentas_cobrar": Reporte("Cuentas por cobrar", ("finanzas", "ver"), _CARTERA | {"cliente_id"}, frozenset(),
                              _CARTERA_COLUMNAS, _cartera(True)),
    "cuentas_pagar": Reporte("Cuentas por pagar", ("finanzas", "ver"), _CARTERA, frozenset(), _CARTERA_COLUMNAS,
                             _cartera(False)),
    "libro_diario": Reporte("Libro diario", ("finanzas", "ver"), frozenset({"periodo", "centro_costo_id"}),
                            frozenset({"periodo"}), (
        _c("Fecha", "fecha", "fecha"), _c("CUO", "texto", "cuo"), _c("Línea", "entero", "numero"),
        _c("Glosa del asiento", "texto", "descripcion"), _c("Cuenta", "texto", "cuenta"),
        _c("Denominación", "texto", "cuenta_nombre"), _c("Glosa de la línea", "texto", "glosa"),
        _c("Debe", "dinero", "debe"), _c("Haber", "dinero", "haber")), _diario),
    "libro_mayor": Reporte("Libro mayor", ("finanzas", "ver"), frozenset({"periodo", "cuenta", "centro_costo_id"}),
                           frozenset({"periodo", "cuenta"}), (
        _c("Fecha", "fecha", "fecha"), _c("CUO", "texto", "cuo"), _c("Línea", "entero", "numero"),
        _c("Glosa", "texto", "descripcion"), _c("Debe", "dinero", "debe"), _c("Haber", "dinero", "haber"),
        _c("Saldo", "dinero", "saldo")), _mayor),
}
# The ones whose period a programación derives from its frequency when its filters leave it open.
_CON_RANGO = {t for t, r in REPORTES.items() if "desde" in r.filtros}
_CON_PERIODO = {t for t, r in REPORTES.items() if "periodo" in r.filtros}


def exigir_permiso(session: Session, user: AuthUser, tipo: str) -> Reporte:
    """403 unless the user holds the permission of the module that owns the report's data."""
    reporte = REPORTES[tipo]
    if not tiene_permiso(session, user.rol_id, *reporte.permiso):
        raise Forbidden(f"El reporte {tipo} requiere el permiso {reporte.permiso[0]}.{reporte.permiso[1]}",
                        field="tipo_reporte")
    return reporte


def validar_filtros(tipo: str, filtros: FiltrosReporte, programado: bool = False) -> dict[str, Any]:
    """400 naming the filter a report does not take or needs; returns the filters as stored (JSON)."""
    reporte = REPORTES[tipo]
    dados = filtros.model_dump(exclude_none=True, mode="json")
    for nombre in sorted(set(dados) - reporte.filtros):
        raise ValidationError(f"El reporte {tipo} no admite el filtro {nombre} (admite: "
                              f"{', '.join(sorted(reporte.filtros)) or 'ninguno'})", field=f"filtros.{nombre}")
    faltan = reporte.requeridos - {"desde", "hasta", "periodo"} if programado else reporte.requeridos
    for nombre in sorted(faltan - set(dados)):
        raise ValidationError(f"El reporte {tipo} requiere el filtro {nombre}", field=f"filtros.{nombre}")
    if programado and "desde" in reporte.requeridos and ("desde" in dados) != ("hasta" in dados):
        falta = "hasta" if "desde" in dados else "desde"
        raise ValidationError("Una programación fija ambas fechas o ninguna (el periodo recién cerrado)",
                              field=f"filtros.{falta}")
    if filtros.desde and filtros.hasta and filtros.hasta < filtros.desde:
        raise ValidationError("La fecha hasta es anterior a la fecha desde", field="filtros.hasta")
    if filtros.periodo:
        try:
            validar_periodo(filtros.periodo)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="filtros.periodo") from exc
    return dados


def periodo_de_ejecucion(tipo: str, filtros: dict[str, Any], frecuencia: str, hoy: date) -> dict[str, Any]:
    """A programación's filters for a run on `hoy` (Lima): open dates become the period just closed — yesterday
    (DIARIA), the 7 days to yesterday (SEMANAL), the previous month (MENSUAL); an open `periodo` the month of
    that period's end."""
    ayer = hoy - timedelta(days=1)
    if frecuencia == "MENSUAL":
        fin = hoy.replace(day=1) - timedelta(days=1)
        inicio = fin.replace(day=1)
    else:
        fin, inicio = ayer, ayer - timedelta(days=6 if frecuencia == "SEMANAL" else 0)
    resultado = dict(filtros)
    if tipo in _CON_RANGO and "desde" not in filtros and "hasta" not in filtros:
        resultado |= {"desde": inicio.isoformat(), "hasta": fin.isoformat()}
    if tipo in _CON_PERIODO and "periodo" not in filtros:
        resultado["periodo"] = f"{fin:%Y%m}"
    return resultado


def _texto_filtros(filtros: FiltrosReporte) -> str:
    partes = [f"{k}: {v}" for k, v in filtros.model_dump(exclude_none=True, mode="json").items()]
    return " · ".join(partes) or "sin filtros"


def tabla(session: Session, user: AuthUser, tipo: str, filtros_json: dict[str, Any]) -> Tabla:
    """The report's rows with the user's scope (the underlying report's own 403 for a branch or warehouse
    not theirs, raised here, before any row is read); its rows are a stream, read once."""
    reporte = exigir_permiso(session, user, tipo)
    filtros = FiltrosReporte.model_validate(filtros_json)
    columnas = list(reporte.columnas)
    return Tabla(reporte.titulo, columnas, celdas(columnas, reporte.filas(session, user, filtros)),
                 _texto_filtros(filtros))


def celdas(columnas: list[Columna], filas: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """Each row's typed cell values, in column order; row MAX_FILAS + 1 stops the export (narrower filters)."""
    for numero, fila in enumerate(filas, start=1):
        if numero > MAX_FILAS:
            raise ValidationError(f"El reporte supera {MAX_FILAS} filas: acote los filtros", field="filtros")
        yield tuple(valor_celda(c, fila.get(c.clave)) for c in columnas)


def valor_celda(columna: Columna, valor: Any) -> Any:
    """The typed value of one cell (Decimal, int, date, naive Lima datetime, bool), None stays empty."""
    if valor is None:
        return None
    if columna.tipo in ("dinero", "cantidad"):
        return Decimal(valor)
    if columna.tipo == "entero":
        return int(valor)
    if columna.tipo == "fechahora" and isinstance(valor, datetime):
        return valor.astimezone(ZoneInfo(get_settings().timezone)).replace(tzinfo=None)
    if columna.tipo == "si_no":
        return bool(valor)
    return valor

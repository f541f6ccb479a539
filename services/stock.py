"""The stock primitives every module uses (sales, inventory movements, transfers, purchases).

Each change is one SQL statement on the `productos_almacen` row (never read-then-write), and the
caller writes the matching `movimientos_stock` row in the same transaction with `registrar_movimientos`.
Nothing here commits.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from core.db import insert_rows
from core.errors import ValidationError
from core.settings import get_settings
from models.inventario import MovimientoStock
from services.dashboard import eventos as tablero
from services.notificaciones import notificar

_DESCONTAR = text("""
    UPDATE productos_almacen SET stock_actual = stock_actual - :q
    WHERE producto_id = :p AND almacen_id = :a AND stock_actual - stock_reservado >= :q
    RETURNING id, stock_actual, stock_minimo
""")
# Entries, and exits that may leave the stock negative (forced, or products sold without stock).
_SUMAR = text("""
    INSERT INTO productos_almacen (producto_id, almacen_id, stock_actual, stock_minimo, stock_maximo, stock_seguridad)
    VALUES (:p, :a, :q, 0, 0, 0)
    ON CONFLICT (producto_id, almacen_id)
        DO UPDATE SET stock_actual = productos_almacen.stock_actual + EXCLUDED.stock_actual
    RETURNING id, stock_actual, stock_minimo
""")


@dataclass(frozen=True)
class Saldo:
    producto_almacen_id: int
    stock_actual: Decimal
    stock_minimo: Decimal


def hoy_lima() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def sumar(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal) -> Saldo:
    """Add (or, with a negative quantity, subtract without any floor) stock; creates the row if missing."""
    row = session.connection().execute(_SUMAR, {"p": producto_id, "a": almacen_id, "q": cantidad}).one()
    return Saldo(row.id, row.stock_actual, row.stock_minimo)


def descontar(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal) -> Saldo | None:
    """Take `cantidad` out only if that much is there; None when short (the caller reports it)."""
    row = session.connection().execute(_DESCONTAR, {"p": producto_id, "a": almacen_id, "q": cantidad}).one_or_none()
    return None if row is None else Saldo(row.id, row.stock_actual, row.stock_minimo)


def alertar_si_bajo(session: Session, saldo: Saldo, producto_id: int, almacen_id: int) -> None:
    """An exit that leaves the stock at or under the minimum raises today's low-stock notification."""
    if saldo.stock_minimo > 0 and saldo.stock_actual <= saldo.stock_minimo:
        notificar(session, "STOCK_BAJO", "inventario", f"Stock bajo: producto {producto_id} en almacén {almacen_id}",
                  f"Stock actual {saldo.stock_actual} <= mínimo {saldo.stock_minimo}", "productos_almacen",
                  str(saldo.producto_almacen_id), f"STOCK_BAJO:{saldo.producto_almacen_id}:{hoy_lima()}")
        tablero.alerta_stock(session, producto_id, almacen_id, saldo.stock_actual, saldo.stock_minimo)  # module 8


def registrar_movimientos(session: Session, movimientos: list[dict[str, Any]]) -> None:
    """Append kardex rows (dicts of `movimientos_stock` columns) in one round trip."""
    if movimientos:
        defaults = {"almacen_origen_id": None, "almacen_destino_id": None, "motivo": "", "lote_id": None,
                    "referencia_doc": "", "usuario_id": None}
        insert_rows(session, MovimientoStock, [defaults | m for m in movimientos])


# --- reservations (orders, module 4) ---------------------------------------------------------------

_RESERVAR = text("""
    UPDATE productos_almacen SET stock_reservado = stock_reservado + :q
    WHERE producto_id = :p AND almacen_id = :a AND stock_actual - stock_reservado >= :q
    RETURNING id
""")
_LIBERAR = text("""
    UPDATE productos_almacen SET stock_reservado = stock_reservado - :q
    WHERE producto_id = :p AND almacen_id = :a AND stock_reservado >= :q
    RETURNING id
""")
# The reserved units leave: both counters drop together, so the available stock does not change.
_DESPACHAR_RESERVA = text("""
    UPDATE productos_almacen SET stock_actual = stock_actual - :q, stock_reservado = stock_reservado - :q
    WHERE producto_id = :p AND almacen_id = :a AND stock_reservado >= :q AND stock_actual >= :q
    RETURNING id, stock_actual, stock_minimo
""")


def reservar(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal) -> bool:
    """Hold `cantidad` of the available stock (actual - reservado) for an order; False when short."""
    return session.connection().execute(_RESERVAR, {"p": producto_id, "a": almacen_id, "q": cantidad}).first() \
        is not None


def liberar_reserva(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal) -> bool:
    return session.connection().execute(_LIBERAR, {"p": producto_id, "a": almacen_id, "q": cantidad}).first() \
        is not None


def despachar_reserva(session: Session, producto_id: int, almacen_id: int, cantidad: Decimal) -> Saldo | None:
    """Turn a reservation into an exit; None when the reservation is not (or no longer) there."""
    row = session.connection().execute(_DESPACHAR_RESERVA,
                                       {"p": producto_id, "a": almacen_id, "q": cantidad}).one_or_none()
    return None if row is None else Saldo(row.id, row.stock_actual, row.stock_minimo)


# --- lots and serial numbers ------------------------------------------------------------------------

_LOTE_CONSUMIR = text("""
    UPDATE lotes_series SET cantidad_actual = cantidad_actual - :q,
        estado = CASE WHEN cantidad_actual - :q = 0 THEN 'AGOTADO' ELSE 'ACTIVO' END
    WHERE producto_id = :p AND almacen_id = :a AND numero_lote IS NOT DISTINCT FROM :lote
      AND numero_serie IS NOT DISTINCT FROM :serie AND cantidad_actual >= :q
    RETURNING id
""")
_LOTE_INGRESAR = text("""
    INSERT INTO lotes_series (producto_id, almacen_id, numero_lote, numero_serie, fecha_vencimiento,
                              cantidad_inicial, cantidad_actual, estado)
    VALUES (:p, :a, :lote, :serie, :venc, :q, :q, 'ACTIVO')
    ON CONFLICT ON CONSTRAINT ux_lotes_series_codigo DO UPDATE SET
        cantidad_inicial = lotes_series.cantidad_inicial + EXCLUDED.cantidad_inicial,
        cantidad_actual = lotes_series.cantidad_actual + EXCLUDED.cantidad_actual, estado = 'ACTIVO',
        fecha_vencimiento = COALESCE(EXCLUDED.fecha_vencimiento, lotes_series.fecha_vencimiento)
    RETURNING id, cantidad_actual
""")


@dataclass(frozen=True)
class CodigoLote:
    numero_lote: str | None = None
    numero_serie: str | None = None
    fecha_vencimiento: date | None = None


def exigir_lote(trazable: bool, codigo: CodigoLote, cantidad: Decimal, campo: str) -> None:
    """Traceable products need a lot or a serial number; a serial number is exactly one unit."""
    if not trazable:
        return
    if not (codigo.numero_lote or codigo.numero_serie):
        raise ValidationError("El producto tiene trazabilidad: indique numero_lote o numero_serie",
                              field=f"{campo}numero_lote")
    if codigo.numero_serie and abs(cantidad) != 1:
        raise ValidationError("Un número de serie corresponde a una sola unidad", field=f"{campo}cantidad")


def ingresar_lote(session: Session, producto_id: int, almacen_id: int, codigo: CodigoLote, cantidad: Decimal,
                  campo: str) -> int:
    row = session.connection().execute(_LOTE_INGRESAR, {
        "p": producto_id, "a": almacen_id, "lote": codigo.numero_lote, "serie": codigo.numero_serie,
        "venc": codigo.fecha_vencimiento, "q": cantidad}).one()
    if codigo.numero_serie and row.cantidad_actual > 1:
        raise ValidationError(f"La serie {codigo.numero_serie} ya está en este almacén", field=f"{campo}numero_serie")
    return row.id


def consumir_lote(session: Session, producto_id: int, almacen_id: int, codigo: CodigoLote, cantidad: Decimal,
                  campo: str) -> int:
    row = session.connection().execute(_LOTE_CONSUMIR, {
        "p": producto_id, "a": almacen_id, "lote": codigo.numero_lote, "serie": codigo.numero_serie,
        "q": cantidad}).one_or_none()
    if row is None:
        nombre = codigo.numero_lote or codigo.numero_serie
        raise ValidationError(f"El lote/serie {nombre} no existe en el almacén o no tiene saldo suficiente",
                              field=f"{campo}numero_lote")
    return row.id

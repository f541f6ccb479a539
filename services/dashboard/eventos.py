"""What the dashboard's WebSockets receive, published with `core.tiempo_real` inside the transaction that made
the change (PostgreSQL sends a NOTIFY only on commit: a rolled-back sale publishes nothing).

Topics: a sale goes to its branch's topic and to the all-branches one (ADMIN); a stock alert to its
warehouse's and the all-warehouses one; a refreshed snapshot to its group's. A connection joins the topics
its user may read (`services.dashboard.acceso.temas`)."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session

from core import tiempo_real

if TYPE_CHECKING:
    from models.ventas import Venta

TODAS = "*"


def tema_ventas(sucursal_id: int | str) -> str:
    return f"dashboard:ventas:{sucursal_id}"


def tema_inventario(almacen_id: int | str) -> str:
    return f"dashboard:inventario:{almacen_id}"


def tema_snapshot(grupo: str) -> str:
    return f"dashboard:snapshot:{grupo}"


def venta_registrada(session: Session, venta: "Venta") -> None:
    datos = {"tipo": "venta", "venta_id": venta.id, "sucursal_id": venta.sucursal_id, "almacen_id": venta.almacen_id,
             "total": str(venta.total), "metodo_pago": venta.metodo_pago, "fecha": venta.fecha.isoformat()}
    for tema in (tema_ventas(venta.sucursal_id), tema_ventas(TODAS)):
        tiempo_real.publicar(session, tema, datos)


def alerta_stock(session: Session, producto_id: int, almacen_id: int, stock_actual: Decimal,
                 stock_minimo: Decimal) -> None:
    datos = {"tipo": "alerta_stock", "producto_id": producto_id, "almacen_id": almacen_id,
             "stock_actual": str(stock_actual), "stock_minimo": str(stock_minimo)}
    for tema in (tema_inventario(almacen_id), tema_inventario(TODAS)):
        tiempo_real.publicar(session, tema, datos)


def snapshot_refrescado(session: Session, grupo: str, calculado_en: datetime) -> None:
    tiempo_real.publicar(session, tema_snapshot(grupo),
                         {"tipo": "snapshot", "grupo": grupo, "calculado_en": calculado_en.isoformat()})

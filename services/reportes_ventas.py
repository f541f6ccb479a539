"""Sales reports (module 1): aggregated in SQL over Lima business days, Decimal totals."""

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.settings import get_settings
from services.auth import AuthUser
from services.inventario import limites_lima
from services.permisos import sucursales_visibles

_BASE = """
    FROM ventas v {join}
    WHERE v.estado = 'registrada' AND v.fecha >= :inicio AND v.fecha < :fin
      AND (CAST(:sucursales AS int[]) IS NULL OR v.sucursal_id = ANY(:sucursales))
"""
_CONSULTAS = {
    "diarias": ("SELECT (v.fecha AT TIME ZONE :tz)::date AS dia, count(*) AS ventas, sum(v.subtotal) AS subtotal, "
                "sum(v.igv) AS igv, sum(v.total) AS total", "", "GROUP BY 1 ORDER BY 1"),
    "por_producto": ("SELECT d.producto_id, p.sku, p.nombre, sum(d.cantidad) AS cantidad, sum(d.subtotal) AS subtotal, "
                     "sum(d.igv) AS igv, sum(d.total) AS total",
                     "JOIN detalle_venta d ON d.venta_id = v.id JOIN productos p ON p.id = d.producto_id",
                     "GROUP BY d.producto_id, p.sku, p.nombre ORDER BY total DESC, p.sku"),
    "por_cliente": ("SELECT v.cliente_id, coalesce(c.razon_social, 'CLIENTES VARIOS') AS cliente, c.numero_doc, "
                    "count(*) AS ventas, sum(v.total) AS total", "LEFT JOIN clientes c ON c.id = v.cliente_id",
                    "GROUP BY v.cliente_id, c.razon_social, c.numero_doc ORDER BY total DESC, v.cliente_id"),
}


def reporte(session: Session, user: AuthUser, tipo: str, desde: date, hasta: date,
            sucursal_id: int | None) -> list[dict[str, Any]]:
    """Over the branches the user may read (all for ADMIN; 403 for a branch not theirs)."""
    select_sql, join, tail = _CONSULTAS[tipo]
    inicio, fin = limites_lima(desde, hasta)
    sql = f"{select_sql} {_BASE.format(join=join)} {tail}"
    rows = session.execute(text(sql), {"inicio": inicio, "fin": fin, "tz": get_settings().timezone,
                                       "sucursales": sucursales_visibles(user, sucursal_id)})
    return [dict(r._mapping) for r in rows]

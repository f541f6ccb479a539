"""Module 1 sales reports: /api/reportes/ventas-*/ (Lima days, inclusive range)."""

from typing import Any

from fastapi import APIRouter

from api.deps import Allowed, SessionDep
from core.schemas import Fecha, Id
from services.reportes_ventas import reporte

router = APIRouter(prefix="/api/reportes", tags=["reportes"])


@router.get("/ventas-diarias/")
def ventas_diarias(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"),
                   sucursal_id: Id | None = None) -> list[dict[str, Any]]:
    return reporte(session, user, "diarias", desde, hasta, sucursal_id)


@router.get("/ventas-por-producto/")
def ventas_por_producto(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"),
                        sucursal_id: Id | None = None) -> list[dict[str, Any]]:
    return reporte(session, user, "por_producto", desde, hasta, sucursal_id)


@router.get("/ventas-por-cliente/")
def ventas_por_cliente(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"),
                       sucursal_id: Id | None = None) -> list[dict[str, Any]]:
    return reporte(session, user, "por_cliente", desde, hasta, sucursal_id)

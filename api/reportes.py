"""Module 1 sales reports: /api/reportes/ventas-*/ (Lima days, inclusive range), one page of rows each."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends

from api.contrato import errores
from api.deps import Allowed, SessionDep
from core.schemas import Fecha, Id, Pagina, Paginacion, Salida
from services.reportes_ventas import reporte

# 422: `hasta` before `desde`.
router = APIRouter(prefix="/api/reportes", tags=["reportes"], responses=errores(422))
Pag = Annotated[Paginacion, Depends()]


class VentasDiaOut(Salida):
    dia: date
    ventas: int
    subtotal: Decimal
    igv: Decimal
    total: Decimal


class VentasProductoOut(Salida):
    producto_id: int
    sku: str
    nombre: str
    cantidad: Decimal
    subtotal: Decimal
    igv: Decimal
    total: Decimal


class VentasClienteOut(Salida):
    cliente_id: int | None
    cliente: str
    numero_doc: str | None
    ventas: int
    total: Decimal


@router.get("/ventas-diarias/", response_model=Pagina[VentasDiaOut])
def ventas_diarias(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"), pagina: Pag,
                   sucursal_id: Id | None = None) -> Pagina[VentasDiaOut]:
    return pagina.pagina(*reporte(session, user, "diarias", desde, hasta, sucursal_id, pagina))


@router.get("/ventas-por-producto/", response_model=Pagina[VentasProductoOut])
def ventas_por_producto(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"), pagina: Pag,
                        sucursal_id: Id | None = None) -> Pagina[VentasProductoOut]:
    return pagina.pagina(*reporte(session, user, "por_producto", desde, hasta, sucursal_id, pagina))


@router.get("/ventas-por-cliente/", response_model=Pagina[VentasClienteOut])
def ventas_por_cliente(desde: Fecha, hasta: Fecha, session: SessionDep, user: Allowed("reportes", "ver"), pagina: Pag,
                       sucursal_id: Id | None = None) -> Pagina[VentasClienteOut]:
    return pagina.pagina(*reporte(session, user, "por_cliente", desde, hasta, sucursal_id, pagina))

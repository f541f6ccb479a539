"""Products: /api/productos/ (stock_actual = sum over warehouses)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Allowed, SessionDep
from core.schemas import Desplazamiento, Id
from services import productos

router = APIRouter(prefix="/api/productos", tags=["productos"])


@router.get("/")
def buscar(session: SessionDep, user: Allowed("productos", "ver"), q: str | None = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Desplazamiento = 0) -> list[dict]:
    return productos.buscar(session, user, q, limit, offset)


@router.post("/", status_code=201)
def crear(datos: productos.ProductoIn, session: SessionDep, _: Allowed("productos", "crear")) -> dict[str, Any]:
    return productos.crear(session, datos).model_dump()


@router.get("/{producto_id}/")
def obtener(producto_id: Id, session: SessionDep, user: Allowed("productos", "ver")) -> dict[str, Any]:
    producto = productos.obtener(session, producto_id)
    totales = productos.stock_total(session, user, [producto_id])
    return producto.model_dump() | {"stock_actual": totales.get(producto_id, 0)}


@router.put("/{producto_id}/")
def editar(producto_id: Id, datos: productos.ProductoIn, session: SessionDep,
           _: Allowed("productos", "editar")) -> dict[str, Any]:
    return productos.editar(session, producto_id, datos).model_dump()

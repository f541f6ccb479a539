"""Products: /api/productos/ (stock_actual = sum over warehouses)."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from api.deps import Allowed, SessionDep
from core.schemas import Id, Pagina, Paginacion, salida_de
from models.inventario import Producto
from services import productos

router = APIRouter(prefix="/api/productos", tags=["productos"])

_EJEMPLO = {"id": 5, "sku": "CAF-250", "nombre": "Café tostado 250 g", "descripcion": "", "precio": "18.90",
            "precio_incluye_igv": True, "afectacion_igv": "10", "unidad_medida": "NIU",
            "permite_venta_sin_stock": False, "trazabilidad": False, "codigo_detraccion": None, "categoria_id": 2,
            "activo": True, "created_at": "2026-03-01T09:00:00Z"}
ProductoOut = salida_de(Producto, "ProductoOut", ejemplo=_EJEMPLO,
                        doc="A catalog product; afectacion_igv is SUNAT's catálogo 07, unidad_medida catálogo 03, "
                            "codigo_detraccion catálogo 54 (SPOT).")
ProductoStockOut = salida_de(
    Producto, "ProductoStockOut", ejemplo=_EJEMPLO | {"stock_actual": "42.000"},
    doc="A product with its stock summed over the warehouses the user works with (every one for an admin).",
    stock_actual=(Decimal, Field(description="the sum of its stock over the user's warehouses")))


@router.get("/", response_model=Pagina[ProductoStockOut])
def buscar(session: SessionDep, user: Allowed("productos", "ver"), pagina: Annotated[Paginacion, Depends()],
           q: Annotated[str | None, Query(max_length=100, description="exact SKU or part of the name")] = None,
           ) -> Pagina[ProductoStockOut]:
    return pagina.pagina(*productos.buscar(session, user, q, pagina))


@router.post("/", status_code=201, response_model=ProductoOut)
def crear(datos: productos.ProductoIn, session: SessionDep, _: Allowed("productos", "crear")) -> Producto:
    return productos.crear(session, datos)


@router.get("/{producto_id}/", response_model=ProductoStockOut)
def obtener(producto_id: Id, session: SessionDep, user: Allowed("productos", "ver")) -> dict[str, Any]:
    producto = productos.obtener(session, producto_id)
    stock = productos.stock_total(session, user, [producto_id]).get(producto_id, Decimal("0"))
    return producto.model_dump() | {"stock_actual": stock}


@router.put("/{producto_id}/", response_model=ProductoOut)
def editar(producto_id: Id, datos: productos.ProductoIn, session: SessionDep,
           _: Allowed("productos", "editar")) -> Producto:
    return productos.editar(session, producto_id, datos)

"""Products (module 1/2): catalog with SUNAT unit and IGV codes, and their total stock."""

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import func, or_, select
from sqlmodel import Session

from core.db import contiene, get_or_404, paginar
from core.errors import ValidationError
from core.schemas import Entrada, Paginacion
from integrations.sunat.catalogos import CAT_03_UNIDAD_MEDIDA, CAT_07_AFECTACION_IGV, CAT_54_BIEN_SERVICIO_DETRACCION
from models.inventario import CategoriaProducto, Producto, ProductoAlmacen
from services.auth import AuthUser
from services.inventario import almacenes_de_venta

Precio = Field(ge=0, max_digits=14, decimal_places=2)


class ProductoIn(Entrada):
    sku: str = Field(min_length=1, max_length=50)
    nombre: str = Field(min_length=1, max_length=200)
    descripcion: str = Field(default="", max_length=500)
    precio: Decimal = Precio
    precio_incluye_igv: bool = True
    afectacion_igv: str = "10"
    unidad_medida: str = "NIU"
    permite_venta_sin_stock: bool = False
    trazabilidad: bool = False
    bolsa_plastica: bool = False  # ICBPER per unit sold (configuracion.icbper_tarifa)
    categoria: str | None = Field(default=None, max_length=100)
    codigo_detraccion: str | None = None  # catálogo 54: the good or service is subject to the SPOT
    peso_kg: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=3)
    volumen_m3: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=6)

    @field_validator("codigo_detraccion")
    @classmethod
    def _detraccion(cls, v: str | None) -> str | None:
        if v is not None and v not in CAT_54_BIEN_SERVICIO_DETRACCION:
            raise ValueError(f"código {v!r} no está en el catálogo 54 de SUNAT (bienes y servicios sujetos a "
                             "detracción)")
        return v

    @field_validator("unidad_medida")
    @classmethod
    def _unidad(cls, v: str) -> str:
        if v not in CAT_03_UNIDAD_MEDIDA:
            raise ValueError(f"unidad de medida {v!r} no está en el catálogo 03 de SUNAT")
        return v

    @field_validator("afectacion_igv")
    @classmethod
    def _afectacion(cls, v: str) -> str:
        if v not in CAT_07_AFECTACION_IGV:
            raise ValueError(f"afectación {v!r} no está en el catálogo 07 de SUNAT")
        return v


def _categoria_id(session: Session, nombre: str | None) -> int | None:
    if not nombre:
        return None
    found = session.execute(select(CategoriaProducto).where(CategoriaProducto.nombre == nombre)).scalar_one_or_none()
    if found is None:
        found = CategoriaProducto(nombre=nombre)
        session.add(found)
        session.flush()
    return found.id


def crear(session: Session, datos: ProductoIn) -> Producto:
    producto = Producto(**datos.model_dump(exclude={"categoria"}), categoria_id=_categoria_id(session, datos.categoria))
    session.add(producto)
    session.commit()
    return producto


def obtener(session: Session, producto_id: int) -> Producto:
    producto = get_or_404(session, Producto, producto_id, "Producto no encontrado")
    return producto


def editar(session: Session, producto_id: int, datos: ProductoIn) -> Producto:
    producto = obtener(session, producto_id)
    for key, value in datos.model_dump(exclude={"categoria"}).items():
        setattr(producto, key, value)
    producto.categoria_id = _categoria_id(session, datos.categoria)
    session.add(producto)
    session.commit()
    return producto


def stock_total(session: Session, user: AuthUser, producto_ids: list[int]) -> dict[int, Decimal]:
    """The spec's `productos.stock_actual`: the sum of the product's stock over the warehouses the user
    works with (every warehouse for an administrator)."""
    stmt = (select(ProductoAlmacen.producto_id, func.sum(ProductoAlmacen.stock_actual))
            .where(ProductoAlmacen.producto_id.in_(producto_ids)).group_by(ProductoAlmacen.producto_id))
    almacenes = almacenes_de_venta(session, user)
    if almacenes is not None:
        stmt = stmt.where(ProductoAlmacen.almacen_id.in_(almacenes))
    return {pid: total for pid, total in session.execute(stmt)}


def buscar(session: Session, user: AuthUser, q: str | None, pagina: Paginacion) -> tuple[list[dict[str, Any]], int]:
    stmt = select(Producto).where(Producto.activo.is_(True)).order_by(Producto.nombre, Producto.id)
    if q:
        stmt = stmt.where(or_(Producto.sku == q, contiene(Producto.nombre, q)))
    productos, total = paginar(session, stmt, pagina.limit, pagina.offset)
    totales = stock_total(session, user, [p.id for p in productos])
    return [p.model_dump() | {"stock_actual": totales.get(p.id, Decimal("0"))} for p in productos], total


def cargar(session: Session, producto_ids: set[int], campo: str = "producto_id") -> dict[int, Producto]:
    """The active products with these ids; 400 naming the field when one does not exist."""
    found = {p.id: p for p in session.execute(
        select(Producto).where(Producto.id.in_(producto_ids), Producto.activo.is_(True))).scalars()}
    missing = sorted(producto_ids - found.keys())
    if missing:
        raise ValidationError(f"Producto {missing[0]} no existe o está inactivo", field=campo)
    return found

"""Module 2: products, warehouses, per-warehouse stock, lots/series, stock movements, transfers.

Stock lives only in `productos_almacen` (one row per product and warehouse). A product's total stock
(`productos.stock_actual` in the spec) is not stored: it is the sum over its warehouses, computed
when read, so there is one source of truth and no second row to lock on every sale.

`movimientos_stock` is append-only (a trigger refuses UPDATE/DELETE) and range-partitioned by month
on `created_at`; its primary key therefore includes `created_at`. The partitions are created by the
migration and, ahead of time, by the daily inventory schedule (`erp_crear_particiones_movimientos`).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp


def cantidad(default: Decimal | None = Decimal("0"), nullable: bool = False) -> Any:
    """Quantities: NUMERIC(14, 3) (kilos and litres are sold by the gram and the millilitre)."""
    return Field(default=default, sa_column=Column(Numeric(14, 3), nullable=nullable))


class CategoriaProducto(SQLModel, table=True):
    __tablename__ = "categorias_producto"
    __audit_module__: ClassVar[str] = "productos"

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=100, unique=True)


class Producto(SQLModel, table=True):
    __tablename__ = "productos"
    __audit_module__: ClassVar[str] = "productos"
    __table_args__ = (CheckConstraint("precio >= 0", name="productos_precio_no_negativo"),)

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=50, unique=True)
    nombre: str = Field(max_length=200)
    descripcion: str = Field(default="", max_length=500)
    precio: Decimal = money()
    precio_incluye_igv: bool = True
    afectacion_igv: str = Field(default="10", max_length=2)  # SUNAT catálogo 07
    unidad_medida: str = Field(default="NIU", max_length=3)  # SUNAT catálogo 03
    codigo_detraccion: str | None = Field(default=None, max_length=3)  # SUNAT catálogo 54 (SPOT), if subject
    permite_venta_sin_stock: bool = False
    trazabilidad: bool = False  # lots or serial numbers required on every movement
    bolsa_plastica: bool = False  # each unit sold carries ICBPER (tributo 7152) at configuracion.icbper_tarifa
    categoria_id: int | None = Field(default=None, foreign_key="categorias_producto.id")
    activo: bool = True
    created_at: datetime = created_at()
    peso_kg: Decimal = cantidad()  # per unit: route capacity (module 4) and the GRE's gross weight
    volumen_m3: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(14, 6), nullable=False))


class Almacen(SQLModel, table=True):
    __tablename__ = "almacenes"
    __audit_module__: ClassVar[str] = "inventario"
    __table_args__ = (
        # The warehouse POS sales of a branch take their stock from.
        Index("ux_almacenes_predeterminado", "sucursal_id", unique=True,
              postgresql_where=text("predeterminado")),
    )

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=100, unique=True)
    tipo: str = Field(default="PRINCIPAL", max_length=20)  # PRINCIPAL | SUCURSAL | TRANSITO | DEVOLUCIONES
    sucursal_id: int = Field(foreign_key="sucursales.id", index=True)
    predeterminado: bool = False
    activo: bool = True
    created_at: datetime = created_at()
    # Where the dispatch routes (module 4) start and end, and the GRE's punto de partida.
    direccion: str = Field(default="", max_length=300)
    ubigeo: str = Field(default="", max_length=6)
    latitud: float | None = None
    longitud: float | None = None


class UbicacionAlmacen(SQLModel, table=True):
    __tablename__ = "ubicaciones_almacen"
    __audit_module__: ClassVar[str] = "inventario"
    __table_args__ = (UniqueConstraint("almacen_id", "zona", "estanteria", "seccion"),)

    id: int | None = Field(default=None, primary_key=True)
    almacen_id: int = Field(foreign_key="almacenes.id", index=True)
    zona: str = Field(max_length=30)
    estanteria: str = Field(default="", max_length=30)
    seccion: str = Field(default="", max_length=30)


class UsuarioAlmacen(SQLModel, table=True):
    """Warehouses a (non-admin) user may operate on."""

    __tablename__ = "usuario_almacenes"
    __audit_module__: ClassVar[str] = "inventario"

    usuario_id: int = Field(foreign_key="usuarios.id", primary_key=True, ondelete="CASCADE")
    almacen_id: int = Field(foreign_key="almacenes.id", primary_key=True, ondelete="CASCADE")


class ProductoAlmacen(SQLModel, table=True):
    """Stock of one product in one warehouse: the row every sale and movement updates atomically."""

    __tablename__ = "productos_almacen"
    __table_args__ = (UniqueConstraint("producto_id", "almacen_id"),
                      Index("ix_productos_almacen_almacen", "almacen_id"))

    id: int | None = Field(default=None, primary_key=True)
    producto_id: int = Field(foreign_key="productos.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    ubicacion_id: int | None = Field(default=None, foreign_key="ubicaciones_almacen.id")
    stock_actual: Decimal = cantidad()
    stock_minimo: Decimal = cantidad()
    stock_maximo: Decimal = cantidad()
    stock_seguridad: Decimal = cantidad()
    stock_reservado: Decimal = cantidad()  # held by orders (module 4) until delivered or cancelled


class LoteSerie(SQLModel, table=True):
    """A lot (many units) or a serial number (one unit) of a traceable product in one warehouse."""

    __tablename__ = "lotes_series"
    __table_args__ = (
        UniqueConstraint("producto_id", "almacen_id", "numero_lote", "numero_serie",
                         name="ux_lotes_series_codigo", postgresql_nulls_not_distinct=True),
        CheckConstraint("numero_lote IS NOT NULL OR numero_serie IS NOT NULL", name="lotes_series_codigo"),
        CheckConstraint("cantidad_actual >= 0", name="lotes_series_no_negativo"),
        Index("ix_lotes_series_numero_lote", "numero_lote"),
        Index("ix_lotes_series_numero_serie", "numero_serie"),
        Index("ix_lotes_series_vencimiento", "fecha_vencimiento", postgresql_where=text("cantidad_actual > 0")),
    )

    id: int | None = Field(default=None, primary_key=True)
    producto_id: int = Field(foreign_key="productos.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    numero_lote: str | None = Field(default=None, max_length=50)
    numero_serie: str | None = Field(default=None, max_length=80)
    fecha_vencimiento: date | None = None
    cantidad_inicial: Decimal = cantidad()
    cantidad_actual: Decimal = cantidad()
    estado: str = Field(default="ACTIVO", max_length=15)  # ACTIVO | AGOTADO
    created_at: datetime = created_at()


TIPOS_MOVIMIENTO = ("ENTRADA", "SALIDA", "VENTA", "AJUSTE", "TRANSFERENCIA_SALIDA", "TRANSFERENCIA_ENTRADA",
                    "MERMA")


class MovimientoStock(SQLModel, table=True):
    """Append-only kardex. `cantidad` is the signed change to `almacen_id`'s stock (exits are negative)."""

    __tablename__ = "movimientos_stock"
    __table_args__ = (
        Index("ix_movimientos_stock_producto_fecha", "producto_id", "created_at", "id"),
        Index("ix_movimientos_stock_almacen_tipo", "almacen_id", "tipo_movimiento"),
        Index("ix_movimientos_stock_lote", "lote_id", postgresql_where=text("lote_id IS NOT NULL")),
        Index("ix_movimientos_stock_fecha", "created_at", "id"),
        CheckConstraint(f"tipo_movimiento IN {TIPOS_MOVIMIENTO!r}", name="movimientos_stock_tipo"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    created_at: datetime = Field(default=None, sa_column=Column(
        DateTime(timezone=True), primary_key=True, server_default=text("now()"), nullable=False))
    producto_id: int = Field(foreign_key="productos.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    almacen_origen_id: int | None = Field(default=None, foreign_key="almacenes.id")
    almacen_destino_id: int | None = Field(default=None, foreign_key="almacenes.id")
    tipo_movimiento: str = Field(max_length=25)
    cantidad: Decimal = cantidad()
    motivo: str = Field(default="", max_length=300)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    lote_id: int | None = Field(default=None, foreign_key="lotes_series.id")
    referencia_doc: str = Field(default="", max_length=60)  # "venta-12", "ajuste-…", "transferencia-3"


class Transferencia(SQLModel, table=True):
    __tablename__ = "transferencias"
    __audit_module__: ClassVar[str] = "inventario"
    __table_args__ = (CheckConstraint("almacen_origen_id <> almacen_destino_id", name="transferencias_distintos"),)

    id: int | None = Field(default=None, primary_key=True)
    almacen_origen_id: int = Field(foreign_key="almacenes.id")
    almacen_destino_id: int = Field(foreign_key="almacenes.id")
    estado: str = Field(default="SOLICITADA", max_length=20)  # SOLICITADA|EN_TRANSITO|CON_INCIDENCIA|CONFIRMADA
    observaciones: str = Field(default="", max_length=300)
    usuario_origen_id: int = Field(foreign_key="usuarios.id")
    usuario_destino_id: int | None = Field(default=None, foreign_key="usuarios.id")
    fecha_solicitud: datetime = created_at()
    fecha_despacho: datetime | None = timestamp()
    fecha_confirmacion: datetime | None = timestamp()


class DetalleTransferencia(SQLModel, table=True):
    __tablename__ = "detalle_transferencia"

    id: int | None = Field(default=None, primary_key=True)
    transferencia_id: int = Field(foreign_key="transferencias.id", index=True, ondelete="CASCADE")
    producto_id: int = Field(foreign_key="productos.id")
    lote_id: int | None = Field(default=None, foreign_key="lotes_series.id")
    cantidad_enviada: Decimal = cantidad()
    cantidad_recibida: Decimal | None = cantidad(default=None, nullable=True)


class IncidenciaTransferencia(SQLModel, table=True):
    """A line received with a different quantity than sent: the transfer waits until it is resolved."""

    __tablename__ = "incidencias_transferencia"
    __audit_module__: ClassVar[str] = "inventario"

    id: int | None = Field(default=None, primary_key=True)
    transferencia_id: int = Field(foreign_key="transferencias.id", index=True)
    detalle_id: int = Field(foreign_key="detalle_transferencia.id")
    cantidad_enviada: Decimal = cantidad()
    cantidad_recibida: Decimal = cantidad()
    estado: str = Field(default="ABIERTA", max_length=10)  # ABIERTA | RESUELTA
    resolucion: str = Field(default="", max_length=300)
    usuario_resolucion_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()
    fecha_resolucion: datetime | None = timestamp()

"""Module 1: customers, cash registers, sales, quotes, sales orders, offline sales."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Numeric, String, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp
from models.inventario import cantidad

# Payment methods are a fixed catalog in code (no table to seed): code -> (name, moves cash, is credit).
METODOS_PAGO: dict[str, tuple[str, bool, bool]] = {
    "EFECTIVO": ("Efectivo", True, False),
    "TARJETA": ("Tarjeta de débito/crédito", False, False),
    "YAPE": ("Yape", False, False),
    "PLIN": ("Plin", False, False),
    "TRANSFERENCIA": ("Transferencia bancaria", False, False),
    "CREDITO": ("Venta al crédito", False, True),
}
_METODOS_SQL = "(" + ", ".join(f"'{m}'" for m in METODOS_PAGO) + ")"


class Cliente(SQLModel, table=True):
    __tablename__ = "clientes"
    __audit_module__: ClassVar[str] = "clientes"
    __table_args__ = (
        UniqueConstraint("tipo_doc", "numero_doc", name="ux_clientes_documento"),
        Index("ix_clientes_razon_social_trgm", "razon_social", postgresql_using="gin",
              postgresql_ops={"razon_social": "gin_trgm_ops"}),
        Index("ix_clientes_numero_doc", "numero_doc"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tipo_doc: str = Field(max_length=1)  # SUNAT catálogo 06
    numero_doc: str = Field(max_length=15)
    razon_social: str = Field(max_length=200)
    direccion: str = Field(default="", max_length=300)
    email: str = Field(default="", max_length=254)
    telefono: str = Field(default="", max_length=30)
    categoria: str = Field(default="GENERAL", max_length=30)
    limite_credito: Decimal = money()
    dias_credito: int = 0
    pais: str = Field(default="PE", max_length=2)  # ISO 3166-1 alpha-2; foreign customers get export facturas
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String(40)), nullable=False,
                                                                   server_default="{}"))
    activo: bool = True
    created_at: datetime = created_at()


class Caja(SQLModel, table=True):
    __tablename__ = "cajas"
    __audit_module__: ClassVar[str] = "cajas"
    __table_args__ = (
        # One open register per cashier, enforced by the database (two concurrent opens → one 409).
        Index("ux_cajas_abierta_por_usuario", "usuario_id", unique=True, postgresql_where=text("estado = 'ABIERTA'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    sucursal_id: int = Field(foreign_key="sucursales.id")
    usuario_id: int = Field(foreign_key="usuarios.id")
    estado: str = Field(default="ABIERTA", max_length=10)  # ABIERTA | CERRADA
    monto_apertura: Decimal = money()
    monto_cierre: Decimal | None = money(default=None, nullable=True)
    diferencia: Decimal | None = money(default=None, nullable=True)
    fecha_apertura: datetime = created_at()
    fecha_cierre: datetime | None = timestamp()


class ArqueoCaja(SQLModel, table=True):
    """Closing count per payment method: what the system expected vs what the cashier counted."""

    __tablename__ = "arqueo_caja"
    __table_args__ = (UniqueConstraint("caja_id", "metodo"),)

    id: int | None = Field(default=None, primary_key=True)
    caja_id: int = Field(foreign_key="cajas.id")
    metodo: str = Field(max_length=20)
    monto_esperado: Decimal = money()
    monto_contado: Decimal = money()
    diferencia: Decimal = money()


class Venta(SQLModel, table=True):
    __tablename__ = "ventas"
    __audit_module__: ClassVar[str] = "ventas"
    __table_args__ = (
        Index("ix_ventas_fecha", "fecha"),
        Index("ix_ventas_caja", "caja_id"),
        Index("ix_ventas_cliente", "cliente_id"),
        # module 8: the dashboard's "today so far" by branch, answered from the index alone
        Index("ix_ventas_sucursal_fecha", "sucursal_id", "fecha", postgresql_include=["total", "estado"]),
    )

    id: int | None = Field(default=None, primary_key=True)
    cliente_id: int | None = Field(default=None, foreign_key="clientes.id")
    usuario_id: int = Field(foreign_key="usuarios.id")
    sucursal_id: int = Field(foreign_key="sucursales.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    caja_id: int = Field(foreign_key="cajas.id")
    fecha: datetime = created_at()
    tipo_comprobante: str = Field(max_length=2)  # 01 factura | 03 boleta
    comprobante_id: int | None = None
    subtotal: Decimal = money()  # valor de venta (without IGV)
    descuento: Decimal = money()
    igv: Decimal = money()
    icbper: Decimal = money()
    total: Decimal = money()  # what the customer pays = the comprobante's PayableAmount
    # global discounts/charges (catálogo 53: 02, 03, 49, 50) as given: [{"codigo", "monto" | "factor"}]
    descuentos_cargos: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSONB, nullable=False, server_default="[]"))
    estado: str = Field(default="registrada", max_length=15)  # registrada | anulada
    modo_emision: str = Field(default="POS", max_length=10)  # POS | ECOMMERCE | OFFLINE
    metodo_pago: str = Field(max_length=20)  # main method (the largest payment)
    # Offline sales: the POS's own UUID (held as text in Python so audit snapshots serialise it).
    id_local: str | None = Field(default=None, sa_column=Column(Uuid(as_uuid=False), unique=True))


class DetalleVenta(SQLModel, table=True):
    __tablename__ = "detalle_venta"

    id: int | None = Field(default=None, primary_key=True)
    venta_id: int = Field(foreign_key="ventas.id", index=True)
    producto_id: int = Field(foreign_key="productos.id", index=True)
    lote_id: int | None = Field(default=None, foreign_key="lotes_series.id")
    cantidad: Decimal = cantidad()
    precio_unitario: Decimal = money()  # as charged (with IGV when the product price includes it)
    precio_incluye_igv: bool = True  # which of precio/valor unitario the line was priced with
    valor_unitario: Decimal = Field(sa_column=Column(Numeric(22, 10), nullable=False))  # without IGV, as on the CPE
    afectacion_igv: str = Field(default="10", max_length=2)
    descuento: Decimal = money()  # in the terms of the price given
    subtotal: Decimal = money()
    igv: Decimal = money()
    icbper: Decimal = money()
    total: Decimal = money()
    alerta_stock: bool = False  # sold beyond the available stock (product allows it)


class FormaPago(SQLModel, table=True):
    __tablename__ = "formas_pago"
    __table_args__ = (CheckConstraint(f"metodo IN {_METODOS_SQL}", name="formas_pago_metodo"),
                      CheckConstraint("monto > 0", name="formas_pago_monto_positivo"))

    id: int | None = Field(default=None, primary_key=True)
    venta_id: int = Field(foreign_key="ventas.id", index=True)
    metodo: str = Field(max_length=20)
    monto: Decimal = money()
    referencia: str = Field(default="", max_length=100)
    confirmado: bool = True


class Cotizacion(SQLModel, table=True):
    __tablename__ = "cotizaciones"
    __audit_module__: ClassVar[str] = "cotizaciones"
    __table_args__ = (Index("ix_cotizaciones_pendientes", "fecha_vencimiento",
                            postgresql_where=text("estado = 'pendiente'")),)

    id: int | None = Field(default=None, primary_key=True)
    cliente_id: int = Field(foreign_key="clientes.id")
    vendedor_id: int = Field(foreign_key="usuarios.id")
    fecha_emision: date
    fecha_vencimiento: date
    estado: str = Field(default="pendiente", max_length=12)  # pendiente | vencida | convertida
    observaciones: str = Field(default="", max_length=500)
    subtotal: Decimal = money()
    igv: Decimal = money()
    icbper: Decimal = money()
    total: Decimal = money()
    descuentos_cargos: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSONB, nullable=False, server_default="[]"))  # global, catálogo 53
    cotizacion_origen_id: int | None = Field(default=None, foreign_key="cotizaciones.id")  # set by duplicar
    cuotas: list[dict[str, Any]] | None = Field(default=None, sa_type=JSONB)  # planned credit instalments
    created_at: datetime = created_at()


class DetalleCotizacion(SQLModel, table=True):
    __tablename__ = "detalle_cotizacion"

    id: int | None = Field(default=None, primary_key=True)
    cotizacion_id: int = Field(foreign_key="cotizaciones.id", index=True, ondelete="CASCADE")
    producto_id: int = Field(foreign_key="productos.id")
    cantidad: Decimal = cantidad()
    precio: Decimal = money()
    descuento: Decimal = money()
    subtotal: Decimal = money()
    igv: Decimal = money()
    icbper: Decimal = money()
    total: Decimal = money()


class OrdenVenta(SQLModel, table=True):
    __tablename__ = "ordenes_venta"
    __audit_module__: ClassVar[str] = "cotizaciones"

    id: int | None = Field(default=None, primary_key=True)
    cotizacion_id: int | None = Field(default=None, foreign_key="cotizaciones.id", unique=True)
    cliente_id: int = Field(foreign_key="clientes.id")
    estado: str = Field(default="confirmada", max_length=12)
    fecha_confirmacion: datetime = created_at()
    total: Decimal = money()
    cuotas: list[dict[str, Any]] | None = Field(default=None, sa_type=JSONB)  # from the quote, credit instalments


class VentaOffline(SQLModel, table=True):
    """Every sale a POS sent from offline mode, keyed by its own UUID so a resent batch is a no-op."""

    __tablename__ = "ventas_offline"

    id: int | None = Field(default=None, primary_key=True)
    id_local: uuid.UUID = Field(unique=True)
    payload_json: dict[str, Any] = Field(sa_type=JSONB)
    sincronizado: bool = False
    fecha_registro_local: datetime = Field(sa_type=DateTime(timezone=True))
    fecha_sync: datetime | None = timestamp()
    error_sync: str | None = Field(default=None, max_length=500)
    venta_id: int | None = Field(default=None, foreign_key="ventas.id")
    usuario_id: int = Field(foreign_key="usuarios.id")

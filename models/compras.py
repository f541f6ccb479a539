"""Module 5: suppliers, purchase orders and their approval, receptions into stock, incidents, supplier
invoices with their three-way match, supplier evaluations, and the module's configuration.

`facturas_proveedor` holds the hard rule of the spec in the database: `estado_pago` can only be PAGADA
when the invoice is CONCILIADA (a CHECK), and a trigger on `cuentas_por_pagar` refuses a payment of an
invoice that is not CONCILIADA (migration 0013)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Column, Index, Numeric, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedString
from models.base import created_at, money, timestamp
from models.inventario import cantidad as qty

ESTADOS_OC = ("BORRADOR", "PENDIENTE_APROBACION", "APROBADA", "PARCIAL", "RECIBIDA", "CERRADA", "RECHAZADA",
              "ANULADA")
ESTADOS_ITEM = ("CONFORME", "DAÑADO", "FALTANTE", "EXCEDENTE")
ESTADOS_FACTURA = ("REGISTRADA", "OBSERVADA", "EN_REVISION", "CONCILIADA")
ESTADOS_PAGO = ("PENDIENTE", "PARCIAL", "PAGADA")


def porcentaje(default: Decimal) -> Any:
    return Field(default=default, sa_column=Column(Numeric(7, 3), nullable=False))


class ConfiguracionCompras(SQLModel, table=True):
    """The purchasing part of the company's configuration (one row, id = 1): the approval reminder and
    escalation waits, tolerances, and the SUNAT consulta integrada credentials. The approval tiers are rows of
    `niveles_aprobacion_compra`."""

    __tablename__ = "configuracion_compras"
    __table_args__ = (CheckConstraint("id = 1", name="configuracion_compras_singleton"),)
    __audit_module__: ClassVar[str] = "compras"
    __audit_exclude__: ClassVar[set[str]] = {"sunat_client_secret"}

    id: int = Field(default=1, primary_key=True)
    recordatorio_horas: Decimal = Field(default=Decimal("24"), sa_column=Column(Numeric(8, 4), nullable=False))
    escalamiento_horas: Decimal = Field(default=Decimal("48"), sa_column=Column(Numeric(8, 4), nullable=False))
    tolerancia_recepcion_pct: Decimal = porcentaje(Decimal("0"))  # received over ordered, % of the line
    tolerancia_cantidad: Decimal = qty()  # invoiced vs accepted quantity (exact by default)
    tolerancia_precio_pct: Decimal = porcentaje(Decimal("0.5"))
    tolerancia_precio_monto: Decimal = money(Decimal("0.10"))
    estado_propuesta: str = Field(default="BORRADOR", max_length=20)  # BORRADOR | PENDIENTE_APROBACION
    umbral_evaluacion: Decimal = porcentaje(Decimal("70"))
    sunat_client_id: str = Field(default="", max_length=100)
    sunat_client_secret: str | None = Field(default=None, sa_type=EncryptedString)


class NivelAprobacionCompra(SQLModel, table=True):
    """One approval tier of the company's purchase orders: an OC worth more than `monto_minimo` (PEN, at the
    day's rate) needs an approver of this tier or above; a user's tier is the highest whose `roles` name the
    user's role (who also needs `compras:aprobar`). Up to the lowest threshold an OC is approved on submission.
    The ERP is single-tenant: these rows are the company's."""

    __tablename__ = "niveles_aprobacion_compra"
    __audit_module__: ClassVar[str] = "compras"
    __table_args__ = (CheckConstraint("nivel BETWEEN 1 AND 9", name="niveles_aprobacion_nivel"),
                      CheckConstraint("monto_minimo >= 0", name="niveles_aprobacion_monto"),
                      CheckConstraint("jsonb_array_length(roles) > 0", name="niveles_aprobacion_roles"))

    id: int | None = Field(default=None, primary_key=True)
    nivel: int = Field(unique=True)
    monto_minimo: Decimal = money()
    roles: list[str] = Field(sa_type=JSONB)
    descripcion: str = Field(default="", max_length=200)


class Proveedor(SQLModel, table=True):
    __tablename__ = "proveedores"
    __audit_module__: ClassVar[str] = "proveedores"
    __table_args__ = (
        CheckConstraint("ruc ~ '^(10|15|17|20)[0-9]{9}$'", name="proveedores_ruc"),
        CheckConstraint("condicion_pago IN ('CONTADO', 'CREDITO')", name="proveedores_condicion_pago"),
        CheckConstraint("dias_credito >= 0 AND (condicion_pago = 'CREDITO' OR dias_credito = 0)",
                        name="proveedores_dias_credito"),
        CheckConstraint("limite_credito >= 0", name="proveedores_limite_credito"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ruc: str = Field(max_length=11, unique=True)
    razon_social: str = Field(max_length=200, index=True)
    direccion: str = Field(default="", max_length=300)
    contacto: str = Field(default="", max_length=150)
    telefono: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    condicion_pago: str = Field(default="CONTADO", max_length=10)
    dias_credito: int = 0
    limite_credito: Decimal = money()
    activo: bool = True
    ultima_evaluacion: Decimal | None = Field(default=None, sa_column=Column(Numeric(7, 3), nullable=True))
    created_at: datetime = created_at()


class OrdenCompra(SQLModel, table=True):
    __tablename__ = "ordenes_compra"
    __audit_module__: ClassVar[str] = "compras"
    __table_args__ = (
        CheckConstraint(f"estado IN {ESTADOS_OC!r}", name="ordenes_compra_estado"),
        CheckConstraint("total >= 0", name="ordenes_compra_total"),
        Index("ix_ordenes_compra_estado_fecha", "estado", "fecha_creacion"),
        Index("ix_ordenes_compra_proveedor", "proveedor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proveedor_id: int = Field(foreign_key="proveedores.id")
    usuario_creador_id: int | None = Field(default=None, foreign_key="usuarios.id")
    usuario_aprobador_id: int | None = Field(default=None, foreign_key="usuarios.id")
    estado: str = Field(default="BORRADOR", max_length=25)
    fecha_creacion: datetime = created_at()
    fecha_estimada_entrega: date | None = None
    almacen_destino_id: int = Field(foreign_key="almacenes.id")
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = Field(default=Decimal("1"), sa_column=Column(Numeric(10, 4), nullable=False))
    total: Decimal = money()
    total_pen: Decimal = money()
    notas: str = Field(default="", max_length=500)
    nivel_aprobacion: int = 0  # 0 automatic, else the niveles_aprobacion_compra tier (when submitted)
    envio: int = 0  # how many times it was submitted (each submission is one approval run)
    comentario_aprobacion: str = Field(default="", max_length=500)
    fecha_aprobacion: datetime | None = timestamp()
    propuesta: str | None = Field(default=None, max_length=60, unique=True)  # "2026-12-01:p3:a1" (daily run)


class DetalleOrdenCompra(SQLModel, table=True):
    __tablename__ = "detalle_orden_compra"
    __table_args__ = (CheckConstraint("cantidad > 0 AND precio_unitario >= 0", name="detalle_oc_positivos"),)

    id: int | None = Field(default=None, primary_key=True)
    orden_id: int = Field(foreign_key="ordenes_compra.id", index=True, ondelete="CASCADE")
    producto_id: int = Field(foreign_key="productos.id", index=True)
    cantidad: Decimal = qty()
    precio_unitario: Decimal = money(scale=6)  # before IGV, in the OC's currency
    subtotal: Decimal = money()
    cantidad_recibida: Decimal = qty()  # accepted into stock
    cantidad_cancelada: Decimal = qty()  # not received when the OC was closed


class Recepcion(SQLModel, table=True):
    __tablename__ = "recepciones"
    __audit_module__: ClassVar[str] = "compras"

    id: int | None = Field(default=None, primary_key=True)
    orden_id: int = Field(foreign_key="ordenes_compra.id", index=True)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    fecha: datetime = created_at()
    estado: str = Field(default="REGISTRADA", max_length=15)  # REGISTRADA | CON_INCIDENCIAS
    observacion: str = Field(default="", max_length=500)


class DetalleRecepcion(SQLModel, table=True):
    __tablename__ = "detalle_recepcion"
    __table_args__ = (CheckConstraint(f"estado_item IN {ESTADOS_ITEM!r}", name="detalle_recepcion_estado"),
                      CheckConstraint("cantidad_recibida >= 0 AND cantidad_aceptada >= 0 "
                                      "AND cantidad_aceptada <= cantidad_recibida", name="detalle_recepcion_cant"))

    id: int | None = Field(default=None, primary_key=True)
    recepcion_id: int = Field(foreign_key="recepciones.id", index=True, ondelete="CASCADE")
    detalle_orden_id: int = Field(foreign_key="detalle_orden_compra.id", index=True)
    producto_id: int = Field(foreign_key="productos.id")
    lote_id: int | None = Field(default=None, foreign_key="lotes_series.id")
    cantidad_esperada: Decimal = qty()
    cantidad_recibida: Decimal = qty()
    cantidad_aceptada: Decimal = qty()  # what entered stock (a damaged unit does not)
    costo_unitario_pen: Decimal = money(scale=6)
    estado_item: str = Field(default="CONFORME", max_length=10)
    observacion: str = Field(default="", max_length=300)
    foto_url: str = Field(default="", max_length=500)


class IncidenciaCompra(SQLModel, table=True):
    __tablename__ = "incidencias_compra"
    __audit_module__: ClassVar[str] = "compras"

    id: int | None = Field(default=None, primary_key=True)
    recepcion_id: int = Field(foreign_key="recepciones.id", index=True)
    producto_id: int = Field(foreign_key="productos.id")
    tipo_incidencia: str = Field(max_length=10)  # DAÑADO | FALTANTE | EXCEDENTE
    descripcion: str = Field(default="", max_length=300)
    cantidad_afectada: Decimal = qty()
    evidencia_url: str = Field(default="", max_length=500)
    notificado_proveedor: bool = False
    created_at: datetime = created_at()


class FacturaProveedor(SQLModel, table=True):
    __tablename__ = "facturas_proveedor"
    __audit_module__: ClassVar[str] = "compras"
    __table_args__ = (
        UniqueConstraint("ruc_proveedor", "tipo", "serie", "numero", name="uq_facturas_proveedor_numero"),
        CheckConstraint(f"estado IN {ESTADOS_FACTURA!r}", name="facturas_proveedor_estado"),
        CheckConstraint(f"estado_pago IN {ESTADOS_PAGO!r}", name="facturas_proveedor_estado_pago"),
        # The spec's hard rule, held by the database: only a reconciled invoice is ever paid in full.
        CheckConstraint("estado_pago <> 'PAGADA' OR estado = 'CONCILIADA'",
                        name="facturas_proveedor_pagada_conciliada"),
        CheckConstraint("numero > 0", name="facturas_proveedor_numero"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proveedor_id: int = Field(foreign_key="proveedores.id", index=True)
    orden_id: int = Field(foreign_key="ordenes_compra.id", index=True)
    ruc_proveedor: str = Field(max_length=11)
    tipo: str = Field(default="01", max_length=2)  # catálogo 01
    serie: str = Field(max_length=4)  # upper case
    numero: int
    numero_factura: str = Field(max_length=13)  # "F001-123", the normalised form
    fecha_emision: date
    fecha_vencimiento: date
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = Field(default=Decimal("1"), sa_column=Column(Numeric(10, 4), nullable=False))
    monto_base: Decimal = money()
    igv: Decimal = money()
    total: Decimal = money()
    gastos_logisticos: Decimal = money()  # freight, customs: prorated into the received lines' landed cost
    estado: str = Field(default="REGISTRADA", max_length=12)
    estado_sunat: str = Field(default="PENDIENTE", max_length=12)  # PENDIENTE | VALIDA | OBSERVADA
    sunat_estado_cp: str | None = Field(default=None, max_length=2)
    sunat_estado_ruc: str | None = Field(default=None, max_length=2)
    sunat_cond_domi_ruc: str | None = Field(default=None, max_length=2)
    sunat_observaciones: list[str] | None = Field(default=None, sa_type=JSONB)
    sunat_consultado_at: datetime | None = timestamp()
    observacion_levantada: str = Field(default="", max_length=500)
    estado_pago: str = Field(default="PENDIENTE", max_length=10)
    contabilizado: bool = False
    diferencias: list[dict] | None = Field(default=None, sa_type=JSONB)  # the last three-way match
    justificacion: str = Field(default="", max_length=1000)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()


class DetalleFacturaProveedor(SQLModel, table=True):
    __tablename__ = "detalle_factura_proveedor"

    id: int | None = Field(default=None, primary_key=True)
    factura_id: int = Field(foreign_key="facturas_proveedor.id", index=True, ondelete="CASCADE")
    detalle_orden_id: int = Field(foreign_key="detalle_orden_compra.id")
    producto_id: int = Field(foreign_key="productos.id")
    cantidad: Decimal = qty()
    precio_unitario: Decimal = money(scale=6)
    base: Decimal = money()
    igv: Decimal = money()
    total: Decimal = money()
    gasto_prorrateado: Decimal = money()


class EvaluacionProveedor(SQLModel, table=True):
    __tablename__ = "evaluaciones_proveedor"
    __table_args__ = (UniqueConstraint("proveedor_id", "periodo", name="uq_evaluaciones_proveedor_periodo"),)

    id: int | None = Field(default=None, primary_key=True)
    proveedor_id: int = Field(foreign_key="proveedores.id")
    periodo: str = Field(max_length=7)  # 2026-Q4
    puntualidad_score: Decimal = porcentaje(Decimal("0"))
    calidad_score: Decimal = porcentaje(Decimal("0"))
    precio_score: Decimal = porcentaje(Decimal("0"))
    total_score: Decimal = porcentaje(Decimal("0"))
    total_entregas: int = 0
    entregas_completas: int = 0
    created_at: datetime = created_at()


# Partial index: the open OCs of a warehouse (the daily proposal subtracts what they still bring).
ABIERTAS = text("estado IN ('BORRADOR', 'PENDIENTE_APROBACION', 'APROBADA', 'PARCIAL')")
Index("ix_ordenes_compra_abiertas", OrdenCompra.__table__.c.almacen_destino_id, postgresql_where=ABIERTAS)


# --- landed cost (issue 12 follow-up, migration 0021) -----------------------------------------------------------

CONCEPTOS_COSTO = ("FLETE", "SEGURO", "ADUANA", "OTRO")
CRITERIOS_PRORRATEO = ("VALOR", "PESO")


class CostoVinculado(SQLModel, table=True):
    """Logistics costs of a purchase (freight, insurance, customs) that raise the landed cost of what it
    received: the supplier invoice's own `gastos_logisticos`, or a document of its own (a carrier's or customs
    broker's invoice) linked to the OC and optionally to one reception. Prorated by value or by weight."""

    __tablename__ = "costos_vinculados_compra"
    __audit_module__: ClassVar[str] = "compras"
    __table_args__ = (
        CheckConstraint(f"concepto IN {CONCEPTOS_COSTO!r}", name="costos_vinculados_concepto"),
        CheckConstraint(f"criterio IN {CRITERIOS_PRORRATEO!r}", name="costos_vinculados_criterio"),
        CheckConstraint("monto_pen > 0", name="costos_vinculados_monto"),
    )

    id: int | None = Field(default=None, primary_key=True)
    orden_id: int = Field(foreign_key="ordenes_compra.id", index=True)
    recepcion_id: int | None = Field(default=None, foreign_key="recepciones.id")  # None: all the OC received
    factura_proveedor_id: int | None = Field(default=None, foreign_key="facturas_proveedor.id", unique=True)
    proveedor_id: int | None = Field(default=None, foreign_key="proveedores.id")  # who bills it (carrier, broker)
    cuenta_por_pagar_id: int | None = Field(default=None, foreign_key="cuentas_por_pagar.id")
    documento: str = Field(default="", max_length=13)
    concepto: str = Field(default="FLETE", max_length=10)
    criterio: str = Field(default="VALOR", max_length=5)
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = Field(default=Decimal("1"), sa_column=Column(Numeric(10, 4), nullable=False))
    monto: Decimal = money()  # in `moneda`, before IGV
    monto_pen: Decimal = money()
    capitalizado_pen: Decimal = money()  # into the average cost of the units still in the warehouse (20111)
    costo_venta_pen: Decimal = money()  # of units already sold (6911)
    asiento_id: int | None = None
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()


class DetalleCostoVinculado(SQLModel, table=True):
    __tablename__ = "detalle_costo_vinculado"

    id: int | None = Field(default=None, primary_key=True)
    costo_id: int = Field(foreign_key="costos_vinculados_compra.id", index=True, ondelete="CASCADE")
    detalle_orden_id: int = Field(foreign_key="detalle_orden_compra.id")
    producto_id: int = Field(foreign_key="productos.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    cantidad: Decimal = qty()  # the units the cost belongs to
    base_prorrateo: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(18, 6), nullable=False))
    importe_pen: Decimal = money()
    capitalizado_pen: Decimal = money()
    costo_venta_pen: Decimal = money()
    costo_unitario_nuevo: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 6), nullable=True))

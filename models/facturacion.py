"""Module 3: electronic invoicing (SUNAT CPE).

Design decisions (see docs/CONFORMANCE.md, Module 3):
- Notas de crédito/débito are rows of `comprobantes` with tipo 07/08 and a reference to the document
  they modify (`comprobante_origen_id`, `motivo_codigo`): they share numbering, XML, signing, sending,
  CDR, PDF and the workflow with facturas and boletas. The spec's `notas_credito_debito` is a view.
- `series` holds the last number used per (tipo, serie); numbers are allocated with one
  `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` in the transaction that writes the comprobante,
  so they are gapless and unique (and UNIQUE (tipo, serie, numero) backs it in the database).
  Summaries (RC) and voidings (RA) take their daily correlativo from the same table (serie = YYYYMMDD).
- `venta_id` is a plain integer: the sales module's tables live in another migration branch.
"""

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Column, Index, Numeric, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp


class EstadoComprobante(StrEnum):
    PENDIENTE = "PENDIENTE"  # numbered, not yet decided by SUNAT (or waiting for the resumen diario)
    ENVIADO = "ENVIADO"  # inside a resumen diario whose ticket is being polled
    ACEPTADO = "ACEPTADO"
    OBSERVADO = "OBSERVADO"  # accepted with observations (4000+)
    RECHAZADO = "RECHAZADO"  # 2000-3999: the number is void at SUNAT, emit a new document
    CONTINGENCIA = "CONTINGENCIA"  # SUNAT unreachable: queued, retried automatically in numbering order
    ERROR = "ERROR"  # SUNAT refused the request itself (credentials, packaging): fix and reenviar
    POR_ANULAR = "POR_ANULAR"  # comunicación de baja / RC estado 3 sent, waiting for the ticket
    ANULADO = "ANULADO"


class ModoEmision(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"  # sendBill (facturas and their notes)
    RESUMEN = "RESUMEN"  # informed through the resumen diario (boletas and their notes)


FINALES = frozenset({EstadoComprobante.ACEPTADO, EstadoComprobante.OBSERVADO, EstadoComprobante.RECHAZADO,
                     EstadoComprobante.ANULADO})


class Serie(SQLModel, table=True):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("tipo", "serie", name="uq_series_tipo_serie"),)

    id: int | None = Field(default=None, primary_key=True)
    tipo: str = Field(max_length=2)  # catálogo 01, or RC / RA
    serie: str = Field(max_length=8)  # F001, B001, FC01 ... or YYYYMMDD for RC / RA
    ultimo_numero: int = 0


class Comprobante(SQLModel, table=True):
    __tablename__ = "comprobantes"
    __table_args__ = (
        UniqueConstraint("tipo", "serie", "numero", name="uq_comprobantes_tipo_serie_numero"),
        CheckConstraint("numero > 0", name="ck_comprobantes_numero_positivo"),
        CheckConstraint("forma_pago IN ('Contado', 'Credito')", name="ck_comprobantes_forma_pago"),
        Index("ix_comprobantes_estado", "estado_sunat"),
        Index("ix_comprobantes_fecha", "fecha_emision"),
        Index("ix_comprobantes_cliente", "cliente_numero_doc"),
        Index("ix_comprobantes_origen", "comprobante_origen_id"),  # a document's notes (credited balance)
        Index("uq_comprobantes_venta", "venta_id", unique=True,
              postgresql_where=text("venta_id IS NOT NULL AND tipo IN ('01', '03')")),
    )
    __audit_module__: ClassVar[str] = "facturacion"

    id: int | None = Field(default=None, primary_key=True)
    tipo: str = Field(max_length=2)  # 01 factura, 03 boleta, 07 NC, 08 ND
    serie: str = Field(max_length=4)
    numero: int
    fecha_emision: date
    hora_emision: time
    cliente_tipo_doc: str = Field(max_length=1)  # catálogo 06
    cliente_numero_doc: str = Field(max_length=15)
    cliente_razon_social: str = Field(max_length=200)
    cliente_direccion: str = Field(default="", max_length=300)
    cliente_email: str = Field(default="", max_length=254)
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 4), nullable=True))
    total_gravada: Decimal = money()
    total_exonerada: Decimal = money()
    total_inafecta: Decimal = money()
    total_exportacion: Decimal = money()
    total_gratuita: Decimal = money()
    total_igv: Decimal = money()
    total_isc: Decimal = money()
    total_icbper: Decimal = money()
    total_descuentos: Decimal = money()
    total_venta: Decimal = money()
    total_cargos: Decimal = money()  # ChargeTotalAmount
    # global discounts/charges (catálogo 53) as priced: [{"codigo", "monto", "factor", "base"}]
    descuentos_cargos: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSONB, nullable=False, server_default="[]"))
    estado_sunat: str = Field(default=EstadoComprobante.PENDIENTE, max_length=15)
    codigo_respuesta: str | None = Field(default=None, max_length=10)
    mensaje_respuesta: str | None = Field(default=None, max_length=1000)
    hash: str | None = Field(default=None, max_length=100)  # DigestValue of the signature
    qr: str | None = Field(default=None, max_length=500)
    xml_path: str | None = Field(default=None, max_length=300)
    cdr_path: str | None = Field(default=None, max_length=300)
    pdf_path: str | None = Field(default=None, max_length=300)
    modo_emision: str = Field(default=ModoEmision.INDIVIDUAL, max_length=10)
    venta_id: int | None = None  # ventas.id (no FK: the sales tables are another migration branch)
    comprobante_origen_id: int | None = Field(default=None, foreign_key="comprobantes.id")
    motivo_codigo: str | None = Field(default=None, max_length=2)  # catálogo 09 / 10
    motivo_descripcion: str | None = Field(default=None, max_length=250)
    tipo_operacion: str = Field(default="0101", max_length=4)  # catálogo 51
    forma_pago: str = Field(default="Contado", max_length=7)  # Contado | Credito (cuotas in cuotas_comprobante)
    monto_neto_pendiente: Decimal | None = money(default=None, nullable=True)  # Credito: what the cuotas add up to
    cliente_pais: str = Field(default="PE", max_length=2)  # ISO 3166-1 alpha-2
    detraccion_codigo: str | None = Field(default=None, max_length=3)  # catálogo 54
    detraccion_porcentaje: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2), nullable=True))
    detraccion_monto: Decimal | None = money(default=None, nullable=True)  # always PEN
    detraccion_cuenta: str | None = Field(default=None, max_length=30)  # Banco de la Nación
    detraccion_medio_pago: str | None = Field(default=None, max_length=3)  # catálogo 59
    notificado_at: datetime | None = timestamp()
    created_at: datetime = created_at()

    @property
    def documento(self) -> str:
        return f"{self.serie}-{self.numero}"

    @property
    def workflow_id(self) -> str:
        return f"comprobante-{self.tipo}-{self.serie}-{self.numero}"


class DetalleComprobante(SQLModel, table=True):
    __tablename__ = "detalle_comprobante"

    id: int | None = Field(default=None, primary_key=True)
    comprobante_id: int = Field(foreign_key="comprobantes.id", index=True, ondelete="CASCADE")
    orden: int
    codigo_producto: str = Field(max_length=30)
    descripcion: str = Field(max_length=500)
    cantidad: Decimal = Field(sa_column=Column(Numeric(14, 4), nullable=False))
    unidad_medida: str = Field(default="NIU", max_length=3)
    valor_unitario: Decimal = Field(sa_column=Column(Numeric(22, 10), nullable=False))  # sin IGV
    precio_unitario: Decimal = Field(sa_column=Column(Numeric(22, 10), nullable=False))  # con IGV
    # True: the line was priced with precio_unitario (con IGV, the input) and valor_unitario is derived;
    # False: valor_unitario is the input. The XML is rebuilt from the input.
    precio_incluye_igv: bool = False
    descuento: Decimal = money()  # line discount (code 00), in the terms of the unit amount given
    subtotal: Decimal = money()  # valor de venta de la línea
    igv: Decimal = money()
    icbper_cantidad: int = 0  # plastic bags (ICBPER, tributo 7152)
    icbper: Decimal = money()
    total: Decimal = money()
    afectacion_igv: str = Field(default="10", max_length=2)  # catálogo 07
    # Notes: the line of the original document this line credits or debits (bounds what may be credited).
    detalle_origen_id: int | None = Field(default=None, foreign_key="detalle_comprobante.id", index=True)


class CuotaComprobante(SQLModel, table=True):
    """One instalment of a comprobante issued al Crédito (the factura's Cuota001...): what receivables read.
    Append-only: a change of instalments is a credit note (motivo 13), not an update."""

    __tablename__ = "cuotas_comprobante"
    __table_args__ = (
        UniqueConstraint("comprobante_id", "numero", name="uq_cuotas_comprobante_numero"),
        CheckConstraint("monto > 0", name="ck_cuotas_comprobante_monto_positivo"),
        CheckConstraint("numero BETWEEN 1 AND 999", name="ck_cuotas_comprobante_numero"),
        Index("ix_cuotas_comprobante_vencimiento", "fecha_vencimiento"),
    )

    id: int | None = Field(default=None, primary_key=True)
    comprobante_id: int = Field(foreign_key="comprobantes.id")
    numero: int  # 1 -> Cuota001
    monto: Decimal = money()  # in the comprobante's currency
    fecha_vencimiento: date


class EnvioSunat(SQLModel, table=True):
    """Every attempt to inform a comprobante to SUNAT, with its answer. Append-only."""

    __tablename__ = "envios_sunat"
    __table_args__ = (UniqueConstraint("comprobante_id", "intento", name="uq_envios_sunat_intento"),)

    id: int | None = Field(default=None, primary_key=True)
    comprobante_id: int = Field(foreign_key="comprobantes.id", index=True)
    intento: int  # 1, 2, ... as numbered by the workflow (retries of one attempt write it once)
    fecha_envio: datetime = created_at()
    estado: str = Field(max_length=15)  # ACEPTADO | OBSERVADO | RECHAZADO | NO_DISPONIBLE | ERROR
    codigo_respuesta: str | None = Field(default=None, max_length=10)
    mensaje_respuesta: str | None = Field(default=None, max_length=2000)
    observaciones: list[dict[str, Any]] | None = Field(default=None, sa_type=JSONB)
    cdr_path: str | None = Field(default=None, max_length=300)


class EstadoResumen(StrEnum):
    PENDIENTE = "PENDIENTE"
    ENVIADO = "ENVIADO"  # ticket received, polling getStatus
    ACEPTADO = "ACEPTADO"
    RECHAZADO = "RECHAZADO"
    ERROR = "ERROR"  # SUNAT refused the request itself: nothing was informed


class ResumenDiario(SQLModel, table=True):
    """Resumen diario de boletas (RC): adds boletas (estado 1) or voids them (estado 3)."""

    __tablename__ = "resumen_diario"
    __table_args__ = (UniqueConstraint("identificador", name="uq_resumen_diario_identificador"),)
    __audit_module__: ClassVar[str] = "facturacion"

    id: int | None = Field(default=None, primary_key=True)
    fecha: date  # fecha de emisión of the boletas it informs
    fecha_generacion: date
    correlativo: int
    identificador: str = Field(max_length=30)  # RC-YYYYMMDD-N
    cantidad_documentos: int = 0
    estado_envio: str = Field(default=EstadoResumen.PENDIENTE, max_length=15)
    codigo_ticket: str | None = Field(default=None, max_length=60)
    codigo_respuesta: str | None = Field(default=None, max_length=10)
    mensaje_respuesta: str | None = Field(default=None, max_length=1000)
    xml_path: str | None = Field(default=None, max_length=300)
    cdr_path: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at()


class ResumenDiarioItem(SQLModel, table=True):
    __tablename__ = "resumen_diario_items"

    resumen_id: int = Field(foreign_key="resumen_diario.id", primary_key=True, ondelete="CASCADE")
    comprobante_id: int = Field(foreign_key="comprobantes.id", primary_key=True)
    condicion: str = Field(max_length=1)  # catálogo 19: 1 adicionar, 3 anular


class ComunicacionBaja(SQLModel, table=True):
    """Comunicación de baja (RA) of one factura (or a note of a factura)."""

    __tablename__ = "comunicaciones_baja"
    __table_args__ = (UniqueConstraint("identificador", name="uq_comunicaciones_baja_identificador"),)
    __audit_module__: ClassVar[str] = "facturacion"

    id: int | None = Field(default=None, primary_key=True)
    comprobante_id: int = Field(foreign_key="comprobantes.id", index=True)
    motivo: str = Field(max_length=100)
    fecha_referencia: date
    fecha_generacion: date
    correlativo: int
    identificador: str = Field(max_length=30)  # RA-YYYYMMDD-N
    estado_envio: str = Field(default=EstadoResumen.PENDIENTE, max_length=15)
    codigo_ticket: str | None = Field(default=None, max_length=60)
    codigo_respuesta: str | None = Field(default=None, max_length=10)
    mensaje_respuesta: str | None = Field(default=None, max_length=1000)
    xml_path: str | None = Field(default=None, max_length=300)
    cdr_path: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at()

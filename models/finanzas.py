"""Module 6: chart of accounts (PCGE), cost centres, journal entries, receivables/payables, payments,
exchange rates, weighted average costs, tax periods and PLE files.

The rules of a journal entry are held by the database too (migration 0012): a deferred constraint trigger
checks Σdebe = Σhaber per entry at commit, a BEFORE INSERT trigger refuses inactive or non-leaf accounts and
cost centres, CHECKs keep amounts ≥ 0 with exactly one side, and posted entries and their lines are
immutable (a correction is a reversal entry). `comprobante_id`/`venta_id`/`cliente_id` are plain integers
where the referenced table lives in another migration branch.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedBytes, EncryptedString
from models.base import created_at, money, timestamp


def tasa(nullable: bool = False) -> Any:
    """Exchange rates: NUMERIC(10, 4) (SUNAT publishes three decimals)."""
    return Field(default=None if nullable else Decimal("1"), sa_column=Column(Numeric(10, 4), nullable=nullable))


class CuentaContable(SQLModel, table=True):
    """An account of the PCGE (Plan Contable General Empresarial). Only leaves take postings."""

    __tablename__ = "cuentas_contables"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (CheckConstraint("codigo ~ '^[0-9]{1,10}$'", name="ck_cuentas_codigo_numerico"),)

    id: int | None = Field(default=None, primary_key=True)
    codigo: str = Field(max_length=10, unique=True)  # PCGE code: 2 digits elemento/cuenta, then divisionarias
    nombre: str = Field(max_length=200)
    tipo: str = Field(max_length=12)  # ACTIVO | PASIVO | PATRIMONIO | GASTO | INGRESO | COSTO | RESULTADO | ORDEN
    naturaleza: str = Field(max_length=9)  # DEUDORA | ACREEDORA
    padre_id: int | None = Field(default=None, foreign_key="cuentas_contables.id")
    acepta_movimiento: bool = True  # a leaf: the only kind of account a journal line may use
    activo: bool = True


class CentroCosto(SQLModel, table=True):
    __tablename__ = "centros_costo"
    __audit_module__: ClassVar[str] = "finanzas"

    id: int | None = Field(default=None, primary_key=True)
    codigo: str = Field(max_length=20, unique=True)
    nombre: str = Field(max_length=100)
    sucursal_id: int | None = Field(default=None, foreign_key="sucursales.id", unique=True)  # the branch's own
    predeterminado: bool = False
    activo: bool = True


class CuentaOperacion(SQLModel, table=True):
    """Which account each automatic posting uses (per tax case and payment method); editable."""

    __tablename__ = "cuentas_operacion"
    __audit_module__: ClassVar[str] = "finanzas"

    clave: str = Field(max_length=40, primary_key=True)  # e.g. VENTA_GRAVADA, IGV, COBRO_EFECTIVO
    descripcion: str = Field(max_length=200)
    cuenta_id: int = Field(foreign_key="cuentas_contables.id")


class AsientoContable(SQLModel, table=True):
    """Not audited row by row: entries are append-only and carry their user; audit_logs would double them."""

    __tablename__ = "asientos_contables"
    __table_args__ = (
        UniqueConstraint("periodo", "cuo", name="uq_asientos_periodo_cuo"),
        Index("ix_asientos_fecha", "fecha", "id"),  # the diario's keyset order
        Index("ix_asientos_referencia", "referencia_tipo", "referencia_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fecha: date  # business date (America/Lima): the period it belongs to
    periodo: str = Field(max_length=6)  # AAAAMM
    cuo: str = Field(max_length=40)  # PLE código único de operación: period + correlative
    descripcion: str = Field(max_length=300)
    centro_costo_id: int = Field(foreign_key="centros_costo.id")
    referencia_tipo: str = Field(max_length=30)  # MANUAL | COMPROBANTE | VENTA | COBRO | PAGO | REVERSION ...
    referencia_id: str = Field(default="", max_length=40)
    origen: str = Field(default="AUTOMATICO", max_length=10)  # AUTOMATICO | MANUAL
    moneda: str = Field(default="PEN", max_length=3)  # of the source document (lines are in PEN)
    tipo_cambio: Decimal = tasa()
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    estado: str = Field(default="CONTABILIZADO", max_length=13)  # posted entries are immutable (trigger)
    revierte_id: int | None = Field(default=None, foreign_key="asientos_contables.id", unique=True)
    created_at: datetime = created_at()


class LineaAsiento(SQLModel, table=True):
    __tablename__ = "lineas_asiento"
    __table_args__ = (
        CheckConstraint("(debe > 0 AND haber = 0) OR (debe = 0 AND haber > 0)", name="ck_lineas_un_lado"),
        UniqueConstraint("asiento_id", "numero", name="uq_lineas_asiento_numero"),
        # The ledger of one account and month without a scan (issue 13: p95 < 50 ms at 1M lines).
        # Covering: the opening balance and the running balance are index-only scans.
        # Its key is the books' keyset order (fecha, asiento, línea).
        Index("ix_lineas_cuenta_fecha", "cuenta_id", "fecha", "asiento_id", "id",
              postgresql_include=["debe", "haber", "numero", "centro_costo_id"]),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    asiento_id: int = Field(foreign_key="asientos_contables.id", index=True)
    numero: int  # PLE correlativo of the line within the entry
    fecha: date  # the entry's date, copied so the ledger index covers it (the trigger checks it matches)
    cuenta_id: int = Field(foreign_key="cuentas_contables.id")
    centro_costo_id: int = Field(foreign_key="centros_costo.id")
    debe: Decimal = money()
    haber: Decimal = money()
    descripcion: str = Field(default="", max_length=200)


class TipoCambio(SQLModel, table=True):
    __tablename__ = "tipos_cambio"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (UniqueConstraint("fecha", "moneda", name="uq_tipos_cambio_fecha_moneda"),
                      CheckConstraint("compra > 0 AND venta > 0", name="ck_tipos_cambio_positivo"))

    id: int | None = Field(default=None, primary_key=True)
    fecha: date
    moneda: str = Field(default="USD", max_length=3)
    compra: Decimal = tasa()
    venta: Decimal = tasa()
    fuente: str = Field(default="MANUAL", max_length=10)  # SUNAT | MANUAL


_SALDO = "saldo = monto_total - monto_pagado AND monto_pagado >= 0 AND saldo >= 0"


class CuentaPorCobrar(SQLModel, table=True):
    __tablename__ = "cuentas_por_cobrar"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (
        CheckConstraint(_SALDO, name="ck_cxc_saldo"),
        UniqueConstraint("comprobante_id", "cuota", name="uq_cxc_comprobante_cuota"),
        Index("ix_cxc_abiertas", "fecha_vencimiento", postgresql_where="saldo > 0"),
        Index("ix_cxc_cliente", "cliente_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cliente_id: int | None = None  # clientes.id (None: a comprobante to a customer not in the master)
    cliente_numero_doc: str = Field(max_length=15)
    cliente_razon_social: str = Field(max_length=200)
    comprobante_id: int  # comprobantes.id
    venta_id: int | None = None
    documento: str = Field(max_length=20)  # F001-123
    cuota: int = 1
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = tasa()  # the document's rate (PEN per unit)
    monto_total: Decimal = money()
    monto_pagado: Decimal = money()
    saldo: Decimal = money()
    saldo_pen: Decimal = money()  # book value of the open balance in PEN (moved by settlements and revaluations)
    fecha_emision: date
    fecha_vencimiento: date
    estado: str = Field(default="PENDIENTE", max_length=10)  # PENDIENTE | PARCIAL | PAGADA | VENCIDA
    created_at: datetime = created_at()


class CuentaPorPagar(SQLModel, table=True):
    __tablename__ = "cuentas_por_pagar"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (
        CheckConstraint(_SALDO, name="ck_cxp_saldo"),
        UniqueConstraint("proveedor_ruc", "documento", "cuota", name="uq_cxp_documento_cuota"),
        Index("ix_cxp_abiertas", "fecha_vencimiento", postgresql_where="saldo > 0"),
    )

    id: int | None = Field(default=None, primary_key=True)
    proveedor_id: int | None = None  # module 5's proveedores.id once it exists
    proveedor_ruc: str = Field(max_length=11)
    proveedor_razon_social: str = Field(max_length=200)
    factura_proveedor_id: int | None = None
    tipo_documento: str = Field(default="01", max_length=2)  # catálogo 01
    documento: str = Field(max_length=20)  # serie-número of the supplier's invoice
    cuota: int = 1
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = tasa()
    base_imponible: Decimal = money()
    igv: Decimal = money()
    monto_total: Decimal = money()
    monto_pagado: Decimal = money()
    saldo: Decimal = money()
    saldo_pen: Decimal = money()
    fecha_emision: date
    fecha_vencimiento: date
    estado: str = Field(default="PENDIENTE", max_length=10)
    created_at: datetime = created_at()


class PagoCobro(SQLModel, table=True):
    """One document settled (fully or partly) by a collection or a payment. One operation that settles
    several documents writes one row per document, sharing `operacion` and one journal entry."""

    __tablename__ = "pagos_cobros"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (
        CheckConstraint("(tipo = 'COBRO') = (cuenta_cobrar_id IS NOT NULL) AND "
                        "(tipo = 'PAGO') = (cuenta_pagar_id IS NOT NULL)", name="ck_pagos_cobros_documento"),
        CheckConstraint("monto > 0 AND monto_aplicado > 0", name="ck_pagos_cobros_positivo"),
        Index("ix_pagos_cobros_operacion", "operacion"),
    )

    id: int | None = Field(default=None, primary_key=True)
    operacion: str = Field(max_length=40)  # COB-12 / PAG-7: the user's one collection or payment
    tipo: str = Field(max_length=5)  # COBRO | PAGO
    cuenta_cobrar_id: int | None = Field(default=None, foreign_key="cuentas_por_cobrar.id")
    cuenta_pagar_id: int | None = Field(default=None, foreign_key="cuentas_por_pagar.id")
    monto: Decimal = money()  # in the payment's currency
    monto_aplicado: Decimal = money()  # in the document's currency
    metodo_pago: str = Field(max_length=20)
    moneda: str = Field(default="PEN", max_length=3)
    tipo_cambio: Decimal = tasa()
    diferencia_cambio: Decimal = money()  # PEN: + gain (776), − loss (676)
    referencia: str = Field(default="", max_length=100)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    fecha: date
    asiento_id: int | None = Field(default=None, foreign_key="asientos_contables.id")
    created_at: datetime = created_at()
    conciliado: bool = False  # matched with a bank statement line (issue 14; column added by migration 0014)
    # The PEN book value of the document it relieved (what undoing it gives back; NULL on rows written before 0022)
    valor_libros: Decimal | None = money(default=None, nullable=True)
    anulado: bool = False  # reversed (an undone bank reconciliation that had recorded it): its entry is reversed


class CostoPromedio(SQLModel, table=True):
    """Weighted average unit cost of a product in a warehouse, moved by every costed entry."""

    __tablename__ = "costos_promedio"

    producto_id: int = Field(primary_key=True)  # productos.id (module 2's branch)
    almacen_id: int = Field(primary_key=True)
    cantidad: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(14, 3), nullable=False))
    costo_unitario: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(18, 6), nullable=False))
    updated_at: datetime | None = timestamp()


class PeriodoTributario(SQLModel, table=True):
    __tablename__ = "periodos_tributarios"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (UniqueConstraint("anio", "mes", name="uq_periodos_anio_mes"),
                      CheckConstraint("mes BETWEEN 1 AND 12", name="ck_periodos_mes"))

    id: int | None = Field(default=None, primary_key=True)
    anio: int
    mes: int
    estado: str = Field(default="ABIERTO", max_length=8)  # ABIERTO | CERRADO
    firmado_por: int | None = Field(default=None, foreign_key="usuarios.id")
    fecha_cierre: datetime | None = timestamp()
    ple_generado_at: datetime | None = timestamp()
    ple_huella: str | None = Field(default=None, max_length=64)  # hash of the data the PLE was built from
    ple_zip_path: str | None = Field(default=None, max_length=300)
    cierre_json: str | None = None  # the signed closing record (PLE hashes + trial balance)
    cierre_firma: str | None = None  # base64 signature with the closer's certificate
    cierre_certificado: str | None = None  # PEM of the certificate that signed


class FirmaUsuario(SQLModel, table=True):
    """A user's own digital signature (PFX), stored encrypted: required to close a tax period."""

    __tablename__ = "firmas_usuario"
    __audit_module__: ClassVar[str] = "finanzas"
    __audit_exclude__: ClassVar[set[str]] = {"pfx", "password"}

    usuario_id: int = Field(foreign_key="usuarios.id", primary_key=True)
    pfx: bytes = Field(sa_type=EncryptedBytes)
    password: str = Field(sa_type=EncryptedString)
    titular: str = Field(max_length=200)  # certificate subject, shown back to the user
    vence: datetime | None = timestamp()
    created_at: datetime = created_at()


class SaldoMensual(SQLModel, table=True):
    """Σdebe and Σhaber of one account and cost centre in one CLOSED tax period, written by the close (the
    period trigger keeps that month from changing afterwards) and removed by a reopening: a ledger's opening
    balance reads these ≤ 12 rows a year instead of every earlier line."""

    __tablename__ = "saldos_mensuales"
    __table_args__ = (Index("ix_saldos_mensuales_cuenta", "cuenta_id", "periodo",
                            postgresql_include=["centro_costo_id", "debe", "haber"]),)

    periodo: str = Field(max_length=6, primary_key=True)  # AAAAMM
    cuenta_id: int = Field(foreign_key="cuentas_contables.id", primary_key=True)
    centro_costo_id: int = Field(foreign_key="centros_costo.id", primary_key=True)
    debe: Decimal = money()
    haber: Decimal = money()


class VersionConfiguracion(SQLModel, table=True):
    """One row whose `version` changes (a sequence value, set by statement triggers of migration 0025) with
    every committed edit of the posting configuration, the accounts, the cost centres or the tax periods: an
    API process keeps its copy of them while the value it saw is still the current one."""

    __tablename__ = "finanzas_configuracion_version"
    __table_args__ = (CheckConstraint("unica", name="ck_finanzas_configuracion_version_unica"),)

    unica: bool = Field(default=True, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))


class AsientoPorVerificar(SQLModel, table=True):
    """An entry that got lines outside the (sub)transaction that created it: its balance is checked at COMMIT
    by the deferred constraint trigger of this table (migration 0025). Written only by that trigger."""

    __tablename__ = "asientos_por_verificar"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    asiento_id: int

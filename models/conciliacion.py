"""Module 6, bank reconciliation: the company's bank accounts, imported statements, their lines
(`movimientos_bancarios`) with the matcher's suggestions, and the confirmed reconciliations.

A line's fingerprint (`huella`) is unique per account, so importing the same file or an overlapping period
twice stores each line once. Suggestions are recomputed by the matcher and kept on the line (JSON, ranked);
the top score and the ambiguity flag are columns so the suggestion list filters on them with an index.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp


class CuentaBancaria(SQLModel, table=True):
    __tablename__ = "cuentas_bancarias"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (
        UniqueConstraint("banco", "numero", name="uq_cuentas_bancarias_numero"),
        CheckConstraint("banco IN ('BCP', 'BBVA', 'INTERBANK', 'SCOTIABANK', 'BN', 'GENERICO')",
                        name="ck_cuentas_bancarias_banco"),
        CheckConstraint("umbral_auto > 0 AND umbral_auto <= 1", name="ck_cuentas_bancarias_umbral"),
    )

    id: int | None = Field(default=None, primary_key=True)
    banco: str = Field(max_length=12)  # BCP | BBVA | INTERBANK | SCOTIABANK | BN | GENERICO
    numero: str = Field(max_length=30)
    cci: str = Field(default="", max_length=20)
    moneda: str = Field(default="PEN", max_length=3)
    descripcion: str = Field(default="", max_length=100)
    mapeo: str | None = None  # JSON column mapping of the generic profile (saved once by the user)
    auto_confirmar: bool = False  # confirm suggestions at or above `umbral_auto` without a human
    umbral_auto: Decimal = Field(default=Decimal("0.95"), max_digits=3, decimal_places=2)
    activo: bool = True


class ImportacionExtracto(SQLModel, table=True):
    """One uploaded statement file; a large one is parsed by a workflow, which reports progress here."""

    __tablename__ = "importaciones_extracto"

    id: int | None = Field(default=None, primary_key=True)
    cuenta_id: int = Field(foreign_key="cuentas_bancarias.id", index=True)
    archivo: str = Field(max_length=200)
    perfil: str = Field(default="", max_length=12)  # the detected (or the account's) bank profile
    contenido: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # until parsed
    estado: str = Field(default="PENDIENTE", max_length=11)  # PENDIENTE | PROCESANDO | COMPLETADA | ERROR
    total_lineas: int = 0
    procesadas: int = 0
    nuevas: int = 0
    duplicadas: int = 0
    error: str | None = Field(default=None, max_length=500)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()
    terminado_at: datetime | None = timestamp()


class MovimientoBancario(SQLModel, table=True):
    __tablename__ = "movimientos_bancarios"
    __table_args__ = (
        UniqueConstraint("cuenta_id", "huella", name="uq_movimientos_bancarios_huella"),
        CheckConstraint("monto <> 0 AND (tipo = 'ABONO') = (monto > 0)", name="ck_movimientos_bancarios_monto"),
        Index("ix_movimientos_bancarios_pendientes", "cuenta_id", "fecha", postgresql_where="NOT conciliado"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cuenta_id: int = Field(foreign_key="cuentas_bancarias.id")
    importacion_id: int | None = Field(default=None, foreign_key="importaciones_extracto.id")
    fecha: date  # operation date
    fecha_valor: date | None = None
    descripcion: str = Field(max_length=300)
    monto: Decimal = money()  # signed: + abono (credit to our account), − cargo
    tipo: str = Field(max_length=5)  # ABONO | CARGO
    referencia: str = Field(default="", max_length=40)  # the bank's operation number
    saldo: Decimal | None = money(default=None, nullable=True)
    huella: str = Field(max_length=64)
    conciliado: bool = False
    documento_id: int | None = None  # the spec's column: the pago_cobro (first one) it was reconciled with
    clase: str = Field(default="", max_length=12)  # the matcher's verdict: PAGO_COBRO, DOCUMENTOS, ITF, ...
    score: Decimal | None = Field(default=None, max_digits=4, decimal_places=3)
    ambiguo: bool = False
    sugerencias: str | None = None  # JSON: ranked suggestions with their reasons
    created_at: datetime = created_at()


class Conciliacion(SQLModel, table=True):
    """A confirmed link between one bank line and what it settles; undone (with a reason), never deleted."""

    __tablename__ = "conciliaciones"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (Index("uq_conciliaciones_vigente", "movimiento_id", unique=True,
                            postgresql_where="estado = 'CONFIRMADA'"),)

    id: int | None = Field(default=None, primary_key=True)
    movimiento_id: int = Field(foreign_key="movimientos_bancarios.id")
    clase: str = Field(max_length=12)
    pagos_cobros: str = Field(default="[]")  # JSON list of pagos_cobros ids it reconciled
    movimiento_par_id: int | None = Field(default=None, foreign_key="movimientos_bancarios.id")  # reversal pair
    asiento_id: int | None = Field(default=None, foreign_key="asientos_contables.id")
    score: Decimal | None = Field(default=None, max_digits=4, decimal_places=3)
    automatica: bool = False
    estado: str = Field(default="CONFIRMADA", max_length=10)  # CONFIRMADA | DESHECHA
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    motivo_deshacer: str | None = Field(default=None, max_length=300)
    deshecha_at: datetime | None = timestamp()
    created_at: datetime = created_at()


class CuentaBancariaTercero(SQLModel, table=True):
    """A customer's or supplier's bank account (number and/or CCI): evidence for the matcher, since a transfer's
    description often prints the account or CCI it came from or went to."""

    __tablename__ = "cuentas_bancarias_terceros"
    __audit_module__: ClassVar[str] = "finanzas"
    __table_args__ = (
        CheckConstraint("(cliente_id IS NULL) <> (proveedor_id IS NULL)", name="ck_cuentas_terceros_parte"),
        CheckConstraint("cci = '' OR cci ~ '^[0-9]{20}$'", name="ck_cuentas_terceros_cci"),
        CheckConstraint("numero = '' OR numero ~ '^[0-9]{6,20}$'", name="ck_cuentas_terceros_numero"),
        CheckConstraint("numero <> '' OR cci <> ''", name="ck_cuentas_terceros_alguna"),
        UniqueConstraint("cliente_id", "numero", "cci", name="uq_cuentas_terceros_cliente"),
        UniqueConstraint("proveedor_id", "numero", "cci", name="uq_cuentas_terceros_proveedor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cliente_id: int | None = Field(default=None, foreign_key="clientes.id", index=True)
    proveedor_id: int | None = Field(default=None, foreign_key="proveedores.id", index=True)
    banco: str = Field(max_length=30)  # from the CCI's entity code when it has one
    numero: str = Field(default="", max_length=20)  # digits only ("191-1234567-0-12" is stored 1911234567012)
    cci: str = Field(default="", max_length=20)  # código de cuenta interbancario, check digits verified
    moneda: str = Field(default="PEN", max_length=3)
    titular: str = Field(default="", max_length=200)
    activo: bool = True
    created_at: datetime = created_at()

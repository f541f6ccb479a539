"""Spec 003: Chilean sales notes (notas de venta) with an annual NNN-AAAA correlative.

The database enforces what the application promises: one number per (year, seq), append-only audit,
and no change to an issued note other than cancelling it (triggers in migration 0004).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, Computed, Index, Numeric, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp

ESTADOS = ("draft", "approved", "issued", "cancelled")
# NNN-AAAA: at least three digits, more past 999 (1000-2026).
NV_NUMBER_SQL = "lpad(nv_seq::text, greatest(3, length(nv_seq::text)), '0') || '-' || nv_year::text"
# action -> states it may start from. Issuing a draft records the issuer's approval on the way.
TRANSICIONES: dict[str, tuple[str, ...]] = {
    "approve": ("draft",),
    "issue": ("draft", "approved"),
    "cancel": ("draft", "approved", "issued"),
}
EDITABLES = ("draft", "approved")
DEFAULT_IVA = Decimal("0.19")


class ConfiguracionChile(SQLModel, table=True):
    """The Chilean issuing company (singleton id = 1): branding, PDF footer and default IVA rate."""

    __tablename__ = "configuracion_chile"
    __table_args__ = (CheckConstraint("id = 1", name="configuracion_chile_singleton"),)
    __audit_module__: ClassVar[str] = "notas_venta"

    id: int = Field(default=1, primary_key=True)
    razon_social: str = Field(default="Zeman González SpA", max_length=200)
    rut: str = Field(default="76.086.428-5", max_length=12)
    giro: str = Field(default="Servicios de ingeniería y consultoría", max_length=200)
    url: str = Field(default="www.zemangonzalez.com", max_length=200)
    direccion: str = Field(default="Pedro de Valdivia 3121 dp 15 | Ñuñoa | Santiago | Chile", max_length=300)
    cargo_aprobador: str = Field(default="CEO | Chief Executive Officer", max_length=120)
    iva_tasa: Decimal = Field(default=DEFAULT_IVA, sa_column=Column(Numeric(5, 4), nullable=False))


class SalesNoteSequence(SQLModel, table=True):
    """Last correlative handed out per year; locked row by row while a note is created."""

    __tablename__ = "sales_note_sequences"

    year: int = Field(primary_key=True)
    last_seq: int = 0


class SalesNote(SQLModel, table=True):
    __tablename__ = "sales_notes"
    __table_args__ = (
        UniqueConstraint("nv_year", "nv_seq", name="uq_sales_notes_year_seq"),
        CheckConstraint("status IN ('draft', 'approved', 'issued', 'cancelled')", name="sales_notes_status"),
        CheckConstraint("nv_seq > 0", name="sales_notes_seq_positive"),
        Index("ix_sales_notes_status_year", "status", "nv_year"),
    )
    __audit_module__: ClassVar[str] = "notas_venta"

    id: int | None = Field(default=None, primary_key=True)
    nv_year: int
    nv_seq: int
    nv_number: str | None = Field(default=None, sa_column=Column(
        String(20), Computed(NV_NUMBER_SQL, persisted=True), unique=True))
    status: str = Field(default="draft", max_length=10)
    version: int = 1  # bumped by every change; orders the workflow's view of the state
    issue_date: date
    customer_rut: str = Field(max_length=12, index=True)
    customer_razon_social: str = Field(max_length=200)
    customer_giro: str = Field(default="", max_length=200)
    customer_direccion: str = Field(default="", max_length=300)
    customer_comuna: str = Field(default="", max_length=100)
    customer_ciudad: str = Field(default="", max_length=100)
    customer_contacto: str = Field(default="", max_length=200)
    forma_pago: str = Field(default="", max_length=200)
    proyecto: str = Field(default="", max_length=200)
    presupuesto: str = Field(default="", max_length=100)
    observaciones: str = Field(default="", max_length=2000)
    vendedor: str = Field(default="", max_length=150)
    vat_rate: Decimal = Field(default=DEFAULT_IVA, sa_column=Column(Numeric(5, 4), nullable=False))
    neto: Decimal = money()
    iva: Decimal = money()
    total: Decimal = money()
    created_by: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()
    updated_at: datetime | None = timestamp()
    approved_by: int | None = Field(default=None, foreign_key="usuarios.id")
    approved_by_name: str | None = Field(default=None, max_length=150)
    approved_at: datetime | None = timestamp()
    approved_ip: str | None = Field(default=None, max_length=64)
    approved_ua: str | None = Field(default=None, max_length=512)
    emitted_by: int | None = Field(default=None, foreign_key="usuarios.id")
    emitted_at: datetime | None = timestamp()
    pdf_hash: str | None = Field(default=None, max_length=64)
    pdf_path: str | None = Field(default=None, max_length=300)
    emisor_json: dict[str, Any] | None = Field(default=None, sa_type=JSONB)  # company data frozen at issue
    cancelled_by: int | None = Field(default=None, foreign_key="usuarios.id")
    cancelled_at: datetime | None = timestamp()
    cancel_reason: str | None = Field(default=None, max_length=500)


class SalesNoteItem(SQLModel, table=True):
    __tablename__ = "sales_note_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="sales_note_items_quantity_positive"),
        CheckConstraint("unit_price >= 0", name="sales_note_items_price_non_negative"),
        CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="sales_note_items_discount_range"),
    )
    __audit_module__: ClassVar[str] = "notas_venta"

    id: int | None = Field(default=None, primary_key=True)
    sales_note_id: int = Field(foreign_key="sales_notes.id", index=True, ondelete="CASCADE")
    position: int
    description: str = Field(max_length=500)
    quantity: Decimal = Field(sa_column=Column(Numeric(14, 4), nullable=False))
    unit_price: Decimal = money()
    discount_pct: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(5, 2), nullable=False))
    line_total: Decimal = money()


class SalesNoteAudit(SQLModel, table=True):
    """Spec 003's business audit (create/update/approve/issue/cancel) with a snapshot; append-only."""

    __tablename__ = "sales_note_audit"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    sales_note_id: int = Field(foreign_key="sales_notes.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=10)  # create | update | approve | issue | cancel
    actor_id: int | None = Field(default=None, foreign_key="usuarios.id")
    actor: str | None = Field(default=None, max_length=254)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    request_id: str | None = Field(default=None, max_length=100, unique=True)  # makes activities idempotent
    payload_json: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime = created_at()

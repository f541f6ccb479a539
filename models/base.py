"""Column helpers shared by every table: UTC timestamps and money."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Numeric, func
from sqlmodel import Field

from core.errors import ValidationError


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at() -> Any:
    """A timestamptz column defaulting to now() (stored in UTC)."""
    return Field(
        default_factory=utcnow,
        sa_column_kwargs={"server_default": func.now()},
        sa_type=DateTime(timezone=True),
        nullable=False,
    )


def timestamp(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, **kw)


def exigir_monto(valor: Decimal, campo: str, precision: int = 14, scale: int = 2) -> Decimal:
    """Refuse (400 naming the field) a computed amount its NUMERIC(precision, scale) column cannot hold,
    before PostgreSQL does it with an error the client cannot act on."""
    limite = Decimal(10) ** (precision - scale)
    if abs(valor) >= limite:
        raise ValidationError(f"El importe {valor:.{scale}f} supera el máximo admitido ({limite - 1}.99…)",
                              field=campo)
    return valor


def money(default: Decimal | None = Decimal("0.00"), nullable: bool = False, scale: int = 2, **kw: Any) -> Any:
    """A NUMERIC(14, scale) column; never a float."""
    return Field(default=default, sa_column=Column(Numeric(14, scale), nullable=nullable), **kw)

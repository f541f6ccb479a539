"""Column helpers shared by every table: UTC timestamps and money."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Numeric, func
from sqlmodel import Field


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


def money(default: Decimal | None = Decimal("0.00"), nullable: bool = False, scale: int = 2, **kw: Any) -> Any:
    """A NUMERIC(14, scale) column; never a float."""
    return Field(default=default, sa_column=Column(Numeric(14, scale), nullable=nullable), **kw)

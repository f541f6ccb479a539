"""Idempotency keys: the first answer to a creating request, replayed when the client retries it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models.base import created_at


class ClaveIdempotencia(SQLModel, table=True):
    __tablename__ = "claves_idempotencia"
    __table_args__ = (Index("ix_claves_idempotencia_created_at", "created_at"),)

    usuario_id: int = Field(primary_key=True, foreign_key="usuarios.id", ondelete="CASCADE")
    clave: str = Field(primary_key=True, max_length=255)
    huella: str = Field(max_length=64)  # sha256 of the endpoint and its input: same key, other body → 422
    estado: int  # HTTP status of the first answer
    cuerpo: Any = Field(sa_type=JSON)  # its JSON body (json, not jsonb: replayed byte for byte, keys in order)
    created_at: datetime = created_at()

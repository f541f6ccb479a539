"""Internal notifications (stock alerts, expiring lots, sales beyond stock...) shown to users."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import created_at, timestamp


class Notificacion(SQLModel, table=True):
    __tablename__ = "notificaciones"
    __table_args__ = (Index("ix_notificaciones_no_leidas", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tipo: str = Field(max_length=30)  # STOCK_BAJO | LOTE_POR_VENCER | VENTA_SIN_STOCK | ...
    modulo: str = Field(max_length=30)
    titulo: str = Field(max_length=200)
    mensaje: str = Field(default="", max_length=1000)
    objeto_tipo: str = Field(default="", max_length=50)
    objeto_id: str = Field(default="", max_length=50)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")  # None: everyone with access
    # Periodic alerts are deduplicated per day: "STOCK_BAJO:<productos_almacen.id>:2026-11-22".
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    leida: bool = False
    enviada_email_at: datetime | None = timestamp()
    created_at: datetime = created_at()

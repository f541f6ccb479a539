"""Module 8 (dashboard): precomputed KPI snapshots and each user's widget layout.

`snapshots_kpi` holds one row per KPI value and dimension (branch, warehouse, product, payment method, aging
bucket, order state, carrier), written by the 10-minute refresh in one INSERT … SELECT per KPI group; every row
of one run shares its `calculado_en` (the run's transaction time), so the latest snapshot of a group is the rows
with that group's greatest `calculado_en`. Older runs are kept a day (timestamps to audit the schedule by)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Numeric, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at

GRUPOS_KPI = ("ventas", "inventario", "financiero", "logistica")


class SnapshotKpi(SQLModel, table=True):
    __tablename__ = "snapshots_kpi"
    __table_args__ = (
        CheckConstraint(f"grupo IN {GRUPOS_KPI!r}", name="snapshots_kpi_grupo"),
        Index("ix_snapshots_kpi_grupo_calculado", "grupo", text("calculado_en DESC")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    grupo: str = Field(max_length=12)  # ventas | inventario | financiero | logistica
    tipo_kpi: str = Field(max_length=40)  # ventas_dia, valor_stock, cxc_tramo, pedidos_estado, …
    fecha: date  # business date (America/Lima) the values are as of
    sucursal_id: int | None = None  # dimension: branch (sales KPIs)
    almacen_id: int | None = None  # dimension: warehouse (inventory and logistics KPIs)
    clave: str = Field(default="", max_length=60)  # dimension: product id, method, bucket, state, carrier id
    etiqueta: str = Field(default="", max_length=200)  # the dimension's readable name
    valor: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(20, 4), nullable=False))
    cantidad: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(20, 3), nullable=False))
    calculado_en: datetime = created_at()


class ConfiguracionDashboard(SQLModel, table=True):
    """The widgets one user placed on their dashboard (validated names, in order)."""

    __tablename__ = "configuraciones_dashboard"
    __audit_module__: ClassVar[str] = "dashboard"

    id: int | None = Field(default=None, primary_key=True)
    usuario_id: int = Field(foreign_key="usuarios.id", unique=True, ondelete="CASCADE")
    rol: str = Field(max_length=50)  # the role the layout was saved under
    widgets_config_json: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSONB, nullable=False, server_default="[]"))
    updated_at: datetime = created_at()

"""calculo: one tax calculator (lines priced with IGV), ICBPER, global discounts and charges (catálogo 53)

Revision ID: 0006
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0002", "0003")


def _money(nombre: str) -> sa.Column:
    return sa.Column(nombre, sa.Numeric(14, 2), nullable=False, server_default="0")


def _globales() -> sa.Column:
    return sa.Column("descuentos_cargos", JSONB(), nullable=False, server_default="[]")


def upgrade() -> None:
    op.add_column("configuracion", sa.Column("icbper_tarifa", sa.Numeric(6, 2), nullable=False,
                                             server_default="0.50"))
    op.add_column("productos", sa.Column("bolsa_plastica", sa.Boolean(), nullable=False, server_default="false"))
    op.add_column("ventas", _money("icbper"))
    op.add_column("ventas", _globales())
    op.add_column("detalle_venta", sa.Column("precio_incluye_igv", sa.Boolean(), nullable=False,
                                             server_default="true"))
    op.alter_column("detalle_venta", "valor_unitario", type_=sa.Numeric(22, 10))
    op.add_column("detalle_venta", _money("icbper"))
    op.add_column("cotizaciones", _money("icbper"))
    op.add_column("cotizaciones", _globales())
    op.add_column("detalle_cotizacion", _money("icbper"))
    op.add_column("comprobantes", _money("total_cargos"))
    op.add_column("comprobantes", _globales())
    op.add_column("detalle_comprobante", sa.Column("precio_incluye_igv", sa.Boolean(), nullable=False,
                                                   server_default="false"))
    op.add_column("detalle_comprobante", _money("descuento"))
    op.add_column("detalle_comprobante", sa.Column("icbper_cantidad", sa.Integer(), nullable=False,
                                                   server_default="0"))
    op.add_column("detalle_comprobante", _money("icbper"))


def downgrade() -> None:
    for tabla, columna in (("detalle_comprobante", "icbper"), ("detalle_comprobante", "icbper_cantidad"),
                           ("detalle_comprobante", "descuento"), ("detalle_comprobante", "precio_incluye_igv"),
                           ("comprobantes", "descuentos_cargos"), ("comprobantes", "total_cargos"),
                           ("detalle_cotizacion", "icbper"), ("cotizaciones", "descuentos_cargos"),
                           ("cotizaciones", "icbper"), ("detalle_venta", "icbper"),
                           ("detalle_venta", "precio_incluye_igv"), ("ventas", "descuentos_cargos"),
                           ("ventas", "icbper"), ("productos", "bolsa_plastica"),
                           ("configuracion", "icbper_tarifa")):
        op.drop_column(tabla, columna)
    op.alter_column("detalle_venta", "valor_unitario", type_=sa.Numeric(14, 6))

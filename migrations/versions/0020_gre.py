"""distribución: the GRE remitente of each order on a route (guias_remision) and the delivery ubigeo of orders

Revision ID: 0020
Revises: 0016
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _texto(nombre: str, largo: int, default: str | None = "") -> sa.Column:
    return sa.Column(nombre, sa.String(largo), nullable=False,
                     **({"server_default": default} if default is not None else {}))


def upgrade() -> None:
    op.add_column("pedidos", _texto("ubigeo", 6))
    op.create_table(
        "guias_remision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pedido_id", sa.Integer(), sa.ForeignKey("pedidos.id"), nullable=False, index=True),
        sa.Column("asignacion_id", sa.Integer(), sa.ForeignKey("asignaciones_pedido.id"), nullable=False,
                  unique=True),
        _texto("serie", 4, None),
        sa.Column("numero", sa.Integer(), nullable=True),
        _texto("estado", 10, None),
        _texto("motivo_traslado", 2, None),
        _texto("modalidad", 2, None),
        sa.Column("vehiculo_m1l", sa.Boolean(), nullable=False),
        _texto("placa", 10),
        _texto("conductor_documento", 15),
        sa.Column("fecha_emision", sa.Date(), nullable=False),
        sa.Column("fecha_inicio_traslado", sa.Date(), nullable=False),
        sa.Column("peso_bruto", sa.Numeric(14, 3), nullable=False),
        _texto("ubigeo_partida", 6, None),
        _texto("direccion_partida", 300, None),
        _texto("ubigeo_llegada", 6, None),
        _texto("direccion_llegada", 300, None),
        _texto("comprobante_relacionado", 20),
        _texto("ticket", 40),
        _texto("codigo_respuesta", 10),
        _texto("mensaje_respuesta", 500),
        _texto("hash", 100),
        _texto("xml_path", 300),
        _texto("cdr_path", 300),
        sa.Column("enviado_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respondido_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("serie", "numero", name="ux_guias_remision_numero"),
        sa.CheckConstraint("estado IN ('PENDIENTE', 'ENVIADA', 'ACEPTADA', 'RECHAZADA', 'ERROR')",
                           name="guias_remision_estado"),
    )


def downgrade() -> None:
    op.drop_table("guias_remision")
    op.drop_column("pedidos", "ubigeo")

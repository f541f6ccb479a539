"""notas: each note line points at the line of the original it credits or debits; index of a document's notes

Revision ID: 0008
Revises: 0001
Depends on: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    op.add_column("detalle_comprobante", sa.Column("detalle_origen_id", sa.Integer(), nullable=True))
    op.create_foreign_key("detalle_comprobante_detalle_origen_id_fkey", "detalle_comprobante", "detalle_comprobante",
                          ["detalle_origen_id"], ["id"])
    op.create_index("ix_detalle_comprobante_detalle_origen_id", "detalle_comprobante", ["detalle_origen_id"])
    op.create_index("ix_comprobantes_origen", "comprobantes", ["comprobante_origen_id"])


def downgrade() -> None:
    op.drop_index("ix_comprobantes_origen", table_name="comprobantes")
    op.drop_index("ix_detalle_comprobante_detalle_origen_id", table_name="detalle_comprobante")
    op.drop_constraint("detalle_comprobante_detalle_origen_id_fkey", "detalle_comprobante", type_="foreignkey")
    op.drop_column("detalle_comprobante", "detalle_origen_id")

"""distribución: GRE re-send, lost answers and voids — a rejected guía stays under its burnt number beside the
re-sent one (one live guía per assignment), the states POR_VERIFICAR / BAJA_PENDIENTE / ANULADA, the void's
reason and confirmation

Revision ID: 0024
Revises: 0020
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANTES = ("PENDIENTE", "ENVIADA", "ACEPTADA", "RECHAZADA", "ERROR")
AHORA = (*ANTES, "POR_VERIFICAR", "BAJA_PENDIENTE", "ANULADA")


def _estados(estados: tuple[str, ...]) -> None:
    op.drop_constraint("guias_remision_estado", "guias_remision", type_="check")
    op.create_check_constraint("guias_remision_estado", "guias_remision", f"estado IN {estados!r}")


def upgrade() -> None:
    op.alter_column("guias_remision", "estado", type_=sa.String(15), existing_nullable=False)
    _estados(AHORA)
    op.drop_constraint("guias_remision_asignacion_id_key", "guias_remision", type_="unique")
    op.create_index("ix_guias_remision_asignacion_id", "guias_remision", ["asignacion_id"])
    op.create_index("ux_guias_remision_asignacion_vigente", "guias_remision", ["asignacion_id"], unique=True,
                    postgresql_where=sa.text("estado <> 'RECHAZADA'"))
    op.add_column("guias_remision", sa.Column("motivo_baja", sa.String(300), nullable=False, server_default=""))
    op.add_column("guias_remision", sa.Column("baja_confirmada_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("guias_remision", "baja_confirmada_at")
    op.drop_column("guias_remision", "motivo_baja")
    op.drop_index("ux_guias_remision_asignacion_vigente", "guias_remision")
    op.drop_index("ix_guias_remision_asignacion_id", "guias_remision")
    op.create_unique_constraint("guias_remision_asignacion_id_key", "guias_remision", ["asignacion_id"])
    _estados(ANTES)
    op.alter_column("guias_remision", "estado", type_=sa.String(10), existing_nullable=False)

"""idempotencia: claves_idempotencia (first answer of a creating request, replayed on retry); the
accountant role reads every sale of its branches (ventas:ver_todas, new with read scoping)

Revision ID: 0010
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claves_idempotencia",
        sa.Column("usuario_id", sa.Integer(), sa.ForeignKey("usuarios.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clave", sa.String(length=255), nullable=False),
        sa.Column("huella", sa.String(length=64), nullable=False),
        sa.Column("estado", sa.Integer(), nullable=False),
        sa.Column("cuerpo", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("usuario_id", "clave"),
    )
    op.create_index("ix_claves_idempotencia_created_at", "claves_idempotencia", ["created_at"])
    op.execute("""INSERT INTO permisos (rol_id, modulo, accion, permitido)
                  SELECT r.id, 'ventas', 'ver_todas', true FROM roles r WHERE r.nombre = 'CONTADOR'
                  AND NOT EXISTS (SELECT 1 FROM permisos p WHERE p.rol_id = r.id AND p.modulo = 'ventas'
                                  AND p.accion = 'ver_todas')""")


def downgrade() -> None:
    op.execute("DELETE FROM permisos WHERE modulo = 'ventas' AND accion = 'ver_todas' "
               "AND rol_id IN (SELECT id FROM roles WHERE nombre = 'CONTADOR')")
    op.drop_index("ix_claves_idempotencia_created_at", table_name="claves_idempotencia")
    op.drop_table("claves_idempotencia")

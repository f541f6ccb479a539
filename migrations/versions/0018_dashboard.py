"""dashboard (module 8): snapshots_kpi (precomputed KPIs by group and dimension) and configuraciones_dashboard;
the index behind the "today so far" sales figure (ventas by branch and time)

Revision ID: 0018
Revises: 0001, depends on 0002 (ventas, inventario), 0012 (finanzas), 0016 (distribución): the KPIs read them
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0002", "0012", "0016")


def upgrade() -> None:
    op.create_table(
        "snapshots_kpi",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("grupo", sa.String(12), nullable=False),
        sa.Column("tipo_kpi", sa.String(40), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("sucursal_id", sa.Integer(), nullable=True),
        sa.Column("almacen_id", sa.Integer(), nullable=True),
        sa.Column("clave", sa.String(60), nullable=False, server_default=""),
        sa.Column("etiqueta", sa.String(200), nullable=False, server_default=""),
        sa.Column("valor", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("cantidad", sa.Numeric(20, 3), nullable=False, server_default="0"),
        sa.Column("calculado_en", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("grupo IN ('ventas', 'inventario', 'financiero', 'logistica')",
                           name="snapshots_kpi_grupo"),
    )
    op.create_index("ix_snapshots_kpi_grupo_calculado", "snapshots_kpi", ["grupo", sa.text("calculado_en DESC")])
    op.create_table(
        "configuraciones_dashboard",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("usuario_id", sa.Integer(), sa.ForeignKey("usuarios.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("rol", sa.String(50), nullable=False),
        sa.Column("widgets_config_json", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    # Installs seeded before this module: the KPI permissions of services.seed.DEFAULT_ROLES (a fresh install
    # gets them from the seed; an edited role keeps any explicit denial, which wins over a grant).
    op.execute("""
        INSERT INTO permisos (rol_id, modulo, accion, permitido)
        SELECT r.id, 'dashboard', g.accion, true
        FROM roles r JOIN (VALUES ('GERENTE_VENTAS', 'ver'), ('GERENTE_VENTAS', 'ventas'),
                                  ('SUPERVISOR_ALMACEN', 'ver'), ('SUPERVISOR_ALMACEN', 'inventario'),
                                  ('DESPACHADOR', 'ver'), ('DESPACHADOR', 'logistica'), ('CONTADOR', 'ver'),
                                  ('TESORERO', 'ver'), ('FINANZAS', 'ver')) AS g(rol, accion) ON g.rol = r.nombre
        ON CONFLICT (rol_id, modulo, accion) DO NOTHING
    """)
    # "Today so far" by branch: an index-only range scan of the branch's sales since Lima midnight.
    op.create_index("ix_ventas_sucursal_fecha", "ventas", ["sucursal_id", "fecha"],
                    postgresql_include=["total", "estado"])


def downgrade() -> None:
    op.drop_index("ix_ventas_sucursal_fecha", table_name="ventas")
    op.drop_table("configuraciones_dashboard")
    op.drop_table("snapshots_kpi")

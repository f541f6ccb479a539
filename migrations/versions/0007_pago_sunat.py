"""pago_sunat: credit instalments (cuotas_comprobante), detracción (SPOT) and exportación data on comprobantes;
catalog-54 code on products; country on customers; the Banco de la Nación account in configuracion;
planned instalments on quotes and sales orders

Revision ID: 0007
Revises: 0002, 0003

It alters tables of both 0002 (productos, clientes, cotizaciones) and 0003 (comprobantes), so it merges those two
branches: declared as down_revision "0001" with depends_on ("0002", "0003"), Alembic 1.20 fails applying it
(HeadMaintainer deletes "0001", already gone: KeyError), and with a single depends_on it may run before the other.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0002", "0003")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column("configuracion", sa.Column("cuenta_detracciones", sa.String(length=30), nullable=False,
                                             server_default=""))
    op.add_column("productos", sa.Column("codigo_detraccion", sa.String(length=3), nullable=True))
    op.add_column("clientes", sa.Column("pais", sa.String(length=2), nullable=False, server_default="PE"))
    for nombre, tipo, defecto in (("tipo_operacion", sa.String(length=4), "0101"),
                                  ("forma_pago", sa.String(length=7), "Contado"),
                                  ("cliente_pais", sa.String(length=2), "PE")):
        op.add_column("comprobantes", sa.Column(nombre, tipo, nullable=False, server_default=defecto))
    op.add_column("comprobantes", sa.Column("monto_neto_pendiente", _MONEY, nullable=True))
    op.add_column("comprobantes", sa.Column("detraccion_codigo", sa.String(length=3), nullable=True))
    op.add_column("comprobantes", sa.Column("detraccion_porcentaje", sa.Numeric(5, 2), nullable=True))
    op.add_column("comprobantes", sa.Column("detraccion_monto", _MONEY, nullable=True))
    op.add_column("comprobantes", sa.Column("detraccion_cuenta", sa.String(length=30), nullable=True))
    op.add_column("comprobantes", sa.Column("detraccion_medio_pago", sa.String(length=3), nullable=True))
    op.create_check_constraint("ck_comprobantes_forma_pago", "comprobantes", "forma_pago IN ('Contado', 'Credito')")
    op.create_table(
        "cuotas_comprobante",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comprobante_id", sa.Integer(), nullable=False),
        sa.Column("numero", sa.Integer(), nullable=False),
        sa.Column("monto", _MONEY, nullable=False),
        sa.Column("fecha_vencimiento", sa.Date(), nullable=False),
        sa.CheckConstraint("monto > 0", name="ck_cuotas_comprobante_monto_positivo"),
        sa.CheckConstraint("numero BETWEEN 1 AND 999", name="ck_cuotas_comprobante_numero"),
        sa.ForeignKeyConstraint(["comprobante_id"], ["comprobantes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comprobante_id", "numero", name="uq_cuotas_comprobante_numero"),
    )
    op.create_index("ix_cuotas_comprobante_vencimiento", "cuotas_comprobante", ["fecha_vencimiento"])
    op.execute("CREATE TRIGGER cuotas_comprobante_append_only BEFORE UPDATE OR DELETE ON cuotas_comprobante "
               "FOR EACH ROW EXECUTE FUNCTION erp_refuse_change()")
    for tabla in ("cotizaciones", "ordenes_venta"):
        op.add_column(tabla, sa.Column("cuotas", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    for tabla in ("cotizaciones", "ordenes_venta"):
        op.drop_column(tabla, "cuotas")
    op.drop_table("cuotas_comprobante")
    op.drop_constraint("ck_comprobantes_forma_pago", "comprobantes")
    for nombre in ("detraccion_medio_pago", "detraccion_cuenta", "detraccion_monto", "detraccion_porcentaje",
                   "detraccion_codigo", "monto_neto_pendiente", "cliente_pais", "forma_pago", "tipo_operacion"):
        op.drop_column("comprobantes", nombre)
    op.drop_column("clientes", "pais")
    op.drop_column("productos", "codigo_detraccion")
    op.drop_column("configuracion", "cuenta_detracciones")

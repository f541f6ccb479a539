"""finanzas: the books' keyset order and the parties' bank accounts.

- `ix_lineas_cuenta_fecha` becomes (cuenta_id, fecha, asiento_id, id): the libro mayor pages by cursor on
  (fecha, asiento, línea) without OFFSET; `ix_asientos_fecha` becomes (fecha, id) for the libro diario.
- `pagos_cobros.anulado` and `valor_libros`: undoing a bank reconciliation reverses the collection/payment it
  recorded (the documents get their balance and PEN book value back, the entry is reversed).
- `cuentas_bancarias_terceros`: customers' and suppliers' account numbers and CCIs, evidence for the matcher.

Revision ID: 0022
Revises: 0015
Create Date: 2026-12-01 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ('0013', '0014')  # proveedores, cuentas_bancarias


def upgrade() -> None:
    op.drop_index('ix_lineas_cuenta_fecha', table_name='lineas_asiento')
    op.create_index('ix_lineas_cuenta_fecha', 'lineas_asiento', ['cuenta_id', 'fecha', 'asiento_id', 'id'],
                    postgresql_include=['debe', 'haber', 'numero', 'centro_costo_id'])
    op.drop_index('ix_asientos_fecha', table_name='asientos_contables')
    op.create_index('ix_asientos_fecha', 'asientos_contables', ['fecha', 'id'])
    op.add_column('pagos_cobros', sa.Column('valor_libros', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('pagos_cobros', sa.Column('anulado', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('cuentas_bancarias_terceros',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cliente_id', sa.Integer(), nullable=True),
    sa.Column('proveedor_id', sa.Integer(), nullable=True),
    sa.Column('banco', sa.String(length=30), nullable=False),
    sa.Column('numero', sa.String(length=20), nullable=False),
    sa.Column('cci', sa.String(length=20), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('titular', sa.String(length=200), nullable=False),
    sa.Column('activo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(cliente_id IS NULL) <> (proveedor_id IS NULL)", name='ck_cuentas_terceros_parte'),
    sa.CheckConstraint("cci = '' OR cci ~ '^[0-9]{20}$'", name='ck_cuentas_terceros_cci'),
    sa.CheckConstraint("numero = '' OR numero ~ '^[0-9]{6,20}$'", name='ck_cuentas_terceros_numero'),
    sa.CheckConstraint("numero <> '' OR cci <> ''", name='ck_cuentas_terceros_alguna'),
    sa.ForeignKeyConstraint(['cliente_id'], ['clientes.id'], ),
    sa.ForeignKeyConstraint(['proveedor_id'], ['proveedores.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cliente_id', 'numero', 'cci', name='uq_cuentas_terceros_cliente'),
    sa.UniqueConstraint('proveedor_id', 'numero', 'cci', name='uq_cuentas_terceros_proveedor')
    )
    op.create_index(op.f('ix_cuentas_bancarias_terceros_cliente_id'), 'cuentas_bancarias_terceros', ['cliente_id'])
    op.create_index(op.f('ix_cuentas_bancarias_terceros_proveedor_id'), 'cuentas_bancarias_terceros',
                    ['proveedor_id'])


def downgrade() -> None:
    op.drop_table('cuentas_bancarias_terceros')
    op.drop_column('pagos_cobros', 'anulado')
    op.drop_column('pagos_cobros', 'valor_libros')
    op.drop_index('ix_asientos_fecha', table_name='asientos_contables')
    op.create_index('ix_asientos_fecha', 'asientos_contables', ['fecha'])
    op.drop_index('ix_lineas_cuenta_fecha', table_name='lineas_asiento')
    op.create_index('ix_lineas_cuenta_fecha', 'lineas_asiento', ['cuenta_id', 'fecha', 'id'],
                    postgresql_include=['debe', 'haber', 'asiento_id', 'numero', 'centro_costo_id'])

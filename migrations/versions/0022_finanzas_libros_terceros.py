"""finanzas: the books' keyset order and the parties' bank accounts.

- `ix_lineas_cuenta_fecha` becomes (cuenta_id, fecha, asiento_id, id): the libro mayor pages by cursor on
  (fecha, asiento, línea) without OFFSET; `ix_asientos_fecha` becomes (fecha, id) for the libro diario.
- `pagos_cobros.anulado` and `valor_libros`: undoing a bank reconciliation reverses the collection/payment it
  recorded (the documents get their balance and PEN book value back, the entry is reversed).

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
depends_on: str | Sequence[str] | None = '0014'


def upgrade() -> None:
    op.drop_index('ix_lineas_cuenta_fecha', table_name='lineas_asiento')
    op.create_index('ix_lineas_cuenta_fecha', 'lineas_asiento', ['cuenta_id', 'fecha', 'asiento_id', 'id'],
                    postgresql_include=['debe', 'haber', 'numero', 'centro_costo_id'])
    op.drop_index('ix_asientos_fecha', table_name='asientos_contables')
    op.create_index('ix_asientos_fecha', 'asientos_contables', ['fecha', 'id'])
    op.add_column('pagos_cobros', sa.Column('valor_libros', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('pagos_cobros', sa.Column('anulado', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('pagos_cobros', 'anulado')
    op.drop_column('pagos_cobros', 'valor_libros')
    op.drop_index('ix_asientos_fecha', table_name='asientos_contables')
    op.create_index('ix_asientos_fecha', 'asientos_contables', ['fecha'])
    op.drop_index('ix_lineas_cuenta_fecha', table_name='lineas_asiento')
    op.create_index('ix_lineas_cuenta_fecha', 'lineas_asiento', ['cuenta_id', 'fecha', 'id'],
                    postgresql_include=['debe', 'haber', 'asiento_id', 'numero', 'centro_costo_id'])

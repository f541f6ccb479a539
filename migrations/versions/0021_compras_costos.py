"""compras (issue 12, second part): landed cost documents and their proration (costos_vinculados_compra,
detalle_costo_vinculado)

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-01 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('costos_vinculados_compra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('orden_id', sa.Integer(), nullable=False),
    sa.Column('recepcion_id', sa.Integer(), nullable=True),
    sa.Column('factura_proveedor_id', sa.Integer(), nullable=True),
    sa.Column('proveedor_id', sa.Integer(), nullable=True),
    sa.Column('cuenta_por_pagar_id', sa.Integer(), nullable=True),
    sa.Column('documento', sa.String(length=13), nullable=False),
    sa.Column('concepto', sa.String(length=10), nullable=False),
    sa.Column('criterio', sa.String(length=5), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('tipo_cambio', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('monto', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('monto_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('capitalizado_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('costo_venta_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('asiento_id', sa.Integer(), nullable=True),
    sa.Column('usuario_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("concepto IN ('FLETE', 'SEGURO', 'ADUANA', 'OTRO')", name='costos_vinculados_concepto'),
    sa.CheckConstraint("criterio IN ('VALOR', 'PESO')", name='costos_vinculados_criterio'),
    sa.CheckConstraint('monto_pen > 0', name='costos_vinculados_monto'),
    sa.ForeignKeyConstraint(['cuenta_por_pagar_id'], ['cuentas_por_pagar.id'], ),
    sa.ForeignKeyConstraint(['factura_proveedor_id'], ['facturas_proveedor.id'], ),
    sa.ForeignKeyConstraint(['orden_id'], ['ordenes_compra.id'], ),
    sa.ForeignKeyConstraint(['proveedor_id'], ['proveedores.id'], ),
    sa.ForeignKeyConstraint(['recepcion_id'], ['recepciones.id'], ),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('factura_proveedor_id')
    )
    op.create_index(op.f('ix_costos_vinculados_compra_orden_id'), 'costos_vinculados_compra', ['orden_id'],
                    unique=False)
    op.create_table('detalle_costo_vinculado',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('costo_id', sa.Integer(), nullable=False),
    sa.Column('detalle_orden_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('almacen_id', sa.Integer(), nullable=False),
    sa.Column('cantidad', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('base_prorrateo', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('importe_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('capitalizado_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('costo_venta_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('costo_unitario_nuevo', sa.Numeric(precision=18, scale=6), nullable=True),
    sa.ForeignKeyConstraint(['almacen_id'], ['almacenes.id'], ),
    sa.ForeignKeyConstraint(['costo_id'], ['costos_vinculados_compra.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['detalle_orden_id'], ['detalle_orden_compra.id'], ),
    sa.ForeignKeyConstraint(['producto_id'], ['productos.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_detalle_costo_vinculado_costo_id'), 'detalle_costo_vinculado', ['costo_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_table('detalle_costo_vinculado')
    op.drop_table('costos_vinculados_compra')

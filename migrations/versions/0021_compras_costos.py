"""compras (issue 12, second part): landed cost documents and their proration (costos_vinculados_compra,
detalle_costo_vinculado); approval tiers in a table (niveles_aprobacion_compra, seeded from the two amounts
configuracion_compras held, which go)

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-01 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

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
    op.create_table('niveles_aprobacion_compra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nivel', sa.Integer(), nullable=False),
    sa.Column('monto_minimo', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('roles', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('descripcion', sa.String(length=200), nullable=False),
    sa.CheckConstraint('nivel BETWEEN 1 AND 9', name='niveles_aprobacion_nivel'),
    sa.CheckConstraint('monto_minimo >= 0', name='niveles_aprobacion_monto'),
    sa.CheckConstraint('jsonb_array_length(roles) > 0', name='niveles_aprobacion_roles'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nivel')
    )
    # The two tiers that were columns (and a role table in code): FINANZAS/CONTADOR/ADMIN above the automatic
    # amount, ADMIN above the second one.
    op.execute("""INSERT INTO niveles_aprobacion_compra (nivel, monto_minimo, roles, descripcion)
                  SELECT 1, monto_auto_aprobacion, '["FINANZAS", "CONTADOR", "ADMIN"]'::jsonb, 'por defecto'
                  FROM configuracion_compras
                  UNION ALL SELECT 2, monto_aprobacion_admin, '["ADMIN"]'::jsonb, 'por defecto' FROM configuracion_compras""")
    op.drop_constraint('configuracion_compras_niveles', 'configuracion_compras', type_='check')
    op.drop_column('configuracion_compras', 'monto_auto_aprobacion')
    op.drop_column('configuracion_compras', 'monto_aprobacion_admin')


def downgrade() -> None:
    for columna, nivel, defecto in (('monto_auto_aprobacion', 1, '5000'), ('monto_aprobacion_admin', 2, '50000')):
        op.add_column('configuracion_compras', sa.Column(columna, sa.Numeric(precision=14, scale=2), nullable=False,
                                                         server_default=defecto))
        op.execute(f"UPDATE configuracion_compras SET {columna} = n.monto_minimo FROM niveles_aprobacion_compra n "
                   f"WHERE n.nivel = {nivel}")
    op.create_check_constraint('configuracion_compras_niveles', 'configuracion_compras',
                               'monto_aprobacion_admin >= monto_auto_aprobacion')
    op.drop_table('niveles_aprobacion_compra')
    op.drop_table('detalle_costo_vinculado')
    op.drop_table('costos_vinculados_compra')

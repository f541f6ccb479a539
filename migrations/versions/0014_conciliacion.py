"""conciliación bancaria: bank accounts, statement imports, movimientos_bancarios (fingerprint unique per
account), confirmed reconciliations, and pagos_cobros.conciliado

Revision ID: 0014
Revises: 0001 (its own branch), depends on 0012 (pagos_cobros, asientos_contables)
Create Date: 2026-12-01 14:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = '0012'


def upgrade() -> None:
    op.create_table('cuentas_bancarias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('banco', sa.String(length=12), nullable=False),
    sa.Column('numero', sa.String(length=30), nullable=False),
    sa.Column('cci', sa.String(length=20), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('descripcion', sa.String(length=100), nullable=False),
    sa.Column('mapeo', sa.String(), nullable=True),
    sa.Column('auto_confirmar', sa.Boolean(), nullable=False),
    sa.Column('umbral_auto', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('activo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('banco', 'numero', name='uq_cuentas_bancarias_numero'),
    sa.CheckConstraint("banco IN ('BCP', 'BBVA', 'INTERBANK', 'SCOTIABANK', 'BN', 'GENERICO')",
                       name='ck_cuentas_bancarias_banco'),
    sa.CheckConstraint("umbral_auto > 0 AND umbral_auto <= 1", name='ck_cuentas_bancarias_umbral'),
    )
    op.create_table('importaciones_extracto',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cuenta_id', sa.Integer(), nullable=False),
    sa.Column('archivo', sa.String(length=200), nullable=False),
    sa.Column('perfil', sa.String(length=12), nullable=False),
    sa.Column('contenido', sa.LargeBinary(), nullable=True),
    sa.Column('estado', sa.String(length=11), nullable=False),
    sa.Column('total_lineas', sa.Integer(), nullable=False),
    sa.Column('procesadas', sa.Integer(), nullable=False),
    sa.Column('nuevas', sa.Integer(), nullable=False),
    sa.Column('duplicadas', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('usuario_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('terminado_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cuenta_id'], ['cuentas_bancarias.id'], ),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_importaciones_extracto_cuenta_id', 'importaciones_extracto', ['cuenta_id'])
    op.create_table('movimientos_bancarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cuenta_id', sa.Integer(), nullable=False),
    sa.Column('importacion_id', sa.Integer(), nullable=True),
    sa.Column('fecha', sa.Date(), nullable=False),
    sa.Column('fecha_valor', sa.Date(), nullable=True),
    sa.Column('descripcion', sa.String(length=300), nullable=False),
    sa.Column('monto', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tipo', sa.String(length=5), nullable=False),
    sa.Column('referencia', sa.String(length=40), nullable=False),
    sa.Column('saldo', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('huella', sa.String(length=64), nullable=False),
    sa.Column('conciliado', sa.Boolean(), nullable=False),
    sa.Column('documento_id', sa.Integer(), nullable=True),
    sa.Column('clase', sa.String(length=12), nullable=False),
    sa.Column('score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('ambiguo', sa.Boolean(), nullable=False),
    sa.Column('sugerencias', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cuenta_id'], ['cuentas_bancarias.id'], ),
    sa.ForeignKeyConstraint(['importacion_id'], ['importaciones_extracto.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cuenta_id', 'huella', name='uq_movimientos_bancarios_huella'),
    sa.CheckConstraint("monto <> 0 AND (tipo = 'ABONO') = (monto > 0)", name='ck_movimientos_bancarios_monto'),
    )
    op.create_index('ix_movimientos_bancarios_pendientes', 'movimientos_bancarios', ['cuenta_id', 'fecha'],
                    postgresql_where=sa.text('NOT conciliado'))
    op.create_table('conciliaciones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movimiento_id', sa.Integer(), nullable=False),
    sa.Column('clase', sa.String(length=12), nullable=False),
    sa.Column('pagos_cobros', sa.String(), nullable=False),
    sa.Column('movimiento_par_id', sa.Integer(), nullable=True),
    sa.Column('asiento_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('automatica', sa.Boolean(), nullable=False),
    sa.Column('estado', sa.String(length=10), nullable=False),
    sa.Column('usuario_id', sa.Integer(), nullable=True),
    sa.Column('motivo_deshacer', sa.String(length=300), nullable=True),
    sa.Column('deshecha_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['movimiento_id'], ['movimientos_bancarios.id'], ),
    sa.ForeignKeyConstraint(['movimiento_par_id'], ['movimientos_bancarios.id'], ),
    sa.ForeignKeyConstraint(['asiento_id'], ['asientos_contables.id'], ),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_conciliaciones_vigente', 'conciliaciones', ['movimiento_id'], unique=True,
                    postgresql_where=sa.text("estado = 'CONFIRMADA'"))
    op.add_column('pagos_cobros', sa.Column('conciliado', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_pagos_cobros_pendientes', 'pagos_cobros', ['fecha'], postgresql_where=sa.text('NOT conciliado'))


def downgrade() -> None:
    op.drop_index('ix_pagos_cobros_pendientes', table_name='pagos_cobros')
    op.drop_column('pagos_cobros', 'conciliado')
    op.drop_table('conciliaciones')
    op.drop_table('movimientos_bancarios')
    op.drop_table('importaciones_extracto')
    op.drop_table('cuentas_bancarias')

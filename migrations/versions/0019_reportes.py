"""module 8, exports and scheduled reports: exportaciones_log, programaciones_reporte, envios_reporte

Revision ID: 0019
Revises: 0001 (its own branch; usuarios is in 0001)
Create Date: 2026-12-01 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('exportaciones_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usuario_id', sa.Integer(), nullable=False),
    sa.Column('tipo_reporte', sa.String(length=30), nullable=False),
    sa.Column('filtros_json', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('formato', sa.String(length=4), nullable=False),
    sa.Column('fecha', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('estado', sa.String(length=9), nullable=False),
    sa.Column('archivo', sa.String(length=200), nullable=True),
    sa.Column('nombre_archivo', sa.String(length=120), nullable=True),
    sa.Column('filas', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('terminado_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("formato IN ('xlsx', 'pdf')", name='ck_exportaciones_log_formato'),
    sa.CheckConstraint("estado IN ('PENDIENTE', 'LISTA', 'ERROR')", name='ck_exportaciones_log_estado'),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id']),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_exportaciones_log_usuario_id', 'exportaciones_log', ['usuario_id'])
    op.create_table('programaciones_reporte',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usuario_id', sa.Integer(), nullable=False),
    sa.Column('nombre', sa.String(length=120), nullable=False),
    sa.Column('tipo_reporte', sa.String(length=30), nullable=False),
    sa.Column('filtros_json', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('formato', sa.String(length=4), nullable=False),
    sa.Column('frecuencia', sa.String(length=7), nullable=False),
    sa.Column('hora_envio', sa.Time(), nullable=False),
    sa.Column('dia_semana', sa.Integer(), nullable=True),
    sa.Column('dia_mes', sa.Integer(), nullable=True),
    sa.Column('emails_destino', postgresql.ARRAY(sa.String(length=254)), nullable=False),
    sa.Column('activo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("formato IN ('xlsx', 'pdf')", name='ck_programaciones_reporte_formato'),
    sa.CheckConstraint("frecuencia IN ('DIARIA', 'SEMANAL', 'MENSUAL')", name='ck_programaciones_reporte_frecuencia'),
    sa.CheckConstraint('dia_semana IS NULL OR dia_semana BETWEEN 0 AND 6', name='ck_programaciones_reporte_dia_semana'),
    sa.CheckConstraint('dia_mes IS NULL OR dia_mes BETWEEN 1 AND 28', name='ck_programaciones_reporte_dia_mes'),
    sa.CheckConstraint('cardinality(emails_destino) >= 1', name='ck_programaciones_reporte_destinatarios'),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id']),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_programaciones_reporte_usuario_id', 'programaciones_reporte', ['usuario_id'])
    op.create_table('envios_reporte',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programacion_id', sa.Integer(), nullable=False),
    sa.Column('ejecucion', sa.String(length=200), nullable=False),
    sa.Column('intento', sa.Integer(), nullable=False),
    sa.Column('fecha', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('destinatarios', postgresql.ARRAY(sa.String(length=254)), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('archivo', sa.String(length=200), nullable=True),
    sa.Column('filas', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['programacion_id'], ['programaciones_reporte.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_envios_reporte_ejecucion', 'envios_reporte', ['programacion_id', 'ejecucion'])


def downgrade() -> None:
    op.drop_table('envios_reporte')
    op.drop_table('programaciones_reporte')
    op.drop_table('exportaciones_log')

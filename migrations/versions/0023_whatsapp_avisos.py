"""whatsapp (module 7), second part: customer notifications from other modules (event → template mapping,
notices and their attempts), media headers on templates, messages and campaigns

Revision ID: 0023
Revises: 0017
Create Date: 2026-12-01 17:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0023'
down_revision: str | Sequence[str] | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('wa_plantillas', sa.Column('encabezado_formato', sa.String(length=10), nullable=True))
    op.add_column('wa_campanas', sa.Column('encabezado', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('wa_mensajes', sa.Column('encabezado', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_table('wa_eventos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evento', sa.String(length=30), nullable=False),
    sa.Column('plantilla_id', sa.Integer(), nullable=False),
    sa.Column('parametros', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('encabezado', sa.String(length=30), nullable=True),
    sa.Column('activo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['plantilla_id'], ['wa_plantillas.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('evento')
    )
    op.create_table('notificaciones_cliente',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('evento', sa.String(length=30), nullable=False),
    sa.Column('cliente_id', sa.Integer(), nullable=True),
    sa.Column('objeto_tipo', sa.String(length=50), nullable=False),
    sa.Column('objeto_id', sa.String(length=50), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('canal', sa.String(length=10), nullable=False),
    sa.Column('motivo', sa.String(length=300), nullable=False),
    sa.Column('estado', sa.String(length=10), nullable=False),
    sa.Column('canal_final', sa.String(length=10), nullable=True),
    sa.Column('wa_mensaje_id', sa.BigInteger(), nullable=True),
    sa.Column('correo', sa.String(), nullable=False),
    sa.Column('enviada_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("canal IN ('WHATSAPP', 'EMAIL', 'NINGUNO')", name='ck_notificaciones_cliente_canal'),
    sa.ForeignKeyConstraint(['cliente_id'], ['clientes.id'], ),
    sa.ForeignKeyConstraint(['wa_mensaje_id'], ['wa_mensajes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    op.create_index(op.f('ix_notificaciones_cliente_cliente_id'), 'notificaciones_cliente', ['cliente_id'],
                    unique=False)
    op.create_index('ix_notificaciones_cliente_objeto', 'notificaciones_cliente', ['objeto_tipo', 'objeto_id'],
                    unique=False)
    op.create_table('notificaciones_cliente_intentos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notificacion_id', sa.BigInteger(), nullable=False),
    sa.Column('canal', sa.String(length=10), nullable=False),
    sa.Column('resultado', sa.String(length=10), nullable=False),
    sa.Column('detalle', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['notificacion_id'], ['notificaciones_cliente.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notificacion_id', 'canal', name='ux_notificaciones_intentos_canal')
    )


def downgrade() -> None:
    op.drop_table('notificaciones_cliente_intentos')
    op.drop_index('ix_notificaciones_cliente_objeto', table_name='notificaciones_cliente')
    op.drop_index(op.f('ix_notificaciones_cliente_cliente_id'), table_name='notificaciones_cliente')
    op.drop_table('notificaciones_cliente')
    op.drop_table('wa_eventos')
    op.drop_column('wa_mensajes', 'encabezado')
    op.drop_column('wa_campanas', 'encabezado')
    op.drop_column('wa_plantillas', 'encabezado_formato')

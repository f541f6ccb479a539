"""facturacion: comprobantes (facturas, boletas, notas), detalle, series, envios_sunat, resumen_diario,
comunicaciones_baja; the notas_credito_debito view

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 09:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTAS_VIEW = """
CREATE VIEW notas_credito_debito AS
SELECT id, comprobante_origen_id, tipo AS tipo_nota, serie, numero, fecha_emision, motivo_codigo,
       motivo_descripcion, estado_sunat, xml_path, cdr_path
FROM comprobantes WHERE tipo IN ('07', '08')
"""


def upgrade() -> None:
    op.create_table('comprobantes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tipo', sa.String(length=2), nullable=False),
    sa.Column('serie', sa.String(length=4), nullable=False),
    sa.Column('numero', sa.Integer(), nullable=False),
    sa.Column('fecha_emision', sa.Date(), nullable=False),
    sa.Column('hora_emision', sa.Time(), nullable=False),
    sa.Column('cliente_tipo_doc', sa.String(length=1), nullable=False),
    sa.Column('cliente_numero_doc', sa.String(length=15), nullable=False),
    sa.Column('cliente_razon_social', sa.String(length=200), nullable=False),
    sa.Column('cliente_direccion', sa.String(length=300), nullable=False),
    sa.Column('cliente_email', sa.String(length=254), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('tipo_cambio', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('total_gravada', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_exonerada', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_inafecta', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_exportacion', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_gratuita', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_igv', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_isc', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_icbper', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_descuentos', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_venta', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('estado_sunat', sa.String(length=15), nullable=False),
    sa.Column('codigo_respuesta', sa.String(length=10), nullable=True),
    sa.Column('mensaje_respuesta', sa.String(length=1000), nullable=True),
    sa.Column('hash', sa.String(length=100), nullable=True),
    sa.Column('qr', sa.String(length=500), nullable=True),
    sa.Column('xml_path', sa.String(length=300), nullable=True),
    sa.Column('cdr_path', sa.String(length=300), nullable=True),
    sa.Column('pdf_path', sa.String(length=300), nullable=True),
    sa.Column('modo_emision', sa.String(length=10), nullable=False),
    sa.Column('venta_id', sa.Integer(), nullable=True),
    sa.Column('comprobante_origen_id', sa.Integer(), nullable=True),
    sa.Column('motivo_codigo', sa.String(length=2), nullable=True),
    sa.Column('motivo_descripcion', sa.String(length=250), nullable=True),
    sa.Column('notificado_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('numero > 0', name='ck_comprobantes_numero_positivo'),
    sa.ForeignKeyConstraint(['comprobante_origen_id'], ['comprobantes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tipo', 'serie', 'numero', name='uq_comprobantes_tipo_serie_numero')
    )
    op.create_index('ix_comprobantes_cliente', 'comprobantes', ['cliente_numero_doc'], unique=False)
    op.create_index('ix_comprobantes_estado', 'comprobantes', ['estado_sunat'], unique=False)
    op.create_index('ix_comprobantes_fecha', 'comprobantes', ['fecha_emision'], unique=False)
    op.create_index('uq_comprobantes_venta', 'comprobantes', ['venta_id'], unique=True,
                    postgresql_where=sa.text("venta_id IS NOT NULL AND tipo IN ('01', '03')"))
    op.create_table('resumen_diario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fecha', sa.Date(), nullable=False),
    sa.Column('fecha_generacion', sa.Date(), nullable=False),
    sa.Column('correlativo', sa.Integer(), nullable=False),
    sa.Column('identificador', sa.String(length=30), nullable=False),
    sa.Column('cantidad_documentos', sa.Integer(), nullable=False),
    sa.Column('estado_envio', sa.String(length=15), nullable=False),
    sa.Column('codigo_ticket', sa.String(length=60), nullable=True),
    sa.Column('codigo_respuesta', sa.String(length=10), nullable=True),
    sa.Column('mensaje_respuesta', sa.String(length=1000), nullable=True),
    sa.Column('xml_path', sa.String(length=300), nullable=True),
    sa.Column('cdr_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identificador', name='uq_resumen_diario_identificador')
    )
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tipo', sa.String(length=2), nullable=False),
    sa.Column('serie', sa.String(length=8), nullable=False),
    sa.Column('ultimo_numero', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tipo', 'serie', name='uq_series_tipo_serie')
    )
    op.create_table('comunicaciones_baja',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comprobante_id', sa.Integer(), nullable=False),
    sa.Column('motivo', sa.String(length=100), nullable=False),
    sa.Column('fecha_referencia', sa.Date(), nullable=False),
    sa.Column('fecha_generacion', sa.Date(), nullable=False),
    sa.Column('correlativo', sa.Integer(), nullable=False),
    sa.Column('identificador', sa.String(length=30), nullable=False),
    sa.Column('estado_envio', sa.String(length=15), nullable=False),
    sa.Column('codigo_ticket', sa.String(length=60), nullable=True),
    sa.Column('codigo_respuesta', sa.String(length=10), nullable=True),
    sa.Column('mensaje_respuesta', sa.String(length=1000), nullable=True),
    sa.Column('xml_path', sa.String(length=300), nullable=True),
    sa.Column('cdr_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['comprobante_id'], ['comprobantes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identificador', name='uq_comunicaciones_baja_identificador')
    )
    op.create_index(op.f('ix_comunicaciones_baja_comprobante_id'), 'comunicaciones_baja', ['comprobante_id'],
                    unique=False)
    op.create_table('detalle_comprobante',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comprobante_id', sa.Integer(), nullable=False),
    sa.Column('orden', sa.Integer(), nullable=False),
    sa.Column('codigo_producto', sa.String(length=30), nullable=False),
    sa.Column('descripcion', sa.String(length=500), nullable=False),
    sa.Column('cantidad', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('unidad_medida', sa.String(length=3), nullable=False),
    sa.Column('valor_unitario', sa.Numeric(precision=22, scale=10), nullable=False),
    sa.Column('precio_unitario', sa.Numeric(precision=22, scale=10), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('igv', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('afectacion_igv', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['comprobante_id'], ['comprobantes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_detalle_comprobante_comprobante_id'), 'detalle_comprobante', ['comprobante_id'],
                    unique=False)
    op.create_table('envios_sunat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comprobante_id', sa.Integer(), nullable=False),
    sa.Column('intento', sa.Integer(), nullable=False),
    sa.Column('fecha_envio', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('estado', sa.String(length=15), nullable=False),
    sa.Column('codigo_respuesta', sa.String(length=10), nullable=True),
    sa.Column('mensaje_respuesta', sa.String(length=2000), nullable=True),
    sa.Column('observaciones', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('cdr_path', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['comprobante_id'], ['comprobantes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('comprobante_id', 'intento', name='uq_envios_sunat_intento')
    )
    op.create_index(op.f('ix_envios_sunat_comprobante_id'), 'envios_sunat', ['comprobante_id'], unique=False)
    op.create_table('resumen_diario_items',
    sa.Column('resumen_id', sa.Integer(), nullable=False),
    sa.Column('comprobante_id', sa.Integer(), nullable=False),
    sa.Column('condicion', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['comprobante_id'], ['comprobantes.id'], ),
    sa.ForeignKeyConstraint(['resumen_id'], ['resumen_diario.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resumen_id', 'comprobante_id')
    )

    # Every SUNAT answer is evidence: attempts are never edited or deleted.
    op.execute("CREATE TRIGGER envios_sunat_append_only BEFORE UPDATE OR DELETE ON envios_sunat "
               "FOR EACH ROW EXECUTE FUNCTION erp_refuse_change();")
    op.execute(NOTAS_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS notas_credito_debito")
    for table in ("resumen_diario_items", "envios_sunat", "detalle_comprobante", "comunicaciones_baja",
                  "series", "resumen_diario", "comprobantes"):
        op.drop_table(table)

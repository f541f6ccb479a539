"""compras: suppliers, purchase orders, receptions, incidents, supplier invoices (paid only when reconciled,
held by a CHECK and by a trigger on cuentas_por_pagar), supplier evaluations, the module's configuration

Revision ID: 0013
Revises: 0001, depends on 0012 (cuentas_por_pagar, costos_promedio; through it 0002's products and warehouses)
Create Date: 2026-12-01 14:03:01.135891
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = '0012'


def upgrade() -> None:
    op.create_table('configuracion_compras',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('monto_auto_aprobacion', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('monto_aprobacion_admin', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recordatorio_horas', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('escalamiento_horas', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('tolerancia_recepcion_pct', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('tolerancia_cantidad', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('tolerancia_precio_pct', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('tolerancia_precio_monto', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('estado_propuesta', sa.String(length=20), nullable=False),
    sa.Column('umbral_evaluacion', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('sunat_client_id', sa.String(length=100), nullable=False),
    sa.Column('sunat_client_secret', sa.String(), nullable=True),
    sa.CheckConstraint('id = 1', name='configuracion_compras_singleton'),
    sa.CheckConstraint('monto_aprobacion_admin >= monto_auto_aprobacion', name='configuracion_compras_niveles'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('proveedores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ruc', sa.String(length=11), nullable=False),
    sa.Column('razon_social', sa.String(length=200), nullable=False),
    sa.Column('direccion', sa.String(length=300), nullable=False),
    sa.Column('contacto', sa.String(length=150), nullable=False),
    sa.Column('telefono', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('condicion_pago', sa.String(length=10), nullable=False),
    sa.Column('dias_credito', sa.Integer(), nullable=False),
    sa.Column('limite_credito', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('activo', sa.Boolean(), nullable=False),
    sa.Column('ultima_evaluacion', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("condicion_pago IN ('CONTADO', 'CREDITO')", name='proveedores_condicion_pago'),
    sa.CheckConstraint("dias_credito >= 0 AND (condicion_pago = 'CREDITO' OR dias_credito = 0)", name='proveedores_dias_credito'),
    sa.CheckConstraint("ruc ~ '^(10|15|17|20)[0-9]{9}$'", name='proveedores_ruc'),
    sa.CheckConstraint('limite_credito >= 0', name='proveedores_limite_credito'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ruc')
    )
    op.create_index(op.f('ix_proveedores_razon_social'), 'proveedores', ['razon_social'], unique=False)
    op.create_table('evaluaciones_proveedor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proveedor_id', sa.Integer(), nullable=False),
    sa.Column('periodo', sa.String(length=7), nullable=False),
    sa.Column('puntualidad_score', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('calidad_score', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('precio_score', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('total_score', sa.Numeric(precision=7, scale=3), nullable=False),
    sa.Column('total_entregas', sa.Integer(), nullable=False),
    sa.Column('entregas_completas', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['proveedor_id'], ['proveedores.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proveedor_id', 'periodo', name='uq_evaluaciones_proveedor_periodo')
    )
    op.create_table('ordenes_compra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proveedor_id', sa.Integer(), nullable=False),
    sa.Column('usuario_creador_id', sa.Integer(), nullable=True),
    sa.Column('usuario_aprobador_id', sa.Integer(), nullable=True),
    sa.Column('estado', sa.String(length=25), nullable=False),
    sa.Column('fecha_creacion', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('fecha_estimada_entrega', sa.Date(), nullable=True),
    sa.Column('almacen_destino_id', sa.Integer(), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('tipo_cambio', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_pen', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('notas', sa.String(length=500), nullable=False),
    sa.Column('nivel_aprobacion', sa.Integer(), nullable=False),
    sa.Column('envio', sa.Integer(), nullable=False),
    sa.Column('comentario_aprobacion', sa.String(length=500), nullable=False),
    sa.Column('fecha_aprobacion', sa.DateTime(timezone=True), nullable=True),
    sa.Column('propuesta', sa.String(length=60), nullable=True),
    sa.CheckConstraint("estado IN ('BORRADOR', 'PENDIENTE_APROBACION', 'APROBADA', 'PARCIAL', 'RECIBIDA', 'CERRADA', 'RECHAZADA', 'ANULADA')", name='ordenes_compra_estado'),
    sa.CheckConstraint('total >= 0', name='ordenes_compra_total'),
    sa.ForeignKeyConstraint(['almacen_destino_id'], ['almacenes.id'], ),
    sa.ForeignKeyConstraint(['proveedor_id'], ['proveedores.id'], ),
    sa.ForeignKeyConstraint(['usuario_aprobador_id'], ['usuarios.id'], ),
    sa.ForeignKeyConstraint(['usuario_creador_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('propuesta')
    )
    op.create_index('ix_ordenes_compra_abiertas', 'ordenes_compra', ['almacen_destino_id'], unique=False, postgresql_where=sa.text("estado IN ('BORRADOR', 'PENDIENTE_APROBACION', 'APROBADA', 'PARCIAL')"))
    op.create_index('ix_ordenes_compra_estado_fecha', 'ordenes_compra', ['estado', 'fecha_creacion'], unique=False)
    op.create_index('ix_ordenes_compra_proveedor', 'ordenes_compra', ['proveedor_id'], unique=False)
    op.create_table('detalle_orden_compra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('orden_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('cantidad', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('precio_unitario', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('cantidad_recibida', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('cantidad_cancelada', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.CheckConstraint('cantidad > 0 AND precio_unitario >= 0', name='detalle_oc_positivos'),
    sa.ForeignKeyConstraint(['orden_id'], ['ordenes_compra.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['producto_id'], ['productos.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_detalle_orden_compra_orden_id'), 'detalle_orden_compra', ['orden_id'], unique=False)
    op.create_index(op.f('ix_detalle_orden_compra_producto_id'), 'detalle_orden_compra', ['producto_id'], unique=False)
    op.create_table('facturas_proveedor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proveedor_id', sa.Integer(), nullable=False),
    sa.Column('orden_id', sa.Integer(), nullable=False),
    sa.Column('ruc_proveedor', sa.String(length=11), nullable=False),
    sa.Column('tipo', sa.String(length=2), nullable=False),
    sa.Column('serie', sa.String(length=4), nullable=False),
    sa.Column('numero', sa.Integer(), nullable=False),
    sa.Column('numero_factura', sa.String(length=13), nullable=False),
    sa.Column('fecha_emision', sa.Date(), nullable=False),
    sa.Column('fecha_vencimiento', sa.Date(), nullable=False),
    sa.Column('moneda', sa.String(length=3), nullable=False),
    sa.Column('tipo_cambio', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('monto_base', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('igv', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('gastos_logisticos', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('estado', sa.String(length=12), nullable=False),
    sa.Column('estado_sunat', sa.String(length=12), nullable=False),
    sa.Column('sunat_estado_cp', sa.String(length=2), nullable=True),
    sa.Column('sunat_estado_ruc', sa.String(length=2), nullable=True),
    sa.Column('sunat_cond_domi_ruc', sa.String(length=2), nullable=True),
    sa.Column('sunat_observaciones', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('sunat_consultado_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('observacion_levantada', sa.String(length=500), nullable=False),
    sa.Column('estado_pago', sa.String(length=10), nullable=False),
    sa.Column('contabilizado', sa.Boolean(), nullable=False),
    sa.Column('diferencias', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('justificacion', sa.String(length=1000), nullable=False),
    sa.Column('usuario_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("estado IN ('REGISTRADA', 'OBSERVADA', 'EN_REVISION', 'CONCILIADA')", name='facturas_proveedor_estado'),
    sa.CheckConstraint("estado_pago <> 'PAGADA' OR estado = 'CONCILIADA'", name='facturas_proveedor_pagada_conciliada'),
    sa.CheckConstraint("estado_pago IN ('PENDIENTE', 'PARCIAL', 'PAGADA')", name='facturas_proveedor_estado_pago'),
    sa.CheckConstraint('numero > 0', name='facturas_proveedor_numero'),
    sa.ForeignKeyConstraint(['orden_id'], ['ordenes_compra.id'], ),
    sa.ForeignKeyConstraint(['proveedor_id'], ['proveedores.id'], ),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ruc_proveedor', 'tipo', 'serie', 'numero', name='uq_facturas_proveedor_numero')
    )
    op.create_index(op.f('ix_facturas_proveedor_orden_id'), 'facturas_proveedor', ['orden_id'], unique=False)
    op.create_index(op.f('ix_facturas_proveedor_proveedor_id'), 'facturas_proveedor', ['proveedor_id'], unique=False)
    op.create_table('recepciones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('orden_id', sa.Integer(), nullable=False),
    sa.Column('usuario_id', sa.Integer(), nullable=True),
    sa.Column('fecha', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('estado', sa.String(length=15), nullable=False),
    sa.Column('observacion', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['orden_id'], ['ordenes_compra.id'], ),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_recepciones_orden_id'), 'recepciones', ['orden_id'], unique=False)
    op.create_table('detalle_factura_proveedor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('factura_id', sa.Integer(), nullable=False),
    sa.Column('detalle_orden_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('cantidad', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('precio_unitario', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('base', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('igv', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('gasto_prorrateado', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['detalle_orden_id'], ['detalle_orden_compra.id'], ),
    sa.ForeignKeyConstraint(['factura_id'], ['facturas_proveedor.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['producto_id'], ['productos.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_detalle_factura_proveedor_factura_id'), 'detalle_factura_proveedor', ['factura_id'], unique=False)
    op.create_table('detalle_recepcion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recepcion_id', sa.Integer(), nullable=False),
    sa.Column('detalle_orden_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('lote_id', sa.Integer(), nullable=True),
    sa.Column('cantidad_esperada', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('cantidad_recibida', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('cantidad_aceptada', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('costo_unitario_pen', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('estado_item', sa.String(length=10), nullable=False),
    sa.Column('observacion', sa.String(length=300), nullable=False),
    sa.Column('foto_url', sa.String(length=500), nullable=False),
    sa.CheckConstraint("estado_item IN ('CONFORME', 'DAÑADO', 'FALTANTE', 'EXCEDENTE')", name='detalle_recepcion_estado'),
    sa.CheckConstraint('cantidad_recibida >= 0 AND cantidad_aceptada >= 0 AND cantidad_aceptada <= cantidad_recibida', name='detalle_recepcion_cant'),
    sa.ForeignKeyConstraint(['detalle_orden_id'], ['detalle_orden_compra.id'], ),
    sa.ForeignKeyConstraint(['lote_id'], ['lotes_series.id'], ),
    sa.ForeignKeyConstraint(['producto_id'], ['productos.id'], ),
    sa.ForeignKeyConstraint(['recepcion_id'], ['recepciones.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_detalle_recepcion_detalle_orden_id'), 'detalle_recepcion', ['detalle_orden_id'], unique=False)
    op.create_index(op.f('ix_detalle_recepcion_recepcion_id'), 'detalle_recepcion', ['recepcion_id'], unique=False)
    op.create_table('incidencias_compra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recepcion_id', sa.Integer(), nullable=False),
    sa.Column('producto_id', sa.Integer(), nullable=False),
    sa.Column('tipo_incidencia', sa.String(length=10), nullable=False),
    sa.Column('descripcion', sa.String(length=300), nullable=False),
    sa.Column('cantidad_afectada', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('evidencia_url', sa.String(length=500), nullable=False),
    sa.Column('notificado_proveedor', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['producto_id'], ['productos.id'], ),
    sa.ForeignKeyConstraint(['recepcion_id'], ['recepciones.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_incidencias_compra_recepcion_id'), 'incidencias_compra', ['recepcion_id'], unique=False)
    op.execute("INSERT INTO configuracion_compras (id, monto_auto_aprobacion, monto_aprobacion_admin, "
               "recordatorio_horas, escalamiento_horas, tolerancia_recepcion_pct, tolerancia_cantidad, "
               "tolerancia_precio_pct, tolerancia_precio_monto, estado_propuesta, umbral_evaluacion, sunat_client_id) "
               "VALUES (1, 5000, 50000, 24, 48, 0, 0, 0.5, 0.10, 'BORRADOR', 70, '')")
    op.execute(PAGO_CONCILIADA)
    op.execute("CREATE TRIGGER cuentas_por_pagar_factura_conciliada AFTER UPDATE OF monto_pagado ON cuentas_por_pagar "
               "FOR EACH ROW EXECUTE FUNCTION erp_cxp_factura_conciliada()")


# A payment of a supplier invoice's payable is refused unless the invoice is CONCILIADA, and the invoice's
# estado_pago follows its payables (PAGADA when none has a balance left).
PAGO_CONCILIADA = """
CREATE FUNCTION erp_cxp_factura_conciliada() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    est text;
BEGIN
    IF NEW.factura_proveedor_id IS NULL OR NEW.monto_pagado = OLD.monto_pagado THEN
        RETURN NULL;
    END IF;
    SELECT estado INTO est FROM facturas_proveedor WHERE id = NEW.factura_proveedor_id;
    IF NEW.monto_pagado > OLD.monto_pagado AND est IS DISTINCT FROM 'CONCILIADA' THEN
        RAISE EXCEPTION 'la factura de proveedor % está % y no puede pagarse: solo se paga una factura CONCILIADA',
            NEW.documento, est USING ERRCODE = 'check_violation', CONSTRAINT = 'facturas_proveedor_pagada_conciliada';
    END IF;
    UPDATE facturas_proveedor SET estado_pago = CASE
        WHEN NOT EXISTS (SELECT 1 FROM cuentas_por_pagar WHERE factura_proveedor_id = NEW.factura_proveedor_id
                         AND saldo > 0) THEN 'PAGADA'
        WHEN EXISTS (SELECT 1 FROM cuentas_por_pagar WHERE factura_proveedor_id = NEW.factura_proveedor_id
                     AND monto_pagado > 0) THEN 'PARCIAL'
        ELSE 'PENDIENTE' END
    WHERE id = NEW.factura_proveedor_id;
    RETURN NULL;
END $$
"""

TABLAS = ["evaluaciones_proveedor", "detalle_factura_proveedor", "facturas_proveedor", "incidencias_compra",
          "detalle_recepcion", "recepciones", "detalle_orden_compra", "ordenes_compra", "proveedores",
          "configuracion_compras"]


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS cuentas_por_pagar_factura_conciliada ON cuentas_por_pagar")
    op.execute("DROP FUNCTION IF EXISTS erp_cxp_factura_conciliada()")
    for tabla in TABLAS:
        op.drop_table(tabla)

"""distribución (module 4): transportistas, pedidos + detalle, rutas, asignaciones, eventos (append-only),
tracking; stock_reservado on productos_almacen; weight/volume on productos; dispatch point on almacenes

Revision ID: 0016
Revises: 0001, depends on 0002 (productos, almacenes, productos_almacen, clientes)
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"


def _creado() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _coord(nombre: str, nullable: bool = True) -> sa.Column:
    return sa.Column(nombre, sa.Double(), nullable=nullable)


def upgrade() -> None:
    op.add_column("productos_almacen", sa.Column("stock_reservado", sa.Numeric(14, 3), nullable=False,
                                                 server_default="0"))
    op.create_check_constraint("productos_almacen_reservado_valido", "productos_almacen",
                               "stock_reservado >= 0")
    op.add_column("productos", sa.Column("peso_kg", sa.Numeric(14, 3), nullable=False, server_default="0"))
    op.add_column("productos", sa.Column("volumen_m3", sa.Numeric(14, 6), nullable=False, server_default="0"))
    op.add_column("almacenes", sa.Column("direccion", sa.String(300), nullable=False, server_default=""))
    op.add_column("almacenes", sa.Column("ubigeo", sa.String(6), nullable=False, server_default=""))
    op.add_column("almacenes", _coord("latitud"))
    op.add_column("almacenes", _coord("longitud"))

    op.create_table(
        "transportistas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nombre", sa.String(150), nullable=False),
        sa.Column("tipo_vehiculo", sa.String(12), nullable=False),
        sa.Column("categoria_vehiculo", sa.String(3), nullable=False),
        sa.Column("placa", sa.String(10), nullable=False, unique=True),
        sa.Column("conductor_tipo_doc", sa.String(1), nullable=False),
        sa.Column("conductor_documento", sa.String(15), nullable=False),
        sa.Column("conductor_licencia", sa.String(12), nullable=False),
        sa.Column("usuario_id", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True, unique=True),
        sa.Column("capacidad_max_peso", sa.Numeric(14, 3), nullable=False),
        sa.Column("capacidad_max_volumen", sa.Numeric(14, 4), nullable=False),
        sa.Column("limite_pedidos_dia", sa.Integer(), nullable=False),
        sa.Column("activo", sa.Boolean(), nullable=False),
        _creado(),
        sa.CheckConstraint("capacidad_max_peso > 0 AND capacidad_max_volumen > 0 AND limite_pedidos_dia > 0",
                           name="transportistas_capacidad_positiva"),
    )
    op.create_table(
        "pedidos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("codigo_seguimiento", sa.String(24), nullable=False, unique=True),
        sa.Column("cliente_id", sa.Integer(), sa.ForeignKey("clientes.id"), nullable=False),
        sa.Column("almacen_id", sa.Integer(), sa.ForeignKey("almacenes.id"), nullable=False),
        sa.Column("origen", sa.String(10), nullable=False),
        sa.Column("estado", sa.String(12), nullable=False),
        sa.Column("prioridad", sa.Integer(), nullable=False),
        sa.Column("tipo_entrega", sa.String(10), nullable=False),
        sa.Column("direccion_entrega", sa.String(300), nullable=False),
        sa.Column("distrito", sa.String(60), nullable=False),
        sa.Column("zona", sa.String(30), nullable=False),
        _coord("latitud"), _coord("longitud"),
        sa.Column("geocodificacion", sa.String(16), nullable=False),
        sa.Column("fecha_entrega", sa.Date(), nullable=False),
        sa.Column("ventana_inicio", sa.Time(), nullable=True),
        sa.Column("ventana_fin", sa.Time(), nullable=True),
        sa.Column("hora_estimada_despacho", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notas", sa.String(500), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.Column("peso_total", sa.Numeric(14, 3), nullable=False),
        sa.Column("volumen_total", sa.Numeric(14, 4), nullable=False),
        sa.Column("motivo", sa.String(300), nullable=False),
        sa.Column("comprobante_id", sa.Integer(), nullable=True),
        sa.Column("usuario_id", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        _creado(),
        sa.CheckConstraint("estado IN ('PENDIENTE', 'PLANIFICADO', 'EN_RUTA', 'ENTREGADO', 'NO_ENTREGADO', "
                           "'CANCELADO')", name="pedidos_estado"),
    )
    op.create_index("ix_pedidos_estado_fecha", "pedidos", ["estado", "fecha_entrega"])
    op.create_index("ix_pedidos_cliente", "pedidos", ["cliente_id"])
    op.create_index("ix_pedidos_comprobante_id", "pedidos", ["comprobante_id"])
    op.create_table(
        "detalle_pedido",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pedido_id", sa.Integer(), sa.ForeignKey("pedidos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("producto_id", sa.Integer(), sa.ForeignKey("productos.id"), nullable=False),
        sa.Column("cantidad", sa.Numeric(14, 3), nullable=False),
        sa.Column("precio", sa.Numeric(14, 2), nullable=False),
        sa.Column("subtotal", sa.Numeric(14, 2), nullable=False),
    )
    op.create_index("ix_detalle_pedido_pedido_id", "detalle_pedido", ["pedido_id"])
    op.create_table(
        "rutas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("transportista_id", sa.Integer(), sa.ForeignKey("transportistas.id"), nullable=False),
        sa.Column("fecha", sa.Date(), nullable=False),
        sa.Column("estado", sa.String(12), nullable=False),
        sa.Column("distancia_m", sa.Integer(), nullable=True),
        _creado(),
    )
    op.create_index("ix_rutas_transportista_fecha", "rutas", ["transportista_id", "fecha"])
    op.create_table(
        "asignaciones_pedido",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ruta_id", sa.Integer(), sa.ForeignKey("rutas.id"), nullable=False),
        sa.Column("pedido_id", sa.Integer(), sa.ForeignKey("pedidos.id"), nullable=False),
        sa.Column("orden_entrega", sa.Integer(), nullable=False),
        sa.Column("estado", sa.String(10), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidencia_foto_url", sa.String(300), nullable=False),
        sa.Column("firma_digital", sa.String(300), nullable=False),
        sa.Column("otp_hash", sa.String(128), nullable=False),
        sa.Column("otp_expira", sa.DateTime(timezone=True), nullable=True),
        sa.Column("otp_intentos", sa.Integer(), nullable=False),
        sa.Column("otp_verificado", sa.Boolean(), nullable=False),
        _coord("latitud_confirmacion"), _coord("longitud_confirmacion"),
        sa.Column("lejos_del_destino", sa.Boolean(), nullable=False),
        sa.Column("confirmado_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ux_asignaciones_pedido_activa", "asignaciones_pedido", ["pedido_id"], unique=True,
                    postgresql_where=sa.text("estado = 'ACTIVA'"))
    op.create_index("ix_asignaciones_ruta", "asignaciones_pedido", ["ruta_id", "orden_entrega"])
    op.create_table(
        "eventos_pedido",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pedido_id", sa.Integer(), sa.ForeignKey("pedidos.id"), nullable=False),
        sa.Column("estado_nuevo", sa.String(12), nullable=False),
        sa.Column("descripcion", sa.String(300), nullable=False),
        _coord("latitud_evento"), _coord("longitud_evento"),
        sa.Column("usuario_id", sa.Integer(), sa.ForeignKey("usuarios.id"), nullable=True),
        _creado(),
    )
    op.create_index("ix_eventos_pedido_pedido_id", "eventos_pedido", ["pedido_id"])
    op.execute("""
        CREATE TRIGGER eventos_pedido_append_only BEFORE UPDATE OR DELETE ON eventos_pedido
        FOR EACH ROW EXECUTE FUNCTION erp_refuse_change();
    """)
    op.create_table(
        "tracking_transportista",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("transportista_id", sa.Integer(), sa.ForeignKey("transportistas.id"), nullable=False),
        _coord("latitud", False), _coord("longitud", False),
        sa.Column("momento", sa.DateTime(timezone=True), nullable=False),
        _coord("precision_m"), _coord("velocidad_kmh"),
        _creado(),
    )
    op.create_index("ix_tracking_transportista_momento", "tracking_transportista", ["transportista_id", "momento"])


def downgrade() -> None:
    for tabla in ("tracking_transportista", "eventos_pedido", "asignaciones_pedido", "rutas", "detalle_pedido",
                  "pedidos", "transportistas"):
        op.drop_table(tabla)
    for tabla, columna in (("almacenes", "longitud"), ("almacenes", "latitud"), ("almacenes", "ubigeo"),
                           ("almacenes", "direccion"), ("productos", "volumen_m3"), ("productos", "peso_kg")):
        op.drop_column(tabla, columna)
    op.drop_constraint("productos_almacen_reservado_valido", "productos_almacen")
    op.drop_column("productos_almacen", "stock_reservado")

"""Module 4: orders that reserve stock, carriers, routes, assignments, order events and GPS tracking.

An order's lines reserve stock in `productos_almacen.stock_reservado` (module 2's row) when the order is
created; the delivery turns the reservation into an exit (a VENTA kardex row), a cancellation releases it.
`guias_remision` holds the GRE remitente of each order on a route (one live guía per assignment; a rejected
one stays, under its burnt number, beside the guía re-sent with a new number).
`eventos_pedido` is append-only (a trigger refuses UPDATE/DELETE). `tracking_transportista` grows by
~576k rows a day for 200 carriers every 30 s: it is indexed by (carrier, time) and pruned daily.
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Identity,
    Index,
    Numeric,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from models.base import created_at, money, timestamp
from models.inventario import cantidad

ESTADOS_PEDIDO = ("PENDIENTE", "PLANIFICADO", "EN_RUTA", "ENTREGADO", "NO_ENTREGADO", "CANCELADO")


def coordenada(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Double, nullable=nullable))


def medida(scale: int = 3) -> Any:
    """Weights (kg) and volumes (m³) of orders and vehicles."""
    return Field(default=Decimal("0"), sa_column=Column(Numeric(14, scale), nullable=False))


class Transportista(SQLModel, table=True):
    """A van, truck or motorcycle with its driver and its daily limits."""

    __tablename__ = "transportistas"
    __audit_module__: ClassVar[str] = "distribucion"
    __table_args__ = (
        CheckConstraint("capacidad_max_peso > 0 AND capacidad_max_volumen > 0 AND limite_pedidos_dia > 0",
                        name="transportistas_capacidad_positiva"),
    )

    id: int | None = Field(default=None, primary_key=True)
    nombre: str = Field(max_length=150)
    tipo_vehiculo: str = Field(max_length=12)  # FURGONETA | CAMION | MOTO
    categoria_vehiculo: str = Field(default="N1", max_length=3)  # MTC: M1 / L (GRE indicator) or N1, N2, N3
    placa: str = Field(max_length=10, unique=True)
    conductor_tipo_doc: str = Field(default="1", max_length=1)  # SUNAT catálogo 06
    conductor_documento: str = Field(max_length=15)
    conductor_licencia: str = Field(max_length=12)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id", unique=True)  # the driver's login
    capacidad_max_peso: Decimal = medida()  # kg
    capacidad_max_volumen: Decimal = medida(4)  # m³
    limite_pedidos_dia: int = 20
    activo: bool = True
    created_at: datetime = created_at()


class Pedido(SQLModel, table=True):
    __tablename__ = "pedidos"
    __audit_module__: ClassVar[str] = "distribucion"
    __table_args__ = (
        CheckConstraint(f"estado IN {ESTADOS_PEDIDO!r}", name="pedidos_estado"),
        Index("ix_pedidos_estado_fecha", "estado", "fecha_entrega"),
        Index("ix_pedidos_cliente", "cliente_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    codigo_seguimiento: str = Field(max_length=24, unique=True)  # public, unguessable (not the id)
    cliente_id: int = Field(foreign_key="clientes.id")
    almacen_id: int = Field(foreign_key="almacenes.id")
    origen: str = Field(default="TELEFONO", max_length=10)  # POS | ECOMMERCE | WHATSAPP | TELEFONO
    estado: str = Field(default="PENDIENTE", max_length=12)
    prioridad: int = 3  # 1 (urgent) … 5
    tipo_entrega: str = Field(default="DOMICILIO", max_length=10)  # DOMICILIO | EXPRESS | RECOJO
    direccion_entrega: str = Field(max_length=300)
    distrito: str = Field(default="", max_length=60)
    ubigeo: str = Field(default="", max_length=6)  # INEI code of the delivery district (the GRE's destination)
    zona: str = Field(default="", max_length=30)
    latitud: float | None = coordenada()
    longitud: float | None = coordenada()
    geocodificacion: str = Field(default="CLIENTE", max_length=16)  # CLIENTE | PENDIENTE | OK | ZERO_RESULTS…
    fecha_entrega: date
    ventana_inicio: time | None = None
    ventana_fin: time | None = None
    hora_estimada_despacho: datetime | None = timestamp()
    notas: str = Field(default="", max_length=500)
    total: Decimal = money()
    peso_total: Decimal = medida()
    volumen_total: Decimal = medida(4)
    motivo: str = Field(default="", max_length=300)  # of NO_ENTREGADO / CANCELADO
    # The comprobante issued on delivery (module 3); no FK: comprobantes belong to migration 0003, and a
    # second depends_on on a branch off 0001 breaks Alembic (see 0012).
    comprobante_id: int | None = Field(default=None, index=True)
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()


class DetallePedido(SQLModel, table=True):
    __tablename__ = "detalle_pedido"

    id: int | None = Field(default=None, primary_key=True)
    pedido_id: int = Field(foreign_key="pedidos.id", index=True, ondelete="CASCADE")
    producto_id: int = Field(foreign_key="productos.id")
    cantidad: Decimal = cantidad()
    precio: Decimal = money()
    subtotal: Decimal = money()


class Ruta(SQLModel, table=True):
    __tablename__ = "rutas"
    __audit_module__: ClassVar[str] = "distribucion"
    __table_args__ = (Index("ix_rutas_transportista_fecha", "transportista_id", "fecha"),)

    id: int | None = Field(default=None, primary_key=True)
    transportista_id: int = Field(foreign_key="transportistas.id")
    fecha: date
    estado: str = Field(default="PLANIFICADA", max_length=12)  # PLANIFICADA | EN_RUTA | COMPLETADA | CANCELADA
    distancia_m: int | None = None  # of the optimised tour (haversine), warehouse and back
    created_at: datetime = created_at()


class AsignacionPedido(SQLModel, table=True):
    """An order on a route. An order is on at most one active route (partial unique index)."""

    __tablename__ = "asignaciones_pedido"
    __audit_module__: ClassVar[str] = "distribucion"
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("otp_hash",)
    __table_args__ = (
        Index("ux_asignaciones_pedido_activa", "pedido_id", unique=True, postgresql_where=text("estado = 'ACTIVA'")),
        Index("ix_asignaciones_ruta", "ruta_id", "orden_entrega"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ruta_id: int = Field(foreign_key="rutas.id")
    pedido_id: int = Field(foreign_key="pedidos.id")
    orden_entrega: int = 0
    estado: str = Field(default="ACTIVA", max_length=10)  # ACTIVA | CERRADA | RETIRADA
    eta: datetime | None = timestamp()
    evidencia_foto_url: str = Field(default="", max_length=300)
    firma_digital: str = Field(default="", max_length=300)  # stored path of the signature image/strokes
    otp_hash: str = Field(default="", max_length=128)
    otp_expira: datetime | None = timestamp()
    otp_intentos: int = 0
    otp_verificado: bool = False
    latitud_confirmacion: float | None = coordenada()
    longitud_confirmacion: float | None = coordenada()
    lejos_del_destino: bool = False
    confirmado_at: datetime | None = timestamp()


class EventoPedido(SQLModel, table=True):
    """Append-only history of an order."""

    __tablename__ = "eventos_pedido"

    id: int | None = Field(default=None, primary_key=True)
    pedido_id: int = Field(foreign_key="pedidos.id", index=True)
    estado_nuevo: str = Field(max_length=12)
    descripcion: str = Field(default="", max_length=300)
    latitud_evento: float | None = coordenada()
    longitud_evento: float | None = coordenada()
    usuario_id: int | None = Field(default=None, foreign_key="usuarios.id")
    created_at: datetime = created_at()


class TrackingTransportista(SQLModel, table=True):
    __tablename__ = "tracking_transportista"
    __table_args__ = (Index("ix_tracking_transportista_momento", "transportista_id", "momento"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    transportista_id: int = Field(foreign_key="transportistas.id")
    latitud: float = coordenada(False)
    longitud: float = coordenada(False)
    momento: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    precision_m: float | None = coordenada()
    velocidad_kmh: float | None = coordenada()
    created_at: datetime = created_at()


ESTADOS_GRE = ("PENDIENTE", "ENVIADA", "ACEPTADA", "RECHAZADA", "ERROR", "POR_VERIFICAR", "BAJA_PENDIENTE", "ANULADA")


class GuiaRemision(SQLModel, table=True):
    """The GRE remitente (tipo 09) an order travels under: one live guía per assignment to a route, so an order
    taken off a route and planned again gets a new guía. PENDIENTE (built and signed) → ENVIADA (SUNAT's ticket)
    → ACEPTADA (CDR stored) / RECHAZADA (SUNAT's code and reason: its number is burnt, the re-send is a new
    guía); ERROR: data no retry can fix (or the SOL credentials SUNAT refused), re-sent under the same row.
    POR_VERIFICAR: SUNAT says the number is already registered (the first send's answer was lost): its state is
    read in SOL and its CDR uploaded. BAJA_PENDIENTE → ANULADA: an accepted guía whose order left the route,
    voided by the dispatcher in SUNAT's SOL portal (the only channel SUNAT offers for a GRE remitente). The
    transport data is the snapshot the XML carries."""

    __tablename__ = "guias_remision"
    __audit_module__: ClassVar[str] = "distribucion"
    __table_args__ = (
        UniqueConstraint("serie", "numero", name="ux_guias_remision_numero"),
        CheckConstraint(f"estado IN {ESTADOS_GRE!r}", name="guias_remision_estado"),
        Index("ux_guias_remision_asignacion_vigente", "asignacion_id", unique=True,
              postgresql_where=text("estado <> 'RECHAZADA'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    pedido_id: int = Field(foreign_key="pedidos.id", index=True)
    asignacion_id: int = Field(foreign_key="asignaciones_pedido.id", index=True)
    serie: str = Field(max_length=4)
    numero: int | None = None  # allocated when the XML is built (an ERROR before that burns no number)
    estado: str = Field(default="PENDIENTE", max_length=15)
    motivo_traslado: str = Field(default="01", max_length=2)  # catálogo 20
    modalidad: str = Field(default="02", max_length=2)  # catálogo 18
    vehiculo_m1l: bool = False
    placa: str = Field(default="", max_length=10)
    conductor_documento: str = Field(default="", max_length=15)
    fecha_emision: date
    fecha_inicio_traslado: date
    peso_bruto: Decimal = medida()  # kg
    ubigeo_partida: str = Field(max_length=6)
    direccion_partida: str = Field(max_length=300)
    ubigeo_llegada: str = Field(max_length=6)
    direccion_llegada: str = Field(max_length=300)
    comprobante_relacionado: str = Field(default="", max_length=20)  # e.g. 03 B001-4
    ticket: str = Field(default="", max_length=40)
    codigo_respuesta: str = Field(default="", max_length=10)
    mensaje_respuesta: str = Field(default="", max_length=500)
    hash: str = Field(default="", max_length=100)  # DigestValue of the signature (the PDF and its QR)
    xml_path: str = Field(default="", max_length=300)
    cdr_path: str = Field(default="", max_length=300)
    enviado_at: datetime | None = timestamp()
    respondido_at: datetime | None = timestamp()
    motivo_baja: str = Field(default="", max_length=300)  # why the accepted guía is to be voided in SOL
    baja_confirmada_at: datetime | None = timestamp()  # the dispatcher confirmed the void in SOL
    created_at: datetime = created_at()
